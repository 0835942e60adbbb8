package targets

import (
	"fmt"
	"strings"
)

// Training is how a target's limits shape training: the options that
// snnc train --target NAME gives the trainer's layers, so that the trained
// network maps onto the chip without approximation. A target without a
// training section trains no differently from the float default and is
// not a training target.
//
// The TrueNorth section (EEDN-style training, Esser et al. 2016) reads:
//
//	weights  trinary: w = t·k/ScaleUnits, t ∈ {−1, 0, +1}, k ∈ 1..MaxWeight per
//	         neuron (dense) or output channel (conv); biases m/ScaleUnits,
//	         |m| ≤ MaxWeight
//	neuron   if: integrate-and-fire, γ = 1, ϑ = 1, reset to zero
//	input    rate: pixel/255 is the probability of a spike per step
//	fan-in   at most Sources distinct sources per neuron (two typed axons
//	         each), in groups of GroupNeurons neurons; the first dense layer
//	         sees Patch×Patch receptive fields
//	readout  host: the last layer's currents are summed off chip
//
// The Xylo sections ("int8", see TrainsInt8) read: 8-bit weights
// (MaxWeight 127), neuron "lif-shift", input "events", readout "vmem", the
// default hidden width and T.
type Training struct {
	// Weights is "trinary" (TrueNorth) or "int8" (Xylo).
	Weights string `json:"weights"`
	// ScaleUnits is Q, the potential units per float unit: weights and
	// biases live on the 1/Q grid and the threshold ϑ = 1 is Q units.
	ScaleUnits int `json:"scale_units"`
	// MaxWeight is the largest |k| of a weight scale and |m| of a bias.
	MaxWeight int `json:"max_weight"`
	// Neuron is "if": integrate-and-fire (γ = 1), ϑ = 1, reset to zero.
	Neuron string `json:"neuron"`
	// Input is "rate": rate-coded spikes (no direct current).
	Input string `json:"input"`
	// Sources is the most distinct sources of one neuron (fan-in).
	Sources int `json:"sources"`
	// GroupNeurons is the group size of the grouped dense layers after
	// the first.
	GroupNeurons int `json:"group_neurons"`
	// Patch is the side of the first dense layer's receptive fields.
	Patch int `json:"patch"`
	// Readout is "host": the readout layer runs on the host, its fan-in
	// is not limited.
	Readout string `json:"readout"`
	// Timesteps is the default T; Hidden the default hidden widths of a
	// dense architecture (INPUT-Hidden…-CLASSES).
	Timesteps int   `json:"timesteps"`
	Hidden    []int `json:"hidden"`
	// Sources lists the keys of the sources these figures come from.
	Cite []string `json:"sources_cited"`
}

// Validate checks the training section of the data file file; the error
// is a *DataError naming the file and the field. Two kinds exist:
// "trinary" (TrueNorth, every field above) and "int8" (a recurrent
// population, Xylo: see TrainsInt8).
func (tr *Training) Validate(file string) error {
	bad := func(field, format string, a ...any) error {
		return &DataError{File: file, Field: "training." + field, Problem: fmt.Sprintf(format, a...)}
	}
	type intRange struct {
		field string
		v, hi int
	}
	var ranges []intRange
	switch tr.Weights {
	case "trinary":
		switch {
		case tr.Neuron != "if":
			return bad("neuron", "must be \"if\" with trinary weights, got %q", tr.Neuron)
		case tr.Input != "rate":
			return bad("input", "must be \"rate\" with trinary weights, got %q", tr.Input)
		case tr.Readout != "host":
			return bad("readout", "must be \"host\" with trinary weights, got %q", tr.Readout)
		}
		ranges = []intRange{{"scale_units", tr.ScaleUnits, 1 << 16}, {"max_weight", tr.MaxWeight, 1 << 16}, {"sources", tr.Sources, 1 << 16},
			{"group_neurons", tr.GroupNeurons, 1 << 16}, {"patch", tr.Patch, 1 << 10}, {"timesteps", tr.Timesteps, 1 << 12}}
	case "int8":
		switch {
		case tr.Neuron != "lif-shift":
			return bad("neuron", "must be \"lif-shift\" with int8 weights, got %q", tr.Neuron)
		case tr.Input != "events":
			return bad("input", "must be \"events\" with int8 weights, got %q", tr.Input)
		case tr.Readout != "vmem":
			return bad("readout", "must be \"vmem\" with int8 weights, got %q", tr.Readout)
		case tr.ScaleUnits != 0 || tr.Sources != 0 || tr.GroupNeurons != 0 || tr.Patch != 0:
			return bad("scale_units", "scale_units, sources, group_neurons and patch are trinary settings; leave them 0 with int8 weights")
		}
		ranges = []intRange{{"max_weight", tr.MaxWeight, 127}, {"timesteps", tr.Timesteps, 1 << 12}}
	default:
		return bad("weights", "must be \"trinary\" or \"int8\", got %q", tr.Weights)
	}
	switch {
	case len(tr.Hidden) == 0:
		return bad("hidden", "must list at least one hidden width")
	case len(tr.Cite) == 0:
		return bad("sources_cited", "must name the sources of these figures")
	}
	for _, r := range ranges {
		if r.v < 1 || r.v > r.hi {
			return bad(r.field, "must be in 1..%d, got %d", r.hi, r.v)
		}
	}
	for i, h := range tr.Hidden {
		if h < 1 || h > 1<<20 {
			return bad(fmt.Sprintf("hidden[%d]", i), "must be in 1..1048576, got %d", h)
		}
	}
	return nil
}

// Trinary reports whether the section trains TrueNorth's grouped trinary
// IF layers (the trainer's TrinaryNet).
func (tr *Training) Trinary() bool { return tr.Weights == "trinary" }

// TrainsInt8 reports whether the section trains the float network with
// the chip's constraints as layer options: quantization-aware weights on
// a symmetric grid of ±MaxWeight steps per matrix (a hidden layer's input
// and recurrent weights share one grid), no bias, decays snapped to bit
// shifts (γ = 1 − 2^−dash), reset by subtraction, event input and the
// max-potential readout of the output neurons' potentials (Vmem).
func (tr *Training) TrainsInt8() bool { return tr.Weights == "int8" }

// TrainingTargets lists the targets with a training section, sorted.
func TrainingTargets() []string {
	var names []string
	for _, n := range Names() {
		if t, err := Lookup(n); err == nil && t.Training != nil {
			names = append(names, n)
		}
	}
	return names
}

// LookupTraining returns the target named name with its training section
// checked. A target without one is an error that lists the targets with
// one.
func LookupTraining(name string) (*Target, error) {
	t, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if t.Training == nil {
		return nil, fmt.Errorf("targets: %s has no training section: it trains as without --target (training targets: %s)",
			name, strings.Join(TrainingTargets(), ", "))
	}
	if err := t.Training.Validate("data/" + name + ".json"); err != nil {
		return nil, err
	}
	return t, nil
}
