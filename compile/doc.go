// Package compile lowers a frozen float spiking network (ir.Model) onto a
// neuromorphic target: it quantizes the network to the target's integer
// neuron and synapse formats, partitions every layer into core-sized pieces
// under all of the target's per-core limits at once, places the pieces on
// the chips' core meshes, routes the spike traffic between them, checks the
// result and writes the integer network and the mapping back into the IR.
//
// The pipeline is one table of passes (see Passes), in the style of the Go
// compiler's SSA backend:
//
//	fold → limits → quantize → partition → place → route → verify → emit
//
// Options.DumpAfter writes a text form of the IR after a pass, and
// Options.AfterPass lets tests check the IR (ir.Verify and the compiler's
// own Check) between passes.
//
// # Integer semantics (Loihi)
//
// For every layer l with neurons the quantized section holds the integer
// weight mantissas q (Weights, on the target's weight grid), the weight
// exponent e, Scale, Vth (Threshold), the bias mantissas and exponent and the
// decays. Per algorithmic step t, in layer order, each neuron j does exactly
// targets.LoihiStep with
//
//	input_j = Σ_i q_ji·s_i[t]            (s: spikes of the previous layer in the same step)
//	WeightShift = 6 + e, DecayU = 4096 (u holds only this step's input)
//	bias_j = Bias_j << BiasExponent     (host-side DirectBias for a direct-current first layer)
//	u ← wrap24(input_j << WeightShift)
//	v ← clip24(decay(v, DecayV) + u + bias_j)
//	spike when v > Threshold<<6, then v ← 0
//
// which is the float model c = W·s + b, u = γ·u·(1−s) + c, s = Θ(u − ϑ) with
// every value multiplied by Scale: q·2^(6+e) ≈ W·Scale, Bias·2^BiasExponent ≈
// b·Scale, DecayV = round(4096·(1−γ)) and ϑ·Scale = Threshold·64 + 1 exactly,
// so that the chip's strict v > Threshold·64 is the model's u ≥ ϑ.
//
// The readout layer (ReadoutMeanCurrent) is a non-spiking accumulator: the
// same update with DecayV = 0 and the largest threshold, so v after T steps
// is Σ_t (input<<WeightShift + bias) ≈ Scale·Σ_t c[t]; the prediction is
// the argmax of v (first index on ties). The quantizer picks e so that v
// cannot reach the threshold or the 24-bit limits.
//
// A direct-current input (ir.EncodingDirect) is lowered exactly: the host
// computes the first layer's current c = W·(Input.Scale·x) + b once per
// sample in float and programs it as a per-neuron bias DirectBias(c·Scale)
// (a 13-bit mantissa shifted by the smallest exponent 0..7 that fits). The
// first layer's quantized Bias is then empty; its Weights are kept (they are
// what the layer would use with spike input) but not used on chip.
//
// EvalInteger is the reference evaluator of these semantics; the simulator
// (package sim) reproduces it bit for bit.
package compile
