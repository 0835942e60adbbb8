package compile

import (
	"fmt"
	"slices"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// checkLimits checks the limits a single neuron must respect whatever the
// partition: fan-in against the input axons of one core (Loihi conv layers:
// the pixels of a receptive field, see popNeuronNeed) (and the target's
// fan-in limit), the synaptic memory of one neuron's fan-in, fan-out against
// the target's targets per neuron, distinct weights against its axon types,
// and the kind of leak. Every violation is reported (LimitErrors).
func checkLimits(s *state) error {
	m, t := s.m, s.t
	if err := setWeightBits(s); err != nil {
		return err
	}
	bits := s.weightBits
	hint := retrainHint(t)
	var errs LimitErrors
	add := func(e *LimitError) {
		e.Target = t.Name
		if e.Layer >= 0 {
			e.LayerName = m.Layers[e.Layer].Name
		}
		errs = append(errs, e)
	}
	for k, li := range s.chain {
		l := &m.Layers[li]
		rows, rowLen := weightRows(l)
		if k == 0 && s.hostInput && !t.HostBias {
			add(&LimitError{Layer: li, Limit: "direct-current input", Need: 1, Have: 0,
				Detail: fmt.Sprintf("direct-current input needs a per-sample bias per neuron, %s has none", t.Name),
				Hint:   "feed spikes (rate or event encoding) or " + hint})
		}
		if s.onChipInput(k) {
			fanIn := int64(fanIn(l))
			f := targets.SynapseFormat{WeightBits: bits}
			// axons and memory of one neuron on a core of its own (Loihi
			// conv: population axons, one per pixel, see convpop.go)
			axons, mem := fanIn, fanIn*s.b.AxonSynapseBits(1, delayFormat(f, l))
			if l.Kind == ir.KindConv2D && s.b.Capabilities().PopulationAxons {
				axons, mem = popNeuronNeed(l, s.b, bits)
			}
			if have := int64(t.Core.InputAxons); axons > have {
				add(&LimitError{Layer: li, Limit: "input axons per neuron", Need: axons, Have: have, Unit: "axons",
					Detail: fmt.Sprintf("fan-in: a neuron needs %d input axons, a %s core has %d", axons, t.Name, have), Hint: hint})
			} else if have := int64(t.Core.FanIn); have > 0 && fanIn > have {
				add(&LimitError{Layer: li, Limit: "fan-in", Need: fanIn, Have: have, Unit: "inputs",
					Detail: fmt.Sprintf("fan-in: a neuron has %d inputs, %s allows %d", fanIn, t.Name, have), Hint: hint})
			}
			if need, have := mem, t.Core.SynapseBits; need > have && axons <= int64(t.Core.InputAxons) {
				add(&LimitError{Layer: li, Limit: "synaptic memory", Need: need, Have: have, Unit: "bits",
					Detail: fmt.Sprintf("synaptic memory: one neuron's %d input synapses need %d bits, a %s core has %d", fanIn, need, t.Name, have), Hint: hint})
			}
			if types := t.Core.AxonTypes; types > 0 {
				if need := maxDistinctWeights(l.Weights, rows, rowLen); need > types {
					add(&LimitError{Layer: li, Limit: "axon types", Need: int64(need), Have: int64(types), Unit: "distinct weights",
						Detail: fmt.Sprintf("axon types: a neuron sees %d distinct non-zero weights, %s's %d axon types allow %d", need, t.Name, types, types), Hint: hint})
				}
			}
		}
		if k+1 < len(s.chain) {
			next := m.Layers[s.chain[k+1]].NumOutputs()
			cores := int64((next + t.Core.Neurons - 1) / t.Core.Neurons)
			if have := int64(t.Core.FanOut); have > 0 && cores > have {
				add(&LimitError{Layer: li, Limit: "fan-out", Need: cores, Have: have, Unit: "target cores",
					Detail: fmt.Sprintf("fan-out: a neuron drives %d neurons on at least %d cores, a %s neuron has %d target", next, cores, t.Name, have),
					Hint:   "add splitter neurons or " + hint})
			}
			if have := int64(t.Core.OutputRoutes); cores > have {
				add(&LimitError{Layer: li, Limit: "output routes per neuron", Need: cores, Have: have, Unit: "routes", Hint: hint})
			}
		}
		if t.Leak == "linear" && !s.isReadout(k) && l.Neuron.Leak != 1 {
			add(&LimitError{Layer: li, Limit: "multiplicative leak", Need: 1, Have: 0,
				Detail: fmt.Sprintf("leak γ = %g is multiplicative, %s has a linear leak only (γ must be 1)", l.Neuron.Leak, t.Name), Hint: hint})
		}
	}
	return errs.orNil()
}

// retrainHint is how to fix a model that breaks t's limits: snnc train
// trains inside the limits of a family with constrained training (--target
// NAME); for other targets the network itself must change.
func retrainHint(t *targets.Target) string {
	if t.Backend().Capabilities().ConstrainedTraining {
		return fmt.Sprintf("retrain with snnc train --target %s", t.Name)
	}
	return "retrain a smaller network (fewer inputs per neuron: narrower layers, pooling or strided convolutions before them)"
}

// maxDistinctWeights returns the largest number of distinct non-zero values
// in a row of the out×in matrix w.
func maxDistinctWeights(w []float32, out, in int) int {
	best := 0
	row := make([]float32, 0, in)
	for j := 0; j < out; j++ {
		row = row[:0]
		for _, x := range w[j*in : (j+1)*in] {
			if x != 0 {
				row = append(row, x)
			}
		}
		slices.Sort(row)
		n := len(slices.Compact(row))
		best = max(best, n)
	}
	return best
}

// setWeightBits sets the weight precision (Options.WeightBits or the
// target's default) and checks the target has a grid for it.
func setWeightBits(s *state) error {
	bits := s.opts.WeightBits
	if bits == 0 {
		bits = s.t.Bits.Weight
	}
	s.weightBits = bits
	if _, _, err := s.b.WeightGrid(bits); err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	return nil
}
