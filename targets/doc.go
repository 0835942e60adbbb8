// Package targets describes the neuromorphic chip families snnc compiles for.
//
// Each family is data (data/*.json, embedded): limits per core and per chip,
// mesh shape, bit widths, per-operation energy and latency with their
// sources. Only the little behaviour that really differs between families
// (the integer neuron update, the weight encoding, the synaptic-memory cost
// of a core) is code. A new chip is mostly a new data file.
package targets
