package sim

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// bigger returns set with n random test samples.
func withSamples(r *rand.Rand, set *dataset.Set, n int) *dataset.Set {
	s := *set
	size := s.ImageSize()
	s.Test = dataset.Split{N: n, Images: make([]uint8, n*size), Labels: make([]uint8, n)}
	for i := range s.Test.Images {
		if r.IntN(2) == 0 {
			s.Test.Images[i] = uint8(r.IntN(256))
		}
	}
	return &s
}

func TestRunDeterministicAcrossWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 30; n++ {
		target := perCoreTargets()[n%len(perCoreTargets())]
		m, set := randomNet(r, target)
		set = withSamples(r, set, 17)
		var traces [2]bytes.Buffer
		var stats [2]*Stats
		for k, workers := range []int{1, 3} {
			st, err := Run(context.Background(), m, set, Options{Workers: workers, Trace: &traces[k], Reference: true})
			require.NoError(t, err)
			st.WallSeconds = 0
			stats[k] = st
		}
		require.Equal(t, stats[0], stats[1], "net %d", n)
		require.Equal(t, traces[0].String(), traces[1].String(), "net %d", n)
		lines := strings.Count(traces[0].String(), "\n") - 1
		require.EqualValues(t, stats[0].Total.Spikes, lines, "net %d: one trace line per spike", n)
		require.Equal(t, 17, stats[0].Samples)
		require.Len(t, stats[0].PerCore, len(m.Mapping.Cores))
		require.Len(t, stats[0].PerStep, stats[0].Steps)
		var perCore, perStep Counts
		for i := range stats[0].PerCore {
			perCore.Add(&stats[0].PerCore[i])
		}
		for i := range stats[0].PerStep {
			perStep.Add(&stats[0].PerStep[i])
		}
		require.Equal(t, stats[0].Total, perCore, "net %d: per-core counts add up", n)
		require.Equal(t, stats[0].Total, perStep, "net %d: per-step counts add up", n)
	}
}

// tinyModel is a 2-input → 2-neuron → 1-readout network, T steps, direct
// input, cores at (0,0) and (2,0) (one east-west tile hop apart on Loihi).
func tinyModel(target string, T int) (*ir.Model, *dataset.Set) {
	m := &ir.Model{
		Input:     ir.Input{Shape: []int{2}, Encoding: ir.EncodingDirect, Scale: 1},
		Timesteps: T,
		Layers: []ir.Layer{
			{Name: "h", Kind: ir.KindDense, InShape: []int{2}, OutShape: []int{2}, Weights: []float32{1, 0, 0, 1}, Bias: []float32{0, 0},
				Neuron: ir.LIF{Leak: 1, Threshold: 1}},
			{Name: "o", Kind: ir.KindDense, InShape: []int{2}, OutShape: []int{1}, Weights: []float32{1, 1}, Bias: []float32{0}},
		},
		Quantized: &ir.Quantized{Target: target, Layers: []ir.QuantLayer{
			{Weights: []int16{1, 0, 0, 1}, Scale: 100, Threshold: 1, DecayU: 4096},
			{Weights: []int16{3, 5}, Threshold: 1 << 16, DecayU: 4096},
		}},
		Mapping: &ir.Mapping{Target: target, Chips: 1, MeshWidth: 16, MeshHeight: 8,
			Cores:  []ir.Core{{X: 0, Y: 0, Layer: 0, NeuronCount: 2}, {X: 2, Y: 0, Layer: 1, NeuronCount: 1}},
			Routes: []ir.Route{{From: 0, To: 1, Axons: 2}}},
	}
	set := &dataset.Set{Name: "tiny", Channels: 1, Rows: 2, Cols: 1, Classes: 1,
		Test: dataset.Split{N: 1, Images: []uint8{200, 200}, Labels: []uint8{0}}}
	setHops(m)
	return m, set
}

// setHops fills in every route's hop count from its cores' positions.
func setHops(m *ir.Model) {
	t, err := targets.Lookup(m.Mapping.Target)
	if err != nil {
		panic(err)
	}
	for i, r := range m.Mapping.Routes {
		a, b := m.Mapping.Cores[r.From], m.Mapping.Cores[r.To]
		m.Mapping.Routes[i].Hops = t.Hops(a.Chip, a.X, a.Y, b.Chip, b.X, b.Y)
	}
}

