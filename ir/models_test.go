package ir

import (
	"math/rand/v2"
)

// Small models with every layer kind and every section, used by the tests and
// written to testdata/ by TestGoldenFiles -update.

func randFloats(r *rand.Rand, n int) []float32 {
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(r.NormFloat64() * 0.5)
	}
	return xs
}

func randInt16s(r *rand.Rand, n int, lim int) []int16 {
	xs := make([]int16, n)
	for i := range xs {
		xs[i] = int16(r.IntN(2*lim+1) - lim)
	}
	return xs
}

func lif() LIF { return LIF{Leak: 0.75, Threshold: 1, Reset: ResetZero} }

// testMLP is a float-only two-layer perceptron with provenance.
func testMLP() *Model {
	r := rand.New(rand.NewPCG(1, 2))
	return &Model{
		Name:      "mlp",
		Input:     Input{Shape: []int{16}, Encoding: EncodingDirect, Scale: 1.0 / 255},
		Timesteps: 8,
		Layers: []Layer{
			{Name: "fc1", Kind: KindDense, InShape: []int{16}, OutShape: []int{8},
				Weights: randFloats(r, 8*16), Bias: randFloats(r, 8), Neuron: lif()},
			{Name: "fc2", Kind: KindDense, InShape: []int{8}, OutShape: []int{3},
				Weights: randFloats(r, 3*8), Bias: randFloats(r, 3), Neuron: lif()},
		},
		Readout: Readout{Kind: ReadoutMeanCurrent},
		Provenance: &Provenance{
			Method: MethodASGL, Alphas: []float32{1.5}, NoiseP: 0.4, NoiseZeta: 0.8,
			Milestones: []int{10, 20}, Dataset: "mnist-subset", Epochs: 30, Seed: 1 << 40,
			TestAccuracy: 0.91, ToolVersion: "0.1.0-test",
		},
	}
}

// testConv is a conv → avgpool → flatten → dense network, quantized for a
// Loihi-like target and mapped onto three cores.
func testConv() *Model {
	r := rand.New(rand.NewPCG(3, 4))
	m := &Model{
		Name:      "conv",
		Input:     Input{Shape: []int{1, 6, 6}, Encoding: EncodingRate, Scale: 1},
		Timesteps: 4,
		Layers: []Layer{
			{Name: "conv1", Kind: KindConv2D, InShape: []int{1, 6, 6}, OutShape: []int{2, 6, 6},
				Weights: randFloats(r, 2*1*3*3), Bias: randFloats(r, 2),
				Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1},
				Neuron: LIF{Leak: 0.5, Threshold: 0.8, Reset: ResetSubtract}},
			{Name: "pool1", Kind: KindAvgPool, InShape: []int{2, 6, 6}, OutShape: []int{2, 3, 3},
				Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}},
			{Name: "flat", Kind: KindFlatten, InShape: []int{2, 3, 3}, OutShape: []int{18}},
			{Name: "fc", Kind: KindDense, InShape: []int{18}, OutShape: []int{4},
				Weights: randFloats(r, 4*18), Bias: randFloats(r, 4), Neuron: lif()},
		},
		Readout: Readout{Kind: ReadoutSpikeCount},
		Provenance: &Provenance{
			Method: MethodSG, Alphas: []float32{2, 2}, Dataset: "synthetic", Epochs: 2, Seed: 7,
			TestAccuracy: 0.5, ToolVersion: "0.1.0-test", Target: "loihi",
		},
	}
	m.Quantized = &Quantized{Target: "loihi", WeightBits: 8, Layers: []QuantLayer{
		{Weights: randInt16s(r, 18, 127), Bias: []int32{3, -5}, WeightExponent: -2, Scale: 64,
			Threshold: 200, BiasExponent: 1, DecayU: 4096, DecayV: 2048, Reset: ResetZero},
		{}, {},
		{Weights: randInt16s(r, 72, 127), Bias: []int32{1, 2, 3, -4}, WeightExponent: 0, Scale: 32,
			Threshold: 100, DecayU: 4096, DecayV: 1024},
	}}
	m.Mapping = &Mapping{
		Target: "loihi", Chips: 1, MeshWidth: 8, MeshHeight: 4, LowerBoundCores: 2,
		Cores: []Core{
			{Chip: 0, X: 0, Y: 0, Layer: 0, NeuronStart: 0, NeuronCount: 40, InputAxons: 36, SynapseBits: 40 * 9 * 8, OutputRoutes: 1},
			{Chip: 0, X: 1, Y: 0, Layer: 0, NeuronStart: 40, NeuronCount: 32, InputAxons: 36, SynapseBits: 32 * 9 * 8, OutputRoutes: 1},
			{Chip: 0, X: 2, Y: 1, Layer: 3, NeuronStart: 0, NeuronCount: 4, InputAxons: 72, SynapseBits: 72 * 8, OutputRoutes: 0},
		},
		Routes: []Route{{From: 0, To: 2, Hops: 3, Axons: 40}, {From: 1, To: 2, Hops: 2, Axons: 32}},
	}
	return m
}

