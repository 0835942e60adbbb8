package train

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
)

// spokenSet is the embedded spoken-digit subset binned into T steps,
// limited to the first train and test samples.
func spokenSet(t testing.TB, T, train, test int) *dataset.Set {
	t.Helper()
	set, err := LoadEventSet(SpokenDataset, T, 0)
	require.NoError(t, err)
	require.Equal(t, 700, set.StepSize())
	require.Equal(t, 20, set.Classes)
	set.Train = set.Train.Limit(train, set.ImageSize())
	set.Test = set.Test.Limit(test, set.ImageSize())
	return set
}

// TestEventTrainingFrozenSimulates trains small recurrent current-based
// networks on binned spoken digits for one epoch, freezes them and checks
// that sim.RunFloat on the frozen file predicts exactly what the trainer
// does (event input: both add the same weight rows in the same order).
func TestEventTrainingFrozenSimulates(t *testing.T) {
	set := spokenSet(t, 20, 120, 60)
	for _, tc := range []struct {
		reset   ir.ResetMode
		readout ir.ReadoutKind
	}{{ir.ResetSubtract, ir.ReadoutMaxPotential}, {ir.ResetZero, ir.ReadoutMeanCurrent}, {ir.ResetSubtract, ir.ReadoutSpikeCount},
		{ir.ResetSubtractMulti, ir.ReadoutMaxPotential}, {ir.ResetSubtractMulti, ir.ReadoutSpikeCount}} {
		t.Run(tc.reset.String()+"/"+tc.readout.String(), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Arch, cfg.Timesteps, cfg.Epochs, cfg.Batch = "700-24r-20", 20, 1, 32
			cfg.Decay, cfg.Threshold, cfg.CurrentDecay, cfg.Reset, cfg.Readout = 0.9, 1, 0.8, tc.reset, tc.readout
			tr, err := NewTrainer(cfg, set)
			require.NoError(t, err)
			st, err := tr.TrainEpoch(context.Background(), nil)
			require.NoError(t, err)
			b, err := ir.Encode(tr.Freeze(&ir.Provenance{Epochs: 1}))
			require.NoError(t, err)
			m, err := ir.Decode(b)
			require.NoError(t, err)
			require.Equal(t, ir.EncodingEvents, m.Input.Encoding)
			require.Equal(t, ir.KindRecurrentDense, m.Layers[0].Kind)
			require.Equal(t, float32(0.8), m.Layers[0].Neuron.CurrentDecay)
			preds := make([]int, set.Test.N)
			acc := tr.Net.evaluate(tr.Net.newWorkspace(64), set.Test, preds)
			sst, err := sim.RunFloat(context.Background(), m, set, sim.Options{})
			require.NoError(t, err)
			require.Equal(t, preds, sst.Predictions, "trainer and sim.RunFloat predictions")
			require.Positive(t, sst.Total.Spikes)
			t.Logf("%v: train loss %.3f, test %.1f%%", tc, st.Loss, 100*acc)
			// Evaluate (FromIR) reads the frozen model back the same way
			acc2, err := Evaluate(m, set.Test)
			require.NoError(t, err)
			require.Equal(t, acc, acc2)
		})
	}
}

// BenchmarkTrainRecurrent measures training of the recurrent 700-240r-20
// current-based network on binned spoken digits (ASGL, batch 32, subtract
// reset), at T = 100 and 250: one mini-batch per iteration, samples/s of
// wall time and of CPU time.
func BenchmarkTrainRecurrent(b *testing.B) {
	for _, T := range []int{100, 250} {
		b.Run("T="+itoa(T), func(b *testing.B) {
			set := spokenSet(b, T, 64, 10)
			cfg := DefaultConfig()
			cfg.Arch, cfg.Timesteps, cfg.Epochs, cfg.Batch = "700-240r-20", T, 1<<20, 32
			cfg.Decay, cfg.Threshold, cfg.CurrentDecay, cfg.Reset = 0.95, 1, 0.8, ir.ResetSubtract
			tr, err := NewTrainer(cfg, set)
			if err != nil {
				b.Fatal(err)
			}
			idx := make([]int, cfg.Batch)
			for i := range idx {
				idx[i] = i
			}
			tr.trainBatch(idx, 1e-3)
			cpu := cpuTime()
			for b.Loop() {
				tr.trainBatch(idx, 1e-3)
			}
			b.ReportMetric(float64(cfg.Batch*b.N)/b.Elapsed().Seconds(), "samples/s")
			if cpu := (cpuTime() - cpu).Seconds(); cpu > 0 {
				// on a loaded machine: samples per second of this
				// process's CPU time (all its threads)
				b.ReportMetric(float64(cfg.Batch*b.N)/cpu, "samples/cpu-s")
			}
		})
	}
}