func TestLatencyAndHops(t *testing.T) {
	m, set := tinyModel("loihi", 1)
	simple := Options{Timing: TimingSimple}
	st, err := Run(context.Background(), m, set, simple)
	require.NoError(t, err)
	lat, _ := targets.Lookup("loihi")
	L := lat.Latency
	// host current 200 → bias 20000 > 1<<6: both neurons fire at step 0,
	// cross one E-W tile hop, and reach the readout at step 1.
	require.Equal(t, 2, st.Steps)
	assert.EqualValues(t, 2, st.Total.Spikes)
	assert.EqualValues(t, 2, st.Total.HopsEW)
	assert.EqualValues(t, 0, st.Total.HopsNS+st.Total.ChipHops+st.Total.SpikesLocal)
	assert.EqualValues(t, 2, st.Total.SynapticOps)
	assert.EqualValues(t, 3, st.Total.NeuronActive)
	assert.EqualValues(t, 4, st.Total.HostMACs)
	barrier := L.BarrierMin + (L.BarrierMax-L.BarrierMin)*1/31 // 2 of 32 tiles
	want := (2*L.NeuronActive + 2*L.Spike + L.HopEW + barrier) + (2*L.SynapticOp + L.NeuronActive + barrier)
	assert.InDelta(t, want, st.LatencyPerSample, 1e-15)
	// Loihi reads every mapped neuron's soma at every step: the hidden
	// layer's 2 neurons at steps 0 and 1 (updated both times: their bias is
	// non-zero), the readout's neuron at both (updated at step 1 only).
	assert.Equal(t, []Counts{
		{NeuronActive: 2, Spikes: 2, HopsEW: 2, HostMACs: 4, Messages: 2, SomaAccesses: 4, SomaUpdates: 4},
		{SynapticOps: 2, NeuronActive: 1, SomaAccesses: 2, SomaUpdates: 1},
	}, st.PerCore)

	// the readout on a second chip: a chip crossing, and the barrier of
	// a multi-chip system
	m, set = tinyModel("loihi", 1)
	m.Mapping.Chips = 2
	m.Mapping.Cores[1].Chip = 1
	setHops(m)
	st, err = Run(context.Background(), m, set, simple)
	require.NoError(t, err)
	assert.EqualValues(t, 2, st.Total.ChipHops)
	assert.EqualValues(t, 2, st.Total.HopsEW)
	want = (2*L.NeuronActive + 2*L.Spike + L.HopEW + L.ChipHop + L.BarrierMax) + (2*L.SynapticOp + L.NeuronActive + L.BarrierMax)
	assert.InDelta(t, want, st.LatencyPerSample, 1e-15)

	// both cores in one tile: local deliveries, no hops
	m, set = tinyModel("loihi", 1)
	m.Mapping.Cores[1].X, m.Mapping.Cores[1].Y = 1, 1
	setHops(m)
	st, err = Run(context.Background(), m, set, simple)
	require.NoError(t, err)
	assert.EqualValues(t, 2, st.Total.SpikesLocal)
	assert.EqualValues(t, 0, st.Total.HopsEW+st.Total.HopsNS+st.Total.ChipHops)
	want = (2*L.NeuronActive + 2*L.Spike + L.BarrierMin) + (2*L.SynapticOp + L.NeuronActive + L.BarrierMin)
	assert.InDelta(t, want, st.LatencyPerSample, 1e-15)

	m, set = tinyModel("truenorth", 3)
	m.Mapping.MeshWidth, m.Mapping.MeshHeight = 64, 64
	setHops(m)
	st, err = Run(context.Background(), m, set, Options{})
	require.NoError(t, err)
	assert.InDelta(t, 4*1e-3, st.LatencyPerSample, 1e-12, "TrueNorth: one 1 ms tick per step")
	assert.EqualValues(t, 2*3*2, st.Total.HopsEW, "2 spikes per step for 3 steps, 2 hops each (1 tile = 1 core on TrueNorth)")
}

