// Package targets describes the neuromorphic chip families snnc compiles for.
//
// Each target is data (data/*.json, embedded): limits per core and per chip,
// mesh shape, bit widths, per-operation energy and latency with their
// sources. Parse checks a data file: every field present, none unknown, a
// known family, every figure in range; a bad file gives one *DataError line
// naming the file and the field.
//
// What differs between families is code behind one interface, Backend:
//
//   - the weight grid of each precision (WeightGrid, EncodeWeights);
//   - the synaptic-memory cost of a core (AxonSynapseBits,
//     MinAxonSynapseBits);
//   - the integer neuron update (NeuronModel, Kernel): the reference step
//     (LoihiStep, TrueNorthStep, Loihi2Step) and the kernel the simulator
//     runs per core, checked against it bit for bit;
//   - the quantization rule for that update (QuantizeLayer, quantize.go):
//     compile's quantize pass calls it layer by layer, so a new family
//     needs no edit in compile;
//   - the mapping rules beyond the per-core limits (Capabilities):
//     population axons, splitters and typed crossbar axons, sparse layers,
//     how synaptic operations are counted for energy and latency, graded
//     spikes, training inside the limits.
//
// A family is chosen once, from the data file's "family" field (the
// families table); compile, sim and energy ask the Backend and never
// compare a family name. A new chip of a known family is one data file; a
// new family is one data file and one Backend. The conformance suite
// (conformance_test.go: data, memory cost, weights, neuron, kernel against
// reference step) runs on every data file (AllNames), and the simulator's
// bit-exact tests and compile's golden hashes on every target the
// pipeline compiles for (Names).
//
// A target may also carry a calibrated timing model (Timing, timing.go):
// the cost of an axon-out and an incoming message, the soma accounting, the
// per-operation latencies of a core's pipeline, whether its synaptic and
// neuron phases overlap, the end-of-step sync by tiles used, and the
// mesh links' bandwidth and buffer depth that the simulator's contention
// model queues messages on. Loihi's comes from SANA-FE's arch/loihi.yaml.
//
// Loihi 2 (loihi2.go, data/loihi2.json) follows Lava's bit-accurate process
// models: Loihi2Step is PyLifModelBitAcc's update, Loihi2Weight its
// synapses' weight truncation. Its graded spikes (24-bit payloads, Lava's
// num_message_bits = 24) carry a direct-current input into on-chip
// synapses (GradedPayload; compile's Options.GradedInput) and the spike
// counts of several-spike layers from one layer to the next
// (Loihi2StepCount, GradedKernel; compile's Options.GradedHidden); synaptic delays
// are described in the data only. Its conv layers use Loihi 1's
// population axons (assumed). Its energy and latency tables are estimates
// scaled from Loihi 1, with the formula in the file. Its backend has the
// Lava CUBA-LIF kernel (NeuronLavaCUBA), which compile quantizes for and
// the simulator runs.
//
// The Xylo parts (xylo.go, xylo_backend.go, data/xylo-*.json: XyloAudio 2,
// XyloAudio 3, XyloIMU) are a family of their own whose chip is one
// recurrent population (Capabilities.RecurrentCore): the backend is a
// RecurrentCoreBackend with the part's figures, the design rules of
// Rockpool's mapper and of the part (DesignRules), and RecurrentCore,
// which runs xylosim's integer update (16-bit state, bit-shift decays,
// subtractive reset with up to 31 spikes per step, two synaptic currents)
// and times each step with Rockpool's cycle model. Its energy model is
// SynSense's measured dynamic power times the step length, an estimate.
package targets
