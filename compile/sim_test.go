package compile_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train/dataset"
)

// TestSimulatorMatchesEvalInteger runs a compiled model on the chip
// simulator and checks its predictions against the compiler's integer
// reference evaluator, sample by sample.
func TestSimulatorMatchesEvalInteger(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	const side, n = 8, 60
	set := &dataset.Set{Name: "random", Channels: 1, Rows: side, Cols: side, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)}}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range set.Test.Images {
		set.Test.Images[i] = uint8(rng.IntN(256))
	}
	for _, leak := range []float32{0.9, 0.5, 1} {
		m := compile.RandomDense([]int{side * side, 48, 32, 10}, 8, 5)
		m.Input.Scale = 1.0 / 255
		for i := range m.Layers {
			m.Layers[i].Neuron.Leak = leak
		}
		res, err := compile.Compile(m, tg, compile.Options{})
		require.NoError(t, err)
		st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Workers: 1})
		require.NoError(t, err)
		require.Len(t, st.Predictions, n)
		ev, err := compile.NewInteger(res.Model)
		require.NoError(t, err)
		x := make([]float32, side*side)
		var spikes int64
		for s := 0; s < n; s++ {
			for i := range x {
				x[i] = float32(set.Test.Images[s*side*side+i])
			}
			r, err := ev.Run(x)
			require.NoError(t, err)
			assert.Equal(t, r.Pred, st.Predictions[s], "leak %g sample %d", leak, s)
			for _, k := range r.Spikes {
				spikes += k
			}
		}
		assert.Positive(t, spikes)
		assert.Equal(t, spikes, st.Total.Spikes, "leak %g: spikes", leak)
	}
}
