package train

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// bands16 turns the embedded 700-channel spoken digits into a 16-channel
// set (an OR over 16 contiguous groups of channels) with the first eight
// classes, the shape of a XyloAudio 2 task.
func bands16(t testing.TB, T int) *dataset.Set {
	set := spokenSet(t, T, 600, 200)
	const C = 16
	in := set.StepSize()
	conv := func(sp dataset.Split) dataset.Split {
		var out dataset.Split
		for i := 0; i < sp.N; i++ {
			if sp.Labels[i] >= 8 {
				continue
			}
			x := sp.Image(i, set.ImageSize())
			y := make([]uint8, T*C)
			for k := 0; k < T; k++ {
				for c, v := range x[k*in : (k+1)*in] {
					if v != 0 {
						y[k*C+c*C/in] = 1
					}
				}
			}
			out.Images = append(out.Images, y...)
			out.Labels = append(out.Labels, sp.Labels[i])
			out.N++
		}
		return out
	}
	b := &dataset.Set{Name: "spoken-16-bands", Channels: C, Rows: 1, Cols: 1, Classes: 8, Steps: T, Train: conv(set.Train), Test: conv(set.Test)}
	return b
}

// TestInt8TrainingMapsOntoXylo trains the XyloAudio 2 shape with the
// target's options for two epochs and checks every option on the frozen
// model (decays on bit shifts, no bias, weights on the 8-bit grid, several
// spikes per step), that it compiles with no rounding, and that the
// simulated chip agrees with the float model.
func TestInt8TrainingMapsOntoXylo(t *testing.T) {
	if testing.Short() {
		t.Skip("trains and simulates")
	}
	set := bands16(t, 40)
	tg, err := targets.LookupTraining("xylo-audio2")
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.Arch, cfg.Timesteps, cfg.Epochs, cfg.Batch, cfg.LR = "16-32r-8", 40, 2, 32, 2e-3
	cfg.Decay, cfg.Threshold, cfg.CurrentDecay, cfg.Reset, cfg.Readout = 0.93, 1, 0.7, ir.ResetSubtractMulti, ir.ReadoutMaxPotential
	cfg.Target, cfg.Limits = tg.Name, tg.Training
	tr, err := NewTrainer(cfg, set)
	require.NoError(t, err)
	assert.Equal(t, 0.9375, tr.Cfg.Decay, "γ snapped to dash 4")
	assert.Equal(t, 0.75, tr.Cfg.CurrentDecay, "β_c snapped to dash 2")
	for range 2 {
		_, err := tr.TrainEpoch(context.Background(), nil)
		require.NoError(t, err)
	}
	m := tr.Freeze(&ir.Provenance{Target: tg.Name})
	for _, l := range m.Layers {
		for _, b := range l.Bias {
			require.Zero(t, b, "no bias")
		}
		var mx float64
		w := append(append([]float32(nil), l.Weights...), l.Recurrent...)
		for _, x := range w {
			mx = math.Max(mx, math.Abs(float64(x)))
		}
		for _, x := range w {
			k := float64(x) / (mx / 127)
			require.InDelta(t, math.Round(k), k, 1e-3, "weights on the 8-bit grid")
		}
		assert.Equal(t, ir.ResetSubtractMulti, l.Neuron.Reset)
	}
	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	assert.Empty(t, res.Report.Warnings, "the trained grid maps exactly")
	st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Reference: true})
	require.NoError(t, err)
	t.Logf("float %.1f%%, chip %.1f%%, agreement %.1f%% on %d samples", 100*st.ReferenceAccuracy(), 100*st.Accuracy(), 100*st.Agreement(), st.Samples)
	assert.GreaterOrEqual(t, st.Agreement(), 0.9)
	acc := tr.Evaluate(set.Test)
	assert.InDelta(t, acc, st.ReferenceAccuracy(), 1e-9, "the trainer's quantized evaluation is the frozen model's")
}

// TestInt8TrainingRefusesTheUnmappable: a shape the chip cannot hold is
// refused before training, with the rule.
func TestInt8TrainingRefusesTheUnmappable(t *testing.T) {
	set := bands16(t, 10)
	tg, err := targets.LookupTraining("xylo-audio2")
	require.NoError(t, err)
	for arch, rule := range map[string]string{"16-80r-8": "fan-out", "16-32-32r-8": "one hidden population", "16-32r-12": "output neurons"} {
		cfg := DefaultConfig()
		cfg.Arch, cfg.Timesteps = arch, 10
		cfg.Reset, cfg.Readout, cfg.CurrentDecay = ir.ResetSubtractMulti, ir.ReadoutMaxPotential, 0.75
		cfg.Target, cfg.Limits = tg.Name, tg.Training
		_, err := NewTrainer(cfg, set)
		require.Error(t, err, arch)
		assert.Contains(t, err.Error(), rule, arch)
	}
}
