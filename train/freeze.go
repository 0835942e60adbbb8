package train

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// Freeze returns the network as a float IR model using Θ only: dense layers
// with Out×In weights, LIF neurons (γ, ϑ, reset to zero), direct-current
// input scaled by 1/255, mean-current readout. α and every training state
// are dropped except in prov, which is attached as the model's provenance
// (may be nil). An image-shaped input ([C,H,W]) in front of a dense layer
// gets a flatten layer.
func Freeze(n *Network, prov *ir.Provenance) *ir.Model {
	m := &ir.Model{
		Name:       "snnc-" + n.archString(),
		Input:      ir.Input{Shape: append([]int(nil), n.Input...), Encoding: ir.EncodingDirect, Scale: n.InputScale},
		Timesteps:  n.T,
		Readout:    ir.Readout{Kind: ir.ReadoutMeanCurrent},
		Provenance: prov,
	}
	for _, ly := range n.Layers {
		l := ly.Freeze()
		if ly.HasNeurons() {
			l.Neuron = ir.LIF{Leak: n.Leak, Threshold: n.Threshold, Reset: ir.ResetZero}
		}
		m.Layers = append(m.Layers, l)
	}
	return m
}

func (n *Network) archString() string {
	in := n.Input
	s := itoa(in[0])
	if len(in) == 3 {
		s = itoa(in[1]) + "x" + itoa(in[2]) + "x" + itoa(in[0])
	}
	for _, ly := range n.Layers {
		switch l := ly.(type) {
		case *Dense:
			s += "-" + itoa(l.out)
		case *Conv2D:
			s += "-" + itoa(l.outC) + "c" + itoa(l.k)
			if l.stride != 1 || l.pad != 0 {
				s += "s" + itoa(l.stride) + "p" + itoa(l.pad)
			}
		case *AvgPool:
			s += "-p" + itoa(l.k)
			if l.stride != l.k {
				s += "s" + itoa(l.stride)
			}
		}
	}
	return s
}

// FromIR builds a network for Θ-only evaluation from a float IR model. It
// supports what Freeze writes: direct-current input, dense, conv2d (square),
// average pooling and flatten layers, LIF neurons with reset to zero and one γ and ϑ shared
// by all layers, and the mean-current readout.
func FromIR(m *ir.Model) (*Network, error) {
	if err := ir.Verify(m); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if m.Input.Encoding != ir.EncodingDirect {
		return nil, fmt.Errorf("train: input encoding %v is not supported, want direct", m.Input.Encoding)
	}
	if m.Readout.Kind != ir.ReadoutMeanCurrent {
		return nil, fmt.Errorf("train: readout %v is not supported, want mean current", m.Readout.Kind)
	}
	n := &Network{T: m.Timesteps, Input: append([]int(nil), m.Input.Shape...), InputScale: m.Input.Scale}
	first := true
	for i := range m.Layers {
		l := &m.Layers[i]
		var ly Layer
		var err error
		switch l.Kind {
		case ir.KindDense:
			ly, err = denseFromIR(l)
		case ir.KindConv2D:
			ly, err = convFromIR(l)
		case ir.KindAvgPool:
			if l.Kernel[0] != l.Kernel[1] || l.Stride[0] != l.Stride[1] || l.Padding[0] != l.Padding[1] {
				return nil, fmt.Errorf("train: layer %d (%s): only square pooling windows are supported", i, l.Name)
			}
			ly = NewAvgPool(l.Name, l.InShape, l.Kernel[0], l.Stride[0], l.Padding[0])
		case ir.KindFlatten:
			ly = NewFlatten(l.Name, l.InShape)
		default:
			return nil, fmt.Errorf("train: layer %d (%s) is %v, which Evaluate does not support", i, l.Name, l.Kind)
		}
		if err != nil {
			return nil, err
		}
		if ly.HasNeurons() && i < len(m.Layers)-1 {
			if l.Neuron.Reset != ir.ResetZero {
				return nil, fmt.Errorf("train: layer %d (%s): reset %v is not supported, want zero", i, l.Name, l.Neuron.Reset)
			}
			if first {
				n.Leak, n.Threshold, first = l.Neuron.Leak, l.Neuron.Threshold, false
			} else if l.Neuron.Leak != n.Leak || l.Neuron.Threshold != n.Threshold {
				return nil, fmt.Errorf("train: layer %d (%s): γ and ϑ differ between layers, which is not supported", i, l.Name)
			}
		}
		n.Layers = append(n.Layers, ly)
	}
	n.setup()
	n.LogAlpha = make([]float64, n.numLIF())
	return n, nil
}

// EvalOptions tune Evaluate.
type EvalOptions struct {
	// Limit, if > 0, evaluates only the first Limit samples.
	Limit int
}

// Evaluate returns the Θ-only accuracy of the float model m on split (raw
// bytes, scaled by the model's input scale). It gives exactly the accuracy
// the trainer reports for the network m was frozen from.
func Evaluate(m *ir.Model, split dataset.Split, opts ...EvalOptions) (float64, error) {
	n, err := FromIR(m)
	if err != nil {
		return 0, err
	}
	size := n.inputSize()
	if split.N == 0 || len(split.Images) != split.N*size {
		return 0, fmt.Errorf("train: evaluate: %d images of %d bytes for a model with %d inputs", split.N, len(split.Images), size)
	}
	for _, o := range opts {
		split = split.Limit(o.Limit, size)
	}
	for _, y := range split.Labels {
		if int(y) >= n.Classes() {
			return 0, fmt.Errorf("train: evaluate: label %d but the model has %d outputs", y, n.Classes())
		}
	}
	return n.evaluate(n.newWorkspace(256), split, nil), nil
}
