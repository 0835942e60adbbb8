package targets

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
)

// Loihi 2 as Lava's bit-accurate process models define it. Everything here
// follows lava-nc/lava's Python models line by line:
//
//   - the CUBA-LIF update: proc/lif/models.py, AbstractPyLifModelFixed
//     (subthr_dynamics, scale_bias, reset_voltage, run_spk) and
//     PyLifModelBitAcc (scale_threshold, spiking_activation);
//   - the synapse: proc/dense/models.py and proc/sparse/models.py,
//     PyDenseModelBitAcc / AbstractPySparseModelBitAcc (run_spk: clip and
//     truncate the weights once, accumulate Σ w·s, apply the weight
//     exponent, send one step later);
//   - the weight rules: utils/weightutils.py (clip_weights,
//     truncate_weights, optimize_weight_bits with loihi2=True);
//   - synaptic delays: proc/sparse DelaySparse (delay 0 arrives with the
//     usual one-step buffer) with lava-dl netx's max_delay = 62
//     (netx/blocks/process.py).
//
// Loihi2Step differs from LoihiStep (Loihi 1, neuron.go) in the wrap of the
// current u: Lava subtracts or adds 2^24 once, when u > 2^23 or u ≤ −2^23,
// so u = 2^23 is kept and u = −2^23 becomes +2^23, where LoihiStep's
// two's-complement wrap gives −2^23 for both; and the activation enters
// with a fixed shift of 6, the weight exponent having been applied to the
// accumulated sum by the synapse (rounding toward −∞ when negative).

// Lava's fixed-point constants of the CUBA-LIF (AbstractPyLifModelFixed.
// __init__). The data file's bits.potential and bits.decay must agree.
const (
	// Loihi2StateBits is the width of u and v (uv_bitwidth).
	Loihi2StateBits = 24
	// Loihi2DecayShift: decays are multiplied by (4096 − d) and shifted
	// right by 12 (decay_shift; decay_unity = 4096).
	Loihi2DecayShift = 12
	// Loihi2ActShift aligns the activation to u's MSBs (act_shift).
	Loihi2ActShift = 6
	// Loihi2VthShift aligns the threshold mantissa to v (vth_shift).
	Loihi2VthShift = 6
	// loihi2DsOffset and loihi2DmOffset are added to du and dv (ds_offset,
	// dm_offset): du = 4095 clears u every step, dv cannot reach 4096.
	loihi2DsOffset = 1
	loihi2DmOffset = 0
	// loihi2MaxWeightBits is the weight field (max_num_weight_bits 8).
	loihi2MaxWeightBits = 8
)

// Loihi2LIF holds one CUBA-LIF neuron's parameters as Lava's
// PyLifModelBitAcc stores them: register values, not effective decays.
type Loihi2LIF struct {
	// Du and Dv are the 12-bit decay registers (0..4095). The current
	// decays by Du+1, the voltage by Dv.
	Du, Dv int32
	// BiasMant is the 13-bit signed bias mantissa and BiasExp its exponent
	// (0..7 on the chip; Lava shifts right for a negative exponent).
	BiasMant int32
	BiasExp  int8
	// Vth is the 17-bit threshold mantissa: the neuron fires when
	// v > Vth << 6.
	Vth int32
	// SubtractReset replaces the reset to 0 by v ← v − (Vth<<6 + 1), the
	// threshold as the compiler programs it (ϑ·Scale = Vth·64 + 1). It is
	// not Lava's standard LIF but a microcoded variant of it: Loihi 2's
	// neurons are programs (Intel's Loihi 2 brief; Lava's ProcessModels
	// for the chip are microcode), and this one differs from the standard
	// CUBA-LIF in the reset only.
	SubtractReset bool
	// MultiSpike (with SubtractReset) lets the neuron send its spike count
	// of the step as one graded spike: s = min(⌊v/ϑ⌋, ir.MaxSpikesPerStep)
	// for ϑ = Vth<<6 + 1, then v ← v − s·ϑ (ir.ResetSubtractMulti; see
	// Loihi2StepCount). Another microcoded variant: the payload is the
	// neuron's integer activation, as Lava's GradedVec (proc/graded) sends
	// its v as a graded spike's payload.
	MultiSpike bool
}

