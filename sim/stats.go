package sim

// Counts are operation counts of a run (of one core, one layer, one step, or
// the whole run).
type Counts struct {
	// SynapticOps is the number of synaptic events (a spike arriving at a
	// synapse: one accumulate).
	SynapticOps int64 `json:"synaptic_ops"`
	// NeuronActive and NeuronIdle count neuron updates of neurons that
	// received input or had non-zero state, and of those that did not.
	NeuronActive int64 `json:"neuron_active"`
	NeuronIdle   int64 `json:"neuron_idle"`
	// Spikes counts spikes sent.
	Spikes int64 `json:"spikes"`
	// HopsEW, HopsNS and ChipHops count spike-hops between tiles and chips;
	// SpikesLocal counts spikes delivered within their tile.
	HopsEW      int64 `json:"hops_ew"`
	HopsNS      int64 `json:"hops_ns"`
	ChipHops    int64 `json:"chip_hops"`
	SpikesLocal int64 `json:"spikes_local"`
	// HostMACs counts multiply-accumulates done on the host (the first
	// layer's direct-current input).
	HostMACs int64 `json:"host_macs"`
	// Messages counts axon-out messages: one per spike and destination
	// core (the routes out of the spiking neuron's core).
	Messages int64 `json:"messages"`
	// SomaAccesses and SomaUpdates count soma reads and updates as the
	// target accounts them (targets.Timing.SomaAccounting): with
	// "every-neuron" every mapped neuron is read every chip step, and
	// updated wherever its potential, bias or input is non-zero, also
	// outside its layer's valid steps; otherwise both are the active
	// neuron updates.
	SomaAccesses int64 `json:"soma_accesses"`
	SomaUpdates  int64 `json:"soma_updates"`
	// GradedSynapticOps are the synaptic ops (counted in SynapticOps too)
	// of graded spikes: a weight times a payload (graded input, see
	// compile.Options.GradedInput); GradedInputSpikes the graded spikes
	// GradedInputMessages the graded spikes the host sends into the chip:
	// one per non-zero input, step and receiving core.
	GradedSynapticOps   int64 `json:"graded_synaptic_ops,omitempty"`
	GradedInputMessages int64 `json:"graded_input_messages,omitempty"`
	// GradedSpikes are the graded spikes hidden layers send (in Spikes
	// too: one per firing neuron and step, compile.Options.GradedHidden)
	// and GradedSpikePayload the spikes they stand for (the sum of their
	// payloads, each a neuron's spike count of the step).
	GradedSpikes       int64 `json:"graded_spikes,omitempty"`
	GradedSpikePayload int64 `json:"graded_spike_payload,omitempty"`
}

// Add adds o to c.
func (c *Counts) Add(o *Counts) {
	c.SynapticOps += o.SynapticOps
	c.NeuronActive += o.NeuronActive
	c.NeuronIdle += o.NeuronIdle
	c.Spikes += o.Spikes
	c.HopsEW += o.HopsEW
	c.HopsNS += o.HopsNS
	c.ChipHops += o.ChipHops
	c.SpikesLocal += o.SpikesLocal
	c.HostMACs += o.HostMACs
	c.Messages += o.Messages
	c.SomaAccesses += o.SomaAccesses
	c.SomaUpdates += o.SomaUpdates
	c.GradedSynapticOps += o.GradedSynapticOps
	c.GradedInputMessages += o.GradedInputMessages
	c.GradedSpikes += o.GradedSpikes
	c.GradedSpikePayload += o.GradedSpikePayload
}

// Stats are the results of simulating a model on a dataset. Counts are
// totals over all samples; divide by Samples for per-inference figures.
type Stats struct {
	// Target is the target simulated ("" for the float reference).
	Target string `json:"target"`
	// Samples is the number of samples run; Correct how many were
	// predicted right.
	Samples int `json:"samples"`
	Correct int `json:"correct"`
	// ReferenceCorrect and Agreement compare with the float reference
	// (both 0 when no reference was run).
	ReferenceCorrect int `json:"reference_correct"`
	Agreeing         int `json:"agreeing"`
	// Steps is the number of chip steps per sample (T plus pipeline delay).
	Steps int `json:"steps"`
	// Total, PerLayer (index of the model's layers), PerCore (index of
	// Mapping.Cores; empty for the float reference) and PerStep (index of
	// the step within a sample).
	Total    Counts   `json:"total"`
	PerLayer []Counts `json:"per_layer"`
	PerCore  []Counts `json:"per_core"`
	PerStep  []Counts `json:"per_step"`
	// LatencyPerSample is the simulated chip time per sample in seconds:
	// the sum over steps of the step time under Timing.
	LatencyPerSample float64 `json:"latency_per_sample_s"`
	// Timing is the timing model used (TimingSimple or TimingContention;
	// "" for the float reference).
	Timing string `json:"timing,omitempty"`
	// ContentionPerLayer is, per model layer, the seconds per sample by
	// which the layer's cores finish processing their incoming messages
	// later than they would without link contention and full buffers
	// (contention timing only).
	ContentionPerLayer []float64 `json:"contention_per_layer_s,omitempty"`
	// WallSeconds is the wall-clock time the simulation took.
	WallSeconds float64 `json:"wall_seconds"`
	// Core is set by a run on a recurrent-core chip (Xylo): neurons used,
	// cycles, step time and real-time margin.
	Core *CoreReport `json:"recurrent_core,omitempty"`
	// Predictions are the predicted classes, one per sample in test-split
	// order; ReferencePredictions the float reference's (nil if not run).
	Predictions          []int `json:"-"`
	ReferencePredictions []int `json:"-"`
}

// Accuracy is Correct/Samples (0 without samples).
func (s *Stats) Accuracy() float64 { return ratio(s.Correct, s.Samples) }

// ReferenceAccuracy is ReferenceCorrect/Samples.
func (s *Stats) ReferenceAccuracy() float64 { return ratio(s.ReferenceCorrect, s.Samples) }

// Agreement is the fraction of samples on which the simulation and the
// float reference predict the same class.
func (s *Stats) Agreement() float64 { return ratio(s.Agreeing, s.Samples) }

// EventsPerSecond is the number of simulated synaptic events per second of
// wall-clock time.
func (s *Stats) EventsPerSecond() float64 {
	if s.WallSeconds <= 0 {
		return 0
	}
	return float64(s.Total.SynapticOps) / s.WallSeconds
}

// Throughput is inferences per second of simulated chip time (one sample
// after another).
func (s *Stats) Throughput() float64 {
	if s.LatencyPerSample <= 0 {
		return 0
	}
	return 1 / s.LatencyPerSample
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
