package sim

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// mnistDir is the shared MNIST copy (from sim/: ../../shared/data/mnist),
// or $SNNC_MNIST.
func mnistDir() string {
	if d := os.Getenv("SNNC_MNIST"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "shared", "data", "mnist")
}

func loadMNIST(tb testing.TB) *dataset.Set {
	tb.Helper()
	dir := mnistDir()
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("MNIST not found at %s: %v", dir, err)
	}
	set, err := dataset.Load(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return set
}

// randomFloatModel is a float MLP with random weights (direct-current
// input, γ = 0.9, ϑ = 1, mean-current readout).
func randomFloatModel(r *rand.Rand, sizes []int, T int) *ir.Model {
	m := &ir.Model{
		Name:      "random-mlp",
		Input:     ir.Input{Shape: []int{sizes[0]}, Encoding: ir.EncodingDirect, Scale: 1.0 / 255},
		Timesteps: T,
	}
	for l := 1; l < len(sizes); l++ {
		in, out := sizes[l-1], sizes[l]
		fl := ir.Layer{Name: "fc" + string(rune('0'+l)), Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{out},
			Weights: make([]float32, in*out), Bias: make([]float32, out), Neuron: ir.LIF{Leak: 0.9, Threshold: 1}}
		sd := 1 / math.Sqrt(float64(in))
		for i := range fl.Weights {
			fl.Weights[i] = float32(r.NormFloat64() * sd)
		}
		for j := range fl.Bias {
			fl.Bias[j] = float32(r.NormFloat64() * 0.05)
		}
		m.Layers = append(m.Layers, fl)
	}
	return m
}

// calibrate scales each hidden layer's weights and biases so that it fires
// at about rate (spikes per neuron per step) on the first samples of set.
func calibrate(tb testing.TB, m *ir.Model, set *dataset.Set, rate float64) {
	tb.Helper()
	for l := 0; l < len(m.Layers)-1; l++ {
		lay := &m.Layers[l]
		w0 := append([]float32(nil), lay.Weights...)
		b0 := append([]float32(nil), lay.Bias...)
		lo, hi := 0.01, 100.0
		for range 24 {
			g := math.Sqrt(lo * hi)
			for i := range w0 {
				lay.Weights[i] = w0[i] * float32(g)
			}
			for j := range b0 {
				lay.Bias[j] = b0[j] * float32(g)
			}
			st, err := RunFloat(context.Background(), m, set, Options{Limit: 100})
			if err != nil {
				tb.Fatal(err)
			}
			got := float64(st.PerLayer[l].Spikes) / float64(st.Samples*m.Timesteps*lay.NumOutputs())
			if got < rate {
				lo = g
			} else {
				hi = g
			}
		}
	}
}

