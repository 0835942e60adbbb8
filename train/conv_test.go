package train

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

// denseEquivalent probes a parameter-free (or bias-zeroed) linear layer with
// unit inputs and returns its Out×In matrix.
func denseEquivalent(ly Layer) [][]float64 {
	in, out := shapeSize(ly.InShape()), shapeSize(ly.OutShape())
	x := newActs(1, 1, in, false)
	y := newActs(1, 1, out, false)
	m := make([][]float64, out)
	for o := range m {
		m[o] = make([]float64, in)
	}
	for i := 0; i < in; i++ {
		clear(x.Val)
		x.Val[i] = 1
		ly.Forward(x, y, 0, 1)
		for o := 0; o < out; o++ {
			m[o][i] = float64(y.Val[o])
		}
	}
	return m
}

func TestConvAndPoolMatchTheirMatrices(t *testing.T) {
	r := newRNG(5)
	for _, tc := range []struct {
		name string
		ly   Layer
	}{
		{"conv k3 s1 p0", NewConv2D("c", []int{2, 6, 7}, 3, 3, 1, 0)},
		{"conv k3 s1 p1", NewConv2D("c", []int{2, 6, 7}, 3, 3, 1, 1)},
		{"conv k3 s2 p1", NewConv2D("c", []int{2, 7, 6}, 2, 3, 2, 1)},
		{"conv k5 s1 p2", NewConv2D("c", []int{1, 8, 8}, 2, 5, 1, 2)},
		{"conv 9 channels to 16 k3 s1 p1", NewConv2D("c", []int{9, 5, 6}, 16, 3, 1, 1)},
		{"conv 3 channels to 32 k3 s2 p1", NewConv2D("c", []int{3, 7, 6}, 32, 3, 2, 1)},
		{"pool k2", NewAvgPool("p", []int{2, 6, 6}, 2, 2, 0)},
		{"pool k3 s2 p1", NewAvgPool("p", []int{2, 7, 7}, 3, 2, 1)},
		{"pool k2 odd side", NewAvgPool("p", []int{2, 7, 5}, 2, 2, 0)},
		{"pool k2, four windows a row, ragged sides", NewAvgPool("p", []int{2, 9, 17}, 2, 2, 0)},
		{"pool k3 tiles, ragged sides", NewAvgPool("p", []int{2, 7, 8}, 3, 3, 0)},
	} {
		for _, sparse := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s sparse=%v", tc.name, sparse), func(t *testing.T) { checkAgainstMatrix(t, r, tc.ly, sparse) })
		}
	}
}

// checkAgainstMatrix compares a layer's forward pass, input gradient and
// parameter gradient with its dense matrix, on an input given as values
// only or with its sparse index lists.
func checkAgainstMatrix(t *testing.T, r *rng, ly Layer, sparse bool) {
	{
		{
			ly.Init(r)
			var bias []float32
			if c, ok := ly.(*Conv2D); ok {
				bias = append(bias, c.b.W...)
				clear(c.b.W)
			}
			m := denseEquivalent(ly)
			if c, ok := ly.(*Conv2D); ok {
				copy(c.b.W, bias)
			}
			in, out := shapeSize(ly.InShape()), shapeSize(ly.OutShape())
			const B, T = 2, 3
			x := newActs(B, T, in, sparse)
			for i := range x.Val {
				if r.r.IntN(3) == 0 {
					x.Val[i] = r.uniform(-1, 1)
				}
			}
			if sparse {
				x.index(0, B)
			}
			y := newActs(B, T, out, false)
			ly.Forward(x, y, 0, B)
			g := newActs(B, T, out, false)
			for i := range g.Val {
				if r.r.IntN(2) == 0 {
					g.Val[i] = r.uniform(-1, 1)
				}
			}
			gi := newActs(B, T, in, false)
			ly.BackwardInput(g, gi, nil, 0, B)
			for b := 0; b < B; b++ {
				for tt := 0; tt < T; tt++ {
					xr, yr, gr, gir := x.Row(b, tt), y.Row(b, tt), g.Row(b, tt), gi.Row(b, tt)
					for o := 0; o < out; o++ {
						want := 0.0
						if bias != nil {
							want = float64(bias[o/(out/len(bias))])
						}
						for i := 0; i < in; i++ {
							want += m[o][i] * float64(xr[i])
						}
						require.InDelta(t, want, float64(yr[o]), 1e-5, "forward")
					}
					for i := 0; i < in; i++ {
						want := 0.0
						for o := 0; o < out; o++ {
							want += m[o][i] * float64(gr[o])
						}
						require.InDelta(t, want, float64(gir[i]), 1e-5, "input gradient")
					}
				}
			}
			c, ok := ly.(*Conv2D)
			if !ok {
				return
			}
			for k := 0; k < c.GradBlocks(); k++ {
				c.AccumGrad(k, x, g, B)
			}
			// L = Σ g·y is linear in each parameter: a unit step changes it
			// by exactly the gradient.
			lossOf := func() float64 {
				c.Forward(x, y, 0, B)
				var l float64
				for i := range y.Val {
					l += float64(y.Val[i]) * float64(g.Val[i])
				}
				return l
			}
			base := lossOf()
			for _, p := range c.Params() {
				for j := range p.W {
					p.W[j]++
					d := lossOf() - base
					p.W[j]--
					require.InDelta(t, d, float64(p.G[j]), 1e-3*math.Max(1, math.Abs(d)), "%s[%d]", p.Name, j)
				}
			}
		}
	}
}

func TestConvNetworkTrainsAndFreezes(t *testing.T) {
	cfg := smallConfig()
	cfg.Arch, cfg.Epochs = "28x28x1-4c5s2p2-p2-8c3p1-10", 2
	tr, b := trainModel(t, cfg)
	_, b2 := trainModel(t, cfg)
	require.Equal(t, b, b2, "conv training is deterministic")
	m, err := ir.Decode(b)
	require.NoError(t, err)
	kinds := []ir.LayerKind{}
	for _, l := range m.Layers {
		kinds = append(kinds, l.Kind)
	}
	require.Equal(t, []ir.LayerKind{ir.KindConv2D, ir.KindAvgPool, ir.KindConv2D, ir.KindFlatten, ir.KindDense}, kinds)
	got, err := Evaluate(m, tr.Data.Test)
	require.NoError(t, err)
	require.Equal(t, tr.History[1].TestAcc, got)
	require.Greater(t, got, 0.4)
	requireSimAgrees(t, tr, b)
}
