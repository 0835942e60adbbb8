package nir_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/ir/nir"
	"github.com/snnc/snnc/sim"
)

// TestConv1d: a Conv1d (stride 2, padding 2, dilation 2) imports as a
// Conv2D over [C,1,L] whose currents equal the 1-D convolution written out.
func TestConv1d(t *testing.T) {
	const C, L, O, K, S, P, D = 2, 11, 3, 3, 2, 2, 2
	r := rand.New(rand.NewPCG(9, 9))
	w := make([]float64, O*C*K)
	for i := range w {
		w[i] = r.Float64()*2 - 1
	}
	bias := []float64{0.1, -0.2, 0.3}
	LO := (L+2*P-D*(K-1)-1)/S + 1
	big := make([]float64, O*LO)
	ones := make([]float64, O*LO)
	for i := range big {
		big[i], ones[i] = 1e9, 1
	}
	nodes := map[string]tnode{
		"in":   {typ: "Input", params: map[string]tparam{"shape": {[]int{2}, []int64{C, L}}}},
		"conv": {typ: "Conv1d", params: map[string]tparam{"weight": {[]int{O, C, K}, w}, "bias": vec(bias...), "stride": {[]int{1}, []int64{S}}, "padding": {[]int{1}, []int64{P}}, "dilation": {[]int{1}, []int64{D}}, "groups": {nil, int64(1)}, "input_shape": {[]int{1}, []int64{L}}}},
		"if":   {typ: "IF", params: map[string]tparam{"r": {[]int{O, LO}, ones}, "v_threshold": {[]int{O, LO}, big}}},
		"out":  {typ: "Output", params: map[string]tparam{"shape": {[]int{2}, []int64{O, int64(LO)}}}},
	}
	f, err := nir.Decode("conv1d.nir", writeGraph(t, nodes, []string{"in", "conv", "conv", "if", "if", "out"}))
	if err != nil {
		t.Fatal(err)
	}
	m, err := nir.Import(f, nir.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, C*L)
	for i := range x {
		x[i] = float32(r.IntN(2))
	}
	tr, err := sim.TraceFloat(m, [][]float32{x})
	if err != nil {
		t.Fatal(err)
	}
	for o := range O {
		for p := range LO {
			want := bias[o]
			for c := range C {
				for k := range K {
					if i := p*S - P + k*D; i >= 0 && i < L {
						want += w[(o*C+c)*K+k] * float64(x[c*L+i])
					}
				}
			}
			if got := float64(tr.Potential[0][o*LO+p]); math.Abs(got-want) > 1e-5 {
				t.Errorf("channel %d position %d: current %v, want %v", o, p, got, want)
			}
		}
	}
}
