package simcheck_test

import (
	"context"
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

// TestSimulatorMatchesEvalIntegerTrueNorthSplit: a grouped trinary model
// (as snnc train --target truenorth makes) compiles with a splitter layer
// and a host readout; on binary images the chip simulation, the compiler's
// integer reference and the float reference agree sample by sample, and
// every spike of the integer model is a spike on the simulated chip.
func TestSimulatorMatchesEvalIntegerTrueNorthSplit(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	const side, n, T = 16, 40, 5
	in := side * side
	set := &dataset.Set{Name: "binary", Channels: 1, Rows: side, Cols: side, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*in), Labels: make([]uint8, n)}}
	r := rand.New(rand.NewPCG(7, 8))
	for i := range set.Test.Images {
		if r.IntN(3) == 0 {
			set.Test.Images[i] = 255
		}
	}
	for i := range set.Test.Labels {
		set.Test.Labels[i] = uint8(r.IntN(10))
	}
	m := &ir.Model{Name: "grouped", Input: ir.Input{Shape: []int{1, side, side}, Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Timesteps: T, Readout: ir.Readout{Kind: ir.ReadoutMeanCurrent}}
	m.Layers = append(m.Layers, ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: []int{1, side, side}, OutShape: []int{in}})
	lif := ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}
	prev := in
	for l, h := range []int{300, 200} {
		w := make([]float32, h*prev)
		b := make([]float32, h)
		for g0 := 0; g0 < h; g0 += 50 {
			srcs := r.Perm(prev)[:100]
			for j := g0; j < g0+50; j++ {
				a := float32(10+r.IntN(30)) / 128
				for _, i := range srcs {
					switch r.IntN(3) {
					case 0:
						w[j*prev+i] = a
					case 1:
						w[j*prev+i] = -a
					}
				}
				b[j] = float32(r.IntN(21)-10) / 128
			}
		}
		m.Layers = append(m.Layers, ir.Layer{Name: []string{"fc1", "fc2"}[l], Kind: ir.KindDense, InShape: []int{prev}, OutShape: []int{h},
			Weights: w, Bias: b, Neuron: lif})
		prev = h
	}
	w := make([]float32, 10*prev)
	for i := range w {
		w[i] = float32(r.NormFloat64()) / 4
	}
	m.Layers = append(m.Layers, ir.Layer{Name: "out", Kind: ir.KindDense, InShape: []int{prev}, OutShape: []int{10},
		Weights: w, Bias: make([]float32, 10), Neuron: lif})

	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	require.Equal(t, "fc1.split", res.Model.Layers[2].Name)
	st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Workers: 2, Reference: true})
	require.NoError(t, err)
	assert.Equal(t, st.Samples, st.Agreeing, "chip and float reference agree on every sample")
	assert.Positive(t, matchInteger(t, res.Model, set, st, "truenorth split"))
	assert.Equal(t, T+4-1, st.Steps, "T + 4 layers − 1 ticks per sample")
}
