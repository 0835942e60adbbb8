package energy

import (
	"encoding/json"
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Split is energy per inference in joules, by operation kind.
type Split struct {
	// Synaptic is the synaptic events (the seed model's ACs).
	Synaptic float64 `json:"synaptic_j"`
	// NeuronActive and NeuronIdle are neuron updates.
	NeuronActive float64 `json:"neuron_active_j"`
	NeuronIdle   float64 `json:"neuron_idle_j"`
	// Spikes is the spikes sent (within their tile).
	Spikes float64 `json:"spikes_j"`
	// Hops is spike traffic between tiles and chips.
	Hops float64 `json:"hops_j"`
	// Messages is the axon-out messages (one per spike and destination
	// core) where the energy model prices them.
	Messages float64 `json:"messages_j"`
	// HostMAC is the direct-current input's multiply-accumulates (the seed
	// model's MACs).
	HostMAC float64 `json:"host_mac_j"`
	// Barrier and Static are per-step costs.
	Barrier float64 `json:"barrier_j"`
	Static  float64 `json:"static_j"`
}

// Total is the sum of the split.
func (s Split) Total() float64 {
	return s.Synaptic + s.NeuronActive + s.NeuronIdle + s.Spikes + s.Hops + s.Messages + s.HostMAC + s.Barrier + s.Static
}

// SplitNames are the operation kinds of a Split, in order, as reports label them.
var SplitNames = []string{"synaptic", "neuron active", "neuron idle", "spikes", "hops", "messages", "host MAC", "barrier", "static"}

// Values returns the split in the order of SplitNames.
func (s Split) Values() []float64 {
	return []float64{s.Synaptic, s.NeuronActive, s.NeuronIdle, s.Spikes, s.Hops, s.Messages, s.HostMAC, s.Barrier, s.Static}
}

// LayerEnergy is one layer's counts and energy per inference.
type LayerEnergy struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Ops   Ops    `json:"ops"`
	// ANNMAC is the same-shape ANN's multiply-accumulates in this layer.
	ANNMAC float64 `json:"ann_mac"`
	Energy float64 `json:"energy_j"`
}

// CoreEnergy is one core's counts and energy per inference.
type CoreEnergy struct {
	Index  int     `json:"index"`
	Chip   int     `json:"chip"`
	X      int     `json:"x"`
	Y      int     `json:"y"`
	Layer  int     `json:"layer"`
	Ops    Ops     `json:"ops"`
	Energy float64 `json:"energy_j"`
}

// StepEnergy is one step's counts and energy per inference.
type StepEnergy struct {
	Step   int     `json:"step"`
	Ops    Ops     `json:"ops"`
	Energy float64 `json:"energy_j"`
}

// TargetReport is the energy of a model on one target under one energy model.
type TargetReport struct {
	// Target is the target's name ("seed45nm", "loihi", "truenorth", …).
	Target string `json:"target"`
	// DoesNotFit, when not empty, says why the model could not be placed
	// on the target; nothing else is then filled in but Target.
	DoesNotFit string `json:"does_not_fit,omitempty"`
	// Estimate marks a planning estimate from an assumed firing rate.
	Estimate bool    `json:"estimate"`
	Rate     float64 `json:"assumed_rate,omitempty"`
	// EnergyModel names the energy model; Sources are its citations.
	EnergyModel     string `json:"energy_model"`
	EnergyModelNote string `json:"energy_model_note,omitempty"`
	// EnergyEstimate and LatencyEstimate, when set, say that the energy
	// and latency tables are assumed, not measured, and give their
	// formula (the data file's estimate and latency_estimate; the text
	// and HTML reports print them among the Notes).
	EnergyEstimate  string           `json:"energy_estimate,omitempty"`
	LatencyEstimate string           `json:"latency_estimate,omitempty"`
	Sources         []targets.Source `json:"sources,omitempty"`
	LatencySources  []targets.Source `json:"latency_sources,omitempty"`
	// Notes are assumptions of this report.
	Notes []string `json:"notes,omitempty"`
	// Samples is the number of samples simulated (0 for an estimate).
	Samples  int      `json:"samples"`
	Accuracy *float64 `json:"accuracy,omitempty"`
	// ReferenceAccuracy and Agreement (the fraction of samples on which
	// the chip and the float reference predict the same class) are set
	// when the float reference ran beside the chip (Request.Reference).
	ReferenceAccuracy *float64 `json:"reference_accuracy,omitempty"`
	Agreement         *float64 `json:"agreement,omitempty"`
	// Timesteps is the model's T; Steps the chip steps per inference.
	Timesteps int `json:"timesteps"`
	Steps     int `json:"steps"`
	// Ops are the operation counts per inference.
	Ops Ops `json:"ops_per_inference"`
	// Energy is the energy per inference by operation; EnergyPerInference its total.
	Energy             Split   `json:"energy_split_j"`
	EnergyPerInference float64 `json:"energy_per_inference_j"`
	// AC and MAC are the accumulates (synaptic events) and multiply-
	// accumulates (direct-current input) per inference.
	AC  float64 `json:"ac"`
	MAC float64 `json:"mac"`
	// MACPerStep is MAC if the first layer were recomputed at every step
	// (T·MAC; seed model only, for comparison).
	MACPerStep float64 `json:"mac_if_recomputed_each_step,omitempty"`
	// ANNMAC is N_MAC of the same-shape ANN per inference (seed Eq. 21) and
	// ANNEnergy its energy at the seed's E_MAC.
	ANNMAC    float64 `json:"ann_mac"`
	ANNEnergy float64 `json:"ann_energy_j"`
	// Ratio is EnergyPerInference / ANNEnergy.
	Ratio float64 `json:"snn_ann_energy_ratio"`
	// Latency is the chip time per inference (0: not modelled, as for the
	// seed's arithmetic model),
	// Throughput its inverse and EDP = EnergyPerInference · Latency.
	Latency    float64 `json:"latency_per_inference_s"`
	Throughput float64 `json:"inferences_per_second"`
	EDP        float64 `json:"energy_delay_product_js"`
	// Timing names the timing model the latency comes from ("simple",
	// "contention"; "" when there is no latency or for an estimate).
	Timing string `json:"timing_model,omitempty"`
	// ContentionPerLayer is, per layer, the seconds per inference by which
	// the layer's cores finish their incoming messages later because of
	// link contention and full buffers (contention timing only).
	ContentionPerLayer []float64 `json:"contention_per_layer_s,omitempty"`
	// PerLayer, PerCore and PerStep break the counts and energy down.
	PerLayer []LayerEnergy `json:"per_layer,omitempty"`
	PerCore  []CoreEnergy  `json:"per_core,omitempty"`
	PerStep  []StepEnergy  `json:"per_step,omitempty"`
}

