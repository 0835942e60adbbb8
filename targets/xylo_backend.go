package targets

import (
	"errors"
	"fmt"
	"math"
)

// RecurrentCoreBackend is implemented by the backends of families whose
// chip is one recurrent population with input channels and readout
// neurons (Xylo). compile checks a model with DesignRules instead of the
// per-core limits and lowers it to a RecurrentCoreSpec; sim runs it on
// NewCore.
type RecurrentCoreBackend interface {
	Backend
	// Limits are the part's figures.
	Limits() *RecurrentCoreLimits
	// DesignRules returns every rule the network breaks (none: it maps).
	DesignRules(n *Network) []RuleViolation
	// NewCore checks a network in the chip's formats and builds it.
	NewCore(s *RecurrentCoreSpec) (*RecurrentCore, error)
}

// Network describes a model for a design-rule check, in terms that do not
// depend on the IR: compile builds it from a model.
type Network struct {
	// Inputs is the number of input channels (values per step).
	Inputs int
	// Encoding is the input's encoding: "direct", "rate" or "events".
	Encoding string
	// Readout is "mean-current", "spike-count" or "max-potential".
	Readout string
	Layers  []NetworkLayer
}

// NetworkLayer is one layer of a Network.
type NetworkLayer struct {
	Name string
	// Kind is "dense", "recurrent", "conv2d", "avgpool", "flatten"
	// or "sparse" (ir.LayerKind's names).
	Kind    string
	In, Out int
	// Weights is Out×In (W[o·In+i]), Recurrent Out×Out (V[o·Out+j]: from
	// neuron j to neuron o), Bias one per neuron; dense kinds only.
	Weights, Recurrent, Bias []float32
	// Neurons: the layer has LIF neurons (dense, recurrent, conv, sparse).
	Neurons bool
	// Leak is γ, CurrentDecay β_c; SubtractReset the reset by subtraction,
	// MultiSpike several spikes per step (⌊u/ϑ⌋, at most 31).
	Leak, CurrentDecay        float32
	SubtractReset, MultiSpike bool
}

// RuleViolation is one design rule a network breaks: the layer (−1: the
// whole network), the rule's name, what the network needs and what the
// part has (in Unit), and a sentence saying so.
type RuleViolation struct {
	Layer      int
	Rule       string
	Need, Have int64
	Unit       string
	Detail     string
}

// xylo is the Xylo family: one recurrent population of 16-bit integer LIF
// neurons with bit-shift decays (see xylo.go).
type xylo struct{ t *Target }

func (x xylo) Limits() *RecurrentCoreLimits { return x.t.RecurrentCore }

// WeightGrid: 8-bit signed weights, −127..127 (Rockpool's quantizers use
// the symmetric range; the matrix's shift scales all of them).
func (x xylo) WeightGrid(bits int) (int32, int32, error) {
	if !x.t.HasWeightBits(bits) {
		return 0, 0, fmt.Errorf("targets: %s has no %d-bit weights (valid: %v)", x.t.Name, bits, x.t.Bits.WeightChoices)
	}
	return 1, int32(1)<<(bits-1) - 1, nil
}

// AxonSynapseBits: every stored weight costs its bits (dense matrices).
func (x xylo) AxonSynapseBits(n int, f SynapseFormat) int64 {
	return blockBits(&x.t.SynapseMemory, n, f.WeightBits)
}

func (x xylo) MinAxonSynapseBits(n int, f SynapseFormat) int64 {
	return minBlockBits(&x.t.SynapseMemory, n, f.WeightBits)
}

// IFNeuron returns the closest Xylo neuron to an integrate-and-fire one:
// the slowest membrane decay (dash = MaxDash, still at least one unit per
// step while V ≠ 0), one current cleared every step (dash 0 after adding,
// so the input goes straight to V), subtractive reset and several spikes
// per step. It is not the IF neuron with reset to zero that the other
// families give (the conformance suite checks it against XyloStepNeuron).
func (x xylo) IFNeuron(threshold int64) Neuron {
	l := x.t.RecurrentCore
	return &xyloNeuron{p: XyloNeuronParams{DashMem: uint8(l.MaxDash), DashSyn: []uint8{uint8(l.MaxDash)}, Threshold: int32(threshold), MaxSpikes: int32(l.MaxHiddenSpikes)},
		i: make([]int32, 1)}
}

type xyloNeuron struct {
	p    XyloNeuronParams
	v    int32
	i    []int32
	last int32
}

// Step adds input to the current (saturating) and runs XyloStepNeuron; it
// reports whether at least one spike was emitted.
func (n *xyloNeuron) Step(input int64) bool {
	n.i[0] = SatAdd16(n.i[0], input)
	n.last = XyloStepNeuron(&n.p, &n.v, n.i)
	n.i[0] = 0 // the input is one step's current
	return n.last > 0
}

func (n *xyloNeuron) Potential() int64 { return int64(n.v) }

func (x xylo) NeuronModel() NeuronModel { return NeuronXylo }

