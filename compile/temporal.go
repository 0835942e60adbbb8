package compile

import (
	"errors"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// refuseTemporal returns one LimitError per part of a temporal model that
// the compiler does not map yet (joined): recurrent layers, a synaptic
// current decay (β_c ≠ 0) and the max-potential readout. The float model
// runs in sim.RunFloat.
func refuseTemporal(m *ir.Model, t *targets.Target) error {
	var errs []error
	refuse := func(i int, what string) {
		errs = append(errs, &LimitError{Layer: i, LayerName: m.Layers[i].Name, Limit: what, Target: t.Name,
			Detail: what + " are not mapped yet", Hint: "simulate the float model (sim.RunFloat) instead"})
	}
	last := len(m.Layers) - 1
	for i := range m.Layers {
		l := &m.Layers[i]
		if l.Kind == ir.KindRecurrentDense {
			refuse(i, "recurrent layers")
		}
		if l.HasNeurons() && l.Neuron.CurrentDecay != 0 && (i < last || m.Readout.Kind != ir.ReadoutMeanCurrent) {
			refuse(i, "synaptic current decays (β_c ≠ 0)")
		}
	}
	if m.Readout.Kind == ir.ReadoutMaxPotential && last >= 0 {
		refuse(last, "max-potential readouts")
	}
	return errors.Join(errs...)
}
