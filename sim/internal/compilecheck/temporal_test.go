package compilecheck_test

import (
	"context"
	"fmt"
	"math"
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

// randomEventSet is n test samples of T steps of in input spikes, each
// input spiking with probability rate per step.
func randomEventSet(in, T, n, classes int, rate float64, seed uint64) *dataset.Set {
	rng := rand.New(rand.NewPCG(seed, 1))
	set := &dataset.Set{Name: "random events", Channels: 1, Rows: 1, Cols: in, Steps: T, Classes: classes,
		Test: dataset.Split{N: n, Images: make([]uint8, n*T*in), Labels: make([]uint8, n)}}
	for i := range set.Test.Images {
		if rng.Float64() < rate {
			set.Test.Images[i] = 1
		}
	}
	for i := range set.Test.Labels {
		set.Test.Labels[i] = uint8(rng.IntN(classes))
	}
	return set
}

// TestCompiledTemporalModelsMatchCompilerEvaluator compiles random temporal
// models (event input, recurrent layers, current decay, each readout) for
// every target that maps them and requires the simulator to predict and
// spike exactly as compile's integer evaluator, sample by sample, and to
// agree with the float model.
func TestCompiledTemporalModelsMatchCompilerEvaluator(t *testing.T) {
	const in, T, n = 40, 12, 30
	set := randomEventSet(in, T, n, 6, 0.2, 31)
	cases := []struct {
		hidden    []int
		recurrent []bool
		decay     float32
		readout   ir.ReadoutKind
		small     bool // cores of 37 compartments: recurrent routes between several cores
	}{
		{[]int{50}, []bool{true}, 0, ir.ReadoutMeanCurrent, false},
		{[]int{50}, []bool{true}, 0.8, ir.ReadoutMaxPotential, false},
		{[]int{60, 30}, []bool{true, false}, 0.6, ir.ReadoutSpikeCount, false},
		{[]int{50}, []bool{false}, 0.9, ir.ReadoutMaxPotential, false},
		{[]int{90}, []bool{true}, 0.8, ir.ReadoutMaxPotential, true},
		{[]int{80, 40}, []bool{true, true}, 0.5, ir.ReadoutMeanCurrent, true},
		{[]int{60}, []bool{true}, 0.8, ir.ReadoutMaxPotential, true}, // reset by subtraction (Loihi 2)
	}
	for _, name := range []string{"loihi", "loihi2"} {
		tg, err := targets.Lookup(name)
		require.NoError(t, err)
		for ci, c := range cases {
			tgc := tg
			if c.small {
				small := *tg
				small.Core.Neurons = 37
				tgc = &small
			}
			m := compile.RandomTemporal(in, c.hidden, c.recurrent, 6, T, c.decay, c.readout, uint64(ci+1))
			subtract := ci == len(cases)-1
			if subtract {
				if name == "loihi" {
					continue // refused: TestTemporalRefusals
				}
				for i := range m.Layers {
					m.Layers[i].Neuron.Reset = ir.ResetSubtract
				}
			}
			label := fmt.Sprintf("%s case %d (%v, recurrent %v, β_c %g, %v, subtract reset %v)", name, ci, c.hidden, c.recurrent, c.decay, c.readout, subtract)
			res, err := compile.Compile(m, tgc, compile.Options{})
			require.NoError(t, err, label)
			cm := res.Model
			require.NoError(t, compile.Check(cm, tgc), label)
			st, err := sim.Run(context.Background(), cm, set, sim.Options{Reference: true, Workers: 2})
			require.NoError(t, err, label)
			spikes := matchEvaluator(t, cm, set, st, label)
			agree := float64(st.Agreeing) / float64(st.Samples)
			t.Logf("%s: %d cores (bound %d), %.1f spikes/sample, %.0f synops/sample, agreement with the float model %.0f%%",
				label, len(cm.Mapping.Cores), cm.Mapping.LowerBoundCores, float64(spikes)/n, float64(st.Total.SynapticOps)/n, 100*agree)
			assert.Positive(t, spikes, label)
			assert.Zero(t, st.Total.HostMACs, "%s: event input has no host MACs", label)
			// untrained networks have near ties; measured 83–100%
			assert.GreaterOrEqual(t, agree, 0.8, "%s: agreement with the float model", label)
		}
	}
}

// TestTemporalChipEqualsItsFloatModel checks the chip's temporal semantics
// against the independent float reference (sim.RunFloat): with γ = 1, no
// current decay and no bias the integer network is exact, so the float
// model whose weights are the compiled integer weights scaled back
// (w·2^(6+e)/Scale, V likewise) must spike and predict as the chip does,
// sample for sample — recurrence one step late, event input, each
// readout, reset by subtraction on Loihi 2, several cores per layer.
func TestTemporalChipEqualsItsFloatModel(t *testing.T) {
	const in, T, n = 40, 12, 100
	set := randomEventSet(in, T, n, 6, 0.2, 41)
	for _, name := range []string{"loihi", "loihi2"} {
		tg, err := targets.Lookup(name)
		require.NoError(t, err)
		small := *tg
		small.Core.Neurons = 23
		for _, ro := range []ir.ReadoutKind{ir.ReadoutMeanCurrent, ir.ReadoutMaxPotential, ir.ReadoutSpikeCount, ir.ReadoutKind(255)} {
			reset := ir.ResetZero
			if ro == 255 { // spike count with reset by subtraction (Loihi 2 only)
				if name == "loihi" {
					continue
				}
				ro, reset = ir.ReadoutSpikeCount, ir.ResetSubtract
			}
			m := compile.RandomTemporal(in, []int{50, 30}, []bool{true, true}, 6, T, 0, ro, 7)
			for i := range m.Layers {
				clear(m.Layers[i].Bias)
				m.Layers[i].Neuron.Leak = 1
				m.Layers[i].Neuron.Reset = reset
			}
			res, err := compile.Compile(m, &small, compile.Options{})
			require.NoError(t, err)
			require.Greater(t, len(res.Model.Mapping.Cores), 4, "several cores per recurrent layer")
			dq := dequantized(m, res.Model.Quantized)
			flt, err := sim.RunFloat(context.Background(), dq, set, sim.Options{})
			require.NoError(t, err)
			st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Workers: 2})
			require.NoError(t, err)
			label := fmt.Sprintf("%s %v reset %v", name, ro, reset)
			assert.Equal(t, flt.Predictions, st.Predictions, label)
			assert.Equal(t, flt.Total.Spikes, st.Total.Spikes, "%s: spikes", label)
			assert.Positive(t, st.Total.Spikes, label)
		}
	}
}

