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
//   - the integer neuron update (NeuronModel): the reference step
//     (LoihiStep, TrueNorthStep) that compile's quantizer and evaluator and
//     sim's kernels implement bit for bit;
//   - the mapping rules beyond the per-core limits (Capabilities):
//     population axons, splitters and typed crossbar axons, sparse layers,
//     how synaptic operations are counted for energy and latency, training
//     inside the limits.
//
// A family is chosen once, from the data file's "family" field (the
// families table); compile, sim and energy ask the Backend and never
// compare a family name. A new chip of a known family is one data file; a
// new family is one data file and one Backend, and the conformance suite
// (conformance_test.go) and the simulator's bit-exact tests run on every
// target in Names().
package targets
