package train

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
)

// requireSimAgrees runs the simulator's float reference (sim.RunFloat, its
// own loops) on the frozen file b and compares it with the trainer's Θ-only
// predictions on the test split, sample by sample. The two sum in different
// orders in float32, so a sample whose top two classes tie to rounding may
// differ; at most one in 200 may.
func requireSimAgrees(t *testing.T, tr *Trainer, b []byte) {
	t.Helper()
	m, err := ir.Decode(b)
	require.NoError(t, err)
	split := tr.Data.Test
	preds := make([]int, split.N)
	acc := tr.Net.evaluate(tr.Net.newWorkspace(256), split, preds)
	st, err := sim.RunFloat(context.Background(), m, tr.Data, sim.Options{})
	require.NoError(t, err)
	require.Equal(t, split.N, st.Samples)
	differ := 0
	for s, p := range preds {
		if p != st.Predictions[s] {
			differ++
		}
	}
	t.Logf("%s: trainer %.2f%%, sim.RunFloat on the frozen file %.2f%%, %d of %d predictions differ",
		m.Name, 100*acc, 100*st.Accuracy(), differ, split.N)
	require.LessOrEqual(t, differ, split.N/200, "predictions that differ")
	require.InDelta(t, acc, st.Accuracy(), float64(differ)/float64(split.N)+1e-12)
}

// TestFrozenDenseModelSimulates: a trained dense model's frozen file,
// written and decoded, predicts in the simulator what the trainer predicts.
func TestFrozenDenseModelSimulates(t *testing.T) {
	tr, b := trainModel(t, smallConfig())
	requireSimAgrees(t, tr, b)
}

// trainerPredictions is the trainer's Θ-only prediction of every sample of
// split.
func trainerPredictions(tr *Trainer, split dataset.Split) []int {
	preds := make([]int, split.N)
	tr.Net.evaluate(tr.Net.newWorkspace(256), split, preds)
	return preds
}

// requireSimAgreesTrueNorth does the same for a TrueNorth network (frozen
// model m) on binary images (0 or 255), where the trainer's and the
// simulator's rate-coded inputs are the same spikes (every lit pixel spikes
// at every step): the first 500 test samples.
func requireSimAgreesTrueNorth(t *testing.T, tr *Trainer, m *ir.Model) {
	t.Helper()
	set := *tr.Data
	size := set.ImageSize()
	set.Test = set.Test.Limit(500, size)
	set.Test.Images = slices.Clone(set.Test.Images)
	for i, px := range set.Test.Images {
		set.Test.Images[i] = 0
		if px >= 128 {
			set.Test.Images[i] = 255
		}
	}
	preds := trainerPredictions(tr, set.Test)
	st, err := sim.RunFloat(context.Background(), m, &set, sim.Options{})
	require.NoError(t, err)
	differ := 0
	for s, p := range preds {
		if p != st.Predictions[s] {
			differ++
		}
	}
	t.Logf("%s: sim.RunFloat on the frozen model %.2f%% on binary images, %d of %d predictions differ from the trainer's",
		m.Name, 100*st.Accuracy(), differ, set.Test.N)
	require.LessOrEqual(t, differ, set.Test.N/200, "predictions that differ")
}