// TestContentionTiming: the tiny network under Loihi's calibrated timing
// (targets/data/loihi.json: soma access 6.0 ns, update 3.7 ns, spike out
// 30 ns, axon-out message 5.1 ns, message in 16 ns, synapse 3.8 ns, links
// 4.1 ns per message, E-W hop 4.1 ns, delivery 2.1 ns, sync 1.0 µs for 2
// tiles). By hand, step 0: the hidden core sweeps its 2 neurons (9.7 ns
// each) and both spike.
//
//	spike 1: 9.7 + 30 + 5.1 = 44.8 ns ready; injection link to 48.9, east
//	         link to 53.0 (+4.1 → 57.1), ejection to 61.2 (+2.1 → 63.3);
//	         processed 63.3 → 63.3 + 16 + 3.8 = 83.1; the sender goes on at 48.9
//	spike 2: 48.9 + 9.7 + 30 + 5.1 = 93.7 ready; links to 97.8, 101.9
//	         (+4.1 → 106.0), 110.1 (+2.1 → 112.2); processed to 132.0
//
// so step 0 takes 132.0 ns + 1.0 µs; step 1 the hidden core's sweep of
// 2 × 9.7 ns (outside its valid steps; bias non-zero) + 1.0 µs.
func TestContentionTiming(t *testing.T) {
	m, set := tinyModel("loihi", 1)
	st, err := Run(context.Background(), m, set, Options{Timing: TimingQueue})
	require.NoError(t, err)
	assert.Equal(t, TimingQueue, st.Timing)
	assert.InDelta(t, (132.0e-9+1.0e-6)+(19.4e-9+1.0e-6), st.LatencyPerSample, 1e-15)
	assert.EqualValues(t, 2, st.Total.Messages)
	require.Len(t, st.ContentionPerLayer, 2)
	// Without contention (no link occupancy, buffers never full) spike 2
	// would be processed at 44.8 + 39.7 + 5.1 + 4.1 + 2.1 + 19.8 = 115.6 ns:
	// the 16.4 ns difference is the sender's wait for its injection link
	// after spike 1 (4.1 ns) and 3 links × 4.1 ns of occupancy.
	assert.InDelta(t, 4*4.1e-9, st.ContentionPerLayer[1], 1e-15)

	// The default, and contention, resolve to the network rule of
	// loihi.json (SANA-FE's heuristic); a target whose data names no rule
	// gets the queues.
	lo, err := targets.Lookup("loihi")
	require.NoError(t, err)
	for _, req := range []string{"", TimingContention} {
		got, err := ResolveTiming(lo, req)
		require.NoError(t, err)
		assert.Equal(t, TimingSANAFE, got, "request %q", req)
	}
	st, err = Run(context.Background(), m, set, Options{})
	require.NoError(t, err)
	assert.Equal(t, TimingSANAFE, st.Timing, "the default where the target has the data")
	queues := *lo
	tm := *lo.Timing
	tm.Network = ""
	queues.Timing = &tm
	got, err := ResolveTiming(&queues, TimingContention)
	require.NoError(t, err)
	assert.Equal(t, TimingQueue, got)

	tn, _ := tinyModel("truenorth", 1)
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	_, err = ResolveTiming(tg, TimingContention)
	assert.ErrorContains(t, err, "real-time ticks")
	_, err = Run(context.Background(), tn, set, Options{Timing: "fast"})
	assert.ErrorContains(t, err, "unknown timing model")
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	type tc struct {
		name  string
		edit  func(m *ir.Model, set *dataset.Set) *dataset.Set
		isErr error
		msg   string
	}
	cases := []tc{
		{"shape mismatch", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			s := *set
			s.Rows, s.Cols = 3, 1
			return &s
		}, ErrData, "model's input"},
		{"neurons on no core", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Mapping.Cores[0].NeuronCount = 1
			return set
		}, ErrModel, "neurons 1..1 of layer 0 (h) are on no core"},
		{"overlap", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Mapping.Cores[0].NeuronCount = 1
			m.Mapping.Cores = append(m.Mapping.Cores, ir.Core{X: 1, Layer: 0, NeuronStart: 0, NeuronCount: 2})
			return set
		}, ErrModel, "more than one core"},
		{"core out of range", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Mapping.Routes[0].To = 7
			return set
		}, ErrModel, "route 0 goes from core 0 to core 7, the mapping has 2 cores"},
		{"missing route", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Mapping.Routes = nil
			return set
		}, ErrModel, "no route from core 0"},
		{"route hops", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Mapping.Routes[0].Hops = 5
			return set
		}, ErrModel, "route 0 from core 0 to core 1 says 5 hops, but the cores are 1 hops apart"},
		{"core off the mesh", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Mapping.Cores[1].X = 99
			return set
		}, ErrModel, "outside the 16×8 mesh"},
		{"core layer", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Mapping.Cores[1].Layer = 5
			return set
		}, ErrModel, "not a layer with neurons"},
		{"not mapped", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Mapping = nil
			return set
		}, ErrModel, "not mapped"},
		{"weights length", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Quantized.Layers[1].Weights = m.Quantized.Layers[1].Weights[:1]
			return set
		}, ErrModel, "quantized weights has 1 values"},
		{"unknown target", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Quantized.Target = "spinnaker"
			m.Mapping.Target = "spinnaker"
			return set
		}, ErrModel, "unknown target"},
		{"truenorth axon types", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			q := &m.Quantized.Layers[1] // weights 3, 5 into one neuron
			q.AxonTypes = []uint8{0, 0}
			q.TypeWeights = []int16{3, 0, 0, 0}
			return set
		}, ErrModel, "weight from input 1 to neuron 0 is 5, but the neuron's weight for axon type 0 is 3"},
		{"unsupported layer", func(m *ir.Model, set *dataset.Set) *dataset.Set {
			m.Layers = append([]ir.Layer{{Kind: ir.LayerKind(42), InShape: []int{2}, OutShape: []int{2}}}, m.Layers...)
			return set
		}, ErrModel, "not supported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, set := tinyModel("loihi", 2)
			if strings.HasPrefix(c.name, "truenorth") {
				m, set = tinyModel("truenorth", 2)
				m.Mapping.MeshWidth, m.Mapping.MeshHeight = 64, 64
			}
			set = c.edit(m, set)
			_, err := Run(ctx, m, set, Options{})
			require.Error(t, err)
			assert.True(t, errors.Is(err, c.isErr), "%v", err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestCancel(t *testing.T) {
	m, set := tinyModel("loihi", 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, m, set, Options{})
	require.ErrorIs(t, err, context.Canceled)
}

// TestFloatReference checks the float mode against a naive float loop on
// networks whose values are all exact in float32 (small integer weights and
// currents, γ a power of two), so that summation order cannot matter:
// predictions, spikes and correct counts.
func TestFloatReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for n := 0; n < 50; n++ {
		m, set := exactFloatNet(r, false, 4)
		st, err := RunFloat(context.Background(), m, set, Options{Workers: 2})
		require.NoError(t, err)
		preds, spikes, correct := naiveRun(m, set)
		require.Equal(t, preds, st.Predictions, "net %d", n)
		require.Equal(t, spikes, st.Total.Spikes, "net %d", n)
		require.Equal(t, correct, st.Correct, "net %d: correct", n)
	}
}

// TestFloatReferenceSparse: the float reference of sparse layers (spans
// and scatter lists, AVX2 or portable) must be the naive dense float
// evaluation of the same network with zeros where no synapse is listed.
func TestFloatReferenceSparse(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 11))
	spans, lists := 0, 0
	for n := 0; n < 60; n++ {
		m, set := exactFloatNetWidth(r, false, 4, 80)
		sp := *m
		sp.Layers = append([]ir.Layer(nil), m.Layers...)
		for li := range sp.Layers {
			dense := &m.Layers[li]
			keep := []float64{0.15, 0.3, 0.6, 1}[r.IntN(4)]
			for k := range dense.Weights {
				if r.Float64() > keep {
					dense.Weights[k] = 0
				}
			}
			// the same synapses listed by output (only the non-zero ones)
			l := &sp.Layers[li]
			in, out := dense.NumInputs(), dense.NumOutputs()
			l.Kind, l.RowStart, l.Cols, l.Weights = ir.KindSparse, make([]int32, out+1), nil, nil
			for o := 0; o < out; o++ {
				for i := 0; i < in; i++ {
					if w := dense.Weights[o*in+i]; w != 0 {
						l.Cols, l.Weights = append(l.Cols, int32(i)), append(l.Weights, w)
					}
				}
				l.RowStart[o+1] = int32(len(l.Cols))
			}
		}
		p, err := lowerFloat(&sp)
		require.NoError(t, err, "net %d", n)
		for _, L := range p.layers {
			for _, g := range L.sp.fspan {
				if g.scatter && g.syn > 0 {
					lists++
				} else if !g.scatter {
					spans++
				}
			}
		}
		st, err := RunFloat(context.Background(), &sp, set, Options{Workers: 2})
		require.NoError(t, err, "net %d", n)
		preds, spikes, correct := naiveRun(m, set)
		require.Equal(t, preds, st.Predictions, "net %d", n)
		require.Equal(t, spikes, st.Total.Spikes, "net %d", n)
		require.Equal(t, correct, st.Correct, "net %d: correct", n)
	}
	t.Logf("%d spans, %d scatter lists", spans, lists)
	require.Positive(t, spans)
	require.Positive(t, lists)
}

