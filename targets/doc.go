// Package targets describes the neuromorphic chip families snnc compiles for.
//
// Each family is data (data/*.json, embedded): limits per core and per chip,
// mesh shape, bit widths, per-operation energy and latency with their
// sources. Only the little behaviour that really differs between families
// (the integer neuron update, the weight encoding, the synaptic-memory cost
// of a core) is code. A new chip is mostly a new data file.
//
// Loihi 2 (loihi2.go, data/loihi2.json) follows Lava's bit-accurate process
// models: Loihi2Step is PyLifModelBitAcc's update, Loihi2Weight its
// synapses' weight truncation, and graded spikes and synaptic delays are
// described in the data. Its energy and latency tables are estimates
// scaled from Loihi 1, with the formula in the file. It is experimental
// (left out of Names) until compile and sim run it.
package targets
