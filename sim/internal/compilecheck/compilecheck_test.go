package compilecheck_test

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

// TestCompiledModelsMatchCompilerEvaluator compiles random models with the
// real compiler for each target and checks the simulator's predictions and
// spike counts against the compiler's own integer evaluator (zero-delay,
// straightforward loops), sample by sample.
func TestCompiledModelsMatchCompilerEvaluator(t *testing.T) {
	const side, n = 8, 40
	set := &dataset.Set{Name: "random", Channels: 1, Rows: side, Cols: side, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)}}
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range set.Test.Images {
		if rng.IntN(3) > 0 {
			set.Test.Images[i] = uint8(rng.IntN(256))
		}
	}
	for i := range set.Test.Labels {
		set.Test.Labels[i] = uint8(rng.IntN(10))
	}
	cases := []struct {
		target  string
		sizes   []int
		leak    float32
		readout ir.ReadoutKind
		enc     ir.Encoding
		// agree is the least agreement of the chip with the input float
		// model over the 40 samples (measured: loihi 98, 98, 100%;
		// truenorth 80, 100, 85%: 4 type weights, 9 bits, on a 0.05 grid)
		agree float64
	}{
		{"loihi", []int{side * side, 300, 40, 10}, 0.9, ir.ReadoutMeanCurrent, ir.EncodingDirect, 0.95},
		{"loihi", []int{side * side, 64, 10}, 0.5, ir.ReadoutSpikeCount, ir.EncodingDirect, 0.95},
		{"loihi", []int{side * side, 1500, 10}, 0.8, ir.ReadoutMeanCurrent, ir.EncodingRate, 0.95},
		{"truenorth", []int{side * side, 100, 10}, 1, ir.ReadoutMeanCurrent, ir.EncodingRate, 0.75},
		{"truenorth", []int{side * side, 200, 30, 10}, 1, ir.ReadoutMeanCurrent, ir.EncodingRate, 0.75},
		{"truenorth", []int{side * side, 250, 10}, 1, ir.ReadoutSpikeCount, ir.EncodingRate, 0.75},
	}
	for _, c := range cases {
		tg, err := targets.Lookup(c.target)
		require.NoError(t, err)
		m := compile.RandomDense(c.sizes, 6, 3)
		m.Input.Scale = 1.0 / 255
		m.Input.Encoding = c.enc
		m.Readout.Kind = c.readout
		for i := range m.Layers {
			l := &m.Layers[i]
			l.Neuron.Leak = c.leak
			if c.target == "truenorth" {
				trueNorthWeights(l, rng) // temporal_test.go
			}
		}
		flt, err := sim.RunFloat(context.Background(), m, set, sim.Options{}) // the input model, before compiling
		require.NoError(t, err)
		res, err := compile.Compile(m, tg, compile.Options{})
		if err != nil {
			t.Fatalf("%s %v: compile: %v", c.target, c.sizes, err)
		}
		cm := res.Model
		st, err := sim.Run(context.Background(), cm, set, sim.Options{Reference: true})
		require.NoError(t, err, "%s %v", c.target, c.sizes)
		label := fmt.Sprintf("%s %v", c.target, c.sizes)
		spikes := matchEvaluator(t, cm, set, st, label)
		agree := agreement(st.Predictions, flt.Predictions)
		t.Logf("%s: %d cores, %.1f spikes/sample, agreement with the input float model %.0f%%, latency %.3g s/sample",
			label, len(cm.Mapping.Cores), float64(spikes)/float64(n), 100*agree, st.LatencyPerSample)
		assert.GreaterOrEqual(t, agree, c.agree, "%s: agreement with the input float model", label)
	}
}

