package targets

import (
	"fmt"
	"math"
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

// Behavior is the code that differs between chip families. Everything else
// about a target is data.
type Behavior interface {
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
}

// Behavior returns the family behaviour of t. It panics if the family is
// unknown (a broken data file; the conformance tests catch it).
func (t *Target) Behavior() Behavior {
	switch t.Family {
	case "loihi":
		return loihi{t}
	case "loihi2":
		return loihi2{t}
	case "truenorth":
		return truenorth{t}
	}
	panic(fmt.Sprintf("targets: %s: unknown family %q", t.Name, t.Family))
}

// CoreSynapseBits is the synaptic memory of one core whose input axon i
// drives synapsesPerAxon[i] synapses in format f: the sum of the family's
// AxonSynapseBits.
func CoreSynapseBits(b Behavior, synapsesPerAxon []int, f SynapseFormat) int64 {
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

// HasWeightBits reports whether n is one of the target's weight precisions.
func (t *Target) HasWeightBits(n int) bool {
	for _, c := range t.Bits.WeightChoices {
		if c == n {
			return true
		}
	}
	return false
}