// TestReferenceBesideChip: the float reference that runs beside a compiled
// model (Options.Reference) must be the naive float evaluation of the
// model's float layers, sample by sample, whatever the chip computes. The
// quantized weights are negated so that the chip often disagrees with it.
func TestReferenceBesideChip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	disagreeing := 0
	for n := 0; n < 40; n++ {
		m, set := exactFloatNet(r, true, 8)
		cm := handCompile(m, 8)
		for l := range cm.Quantized.Layers {
			for i, w := range cm.Quantized.Layers[l].Weights {
				cm.Quantized.Layers[l].Weights[i] = -w
			}
		}
		st, err := Run(context.Background(), cm, set, Options{Workers: 2, Reference: true})
		require.NoError(t, err, "net %d", n)
		preds, _, correct := naiveRun(m, set)
		require.Equal(t, preds, st.ReferencePredictions, "net %d: reference predictions", n)
		require.Equal(t, correct, st.ReferenceCorrect, "net %d: reference correct", n)
		agreeing := 0
		for s, p := range st.Predictions {
			if p == preds[s] {
				agreeing++
			}
		}
		require.Equal(t, agreeing, st.Agreeing, "net %d: agreeing", n)
		disagreeing += st.Samples - agreeing
	}
	require.Positive(t, disagreeing, "the chip always agreed: the reference is not told apart from it")
}

