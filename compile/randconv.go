package compile

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/snnc/snnc/ir"
)

// RandomConv returns an untrained convolutional model on side×side×1
// images, for tests: conv 1→4 (3×3, padding 1), 2×2 average pooling,
// conv 4→6 (3×3, stride s2, padding 1), 2×2 average pooling, flatten and a
// dense readout of 10; side must be a multiple of 4·s2. Weights are drawn
// from N(0, (gain/√fan-in)²), biases from N(0, 0.1²); leak γ = 0.9,
// threshold ϑ = 1, direct-current input, mean-current readout.
func RandomConv(side, s2, timesteps int, gain float64, seed uint64) *ir.Model {
	rng := rand.New(rand.NewPCG(seed, 7))
	m := &ir.Model{
		Name:       fmt.Sprintf("random-conv-%d", side),
		Input:      ir.Input{Shape: []int{1, side, side}, Encoding: ir.EncodingDirect, Scale: 1},
		Timesteps:  timesteps,
		Readout:    ir.Readout{Kind: ir.ReadoutMeanCurrent},
		Provenance: &ir.Provenance{Method: ir.MethodNone, Seed: seed},
	}
	lif := ir.LIF{Leak: 0.9, Threshold: 1, Reset: ir.ResetZero}
	fill := func(w []float32, fanIn int) {
		sigma := gain / math.Sqrt(float64(fanIn))
		for i := range w {
			w[i] = float32(rng.NormFloat64() * sigma)
		}
	}
	bias := func(n int) []float32 {
		b := make([]float32, n)
		for i := range b {
			b[i] = float32(rng.NormFloat64() * 0.1)
		}
		return b
	}
	conv := func(name string, in []int, oc, k, s, p int) ir.Layer {
		oh := (in[1]+2*p-k)/s + 1
		ow := (in[2]+2*p-k)/s + 1
		l := ir.Layer{Name: name, Kind: ir.KindConv2D, InShape: in, OutShape: []int{oc, oh, ow},
			Weights: make([]float32, oc*in[0]*k*k), Bias: bias(oc),
			Kernel: [2]int{k, k}, Stride: [2]int{s, s}, Padding: [2]int{p, p}, Neuron: lif}
		fill(l.Weights, in[0]*k*k)
		return l
	}
	pool := func(name string, in []int) ir.Layer {
		return ir.Layer{Name: name, Kind: ir.KindAvgPool, InShape: in, OutShape: []int{in[0], in[1] / 2, in[2] / 2},
			Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	}
	c1 := conv("conv1", []int{1, side, side}, 4, 3, 1, 1)
	p1 := pool("pool1", c1.OutShape)
	c2 := conv("conv2", p1.OutShape, 6, 3, s2, 1)
	p2 := pool("pool2", c2.OutShape)
	n := ir.ShapeSize(p2.OutShape)
	fl := ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: p2.OutShape, OutShape: []int{n}}
	fc := ir.Layer{Name: "fc1", Kind: ir.KindDense, InShape: []int{n}, OutShape: []int{10},
		Weights: make([]float32, 10*n), Bias: bias(10), Neuron: lif}
	fill(fc.Weights, n)
	m.Layers = []ir.Layer{c1, p1, c2, p2, fl, fc}
	return m
}
