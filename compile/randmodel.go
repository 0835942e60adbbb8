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
