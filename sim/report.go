package sim

import (
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Report is what snnc simulate reports about one run of a model on a
// dataset's test split: accuracy, the comparison with the float reference
// (chip mode), spikes per layer, operation counts and timing. The CLI
// prints it as text or as this JSON object; Stats holds every count.
type Report struct {
	// Model names the model (its file); Dataset the dataset simulated.
	Model   string `json:"model"`
	Dataset string `json:"dataset"`
	// Mode is "chip" for a compiled model, "float" for the float reference.
	Mode   string `json:"mode"`
	Target string `json:"target,omitempty"`
	// Samples run; Accuracy, ReferenceAccuracy and Agreement as in Stats.
	Samples           int     `json:"samples"`
	Accuracy          float64 `json:"accuracy"`
	ReferenceAccuracy float64 `json:"reference_accuracy"`
	Agreement         float64 `json:"agreement"`
	// Timesteps is the model's T; Steps the chip steps per sample.
	Timesteps int `json:"timesteps"`
	Steps     int `json:"steps"`
	// Cores is the number of mapped cores (chip mode).
	Cores          int     `json:"cores,omitempty"`
	SynapticOps    int64   `json:"synaptic_ops"`
	SynapticOpsPer float64 `json:"synaptic_ops_per_sample"`
	// SpikesPerLayer are the spikes per sample of each layer with neurons,
	// named by LayerNames.
	SpikesPerLayer   []float64 `json:"spikes_per_layer"`
	LayerNames       []string  `json:"layer_names"`
	LatencyPerSample float64   `json:"latency_per_sample_s"`
	// LatencyEstimate, when set, says that the target's latency table is
	// assumed, not measured, and gives its formula (the data file's
	// latency_estimate; Loihi 2).
	LatencyEstimate string `json:"latency_estimate,omitempty"`
	// Timing names the timing model that gave the latency (Stats.Timing).
	Timing          string  `json:"timing_model,omitempty"`
	Throughput      float64 `json:"throughput_per_s"`
	EventsPerSecond float64 `json:"events_per_second"`
	WallSeconds     float64 `json:"wall_seconds"`
	// ContentionPerLayer is each LayerNames layer's network-contention
	// delay per sample in seconds (chip runs with contention timing).
	ContentionPerLayer []float64 `json:"contention_per_layer_s,omitempty"`
	// Trace is the spike-raster file written, if any.
	Trace string `json:"trace,omitempty"`
	Stats *Stats `json:"stats"`
}

// NewReport reports st, a run (Run) of the model m, read from the file
// named model, on the dataset named dataset.
func NewReport(model string, m *ir.Model, dataset string, st *Stats) *Report {
	r := &Report{
		Model: model, Dataset: dataset, Mode: "float", Target: st.Target, Samples: st.Samples,
		Accuracy: st.Accuracy(), ReferenceAccuracy: st.ReferenceAccuracy(), Agreement: st.Agreement(),
		Timesteps: m.Timesteps, Steps: st.Steps, SynapticOps: st.Total.SynapticOps,
		SynapticOpsPer:   st.PerSample(st.Total.SynapticOps),
		LatencyPerSample: st.LatencyPerSample, Timing: st.Timing, Throughput: st.Throughput(), EventsPerSecond: st.EventsPerSecond(),
		WallSeconds: st.WallSeconds, Stats: st,
	}
	if m.Quantized != nil && m.Mapping != nil {
		r.Mode = "chip"
		r.Cores = len(m.Mapping.Cores)
		if t, err := targets.Lookup(st.Target); err == nil && st.LatencyPerSample > 0 {
			r.LatencyEstimate = t.LatencyEstimate
		}
	}
	for i := range m.Layers {
		if !m.Layers[i].HasNeurons() || i >= len(st.PerLayer) {
			continue
		}
		r.LayerNames = append(r.LayerNames, m.Layers[i].Name)
		r.SpikesPerLayer = append(r.SpikesPerLayer, st.PerSample(st.PerLayer[i].Spikes))
		if len(st.ContentionPerLayer) > 0 {
			c := 0.0
			if i < len(st.ContentionPerLayer) {
				c = st.ContentionPerLayer[i]
			}
			r.ContentionPerLayer = append(r.ContentionPerLayer, c)
		}
	}
	return r
}

// PerSample is a total count divided by the samples run (0 without samples).
func (s *Stats) PerSample(total int64) float64 {
	if s.Samples == 0 {
		return 0
	}
	return float64(total) / float64(s.Samples)
}