// ErrRecurrentCore is returned by Kernel for families whose chip runs as
// one recurrent population (RecurrentCore), not as per-layer cores.
var ErrRecurrentCore = errors.New("targets: the chip runs the network as one recurrent population (RecurrentCore), not per-layer kernels")

func (x xylo) Kernel(KernelParams) (Kernel, error) { return nil, ErrRecurrentCore }

func (x xylo) Capabilities() Capabilities {
	return Capabilities{RecurrentCore: true, ConstrainedTraining: true}
}

func (x xylo) NewCore(s *RecurrentCoreSpec) (*RecurrentCore, error) {
	return NewRecurrentCore(s, x.t.RecurrentCore)
}

// ShiftDecay returns the dash whose decay 1 − 2^−dash is nearest to γ (in
// log(1−γ)), and whether γ is that decay up to float32 rounding. γ = 0 is
// dash 0 (the state is cleared every step).
func ShiftDecay(gamma float32, maxDash int) (dash int, exact bool) {
	if gamma <= 0 {
		return 0, gamma == 0
	}
	if gamma >= 1 {
		return maxDash, false
	}
	d := int(math.Round(-math.Log2(1 - float64(gamma))))
	d = max(0, min(maxDash, d))
	return d, math.Abs(float64(gamma)-ShiftGamma(d)) <= 1e-6
}

// ShiftGamma is the decay factor of a bit-shift decay: 1 − 2^−dash (0 for
// dash 0).
func ShiftGamma(dash int) float64 {
	if dash <= 0 {
		return 0
	}
	return 1 - math.Ldexp(1, -dash)
}

