package targets

import (
	"fmt"
	"math"
)

// KernelParams are one layer's integer neuron parameters, as a compiled
// model's quantized section holds them. Each neuron model reads its own
// fields (CUBA: DecayU, DecayV, WeightExponent, Threshold; linear leak:
// Threshold, NegThreshold, Leak, Reset).
type KernelParams struct {
	DecayU, DecayV int32
	WeightExponent int8
	Threshold      int32
	NegThreshold   int32
	Leak           int32
	// Reset is TrueNorthParams.Reset: 0 to zero, 1 subtract, 2 none.
	Reset uint8
	// PotentialBits is the width of the potentials (2..32).
	PotentialBits uint8
	// BiasFits32 promises that ClampBias changes no bias the layer's
	// neurons get (every |bias| ≤ 2^25; false for a per-sample bias or when
	// unknown). The linear-leak kernel needs it for its 32-bit vector form.
	BiasFits32 bool
}

// Kernel is a neuron model's update in the form the simulator runs: the
// neurons of one core for one step, in place, allocating nothing. It
// computes exactly what the model's reference step (LoihiStep,
// TrueNorthStep) computes for each neuron; the simulator's bit-exact tests
// check that on random networks for every target.
type Kernel interface {
	// Step advances neurons [s, e) of a layer. acc[j] is the sum of the
	// weight mantissas that arrived (Step clears it), bias[j] the shifted
	// bias, bias32 the same clamped by ClampBias (for 32-bit lanes); had
	// reports whether any input reached the core this step. The indices of
	// the neurons that spiked are written to spk[n:] in increasing order;
	// Step returns the new n and the number of active neurons (input, a
	// bias or non-zero state), which energy and latency charge as active
	// updates and the rest as idle ones.
	// Step adds the neurons it updates to paths, by loop.
	Step(u, v, acc []int32, bias []int64, bias32 []int32, had bool, spk []int32, n, s, e int, paths *KernelPaths) (int, int)
	// ReadoutInput is what the summed weight mantissas acc of one step add
	// to the potential (CUBA: acc<<(6+e); linear leak: acc); a non-spiking
	// readout accumulates ReadoutInput(acc) + bias per step.
	ReadoutInput(acc int64) int64
	// Reference advances one neuron by the model's reference step
	// (LoihiStep, TrueNorthStep) with the same parameters: input is the
	// summed weight mantissas, bias the shifted bias. It reports whether
	// the neuron spiked. The conformance suite checks Step against it.
	Reference(u, v *int32, input, bias int64) bool
}

// GradedKernel is a Kernel whose neurons send their spike count of a step
// as one graded spike (ir.ResetSubtractMulti on a family with graded
// spikes, Capabilities.GradedSpikes): the payload is the count, and each
// synapse it reaches adds weight × payload.
type GradedKernel interface {
	Kernel
	// StepGraded is Step that also writes the payload (the spike count,
	// 1..ir.MaxSpikesPerStep) of each spiking neuron spk[i] to pay[i].
	StepGraded(u, v, acc []int32, bias []int64, bias32 []int32, had bool, spk, pay []int32, n, s, e int, paths *KernelPaths) (int, int)
	// ReferenceCount is Reference returning the spike count (0: no spike).
	ReferenceCount(u, v *int32, input, bias int64) int32
}

// KernelPaths counts neuron updates by the loop of a kernel that did them,
// so that tests can require every loop to be reached: Vector (the AVX2
// form), Dense (the portable loop over every neuron) and Sparse (the loop
// that skips idle neurons).
type KernelPaths struct{ Vector, Dense, Sparse int64 }

// HostBias is the integer bias the host programs for a direct current c
// (the first layer's W·x + b of one sample) at the layer's quantization
// scale: round(c·scale), half away from zero, computed in float64 and
// clamped to ±2^40 (far beyond any potential); a NaN current is 0. The
// simulator and compile's integer evaluator both convert through it, so a
// non-finite or huge current (weights near the float32 limit times 8-bit
// pixels) cannot make them differ.
func HostBias(c float32, scale float64) int64 {
	x := math.Round(float64(c) * scale)
	const lim = 1 << 40
	switch {
	case x > lim:
		return lim
	case x < -lim:
		return -lim
	case x != x: // NaN
		return 0
	}
	return int64(x)
}

// ClampBias writes b clamped to ±2^25 to dst and returns it. The clamp
// changes no 24-bit potential (|decay(v)+u| ≤ 2^24).
func ClampBias(dst []int32, b []int64) []int32 {
	const lim = 1 << 25
	for j, x := range b {
		dst[j] = int32(min(lim, max(-lim, x)))
	}
	return dst
}

