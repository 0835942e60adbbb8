package compile

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/snnc/snnc/ir"
)

// RandomDense returns an untrained dense model with the given layer sizes
// (sizes[0] is the input), for tests and benchmarks: weights drawn from
// N(0, (2/√in)²), biases from N(0, 0.1²), leak γ = 0.9, threshold ϑ = 1,
// direct-current input, mean-current readout. It is deterministic for a
// seed and fills large layers in parallel.
func RandomDense(sizes []int, timesteps int, seed uint64) *ir.Model {
	m := &ir.Model{
		Name:       fmt.Sprintf("random-%v", sizes),
		Input:      ir.Input{Shape: []int{sizes[0]}, Encoding: ir.EncodingDirect, Scale: 1},
		Timesteps:  timesteps,
		Readout:    ir.Readout{Kind: ir.ReadoutMeanCurrent},
		Provenance: &ir.Provenance{Method: ir.MethodNone, Seed: seed},
	}
	for k := 1; k < len(sizes); k++ {
		in, out := sizes[k-1], sizes[k]
		l := ir.Layer{Name: fmt.Sprintf("fc%d", k), Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{out},
			Weights: make([]float32, in*out), Bias: make([]float32, out),
			Neuron: ir.LIF{Leak: 0.9, Threshold: 1, Reset: ir.ResetZero}}
		sigma := 2 / math.Sqrt(float64(in))
		parallelRows(out, func(j0, j1 int) {
			for j := j0; j < j1; j++ {
				rng := rand.New(rand.NewPCG(seed, uint64(k)<<32|uint64(j)))
				row := l.Weights[j*in : (j+1)*in]
				for i := range row {
					row[i] = float32(rng.NormFloat64() * sigma)
				}
				l.Bias[j] = float32(rng.NormFloat64() * 0.1)
			}
		})
		m.Layers = append(m.Layers, l)
	}
	return m
}

// RandomRecurrentCore returns an untrained model in the shape of a
// recurrent-core chip (Xylo), for tests and benchmarks: in event inputs,
// a recurrent hidden layer of h neurons and a dense readout of out neurons
// read by their maximum potential, T steps. Its weights lie on the 8-bit
// grid the quantizer expects (integers k·Δ, |k| ≤ 127, Δ = max|w|/127 per
// layer, hidden input and recurrent weights together), about a third of
// the recurrent ones zero; γ = 0.875 and β_c = 0.75 in the hidden layer
// (dashes 3 and 2), 0.9375 and 0.5 in the readout, ϑ = 1, reset by
// subtraction with several spikes per step, no bias. It is deterministic for a seed.
func RandomRecurrentCore(in, h, out, T int, seed uint64) *ir.Model {
	rng := rand.New(rand.NewPCG(seed, 0x78796c6f))
	grid := func(n int, scale float64, zeros float64) []float32 {
		w := make([]float32, n)
		delta := scale / 127
		for i := range w {
			if rng.Float64() < zeros {
				continue
			}
			w[i] = float32(float64(rng.IntN(255)-127) * delta)
		}
		if n > 0 {
			w[0] = float32(127 * delta) // the largest magnitude sets Δ
		}
		return w
	}
	m := &ir.Model{
		Name:       fmt.Sprintf("random-recurrent-%d-%d-%d", in, h, out),
		Input:      ir.Input{Shape: []int{in}, Encoding: ir.EncodingEvents, Scale: 1},
		Timesteps:  T,
		Readout:    ir.Readout{Kind: ir.ReadoutMaxPotential},
		Provenance: &ir.Provenance{Method: ir.MethodNone, Seed: seed},
	}
	hw := grid(h*in+h*h, 1.2, 0.3)
	m.Layers = append(m.Layers, ir.Layer{Name: "rec1", Kind: ir.KindRecurrentDense, InShape: []int{in}, OutShape: []int{h},
		Weights: hw[:h*in], Recurrent: hw[h*in:], Bias: make([]float32, h),
		Neuron: ir.LIF{Leak: 0.875, Threshold: 1, Reset: ir.ResetSubtractMulti, CurrentDecay: 0.75}})
	m.Layers = append(m.Layers, ir.Layer{Name: "fc2", Kind: ir.KindDense, InShape: []int{h}, OutShape: []int{out},
		Weights: grid(out*h, 0.8, 0), Bias: make([]float32, out),
		Neuron: ir.LIF{Leak: 0.9375, Threshold: 1, Reset: ir.ResetSubtractMulti, CurrentDecay: 0.5}})
	return m
}

// RandomTemporal returns an untrained temporal model for tests and
// benchmarks: event input of in channels, the hidden layers (recurrent
// dense where recurrent[k]; dense otherwise) with a synaptic current decay
// β_c = currentDecay, leak γ = 0.9, threshold ϑ = 1, reset to zero, and a
// dense readout of out neurons read by readout. Weights are drawn as
// RandomDense's, recurrent weights from N(0, (1/√n)²). It is deterministic
// for a seed.
func RandomTemporal(in int, hidden []int, recurrent []bool, out, timesteps int, currentDecay float32, readout ir.ReadoutKind, seed uint64) *ir.Model {
	sizes := append(append([]int{in}, hidden...), out)
	m := RandomDense(sizes, timesteps, seed)
	m.Name = fmt.Sprintf("random-temporal-%v", sizes)
	m.Input.Encoding = ir.EncodingEvents
	m.Readout.Kind = readout
	for k := range m.Layers {
		l := &m.Layers[k]
		l.Neuron.CurrentDecay = currentDecay
		if k < len(recurrent) && recurrent[k] && k < len(hidden) {
			n := l.NumOutputs()
			l.Kind = ir.KindRecurrentDense
			l.Name = fmt.Sprintf("rec%d", k+1)
			l.Recurrent = make([]float32, n*n)
			rng := rand.New(rand.NewPCG(seed, 0x7265630000|uint64(k)))
			sigma := 1 / math.Sqrt(float64(n))
			for i := range l.Recurrent {
				l.Recurrent[i] = float32(rng.NormFloat64() * sigma)
			}
		}
	}
	return m
}
