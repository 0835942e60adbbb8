package compile

import (
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