// newCUBAKernel checks p and returns the CUBA kernel of LoihiStep.
func newCUBAKernel(p KernelParams) (Kernel, error) {
	if p.DecayU < 0 || p.DecayU > 4096 || p.DecayV < 0 || p.DecayV > 4096 {
		return nil, fmt.Errorf("targets: decays %d, %d, want 0..4096", p.DecayU, p.DecayV)
	}
	if e := int(p.WeightExponent); e < -6 || e > 16 {
		return nil, fmt.Errorf("targets: weight exponent %d, want -6..16", e)
	}
	if p.Threshold < 0 {
		return nil, fmt.Errorf("targets: threshold %d is negative", p.Threshold)
	}
	if p.PotentialBits < 2 || p.PotentialBits > 32 {
		return nil, fmt.Errorf("targets: potential width %d bits, want 2..32", p.PotentialBits)
	}
	k := &cubaKernel{du: int64(4096 - p.DecayU), dv: int64(4096 - p.DecayV), shift: uint8(6 + int(p.WeightExponent)),
		vth: int64(p.Threshold) << 6, bits: p.PotentialBits,
		p: LoihiParams{DecayU: p.DecayU, DecayV: p.DecayV, WeightShift: uint8(6 + int(p.WeightExponent)), Vth: p.Threshold, PotentialBits: p.PotentialBits}}
	k.idleNoop = k.vth >= 0
	return k, nil
}

// cubaKernel is LoihiStep over a core's compartments.
type cubaKernel struct {
	du, dv int64 // 4096 − DecayU, 4096 − DecayV
	shift  uint8
	vth    int64 // Threshold<<6
	bits   uint8
	// idleNoop: an update of a compartment with zero state, no input and
	// no bias leaves it at zero without a spike, so it can be skipped.
	idleNoop bool
	// p are the same parameters for the reference step.
	p LoihiParams
}

func (k *cubaKernel) ReadoutInput(acc int64) int64 { return acc << k.shift }

func (k *cubaKernel) Reference(u, v *int32, input, bias int64) bool {
	return LoihiStep(&k.p, u, v, input, bias)
}

// Step updates the compartments [s,e) (see LoihiStep). Idle compartments
// are skipped when that is a no-op and they are at least half of the core;
// otherwise every compartment goes through the branch-free loop (spike
// decisions at realistic rates mispredict often).
func (k *cubaKernel) Step(u, v, acc []int32, bias []int64, bias32 []int32, had bool, spk []int32, n, s, e int, paths *KernelPaths) (int, int) {
	active := e - s
	if !had {
		active = countActive(u[s:e], v[s:e], bias[s:e])
		if k.idleNoop && active < (e-s)/2 {
			paths.Sparse += int64(e - s)
			return k.sparse(u, v, acc, bias, spk, n, s, e), active
		}
	}
	if k.bits == 24 {
		if useAVX2 {
			if m := (e - s) &^ 7; m > 0 {
				vth := int32(min(k.vth, 1<<23)) // v ≤ 2^23−1 never exceeds a larger threshold
				n += cuba24AVX2(u[s:s+m], v[s:s+m], acc[s:s+m], bias32[s:s+m], spk[n:n+m], int32(s),
					int32(k.du), int32(k.dv), vth, uint64(k.shift))
				paths.Vector += int64(m)
				s += m
			}
		}
		paths.Dense += int64(e - s)
		return cubaDense24(u, v, acc, bias, spk, n, s, e, k.du, k.dv, k.shift, k.vth), active
	}
	paths.Sparse += int64(e - s)
	return k.sparse(u, v, acc, bias, spk, n, s, e), active
}

// countActive counts the neurons with non-zero state or bias.
func countActive(u, v []int32, bias []int64) int {
	v, bias = v[:len(u)], bias[:len(u)]
	c := 0
	for j := range u {
		if int64(u[j]|v[j])|bias[j] != 0 {
			c++
		}
	}
	return c
}

// cubaDense24 is the update of every compartment in [s,e) for 24-bit
// potentials, written with few live values so that the loop keeps them in
// registers.
func cubaDense24(u, v, acc []int32, bias []int64, spk []int32, n, s, e int, du, dv int64, sh uint8, vth int64) int {
	const lim = 1<<23 - 1
	u, v, acc, bias = u[:e], v[:e], acc[:e], bias[:e]
	for j := s; j < len(u); j++ {
		uu, vv := int64(u[j]), int64(v[j])
		in := int64(acc[j])
		acc[j] = 0
		// decay toward zero: sgn(x)·((|x|·d) >> 12)
		if du != 0 { // DecayU = 4096 (u holds this step's input only) is the common case
			sg := uu >> 63
			uu = ((((uu ^ sg) - sg) * du >> 12) ^ sg) - sg
		} else {
			uu = 0
		}
		uu = ((uu + in<<sh) << 40) >> 40
		sg := vv >> 63
		vv = ((((vv ^ sg) - sg) * dv >> 12) ^ sg) - sg
		vv = min(lim, max(-lim, vv+uu+bias[j]))
		var f int64
		if vv > vth {
			f = 1
		}
		spk[n] = int32(j)
		n += int(f)
		vv &^= -f
		u[j], v[j] = int32(uu), int32(vv)
	}
	return n
}

