package targets

import (
	"fmt"

	"github.com/snnc/snnc/ir"
)

// The rest of the Backend of the Loihi 2 family (loihi2.go holds the
// weight grid, the memory cost and the neuron definitions).

func (l loihi2) NeuronModel() NeuronModel { return NeuronLavaCUBA }

// Capabilities: population axons, as Loihi 1's. Loihi 2 keeps Loihi 1's
// population connectivity (a conv layer's kernel stored once per core,
// the input channel riding with the spike: Lava's Conv process and
// lava-dl netx's conv blocks). Intel publishes no Loihi 2 format figures,
// so the population-axon formats (pop16/pop32 slots, 4-aligned pop16
// bases, 6–12-bit synapse indices, list bases below 256) are nengo-loihi's
// Loihi 1 figures, assumed (see the data file's notes), and the synapse
// bits are this family's (no delay field unless a format stores delays).
//
// Graded spikes: Loihi 2's spikes carry integer payloads (up to 32 bits,
// Intel's technology brief; snnc uses Lava's num_message_bits = 24, the
// data file's graded_spikes), which Lava's Dense multiplies by the weight.
//
// Temporal models: Lava's CUBA-LIF maps them as Loihi's compartment does,
// and reset by subtraction as its microcoded variant
// (Loihi2LIF.SubtractReset).
func (l loihi2) Capabilities() Capabilities {
	ts := cubaTemporal("Loihi 2")
	ts.SubtractReset, ts.WhyNot = true, nil
	return Capabilities{PopulationAxons: true, Populations: loihiPopulations, GradedSpikes: l.t.GradedSpikes.PayloadBits > 0, Temporal: ts}
}

// Kernel maps the IR's parameters to Lava's registers: the effective
// current decay DecayU is du+1 (ds_offset), so 1..4096; DecayV is dv,
// 0..4095; the weight exponent applies to the accumulated sum
// (Loihi2Activation); potentials are 24 bits; Reset 1 (subtract) selects
// the reset by subtraction (Loihi2LIF.SubtractReset), 3 (ir.
// ResetSubtractMulti) the same with the step's spike count sent as one
// graded spike (Loihi2LIF.MultiSpike; the kernel is then a GradedKernel),
// 0 and 2 the reset to 0 (a readout with Reset 2 never fires).
func (l loihi2) Kernel(p KernelParams) (Kernel, error) {
	if p.DecayU < 1 || p.DecayU > 4096 || p.DecayV < 0 || p.DecayV > 4095 {
		return nil, fmt.Errorf("targets: %s: decays %d, %d, want 1..4096 and 0..4095 (du+1, dv)", l.t.Name, p.DecayU, p.DecayV)
	}
	if e := int(p.WeightExponent); e < l.t.Bits.WeightExpMin || e > l.t.Bits.WeightExpMax {
		return nil, fmt.Errorf("targets: %s: weight exponent %d, want %d..%d", l.t.Name, e, l.t.Bits.WeightExpMin, l.t.Bits.WeightExpMax)
	}
	if p.Threshold < 0 || p.Threshold >= 1<<l.t.Bits.Threshold {
		return nil, fmt.Errorf("targets: %s: threshold %d, want 0..2^%d−1", l.t.Name, p.Threshold, l.t.Bits.Threshold)
	}
	if p.PotentialBits != Loihi2StateBits {
		return nil, fmt.Errorf("targets: %s: potential width %d bits, Lava's CUBA-LIF has %d", l.t.Name, p.PotentialBits, Loihi2StateBits)
	}
	multi := p.Reset == uint8(ir.ResetSubtractMulti)
	if multi && l.t.GradedSpikes.PayloadBits <= 0 {
		return nil, fmt.Errorf("targets: %s: several spikes per step need graded spikes, the data file has none", l.t.Name)
	}
	k := &lavaCUBAKernel{p: Loihi2LIF{Du: p.DecayU - 1, Dv: p.DecayV, Vth: p.Threshold, SubtractReset: p.Reset == 1 || multi, MultiSpike: multi}, exp: int(p.WeightExponent)}
	if multi {
		return &lavaGradedKernel{k}, nil
	}
	return k, nil
}

// lavaGradedKernel is the lavaCUBAKernel of a MultiSpike layer: it is a
// GradedKernel.
type lavaGradedKernel struct{ *lavaCUBAKernel }

func (k lavaGradedKernel) ReferenceCount(u, v *int32, input, bias int64) int32 {
	return k.referenceCount(u, v, input, bias)
}

func (k lavaGradedKernel) StepGraded(u, v, acc []int32, bias []int64, bias32 []int32, had bool, spk, pay []int32, n, s, e int, paths *KernelPaths) (int, int) {
	return k.step(u, v, acc, bias, had, spk, pay, n, s, e, paths)
}

// lavaCUBAKernel runs Loihi2Step over a core's neurons: the portable loop,
// the reference step per neuron (no vector form yet).
type lavaCUBAKernel struct {
	p   Loihi2LIF
	exp int
}

func (k *lavaCUBAKernel) ReadoutInput(acc int64) int64 {
	return int64(Loihi2Activation(acc, k.exp)) << Loihi2ActShift
}

// Reference is Loihi2Step with the bias as an exponent-0 mantissa (bias is
// already shifted) and the activation Loihi2Activation(input, e).
func (k *lavaCUBAKernel) Reference(u, v *int32, input, bias int64) bool {
	return k.referenceCount(u, v, input, bias) > 0
}

// referenceCount is Loihi2StepCount with the parameters of Reference.
func (k *lavaCUBAKernel) referenceCount(u, v *int32, input, bias int64) int32 {
	p := k.p
	p.BiasMant = int32(bias)
	s := Loihi2State{U: *u, V: *v}
	n := Loihi2StepCount(&p, &s, Loihi2Activation(input, k.exp))
	*u, *v = s.U, s.V
	return n
}

// Step skips neurons with zero state, input and bias when the core had no
// input (Vth ≥ 0: they stay at zero without a spike).
func (k *lavaCUBAKernel) Step(u, v, acc []int32, bias []int64, _ []int32, had bool, spk []int32, n, s, e int, paths *KernelPaths) (int, int) {
	return k.step(u, v, acc, bias, had, spk, nil, n, s, e, paths)
}

// step is Step, writing the spike counts to pay when it is not nil.
func (k *lavaCUBAKernel) step(u, v, acc []int32, bias []int64, had bool, spk, pay []int32, n, s, e int, paths *KernelPaths) (int, int) {
	active := e - s
	if !had {
		active = countActive(u[s:e], v[s:e], bias[s:e])
		paths.Sparse += int64(e - s)
	} else {
		paths.Dense += int64(e - s)
	}
	for j := s; j < e; j++ {
		in := int64(acc[j])
		acc[j] = 0
		if !had && u[j]|v[j] == 0 && bias[j] == 0 && in == 0 {
			continue
		}
		if c := k.referenceCount(&u[j], &v[j], in, bias[j]); c > 0 {
			spk[n] = int32(j)
			if pay != nil {
				pay[n] = c
			}
			n++
		}
	}
	return n, active
}