// testRecurrent is a recurrent dense network quantized for a TrueNorth-like
// target (axon types, type weights) and mapped onto two chips.
func testRecurrent() *Model {
	r := rand.New(rand.NewPCG(5, 6))
	axonTypes := make([]uint8, 5)
	for i := range axonTypes {
		axonTypes[i] = uint8(i % 4)
	}
	return &Model{
		Name:      "recurrent",
		Input:     Input{Shape: []int{5}, Encoding: EncodingEvents, Scale: 1},
		Timesteps: 16,
		Layers: []Layer{
			{Name: "rnn", Kind: KindRecurrentDense, InShape: []int{5}, OutShape: []int{4},
				Weights: randFloats(r, 4*5), Recurrent: randFloats(r, 4*4), Bias: randFloats(r, 4),
				Neuron: LIF{Leak: 1, Threshold: 0.5, Reset: ResetNone}},
			{Name: "out", Kind: KindDense, InShape: []int{4}, OutShape: []int{2},
				Weights: randFloats(r, 2*4), Bias: randFloats(r, 2), Neuron: lif()},
		},
		Provenance: &Provenance{Method: MethodNone},
		Quantized: &Quantized{Target: "truenorth", WeightBits: 9, Layers: []QuantLayer{
			{Weights: randInt16s(r, 20, 255), Recurrent: randInt16s(r, 16, 255), Threshold: 7, NegThreshold: 3,
				Leak: 1, Reset: ResetNone, AxonTypes: axonTypes, TypeWeights: randInt16s(r, 16, 255)},
			{Weights: randInt16s(r, 8, 255), Threshold: 5, Leak: -2, Reset: ResetSubtract},
		}},
		Mapping: &Mapping{
			Target: "truenorth", Chips: 2, MeshWidth: 64, MeshHeight: 64, LowerBoundCores: 2,
			Cores: []Core{
				{Chip: 0, X: 63, Y: 63, Layer: 0, NeuronStart: 0, NeuronCount: 4, InputAxons: 9, SynapseBits: 36, OutputRoutes: 5},
				{Chip: 1, X: 0, Y: 0, Layer: 1, NeuronStart: 0, NeuronCount: 2, InputAxons: 4, SynapseBits: 8},
			},
			Routes: []Route{{From: 0, To: 1, Hops: 1 + 16, Axons: 4}, {From: 0, To: 0, Hops: 0, Axons: 4}},
		},
	}
}

// testGroupedSparse is a grouped conv → flatten → sparse → dense network
// quantized for a TrueNorth-like target.
func testGroupedSparse() *Model {
	r := rand.New(rand.NewPCG(7, 8))
	return &Model{
		Name:      "grouped-sparse",
		Input:     Input{Shape: []int{2, 4, 4}, Encoding: EncodingRate, Scale: 1.0 / 255},
		Timesteps: 4,
		Layers: []Layer{
			{Name: "conv1", Kind: KindConv2D, InShape: []int{2, 4, 4}, OutShape: []int{4, 3, 3},
				Weights: randFloats(r, 4*1*2*2), Bias: randFloats(r, 4), Groups: 2,
				Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Neuron: LIF{Leak: 1, Threshold: 1}},
			{Name: "flat", Kind: KindFlatten, InShape: []int{4, 3, 3}, OutShape: []int{36}},
			{Name: "split", Kind: KindSparse, InShape: []int{36}, OutShape: []int{3},
				RowStart: []int32{0, 2, 2, 5}, Cols: []int32{0, 35, 7, 8, 9},
				Weights: randFloats(r, 5), Bias: randFloats(r, 3), Neuron: LIF{Leak: 1, Threshold: 1}},
			{Name: "fc", Kind: KindDense, InShape: []int{3}, OutShape: []int{2},
				Weights: randFloats(r, 2*3), Bias: randFloats(r, 2), Neuron: lif()},
		},
		Quantized: &Quantized{Target: "truenorth", WeightBits: 9, Layers: []QuantLayer{
			{Weights: randInt16s(r, 16, 255), Bias: []int32{1, 2, 3, 4}, Threshold: 128, TypeWeights: randInt16s(r, 4*36, 255)},
			{},
			{Weights: randInt16s(r, 5, 255), Threshold: 1, AxonTypes: []uint8{0, 1, 0, 1, 2, 3, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1}},
			{Weights: randInt16s(r, 6, 255), Threshold: 5},
		}},
	}
}

// testModels are the golden models, by file name in testdata/.
var testModels = []struct {
	file string
	make func() *Model
}{
	{"mlp.snn", testMLP},
	{"conv.snn", testConv},
	{"recurrent.snn", testRecurrent},
	{"grouped-sparse.snn", testGroupedSparse},
	{"temporal.snn", testTemporal},
}

// testTemporal is a float current-based recurrent network (format fields
// added after the first golden files: current decay, max-potential readout).
func testTemporal() *Model {
	r := rand.New(rand.NewPCG(7, 8))
	cuba := LIF{Leak: 0.9, Threshold: 1, Reset: ResetSubtract, CurrentDecay: 0.8}
	return &Model{
		Name:      "temporal",
		Input:     Input{Shape: []int{6}, Encoding: EncodingEvents, Scale: 1},
		Timesteps: 100,
		Readout:   Readout{Kind: ReadoutMaxPotential},
		Layers: []Layer{
			{Name: "rec1", Kind: KindRecurrentDense, InShape: []int{6}, OutShape: []int{5},
				Weights: randFloats(r, 5*6), Recurrent: randFloats(r, 5*5), Bias: randFloats(r, 5), Neuron: cuba},
			{Name: "fc2", Kind: KindDense, InShape: []int{5}, OutShape: []int{3},
				Weights: randFloats(r, 3*5), Bias: randFloats(r, 3), Neuron: cuba},
		},
		Provenance: &Provenance{Method: MethodASGL, Alphas: []float32{0.4}, NoiseP: 0.5, NoiseZeta: 0.5, Dataset: "spoken-subset"},
	}
}