// Loihi2State is one neuron's state: current u and voltage v.
type Loihi2State struct{ U, V int32 }

// Bias returns Lava's effective bias (scale_bias): BiasMant << BiasExp, or
// BiasMant >> −BiasExp (arithmetic, rounding toward −∞) for a negative
// exponent.
func (p *Loihi2LIF) Bias() int32 {
	if p.BiasExp >= 0 {
		return p.BiasMant << uint(p.BiasExp)
	}
	return p.BiasMant >> uint(-p.BiasExp)
}

// Loihi2Step advances one neuron by one step with the activation a_in (the
// synapse's output for this step, a 32-bit integer as Lava's a_out) and
// reports whether it spiked. Arithmetic is Lava's, in int32 as numpy does
// it:
//
//	u ← sgn(u)·((|u|·(4096 − (du+1))) >> 12) + (a_in << 6)     (int32, wraps mod 2^32)
//	u ← u − 2^24 if u > 2^23;  u + 2^24 if u ≤ −2^23           (once, not modulo)
//	v ← clip(sgn(v)·((|v|·(4096 − dv)) >> 12) + u + bias, ±(2^23 − 1))
//	spike when v > vth << 6; then v ← 0 (u is not reset), or with
//	SubtractReset v ← v − (vth<<6 + 1)
//
// It allocates nothing.
func Loihi2Step(p *Loihi2LIF, s *Loihi2State, activation int32) bool {
	return Loihi2StepCount(p, s, activation) > 0
}

// Loihi2StepCount is Loihi2Step returning the number of spikes the neuron
// sends this step: 0 or 1, or with MultiSpike (and SubtractReset)
//
//	s = min(⌊v/ϑ⌋, ir.MaxSpikesPerStep) where v ≥ ϑ = vth<<6 + 1,  v ← v − s·ϑ
//
// which goes out as one graded spike with payload s. It allocates nothing.
func Loihi2StepCount(p *Loihi2LIF, s *Loihi2State, activation int32) int32 {
	const maxUV = int32(1) << (Loihi2StateBits - 1)
	u := LoihiDecay(s.U, p.Du+loihi2DsOffset) + activation<<Loihi2ActShift
	switch {
	case u > maxUV:
		u -= 2 * maxUV
	case u <= -maxUV:
		u += 2 * maxUV
	}
	s.U = u
	v := int64(LoihiDecay(s.V, p.Dv+loihi2DmOffset)) + int64(u) + int64(p.Bias())
	s.V = ClipSigned(v, Loihi2StateBits)
	if int64(s.V) <= int64(p.Vth)<<Loihi2VthShift {
		return 0
	}
	theta := p.Vth<<Loihi2VthShift + 1
	switch {
	case p.SubtractReset && p.MultiSpike:
		n := min(s.V/theta, ir.MaxSpikesPerStep)
		s.V -= n * theta
		return n
	case p.SubtractReset:
		s.V -= theta
	default:
		s.V = 0
	}
	return 1
}

// Loihi2SignMode is the sign of a weight matrix (Lava's SignMode).
type Loihi2SignMode uint8

const (
	// Loihi2Mixed: weights of both signs; one bit of the field is the sign.
	Loihi2Mixed Loihi2SignMode = iota
	// Loihi2Excitatory: weights ≥ 0.
	Loihi2Excitatory
	// Loihi2Inhibitory: weights ≤ 0.
	Loihi2Inhibitory
)

// Loihi2DroppedBits is the number of low bits Lava's truncate_weights
// drops from an 8-bit weight: 8 − bits (+1 for mixed sign).
func Loihi2DroppedBits(bits int, mode Loihi2SignMode) int {
	k := loihi2MaxWeightBits - bits
	if mode == Loihi2Mixed {
		k++
	}
	return k
}

