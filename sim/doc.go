// Package sim executes spiking networks: a compiled model on a cycle-level,
// event-driven, bit-exact simulator of its target chip, and a float model in
// the float reference mode.
//
// # Chip mode
//
// A compiled model (Quantized and Mapping set) runs on the simulated cores of
// its target. Every layer is lowered to a transposed integer weight matrix
// (In×Out, int16) so that a spike of input i adds one contiguous row into the
// int32 synaptic accumulators of the neurons of each core it is routed to.
// Work is proportional to spikes (row additions) plus the neurons that are
// active (received input, have a bias or non-zero state); idle neurons are
// counted but not touched.
//
// The integer semantics are the target's: its backend's neuron model
// (targets.LoihiStep and targets.TrueNorthStep are the definitions) and the
// kernel the backend gives for each layer (targets.Backend.Kernel), which
// the simulator calls once per core and step; the tests check the kernels
// against the definitions bit for bit. For a layer with neurons j:
//
//	input_j = Σ_i Weights[j·In+i]·s_i[t]                       (integer mantissas)
//	Loihi:     u ← wrap24(decay(u, DecayU) + input<<(6+WeightExponent))
//	           v ← clip24(decay(v, DecayV) + u + bias_j); spike when v > Threshold<<6, then v = 0
//	TrueNorth: V ← clip20(V + input + bias_j − Leak); spike when V ≥ Threshold;
//	           reset per Reset (0: V = 0, 1: V −= Threshold, 2: none); V floored at −NegThreshold
//
// with bias_j = Bias_j<<BiasExponent (TrueNorth has no bias in its simplified
// neuron; a non-empty Bias is added to the input the same way).
//
// Direct-current input (ir.EncodingDirect): the first layer has no synaptic
// input on chip. The host computes per sample the float current
//
//	c = W0·(x·Input.Scale) + b0        (float32, summed over i in increasing order, then + b0)
//
// and the first layer's bias is bias_j = round(c_j·Quantized.Layers[0].Scale)
// (math.Round, half away from zero, in float64), replacing Bias<<BiasExponent.
// The host work is counted as In·Out HostMACs per sample (a conv layer:
// the sum of its receptive fields).
//
// Conv layers (grouped ones too) are never expanded: they run from their
// kernel, stored once per input channel and tap as a vector over the output
// channels of the group (see convk.go), with their neurons in the
// mapping order of their cores (see conv.go: position-major, grouped:
// group-major, then position-major, unless the layer carries an order of
// its own), so that a spike adds one contiguous vector per output position
// it reaches (per unit of consecutive channels with an order of its own); their synaptic operations are the synapses a
// spike really reaches in each core (tap × output channel). Sparse layers (ir.KindSparse) are never expanded:
// their synapses are grouped by input, split per core, and a spike adds
// exactly its synapses on each core it is routed to, one synaptic operation
// per synapse (see sparse.go). Sparse layers and TrueNorth dense (crossbar)
// layers deliver spikes through a per-core layout precomputed with the
// routes applied: for each input, one segment per core it reaches, a span
// of contiguous weights added by the vector row kernel or, when a span
// would be mostly zeros, a list of synapses (see spans.go). Average pooling (float models) is composed with
// the next layer's weights (a dense layer's matrix, a conv layer's kernel). Rate input
// (ir.EncodingRate) sends Bernoulli spikes from the host into the first
// layer's synapses with a per-sample deterministic generator.
//
// The last layer is the readout. With ir.ReadoutMeanCurrent it is a
// non-spiking accumulator, acc_j += (input_j<<(6+WeightExponent)) + bias_j
// on Loihi (input_j + bias_j on TrueNorth) each of its T valid steps; the
// prediction is argmax acc, lowest index on ties. With ir.ReadoutSpikeCount
// the last layer spikes and the prediction is the argmax of its spike counts.
//
// Temporal models — event input (T steps of input spikes per sample,
// Dataset.Steps), recurrent dense layers, a synaptic current decay β_c or
// the max-potential readout — run on the chip as compiled (the compiler's
// temporal.go has the lowering):
//
//	event input:   the spikes of step t enter the first layer's synapses from
//	               the host, as rate spikes do (no host MACs)
//	β_c:           the compartment's u decays by DecayU (as above); its bias
//	               enters u through a bias axon, input_j += Bias_j every
//	               step (ir.QuantLayer.BiasAxon), one more received spike
//	               per core and step
//	recurrence:    input_j += Σ_i Recurrent[j·Out+i]·s_i[t−1], the layer's
//	               own spikes of its previous valid step, through the routes
//	               from its cores back into them
//	max potential: the readout is a compartment with the largest threshold
//	               (it does not fire); acc_j = max over its T valid steps of v_j
//
// Their float reference (RunFloat, and Options.Reference on the chip) is
// temporal.go's for dense, recurrent dense and flatten layers (both reset
// modes, all three readouts), checked against a plain float64 loop; models
// with conv layers run in the general float reference below, which takes
// event input, current decays, recurrence and the max-potential readout
// too and computes the same on the tests' exact networks.
//
// Pipeline: spikes emitted by layer l at chip step k are delivered to layer
// l+1 at step k+1 (one step per layer, as Lava's dense synapse buffers). Layer
// l's T valid steps are l..l+T−1; outside them it neither integrates nor
// counts. A sample takes T+L−1 chip steps for L layers with neurons, and the
// predictions equal those of the zero-delay integer model.
//
// A spike from a neuron on core A reaches core B of the next layer only if
// the mapping has a route A→B; a missing route between cores whose neurons
// have non-zero weights between them is reported as an error.
//
// # Graded input
//
// A direct-current first layer compiled with graded input
// (ir.QuantLayer.InputPayloadBits > 0, compile.Options.GradedInput) has its
// synapses on chip and no host bias. Every step, every input i with a
// non-zero payload
//
//	p_i = targets.GradedPayload(x_i, Input.Scale, InputPayloadScale, InputPayloadBits)
//
// sends one graded spike, and neuron j's input is
//
//	input_j = Σ_i q_ji·p_i      (int32: the quantizer bounds it, targets.GradedSpikes.SumBits)
//
// then the family's update as for binary spikes (weight exponent, bias,
// Lava's CUBA-LIF). The sum is the same every step, so it is computed
// once per sample (graded.go); the counts are the chip's, every step:
// Counts.GradedSynapticOps (in SynapticOps too, one per synapse a graded
// spike meets) and Counts.GradedInputMessages (one per non-zero input,
// step and receiving core), and no HostMACs.
//
// # Graded hidden spikes
//
// A layer quantized with several spikes per step (ir.QuantLayer.Reset =
// ir.ResetSubtractMulti, compile.Options.GradedHidden) on a family whose
// kernel is a targets.GradedKernel sends, each step, one graded spike per
// firing neuron with its spike count as payload (Loihi 2:
// targets.Loihi2StepCount, ϑ = Vth·64 + 1):
//
//	s_j = min(⌊v_j/ϑ⌋, 31) where v_j ≥ ϑ,   v_j ← v_j − s_j·ϑ
//	input_k = Σ_j q_kj·s_j      (int32, next layer, dense, no delay)
//
// A graded spike counts once in Spikes and Messages and in
// Counts.GradedSpikes; Counts.GradedSpikePayload sums the s_j; the
// receiving layer's synaptic ops are graded ops (graded_hidden.go).
//
// # Counting and timing
//
// Per core and step the simulator counts synaptic ops (spikes arriving at the
// core × neurons on the core; on TrueNorth, and for conv and sparse layers,
// the synapses the spikes meet there: set crossbar bits, receptive-field
// taps, listed synapses), active and idle neuron updates, spikes, and
// for each spike the hops to every destination core (targets.CoreHops: east-
// west and north-south tile hops, chip crossings × Chip.ChipHops; deliveries
// within a tile counted in SpikesLocal). The latency of a step is
//
//	max over cores (synops·SynapticOp + active·NeuronActive + idle·NeuronIdle + spikes·Spike)
//	+ the longest route used in the step (ew·HopEW + ns·HopNS + chips·ChipHop)
//	+ barrier
//
// with the barrier interpolated linearly between Latency.BarrierMin (one tile)
// and Latency.BarrierMax (every tile of the chip) by the number of tiles the
// mapping uses, and BarrierMax when it spans several chips. This is the
// simple timing (Options.Timing = TimingSimple). A target with
// TickSeconds > 0 (TrueNorth) runs in real time: every step takes one tick.
// Stats.LatencyPerSample is the mean over samples of the sum over steps.
//
// Every spike also sends one axon-out message per destination core (the
// routes out of its core: Counts.Messages), and somas are counted as the
// target accounts them (targets.Timing.SomaAccounting): with
// "every-neuron" (Loihi) every mapped neuron is read at every chip step
// (Counts.SomaAccesses) and updated where its potential, bias or input is
// non-zero (Counts.SomaUpdates), also outside its layer's valid steps,
// where the update changes nothing the pipeline uses.
//
// # Contention timing
//
// With TimingContention (the default where the target has targets.Timing
// data) a step is timed as the calibrated simulator SANA-FE times it, with
// the network rule the target's data names (targets.Timing.Network):
// TimingQueue, our own link-queue model (noc.go), or TimingSANAFE,
// SANA-FE's detailed heuristic (Loihi's rule: the one calibrated against
// the silicon). With TimingQueue, in chip step k every core c sweeps its
// neurons in order, each costing
//
//	g_c = (accesses_c·SomaAccess + updates_c·SomaUpdate) / neurons_c
//
// and a spike of its neuron at position j is ready after the sweep up to j,
// SpikeOut, and then MessageOut per message, one per route of c (routes
// in mapping order, the messages of one spike back to back). Each message
// crosses its route's links (injection, chip, east-west, north-south,
// ejection), occupying each for LinkMessage and then taking its latency
// (HopEW, HopNS, Local), and waits in its receiver's LinkBuffer-deep buffer;
// a full buffer holds the route and stalls the sender (noc.go has the
// equations). Senders are served in the order their next message is
// ready (ties: core index). The receiver b processes each message for
//
//	MessageIn + s(a→b)·SynapticOp
//
// with s(a→b) the mean synaptic events a spike of a neuron of core a
// causes on core b as the simulator counts them (a dense layer: b's
// neurons), computed once per run. The messages a layer sends at step k are
// the input its successor integrates at step k+1 (the pipeline above); their
// processing is timed in step k, as SANA-FE times messages in the step that
// sends them. Host input (rate-coded spikes) is processed first, at
// MessageIn + SynapticOp per event. With PhasesOverlap a core's synaptic
// processing runs beside its neuron sweep; otherwise it starts after it.
// The step takes
//
//	max(last message processed, last core's sweep done) + Sync(tiles used)
//
// with Sync interpolated in the target's table of sync times by tiles.
// Stats.ContentionPerLayer gives, per receiving layer, how much later its
// cores finish than they would without link occupancy and full buffers
// (messages arriving their route latency after they are ready).
//
// TimingSANAFE times the same senders, messages and processing with
// SANA-FE's detailed heuristic instead of the queues (timing_sanafe.go): a
// message is delayed by the messages in flight on its route times their
// mean processing time, and its sender stalls when those exceed the
// buffer. Stats.ContentionPerLayer is then the lateness against messages
// that leave when ready and arrive their route latency later.
//
// # Float reference mode
//
// A float model (or the float layers of a compiled one, with
// Options.Reference) runs with Θ spikes and float32 state, without pipeline
// delay (T steps), as ir.Model documents:
//
//	c[t] = β_c·c[t−1] + W·s_in[t] + V·s[t−1] + b;  u[t] = γ·u[t−1]·(1 − s[t−1]) + c[t];  s[t] = Θ(u[t] − ϑ)
//
// (ResetSubtract: u[t] = γ·(u[t−1] − ϑ·s[t−1]) + c[t]; ResetNone: u[t] =
// γ·u[t−1] + c[t]). The readout is argmax Σ_t c^L[t]. Synaptic ops are
// counted as spikes × fan-out, at the receiving layer.
//
// # Implementation
//
// Samples run in parallel, one worker per CPU, each with preallocated state
// (nothing is allocated per sample or step); counts are accumulated per
// worker and merged at the end, so results do not depend on the number of
// workers, and the trace is written in sample order. Spikes are added four
// rows at a time; on amd64 with AVX2 the row additions, the host current and
// the float LIF update of the reference (kernel_amd64.s here), and the CUBA
// and linear-leak neuron updates (8 neurons per instruction, in exact 32-bit
// arithmetic; targets/kernel_amd64.s) use assembly kernels that compute
// exactly what the portable loops compute (build with -tags purego to use
// those). The CUBA, linear-leak and float neuron loops are branch-free.
//
// The tests hold a deliberately simple integer reference (dense matrices,
// one targets.LoihiStep or targets.TrueNorthStep call per neuron and step)
// and compare every neuron's state at every chip step on hundreds of random
// networks and mappings per target, including weights that wrap u and
// potentials that saturate; they also check the pipelined states against
// the zero-delay model and compiled models against compile.Integer.
package sim
