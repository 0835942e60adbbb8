package targets

// Integer neuron updates. These are the definitions the quantizer, the
// simulator and the energy model agree on; the simulator's fast loops are
// tested against them bit for bit.

// LoihiParams are one Loihi compartment's integer parameters.
type LoihiParams struct {
	// DecayU and DecayV are in 0..4096; 4096 clears the state each step.
	// (The chip's 12-bit du field stores DecayU−1 for u; the +1 offset the
	// chip adds back is folded in here.)
	DecayU, DecayV int32
	// WeightShift is 6+e for weight exponent e: the summed weight mantissas
	// are shifted left by it before entering u.
	WeightShift uint8
	// Vth is the threshold mantissa; the compartment fires when v > Vth<<6.
	Vth int32
	// PotentialBits is the width of u and v (24 on Loihi).
	PotentialBits uint8
}

// LoihiDecay returns sgn(x)·((|x|·(4096−d)) >> 12), Loihi's decay with
// rounding toward zero.
func LoihiDecay(x int32, d int32) int32 {
	if x >= 0 {
		return int32((int64(x) * int64(4096-d)) >> 12)
	}
	return -int32((int64(-x) * int64(4096-d)) >> 12)
}

// WrapSigned wraps x to a two's-complement integer of the given width.
func WrapSigned(x int64, bits uint8) int32 {
	shift := 64 - bits
	return int32((x << shift) >> shift)
}

// ClipSigned clips x to ±(2^(bits−1) − 1).
func ClipSigned(x int64, bits uint8) int32 {
	lim := int64(1)<<(bits-1) - 1
	if x > lim {
		return int32(lim)
	}
	if x < -lim {
		return int32(-lim)
	}
	return int32(x)
}

// LoihiStep advances one compartment by one step. input is the sum of the
// weight mantissas of the synapses that received a spike this step; bias is
// the already-shifted bias (mantissa << exponent, or the host-computed
// direct-current bias). It reports whether the compartment spiked.
//
//	u ← wrap(decay(u, DecayU) + input<<WeightShift)
//	v ← clip(decay(v, DecayV) + u + bias)
//	spike when v > Vth<<6, then v ← 0
//
// This is the update of Lava's bit-accurate Loihi model (PyLifModelBitAcc
// in lava/proc/lif/models.py) step for step, with Lava's du = DecayU − 1
// (its ds_offset of 1 folded in), dv = DecayV and act_shift 6 plus the
// weight exponent in WeightShift; the tests follow Lava's update on
// hand-computed traces, wrap and saturation included. It differs from Lava
// in one place, on purpose: when decay(u) + input<<WeightShift is exactly
// ±2^23. Lava keeps +2^23 and maps −2^23 to +2^23; here wrap is the 24-bit
// two's-complement wrap (WrapSigned), which gives −2^23 in both cases.
// The chip holds u in a 24-bit signed register, where +2^23 does not
// exist; nengo-loihi's emulator, written against the chip, overflows 2^23
// to −2^23 and keeps −2^23 in the same way; and Lava's own comment says
// the value wraps modulo the register (it also wraps only once, which its
// 16-bit input bounds but snnc's summed input does not). At the edge the
// two give opposite signs to v and Lava may spike where the chip does not.
func LoihiStep(p *LoihiParams, u, v *int32, input int64, bias int64) bool {
	*u = WrapSigned(int64(LoihiDecay(*u, p.DecayU))+input<<p.WeightShift, p.PotentialBits)
	*v = ClipSigned(int64(LoihiDecay(*v, p.DecayV))+int64(*u)+bias, p.PotentialBits)
	if int64(*v) > int64(p.Vth)<<6 {
		*v = 0
		return true
	}
	return false
}

// TrueNorthParams are one TrueNorth neuron's deterministic-mode parameters.
type TrueNorthParams struct {
	// Leak λ is subtracted every tick (linear leak).
	Leak int32
	// Threshold α: the neuron fires when V ≥ α.
	Threshold int32
	// NegThreshold β: V saturates at −β (κ = 1); 0 disables the floor
	// beyond the potential's range.
	NegThreshold int32
	// Reset: 0 sets V to ResetValue, 1 subtracts α, 2 leaves V.
	Reset      uint8
	ResetValue int32
	// PotentialBits is the width of V (20 on TrueNorth).
	PotentialBits uint8
}

// TrueNorthStep advances one neuron by one tick; input is Σ_i w_ij·s_i.
//
//	V ← clip(V + input − λ)
//	if V ≥ α: spike; V ← R | V − α | V
//	if V < −β: V ← −β
func TrueNorthStep(p *TrueNorthParams, v *int32, input int64) bool {
	x := int64(*v) + input - int64(p.Leak)
	x = int64(ClipSigned(x, p.PotentialBits))
	spiked := false
	if x >= int64(p.Threshold) {
		spiked = true
		switch p.Reset {
		case 0:
			x = int64(p.ResetValue)
		case 1:
			x -= int64(p.Threshold)
		}
	}
	if p.NegThreshold > 0 && x < -int64(p.NegThreshold) {
		x = -int64(p.NegThreshold)
	}
	*v = int32(x)
	return spiked
}