// Loihi2Weight is weight w as Lava's bit-accurate Dense and Sparse hold it:
// clip_weights to the 8-bit field ([−256, 255] mixed, [0, 255]
// excitatory, [−255, 0] inhibitory), then truncate_weights to bits bits
// (an arithmetic shift: mixed-sign weights round toward −∞, inhibitory
// ones toward zero). It panics if bits is not in 1..8.
func Loihi2Weight(w int32, bits int, mode Loihi2SignMode) int32 {
	if bits < 1 || bits > loihi2MaxWeightBits {
		panic(fmt.Sprintf("targets: Loihi2Weight: %d-bit weights (want 1..8)", bits))
	}
	const field = int32(1)<<loihi2MaxWeightBits - 1
	neg := mode == Loihi2Inhibitory
	if neg {
		w = -w
	}
	lo := int32(0)
	if mode == Loihi2Mixed {
		lo = -field - 1
	}
	w = min(max(w, lo), field)
	k := uint(Loihi2DroppedBits(bits, mode))
	w = (w >> k) << k
	if neg {
		w = -w
	}
	return w
}

// Loihi2Mantissa is the bits-bit mantissa Loihi 2 stores for a truncated
// weight w (lava's optimize_weight_bits with loihi2=True: w / 2^(8−bits),
// then / 2 for mixed sign, each rounding toward zero). On a truncated
// weight it is exact: Loihi2Mantissa(w) << Loihi2DroppedBits = w.
func Loihi2Mantissa(w int32, bits int, mode Loihi2SignMode) int32 {
	m := w / (int32(1) << (loihi2MaxWeightBits - bits))
	if mode == Loihi2Mixed {
		m /= 2
	}
	return m
}

// Loihi2WeightScale is the shift the chip applies to a stored mantissa:
// w_scale = 8 − bits + exp (+1 for mixed sign). A synapse with mantissa m
// adds m·2^w_scale to the accumulation when w_scale ≥ 0.
func Loihi2WeightScale(bits, exp int, mode Loihi2SignMode) int {
	return Loihi2DroppedBits(bits, mode) + exp
}

// Loihi2Activation applies the weight exponent to an accumulated synaptic
// sum as PyDenseModelBitAcc does (sum << exp, or sum >> −exp rounding
// toward −∞) and converts it to the 32-bit activation the neuron receives
// (two's-complement, as numpy's cast to Lava's np.int32 a_out).
func Loihi2Activation(sum int64, exp int) int32 {
	if exp > 0 {
		return int32(sum << uint(exp))
	}
	return int32(sum >> uint(-exp))
}

// Loihi2GradedInput is the contribution of one synapse of (truncated)
// weight w receiving a graded spike with the given payload: w·payload
// (Dense's weights.dot(s_in) when num_message_bits > 0). A binary spike is
// payload 1.
func Loihi2GradedInput(w, payload int32) int64 { return int64(w) * int64(payload) }

// PayloadRange is the signed range of a graded spike's payload,
// [−2^(b−1), 2^(b−1) − 1] for b = PayloadBits; (0, 1) when the target has
// no graded spikes (binary spikes only).
func (g GradedSpikes) PayloadRange() (lo, hi int64) {
	if g.PayloadBits <= 0 {
		return 0, 1
	}
	return -(int64(1) << (g.PayloadBits - 1)), int64(1)<<(g.PayloadBits-1) - 1
}

// SumBits is the width of the synaptic sum Σ w·p of graded spikes: 32 bits
// (Lava's Dense and Sparse accumulate in numpy int32, a_out np.int32), wider
// than the binary accumulator of Bits.Accumulator.
func (g GradedSpikes) SumBits() int { return 32 }