// exactFloatNet is a random dense network whose float values are exact in
// float32 (see TestFloatReference), with direct input, and a set of n
// samples with random labels. resetZero keeps every layer at the chip's
// reset-to-zero and at least 3 classes.
func exactFloatNet(r *rand.Rand, resetZero bool, n int) (*ir.Model, *dataset.Set) {
	return exactFloatNetWidth(r, resetZero, n, 20)
}

// exactFloatNetWidth is exactFloatNet with layers of up to width neurons
// (the output layer keeps up to 5, or 7).
func exactFloatNetWidth(r *rand.Rand, resetZero bool, n, width int) (*ir.Model, *dataset.Set) {
	sizes := []int{1 + r.IntN(width), 1 + r.IntN(width), 1 + r.IntN(width), 1 + r.IntN(5)}
	if resetZero {
		sizes[3] += 2
	}
	T := 1 + r.IntN(6)
	m := &ir.Model{Input: ir.Input{Shape: []int{sizes[0]}, Encoding: ir.EncodingDirect, Scale: 1}, Timesteps: T}
	if r.IntN(2) == 0 {
		m.Readout.Kind = ir.ReadoutSpikeCount
	}
	for l := 1; l < len(sizes); l++ {
		in, out := sizes[l-1], sizes[l]
		fl := ir.Layer{Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{out},
			Weights: make([]float32, in*out), Bias: make([]float32, out),
			Neuron: ir.LIF{Leak: []float32{1, 0.5, 0.25}[r.IntN(3)], Threshold: float32(1 + r.IntN(40)), Reset: ir.ResetMode(r.IntN(3))}}
		if resetZero {
			fl.Neuron.Reset = ir.ResetZero
		}
		for i := range fl.Weights {
			fl.Weights[i] = float32(r.IntN(9) - 3)
		}
		for j := range fl.Bias {
			fl.Bias[j] = float32(r.IntN(5) - 2)
		}
		m.Layers = append(m.Layers, fl)
	}
	classes := sizes[len(sizes)-1]
	set := withSamples(r, &dataset.Set{Name: "r", Channels: 1, Rows: sizes[0], Cols: 1, Classes: classes}, n)
	for i := range set.Test.Images {
		set.Test.Images[i] %= 4
	}
	for i := range set.Test.Labels {
		set.Test.Labels[i] = uint8(r.IntN(classes))
	}
	return m, set
}