// TestCompiledConvModelsMatchCompilerEvaluator does the same for conv models
// (strides, padding, pooling folded by the compiler): the simulator's
// position-major conv layers and its true fan-out counts against the
// evaluator's kernel loops.
func TestCompiledConvModelsMatchCompilerEvaluator(t *testing.T) {
	const side, n = 16, 30
	set := &dataset.Set{Name: "random", Channels: 1, Rows: side, Cols: side, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)}}
	rng := rand.New(rand.NewPCG(21, 22))
	for i := range set.Test.Images {
		if rng.IntN(3) > 0 {
			set.Test.Images[i] = uint8(rng.IntN(256))
		}
	}
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	// small cores (37 compartments, 400 input axons) split the conv layers
	// into many pieces that cut through positions
	small := *tg
	small.Core.Neurons, small.Core.InputAxons = 37, 400
	for _, c := range []struct {
		s2      int
		enc     ir.Encoding
		readout ir.ReadoutKind
		tg      *targets.Target
		agree   float64 // least agreement with the input float model (measured 97–100%)
	}{
		{1, ir.EncodingDirect, ir.ReadoutMeanCurrent, tg, 0.95},
		{2, ir.EncodingDirect, ir.ReadoutSpikeCount, tg, 0.95},
		{1, ir.EncodingRate, ir.ReadoutMeanCurrent, tg, 0.95},
		{1, ir.EncodingDirect, ir.ReadoutMeanCurrent, &small, 0.95},
		{2, ir.EncodingRate, ir.ReadoutSpikeCount, &small, 0.95},
	} {
		m := compile.RandomConv(side, c.s2, 5, 3, 9)
		m.Input.Scale = 1.0 / 255
		m.Input.Encoding = c.enc
		m.Readout.Kind = c.readout
		flt, err := sim.RunFloat(context.Background(), m, set, sim.Options{Workers: 2}) // the input model
		require.NoError(t, err)
		res, err := compile.Compile(m, c.tg, compile.Options{})
		require.NoError(t, err)
		cm := res.Model
		for _, l := range cm.Layers {
			require.NotEqual(t, ir.KindAvgPool, l.Kind, "pooling is folded")
		}
		st, err := sim.Run(context.Background(), cm, set, sim.Options{Reference: true, Workers: 2})
		require.NoError(t, err)
		label := fmt.Sprintf("conv s2=%d enc %d", c.s2, c.enc)
		spikes := matchEvaluator(t, cm, set, st, label)
		assert.Positive(t, spikes)
		agree := agreement(st.Predictions, flt.Predictions)
		t.Logf("%s: %d cores (bound %d), %.1f spikes/sample, %.0f synops/sample, agreement with the input float model %.0f%%",
			label, len(cm.Mapping.Cores), cm.Mapping.LowerBoundCores, float64(spikes)/n, float64(st.Total.SynapticOps)/n, 100*agree)
		assert.GreaterOrEqual(t, agree, c.agree, "%s: agreement with the input float model", label)
	}
}

// matchEvaluator runs compile's integer evaluator on every test sample of
// set, with the inputs the simulator fed, and requires the simulator's
// predictions and total spike count in st to equal it. It returns the spike
// count.
func matchEvaluator(t *testing.T, cm *ir.Model, set *dataset.Set, st *sim.Stats, label string) int64 {
	t.Helper()
	ev, err := compile.NewInteger(cm)
	require.NoError(t, err)
	var spikes int64
	for s := 0; s < set.Test.N; s++ {
		r, err := ev.Run(sim.IntegerInput(cm, s, set.Test.Image(s, set.ImageSize())))
		require.NoError(t, err)
		assert.Equal(t, r.Pred, st.Predictions[s], "%s sample %d", label, s)
		for _, k := range r.Spikes {
			spikes += k
		}
	}
	assert.Equal(t, spikes, st.Total.Spikes, "%s: spikes", label)
	return spikes
}

// agreement is the fraction of equal predictions.
func agreement(a, b []int) float64 {
	same := 0
	for i := range a {
		if a[i] == b[i] {
			same++
		}
	}
	return float64(same) / float64(len(a))
}
