package compile

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Temporal models on chip (ir.Model's current-based neuron):
//
//	c[t] = β_c·c[t−1] + W·s_in[t] + V·s[t−1] + b    → the compartment's u:
//	       DecayU = round(4096·(1−β_c)) (1..4096), W and V on one weight grid
//	       and exponent; V·s[t−1] arrives through routes from the layer's
//	       cores back into them (one step later, as the chip delivers)
//	u[t] = γ·u[t−1]·(1−s[t−1]) + c[t]               → v: DecayV, reset to 0
//
// The bias of a layer with a current decay is part of c and decays with
// β_c, while the compartment adds its bias to v: such a layer takes its
// bias through a bias axon instead, an input axon that spikes every step
// with weight b_j on neuron j (on the layer's weight grid, into u; see
// ir.QuantLayer.BiasAxon), one more input axon on each of its cores. The
// max-potential readout is a non-spiking compartment (the
// largest threshold, no reset) whose v the host reads every step, keeping
// the largest. Event input needs nothing new: per-step input spikes enter
// the first layer's synapses through its input axons, as rate spikes do.
//
// What a family cannot map is refused here, before any pass, with the
// reason its backend gives (targets.Capabilities.Temporal).

// checkTemporal returns one LimitError per part of a temporal model that
// target t does not map (nil if it maps them all).
func checkTemporal(m *ir.Model, t *targets.Target) error {
	ts := t.Backend().Capabilities().Temporal
	var errs LimitErrors
	refuse := func(i int, limit, detail string, need, have int64, unit string) {
		errs = append(errs, &LimitError{Layer: i, LayerName: m.Layers[i].Name, Limit: limit, Need: need, Have: have, Unit: unit,
			Target: t.Name, Detail: detail})
	}
	why := func(field string) string {
		if r := ts.WhyNot[field]; r != "" {
			return r
		}
		return "not mapped for " + t.Name
	}
	last := len(m.Layers) - 1
	direct := m.Input.Encoding == ir.EncodingDirect
	first := true
	for i := range m.Layers {
		l := &m.Layers[i]
		if !l.HasNeurons() {
			continue
		}
		isFirst := first
		first = false
		spiking := i < last || m.Readout.Kind == ir.ReadoutSpikeCount
		if l.Kind == ir.KindRecurrentDense {
			switch {
			case i == last:
				refuse(i, "recurrent readout", "a recurrent readout layer is not mapped (the readout layer takes no recurrent weights; make the layer before it recurrent)", 1, 0, "recurrent readouts")
			case isFirst && direct:
				refuse(i, "recurrent layer with direct-current input", "a recurrent first layer with a direct-current input is not mapped (the host programs that layer's current as a bias; feed events or rate spikes)", 1, 0, "recurrent layers")
			case !ts.Recurrent:
				// the numbers: a neuron must reach its own layer's cores
				// and the next layer's
				own := ceilDiv(int64(l.NumOutputs()), int64(t.Core.Neurons))
				next := int64(0)
				if j := nextWithNeurons(m, i); j >= 0 {
					next = ceilDiv(int64(m.Layers[j].NumOutputs()), int64(t.Core.Neurons))
				}
				have := int64(t.Core.FanOut)
				refuse(i, "recurrent layers", fmt.Sprintf("recurrent layer: a neuron drives its own layer's %d neurons on at least %d cores and the next layer's on %d more (%d target cores), a %s neuron has %d target; %s",
					l.NumOutputs(), own, next, own+next, t.Name, have, why("Recurrent")), own+next, have, "target cores")
			}
		}
		if d := l.Neuron.CurrentDecay; d != 0 && (spiking || m.Readout.Kind == ir.ReadoutMaxPotential) {
			switch {
			case !ts.CurrentDecay:
				refuse(i, "synaptic current decay", fmt.Sprintf("synaptic current decay β_c = %g: %s", d, why("CurrentDecay")), 1, 0, "current decays")
			case isFirst && direct:
				refuse(i, "synaptic current decay with direct-current input", fmt.Sprintf("synaptic current decay β_c = %g on a layer with a direct-current input is not mapped (the host's per-sample bias enters v, not the decaying current u; feed events or rate spikes)", d), 1, 0, "current decays")
			}
		}
		if spiking && l.Neuron.Reset == ir.ResetSubtract && !ts.SubtractReset {
			refuse(i, "subtract reset", "reset by subtraction: "+why("SubtractReset"), 1, 0, "reset modes")
		}
	}
	if m.Readout.Kind == ir.ReadoutMaxPotential && last >= 0 && !ts.MaxPotential {
		refuse(last, "max-potential readout", "max-potential readout: "+why("MaxPotential"), 1, 0, "readouts")
	}
	return errs.orNil()
}

// nextWithNeurons is the index of the first layer with neurons after
// layer i, or -1.
func nextWithNeurons(m *ir.Model, i int) int {
	for j := i + 1; j < len(m.Layers); j++ {
		if m.Layers[j].HasNeurons() {
			return j
		}
	}
	return -1
}

// isRecurrent reports whether chain layer k is a recurrent dense layer
// (its cores receive the layer's own spikes of the previous step).
func (s *state) isRecurrent(k int) bool {
	return s.m.Layers[s.chain[k]].Kind == ir.KindRecurrentDense
}

// isMaxReadout reports whether chain layer k is a max-potential readout.
func (s *state) isMaxReadout(k int) bool {
	return k == len(s.chain)-1 && s.m.Readout.Kind == ir.ReadoutMaxPotential
}

// chipDecayU is the compartment current decay DecayU = round(4096·(1−β_c))
// of a layer, in 1..4096 (the chip's du field holds DecayU−1), and the
// decay factor β′ = 1 − DecayU/4096 the chip applies. A layer without a
// current decay (β_c = 0) and the mean-current readout clear u each step
// (DecayU 4096).
func (s *state) chipDecayU(k int, l *ir.Layer) (int32, float64) {
	if s.isReadout(k) {
		return 4096, 0
	}
	d := int32(min(4096, max(1, int(math.Round(4096*(1-float64(l.Neuron.CurrentDecay)))))))
	return d, 1 - float64(d)/4096
}

// layerAxons is the number of input axons every core of dense chain layer
// k uses: its inputs, its own neurons for a recurrent layer, and its bias
// axon if it has one (ir.QuantLayer.BiasAxon).
func (s *state) layerAxons(k int) int {
	l := &s.m.Layers[s.chain[k]]
	n := l.NumInputs()
	if s.isRecurrent(k) {
		n += l.NumOutputs()
	}
	if q := s.m.Quantized; q != nil && q.Layers[s.chain[k]].BiasAxon() {
		n++ // the bias axon
	}
	return n
}

// recurrentEdges lists the spike traffic of recurrent chain layer k back
// into itself: every piece sends its neurons' spikes to every piece of the
// layer, itself included (nil for other layers).
func (s *state) recurrentEdges(k int) []edge {
	if !s.isRecurrent(k) {
		return nil
	}
	a := s.layerPieces[k]
	var es []edge
	for p := a[0]; p < a[1]; p++ {
		for q := a[0]; q < a[1]; q++ {
			es = append(es, edge{p, q, s.pieces[p].count})
		}
	}
	return es
}