// sparse is the update of [s,e) for any potential width that skips idle
// compartments when the layer allows it.
func (k *cubaKernel) sparse(u, v, acc []int32, bias []int64, spk []int32, n, s, e int) int {
	u, v, acc, bias = u[s:e], v[s:e], acc[s:e], bias[s:e]
	v, acc, bias = v[:len(u)], acc[:len(u)], bias[:len(u)]
	du, dv, sh, vth := k.du, k.dv, k.shift, k.vth
	wrap := 64 - k.bits
	lim := int64(1)<<(k.bits-1) - 1
	skip := k.idleNoop
	for j := range u {
		uu, vv, b := int64(u[j]), int64(v[j]), bias[j]
		if skip && uu|vv|b == 0 && acc[j] == 0 {
			continue
		}
		in := int64(acc[j])
		acc[j] = 0
		if uu >= 0 {
			uu = (uu * du) >> 12
		} else {
			uu = -((-uu * du) >> 12)
		}
		uu = ((uu + in<<sh) << wrap) >> wrap
		if vv >= 0 {
			vv = (vv * dv) >> 12
		} else {
			vv = -((-vv * dv) >> 12)
		}
		vv = min(lim, max(-lim, vv+uu+b))
		if vv > vth {
			vv = 0
			spk[n] = int32(s + j)
			n++
		}
		u[j], v[j] = int32(uu), int32(vv)
	}
	return n
}

// newLinearLeakKernel checks p and returns the kernel of TrueNorthStep.
func newLinearLeakKernel(p KernelParams) (Kernel, error) {
	if p.Reset > 2 {
		return nil, fmt.Errorf("targets: reset mode %d", p.Reset)
	}
	if p.NegThreshold < 0 {
		return nil, fmt.Errorf("targets: negative threshold β = %d, want ≥ 0", p.NegThreshold)
	}
	if p.PotentialBits < 2 || p.PotentialBits > 32 {
		return nil, fmt.Errorf("targets: potential width %d bits, want 2..32", p.PotentialBits)
	}
	k := &linearLeakKernel{
		p:        TrueNorthParams{Leak: p.Leak, Threshold: p.Threshold, NegThreshold: p.NegThreshold, Reset: p.Reset, PotentialBits: p.PotentialBits},
		idleNoop: p.Leak == 0 && p.Threshold > 0,
	}
	k.q = newLinearLeakMasks(k.p)
	k.q32, k.vec = k.q.vector32(p.PotentialBits)
	k.vec = k.vec && p.BiasFits32
	return k, nil
}

// linearLeakKernel is TrueNorthStep over a core's neurons.
type linearLeakKernel struct {
	p TrueNorthParams
	// idleNoop: an update of a neuron with zero state, no input and no
	// bias leaves it at zero without a spike, so it can be skipped.
	idleNoop bool
	// q is the update in branch-free form, q32 the same in 32-bit lanes,
	// exact when vec.
	q   linearLeakMasks
	q32 linearLeak32
	vec bool
}

func (k *linearLeakKernel) ReadoutInput(acc int64) int64 { return acc }

func (k *linearLeakKernel) Reference(_, v *int32, input, bias int64) bool {
	return TrueNorthStep(&k.p, v, input+bias)
}

// linearLeakMasks is TrueNorthStep in the form the branch-free loop takes:
// V ← clip(V + input + bias − leak, ±lim); on a spike (V ≥ thr) V ← (V −
// sub) &^ zero | rv&zero (sub = thr for reset by subtraction, zero = −1 and
// rv the reset value for reset to a value, both 0 for no reset); then V ←
// max(V, floor) (floor −NegThreshold, or below any potential when there is
// none).
type linearLeakMasks struct {
	leak, thr, lim, sub, zero, rv, floor int64
}

func newLinearLeakMasks(p TrueNorthParams) linearLeakMasks {
	q := linearLeakMasks{leak: int64(p.Leak), thr: int64(p.Threshold), lim: int64(1)<<(p.PotentialBits-1) - 1,
		floor: math.MinInt64}
	switch p.Reset {
	case 0:
		q.zero, q.rv = -1, int64(p.ResetValue)
	case 1:
		q.sub = q.thr
	}
	if p.NegThreshold > 0 {
		q.floor = -int64(p.NegThreshold)
	}
	return q
}