// naiveRun runs naiveFloat on every test sample of set: the predictions,
// the total spike count and the number of correct predictions.
func naiveRun(m *ir.Model, set *dataset.Set) (preds []int, spikes int64, correct int) {
	for s := 0; s < set.Test.N; s++ {
		pred, sp := naiveFloat(m, set.Test.Image(s, set.ImageSize()))
		preds = append(preds, pred)
		spikes += sp
		if pred == int(set.Test.Labels[s]) {
			correct++
		}
	}
	return preds, spikes, correct
}

func naiveFloat(m *ir.Model, x []uint8) (int, int64) {
	L := len(m.Layers)
	u := make([][]float64, L)
	fired := make([][]bool, L)
	for l := range m.Layers {
		u[l] = make([]float64, m.Layers[l].NumOutputs())
		fired[l] = make([]bool, m.Layers[l].NumOutputs())
	}
	out := make([]float64, m.Layers[L-1].NumOutputs())
	var spikes int64
	hist := make([][][]float64, L) // hist[l][t]: layer l's spikes at step t (delays)
	for t := 0; t < m.Timesteps; t++ {
		var in []float64
		for i := range x {
			in = append(in, float64(x[i])*float64(m.Input.Scale))
		}
		for l := range m.Layers {
			fl := &m.Layers[l]
			nIn, nOut := fl.NumInputs(), fl.NumOutputs()
			if d := int(fl.Delay); d > 0 {
				in = make([]float64, nIn)
				if t >= d {
					in = hist[l-1][t-d]
				}
			}
			c := make([]float64, nOut)
			for j := 0; j < nOut; j++ {
				c[j] = float64(fl.Bias[j])
				for i := 0; i < nIn; i++ {
					c[j] += float64(fl.Weights[j*nIn+i]) * in[i]
				}
			}
			if l == L-1 && m.Readout.Kind == ir.ReadoutMeanCurrent {
				for j := range c {
					out[j] += c[j]
				}
				break
			}
			s := make([]float64, nOut)
			g, th := float64(fl.Neuron.Leak), float64(fl.Neuron.Threshold)
			for j := range c {
				prev := 0.0
				if fired[l][j] {
					prev = 1
				}
				switch fl.Neuron.Reset {
				case ir.ResetZero:
					u[l][j] = g*u[l][j]*(1-prev) + c[j]
				case ir.ResetSubtract:
					u[l][j] = g*(u[l][j]-th*prev) + c[j]
				default:
					u[l][j] = g*u[l][j] + c[j]
				}
				fired[l][j] = u[l][j] >= th
				if fired[l][j] {
					s[j] = 1
					spikes++
					if l == L-1 {
						out[j]++
					}
				}
			}
			hist[l] = append(hist[l], s)
			in = s
		}
	}
	best := 0
	for j := range out {
		if out[j] > out[best] {
			best = j
		}
	}
	_ = math.Abs
	return best, spikes
}

