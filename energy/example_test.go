package energy_test

import (
	"context"
	"fmt"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
)

// The seed's A.6 estimate for a 3-2-1 network with a direct-current input:
// fc1's 3·2 connections are MACs (once per inference), the 3 spikes fc1
// sends per inference to the readout's single synapse are ACs.
func ExampleSeed() {
	m := &ir.Model{
		Name:      "3-2-1",
		Input:     ir.Input{Shape: []int{3}, Encoding: ir.EncodingDirect},
		Timesteps: 4,
		Layers: []ir.Layer{
			{Name: "fc1", Kind: ir.KindDense, InShape: []int{3}, OutShape: []int{2}},
			{Name: "out", Kind: ir.KindDense, InShape: []int{2}, OutShape: []int{1}},
		},
	}
	st := &sim.Stats{Samples: 10, PerLayer: []sim.Counts{{Spikes: 30}, {SynapticOps: 30}}}
	r, err := energy.Seed(m, energy.FromStats(st), energy.Seed45nm)
	if err != nil {
		panic(err)
	}
	fmt.Printf("AC %g, MAC %g, ANN MAC %g\n", r.AC, r.MAC, r.ANNMAC)
	fmt.Printf("SNN %s, ANN %s, ratio %.4f\n", energy.FormatJoules(r.EnergyPerInference), energy.FormatJoules(r.ANNEnergy), r.Ratio)
	// Output:
	// AC 3, MAC 6, ANN MAC 8
	// SNN 30.3 pJ, ANN 36.8 pJ, ratio 0.8234
}

// Evaluate runs the whole pipeline for the targets of a request. Here a
// planning estimate on loihi at 10% firing per step (nothing simulated, no
// data read) for a 784-16-10 network with a direct-current input: the
// float model is compiled in memory, fc1's 784·16 connections are host MACs
// once per inference, and fc1's 0.1·4·16 spikes reach fc2's 10 synapses
// each (64 ACs).
func ExampleEvaluate() {
	m := compile.RandomDense([]int{784, 16, 10}, 4, 1)
	rep, err := energy.Evaluate(context.Background(), &energy.Request{
		Model: m, Target: "loihi", Estimate: true, Rate: 0.1,
	})
	if err != nil {
		panic(err)
	}
	for _, tr := range rep.Targets {
		fmt.Printf("%s (%s): AC %g, MAC %g, ANN MAC %g, estimate %v\n", tr.Target, tr.EnergyModel, tr.AC, tr.MAC, tr.ANNMAC, tr.Estimate)
	}
	// Output:
	// loihi (davies2018): AC 64, MAC 12544, ANN MAC 12704, estimate true
}
