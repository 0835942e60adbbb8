package targets

import (
	"fmt"
	"math"
	"sort"

	"github.com/snnc/snnc/ir"
)

// SynapseMemory is the data of a core's synaptic-memory cost model.
//
// The synapses of one input axon on one core are stored in blocks of at most
// BlockSynapses synapses; a block costs
//
//	BlockHeaderBits + n·(synapse bits)   rounded up to a multiple of WordBits
//
// where the synapse bits are the family's (Loihi: weight + delay + tag bits,
// plus IndexBits when the block is sparse; TrueNorth: one crossbar bit).
type SynapseMemory struct {
	// Model names the layout: "blocks" (Loihi) or "crossbar" (TrueNorth).
	Model           string `json:"model"`
	BlockSynapses   int    `json:"block_synapses"`
	BlockHeaderBits int    `json:"block_header_bits"`
	WordBits        int    `json:"word_bits"`
	DelayBits       int    `json:"delay_bits"`
	TagBits         int    `json:"tag_bits"`
	IndexBits       int    `json:"index_bits"`
}

// SynapseFormat is how a group of synapses on a core is stored.
type SynapseFormat struct {
	// WeightBits is the weight precision n.
	WeightBits int
	// Sparse blocks store an index per synapse (connections that are not
	// all-to-all within the block).
	Sparse bool
	// IndexBits is the width of a sparse block's indices; 0 means the
	// target's SynapseMemory.IndexBits (Loihi: population synapses size
	// their indices to the largest index stored, see compile's conv model).
	IndexBits int
	// Delays: every synapse stores a delay (Loihi 2: SynapseMemory.DelayBits
	// more per synapse). Loihi 1's cost model always counts DelayBits.
	Delays bool
}

// Neuron is an integer neuron built from a family's update, for tools and
// the conformance tests.
type Neuron interface {
	// Step adds input (in potential units) and reports whether it fired.
	Step(input int64) bool
	// Potential is the state compared with the threshold.
	Potential() int64
}

// Backend is what a chip family must provide: the code that differs
// between families. Everything else about a target is data (target.go).
// The rest of the pipeline asks a target's Backend and never compares a
// family name; the family is chosen once, when a data file is loaded (see
// families).
type Backend interface {
	// WeightGrid returns the integer weights a synapse of the given
	// precision can hold: multiples of step in [−max, max]. It returns an
	// error if the family has no such precision.
	WeightGrid(bits int) (step, max int32, err error)
	// AxonSynapseBits is the synaptic memory, in bits, that one input axon
	// uses on one core when it drives n synapses there in format f. It is
	// 0 for n = 0 and non-decreasing in n.
	AxonSynapseBits(n int, f SynapseFormat) int64
	// MinAxonSynapseBits is a lower bound on the total memory of n synapses
	// of one input axon however they are split across cores:
	// MinAxonSynapseBits(a+b+…) ≤ AxonSynapseBits(a) + AxonSynapseBits(b) + ….
	MinAxonSynapseBits(n int, f SynapseFormat) int64
	// IFNeuron returns a non-leaky integrate-and-fire neuron with reset to
	// zero that fires when its potential reaches at least threshold (in
	// potential units; threshold ≥ 1).
	IFNeuron(threshold int64) Neuron
	// NeuronModel is the integer neuron update of the family's cores: the
	// quantizer (QuantizeLayer), the reference evaluator (compile.Integer)
	// and the simulator's kernel (sim) all implement the step function
	// documented with the model.
	NeuronModel() NeuronModel
	// QuantizeLayer lowers one float layer to the family's integer
	// formats (weights on WeightGrid, exponents, scale, threshold, decays,
	// biases, axon types) for NeuronModel's update, with a warning for the
	// report when it had to give up precision. compile's quantize pass
	// calls it for every layer with neurons (quantize.go).
	QuantizeLayer(r *QuantizeRequest) (ir.QuantLayer, string, error)
	// Kernel returns the neuron model's update of one layer with the given
	// parameters in the form the simulator runs (see Kernel), or an error
	// if the parameters are out of the model's range.
	Kernel(p KernelParams) (Kernel, error)
	// Capabilities are the mapping rules the family adds to the generic
	// pipeline.
	Capabilities() Capabilities
}

// Behavior is the former name of Backend.
//
// Deprecated: use Backend.
type Behavior = Backend

// NeuronModel names an integer neuron update. Several families may share
// one.
type NeuronModel int

