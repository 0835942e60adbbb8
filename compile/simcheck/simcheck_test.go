package simcheck_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
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
		assert.Positive(t, matchInteger(t, res.Model, set, st, fmt.Sprintf("leak %g", leak)))
	}
}

// TestSimulatorMatchesEvalIntegerTrueNorth: binary images (0 or 255) make
// the simulator's rate-coded input deterministic, so the TrueNorth chip
// simulation must match the integer reference.
func TestSimulatorMatchesEvalIntegerTrueNorth(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	const side, n, T = 8, 60, 6
	set := &dataset.Set{Name: "binary", Channels: 1, Rows: side, Cols: side, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)}}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range set.Test.Images {
		if rng.IntN(3) == 0 {
			set.Test.Images[i] = 255
		}
	}
	m := compile.RandomDense([]int{side * side, 40, 10}, T, 9)
	m.Input.Encoding = ir.EncodingRate
	m.Input.Scale = 1.0 / 255
	for li := range m.Layers {
		l := &m.Layers[li]
		l.Neuron.Leak = 1
		in := l.NumInputs()
		for j := 0; j < l.NumOutputs(); j++ {
			v := [4]float32{0.25, -0.5, 0.125, -0.25}
			for i := 0; i < in; i++ {
				if (i*7+j*3)%5 < 2 {
					l.Weights[j*in+i] = 0
				} else {
					l.Weights[j*in+i] = v[i%4] * float32(1+j%3)
				}
			}
		}
	}
	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Workers: 1})
	require.NoError(t, err)
	assert.Positive(t, matchInteger(t, res.Model, set, st, "events"))
}

// matchInteger runs compile's integer evaluator on every test sample of set
// (with the inputs the simulator fed, sim.IntegerInput) and requires the
// simulator's predictions st and its total spike count to equal it. It
// returns the spike count.
func matchInteger(t *testing.T, m *ir.Model, set *dataset.Set, st *sim.Stats, label string) int64 {
	t.Helper()
	ev, err := compile.NewInteger(m)
	require.NoError(t, err)
	size := set.ImageSize()
	require.Len(t, st.Predictions, set.Test.N, label)
	var spikes int64
	for s := 0; s < set.Test.N; s++ {
		r, err := ev.Run(sim.IntegerInput(m, s, set.Test.Images[s*size:(s+1)*size]))
		require.NoError(t, err)
		assert.Equal(t, r.Pred, st.Predictions[s], "%s sample %d", label, s)
		for _, k := range r.Spikes {
			spikes += k
		}
	}
	assert.Equal(t, spikes, st.Total.Spikes, "%s: spikes", label)
	return spikes
}

// TestSimulatorMatchesEvalIntegerLoihi2: loihi2 models compiled with graded
// input and with synaptic delays (0–62 steps) run on the chip simulator as
// compile.Integer evaluates them, sample by sample, dense and conv.
func TestSimulatorMatchesEvalIntegerLoihi2(t *testing.T) {
	tg, err := targets.Lookup("loihi2")
	require.NoError(t, err)
	const side, n = 8, 40
	set := randomImages(side, n, 5)
	dense := func() *ir.Model {
		m := compile.RandomDense([]int{side * side, 48, 32, 10}, 8, 5)
		m.Input.Scale = 1.0 / 255
		return m
	}
	conv := func() *ir.Model {
		m := compile.RandomConv(side, 1, 8, 3, 2)
		m.Input.Scale = 1.0 / 255
		return m
	}
	for _, c := range []struct {
		name   string
		model  func() *ir.Model
		graded bool
		delays []uint8 // per layer
	}{
		{"dense graded", dense, true, nil},
		{"conv graded", conv, true, nil},
		{"dense delays", dense, false, []uint8{0, 3, 1}},
		{"dense graded, delays", dense, true, []uint8{0, 2, 5}},
		{"dense delay 62 (past T: no input)", dense, false, []uint8{0, 62, 0}},
		// conv1, pool1, conv2, pool2, flatten, fc1: population axons
		// with a delay field into conv2, dense synapses into fc1
		{"conv delays", conv, false, []uint8{0, 0, 2, 0, 0, 1}},
		{"conv graded, delays", conv, true, []uint8{0, 0, 1, 0, 0, 3}},
		{"conv delay into conv only", conv, false, []uint8{0, 0, 5, 0, 0, 0}},
	} {
		m := c.model()
		for i, d := range c.delays {
			m.Layers[i].Delay = d
		}
		res, err := compile.Compile(m, tg, compile.Options{GradedInput: c.graded})
		require.NoError(t, err, c.name)
		st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Workers: 1})
		require.NoError(t, err, c.name)
		spikes := matchInteger(t, res.Model, set, st, c.name)
		assert.Positive(t, spikes, c.name)
		if c.graded {
			assert.Positive(t, st.Total.GradedSynapticOps, c.name)
		}
	}
}

// randomImages is a test split of n side×side images, a third of the
// pixels 0 and the rest uniform in 0..255, from seed (labels 0).
func randomImages(side, n int, seed uint64) *dataset.Set {
	set := &dataset.Set{Name: "random", Channels: 1, Rows: side, Cols: side, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)}}
	rng := rand.New(rand.NewPCG(seed, seed+1))
	for i := range set.Test.Images {
		if rng.IntN(3) > 0 {
			set.Test.Images[i] = uint8(rng.IntN(256))
		}
	}
	return set
}