func TestNoAllocationPerSample(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, target := range perCoreTargets() {
		m, set := randomNet(r, target)
		p, err := lowerChip(m)
		require.NoError(t, err)
		cw, fw := newChipWorker(p), newFloatWorker(p.net)
		x := set.Test.Image(0, set.ImageSize())
		cw.runSample(0, x) // warm up
		fw.runSample(0, x, nil)
		assert.Zero(t, testing.AllocsPerRun(20, func() { cw.runSample(1, x) }), "%s chip", target)
		assert.Zero(t, testing.AllocsPerRun(20, func() { fw.runSample(1, x, nil) }), "%s float", target)
		if target == "loihi" { // with contention timing
			p.timing = newTimingProgram(p)
			cw := newChipWorker(p)
			require.NotNil(t, cw.tm)
			cw.runSample(0, x)
			assert.Zero(t, testing.AllocsPerRun(20, func() { cw.runSample(1, x) }), "%s chip, contention timing", target)
		}
	}
}

func TestProgressAndLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	m, set := randomNet(r, "loihi")
	set = withSamples(r, set, 25)
	var calls, last int
	st, err := Run(context.Background(), m, set, Options{Limit: 10, Workers: 3, Progress: func(done, total int) {
		calls++
		assert.Equal(t, 10, total)
		assert.Greater(t, done, last)
		last = done
	}})
	require.NoError(t, err)
	assert.Equal(t, 10, st.Samples)
	assert.Equal(t, 10, calls)
	assert.Equal(t, 10, last)
}

