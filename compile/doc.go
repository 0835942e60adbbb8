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
// The passes never ask which chip family a target is: they act on the
// target's data (limits, bit widths, HostBias, FanOut, AxonTypes) and on its
// targets.Backend — the weight grid, the synaptic-memory cost, the neuron
// model and its quantizer (Backend.QuantizeLayer: a new family needs no
// edit here) and the capabilities (population axons for
// conv layers, sparse layers, splitters). A family with splitters
// (TrueNorth) replaces quantize, partition, place and route by their
// splitter-plan variants when its limits pass plans the model that way;
// the variants are entries of the same pass table, and --dump-after names
// them ("## after partition (splitter plan)").
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
// The readout layer (ReadoutMeanCurrent) is a non-spiking accumulator:
//
//	acc_j += (input_j << WeightShift) + bias_j      (int64, each of the T steps)
//
// so acc ≈ Scale·Σ_t c[t], and the prediction is argmax acc (first index on
// ties). On chip it is the same compartment with DecayV = 0 and the largest
// threshold, reading v after T steps; the quantizer picks e so that
// T·max|input<<WeightShift + bias| stays below Threshold·64 (< 2^23), so
// that v neither fires nor clips and equals acc.
//
// Temporal models (temporal.go) add to this: the current decay β_c as
// DecayU = round(4096·(1−β_c)) on u, recurrent weights V on the layer's
// grid and exponent, arriving through routes from the layer's own cores
// (In + Out input axons per core), the bias programmed as b/(1−β_c), and
// the max-potential readout as a non-spiking compartment with DecayV from
// γ whose largest v over the T steps is the readout (the quantizer keeps
// it below the threshold by the same kind of bound). Event input enters the
// first layer's synapses. What a family cannot map (its
// targets.Capabilities.Temporal) is refused with the reason.
//
// A direct-current input (ir.EncodingDirect) is lowered exactly: the first
// layer has no synapses on chip; the host computes its current once per
// sample and programs it as a per-neuron bias (see DirectBias):
//
//	c_j = Σ_i float32(W_ji·(x_i·Input.Scale)) + b_j    (float32, i increasing)
//	bias_j = round(c_j·Scale)                           (float64, half away from zero)
//
// The first layer's quantized Bias is then empty; its Weights are kept (the
// encoding it would use with spike input) but not used on chip.
//
// EvalInteger is the reference evaluator of these semantics; the simulator
// (package sim) reproduces it bit for bit.
//
// # Convolutions (Loihi)
//
// Conv layers keep their kernels (OutC×(InC/Groups)×KH×KW) through
// quantization, one weight exponent and scale per layer as for dense
// layers, biases per output channel. Average pooling, which the chip
// cannot do, is folded into the next convolution or dense layer (exact for
// the float model, since pooling is linear; the report notes every fold).
// A conv layer's neurons are cut into cores in its mapping order (below):
// a core holds a block of output positions × channels of one group (or of
// consecutive groups). Its synapses are stored as the chip stores a
// convolution (population axons, nengo-loihi's conv2d_loihi_weights): one
// input axon per (group, input pixel) reaching the core, the input channel
// travelling with the spike as its population index; each axon points
// from its compartment base to a synapse list, and axons with identical
// lists (relative indices, weights, index offset) share one, so the
// synaptic memory is the sum over the core's distinct lists (see
// convpop.go). Routes into a conv layer go only to the cores a neuron's
// synapses reach, as pop32 axons of 2 output-axon slots each or, when the
// layer has at most 32 input channels per group and it saves cores for the
// layer and its source, pop16 axons of 1 slot (compartment bases multiples
// of 4, at most 1024 input axons per core; the report notes the kind). Grouped
// convolutions compile the same way. Sparse layers are refused on Loihi.
// See conv.go and convpop.go.
//
// # Neuron order of the mapping
//
// A core holds the contiguous range [Core.NeuronStart, Core.NeuronStart +
// Core.NeuronCount) of its layer's neurons in the layer's mapping order:
//
//   - a Conv2D layer (on TrueNorth: other than the model's last layer):
//     its own order if the compiler chose one (ir.Layer.MapOrder[n] = j,
//     on targets with population axons, see convorder.go), else
//     group-major, position-major (ConvOrder),
//     n = ((g·OH + y)·OW + x)·(OutC/G) + c'  for the neuron of output
//     channel c = g·(OutC/G) + c' at (y, x), whose model (CHW) index is
//     j = (c·OH + y)·OW + x; with G = 1 this is the position-major order
//     n = (y·OW + x)·OutC + c;
//   - every other layer (Dense, Sparse, splitter layers, a TrueNorth
//     readout of any kind): the model's own index, n = j.
//
// The rule reads only the compiled model (kind, shape, groups, MapOrder
// and whether the layer is last). A TrueNorth host readout is one range over all its
// neurons.
//
// # TrueNorth (the splitter plan)
//
// A dense TrueNorth model that fits with one axon per input and every
// layer's fan-out on one core is quantized by its backend's QuantizeLayer
// (4 axon types assigned greedily). Larger models, and every model with conv or
// sparse layers, such as snnc train --target truenorth writes (grouped
// fan-in, trinary weights per neuron or per output channel), take the split
// path, the splitter plan (see tnPlan in truenorth_map.go): cores packed by the (input, sign)
// axons their neurons use, splitter layers inserted so that every neuron
// has one target, the readout accumulated by the host, and power-of-two
// scales that represent the trained 1/128 grid exactly. The split path
// works on per-neuron synapse lists (ir.EachSynapse), never on dense
// matrices, and emits compact layers:
//
//   - the first layer (fed by the host) keeps its kind: a Conv2D layer its
//     kernels, quantized per kernel weight;
//   - a splitter layer is an ir.KindSparse layer with one synapse (weight
//     1) per copy neuron; the copies of a source are contiguous, the
//     sources in the previous layer's mapping order, and a flatten layer
//     is inserted in front of it where the source is a [C,H,W] conv output;
//   - a layer whose inputs become copies is emitted as ir.KindSparse, its
//     synapses re-indexed to the copies. A conv layer emitted as sparse
//     lists its neurons in its mapping order (sparse neuron n is conv
//     neuron ConvOrder[n]), so that its cores are ranges of its own index;
//     the layers reading it are re-indexed to match (a dense layer's
//     columns permuted). The readout is never renumbered, so the model's
//     outputs and predictions keep their order, and the network computes
//     exactly what the float model does (only a hidden conv layer's
//     neurons are numbered in mapping order);
//   - quantized sparse layers hold one integer weight per synapse in the
//     layer's order; on-chip layers after the first have AxonTypes (0: "+",
//     1: "−", one per input) and 4 TypeWeights per neuron (S^0 = +a_j,
//     S^1 = −a_j).
package compile