// dequantized is m with the weights (and biases) of its quantized form q
// scaled back to float units: w·2^(6+e)/Scale (Scale: the potential's
// units per float unit).
func dequantized(m *ir.Model, q *ir.Quantized) *ir.Model {
	dq := *m
	dq.Layers = append([]ir.Layer(nil), m.Layers...)
	for i := range dq.Layers {
		l, ql := &dq.Layers[i], &q.Layers[i]
		if !l.HasNeurons() {
			continue
		}
		f := float32(math.Ldexp(1, 6+int(ql.WeightExponent))) / ql.Scale
		scale := func(w []int16) []float32 {
			out := make([]float32, len(w))
			for k, x := range w {
				out[k] = float32(x) * f
			}
			return out
		}
		l.Weights = scale(ql.Weights)
		if len(ql.Recurrent) > 0 {
			l.Recurrent = scale(ql.Recurrent)
		}
		if len(ql.Bias) == len(l.Bias) && len(l.Bias) > 0 {
			// a bias axon's weights are on the weight grid; a bias into v
			// is Bias·2^BiasExponent potential units
			fb := float32(math.Ldexp(1, int(ql.BiasExponent))) / ql.Scale
			if ql.BiasAxon() {
				fb = f
			}
			l.Bias = make([]float32, len(ql.Bias))
			for j, b := range ql.Bias {
				l.Bias[j] = float32(b) * fb
			}
		}
	}
	return &dq
}