// wideModel: one input driving n hidden neurons (all spike at step 0) that
// feed a readout of r neurons in the same Loihi tile.
func wideModel(n, r int) (*ir.Model, *dataset.Set) {
	ones := func(k int) []float32 {
		w := make([]float32, k)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	ones16 := func(k int) []int16 {
		w := make([]int16, k)
		for i := range w {
			w[i] = 1
		}
		return w
	}
	m := &ir.Model{
		Input:     ir.Input{Shape: []int{1}, Encoding: ir.EncodingDirect, Scale: 1},
		Timesteps: 1,
		Layers: []ir.Layer{
			{Name: "h", Kind: ir.KindDense, InShape: []int{1}, OutShape: []int{n}, Weights: ones(n), Bias: make([]float32, n),
				Neuron: ir.LIF{Leak: 1, Threshold: 1}},
			{Name: "o", Kind: ir.KindDense, InShape: []int{n}, OutShape: []int{r}, Weights: ones(n * r), Bias: make([]float32, r)},
		},
		Quantized: &ir.Quantized{Target: "loihi", Layers: []ir.QuantLayer{
			{Weights: ones16(n), Scale: 100, Threshold: 1, DecayU: 4096},
			{Weights: ones16(n * r), Threshold: 1 << 16, DecayU: 4096},
		}},
		Mapping: &ir.Mapping{Target: "loihi", Chips: 1, MeshWidth: 16, MeshHeight: 8,
			Cores:  []ir.Core{{X: 0, Y: 0, Layer: 0, NeuronCount: n}, {X: 1, Y: 0, Layer: 1, NeuronCount: r}},
			Routes: []ir.Route{{From: 0, To: 1, Axons: n}}},
	}
	set := &dataset.Set{Name: "wide", Channels: 1, Rows: 1, Cols: 1, Classes: r,
		Test: dataset.Split{N: 1, Images: []uint8{200}, Labels: []uint8{0}}}
	setHops(m)
	return m, set
}

// TestSANAFETiming: SANA-FE's heuristic by hand on 6 hidden neurons that
// all spike at step 0 into a 50-neuron readout in the same tile (h = 0:
// each message in flight adds 1/2 to the sender's link), with Loihi's
// figures and a 1-deep buffer (capacity (h+1)·1 = 1). A spike is sent every
// 9.7 + 30 + 5.1 = 44.8 ns; a message takes 16 + 50·3.8 = 206 ns to
// process; delivery 2.1 ns. Sent, density N, arrival, start, done (ns):
//
//	m0:  44.8  N 0    → 46.9,  46.9,  252.9
//	m1:  89.6  (m0 started: out of flight) N 0 → 91.7, 252.9, 458.9
//	m2: 134.4  N 0.5  → 134.4 + 0.5·206 = 237.4, 458.9, 664.9
//	m3: 179.2  N 1.0  → 179.2 + 206 = 385.2, 664.9, 870.9
//	m4: 224.0  N 1.5 > 1: stalls (1.5−1)·206 = 103 → sent 327.0,
//	           arrives 327.0 + 1.5·206 = 636.0, 870.9, 1076.9
//	m5: 371.8  (m1 out of flight) N 1.5: stalls 103 → 474.8,
//	           arrives 783.8, 1076.9, 1282.9
//
// Step 0 takes 1282.9 ns + 0.6 µs (1 tile); step 1 the readout's sweep of
// 50 × 9.7 ns + 0.6 µs. Without the heuristic's delays (sent every 44.8
// ns, arriving 2.1 ns later) the readout is busy until 1282.9 ns as well:
// it is the bottleneck either way, so the contention per layer is zero.
func TestSANAFETiming(t *testing.T) {
	m, set := wideModel(6, 50)
	p, err := lowerChip(m)
	require.NoError(t, err)
	tg := *p.target
	tm := *tg.Timing
	tm.LinkBuffer = 1
	tg.Timing = &tm
	p.target = &tg
	p.timing = newTimingProgram(p)
	p.timing.sanafe = newSanafeProgram(p, p.timing)
	w := newChipWorker(p)
	_, lat := w.runSample(0, set.Test.Image(0, 1))
	assert.InDelta(t, (1282.9e-9+0.6e-6)+(485e-9+0.6e-6), lat, 1e-15)
	assert.Zero(t, testing.AllocsPerRun(10, func() { w.runSample(0, set.Test.Image(0, 1)) }))

	st, err := Run(context.Background(), m, set, Options{Timing: TimingSANAFE})
	require.NoError(t, err)
	assert.Equal(t, TimingSANAFE, st.Timing)
	require.Len(t, st.ContentionPerLayer, 2)
	assert.InDelta(t, 0, st.ContentionPerLayer[0], 1e-18)
	assert.InDelta(t, 0, st.ContentionPerLayer[1], 1e-18)
}

// TestGradedInputRun: on random loihi2 nets with graded input, the float
// reference beside the chip is the float model's (not fed by the chip's
// host current, which graded input does not compute), and a sample
// allocates nothing.
func TestGradedInputRun(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	graded := 0
	for n := 0; graded < 6 && n < 300; n++ {
		m, set := randomNet(r, "loihi2")
		p, err := lowerChip(m)
		require.NoError(t, err)
		if !p.layers[0].graded {
			continue
		}
		graded++
		st, err := Run(context.Background(), m, set, Options{Workers: 2, Reference: true})
		require.NoError(t, err, "net %d", n)
		fl, err := RunFloat(context.Background(), m, set, Options{Workers: 2})
		require.NoError(t, err, "net %d", n)
		require.Equal(t, fl.Predictions, st.ReferencePredictions, "net %d: reference predictions", n)
		assert.Positive(t, st.Total.GradedInputMessages, "net %d", n)
		assert.Zero(t, st.Total.HostMACs, "net %d: graded input needs no host MACs", n)
		cw := newChipWorker(p)
		x := set.Test.Image(0, set.ImageSize())
		cw.runSample(0, x)
		assert.Zero(t, testing.AllocsPerRun(20, func() { cw.runSample(1, x) }), "net %d", n)
	}
	require.Equal(t, 6, graded, "too few random nets with graded input")
}

// TestFloatDelays: the float simulator with synaptic delays on random
// layers against the naive evaluation, which delays by looking the
// previous layer's spikes up by step.
func TestFloatDelays(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 11))
	delayed := 0
	for n := 0; n < 40; n++ {
		m, set := exactFloatNet(r, false, 4)
		m.Timesteps = 6
		for l := 1; l < len(m.Layers); l++ {
			m.Layers[l].Delay = uint8(r.IntN(4))
			delayed += int(m.Layers[l].Delay)
		}
		st, err := RunFloat(context.Background(), m, set, Options{Workers: 2})
		require.NoError(t, err)
		preds, spikes, _ := naiveRun(m, set)
		require.Equal(t, preds, st.Predictions, "net %d", n)
		require.Equal(t, spikes, st.Total.Spikes, "net %d", n)
	}
	require.Positive(t, delayed)
}
