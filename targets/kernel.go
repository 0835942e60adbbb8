package targets

import "fmt"

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

// KernelPaths counts neuron updates by the loop of a kernel that did them,
// so that tests can require every loop to be reached: Vector (the AVX2
// form), Dense (the portable loop over every neuron) and Sparse (the loop
// that skips idle neurons).
type KernelPaths struct{ Vector, Dense, Sparse int64 }

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
	return &linearLeakKernel{
		p:        TrueNorthParams{Leak: p.Leak, Threshold: p.Threshold, NegThreshold: p.NegThreshold, Reset: p.Reset, PotentialBits: p.PotentialBits},
		idleNoop: p.Leak == 0 && p.Threshold > 0,
	}, nil
}

// linearLeakKernel is TrueNorthStep over a core's neurons.
type linearLeakKernel struct {
	p TrueNorthParams
	// idleNoop: an update of a neuron with zero state, no input and no
	// bias leaves it at zero without a spike, so it can be skipped.
	idleNoop bool
}

func (k *linearLeakKernel) ReadoutInput(acc int64) int64 { return acc }

func (k *linearLeakKernel) Reference(_, v *int32, input, bias int64) bool {
	return TrueNorthStep(&k.p, v, input+bias)
}

// Step updates the neurons [s,e) (see TrueNorthStep); the bias, if any, is
// added to the input. u is not used.
func (k *linearLeakKernel) Step(_, v, acc []int32, bias []int64, _ []int32, had bool, spk []int32, n, s, e int, paths *KernelPaths) (int, int) {
	if k.idleNoop && !had {
		paths.Sparse += int64(e - s)
	} else {
		paths.Dense += int64(e - s)
	}
	v, acc, bias = v[s:e], acc[s:e], bias[s:e]
	acc, bias = acc[:len(v)], bias[:len(v)]
	leak, thr, neg := int64(k.p.Leak), int64(k.p.Threshold), int64(k.p.NegThreshold)
	reset, rv := k.p.Reset, int64(k.p.ResetValue)
	lim := int64(1)<<(k.p.PotentialBits-1) - 1
	skipIdle := k.idleNoop && !had
	active := 0
	for j := range v {
		x, b := int64(v[j]), bias[j]
		if skipIdle && x|b == 0 {
			continue
		}
		if had || x != 0 || b != 0 || leak != 0 {
			active++
		}
		x = min(lim, max(-lim, x+int64(acc[j])+b-leak))
		acc[j] = 0
		if x >= thr {
			spk[n] = int32(s + j)
			n++
			switch reset {
			case 0:
				x = rv
			case 1:
				x -= thr
			}
		}
		if neg > 0 && x < -neg {
			x = -neg
		}
		v[j] = int32(x)
	}
	return n, active
}
