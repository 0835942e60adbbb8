package train

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/train/dataset"
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
	}{{ir.ResetSubtract, ir.ReadoutMaxPotential}, {ir.ResetZero, ir.ReadoutMeanCurrent}, {ir.ResetSubtract, ir.ReadoutSpikeCount}} {
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
