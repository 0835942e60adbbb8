// Package nir reads and writes NIR, the Neuromorphic Intermediate
// Representation (neuromorphs/NIR), through the pure-Go ir/hdf5 package:
// Decode turns a NIR file into a typed, validated graph, Import maps a
// graph snnc can run onto an ir.Model, and Export writes an ir.Model's float
// network as a NIR graph.
//
// # The file
//
// A NIR file is HDF5: a "version" string and a group "node" of type
// NIRGraph holding "nodes" (one group per node: a string dataset "type" and
// one dataset per parameter) and "edges" (N×2 strings, source → target).
// A node of type NIRGraph nests a graph; an edge end "sub.port" names a
// port (an Input or Output node) of the nested graph sub. Cycles are
// recurrence. Newer writers store Input/Output shapes and Flatten's
// input_type as a group (a dict) instead of a dataset; both are read, and
// an empty input_type says nothing (the shape comes from the edges).
//
// Decode checks every node against its type (the specs table in graph.go):
// required parameters present, ranks (Affine weight out×in, Conv2d weight
// out×in/groups×kh×kw, …), integers where NIR wants integers, positive time
// constants, neuron parameters of one shape or one value (NIR broadcasts
// scalars); every edge's two ends exist; and shapes inferred along the
// edges agree (equal shapes, or equal sizes next to an Input or Output
// node: Rockpool writes the Output of a one-neuron graph as [1 1 1]).
// Errors are one line naming the file, the node and the dataset:
//
//	nir: m.nir: node lif (LIF): tau: bad parameter: missing
//	nir: m.nir: node lif (LIF): input: shape mismatch: edge fc → lif: fc writes shape [2], lif reads [3]
//
// # From continuous time to snnc's steps (Import)
//
// NIR is continuous-time and stores no time step. Import discretises with
// dt (--dt, default 1e-4 s, as the NIR paper, Lava and snnTorch assume) by
// forward Euler, as Norse and snnTorch run NIR graphs. A synapse node
// (Affine, Linear, Conv2d) followed by a neuron node becomes one snnc layer
// (ir.Model's equations):
//
//	c[t] = β_c·c[t−1] + W·s_in[t] + V·s[t−1] + b
//	u[t] = γ·u[t−1]·(1 − s[t−1]) + c[t];  s[t] = Θ(u[t] − ϑ)
//
// with, per neuron j (a = dt/τ, a_s = dt/τ_syn, a_m = dt/τ_mem; W_j· is
// row j of the synapse node's weights, V_j· of the recurrent ones):
//
//	NIR                        snnc                                    notes
//	LIF τ·dv/dt =              γ = 1 − a, β_c = 0                      one γ per layer: τ must be equal
//	 (v_leak − v) + r·I        W_j· ← W_j·a·r                          over the layer's neurons
//	                           b_j ← (b_j·r + v_leak)·a                v_leak is a constant current
//	                           ϑ = v_threshold                         τ < dt is refused (unstable Euler)
//	CubaLIF                    β_c = 1 − a_s, γ = 1 − a_m              the trap: w_in AND dt/τ_syn both
//	 τ_syn·dI/dt = −I + w_in·x W_j· ← W_j·a_m·r·a_s·w_in                scale the input, once each (with
//	 τ_mem·dv/dt =             b_j ← b_j·a_m·r·a_s·w_in                snnTorch's w_in = τ_syn/dt and
//	  (v_leak − v) + r·I       ϑ = v_threshold                         r = τ_mem/dt the factor is 1);
//	                                                                   v_leak ≠ 0 is refused (c starts
//	                                                                   at 0, the leak would lag)
//	IF dv/dt = r·I             γ = 1, W_j· ← W_j·r, b_j ← b_j·r       r·I per step, no dt: Sinabs, Norse
//	                                                                   and Lava run IF that way
//	Threshold                  γ = 0 (no memory), ϑ = threshold
//	LI (LIF without spikes)    as LIF, as the last layer:              prediction argmax_j max_t u_j[t]
//	                           ir.ReadoutMaxPotential                  (snnc's SHD readout)
//	CubaLI                     as CubaLIF, ir.ReadoutMaxPotential     v_leak ≠ 0 refused as for CubaLIF
//	I dv/dt = r·I              W_j· ← W_j·r, ir.ReadoutMeanCurrent     argmax of v[T] = Σ_t c[t]
//	cycle LIF/CubaLIF/IF →     ir.KindRecurrentDense, V = its weight   the fed-back spikes arrive one
//	 Affine/Linear → itself    (scaled with W), its bias adds to b     step later (V·s[t−1]), as every
//	                                                                   framework breaks the loop
//	reset v ← v_reset          ResetZero (v_reset absent or 0;         NIR has no subtractive reset;
//	                           another v_reset is refused)             --subtract-if gives Sinabs' own
//	                                                                   IF reset (u ← u − ϑ) instead
//	spike when v > ϑ           Θ(u − ϑ) spikes at u ≥ ϑ                differs only at exact equality
//	input at step t            reaches c[t] and u[t] in step t         as snnTorch and Lava; Norse's
//	                                                                   CubaLIF updates v with the old
//	                                                                   current: its output is one step
//	                                                                   later than snnc's and the table's
//	per-neuron v_threshold     W_j·, V_j·, b_j divided by ϑ_j, ϑ = 1   equal thresholds are kept as is
//	scalar parameters          broadcast to every neuron               NIR stores [1] or () as well
//	                                                                   as full shapes; both are read
//	Conv2d padding             "same" → (k_eff−1)/2 (odd k_eff,        dilation: the kernel with zeros
//	                           stride 1), "valid" → 0                  between taps (k_eff = d(k−1)+1)
//	Conv1d over [C,L]          Conv2D over [C,1,L] (kernel 1×k)        the Input's [C,L] becomes [C,1,L]
//	SumPool2d k×k              AvgPool + the next synapse layer's      non-overlapping (stride = kernel),
//	                           weights × k²                            no padding
//	AvgPool2d, Flatten         AvgPool, Flatten (Affine on an          a flatten of all of [C,H,W]
//	                           image inserts one)
//	Scale after a synapse      its rows and bias × scale
//	Affine/Conv2d → Output     mean-current readout                    prediction argmax Σ_t c[t]
//	neuron → Output            spike-count readout                     prediction argmax Σ_t s[t]
//	… → Delay → synapse        the synapse layer's Delay = delay/dt    one delay for all elements, a whole
//	 (or bias-free synapse →   (ir.Layer.Delay: its input at step t    number of steps, ≤ 255; not on the
//	 Delay → neuron)           is the spikes of step t − Delay)        input or the Output (delay.go)
//
// The known traps, each handled above: tau multiplied by dt twice (the
// factor is dt/τ once, in the weights; γ = 1 − dt/τ); CubaLIF's w_in
// scaling (w_in multiplies the input and dt/τ_syn the current's change:
// both are applied, once); subtractive reset, which NIR cannot express;
// scalar parameters that must be broadcast; an empty input_type.
//
// The model's input is the Input node's shape ([N], [C,H,W], or [C,L] as
// [C,1,L]) with rate encoding and scale 1: an input value is the
// probability of a spike per step, so binary event frames are exactly
// their spikes. A model with current-based or recurrent layers or an LI
// readout reads event input instead (one frame of spikes per step, as the
// temporal float reference and SHD-layout data want); ImportOptions.Encoding
// (--encoding) chooses either for any model. T is --timesteps
// (NIR stores none; default 100). The provenance records MethodNone and
// "imported from NIR file NAME" (ImportedPrefix) in its Dataset field.
//
// # What Import refuses, naming the node, and what would lift it
//
//	Delay            per-element (per-neuron) delays, fractions of a step,
//	                 a Delay after a synapse with a bias (the bias would be
//	                 delayed too), on the model's input or its Output:
//	                 the IR's one whole-step delay per layer input
//	cycles other than spiking neuron → Affine/Linear → the same neuron
//	(a cycle through LI, CubaLI or I would feed back a potential), and
//	branches, merges a graph of layers instead of a chain in ir.Model
//	a recurrence into a conv layer, two synapses in a row, pooling with
//	overlap or padding, different τ (or τ_syn) per neuron, v_reset ≠ 0,
//	v_leak ≠ 0 with a synaptic current, an LI/CubaLI/I node that is not
//	the last: the IR's one-leak-per-layer, reset-to-zero-or-subtract,
//	chain-of-layers model
//
// # Export
//
// Export inverts the table for the float layers (dense → Affine, conv2d →
// Conv2d, avgpool → AvgPool2d, flatten → Flatten; recurrent dense →
// Affine plus a Linear node "NAME.rec" on the cycle NAME.lif → NAME.rec →
// NAME.lif; neurons → LIF with τ = dt/(1−γ), r = τ/dt, v_leak = 0,
// v_reset = 0, or IF with r = 1 when γ = 1; current-based neurons
// (β_c ≠ 0) → CubaLIF with τ_syn = dt/(1−β_c) and w_in = τ_syn/dt, as
// snnTorch writes its Synaptic neuron; the readout layer of a max-potential
// model → LI, or CubaLI; a layer with a synaptic delay gets a Delay node
// "NAME.delay" in front of its synapse node, Delay·dt for every input
// element), with parameters in float64 so that importing the
// file with the same dt gives the identical model. The IR fields NIR has no
// place for (name, T, encoding, input scale, readout, dt, the readout
// layer's unused neuron fields) are root attributes "snnc_*", which other
// NIR readers ignore. Subtractive reset, sparse layers, current decay or a
// max-potential readout without leak (γ = 1: no finite τ_mem) and a
// recurrent readout layer read by its mean current are refused.
package nir