const (
	// NeuronCUBA is the current-based compartment of LoihiStep: u and v
	// decay multiplicatively (12-bit decays), weights enter u shifted by
	// 6+e, spike when v > Vth·2^6, reset to 0.
	NeuronCUBA NeuronModel = iota + 1
	// NeuronLinearLeak is the neuron of TrueNorthStep: V integrates the
	// input, a linear leak λ is subtracted, spike when V ≥ α, reset modes.
	NeuronLinearLeak
	// NeuronLavaCUBA is Lava's bit-accurate CUBA-LIF of Loihi2Step: the
	// weight exponent applies to the accumulated sum, u wraps once at
	// ±2^23, du carries Lava's offset of 1.
	NeuronLavaCUBA
)

// String returns the model's name as the documentation uses it.
func (m NeuronModel) String() string {
	switch m {
	case NeuronCUBA:
		return "CUBA compartment"
	case NeuronLinearLeak:
		return "linear-leak neuron"
	case NeuronLavaCUBA:
		return "Lava CUBA-LIF"
	}
	return fmt.Sprintf("NeuronModel(%d)", int(m))
}

// Capabilities are the family's mapping rules beyond the per-core limits
// of the data file. The generic compiler acts on them; it never asks which
// family a target is.
type Capabilities struct {
	// PopulationAxons: a conv layer with on-chip input is fed through
	// population axons, one per (group, input pixel) shared by the layer's
	// cores, with pop16/pop32 output slots (compile's convpop.go), in the
	// formats of Populations.
	PopulationAxons bool
	Populations     PopulationFormats
	// Splitters: a neuron reaches at most Core.FanOut target cores and a
	// core is a crossbar of Core.AxonTypes typed axons. A model beyond the
	// per-neuron limits (or with conv or sparse layers) is mapped by the
	// splitter plan: cores are planned layer by layer, splitter layers copy
	// spikes to more cores, and typed axon copies carry each neuron's few
	// weight values (compile's truenorth_map.go).
	Splitters bool
	// SparseLayers: layers given as explicit synapse lists are compiled.
	SparseLayers bool
	// SetSynapseOps: a synaptic operation of a dense layer is a spike
	// meeting a set (non-zero) synapse, as on a binary crossbar (TrueNorth:
	// energy per synaptic event, Merolla 2014); otherwise every synapse of
	// the arriving axon on the core counts (Loihi stores and reads the
	// whole dense row). Energy and latency charge synaptic ops so counted.
	SetSynapseOps bool
	// GradedSpikes: a spike may carry a signed integer payload (the data
	// file's graded_spikes section gives its width) that a synapse
	// multiplies by its weight. compile's Options.GradedInput needs it.
	GradedSpikes bool
	// ConstrainedTraining: snnc train --target trains a model inside the
	// family's limits (grouped blocks with structural zeros in dense
	// matrices, few weight values, IF neurons), so the model's layers
	// carry that structure.
	ConstrainedTraining bool
}

// PopulationFormats are a family's population-axon formats (nengo-loihi's
// Synapse.pop_type, SynapseConfig.INDEX_BITS_MAP, Axon.slots_per_axon and
// builder/validate.py for Loihi): how compile's convpop.go stores a conv
// layer fed by population axons.
type PopulationFormats struct {
	// IndexWidths are the synapse index widths, narrowest first; the
	// first is 0 (every stored index is 0).
	IndexWidths []int
	// BaseLimit bounds a list's compartment base: a larger base is split
	// into base mod BaseLimit and an index offset added to the stored
	// indices.
	BaseLimit int32
	// Pop32Slots and Pop16Slots are the sending core's output-axon slots
	// per pop32 and pop16 axon.
	Pop32Slots, Pop16Slots int
	// Pop16MaxAtoms is the most populations (input channels of a group) of
	// a pop16 list; Pop16Align the multiple pop16 compartment bases are;
	// Pop16MaxAxons the most input axons of a core fed by pop16 axons.
	Pop16MaxAtoms int
	Pop16Align    int32
	Pop16MaxAxons int
}

// loihiPopulations are Loihi 1's population-axon formats (nengo-loihi):
// pop32 takes 2 output slots, pop16 1 slot for at most 32 atoms (5 atom
// bits), bases multiples of 4 and at most 1,024 input axons (10 axon index
// bits); synapse indices of 6–12 bits; list bases below 256.
var loihiPopulations = PopulationFormats{IndexWidths: []int{0, 6, 7, 8, 9, 10, 11, 12}, BaseLimit: 256,
	Pop32Slots: 2, Pop16Slots: 1, Pop16MaxAtoms: 32, Pop16Align: 4, Pop16MaxAxons: 1024}

// families maps a data file's "family" to the constructor of its backend.
// It is the one place where a family name selects code.
var families = map[string]func(*Target) Backend{
	"loihi":     func(t *Target) Backend { return loihi{t} },
	"loihi2":    func(t *Target) Backend { return loihi2{t} },
	"truenorth": func(t *Target) Backend { return truenorth{t} },
}

