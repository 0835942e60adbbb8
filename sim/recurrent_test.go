package sim

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// randomEvents is a set of n random event samples of T steps and in
// channels (each channel spikes with probability p per step).
func randomEvents(r *rand.Rand, n, T, in, classes int, p float64) *dataset.Set {
	set := &dataset.Set{Name: "random-events", Channels: in, Rows: 1, Cols: 1, Classes: classes, Steps: T}
	set.Test.N = n
	set.Test.Images = make([]uint8, n*T*in)
	set.Test.Labels = make([]uint8, n)
	for i := range set.Test.Images {
		if r.Float64() < p {
			set.Test.Images[i] = 1
		}
	}
	for i := range set.Test.Labels {
		set.Test.Labels[i] = uint8(r.IntN(classes))
	}
	return set
}

// TestRecurrentCoreRun runs a compiled recurrent-core model through Run
// and checks it against a direct run of the backend's core: predictions
// (argmax of the readout's largest potential over chip steps 1..T), the
// operation counts, the step count and the cycle-model latency.
func TestRecurrentCoreRun(t *testing.T) {
	tg, err := targets.Lookup("xylo-audio2")
	require.NoError(t, err)
	m := compile.RandomRecurrentCore(16, 48, 8, 30, 3)
	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	set := randomEvents(rand.New(rand.NewPCG(1, 2)), 40, 30, 16, 8, 0.2)
	st, err := Run(context.Background(), res.Model, set, Options{Reference: true, Workers: 2})
	require.NoError(t, err)
	require.Equal(t, 31, st.Steps)
	require.NotNil(t, st.Core)
	assert.Equal(t, 48, st.Core.Hidden)
	assert.Equal(t, 1000, st.Core.HiddenLimit)

	spec, err := compile.RecurrentCoreSpec(res.Model)
	require.NoError(t, err)
	core, err := targets.NewRecurrentCore(spec, tg.RecurrentCore)
	require.NoError(t, err)
	cs := core.NewState()
	var ops, spikes int64
	var lat float64
	for i := 0; i < set.Test.N; i++ {
		cs.Reset()
		x := set.Test.Image(i, set.ImageSize())
		best := make([]int32, 8)
		for k := 0; k <= 30; k++ {
			ev := make([]uint8, 16)
			if k < 30 {
				ev = x[k*16 : (k+1)*16]
			}
			n := core.Step(cs, ev)
			ops += n.SynapticOps
			spikes += n.HiddenSpikes + n.OutputSpikes
			lat += core.StepSeconds(&n)
			for o, v := range cs.VOut {
				if k == 1 || (k > 1 && v > best[o]) {
					best[o] = v
				}
			}
		}
		pred := 0
		for o := range best {
			if best[o] > best[pred] {
				pred = o
			}
		}
		require.Equal(t, pred, st.Predictions[i], "sample %d", i)
	}
	assert.Equal(t, ops, st.Total.SynapticOps)
	assert.Equal(t, spikes, st.Total.Spikes)
	assert.InDelta(t, lat/float64(set.Test.N), st.LatencyPerSample, 1e-12)
	assert.Positive(t, spikes)
	// untrained weights drive the neurons far past the 16-bit range, so
	// the float model is no reference here (the trained case is train's
	// TestInt8TrainingMapsOntoXylo); it only has to run
	t.Logf("agreement with the float model %.1f%% (random weights, random events)", 100*st.Agreement())
	assert.Equal(t, set.Test.N, len(st.ReferencePredictions))

	// other timing models are refused
	_, err = Run(context.Background(), res.Model, set, Options{Timing: TimingContention})
	assert.Error(t, err)
}
