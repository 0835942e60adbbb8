package energy

import (
	"fmt"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// pricing is an energy model applied to counts: its per-operation table,
// its axon-out message energy, and whether neurons are priced by the
// target's soma accounting (targets.Timing.SomaAccounting: soma updates at
// the active-neuron energy, the other soma reads at the idle energy)
// instead of the simulator's active and idle neuron updates.
type pricing struct {
	j       *targets.OpTable
	message float64
	soma    bool
}

func pricingOf(t *targets.Target, em *targets.EnergyModel, run *Run) pricing {
	return pricing{j: &em.Joules, message: em.MessageOut, soma: !run.Estimate && t.Timing != nil && t.Timing.SomaAccounting != ""}
}

// price is the energy of the counted operations (no per-step costs).
func price(o Ops, pr pricing) Split {
	j := pr.j
	active, idle := o.NeuronActive, o.NeuronIdle
	if pr.soma {
		active, idle = o.SomaUpdates, o.SomaAccesses-o.SomaUpdates
	}
	return Split{
		Synaptic:     (o.SynapticOps-o.GradedSynapticOps)*j.SynapticOp + o.GradedSynapticOps*j.GradedSynapticOp,
		NeuronActive: active * j.NeuronActive,
		NeuronIdle:   idle * j.NeuronIdle,
		Spikes:       o.Spikes * j.Spike,
		Hops:         o.HopsEW*j.HopEW + o.HopsNS*j.HopNS + o.ChipHops*j.ChipHop,
		Messages:     o.Messages * pr.message,
		HostMAC:      o.HostMACs * j.HostMAC,
	}
}

// tiles returns the number of tiles the mapping uses (all of a chip's when
// it spans several chips) and the number of tiles of one chip.
func tiles(t *targets.Target, mp *ir.Mapping) (used, perChip int) {
	tw, th := max(1, t.Chip.TileWidth), max(1, t.Chip.TileHeight)
	perChip = max(1, (t.Chip.MeshWidth/tw)*(t.Chip.MeshHeight/th))
	if mp == nil {
		return 1, perChip
	}
	if mp.Chips > 1 {
		// A barrier across chips costs the whole-chip figure (as the
		// simulator times it).
		return perChip, perChip
	}
	seen := map[[3]int]bool{}
	for _, c := range mp.Cores {
		seen[[3]int{c.Chip, c.X / tw, c.Y / th}] = true
	}
	return max(1, len(seen)), perChip
}

// BarrierPerStep interpolates a barrier figure between lo (one tile) and
// hi (every tile of a chip) by the number of tiles used, capped at hi.
func BarrierPerStep(lo, hi float64, used, perChip int) float64 {
	if perChip <= 1 || used <= 1 {
		return lo
	}
	f := float64(used-1) / float64(perChip-1)
	if f > 1 {
		f = 1
	}
	return lo + f*(hi-lo)
}

// Chip prices run, a simulation of m compiled for target t, with the
// target's energy model em (t.EnergyModelNamed). The ANN baseline is the
// same-shape ANN at the seed's E_MAC (Seed45nm.MAC), so the ratio compares
// the chip with the seed's fp32 45 nm ANN.
func Chip(m *ir.Model, run *Run, t *targets.Target, em *targets.EnergyModel) (*TargetReport, error) {
	perMAC, annMAC, err := ANNMACs(m)
	if err != nil {
		return nil, err
	}
	rep := &TargetReport{
		Target:          t.Name,
		EnergyModel:     em.Name,
		EnergyModelNote: em.Note,
		Sources:         resolve(t, em.Sources),
		LatencySources:  resolve(t, t.LatencySources),
		Timesteps:       m.Timesteps,
		Steps:           run.Steps,
		Ops:             run.Total,
		AC:              run.Total.SynapticOps,
		MAC:             run.Total.HostMACs,
		ANNMAC:          float64(annMAC),
		ANNEnergy:       float64(annMAC) * Seed45nm.MAC,
	}
	if em.Estimate != "" {
		rep.EnergyEstimate = em.Estimate
		rep.Notes = append(rep.Notes, fmt.Sprintf("energy model %s: %s", em.Name, em.Estimate))
	}
	if t.LatencyEstimate != "" && run.LatencyPerSample > 0 {
		rep.LatencyEstimate = t.LatencyEstimate
		rep.Notes = append(rep.Notes, "latency: "+t.LatencyEstimate)
	}
	j := &em.Joules
	pr := pricingOf(t, em, run)
	if pr.soma {
		rep.Notes = append(rep.Notes, fmt.Sprintf("neurons priced by soma accounting %q: %.4g soma reads, %.4g updates per inference", t.Timing.SomaAccounting, run.Total.SomaAccesses, run.Total.SomaUpdates))
	}
	if em.MessageOut != 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("axon-out messages: %.4g per inference at %.4g J each", run.Total.Messages, em.MessageOut))
	}
	rep.Energy = price(run.Total, pr)
	used, perChip := tiles(t, m.Mapping)
	chips := 1
	if m.Mapping != nil {
		chips = max(1, m.Mapping.Chips)
	}
	barrier := BarrierPerStep(j.BarrierMin, j.BarrierMax, used, perChip)
	rep.Energy.Barrier = float64(run.Steps) * barrier
	rep.Energy.Static = float64(run.Steps) * float64(chips) * j.StaticPerStep
	if barrier != 0 || j.StaticPerStep != 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("per step: barrier %.4g J (%d of %d tiles), static %.4g J per chip", barrier, used, perChip, j.StaticPerStep))
	}

	for l := range run.PerLayer {
		if l >= len(m.Layers) {
			break
		}
		o := run.PerLayer[l]
		rep.PerLayer = append(rep.PerLayer, LayerEnergy{
			Index: l, Name: layerName(m, l), Ops: o, ANNMAC: float64(perMAC[l]), Energy: price(o, pr).Total(),
		})
	}
	if m.Mapping != nil {
		for c := range run.PerCore {
			if c >= len(m.Mapping.Cores) {
				break
			}
			mc := m.Mapping.Cores[c]
			o := run.PerCore[c]
			rep.PerCore = append(rep.PerCore, CoreEnergy{
				Index: c, Chip: mc.Chip, X: mc.X, Y: mc.Y, Layer: mc.Layer, Ops: o, Energy: price(o, pr).Total(),
			})
		}
	}
	for s, o := range run.PerStep {
		e := price(o, pr).Total() + barrier + float64(chips)*j.StaticPerStep
		rep.PerStep = append(rep.PerStep, StepEnergy{Step: s, Ops: o, Energy: e})
	}

	rep.Latency = run.LatencyPerSample
	if rep.Latency > 0 {
		rep.Timing = run.Timing
		if run.Timing != "" && run.Timing != sim.TimingSimple && t.Timing != nil {
			rep.LatencySources = resolve(t, t.Timing.Sources) // the calibrated timing's
		}
		rep.ContentionPerLayer = run.ContentionPerLayer
		var parts []string
		for l, c := range run.ContentionPerLayer {
			if l < len(m.Layers) && m.Layers[l].HasNeurons() {
				parts = append(parts, fmt.Sprintf("%s %s (%.1f%%)", layerName(m, l), FormatSeconds(c), 100*c/rep.Latency))
			}
		}
		if len(parts) > 0 {
			rep.Notes = append(rep.Notes, "link contention per receiving layer and inference: "+strings.Join(parts, ", "))
		}
	}
	if rep.Latency == 0 && t.TickSeconds > 0 {
		rep.Latency = float64(run.Steps) * t.TickSeconds
		rep.Notes = append(rep.Notes, fmt.Sprintf("latency: %d steps of %g s (real-time ticks)", run.Steps, t.TickSeconds))
	}
	if rep.Latency == 0 {
		rep.Notes = append(rep.Notes, "latency not modelled for this run")
	}
	rep.finish(run)
	return rep, nil
}

// resolve turns source keys into citations from the target's source list
// (a key without a citation is kept as its own citation).
func resolve(t *targets.Target, keys []string) []targets.Source {
	var out []targets.Source
	for _, k := range keys {
		s := targets.Source{Key: k, Citation: k}
		for _, ts := range t.Sources {
			if ts.Key == k {
				s = ts
				break
			}
		}
		out = append(out, s)
	}
	return out
}
