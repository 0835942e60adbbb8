package train

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// TestParseArchDelays: "dN" after a dense, recurrent or conv token is the
// layer's synaptic delay; it is refused on the first layer with neurons,
// on pooling and beyond MaxDelay.
func TestParseArchDelays(t *testing.T) {
	for _, tc := range []struct {
		arch   string
		delays []int // per parsed layer
	}{
		{"784-512d0-10", []int{0, 0}},
		{"784-512-512d3-10d1", []int{0, 3, 1}},
		{"700-240-128rd2-20", []int{0, 2, 0}},
		{"28x28x1-16c5-p2-32c3s1p1d4-p2-10d62", []int{0, 0, 4, 0, 0, 62}},
		{"28x28x1-16c5-p2-32c3g4d1-10", []int{0, 0, 1, 0, 0}},
	} {
		a, err := ParseArch(tc.arch)
		require.NoError(t, err, tc.arch)
		var got []int
		for _, l := range a.Layers {
			got = append(got, l.Delay)
		}
		require.Equal(t, tc.delays, got, tc.arch)
	}
	for _, bad := range []string{"784-512d3-10", "28x28x1-16c5d1-10", "28x28x1-16c5-p2d1-10", "784-512-10d256", "784-512-10d", "784-512-10d-1", "784-512-10dd2"} {
		_, err := ParseArch(bad)
		require.Error(t, err, bad)
	}
}

// TestDelayedModelFreezesAndSimulates: networks with synaptic delays train,
// freeze with ir.Layer.Delay set, read back (FromIR) with the same
// accuracy, and sim.RunFloat on the frozen file (its own delay lines)
// predicts what the trainer does: a dense and a conv MNIST network (direct
// input, the seed's neuron) and a recurrent current-based one on spoken
// digits (event input, the temporal path).
func TestDelayedModelFreezesAndSimulates(t *testing.T) {
	t.Run("dense", func(t *testing.T) {
		cfg := smallConfig()
		cfg.Arch, cfg.Epochs = "784-48-32d2-10d1", 1
		tr, b := trainModel(t, cfg)
		m, err := ir.Decode(b)
		require.NoError(t, err)
		require.Equal(t, []uint8{0, 2, 1}, []uint8{m.Layers[0].Delay, m.Layers[1].Delay, m.Layers[2].Delay})
		require.Equal(t, "snnc-784-48-32d2-10d1", m.Name)
		requireSimAgrees(t, tr, b)
		acc, err := Evaluate(m, tr.Data.Test)
		require.NoError(t, err)
		require.Equal(t, tr.History[0].TestAcc, acc)
	})
	t.Run("conv", func(t *testing.T) {
		cfg := smallConfig()
		cfg.Arch, cfg.Epochs, cfg.Timesteps = "28x28x1-4c5s2-8c3s2d1-10d1", 1, 6
		tr, b := trainModel(t, cfg)
		m, err := ir.Decode(b)
		require.NoError(t, err)
		require.Equal(t, ir.KindConv2D, m.Layers[1].Kind)
		require.Equal(t, uint8(1), m.Layers[1].Delay)
		requireSimAgrees(t, tr, b)
	})
	t.Run("events", func(t *testing.T) {
		set := spokenSet(t, 20, 120, 60)
		cfg := DefaultConfig()
		cfg.Arch, cfg.Timesteps, cfg.Epochs, cfg.Batch = "700-24-16rd3-20d2", 20, 1, 32
		cfg.Decay, cfg.Threshold, cfg.CurrentDecay, cfg.Reset = 0.9, 1, 0.8, ir.ResetSubtract
		tr, err := NewTrainer(cfg, set)
		require.NoError(t, err)
		_, err = tr.TrainEpoch(context.Background(), nil)
		require.NoError(t, err)
		b, err := ir.Encode(tr.Freeze(&ir.Provenance{Epochs: 1}))
		require.NoError(t, err)
		m, err := ir.Decode(b)
		require.NoError(t, err)
		require.Equal(t, uint8(3), m.Layers[1].Delay)
		preds := make([]int, set.Test.N)
		tr.Net.evaluate(tr.Net.newWorkspace(64), set.Test, preds)
		st, err := sim.RunFloat(context.Background(), m, set, sim.Options{})
		require.NoError(t, err)
		require.Equal(t, preds, st.Predictions, "trainer and sim.RunFloat predictions")
		require.Positive(t, st.PerLayer[2].Spikes+st.PerLayer[1].Spikes)
		// the delay changes the forward pass: without it the same weights
		// predict otherwise (or spike otherwise)
		plain := *m
		plain.Layers = slices.Clone(m.Layers)
		for i := range plain.Layers {
			plain.Layers[i].Delay = 0
		}
		st0, err := sim.RunFloat(context.Background(), &plain, set, sim.Options{})
		require.NoError(t, err)
		require.False(t, slices.Equal(st.Predictions, st0.Predictions) && st.Total.Spikes == st0.Total.Spikes, "the delays change nothing")
	})
}

// TestDelaysRefusedByChipTrainers: the chip trainers (--target truenorth,
// xylo) have no delays: a ConfigError naming the arch.
func TestDelaysRefusedByChipTrainers(t *testing.T) {
	for _, name := range []string{"truenorth", "xylo-audio2"} {
		cfg := smallConfig()
		cfg.Arch = "784-48-10d1"
		tg, err := targets.LookupTraining(name)
		require.NoError(t, err)
		cfg.Target, cfg.Limits = tg.Name, tg.Training
		err = cfg.Validate()
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, name)
		require.Equal(t, "arch", ce.Field, name)
	}
}