// handCompile quantizes a float MLP for Loihi the simple way and maps it
// one core per perCore neurons, all routes between consecutive layers:
//
//	weights: q = round(W·S), S = 255/max|W|, e = 0, Scale = 64·S
//	threshold: Vth = ⌊(ϑ·Scale − 1)/64⌋ (v > Vth·64 ⇔ v ≥ ϑ·Scale)
//	bias: mantissa and exponent of round(b·Scale) with |mantissa| ≤ 4095
//	DecayU = 4096 (u is this step's input), DecayV = round(4096·(1−γ))
//	first layer (direct input): Scale = 2^16/ϑ, bias computed by the host.
func handCompile(m *ir.Model, perCore int) *ir.Model {
	c := *m
	q := &ir.Quantized{Target: "loihi", WeightBits: 8}
	for l := range m.Layers {
		fl := &m.Layers[l]
		maxW := float32(0)
		for _, w := range fl.Weights {
			maxW = max(maxW, float32(math.Abs(float64(w))))
		}
		S := 255 / float64(maxW)
		scale := 64 * S
		if l == 0 {
			scale = 65536 / float64(fl.Neuron.Threshold)
		}
		ql := ir.QuantLayer{Weights: make([]int16, len(fl.Weights)), Scale: float32(scale), DecayU: 4096,
			DecayV: int32(math.Round(4096 * (1 - float64(fl.Neuron.Leak))))}
		for i, w := range fl.Weights {
			ql.Weights[i] = int16(math.Round(float64(w) * S))
		}
		ql.Threshold = int32(math.Floor((float64(fl.Neuron.Threshold)*scale - 1) / 64))
		if l > 0 {
			ql.Bias = make([]int32, len(fl.Bias))
			maxB := 0.0
			for _, b := range fl.Bias {
				maxB = max(maxB, math.Abs(float64(b)*scale))
			}
			for maxB/math.Exp2(float64(ql.BiasExponent)) > 4095 {
				ql.BiasExponent++
			}
			for j, b := range fl.Bias {
				ql.Bias[j] = int32(math.Round(float64(b) * scale / math.Exp2(float64(ql.BiasExponent))))
			}
		}
		q.Layers = append(q.Layers, ql)
	}
	c.Quantized = q
	mp := &ir.Mapping{Target: "loihi", Chips: 1, MeshWidth: 16, MeshHeight: 8}
	var prev []int
	pos := 0
	for l := range m.Layers {
		var cores []int
		n := m.Layers[l].NumOutputs()
		for s := 0; s < n; s += perCore {
			cores = append(cores, len(mp.Cores))
			mp.Cores = append(mp.Cores, ir.Core{X: pos % 16, Y: pos / 16, Layer: l, NeuronStart: s, NeuronCount: min(perCore, n-s)})
			pos++
		}
		for _, a := range prev {
			for _, b := range cores {
				mp.Routes = append(mp.Routes, ir.Route{From: a, To: b, Axons: mp.Cores[a].NeuronCount})
			}
		}
		prev = cores
	}
	c.Mapping = mp
	setHops(&c)
	return &c
}

// mnistModel is the benchmark model: 784-512-512-10, T = 8, hidden layers
// firing at about 15%, hand-compiled for Loihi with 128 neurons per core.
func mnistModel(tb testing.TB, set *dataset.Set) *ir.Model {
	r := rand.New(rand.NewPCG(7, 8))
	m := randomFloatModel(r, []int{784, 512, 512, 10}, 8)
	calibrate(tb, m, set, 0.15)
	return handCompile(m, 128)
}

func BenchmarkSimulateMNIST(b *testing.B) {
	set := loadMNIST(b)
	m := mnistModel(b, set)
	for _, c := range []struct {
		name   string
		ref    bool
		timing string
	}{{"chip", false, ""}, {"chip+reference", true, ""}, {"chip-queue-timing", false, TimingQueue}, {"chip-simple-timing", false, TimingSimple}} {
		ref, timing := c.ref, c.timing
		b.Run(c.name, func(b *testing.B) {
			var st *Stats
			cpu0 := cpuSeconds()
			for b.Loop() {
				var err error
				st, err = Run(context.Background(), m, set, Options{Reference: ref, Timing: timing})
				if err != nil {
					b.Fatal(err)
				}
			}
			reportRun(b, st, (cpuSeconds()-cpu0)/float64(b.N), ref)
		})
	}
}

// reportRun reports a benchmark's simulation figures: st of the last run,
// cpu seconds per run, ref whether the float reference ran beside the
// chip.
func reportRun(b *testing.B, st *Stats, cpu float64, ref bool) {
	// events per CPU second is what the simulator achieves per core
	// whatever else the machine runs; wall-clock events/s needs idle
	// cores.
	b.ReportMetric(float64(st.Total.SynapticOps)/cpu, "events/cpu-s")
	b.ReportMetric(st.EventsPerSecond(), "events/s")
	b.ReportMetric(st.WallSeconds, "s/testset")
	b.ReportMetric(float64(st.Total.SynapticOps)/float64(st.Samples), "synops/sample")
	b.ReportMetric(st.LatencyPerSample*1e6, "chip-µs/sample")
	if ref {
		b.ReportMetric(st.Agreement()*100, "%agree")
	}
	for l := range st.PerLayer {
		b.Logf("layer %d: %.1f spikes/sample", l, float64(st.PerLayer[l].Spikes)/float64(st.Samples))
	}
}

// cpuSeconds is the user+system CPU time of the process.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
