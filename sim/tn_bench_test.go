package sim

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// trueNorthSparseModel builds by hand a TrueNorth-style conv model:
//
//	28×28×1 rate input
//	→ conv1 16c5s2 (16×12×12 = 2304 neurons, on chip, fed by host spikes)
//	→ split: sparse splitter, one copy of conv1 neuron i for each output
//	  position of conv2 whose window holds it (16 positions × 16 channels ×
//	  25 taps = 6400 neurons, one synapse each, weight = threshold)
//	→ conv2: conv 32c5s2 in 2 groups (32×4×4 = 512 neurons) rewritten as a
//	  sparse layer over the copies (8 channels × 25 taps = 200 synapses each)
//	→ fc: dense readout 512 → 10 (mean current)
//
// with random weights, mapped 256 neurons per core in layer order on one
// chip with routes between all cores of consecutive layers.
func trueNorthSparseModel() (*ir.Model, *dataset.Set) {
	r := rand.New(rand.NewPCG(31, 32))
	const (
		c1, h1          = 16, 12 // conv1 output channels and side
		c2, h2, groups2 = 32, 4, 2
		k               = 5
		perGroupIn      = c1 / groups2
	)
	lif := ir.LIF{Leak: 1, Threshold: 1}
	conv1 := ir.Layer{Name: "conv1", Kind: ir.KindConv2D, InShape: []int{1, 28, 28}, OutShape: []int{c1, h1, h1},
		Kernel: [2]int{k, k}, Stride: [2]int{2, 2}, Weights: make([]float32, c1*k*k), Bias: make([]float32, c1), Neuron: lif}
	q1 := ir.QuantLayer{Weights: make([]int16, c1*k*k), Threshold: 6, Reset: ir.ResetZero}
	for i := range q1.Weights {
		q1.Weights[i] = int16(r.IntN(5) - 2) // −2..2
		conv1.Weights[i] = float32(q1.Weights[i])
	}
	// split: copy (p, ci, tap) of conv1 neuron (ci, y, x), CHW index
	split := ir.Layer{Name: "split", Kind: ir.KindSparse, InShape: []int{c1 * h1 * h1}, Neuron: lif}
	copyOf := map[[3]int]int{} // (conv2 position, input channel, tap) → copy
	for p := 0; p < h2*h2; p++ {
		oy, ox := p/h2, p%h2
		for ci := 0; ci < c1; ci++ {
			for t := 0; t < k*k; t++ {
				iy, ix := oy*2+t/k, ox*2+t%k
				copyOf[[3]int{p, ci, t}] = len(split.Cols)
				split.Cols = append(split.Cols, int32((ci*h1+iy)*h1+ix))
			}
		}
	}
	ns := len(split.Cols)
	split.OutShape = []int{ns}
	split.RowStart = make([]int32, ns+1)
	split.Weights = make([]float32, ns)
	for n := range ns {
		split.RowStart[n+1] = int32(n + 1)
		split.Weights[n] = 1
	}
	qs := ir.QuantLayer{Weights: make([]int16, ns), Threshold: 1, Reset: ir.ResetZero}
	for n := range qs.Weights {
		qs.Weights[n] = 1
	}
	// conv2 as a sparse layer over the copies, neuron (co, oy, ox) in CHW order
	conv2 := ir.Layer{Name: "conv2", Kind: ir.KindSparse, InShape: []int{ns}, OutShape: []int{c2 * h2 * h2},
		RowStart: []int32{0}, Bias: make([]float32, c2*h2*h2), Neuron: lif}
	for co := 0; co < c2; co++ {
		g := co / (c2 / groups2)
		for p := 0; p < h2*h2; p++ {
			for cg := 0; cg < perGroupIn; cg++ {
				for t := 0; t < k*k; t++ {
					conv2.Cols = append(conv2.Cols, int32(copyOf[[3]int{p, g*perGroupIn + cg, t}]))
				}
			}
			conv2.RowStart = append(conv2.RowStart, int32(len(conv2.Cols)))
		}
	}
	q2 := ir.QuantLayer{Weights: make([]int16, len(conv2.Cols)), Threshold: 6, Reset: ir.ResetZero}
	conv2.Weights = make([]float32, len(conv2.Cols))
	for i := range q2.Weights {
		q2.Weights[i] = int16(r.IntN(3) - 1)
		conv2.Weights[i] = float32(q2.Weights[i])
	}
	n2 := c2 * h2 * h2
	fc := ir.Layer{Name: "fc", Kind: ir.KindDense, InShape: []int{n2}, OutShape: []int{10},
		Weights: make([]float32, 10*n2), Bias: make([]float32, 10)}
	qf := ir.QuantLayer{Weights: make([]int16, 10*n2)}
	for i := range qf.Weights {
		qf.Weights[i] = int16(r.IntN(511) - 255)
		fc.Weights[i] = float32(qf.Weights[i])
	}
	m := &ir.Model{
		Name:      "truenorth-sparse",
		Input:     ir.Input{Shape: []int{1, 28, 28}, Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Timesteps: 8,
		Layers:    []ir.Layer{conv1, split, conv2, fc},
		Quantized: &ir.Quantized{Target: "truenorth", WeightBits: 2, Layers: []ir.QuantLayer{q1, qs, q2, qf}},
	}
	mp := &ir.Mapping{Target: "truenorth", Chips: 1, MeshWidth: 64, MeshHeight: 64}
	var prev []int
	for l := range m.Layers {
		var cores []int
		n := m.Layers[l].NumOutputs()
		for s := 0; s < n; s += 256 {
			pos := len(mp.Cores)
			cores = append(cores, pos)
			mp.Cores = append(mp.Cores, ir.Core{X: pos % 64, Y: pos / 64, Layer: l, NeuronStart: s, NeuronCount: min(256, n-s)})
		}
		for _, a := range prev {
			for _, b := range cores {
				mp.Routes = append(mp.Routes, ir.Route{From: a, To: b, Axons: mp.Cores[a].NeuronCount})
			}
		}
		prev = cores
	}
	m.Mapping = mp
	setHops(m)
	const samples = 200
	set := &dataset.Set{Name: "random", Channels: 1, Rows: 28, Cols: 28, Classes: 10,
		Test: dataset.Split{N: samples, Images: make([]uint8, samples*784), Labels: make([]uint8, samples)}}
	for i := range set.Test.Images {
		if r.IntN(5) == 0 { // about a fifth of the pixels lit, as MNIST
			set.Test.Images[i] = uint8(128 + r.IntN(128))
		}
	}
	return m, set
}

func BenchmarkTrueNorthSparse(b *testing.B) {
	m, set := trueNorthSparseModel()
	for _, workers := range []int{1, 0} {
		name := "workers=1"
		if workers == 0 {
			name = "workers=all"
		}
		b.Run(name, func(b *testing.B) {
			var st *Stats
			cpu0 := cpuSeconds()
			for b.Loop() {
				var err error
				st, err = Run(context.Background(), m, set, Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
			}
			cpu := (cpuSeconds() - cpu0) / float64(b.N)
			b.ReportMetric(float64(st.Total.SynapticOps)/cpu, "events/cpu-s")
			b.ReportMetric(st.EventsPerSecond(), "events/s")
			b.ReportMetric(float64(st.Total.SynapticOps)/float64(st.Samples), "synops/sample")
			b.ReportMetric(float64(st.Samples)/st.WallSeconds, "samples/s")
			for l := range st.PerLayer {
				n := float64(m.Layers[l].NumOutputs() * m.Timesteps * st.Samples)
				b.Logf("layer %d (%s): %.0f spikes/sample (rate %.3f), %.0f synaptic events/sample", l, m.Layers[l].Name,
					float64(st.PerLayer[l].Spikes)/float64(st.Samples), float64(st.PerLayer[l].Spikes)/n,
					float64(st.PerLayer[l].SynapticOps)/float64(st.Samples))
			}
		})
	}
}

// TestTrueNorthSparseModel checks the benchmark model's splitter: its
// weight equals its threshold, so every copy spikes exactly once for each
// spike of its source (splitter spikes = its synaptic events), and each
// copy reaches the 16 conv2 neurons of its group at its position.
func TestTrueNorthSparseModel(t *testing.T) {
	m, set := trueNorthSparseModel()
	set.Test.N = 4
	st, err := Run(context.Background(), m, set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	conv1, split, conv2 := st.PerLayer[0], st.PerLayer[1], st.PerLayer[2]
	t.Logf("per sample: conv1 %d spikes, splitter %d spikes, conv2 %d spikes, %d synaptic events",
		conv1.Spikes/4, split.Spikes/4, conv2.Spikes/4, st.Total.SynapticOps/4)
	if conv1.Spikes == 0 || conv2.Spikes == 0 {
		t.Fatalf("no activity: %+v", st.PerLayer)
	}
	if split.Spikes != split.SynapticOps {
		t.Fatalf("splitter: %d spikes, %d synaptic events", split.Spikes, split.SynapticOps)
	}
	if conv2.SynapticOps != 16*split.Spikes {
		t.Fatalf("conv2: %d synaptic events, want 16 × %d splitter spikes", conv2.SynapticOps, split.Spikes)
	}
}

// BenchmarkSimulateTrueNorthModels runs compiled models named in
// SNNC_TN_MODELS (paths separated by commas; skipped when unset) on the
// MNIST test set (SNNC_MNIST) as snnc simulate does: the chip with the
// float reference beside it, on every core. For example, the TrueNorth
// MNIST models of issue 19:
//
//	SNNC_MNIST=/data/mnist SNNC_TN_MODELS=speed-tn-dense.tn.snn,speed-tn-conv.tn.snn \
//	  go test -run XXX -bench SimulateTrueNorthModels -benchtime 2x ./sim/
func BenchmarkSimulateTrueNorthModels(b *testing.B) {
	list := os.Getenv("SNNC_TN_MODELS")
	if list == "" {
		b.Skip("SNNC_TN_MODELS not set")
	}
	set := loadMNIST(b)
	for _, path := range strings.Split(list, ",") {
		b.Run(filepath.Base(path), func(b *testing.B) {
			m, err := ir.ReadFile(path)
			if err != nil {
				b.Fatal(err)
			}
			var st *Stats
			cpu0 := cpuSeconds()
			for b.Loop() {
				if st, err = Run(context.Background(), m, set, Options{Reference: true}); err != nil {
					b.Fatal(err)
				}
			}
			reportRun(b, st, (cpuSeconds()-cpu0)/float64(b.N), true)
		})
	}
}