// Families lists the known families, sorted.
func Families() []string {
	names := make([]string, 0, len(families))
	for f := range families {
		names = append(names, f)
	}
	sort.Strings(names)
	return names
}

// Backend returns the family backend of t. It panics if the family is
// unknown, which Lookup and Parse never return (a Target built by hand
// must name a known family).
func (t *Target) Backend() Backend {
	newBackend, ok := families[t.Family]
	if !ok {
		panic(fmt.Sprintf("targets: %s: unknown family %q", t.Name, t.Family))
	}
	return newBackend(t)
}

// Behavior returns t.Backend().
//
// Deprecated: use Backend.
func (t *Target) Behavior() Backend { return t.Backend() }

// CoreSynapseBits is the synaptic memory of one core whose input axon i
// drives synapsesPerAxon[i] synapses in format f: the sum of the family's
// AxonSynapseBits.
func CoreSynapseBits(b Backend, synapsesPerAxon []int, f SynapseFormat) int64 {
	var bits int64
	for _, n := range synapsesPerAxon {
		bits += b.AxonSynapseBits(n, f)
	}
	return bits
}

// Hops returns the total hop count between two cores: tile hops east-west
// and north-south plus Chip.ChipHops per chip boundary crossed.
func (t *Target) Hops(chipA, xa, ya, chipB, xb, yb int) int {
	ew, ns, chips := t.CoreHops(chipA, xa, ya, chipB, xb, yb)
	return ew + ns + chips*t.Chip.ChipHops
}

// EncodeWeights writes dst[i] = clamp(round(w[i]·scale/step), ±max/step)·step,
// the nearest weight on the grid returned by WeightGrid. It panics if the
// lengths differ.
func EncodeWeights(dst []int16, w []float32, scale float32, step, max int32) {
	if len(dst) != len(w) {
		panic("targets: EncodeWeights length mismatch")
	}
	inv := scale / float32(step)
	lim := float32(max / step)
	for i, x := range w {
		q := x * inv
		if q > lim {
			q = lim
		}
		if q < -lim {
			q = -lim
		}
		// round half away from zero: add ±0.5 with q's sign, truncate
		h := math.Float32frombits(math.Float32bits(q)&0x80000000 | 0x3f000000)
		dst[i] = int16(int32(q+h) * step)
	}
}

// blockBits is the block-packing cost shared by the families.
func blockBits(m *SynapseMemory, n int, synBits int) int64 {
	if n <= 0 {
		return 0
	}
	B := max(1, m.BlockSynapses)
	word := int64(max(1, m.WordBits))
	full := int64(n / B)
	rem := n % B
	perFull := roundUp(int64(m.BlockHeaderBits)+int64(B)*int64(synBits), word)
	bits := full * perFull
	if rem > 0 {
		bits += roundUp(int64(m.BlockHeaderBits)+int64(rem)*int64(synBits), word)
	}
	return bits
}

// minBlockBits is the lower bound of blockBits over any split: at least
// ceil(n/B) headers, n payloads, rounded up to whole words.
func minBlockBits(m *SynapseMemory, n int, synBits int) int64 {
	if n <= 0 {
		return 0
	}
	B := max(1, m.BlockSynapses)
	word := int64(max(1, m.WordBits))
	blocks := int64((n + B - 1) / B)
	return roundUp(blocks*int64(m.BlockHeaderBits)+int64(n)*int64(synBits), word)
}

func roundUp(x, m int64) int64 { return (x + m - 1) / m * m }

// loihi is the Loihi family: CUBA compartments, 8-bit weight field with a
// per-format exponent, block-packed synaptic memory.
type loihi struct{ t *Target }

// WeightGrid: signed n-bit weights keep n−1 magnitude bits of the 8-bit
// magnitude field (nengo-loihi's discretize_weights): step 2^(9−n),
// max (2^(n−1)−1)·step (254 for n = 8).
func (l loihi) WeightGrid(bits int) (int32, int32, error) {
	if !l.t.HasWeightBits(bits) {
		return 0, 0, fmt.Errorf("targets: %s has no %d-bit weights (valid: %v)", l.t.Name, bits, l.t.Bits.WeightChoices)
	}
	if bits < 2 {
		return 0, 0, fmt.Errorf("targets: %s: %d-bit weights are unsigned; signed weights need at least 2 bits", l.t.Name, bits)
	}
	step := int32(1) << (l.t.Bits.Weight + 1 - bits)
	return step, (int32(1)<<(bits-1) - 1) * step, nil
}

