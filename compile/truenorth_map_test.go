package compile

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// GroupedTrueNorth is a random model shaped like snnc train --target
// truenorth's: rate input of in values, hidden layers whose neurons come in
// groups of group neurons sharing src random sources, trinary weights
// ±k_j/128 per neuron, biases m_j/128, γ = 1, ϑ = 1, and a dense readout.
func groupedTrueNorth(in int, hidden []int, group, src, classes, T int, seed uint64) *ir.Model {
	r := rand.New(rand.NewPCG(seed, 11))
	m := &ir.Model{Name: "grouped", Input: ir.Input{Shape: []int{in}, Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Timesteps: T, Readout: ir.Readout{Kind: ir.ReadoutMeanCurrent}}
	lif := ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}
	prev := in
	for l, h := range hidden {
		w := make([]float32, h*prev)
		b := make([]float32, h)
		for g0 := 0; g0 < h; g0 += group {
			srcs := r.Perm(prev)[:min(src, prev)]
			for j := g0; j < min(h, g0+group); j++ {
				a := float32(8+r.IntN(40)) / 128
				for _, i := range srcs {
					switch r.IntN(3) {
					case 0:
						w[j*prev+i] = a
					case 1:
						w[j*prev+i] = -a
					}
				}
				b[j] = float32(r.IntN(41)-20) / 128
			}
		}
		m.Layers = append(m.Layers, ir.Layer{Name: "fc" + string(rune('1'+l)), Kind: ir.KindDense, InShape: []int{prev}, OutShape: []int{h},
			Weights: w, Bias: b, Neuron: lif})
		prev = h
	}
	w := make([]float32, classes*prev)
	for i := range w {
		w[i] = float32(r.NormFloat64()) / 8
	}
	m.Layers = append(m.Layers, ir.Layer{Name: "out", Kind: ir.KindDense, InShape: []int{prev}, OutShape: []int{classes},
		Weights: w, Bias: make([]float32, classes), Neuron: lif})
	return m
}

