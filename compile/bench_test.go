package compile

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/snnc/snnc/ir"
)

// largeSizes is a 104 M-synapse network: 784-4096×7-10. (A 784-8192-… net
// does not fit Loihi at all: a neuron with 8192 inputs needs 8192 input
// axons on its core, which has 4096 — see TestLargeFanInRefused.)
var largeSizes = []int{784, 4096, 4096, 4096, 4096, 4096, 4096, 4096, 10}

var (
	largeOnce  sync.Once
	largeModel *ir.Model
)

func large() *ir.Model {
	largeOnce.Do(func() { largeModel = RandomDense(largeSizes, 8, 1) })
	return largeModel
}

func synapses(m *ir.Model) int64 {
	var n int64
	for i := range m.Layers {
		n += int64(len(m.Layers[i].Weights))
	}
	return n
}

// BenchmarkCompileLarge compiles a ≥ 100 M-synapse model for multi-chip
// Loihi (run: go test -run XXX -bench CompileLarge -benchmem ./compile/).
func BenchmarkCompileLarge(b *testing.B) {
	m := large()
	tg := loihi(b)
	b.ResetTimer()
	var res *Result
	for i := 0; i < b.N; i++ {
		var err error
		res, err = Compile(m, tg, Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	r := res.Report
	b.ReportMetric(float64(synapses(m))/1e6, "Msynapses")
	b.ReportMetric(float64(r.Cores), "cores")
	b.ReportMetric(float64(r.LowerBoundCores), "bound")
	b.ReportMetric(float64(r.Chips), "chips")
	b.ReportMetric(r.SpikeHops/r.GreedySpikeHops, "hops/greedy")
	for _, p := range r.Passes {
		b.Logf("%-9s %.3fs", p.Name, p.Seconds)
	}
}

// BenchmarkCompileMNIST compiles 784-512-512-10 (spike input) for Loihi.
func BenchmarkCompileMNIST(b *testing.B) {
	m := RandomDense([]int{784, 512, 512, 10}, 8, 1)
	m.Input.Encoding = ir.EncodingRate
	tg := loihi(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(m, tg, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkQuantize784 is the quantizer alone on the MNIST-shaped network.
func BenchmarkQuantize784(b *testing.B) {
	m := RandomDense([]int{784, 512, 512, 10}, 8, 1)
	tg := loihi(b)
	s := &state{m: m, t: tg, b: tg.Backend(), report: &Report{}}
	if err := fold(s); err != nil {
		b.Fatal(err)
	}
	if err := checkLimits(s); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := quantize(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvCompileMNIST compiles the MNIST conv net
// 28x28x1-16c5-p2-32c5-p2-10 (random weights, direct-current input) for
// Loihi: the pooling folds, then the choice of each conv layer's mapping
// order (convorder.go) dominates. It logs the cores per layer and order.
func BenchmarkConvCompileMNIST(b *testing.B) {
	rng := rand.New(rand.NewPCG(28, 16))
	w := func(int) float32 { return float32(rng.NormFloat64() / 10) }
	pool := func(in []int) ir.Layer {
		return ir.Layer{Name: "pool", Kind: ir.KindAvgPool, InShape: in, OutShape: []int{in[0], in[1] / 2, in[2] / 2},
			Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	}
	c1 := convLayer(1, 28, 28, 16, 5, 1, 0, 1, w)
	c2 := convLayer(16, 12, 12, 32, 5, 1, 0, 1, w)
	c1.Name, c2.Name = "conv1", "conv2"
	p1, p2 := pool(c1.OutShape), pool(c2.OutShape)
	fc := ir.Layer{Name: "fc1", Kind: ir.KindDense, InShape: []int{512}, OutShape: []int{10},
		Weights: make([]float32, 5120), Bias: make([]float32, 10), Neuron: c1.Neuron}
	for i := range fc.Weights {
		fc.Weights[i] = w(i)
	}
	m := &ir.Model{Name: "conv-mnist", Input: ir.Input{Shape: []int{1, 28, 28}, Encoding: ir.EncodingDirect, Scale: 1.0 / 255},
		Timesteps: 4, Readout: ir.Readout{Kind: ir.ReadoutMeanCurrent}, Provenance: &ir.Provenance{Method: ir.MethodNone},
		Layers: []ir.Layer{*c1, p1, *c2, p2, {Name: "flatten", Kind: ir.KindFlatten, InShape: p2.OutShape, OutShape: []int{512}}, fc}}
	tg := loihi(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Compile(m, tg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if i == 0 {
			for _, l := range res.Report.Layers {
				b.Logf("%-6s %3d cores (bound %d) %s", l.Name, l.Cores, l.LowerBound, l.MapOrder)
			}
		}
	}
}

// BenchmarkConvCompileDeep compiles the deep conv net
// 28x28x1-32c3p1-32c3p1-p2-64c3p1-64c3s2p1-10 of TestDeepConvNetJointOrders
// (random weights) for Loihi without placement: the joint choice of the
// conv layers' mapping orders (partition, convorder.go) dominates.
func BenchmarkConvCompileDeep(b *testing.B) {
	m := deepConvNet(3)
	tg := loihi(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(m, tg, Options{PlaceIters: -1}); err != nil {
			b.Fatal(err)
		}
	}
}