func (l loihi) synBits(f SynapseFormat) int {
	return synapseBits(&l.t.SynapseMemory, f, l.t.SynapseMemory.DelayBits)
}

// synapseBits is one synapse's bits in a block: weight, delay (delayBits),
// learning tag, and a sparse block's index (f.IndexBits, or m.IndexBits
// when that is 0).
func synapseBits(m *SynapseMemory, f SynapseFormat, delayBits int) int {
	b := f.WeightBits + delayBits + m.TagBits
	if f.Sparse {
		if f.IndexBits > 0 {
			b += f.IndexBits
		} else {
			b += m.IndexBits
		}
	}
	return b
}

func (l loihi) AxonSynapseBits(n int, f SynapseFormat) int64 {
	return blockBits(&l.t.SynapseMemory, n, l.synBits(f))
}

func (l loihi) MinAxonSynapseBits(n int, f SynapseFormat) int64 {
	return minBlockBits(&l.t.SynapseMemory, n, l.synBits(f))
}

func (l loihi) IFNeuron(threshold int64) Neuron {
	// fires when v > Vth<<6, i.e. v ≥ Vth·64+1: pick Vth = (threshold−1)/64
	// and pre-scale the input so that the threshold lands exactly.
	vth := (threshold - 1) >> 6
	off := threshold - (vth<<6 + 1) // ≥ 0: added once to the potential's threshold
	return &loihiNeuron{p: LoihiParams{DecayU: 4096, DecayV: 0, Vth: int32(vth), PotentialBits: uint8(l.t.Bits.Potential)}, off: off}
}

type loihiNeuron struct {
	p    LoihiParams
	u, v int32
	off  int64
}

func (n *loihiNeuron) Step(input int64) bool {
	// The offset lifts the threshold by off units: v is kept off below the
	// neuron's potential.
	v := int64(n.v) - n.off
	n.v = int32(v)
	fired := LoihiStep(&n.p, &n.u, &n.v, input, 0)
	if !fired {
		n.v = int32(int64(n.v) + n.off)
	}
	return fired
}

func (n *loihiNeuron) Potential() int64 { return int64(n.v) }

func (l loihi) NeuronModel() NeuronModel { return NeuronCUBA }

func (l loihi) Kernel(p KernelParams) (Kernel, error) { return newCUBAKernel(p) }

func (l loihi) Capabilities() Capabilities {
	return Capabilities{PopulationAxons: true, Populations: loihiPopulations}
}

// truenorth is the TrueNorth family: binary crossbar with 4 axon types,
// linear leak.
type truenorth struct{ t *Target }

func (tn truenorth) WeightGrid(bits int) (int32, int32, error) {
	if !tn.t.HasWeightBits(bits) {
		return 0, 0, fmt.Errorf("targets: %s has no %d-bit weights (valid: %v)", tn.t.Name, bits, tn.t.Bits.WeightChoices)
	}
	return 1, int32(1)<<(bits-1) - 1, nil
}

// AxonSynapseBits: an axon owns one crossbar row (one bit per neuron of the
// core) whatever its weights.
func (tn truenorth) AxonSynapseBits(n int, _ SynapseFormat) int64 {
	return blockBits(&tn.t.SynapseMemory, n, 1)
}

func (tn truenorth) MinAxonSynapseBits(n int, _ SynapseFormat) int64 {
	// a split still costs a full row per core, and at least one row per
	// BlockSynapses synapses.
	return blockBits(&tn.t.SynapseMemory, n, 1)
}

func (tn truenorth) IFNeuron(threshold int64) Neuron {
	return &tnNeuron{p: TrueNorthParams{Threshold: int32(threshold), Reset: 0, PotentialBits: uint8(tn.t.Bits.Potential)}}
}

type tnNeuron struct {
	p TrueNorthParams
	v int32
}

func (n *tnNeuron) Step(input int64) bool { return TrueNorthStep(&n.p, &n.v, input) }
func (n *tnNeuron) Potential() int64      { return int64(n.v) }

func (tn truenorth) NeuronModel() NeuronModel { return NeuronLinearLeak }

func (tn truenorth) Kernel(p KernelParams) (Kernel, error) { return newLinearLeakKernel(p) }

func (tn truenorth) Capabilities() Capabilities {
	return Capabilities{Splitters: true, SparseLayers: true, SetSynapseOps: true, ConstrainedTraining: true}
}

// HasWeightBits reports whether n is one of the target's weight precisions.
func (t *Target) HasWeightBits(n int) bool {
	for _, c := range t.Bits.WeightChoices {
		if c == n {
			return true
		}
	}
	return false
}
