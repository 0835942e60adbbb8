// Package train trains spiking neural networks of leaky integrate-and-fire
// (LIF) neurons with Adaptive Smoothing Gradient Learning (ASGL) or the plain
// rectangular surrogate gradient (SG), and freezes them into the snnc IR.
//
// The network follows the seed paper (Eq. 1–5). For each layer l with
// neurons and t = 1..T:
//
//	c[t] = W·s_in[t] + b
//	u[t] = γ·u[t−1]·(1 − ŝ[t−1]) + c[t]
//	ŝ[t] = spike(u[t] − ϑ)
//
// The last layer does not spike: the prediction is argmax of the mean of its
// current over the T steps, trained with softmax cross-entropy. Static
// images enter as a direct current x = pixel/255 into the first layer, whose
// current W·x + b is the same at every step and is therefore computed once
// per sample.
//
// The spike function during training is
//
//	ASGL:  ŝ = H_α(x) + m ⊙ stopgrad(Θ(x) − H_α(x)),  m ~ Bernoulli(p)
//	       H_α(x) = clip(x/α + ½, 0, 1),  ∂H/∂x = 1/α, ∂H/∂α = −x/α²  for |x| < α/2
//	SG:    ŝ = Θ(x), backward h_α(x) = (1/α)·1[|x| < α/2], α fixed
//
// and validation and frozen models use Θ(x) = 1[x ≥ 0] only. The width α is
// learned per layer as a = ln α with its own Adam optimiser and learning
// rate (Config.AlphaLR), so that a step moves α by a roughly constant
// factor: an initial α = 10 falls to ~1.5 within one epoch on 6000 samples, which a
// shared weight learning rate of 1e-3 on α itself could not do.
//
// Gradients are exact backpropagation through time (BPTT) of the network
// above, including the reset term (1 − ŝ), through which the gradient
// flows as in Eq. 6.
//
// Speed comes from the structure of the problem rather than from dense
// GEMM: the input current is computed once per sample; inputs and spikes
// are kept as sparse index lists so forward passes and weight gradients are
// sums of weight rows (AVX2/FMA assembly on amd64); the surrogate gradient
// is zero outside the window |x| < α/2, so the error currents are sparse and
// the backward pass adds only the rows where they are not zero. A batch runs
// in two parallel phases: per sample (forward and backward, each sample
// independent) and per parameter block (gradient accumulation in a fixed
// sample order fused with the optimiser step), so the result does not depend
// on how many goroutines run and the same seed gives the same bytes.
//
// Layers implement the Layer interface (forward, input gradient and
// parameter gradient over a batch and T): dense, recurrent dense, conv2d,
// average pooling and flatten (see ParseArch for the architecture syntax).
//
// Temporal networks are options of the same Network (temporal.go; seed A.5,
// Eq. 19): Config.CurrentDecay gives every layer a synaptic current with its
// own decay β_c = 1 − 1/τ_syn, a layer written "240r" in the architecture is
// recurrent (V·s[t−1] on its own spikes of the previous step), Config.Reset
// chooses reset to zero or by subtraction, and Config.Readout the mean
// current over T (as above), the maximum over T of the readout potential
// u[t] = γ·u[t−1] + c[t], or the spike count of a spiking last layer:
//
//	c[t] = β_c·c[t−1] + W·s_in[t] + V·s[t−1] + b
//	u[t] = γ·u[t−1]·(1 − ŝ[t−1]) + c[t]     or     γ·(u[t−1] − ϑ·ŝ[t−1]) + c[t]
//
// ASGL and SG work through all of it, with BPTT over any T (memory per LIF
// layer: u and ŝ per step, float32, plus O(neurons) running state; nothing
// is allocated per step). Event data (Dataset.Steps > 0, LoadEventSet)
// enters as T steps of input spikes through the first layer's synapses
// (ir.EncodingEvents), with no host current.
//
// The seed's C-LIF of A.2 is not a separate option: it comes out of this
// neuron up to scale and a step. Its double-exponential synaptic kernel
// m − v (decays β_m, β_v) is the impulse response of u here with γ = β_m
// and β_c = β_v: u answers an input at step k with (γ^(n+1) − β_c^(n+1))/
// (γ − β_c) at step k+n, C-LIF with (β_m^n − β_v^n) — the same kernel,
// scaled by u₀·(β_m − β_v) and one step later. Its refractory term e (read
// as e[t] = β_m·e[t−1] + ϑ·s[t−1]; the printed β_m·m[t−1] looks like a typo)
// is the reset by subtraction here, which subtracts γ·ϑ rather than ϑ on
// the step after a spike. Neither is reproduced bit for bit. C-LIF's
// normalisation factor u₀ is how a temporal network starts: its integrating
// layers' initial weights are scaled by u₀ = 1/(peak of that kernel) and
// their biases start at 0 (normaliseTemporalInit). The max-potential
// readout trains on (1−β_c)(1−γ)·max_t u (maxPotentialScale), and
// Config.DetachReset stops the gradient through the reset's spike.
//
// A chip's limits are options of the same Trainer: Config.Limits, the
// training section of a target's data file (targets.Training, chosen by
// snnc train --target NAME), makes the layers grouped trinary
// integrate-and-fire layers with rate-coded input and a host readout
// (TrinaryNet; see trinary.go), which the compiler maps onto the chip
// without approximation. The epoch loop, the optimiser, the α optimiser,
// the checkpoint format and the freeze are shared.
package train
