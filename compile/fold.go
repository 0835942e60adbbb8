package compile

import (
	"fmt"
	"math"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// fold checks the float model and freezes it into the layer chain the later
// passes work on: average pooling folds into the next layer, flatten
// layers fold away (they only reshape), every other layer must be dense or
// conv2d with neurons (or sparse, on TrueNorth, or recurrent dense where
// the family maps it, see temporal.go), and the neuron parameters must be
// ones the pipeline lowers (reset to zero or by subtraction, 0 ≤ γ ≤ 1,
// ϑ > 0).
func fold(s *state) error {
	m := s.m
	if err := ir.Verify(m); err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	if err := foldPooling(s); err != nil {
		return err
	}
	m = s.m
	s.chain = s.chain[:0]
	for i := range m.Layers {
		l := &m.Layers[i]
		switch l.Kind {
		case ir.KindFlatten:
			continue
		case ir.KindDense, ir.KindConv2D, ir.KindRecurrentDense: // recurrent: see temporal.go
		case ir.KindSparse:
			if !s.b.Capabilities().SparseLayers {
				return fmt.Errorf("compile: layer %d (%s): sparse layers are compiled for %s only, not %s (use a dense or conv2d layer)", i, l.Name, targetsWith(func(c targets.Capabilities) bool { return c.SparseLayers }), s.t.Name)
			}
		default:
			return fmt.Errorf("compile: layer %d (%s): %s layers are not supported by the compiler (dense, recurrent dense, conv2d, sparse on truenorth, average pooling and flatten only)", i, l.Name, l.Kind)
		}
		last := i == len(m.Layers)-1
		spiking := !last || m.Readout.Kind == ir.ReadoutSpikeCount
		if spiking {
			n := l.Neuron
			if n.Reset != ir.ResetZero && n.Reset != ir.ResetSubtract && !(n.Reset == ir.ResetSubtractMulti && s.opts.GradedHidden) { // graded_hidden.go
				return fmt.Errorf("compile: layer %d (%s): reset mode %s is not supported (the compiler lowers reset to zero and, where the family has it, by subtraction)", i, l.Name, n.Reset)
			}
			if !(n.Leak >= 0 && n.Leak <= 1) {
				return fmt.Errorf("compile: layer %d (%s): leak γ = %v, want 0 ≤ γ ≤ 1", i, l.Name, n.Leak)
			}
			if !(n.Threshold > 0) || math.IsInf(float64(n.Threshold), 0) {
				return fmt.Errorf("compile: layer %d (%s): threshold ϑ = %v, want > 0", i, l.Name, n.Threshold)
			}
		}
		s.chain = append(s.chain, i)
	}
	if len(s.chain) == 0 {
		return fmt.Errorf("compile: the model has no layer with neurons")
	}
	if m.Readout.Kind > ir.ReadoutMaxPotential {
		return fmt.Errorf("compile: unknown readout %d", m.Readout.Kind)
	}
	s.gradedInput = s.opts.GradedInput
	s.hostInput = m.Input.Encoding == ir.EncodingDirect && !s.gradedInput
	return nil
}

// targetsWith lists, joined by " and ", the known targets whose family has
// the capability has asks for (for messages).
func targetsWith(has func(targets.Capabilities) bool) string {
	var names []string
	for _, name := range targets.Names() {
		if t, err := targets.Lookup(name); err == nil && has(t.Backend().Capabilities()) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return "no target"
	}
	return strings.Join(names, " and ")
}

// isReadout reports whether chain layer k is the non-spiking readout.
func (s *state) isReadout(k int) bool {
	return k == len(s.chain)-1 && s.m.Readout.Kind == ir.ReadoutMeanCurrent
}

// onChipInput reports whether chain layer k receives its input as spikes
// through input axons (false for a direct-current first layer).
func (s *state) onChipInput(k int) bool { return !(k == 0 && s.hostInput && s.t.HostBias) }