// LayerInfo describes one layer of the model in a report.
type LayerInfo struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Neurons int    `json:"neurons"`
	ANNMAC  int64  `json:"ann_mac"`
}

// Report is an energy report of one model on one or more targets.
type Report struct {
	Model     string         `json:"model"`
	Dataset   string         `json:"dataset,omitempty"`
	Timesteps int            `json:"timesteps"`
	Encoding  string         `json:"encoding"`
	Estimate  bool           `json:"estimate"`
	Layers    []LayerInfo    `json:"layers"`
	Targets   []TargetReport `json:"targets"`
}

// KindName is the lower-case name of a layer kind.
func KindName(k ir.LayerKind) string {
	switch k {
	case ir.KindDense:
		return "dense"
	case ir.KindConv2D:
		return "conv2d"
	case ir.KindAvgPool:
		return "avgpool"
	case ir.KindFlatten:
		return "flatten"
	case ir.KindRecurrentDense:
		return "recurrent"
	case ir.KindSparse:
		return "sparse"
	}
	return fmt.Sprintf("kind%d", k)
}

// EncodingName is the lower-case name of an input encoding.
func EncodingName(e ir.Encoding) string {
	switch e {
	case ir.EncodingDirect:
		return "direct"
	case ir.EncodingRate:
		return "rate"
	case ir.EncodingEvents:
		return "events"
	}
	return fmt.Sprintf("encoding%d", e)
}

// NewReport starts a report for m with its layer table and no targets.
func NewReport(m *ir.Model) (*Report, error) {
	per, _, err := ANNMACs(m)
	if err != nil {
		return nil, err
	}
	r := &Report{Model: m.Name, Timesteps: m.Timesteps, Encoding: EncodingName(m.Input.Encoding)}
	for i := range m.Layers {
		l := &m.Layers[i]
		n := 0
		if l.HasNeurons() {
			n = l.NumOutputs()
		}
		r.Layers = append(r.Layers, LayerInfo{Name: layerName(m, i), Kind: KindName(l.Kind), Neurons: n, ANNMAC: per[i]})
	}
	return r, nil
}

// Add appends a target report; the report is an estimate if any target is.
func (r *Report) Add(t *TargetReport) {
	r.Targets = append(r.Targets, *t)
	if t.Estimate {
		r.Estimate = true
	}
}

func layerName(m *ir.Model, i int) string {
	if n := m.Layers[i].Name; n != "" {
		return n
	}
	return fmt.Sprintf("layer%d", i)
}

// finish fills the fields derived from the others.
func (t *TargetReport) finish(run *Run) {
	t.EnergyPerInference = t.Energy.Total()
	if t.ANNEnergy > 0 {
		t.Ratio = t.EnergyPerInference / t.ANNEnergy
	}
	if t.Latency > 0 {
		t.Throughput = 1 / t.Latency
		t.EDP = t.EnergyPerInference * t.Latency
	}
	t.Samples = run.Samples
	if run.Samples > 0 && !run.Estimate {
		acc := float64(run.Correct) / float64(run.Samples)
		t.Accuracy = &acc
		if run.Reference {
			ref := float64(run.ReferenceCorrect) / float64(run.Samples)
			agree := float64(run.Agreeing) / float64(run.Samples)
			t.ReferenceAccuracy, t.Agreement = &ref, &agree
		}
	}
	t.Estimate = run.Estimate
	if run.Estimate {
		t.Rate = run.Rate
		t.Notes = append(t.Notes, fmt.Sprintf("ESTIMATE: counts assume every spiking neuron (and a spiking input) fires with probability %g per step; nothing was simulated.", run.Rate))
	}
}

// NotFit returns the report of a target the model cannot be placed on.
func NotFit(target string, reason error) *TargetReport {
	return &TargetReport{Target: target, DoesNotFit: reason.Error()}
}

// MarshalJSON writes a target that does not fit as {target, does_not_fit}
// only, so that no zero energy is mistaken for a result.
func (t TargetReport) MarshalJSON() ([]byte, error) {
	if t.DoesNotFit != "" {
		return json.Marshal(struct {
			Target     string `json:"target"`
			DoesNotFit string `json:"does_not_fit"`
		}{t.Target, t.DoesNotFit})
	}
	type plain TargetReport
	return json.Marshal(plain(t))
}
