package energy

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// LayerMACs returns the multiply-accumulates one inference of the
// same-shape ANN spends in layer l (seed Eq. 21 restricted to the layer's
// incoming connections):
//
//	dense:           In·Out
//	recurrent dense: In·Out + Out·Out
//	conv2d:          OutC·OH·OW · (InC/Groups)·KH·KW
//	sparse:          one per listed synapse
//	pooling, flatten: 0
func LayerMACs(l *ir.Layer) (int64, error) {
	switch l.Kind {
	case ir.KindDense:
		return int64(l.NumInputs()) * int64(l.NumOutputs()), nil
	case ir.KindRecurrentDense:
		out := int64(l.NumOutputs())
		return int64(l.NumInputs())*out + out*out, nil
	case ir.KindConv2D:
		if len(l.InShape) != 3 || len(l.OutShape) != 3 {
			return 0, fmt.Errorf("energy: layer %q: conv2d needs [C,H,W] shapes, have in %v out %v", l.Name, l.InShape, l.OutShape)
		}
		g := l.NumGroups()
		if l.InShape[0]%g != 0 || l.OutShape[0]%g != 0 {
			return 0, fmt.Errorf("energy: layer %q: %d groups do not divide %d input and %d output channels", l.Name, g, l.InShape[0], l.OutShape[0])
		}
		return int64(l.OutShape[0]) * int64(l.OutShape[1]) * int64(l.OutShape[2]) *
			int64(l.InShape[0]/g) * int64(l.Kernel[0]) * int64(l.Kernel[1]), nil
	case ir.KindSparse:
		return int64(len(l.Cols)), nil
	case ir.KindAvgPool, ir.KindFlatten:
		return 0, nil
	}
	return 0, fmt.Errorf("energy: layer %q: unknown kind %d", l.Name, l.Kind)
}

// ANNMACs returns the per-layer and total multiply-accumulates of one
// inference of the ANN with the model's architecture (seed Eq. 21).
//
// A model trained inside a family's limits (targets.Capabilities
// ConstrainedTraining: TrueNorth) has block (grouped) connectivity stored
// as dense matrices with structural zeros; its same-shape ANN has the same
// connections, so its dense layers count their non-zero weights.
func ANNMACs(m *ir.Model) (perLayer []int64, total int64, err error) {
	grouped := trainedInLimits(m)
	perLayer = make([]int64, len(m.Layers))
	for i := range m.Layers {
		n, err := LayerMACs(&m.Layers[i])
		if err != nil {
			return nil, 0, err
		}
		if l := &m.Layers[i]; grouped && l.Kind == ir.KindDense {
			n = nonZero(l.Weights)
		}
		perLayer[i] = n
		total += n
	}
	return perLayer, total, nil
}

// trainedInLimits reports whether m was trained for a target whose family
// trains inside its limits (Provenance.Target, see ANNMACs).
func trainedInLimits(m *ir.Model) bool {
	if m.Provenance == nil || m.Provenance.Target == "" {
		return false
	}
	t, err := targets.Lookup(m.Provenance.Target)
	return err == nil && t.Backend().Capabilities().ConstrainedTraining
}

// FirstWeighted returns the index of the first layer with synapses (dense,
// recurrent dense, conv2d or sparse), or -1.
func FirstWeighted(m *ir.Model) int {
	for i := range m.Layers {
		if m.Layers[i].HasNeurons() {
			return i
		}
	}
	return -1
}

// directInput reports whether the first layer is driven by a constant
// current (its W·x is a MAC, not an AC).
func directInput(m *ir.Model) bool { return m.Input.Encoding == ir.EncodingDirect }

func nonZero(w []float32) int64 {
	var n int64
	for _, x := range w {
		if x != 0 {
			n++
		}
	}
	return n
}
