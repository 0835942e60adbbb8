package compile

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Synaptic delays (ir.Layer.Delay): the input of a delayed layer at step t
// is the previous layer's spikes of step t − Delay. The compiler checks the
// target can store the delay (checkDelays, in the limits pass) and counts
// the delay field in the synaptic memory of the synapses of the layer's
// input axons (delayFormat: dense synapses through denseAxonBits, conv
// population-axon lists through convpop.go's list costs), not of its
// recurrent or bias axons; compile.Integer and the simulator delay
// delivery.

// delayFormat is synapse format f of layer l: with the delay field when
// the layer's synapses have a delay (ir.Layer.Delay; the family's
// AxonSynapseBits counts SynapseMemory.DelayBits for it).
func delayFormat(f targets.SynapseFormat, l *ir.Layer) targets.SynapseFormat {
	f.Delays = f.Delays || l.Delay > 0
	return f
}

// checkDelays refuses synaptic delays (ir.Layer.Delay) the target cannot
// store: longer than its SynapticDelays.MaxSteps (0: the family has none;
// Loihi 2: 0–62, lava-dl netx). Dense, recurrent and conv layers alike: a
// conv layer's population-axon synapse lists carry the delay field as a
// dense layer's synapses do (delayFormat in convpop.go's list costs).
func checkDelays(s *state) error {
	var errs LimitErrors
	t := s.t
	for _, li := range s.chain {
		l := &s.m.Layers[li]
		d := int64(l.Delay)
		if have := int64(t.SynapticDelays.MaxSteps); d > have {
			errs = append(errs, &LimitError{Layer: li, LayerName: l.Name, Limit: "synaptic delay", Need: d, Have: have, Unit: "steps", Target: t.Name,
				Detail: fmt.Sprintf("synaptic delay: the layer's synapses delay by %d steps, %s allows %d", d, t.Name, have)})
		}
	}
	return errs.orNil()
}

// delayNotes adds a report note per layer with a synaptic delay: the
// delay, the delay field every synapse of the layer stores and the
// synaptic memory of the layer's cores (the field included).
func delayNotes(s *state) {
	for _, li := range s.chain {
		l := &s.m.Layers[li]
		if l.Delay == 0 {
			continue
		}
		var bits int64
		cores := 0
		for _, c := range s.m.Mapping.Cores {
			if c.Layer == li {
				bits += c.SynapseBits
				cores++
			}
		}
		s.report.Notes = append(s.report.Notes, fmt.Sprintf("%s: synaptic delay %d steps, a %d-bit delay field in each synapse of its input axons; %d bits of synaptic memory on %d core(s)",
			l.Name, l.Delay, s.t.SynapseMemory.DelayBits, bits, cores))
	}
}

// denseAxonBits is the synaptic memory of a dense or recurrent layer l's
// axons input axons of n synapses each in format f: the layer's
// NumInputs() input axons store the delay field when it has a delay
// (delayFormat), its recurrent axons (its own spikes, not delayed) and its
// bias axon do not (a synapse format of their own, as conv layers' bias
// axons). With least, each axon is costed at MinAxonSynapseBits (the lower
// bound).
func denseAxonBits(b targets.Backend, l *ir.Layer, axons, n int, f targets.SynapseFormat, least bool) int64 {
	cost := b.AxonSynapseBits
	if least {
		cost = b.MinAxonSynapseBits
	}
	delayed := 0
	if l.Delay > 0 {
		delayed = min(axons, l.NumInputs())
	}
	return int64(delayed)*cost(n, delayFormat(f, l)) + int64(axons-delayed)*cost(n, f)
}
