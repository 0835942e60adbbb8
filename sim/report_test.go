package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/snnc/snnc/ir"
)

// TestNewReport checks the report of hand-made counts: per-sample figures
// are totals over the samples, layers without neurons are left out of the
// spike table, and only a quantized and mapped model is in chip mode.
func TestNewReport(t *testing.T) {
	m := &ir.Model{Timesteps: 4, Layers: []ir.Layer{
		{Name: "conv1", Kind: ir.KindConv2D},
		{Name: "pool1", Kind: ir.KindAvgPool},
		{Name: "fc2", Kind: ir.KindDense},
	}}
	st := &Stats{
		Target: "loihi", Samples: 4, Correct: 3, ReferenceCorrect: 2, Agreeing: 1, Steps: 6,
		Total:            Counts{SynapticOps: 100},
		PerLayer:         []Counts{{Spikes: 10}, {Spikes: 999}, {Spikes: 2}},
		LatencyPerSample: 0.5, WallSeconds: 2,
	}
	r := NewReport("m.snn", m, "digits", st)
	assert.Equal(t, "float", r.Mode, "not quantized and mapped")
	assert.Equal(t, []string{"conv1", "fc2"}, r.LayerNames)
	assert.Equal(t, []float64{2.5, 0.5}, r.SpikesPerLayer)
	assert.Equal(t, 25.0, r.SynapticOpsPer)
	assert.Equal(t, 0.75, r.Accuracy)
	assert.Equal(t, 0.5, r.ReferenceAccuracy)
	assert.Equal(t, 0.25, r.Agreement)
	assert.Equal(t, 2.0, r.Throughput)
	assert.Equal(t, 50.0, r.EventsPerSecond)
	assert.Equal(t, 4, r.Timesteps)
	assert.Equal(t, 6, r.Steps)
	assert.Same(t, st, r.Stats)

	m.Quantized = &ir.Quantized{Target: "loihi"}
	m.Mapping = &ir.Mapping{Cores: make([]ir.Core, 3)}
	r = NewReport("m.snn", m, "digits", st)
	assert.Equal(t, "chip", r.Mode)
	assert.Equal(t, 3, r.Cores)
	assert.Empty(t, r.LatencyEstimate, "loihi's latency table is measured")
	st.Target = "loihi2"
	r = NewReport("m.snn", m, "digits", st)
	assert.Contains(t, r.LatencyEstimate, "ASSUMED, not measured", "loihi2's latency table is assumed and says so")

	empty := NewReport("m.snn", m, "digits", &Stats{PerLayer: make([]Counts, 3)})
	assert.Zero(t, empty.SynapticOpsPer, "no samples: no division by zero")
	assert.Equal(t, []float64{0, 0}, empty.SpikesPerLayer)
}