// TestCompiledEventConvModelsMatchCompilerEvaluator: conv networks on
// event-camera input (2 polarities × 16×16, as saccade MNIST's 2×34×34),
// with and without a current decay (bias axons on conv layers), run from
// per-step input spikes through population axons on Loihi, and on Loihi 2,
// bit-exact with the evaluator and in agreement with the float model
// (the general float reference, which runs conv temporal models).
func TestCompiledEventConvModelsMatchCompilerEvaluator(t *testing.T) {
	const side, T, n = 16, 6, 30
	rng := rand.New(rand.NewPCG(51, 52))
	set := &dataset.Set{Name: "random events", Channels: 2, Rows: side, Cols: side, Steps: T, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*T*2*side*side), Labels: make([]uint8, n)}}
	for i := range set.Test.Images {
		if rng.Float64() < 0.15 {
			set.Test.Images[i] = 1
		}
	}
	for i := range set.Test.Labels {
		set.Test.Labels[i] = uint8(rng.IntN(10))
	}
	for _, name := range []string{"loihi", "loihi2"} {
		tg, err := targets.Lookup(name)
		require.NoError(t, err)
		for _, c := range []struct {
			ro    ir.ReadoutKind
			decay float32
		}{{ir.ReadoutMeanCurrent, 0}, {ir.ReadoutSpikeCount, 0}, {ir.ReadoutMaxPotential, 0.7}, {ir.ReadoutSpikeCount, 0.5}} {
			ro := c.ro
			m := compile.RandomConv(side, 2, T, 3, 9)
			m.Input = ir.Input{Shape: []int{2, side, side}, Encoding: ir.EncodingEvents, Scale: 1}
			m.Readout.Kind = ro
			for i := range m.Layers {
				m.Layers[i].Neuron.CurrentDecay = c.decay
			}
			c1 := &m.Layers[0] // two input channels (ON/OFF polarity)
			c1.InShape = []int{2, side, side}
			c1.Weights = make([]float32, c1.OutShape[0]*2*9)
			for i := range c1.Weights {
				c1.Weights[i] = float32(rng.NormFloat64() * 3 / math.Sqrt(18))
			}
			flt, err := sim.RunFloat(context.Background(), m, set, sim.Options{Workers: 2})
			require.NoError(t, err)
			res, err := compile.Compile(m, tg, compile.Options{})
			require.NoError(t, err, name)
			st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Reference: true, Workers: 2})
			require.NoError(t, err, name)
			label := fmt.Sprintf("%s event conv %v β_c %g", name, ro, c.decay)
			spikes := matchEvaluator(t, res.Model, set, st, label)
			assert.Positive(t, spikes, label)
			assert.Zero(t, st.Total.HostMACs, label)
			assert.Equal(t, flt.Predictions, st.ReferencePredictions, "%s: the float reference beside the chip is RunFloat's", label)
			agree := agreement(st.Predictions, flt.Predictions)
			t.Logf("%s: %d cores (bound %d), %.1f spikes/sample, agreement with the float model %.0f%%",
				label, len(res.Model.Mapping.Cores), res.Model.Mapping.LowerBoundCores, float64(spikes)/n, 100*agree)
			assert.GreaterOrEqual(t, agree, 0.9, label)
		}
	}
}

// TestTrueNorthEventSubtractReset: TrueNorth maps event input and reset by
// subtraction (its linear reset V −= α, exact for γ = 1), bit-exact with
// the evaluator.
func TestTrueNorthEventSubtractReset(t *testing.T) {
	const in, T, n = 64, 8, 30
	set := randomEventSet(in, T, n, 10, 0.25, 61)
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(62, 63))
	m := compile.RandomDense([]int{in, 100, 10}, T, 3)
	m.Input.Encoding = ir.EncodingEvents
	for i := range m.Layers {
		l := &m.Layers[i]
		l.Neuron.Leak, l.Neuron.Reset = 1, ir.ResetSubtract
		clear(l.Bias)
		trueNorthWeights(l, rng)
	}
	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	require.Equal(t, ir.ResetSubtract, res.Model.Quantized.Layers[0].Reset)
	st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Reference: true, Workers: 2})
	require.NoError(t, err)
	spikes := matchEvaluator(t, res.Model, set, st, "truenorth events, subtract reset")
	assert.Positive(t, spikes)
	agree := float64(st.Agreeing) / float64(st.Samples)
	t.Logf("truenorth events, subtract reset: %d cores, %.1f spikes/sample, agreement with the float model %.0f%%", len(res.Model.Mapping.Cores), float64(spikes)/n, 100*agree)
	assert.GreaterOrEqual(t, agree, 0.75)
}

// trueNorthWeights gives dense layer l weights TrueNorth's crossbar holds:
// input i has axon type i%4, neuron j one weight per type, a random
// crossbar.
func trueNorthWeights(l *ir.Layer, rng *rand.Rand) {
	in, out := l.NumInputs(), l.NumOutputs()
	for j := 0; j < out; j++ {
		var tw [4]float32
		for g := range tw {
			tw[g] = float32(rng.IntN(5)-2) * 0.05
		}
		for i := 0; i < in; i++ {
			l.Weights[j*in+i] = 0
			if rng.IntN(2) == 0 {
				l.Weights[j*in+i] = tw[i%4]
			}
		}
	}
}

// TestMissingRecurrentRoute: a mapping without a route between two cores
// of a recurrent layer whose neurons have a recurrent synapse between
// them is refused, naming the cores.
func TestMissingRecurrentRoute(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	small := *tg
	small.Core.Neurons = 20
	m := compile.RandomTemporal(10, []int{50}, []bool{true}, 4, 4, 0, ir.ReadoutMeanCurrent, 3)
	res, err := compile.Compile(m, &small, compile.Options{})
	require.NoError(t, err)
	mp := res.Model.Mapping
	for ri, r := range mp.Routes {
		if mp.Cores[r.From].Layer == 0 && mp.Cores[r.To].Layer == 0 && r.From != r.To {
			mp.Routes = append(mp.Routes[:ri:ri], mp.Routes[ri+1:]...)
			break
		}
	}
	_, err = sim.Run(context.Background(), res.Model, randomEventSet(10, 4, 2, 4, 0.3, 1), sim.Options{})
	require.ErrorIs(t, err, sim.ErrModel)
	require.ErrorContains(t, err, "(recurrent layer 0 (rec1)), but neuron")
}
