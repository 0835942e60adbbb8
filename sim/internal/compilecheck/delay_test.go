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

// TestDelayedTemporalModels: random temporal models with synaptic delays
// compiled for loihi2 (recurrent layers, current decay with its bias axon,
// each readout, several cores per layer) run on the chip simulator exactly
// as compile's integer evaluator; and in the exact case (γ = 1, no decay,
// no bias) exactly as the independent float reference (sim.RunFloat) of the
// model whose weights are the chip's integers scaled back, delays
// included: spike for spike, prediction for prediction.
func TestDelayedTemporalModels(t *testing.T) {
	const in, T, n = 40, 12, 40
	set := randomEventSet(in, T, n, 6, 0.2, 61)
	tg, err := targets.Lookup("loihi2")
	require.NoError(t, err)
	small := *tg
	small.Core.Neurons = 23
	for ci, c := range []struct {
		decay  float32
		ro     ir.ReadoutKind
		delays []uint8
	}{
		{0, ir.ReadoutMeanCurrent, []uint8{0, 2, 1}},
		{0.7, ir.ReadoutMaxPotential, []uint8{0, 3, 0}},
		{0.5, ir.ReadoutSpikeCount, []uint8{0, 1, 4}},
	} {
		m := compile.RandomTemporal(in, []int{50, 30}, []bool{true, false}, 6, T, c.decay, c.ro, uint64(ci+3))
		for i, d := range c.delays {
			m.Layers[i].Delay = d
		}
		label := fmt.Sprintf("case %d (β_c %g, %v, delays %v)", ci, c.decay, c.ro, c.delays)
		res, err := compile.Compile(m, &small, compile.Options{})
		require.NoError(t, err, label)
		require.NoError(t, compile.Check(res.Model, &small), label)
		st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Reference: true, Workers: 2})
		require.NoError(t, err, label)
		spikes := matchEvaluator(t, res.Model, set, st, label)
		assert.Positive(t, spikes, label)
		t.Logf("%s: %d cores, %.1f spikes/sample, agreement with the float model %.0f%%",
			label, len(res.Model.Mapping.Cores), float64(spikes)/n, 100*float64(st.Agreeing)/float64(st.Samples))

		// the exact network: the chip equals its dequantized float model
		for i := range m.Layers {
			clear(m.Layers[i].Bias)
			m.Layers[i].Neuron.Leak, m.Layers[i].Neuron.CurrentDecay = 1, 0
		}
		res, err = compile.Compile(m, &small, compile.Options{})
		require.NoError(t, err, label)
		dq := dequantized(m, res.Model.Quantized)
		flt, err := sim.RunFloat(context.Background(), dq, set, sim.Options{})
		require.NoError(t, err, label)
		st, err = sim.Run(context.Background(), res.Model, set, sim.Options{Workers: 2})
		require.NoError(t, err, label)
		assert.Equal(t, flt.Predictions, st.Predictions, "%s exact: predictions", label)
		assert.Equal(t, flt.Total.Spikes, st.Total.Spikes, "%s exact: spikes", label)
		assert.Positive(t, st.Total.Spikes, label)
		// and the delays matter: without them the float model spikes otherwise
		undelayed := *dq
		undelayed.Layers = append([]ir.Layer(nil), dq.Layers...)
		for i := range undelayed.Layers {
			undelayed.Layers[i].Delay = 0
		}
		f0, err := sim.RunFloat(context.Background(), &undelayed, set, sim.Options{})
		require.NoError(t, err, label)
		assert.NotEqual(t, flt.Total.Spikes, f0.Total.Spikes, "%s: the delays change nothing", label)
	}
}

// TestDelayedEventConvModels: event-input conv networks with a delay into
// the second conv layer (population axons with the delay field) and into
// the readout, on loihi2, bit-exact with the evaluator and in agreement
// with the general float reference, which delays too.
func TestDelayedEventConvModels(t *testing.T) {
	const side, T, n = 16, 8, 30
	rng := rand.New(rand.NewPCG(71, 72))
	set := &dataset.Set{Name: "random events", Channels: 2, Rows: side, Cols: side, Steps: T, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*T*2*side*side), Labels: make([]uint8, n)}}
	for i := range set.Test.Images {
		if rng.Float64() < 0.15 {
			set.Test.Images[i] = 1
		}
	}
	tg, err := targets.Lookup("loihi2")
	require.NoError(t, err)
	for _, decay := range []float32{0, 0.5} {
		m := compile.RandomConv(side, 2, T, 3, 9)
		m.Input = ir.Input{Shape: []int{2, side, side}, Encoding: ir.EncodingEvents, Scale: 1}
		m.Readout.Kind = ir.ReadoutSpikeCount
		for i := range m.Layers {
			m.Layers[i].Neuron.CurrentDecay = decay
		}
		c1 := &m.Layers[0]
		c1.InShape = []int{2, side, side}
		c1.Weights = make([]float32, c1.OutShape[0]*2*9)
		for i := range c1.Weights {
			c1.Weights[i] = float32(rng.NormFloat64() * 3 / math.Sqrt(18))
		}
		m.Layers[2].Delay, m.Layers[5].Delay = 2, 1 // conv2, fc1
		label := fmt.Sprintf("event conv with delays, β_c %g", decay)
		flt, err := sim.RunFloat(context.Background(), m, set, sim.Options{Workers: 2})
		require.NoError(t, err, label)
		res, err := compile.Compile(m, tg, compile.Options{})
		require.NoError(t, err, label)
		st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Reference: true, Workers: 2})
		require.NoError(t, err, label)
		spikes := matchEvaluator(t, res.Model, set, st, label)
		assert.Positive(t, spikes, label)
		assert.Equal(t, flt.Predictions, st.ReferencePredictions, label)
		agree := agreement(st.Predictions, flt.Predictions)
		t.Logf("%s: %d cores, %.1f spikes/sample, agreement with the float model %.0f%%", label, len(res.Model.Mapping.Cores), float64(spikes)/n, 100*agree)
		assert.GreaterOrEqual(t, agree, 0.8, label)
	}
}