func TestTrueNorthSplitPath(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	m := groupedTrueNorth(300, []int{400, 300}, 50, 100, 10, 6, 1)
	before := len(m.Layers)
	w0 := append([]float32(nil), m.Layers[1].Weights...)
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	var buf bytes.Buffer
	res.Report.WriteText(&buf)
	t.Log("\n" + buf.String())
	// the input model is untouched
	require.Len(t, m.Layers, before)
	require.Equal(t, w0, m.Layers[1].Weights)

	cm := res.Model
	names := []string{}
	for _, l := range cm.Layers {
		names = append(names, l.Name)
	}
	require.Equal(t, []string{"fc1", "fc1.split", "fc2", "out"}, names, "a splitter layer between the hidden layers, none before the host readout")
	assert.Contains(t, buf.String(), "host-side")
	assert.Contains(t, buf.String(), "splitter neurons")

	// every core within the core limits, every on-chip neuron one target
	mp := cm.Mapping
	for c, core := range mp.Cores {
		if core.Layer == 3 {
			assert.Zero(t, core.InputAxons, "host readout")
			continue
		}
		assert.LessOrEqual(t, core.NeuronCount, 256, "core %d", c)
		assert.LessOrEqual(t, core.InputAxons, 256, "core %d", c)
		assert.Positive(t, core.InputAxons, "core %d", c)
	}
	assert.GreaterOrEqual(t, len(mp.Cores), mp.LowerBoundCores)
	// each splitter neuron copies exactly one source; each source's copies
	// sit on one core, so every fc1 neuron has one target
	sp := &cm.Layers[1]
	require.Equal(t, ir.KindSparse, sp.Kind)
	perCopy := make([]int, sp.NumOutputs())
	ir.EachSynapse(sp, func(_, c, w int) {
		perCopy[c]++
		assert.Equal(t, float32(1), sp.Weights[w])
	})
	for c, n := range perCopy {
		require.Equal(t, 1, n, "splitter %d", c)
	}
	targetsOf := map[int]map[int]bool{}
	for _, rt := range mp.Routes {
		if mp.Cores[rt.From].Layer == 0 {
			if targetsOf[rt.From] == nil {
				targetsOf[rt.From] = map[int]bool{}
			}
			targetsOf[rt.From][rt.To] = true
		}
	}
	assert.NotEmpty(t, targetsOf)
	// fc2's inputs are typed copies: one sign per copy, type 0 for +, 1 for −
	q2 := &cm.Quantized.Layers[2]
	require.Equal(t, ir.KindSparse, cm.Layers[2].Kind, "fc2 reads the copies")
	ir.EachSynapse(&cm.Layers[2], func(i, j, k int) {
		if w := q2.Weights[k]; w != 0 {
			require.Equal(t, w, q2.TypeWeights[4*j+int(q2.AxonTypes[i])])
			require.Equal(t, w < 0, q2.AxonTypes[i] == 1)
		}
	})
	// exact: weights on the 1/128 grid, α = ϑ·S
	for _, li := range []int{0, 1, 2} {
		ql := &cm.Quantized.Layers[li]
		assert.Equal(t, float64(ql.Threshold), float64(ql.Scale), "layer %d: ϑ = 1", li)
	}
	assert.Empty(t, res.Report.Warnings)

	// the integer model is the input float one, spike for spike
	ev, err := NewInteger(cm)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(2, 2))
	for s := 0; s < 40; s++ {
		x := spikeTrains(rng, cm.Timesteps*300, 4)
		fp, fout, fspikes := evalFloat(m, x) // the input model, without splitters
		r, err := ev.Run(x)
		require.NoError(t, err)
		require.Equal(t, fp, r.Pred, "sample %d", s)
		require.Equal(t, fspikes[0], r.Spikes[0], "sample %d: fc1 spikes", s)
		require.Equal(t, fspikes[1], r.Spikes[2], "sample %d: fc2 spikes", s)
		// the readout currents agree to the readout's rounding
		sc := float64(cm.Quantized.Layers[3].Scale)
		for k := range fout {
			assert.InDelta(t, fout[k]*sc, float64(r.Out[k]), 0.5*float64(cm.Timesteps)*300/8+1)
		}
		assert.GreaterOrEqual(t, r.Spikes[1], r.Spikes[0], "splitters fire once per (source spike, target core, sign)")
	}
}

func TestTrueNorthSplitNotNeeded(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	// one hidden layer: its neurons' only target is the host
	m := groupedTrueNorth(500, []int{600}, 100, 120, 10, 4, 3)
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	require.Len(t, res.Model.Layers, 2)
	assert.Equal(t, 7, res.Report.Cores, "6 hidden cores of 100 neurons, 240 axons each, and the host readout")
	assert.Equal(t, 1, res.Report.LowerBoundCores-res.Report.Layers[0].LowerBound)
}

func TestTrueNorthSplitRefusals(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	m := groupedTrueNorth(600, []int{400}, 50, 450, 10, 4, 4)
	m.Layers[0].Weights[5] = 0.75 // a third value in neuron 0's row
	m.Layers[0].Neuron.Leak = 0.5
	_, err = Compile(m, tg, Options{})
	require.Error(t, err)
	msg := err.Error()
	t.Log(msg)
	for _, s := range []string{
		"layer 0 (fc1): fan-in: a neuron needs 3", // about ⅔ of 450
		"input axons, a truenorth core has 256",
		"layer 0 (fc1): axon types: neuron 0 has 2 distinct positive and 1 distinct negative weights",
		"leak γ = 0.5 is multiplicative",
		"retrain with snnc train --target truenorth",
	} {
		assert.Contains(t, msg, s)
	}
	assert.Equal(t, 3, strings.Count(msg, "compile: layer"))
}