// TestTemporalStepAllocatesNothing: forward and BPTT of a recurrent
// current-based network with event input allocate nothing per batch.
func TestTemporalStepAllocatesNothing(t *testing.T) {
	set := spokenSet(t, 30, 8, 4)
	for _, archStr := range []string{"700-16r-20", "700-16-12rd3-20d2"} { // the second with synaptic delays
		arch, err := ParseArch(archStr)
		require.NoError(t, err)
		for _, ro := range []ir.ReadoutKind{ir.ReadoutMeanCurrent, ir.ReadoutMaxPotential, ir.ReadoutSpikeCount} {
			net := NewNetwork(arch, 30, 0.9, 1, ASGL, 1, newRNG(1), Temporal{CurrentDecay: 0.8, Reset: ir.ResetSubtract, Readout: ro})
			net.Events, net.InputScale = true, 1
			ws := net.newWorkspace(8)
			ws.train, ws.n, ws.maskP, ws.maskSeed = true, 8, pThreshold(0.5), 1
			for range net.LogAlpha {
				ws.alphas, ws.invAlphas = append(ws.alphas, 1), append(ws.invAlphas, 1)
			}
			copy(ws.labels, set.Train.Labels[:8])
			idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
			allocs := testing.AllocsPerRun(5, func() {
				net.loadInput(ws, set.Train.Images, idx, 0, 8)
				net.forward(ws, 0, 8)
				net.backward(ws, 0, 8)
			})
			require.Zero(t, allocs, "%s %v: allocations per batch", archStr, ro)
		}
	}
}

// TestPSPeak checks the peak of the current-based neuron's kernel against
// its closed form K[t] = (γ^(t+1) − β^(t+1))/(γ − β), maximised over t.
func TestPSPeak(t *testing.T) {
	require.InDelta(t, 1, psPeak(0, 0.5), 1e-12, "the seed's neuron")
	require.InDelta(t, 1, psPeak(0, 0.95), 1e-12)
	for _, c := range [][2]float64{{0.8, 0.95}, {0.5, 0.9}, {0.9, 0.99}, {0.95, 0.5}} {
		beta, gamma := c[0], c[1]
		want := 0.0
		for s := 1; s < 20000; s++ {
			want = math.Max(want, (math.Pow(gamma, float64(s))-math.Pow(beta, float64(s)))/(gamma-beta))
		}
		require.InDelta(t, want, psPeak(beta, gamma), 1e-9, "β_c %v, γ %v", beta, gamma)
	}
}

// TestTemporalInitStartsQuiet: a fresh temporal network (current decay,
// recurrence) is silent on silent input, fires at a moderate rate on the
// spoken digits, and its weights are the default init scaled by u₀.
func TestTemporalInitStartsQuiet(t *testing.T) {
	const T = 100
	set := spokenSet(t, T, 16, 1)
	arch, err := ParseArch("700-240r-20")
	require.NoError(t, err)
	net := NewNetwork(arch, T, 0.95, 1, ASGL, 1, newRNG(1), Temporal{CurrentDecay: 0.8, Reset: ir.ResetSubtract})
	plain := NewNetwork(arch, T, 0.95, 1, ASGL, 1, newRNG(1))
	u0 := float32(1 / psPeak(0.8, 0.95))
	rec, fc := net.Layers[0].(*RecurrentDense), net.Layers[1].(*Dense)
	prec, pfc := plain.Layers[0].(*RecurrentDense), plain.Layers[1].(*Dense)
	require.Equal(t, prec.w.W[7]*u0, rec.w.W[7])
	require.Equal(t, prec.v.W[7]*u0, rec.v.W[7])
	require.Zero(t, rec.b.W[3])
	require.Equal(t, pfc.w.W[7], fc.w.W[7], "a mean-current readout does not integrate: not rescaled")

	net.Events, net.InputScale = true, 1
	ws := net.newWorkspace(16)
	idx := make([]int, 16)
	for i := range idx {
		idx[i] = i
	}
	rate := func(images []uint8) float64 {
		net.loadInput(ws, images, idx, 0, 16)
		net.forward(ws, 0, 16)
		var n int32
		for _, c := range ws.in[1].Cnt {
			n += c
		}
		return float64(n) / float64(16*T*240)
	}
	require.Zero(t, rate(make([]uint8, len(set.Train.Images))), "silent input")
	r := rate(set.Train.Images)
	t.Logf("hidden spikes per neuron and step at init: %.3f", r)
	require.Greater(t, r, 0.005)
	require.Less(t, r, 0.25)
}