// GradedPayload is the payload of a graded host input value x:
// round(x·inScale·payloadScale) (in float64, half away from zero), clamped
// to ±payloadScale (inputs beyond ±1 after inScale clip, which keeps the
// synaptic sum inside the bound the quantizer assumes) and to the signed
// payloadBits range. Compile's reference evaluator and the simulator both
// convert inputs with it. NaN gives 0.
func GradedPayload(x, inScale, payloadScale float32, payloadBits int) int32 {
	v := math.Round(float64(x) * float64(inScale) * float64(payloadScale))
	hi := min(math.Floor(float64(payloadScale)), float64(int64(1)<<(payloadBits-1)-1))
	switch {
	case v != v:
		return 0
	case v > hi:
		return int32(hi)
	case v < -hi:
		return int32(-hi)
	}
	return int32(v)
}

// Loihi2ArrivalStep is the step at which a spike sent at step sent over a
// synapse with the given delay reaches its neuron: the synapse's output is
// buffered one step (Dense and Sparse send last step's accumulation), and a
// delay d adds d steps (DelaySparse: "delays of 0 correspond to the next
// time step").
func Loihi2ArrivalStep(sent, delay int) int { return sent + 1 + delay }

// loihi2 is the Loihi 2 family: Lava's CUBA-LIF, 1–8-bit weights with a
// weight exponent applied to the accumulated sum, optional synaptic delays
// and graded spikes, block-packed synaptic memory (assumed, as Loihi 1's).
type loihi2 struct{ t *Target }

// WeightGrid returns the grid of mixed-sign weights, the kind a trained
// layer has: the values Loihi2Weight keeps, step 2^(9−bits), max
// 255 truncated = 256 − step. One-bit weights are single-sign in Lava
// (mixed sign spends the bit on the sign), so bits = 1 is an error here.
func (l loihi2) WeightGrid(bits int) (int32, int32, error) {
	if !l.t.HasWeightBits(bits) || bits > loihi2MaxWeightBits {
		return 0, 0, fmt.Errorf("targets: %s has no %d-bit weights (valid: %v)", l.t.Name, bits, l.t.Bits.WeightChoices)
	}
	if bits < 2 {
		return 0, 0, fmt.Errorf("targets: %s: %d-bit weights are single-sign; mixed-sign weights need at least 2 bits", l.t.Name, bits)
	}
	step := int32(1) << Loihi2DroppedBits(bits, Loihi2Mixed)
	return step, Loihi2Weight(math.MaxInt32, bits, Loihi2Mixed), nil
}

// synBits is one synapse's bits: Loihi 1's, with the delay field only
// in formats that store delays.
func (l loihi2) synBits(f SynapseFormat) int {
	delay := 0
	if f.Delays {
		delay = l.t.SynapseMemory.DelayBits
	}
	return synapseBits(&l.t.SynapseMemory, f, delay)
}

func (l loihi2) AxonSynapseBits(n int, f SynapseFormat) int64 {
	return blockBits(&l.t.SynapseMemory, n, l.synBits(f))
}

func (l loihi2) MinAxonSynapseBits(n int, f SynapseFormat) int64 {
	return minBlockBits(&l.t.SynapseMemory, n, l.synBits(f))
}

// IFNeuron: du = 4095 (u holds only this step's input), dv = 0 (no leak),
// no bias. The input x enters as the activation, so v grows by x << 6; with
// vth = threshold − 1 the neuron fires when 64·Σx > 64·(threshold − 1),
// i.e. Σx ≥ threshold. It panics if threshold − 1 does not fit the 17-bit
// threshold mantissa.
func (l loihi2) IFNeuron(threshold int64) Neuron {
	vth := threshold - 1
	if threshold < 1 || vth >= int64(1)<<l.t.Bits.Threshold {
		panic(fmt.Sprintf("targets: %s: IF threshold %d outside 1..2^%d", l.t.Name, threshold, l.t.Bits.Threshold))
	}
	return &loihi2Neuron{p: Loihi2LIF{Du: 4095, Dv: 0, Vth: int32(vth)}}
}

type loihi2Neuron struct {
	p Loihi2LIF
	s Loihi2State
}

func (n *loihi2Neuron) Step(input int64) bool { return Loihi2Step(&n.p, &n.s, int32(input)) }

// Potential is v, 64 per unit of input.
func (n *loihi2Neuron) Potential() int64 { return int64(n.s.V) }
