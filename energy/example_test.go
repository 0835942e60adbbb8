package energy_test

import (
	"fmt"

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