// DesignRules checks n against the part: Rockpool's mapper rules
// (xylo_mapper.py: the first module is a weight, no two weight layers in a
// row, outputs come from neurons, output neurons are not recurrent, at
// least two neuron layers, the input and output counts), the part's sizes
// (hidden neurons, fan-out, the first IOReach hidden neurons for inputs
// and outputs), and what the neuron cannot express (bias, decays that are
// not bit shifts, reset to zero, a readout that is not a neuron's). One
// hidden population: a second hidden layer would reach the next through
// the recurrent weights, one step later than in the model, so it is
// refused rather than mapped with a different timing.
func (x xylo) DesignRules(n *Network) []RuleViolation {
	l, name := x.t.RecurrentCore, x.t.Name
	var out []RuleViolation
	add := func(layer int, rule string, need, have int64, unit, format string, a ...any) {
		out = append(out, RuleViolation{Layer: layer, Rule: rule, Need: need, Have: have, Unit: unit, Detail: rule + ": " + fmt.Sprintf(format, a...)})
	}
	if n.Inputs > l.InputChannels {
		add(-1, "input channels", int64(n.Inputs), int64(l.InputChannels), "channels",
			"the network has %d inputs, %s has %d input channels", n.Inputs, name, l.InputChannels)
	}
	if n.Encoding != "events" {
		add(-1, "event input", 1, 0, "", "%s input is not events; %s's inputs are event channels (up to %d events per step)", n.Encoding, name, l.MaxInputEvents)
	}
	// the chain of modules, flatten left out
	var chain []int
	for i := range n.Layers {
		if n.Layers[i].Kind != "flatten" {
			chain = append(chain, i)
		}
	}
	if len(chain) == 0 {
		add(-1, "first module is a weight", 1, 0, "", "the network has no layer")
		return out
	}
	if first := &n.Layers[chain[0]]; first.Kind != "dense" && first.Kind != "recurrent" {
		add(chain[0], "first module is a weight", 1, 0, "", "the network starts with a %s layer, %s's input goes first through a weight matrix", first.Kind, name)
	}
	neurons := 0
	for k, i := range chain {
		ly := &n.Layers[i]
		switch ly.Kind {
		case "dense", "recurrent":
		case "avgpool":
			if k+1 < len(chain) {
				add(i, "no two weight layers in a row", 2, 1, "weight layers", "a pooling layer (a fixed weight matrix) feeds the weights of %s directly; %s needs neurons between weight matrices", n.Layers[chain[k+1]].Name, name)
			}
		default:
			add(i, "dense layers only", 1, 0, "", "a %s layer does not map onto %s's fully connected population", ly.Kind, name)
		}
		if ly.Neurons {
			neurons++
		}
	}
	if neurons < 2 {
		add(-1, "at least two neuron layers", 2, int64(neurons), "neuron layers", "%d neuron layer(s); %s needs a hidden and an output layer", neurons, name)
	}
	last := chain[len(chain)-1]
	lastL := &n.Layers[last]
	if lastL.Kind == "recurrent" {
		add(last, "output neurons are not recurrent", 0, 0, "", "the output layer %s is recurrent; %s's output neurons have no recurrent weights", lastL.Name, name)
	}
	if lastL.Out > l.OutputNeurons {
		add(last, "output neurons", int64(lastL.Out), int64(l.OutputNeurons), "neurons", "the output layer has %d neurons, %s has %d", lastL.Out, name, l.OutputNeurons)
	}
	switch n.Readout {
	case "max-potential", "spike-count":
	default:
		add(last, "outputs come from neurons", 1, 0, "", "the %s readout sums the output layer's input current; %s reads its output neurons' potentials (Vmem) or spikes: use --readout max-potential", n.Readout, name)
	}
	var hidden []int
	for _, i := range chain[:len(chain)-1] {
		if n.Layers[i].Neurons {
			hidden = append(hidden, i)
		}
	}
	if len(hidden) > 1 {
		add(hidden[1], "one hidden population", int64(len(hidden)), 1, "hidden layers",
			"%d hidden layers; on %s a second one would be fed through the recurrent weights one step late, so only one (recurrent) hidden layer maps exactly", len(hidden), name)
	}
	total := 0
	for _, i := range hidden {
		total += n.Layers[i].Out
	}
	if total > l.HiddenNeurons {
		add(hidden[0], "hidden neurons", int64(total), int64(l.HiddenNeurons), "neurons", "the hidden layers have %d neurons, %s has %d", total, name, l.HiddenNeurons)
	}
	if len(hidden) > 0 {
		h := &n.Layers[hidden[0]]
		x.hiddenRules(h, hidden[0], add)
		if l.IOReach > 0 && lastL.Kind == "dense" && len(lastL.Weights) == lastL.Out*lastL.In {
			if need := reach(lastL.Weights, lastL.Out, lastL.In, true); need > l.IOReach {
				add(last, "outputs read the first hidden neurons", int64(need), int64(l.IOReach), "hidden neurons",
					"hidden neuron %d projects to an output neuron; %s's outputs read only the first %d hidden neurons", need-1, name, l.IOReach)
			}
		}
	}
	for _, i := range chain {
		ly := &n.Layers[i]
		if !ly.Neurons {
			continue
		}
		nz := 0
		for _, b := range ly.Bias {
			if b != 0 {
				nz++
			}
		}
		if nz > 0 {
			add(i, "no bias", int64(nz), 0, "biases", "%d neurons have a bias; %s has none (Rockpool's mapper drops them)", nz, name)
		}
		for _, d := range []struct {
			what string
			v    float32
			zero bool // 0 allowed (dash 0)
		}{{"leak γ", ly.Leak, true}, {"current decay β_c", ly.CurrentDecay, false}} {
			dash, exact := ShiftDecay(d.v, l.MaxDash)
			if !exact || (dash == 0 && !d.zero) {
				add(i, "bit-shift decays", 1, 0, "", "%s = %g is not 1 − 2^−dash with dash in %d..%d (nearest %g, dash %d)", d.what, d.v, b2i(!d.zero), l.MaxDash, ShiftGamma(max(dash, b2i(!d.zero))), max(dash, b2i(!d.zero)))
			}
		}
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// hiddenRules are the rules of the hidden population h (model layer i).
func (x xylo) hiddenRules(h *NetworkLayer, i int, add func(int, string, int64, int64, string, string, ...any)) {
	l, name := x.t.RecurrentCore, x.t.Name
	switch {
	case !h.SubtractReset:
		add(i, "subtractive reset", 1, 0, "", "the hidden neurons reset to zero; %s resets by subtracting the threshold (--reset subtract-multi)", name)
	case !h.MultiSpike:
		add(i, "several spikes per step", int64(l.MaxHiddenSpikes), 1, "spikes per step", "the hidden neurons emit one spike per step; %s's emit up to %d (⌊V/ϑ⌋) and pass each on (--reset subtract-multi)", name, l.MaxHiddenSpikes)
	}
	N := h.Out
	if len(h.Recurrent) == N*N {
		fan, worst := 0, 0
		for j := 0; j < N; j++ {
			c := 0
			for o := 0; o < N; o++ {
				if h.Recurrent[o*N+j] != 0 {
					c++
				}
			}
			if c > fan {
				fan, worst = c, j
			}
		}
		if fan > l.MaxFanOut {
			add(i, "fan-out", int64(fan), int64(l.MaxFanOut), "targets", "hidden neuron %d has %d recurrent targets, %s allows %d per neuron", worst, fan, name, l.MaxFanOut)
		}
	}
	if l.IOReach > 0 && len(h.Weights) == N*h.In {
		if need := reach(h.Weights, N, h.In, false); need > l.IOReach {
			add(i, "inputs reach the first hidden neurons", int64(need), int64(l.IOReach), "hidden neurons",
				"input weights reach hidden neuron %d; %s's inputs project only to the first %d hidden neurons", need-1, name, l.IOReach)
		}
	}
}

// reach is one more than the highest hidden neuron with a non-zero weight
// in the out×in matrix w: as a target (rows) or, with fromInputs, as a
// source (columns).
func reach(w []float32, out, in int, fromInputs bool) int {
	r := 0
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			if w[o*in+i] == 0 {
				continue
			}
			if fromInputs {
				r = max(r, i+1)
			} else {
				r = max(r, o+1)
			}
		}
	}
	return r
}
