package train

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// Freeze returns the network as a float IR model using Θ only: dense layers
// with Out×In weights, LIF neurons (γ, ϑ, reset to zero), direct-current
// input scaled by 1/255 (or event or rate-coded input), mean-current
// readout. α and every training state are dropped except in prov, which is
// attached as the model's provenance (may be nil). An image-shaped tensor
// in front of a dense layer gets a flatten layer (the float layers have
// one in the network; the chip layers read the image flat).
func Freeze(n *Network, prov *ir.Provenance) *ir.Model {
	m := &ir.Model{
		Name:       "snnc-" + n.archString(),
		Input:      ir.Input{Shape: append([]int(nil), n.Input...), Encoding: ir.EncodingDirect, Scale: n.InputScale},
		Timesteps:  n.T,
		Readout:    ir.Readout{Kind: n.Readout},
		Provenance: prov,
	}
	if n.Name != "" {
		m.Name = n.Name
	}
	switch {
	case n.Events:
		m.Input.Encoding = ir.EncodingEvents
	case n.Rate:
		m.Input.Encoding = ir.EncodingRate
	}
	shape := n.Input
	for i, ly := range n.Layers {
		l := ly.Freeze()
		l.Delay = uint8(n.delay(i))
		if ly.HasNeurons() {
			l.Neuron = ir.LIF{Leak: n.Leak, Threshold: n.Threshold, Reset: n.Reset, CurrentDecay: n.CurrentDecay}
		}
		if len(shape) == 3 && len(l.InShape) == 1 {
			m.Layers = append(m.Layers, ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: shape, OutShape: l.InShape})
		}
		m.Layers = append(m.Layers, l)
		shape = l.OutShape
	}
	return m
}

func (n *Network) archString() string {
	in := n.Input
	s := itoa(in[0])
	if len(in) == 3 {
		s = itoa(in[1]) + "x" + itoa(in[2]) + "x" + itoa(in[0])
	}
	for i, ly := range n.Layers {
		switch l := ly.(type) {
		case *Dense:
			s += "-" + itoa(l.out)
		case *RecurrentDense:
			s += "-" + itoa(l.out) + "r"
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
		if d := n.delay(i); d > 0 {
			s += "d" + itoa(d)
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
	if m.Input.Encoding == ir.EncodingRate {
		return nil, fmt.Errorf("train: input encoding %v is not supported, want direct or events", m.Input.Encoding)
	}
	n := &Network{T: m.Timesteps, Input: append([]int(nil), m.Input.Shape...), InputScale: m.Input.Scale, Readout: m.Readout.Kind,
		Events: m.Input.Encoding == ir.EncodingEvents}
	first := true
	for i := range m.Layers {
		l := &m.Layers[i]
		var ly Layer
		var err error
		switch l.Kind {
		case ir.KindDense:
			ly, err = denseFromIR(l)
		case ir.KindRecurrentDense:
			if i == len(m.Layers)-1 {
				return nil, fmt.Errorf("train: layer %d (%s): a recurrent readout layer is not supported", i, l.Name)
			}
			ly, err = recurrentFromIR(l)
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
		// the readout layer's neuron matters to the spike-count and
		// max-potential readouts only
		if ly.HasNeurons() && (i < len(m.Layers)-1 || m.Readout.Kind != ir.ReadoutMeanCurrent) {
			if l.Neuron.Reset == ir.ResetNone && i < len(m.Layers)-1 {
				return nil, fmt.Errorf("train: layer %d (%s): reset %v is not supported, want zero or subtract", i, l.Name, l.Neuron.Reset)
			}
			nr := l.Neuron
			if first {
				n.Leak, n.Threshold, n.CurrentDecay, first = nr.Leak, nr.Threshold, nr.CurrentDecay, false
				if i < len(m.Layers)-1 || m.Readout.Kind == ir.ReadoutSpikeCount {
					n.Reset = nr.Reset
				}
			} else if nr.Leak != n.Leak || nr.CurrentDecay != n.CurrentDecay ||
				(m.Readout.Kind != ir.ReadoutMaxPotential || i < len(m.Layers)-1) && (nr.Threshold != n.Threshold || nr.Reset != n.Reset) {
				return nil, fmt.Errorf("train: layer %d (%s): γ, β_c, ϑ or the reset differ between layers, which is not supported", i, l.Name)
			}
		}
		n.Layers = append(n.Layers, ly)
		n.Delays = append(n.Delays, int(l.Delay))
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
	if n.Events {
		size *= n.T // T steps of input spikes per sample
	}
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
