package compile

import (
	"fmt"
	"math/bits"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Graded hidden spikes (Options.GradedHidden).
//
// A layer of several-spike neurons (ir.ResetSubtractMulti: s = min(⌊u/ϑ⌋,
// ir.MaxSpikesPerStep) spikes per step, u −= s·ϑ; snnc train --reset
// subtract-multi) sends, on a target whose backend has graded spikes, one
// graded spike per firing neuron and step whose payload is s: its integer
// activation instead of 1. The receiving synapse adds q·s to its neuron's
// sum and the weight exponent applies as for binary spikes (Lava's Dense
// with num_message_bits > 0; the neuron is a microcoded variant of Lava's
// CUBA-LIF with the subtract reset, targets.Loihi2StepCount). A payload of
// up to 31 needs 6 signed bits; the data file's graded_spikes.payload_bits
// (Loihi 2: 24, Lava's num_message_bits = 24) must hold it.
//
// The quantizer bounds the receiving layer's sum for payloads up to 31 in
// the graded sum's 32 bits (targets.QuantizeRequest.PayloadMax, recorded as
// the layer's InputPayloadBits with InputPayloadScale 1: one payload unit
// is one spike). compile's Integer and the simulator read the sender's
// reset mode (ir.QuantLayer.Reset = ResetSubtractMulti) and its backend's
// targets.GradedKernel.
//
// Without Options.GradedHidden, or on a target whose neurons send binary
// spikes only (Loihi, TrueNorth), a several-spike layer is refused: a
// compartment there fires at most once per step, and unrolling s spikes
// into s sub-steps would apply the leak and decays s times, which is not
// the trained neuron.

// gradedHiddenPayloadBits is the signed payload width a spike count of up
// to ir.MaxSpikesPerStep needs.
var gradedHiddenPayloadBits = bits.Len(ir.MaxSpikesPerStep) + 1

// sendsSeveral reports whether layer i of m fires several spikes per step
// (a spiking layer with ir.ResetSubtractMulti).
func sendsSeveral(m *ir.Model, i int) bool {
	l := &m.Layers[i]
	spiking := i < len(m.Layers)-1 || m.Readout.Kind == ir.ReadoutSpikeCount
	return spiking && l.HasNeurons() && l.Neuron.Reset == ir.ResetSubtractMulti
}

// checkGradedHidden refuses the several-spike layers that cannot go as
// graded spikes, each with a LimitError naming the layer and the numbers.
func checkGradedHidden(m *ir.Model, t *targets.Target, opts Options) error {
	caps := t.Backend().Capabilities()
	_, hi := t.GradedSpikes.PayloadRange()
	var errs LimitErrors
	refuse := func(i int, limit string, need, have int64, unit, detail, hint string) {
		errs = append(errs, &LimitError{Layer: i, LayerName: m.Layers[i].Name, Limit: limit, Need: need, Have: have, Unit: unit,
			Target: t.Name, Detail: detail, Hint: hint})
	}
	for i := range m.Layers {
		if !sendsSeveral(m, i) {
			continue
		}
		l := &m.Layers[i]
		next := nextWithNeurons(m, i)
		switch {
		case !caps.GradedSpikes:
			refuse(i, "spikes per step", ir.MaxSpikesPerStep, 1, "spikes",
				fmt.Sprintf("spikes per step: the layer's neurons fire up to %d spikes per step (reset %s), a %s neuron sends at most 1 (binary spikes; graded spikes that carry the count: %s)",
					ir.MaxSpikesPerStep, l.Neuron.Reset, t.Name, targetsWith(func(c targets.Capabilities) bool { return c.GradedSpikes })),
				"compile for a target with graded spikes with --graded-hidden, or retrain with --reset subtract or zero")
		case !opts.GradedHidden:
			refuse(i, "spikes per step", ir.MaxSpikesPerStep, 1, "spikes",
				fmt.Sprintf("spikes per step: the layer's neurons fire up to %d spikes per step (reset %s); without graded spikes a %s neuron sends at most 1",
					ir.MaxSpikesPerStep, l.Neuron.Reset, t.Name),
				"compile with --graded-hidden (each neuron sends its count as one graded spike), or retrain with --reset subtract or zero")
		case hi < ir.MaxSpikesPerStep:
			refuse(i, "graded spike payload", int64(gradedHiddenPayloadBits), int64(t.GradedSpikes.PayloadBits), "bits",
				fmt.Sprintf("graded spike payload: a count of up to %d spikes needs %d-bit payloads, %s's graded spikes have %d", ir.MaxSpikesPerStep, gradedHiddenPayloadBits, t.Name, t.GradedSpikes.PayloadBits),
				"retrain with --reset subtract or zero")
		case l.Kind != ir.KindDense && l.Kind != ir.KindRecurrentDense:
			refuse(i, "graded spikes from "+l.Kind.String(), 1, 0, "layers",
				fmt.Sprintf("graded spikes: several spikes per step are compiled for dense layers only, this layer is %s", l.Kind),
				"retrain the layer with --reset subtract or zero")
		case !caps.Temporal.SubtractReset:
			refuse(i, "subtract reset", 1, 0, "reset modes",
				fmt.Sprintf("several spikes per step subtract the threshold once per spike; %s has no reset by subtraction", t.Name),
				"retrain with --reset zero")
		case l.Kind == ir.KindRecurrentDense:
			refuse(i, "graded recurrent spikes", 1, 0, "layers",
				"graded spikes: a recurrent layer sending its spike counts back to itself is not compiled (its recurrent synapses take binary spikes)",
				"make the several-spike layers feed-forward, or retrain with --reset subtract")
		case next >= 0 && m.Layers[next].Kind != ir.KindDense:
			refuse(i, "graded spikes into "+m.Layers[next].Kind.String(), 1, 0, "layers",
				fmt.Sprintf("graded spikes: the next layer %s is %s; graded spikes from a hidden layer are compiled into dense layers only", m.Layers[next].Name, m.Layers[next].Kind),
				"retrain this layer with --reset subtract, or make the next layer dense")
		case next >= 0 && m.Layers[next].Delay > 0:
			refuse(i, "graded spikes with synaptic delay", int64(m.Layers[next].Delay), 0, "steps",
				fmt.Sprintf("graded spikes: the next layer %s delays its input by %d steps; graded spikes through a synaptic delay are not compiled", m.Layers[next].Name, m.Layers[next].Delay),
				"compile the model without synaptic delays")
		}
	}
	return errs.orNil()
}

// gradedHiddenInto reports whether chain layer k receives graded spikes
// from the hidden layer before it.
func (s *state) gradedHiddenInto(k int) bool {
	return k > 0 && s.opts.GradedHidden && sendsSeveral(s.m, s.chain[k-1])
}

// gradedHiddenNotes says, for the report, which layers send their spike
// counts as graded spikes and in how many payload bits.
func (s *state) gradedHiddenNotes() []string {
	var notes []string
	for k := 1; k < len(s.chain); k++ {
		if !s.gradedHiddenInto(k) {
			continue
		}
		from, to := &s.m.Layers[s.chain[k-1]], &s.m.Layers[s.chain[k]]
		notes = append(notes, fmt.Sprintf("graded spikes: each step every firing neuron of %s sends its spike count (1..%d, %d bits needed) as one graded spike of %d-bit payload; %s's synapses add weight × count",
			from.Name, ir.MaxSpikesPerStep, gradedHiddenPayloadBits, s.t.GradedSpikes.PayloadBits, to.Name))
	}
	return notes
}
