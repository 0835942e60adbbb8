package energy

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// SeedTarget is the name under which reports and the command line know the
// seed's 45 nm arithmetic model.
const SeedTarget = "seed45nm"

// ArithmeticModel is an energy model that prices accumulates and
// multiply-accumulates only (the seed's A.6 model).
type ArithmeticModel struct {
	Name string
	// AC and MAC are joules per accumulate and per multiply-accumulate.
	AC, MAC float64
	Sources []targets.Source
	Note    string
}

// Seed45nm is the model of the seed's appendix A.6: 32-bit floating-point
// AC 0.9 pJ and MAC 4.6 pJ at 45 nm (Horowitz 2014, as used by Han et al. 2015).
var Seed45nm = ArithmeticModel{
	Name: SeedTarget,
	AC:   0.9e-12,
	MAC:  4.6e-12,
	Sources: []targets.Source{
		{Key: "asgl", Citation: "Adaptive Smoothing Gradient Learning for Spiking Neural Networks, appendix A.6 (energy estimation, Eq. 20-21)"},
		{Key: "horowitz2014", Citation: "M. Horowitz, Computing's energy problem (and what we can do about it), ISSCC 2014"},
		{Key: "han2015", Citation: "S. Han, J. Pool, J. Tran, W. Dally, Learning both weights and connections for efficient neural networks, NeurIPS 2015"},
	},
	Note: "fp32 at 45 nm: AC 0.9 pJ, MAC 4.6 pJ; ANN baseline = N_MAC (Eq. 21) MACs per inference.",
}

// Seed prices run with the seed's model: the first weighted layer of a
// direct-current input as MAC (its connections, once per inference), every
// other synaptic event as AC (Eq. 20), against the same-shape ANN's N_MAC
// (Eq. 21). run is normally the float reference (sim.Run on the float
// model), but any run of the same network will do.
func Seed(m *ir.Model, run *Run, em ArithmeticModel) (*TargetReport, error) {
	perMAC, annMAC, err := ANNMACs(m)
	if err != nil {
		return nil, err
	}
	first := FirstWeighted(m)
	if first < 0 {
		return nil, fmt.Errorf("energy: model %q has no layer with synapses", m.Name)
	}
	t := &TargetReport{
		Target:          SeedTarget,
		EnergyModel:     em.Name,
		EnergyModelNote: em.Note,
		Sources:         em.Sources,
		Timesteps:       m.Timesteps,
		Steps:           m.Timesteps,
		ANNMAC:          float64(annMAC),
		ANNEnergy:       float64(annMAC) * em.MAC,
	}
	direct := directInput(m)
	layerAC := func(l int) float64 {
		if direct && l == first {
			return 0
		}
		return run.PerLayer[l].SynapticOps
	}
	if len(run.PerLayer) == len(m.Layers) {
		for l := range m.Layers {
			ac := layerAC(l)
			var mac float64
			if direct && l == first {
				mac = float64(perMAC[l])
			}
			t.PerLayer = append(t.PerLayer, LayerEnergy{
				Index: l, Name: layerName(m, l),
				Ops:    Ops{SynapticOps: ac, Spikes: run.PerLayer[l].Spikes, HostMACs: mac},
				ANNMAC: float64(perMAC[l]),
				Energy: ac*em.AC + mac*em.MAC,
			})
			t.AC += ac
			t.Ops.Spikes += run.PerLayer[l].Spikes
		}
	} else {
		// No per-layer counts: the run's synaptic events are taken to
		// exclude the direct-current input (as on chip, where it is a MAC).
		t.AC = run.Total.SynapticOps
		t.Ops.Spikes = run.Total.Spikes
		t.Notes = append(t.Notes, "no per-layer counts: AC is the run's total synaptic events")
	}
	if direct {
		t.MAC = float64(perMAC[first])
		t.MACPerStep = float64(m.Timesteps) * t.MAC
		t.Notes = append(t.Notes, fmt.Sprintf(
			"direct-current input: layer %q (%d connections) is costed as MAC once per inference, since W·x is constant over the %d steps; recomputed every step it would be %d MACs (%s).",
			layerName(m, first), perMAC[first], m.Timesteps, int64(m.Timesteps)*perMAC[first], FormatJoules(t.MACPerStep*em.MAC)))
	}
	t.Ops.SynapticOps = t.AC
	t.Ops.HostMACs = t.MAC
	t.Energy = Split{Synaptic: t.AC * em.AC, HostMAC: t.MAC * em.MAC}
	// Per-step counts cannot tell the first layer's input apart, so steps
	// are shown only when the run did not count it as synaptic events.
	if !direct || len(run.PerLayer) == len(m.Layers) && run.PerLayer[first].SynapticOps == 0 {
		for s := range run.PerStep {
			ac := run.PerStep[s].SynapticOps
			t.PerStep = append(t.PerStep, StepEnergy{Step: s, Ops: Ops{SynapticOps: ac, Spikes: run.PerStep[s].Spikes}, Energy: ac * em.AC})
		}
	}
	t.finish(run)
	return t, nil
}
