package energy

import (
	"github.com/snnc/snnc/sim"
)

// Ops are operation counts per inference (totals divided by the number of
// samples, so they may be fractional).
type Ops struct {
	SynapticOps  float64 `json:"synaptic_ops"`
	NeuronActive float64 `json:"neuron_active"`
	NeuronIdle   float64 `json:"neuron_idle"`
	Spikes       float64 `json:"spikes"`
	SpikesLocal  float64 `json:"spikes_local"`
	HopsEW       float64 `json:"hops_ew"`
	HopsNS       float64 `json:"hops_ns"`
	ChipHops     float64 `json:"chip_hops"`
	HostMACs     float64 `json:"host_macs"`
	// Messages, SomaAccesses and SomaUpdates are sim.Counts' (axon-out
	// messages; soma reads and updates as the target accounts them).
	Messages     float64 `json:"messages"`
	SomaAccesses float64 `json:"soma_accesses"`
	SomaUpdates  float64 `json:"soma_updates"`
	// GradedSynapticOps are the synaptic ops (in SynapticOps too) of
	// graded spikes, priced at the energy model's graded_synaptic_op;
	// GradedInputMessages the graded spikes the host sends into the chip
	// (sim.Counts).
	GradedSynapticOps   float64 `json:"graded_synaptic_ops,omitempty"`
	GradedInputMessages float64 `json:"graded_input_messages,omitempty"`
	// GradedSpikes are the graded spikes hidden layers send (in Spikes
	// too) and GradedSpikePayload the spikes they carry (sim.Counts;
	// compile.Options.GradedHidden).
	GradedSpikes       float64 `json:"graded_spikes,omitempty"`
	GradedSpikePayload float64 `json:"graded_spike_payload,omitempty"`
}

// opsOf divides c by samples.
func opsOf(c *sim.Counts, samples int) Ops {
	n := float64(max(1, samples))
	return Ops{
		SynapticOps:  float64(c.SynapticOps) / n,
		NeuronActive: float64(c.NeuronActive) / n,
		NeuronIdle:   float64(c.NeuronIdle) / n,
		Spikes:       float64(c.Spikes) / n,
		SpikesLocal:  float64(c.SpikesLocal) / n,
		HopsEW:       float64(c.HopsEW) / n,
		HopsNS:       float64(c.HopsNS) / n,
		ChipHops:     float64(c.ChipHops) / n,
		HostMACs:     float64(c.HostMACs) / n,
		Messages:     float64(c.Messages) / n,
		SomaAccesses: float64(c.SomaAccesses) / n,
		SomaUpdates:  float64(c.SomaUpdates) / n,

		GradedSynapticOps:   float64(c.GradedSynapticOps) / n,
		GradedInputMessages: float64(c.GradedInputMessages) / n,
		GradedSpikes:        float64(c.GradedSpikes) / n,
		GradedSpikePayload:  float64(c.GradedSpikePayload) / n,
	}
}

// add adds o to p.
func (p *Ops) add(o Ops) {
	p.SynapticOps += o.SynapticOps
	p.NeuronActive += o.NeuronActive
	p.NeuronIdle += o.NeuronIdle
	p.Spikes += o.Spikes
	p.SpikesLocal += o.SpikesLocal
	p.HopsEW += o.HopsEW
	p.HopsNS += o.HopsNS
	p.ChipHops += o.ChipHops
	p.HostMACs += o.HostMACs
	p.Messages += o.Messages
	p.SomaAccesses += o.SomaAccesses
	p.SomaUpdates += o.SomaUpdates
	p.GradedSynapticOps += o.GradedSynapticOps
	p.GradedInputMessages += o.GradedInputMessages
	p.GradedSpikes += o.GradedSpikes
	p.GradedSpikePayload += o.GradedSpikePayload
}

// scale returns p with every count multiplied by f.
func (p Ops) scale(f float64) Ops {
	return Ops{
		SynapticOps:  p.SynapticOps * f,
		NeuronActive: p.NeuronActive * f,
		NeuronIdle:   p.NeuronIdle * f,
		Spikes:       p.Spikes * f,
		SpikesLocal:  p.SpikesLocal * f,
		HopsEW:       p.HopsEW * f,
		HopsNS:       p.HopsNS * f,
		ChipHops:     p.ChipHops * f,
		HostMACs:     p.HostMACs * f,
		Messages:     p.Messages * f,
		SomaAccesses: p.SomaAccesses * f,
		SomaUpdates:  p.SomaUpdates * f,

		GradedSynapticOps:   p.GradedSynapticOps * f,
		GradedInputMessages: p.GradedInputMessages * f,
		GradedSpikes:        p.GradedSpikes * f,
		GradedSpikePayload:  p.GradedSpikePayload * f,
	}
}

// Run is what the energy models read: operation counts per inference of a
// simulation (FromStats) or of a planning estimate (Estimate).
type Run struct {
	// Target is the target simulated ("" for the float reference).
	Target string
	// Samples is the number of samples the counts average over (0 for an
	// estimate); Correct how many were predicted right.
	Samples, Correct int
	// ReferenceCorrect and Agreeing compare a chip simulation with the
	// float reference run beside it (Reference; both 0 when it was not).
	Reference                  bool
	ReferenceCorrect, Agreeing int
	// Steps is the number of chip steps per inference.
	Steps int
	// Total, PerLayer (index of the model's layers), PerCore (index of
	// Mapping.Cores) and PerStep are per inference.
	Total    Ops
	PerLayer []Ops
	PerCore  []Ops
	PerStep  []Ops
	// LatencyPerSample is the chip time per inference in seconds (0: unknown).
	LatencyPerSample float64
	// Estimate marks counts made from an assumed firing rate, not a simulation.
	Estimate bool
	// Rate is the assumed firing rate of an estimate.
	Rate float64
	// Timing is the simulator's timing model (sim.TimingSimple or
	// sim.TimingContention; "" for an estimate); ContentionPerLayer its
	// per-layer contention delay per inference (contention timing only).
	Timing             string
	ContentionPerLayer []float64
}

// FromStats turns the simulator's totals into counts per inference.
//
// It relies on these conventions of sim.Stats: PerLayer[l].SynapticOps are
// the synaptic events at layer l's synapses (the accumulates layer l does,
// from the spikes of its source), PerLayer[l].Spikes the spikes layer l
// emits, and HostMACs the first layer's direct-current multiply-accumulates.
func FromStats(st *sim.Stats) *Run {
	r := &Run{
		Target:           st.Target,
		Samples:          st.Samples,
		Correct:          st.Correct,
		Reference:        st.ReferencePredictions != nil,
		ReferenceCorrect: st.ReferenceCorrect,
		Agreeing:         st.Agreeing,
		Steps:            st.Steps,
		Total:            opsOf(&st.Total, st.Samples),
		LatencyPerSample: st.LatencyPerSample,
		Timing:           st.Timing,
	}
	r.ContentionPerLayer = append(r.ContentionPerLayer, st.ContentionPerLayer...)
	conv := func(cs []sim.Counts) []Ops {
		if len(cs) == 0 {
			return nil
		}
		out := make([]Ops, len(cs))
		for i := range cs {
			out[i] = opsOf(&cs[i], st.Samples)
		}
		return out
	}
	r.PerLayer = conv(st.PerLayer)
	r.PerCore = conv(st.PerCore)
	r.PerStep = conv(st.PerStep)
	return r
}