// linearLeak32 is linearLeakMasks in 32-bit lanes for the vector kernel,
// valid when the potentials have at most 24 bits, |leak| ≤ 2^24, |bias| ≤
// 2^25 (KernelParams.BiasFits32), |thr| < 2^30 and the reset value lies
// within the potential: then |V + bias − leak| < 7·2^23, and clamping the
// accumulator to ±accLim = ±2^26 changes no clipped sum (a clamped one is
// beyond ±2^23 either way, with its sign), so every sum is exact in 32
// bits. thrM1 is thr − 1 (the kernel compares x > thr − 1). idle is 1
// when a neuron with zero potential, input and bias keeps a zero potential
// without a spike (no leak, a positive threshold; the floor is never above
// zero): the kernel then skips groups of 8 such neurons (at realistic
// rates most of a splitter's copies, for example).
type linearLeak32 struct {
	accLim, leak, lim, thrM1, sub, zero, rv, floor int32
	idle                                           int32
}

// vector32 returns the 32-bit form of q and whether it is exact for
// potentials of bits bits (and biases within ±2^25).
func (q *linearLeakMasks) vector32(bits uint8) (linearLeak32, bool) {
	const accLim = 1 << 26
	ok := bits <= 24 && abs64(q.leak) <= 1<<24 && abs64(q.thr) < 1<<30 && abs64(q.rv) <= q.lim
	return linearLeak32{accLim: accLim, leak: int32(q.leak), lim: int32(q.lim), thrM1: int32(q.thr - 1),
		sub: int32(q.sub), zero: int32(q.zero), rv: int32(q.rv), floor: int32(max(q.floor, math.MinInt32)),
		idle: b2i32(q.leak == 0 && q.thr > 0 && q.floor <= 0)}, ok
}

func b2i32(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Step updates the neurons [s,e) (see TrueNorthStep); the bias, if any, is
// added to the input. u is not used. Every neuron goes through the
// branch-free loop (spike decisions at realistic rates mispredict often),
// whole groups of 8 through the AVX2 form when it is exact; a core without
// input whose neurons all have zero state and bias is skipped when that is
// a no-op.
func (k *linearLeakKernel) Step(_, v, acc []int32, bias []int64, bias32 []int32, had bool, spk []int32, n, s, e int, paths *KernelPaths) (int, int) {
	v, acc, bias, bias32 = v[s:e], acc[s:e], bias[s:e], bias32[s:e]
	acc, bias = acc[:len(v)], bias[:len(v)]
	active := len(v)
	if !had && k.p.Leak == 0 {
		// only neurons with state or a bias are active
		active = countActiveLinear(v, bias)
		if k.idleNoop && active == 0 {
			paths.Sparse += int64(len(v))
			return n, 0
		}
	}
	if useAVX2 && k.vec {
		if m := len(v) &^ 7; m > 0 {
			n += linearLeakAVX2(v[:m], acc[:m], bias32[:m], spk[n:n+m], int32(s), &k.q32)
			paths.Vector += int64(m)
			v, acc, bias, s = v[m:], acc[m:], bias[m:], s+m
		}
	}
	paths.Dense += int64(len(v))
	return linearLeakLoop(&k.q, v, acc, bias, spk, n, s), active
}

// countActiveLinear counts the neurons with a non-zero potential or bias.
func countActiveLinear(v []int32, bias []int64) int {
	bias = bias[:len(v)]
	c := 0
	for j, x := range v {
		if int64(x)|bias[j] != 0 {
			c++
		}
	}
	return c
}

// linearLeakLoop updates every neuron of v (neuron s+j at index j),
// consuming and clearing acc, and writes the neurons that spiked to spk[n:].
func linearLeakLoop(q *linearLeakMasks, v, acc []int32, bias []int64, spk []int32, n, s int) int {
	acc, bias = acc[:len(v)], bias[:len(v)]
	leak, thr, lim, sub, zero, rv, floor := q.leak, q.thr, q.lim, q.sub, q.zero, q.rv, q.floor
	spk = spk[:n+len(v)]
	for j := range v {
		x := min(lim, max(-lim, int64(v[j])+int64(acc[j])+bias[j]-leak))
		acc[j] = 0
		m := (thr - 1 - x) >> 63 // −1 when x ≥ thr
		spk[n] = int32(s + j)
		n -= int(m)
		z := zero & m
		x = (x-sub&m)&^z | rv&z
		v[j] = int32(max(x, floor))
	}
	return n
}

// SpikeLanes returns the table of packed lanes of the AVX2 neuron kernels
// (linearLeakAVX2 here, the float LIF update of sim): entry m lists the
// lanes of the set bits of the 8-lane spike mask m, lowest first, one byte
// each (the rest zero), so that a kernel writes a group's spike indices
// with one vector store and a popcount instead of a branch per spike.
func SpikeLanes() (t [256]uint64) {
	for m := range t {
		k := 0
		for b := range 8 {
			if m>>b&1 != 0 {
				t[m] |= uint64(b) << (8 * k)
				k++
			}
		}
	}
	return t
}
