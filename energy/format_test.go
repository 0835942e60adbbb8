package energy

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// report321 is a side-by-side report of net321: seed45nm from a float run,
// loihi from chipStats321, and truenorth that "does not fit".
func report321(t *testing.T) *Report {
	t.Helper()
	m := mapped321("loihi")
	r, err := NewReport(m)
	require.NoError(t, err)
	r.Dataset = "hand-made"
	float := &sim.Stats{
		Samples:  10,
		Correct:  7,
		Total:    sim.Counts{SynapticOps: 30, Spikes: 30},
		PerLayer: []sim.Counts{{Spikes: 30}, {SynapticOps: 30}},
	}
	seed, err := Seed(m, FromStats(float), Seed45nm)
	require.NoError(t, err)
	r.Add(seed)
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	em, err := tg.EnergyModelNamed("")
	require.NoError(t, err)
	chip, err := Chip(m, FromStats(chipStats321()), tg, em)
	require.NoError(t, err)
	r.Add(chip)
	r.Add(NotFit("truenorth", errors.New("layer fc1: fan-in 300 > 256")))
	return r
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, report321(t), "json"))
	var got map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	assert.Equal(t, "net321", got["model"])
	ts := got["targets"].([]any)
	require.Len(t, ts, 3)
	for _, x := range ts[:2] {
		tr := x.(map[string]any)
		for _, k := range []string{"energy_per_inference_j", "ac", "mac", "ann_mac", "snn_ann_energy_ratio", "latency_per_inference_s", "energy_model", "sources"} {
			assert.Contains(t, tr, k, "%s has %s", tr["target"], k)
		}
	}
	seed := ts[0].(map[string]any)
	assert.InDelta(t, 3*0.9*pJ+6*4.6*pJ, seed["energy_per_inference_j"], 1e-18)
	assert.InDelta(t, 3.0, seed["ac"], 0)
	assert.InDelta(t, 6.0, seed["mac"], 0)
	assert.InDelta(t, 8.0, seed["ann_mac"], 0)
	assert.Equal(t, map[string]any{"target": "truenorth", "does_not_fit": "layer fc1: fan-in 300 > 256"}, ts[2],
		"a target that does not fit carries no (zero) figures")
}

func TestWriteCSV(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, report321(t), "csv"))
	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, CSVHeader, rows[0])
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var scopes []string
	for _, row := range rows[1:] {
		scopes = append(scopes, row[col["target"]]+"/"+row[col["scope"]])
	}
	// seed: total + 2 layers; loihi: total + 2 layers + 2 cores + 5 steps; truenorth: one row.
	assert.Equal(t, strings.Fields(`seed45nm/total seed45nm/layer seed45nm/layer
		loihi/total loihi/layer loihi/layer loihi/core loihi/core loihi/step loihi/step loihi/step loihi/step loihi/step
		truenorth/does_not_fit`), scopes)
	assert.Contains(t, rows[1][col["sources"]], "Horowitz", "the total row names the model's sources")
	assert.Contains(t, rows[4][col["sources"]], "Davies et al., Loihi")
	e, err := strconv.ParseFloat(rows[1][col["energy_j"]], 64)
	require.NoError(t, err)
	assert.InDelta(t, 3*0.9*pJ+6*4.6*pJ, e, 1e-18)
}

func TestWriteTextAndMarkdown(t *testing.T) {
	for _, f := range []string{"text", "markdown"} {
		t.Run(f, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, report321(t), f))
			s := buf.String()
			for _, want := range []string{
				"net321", "seed45nm", "davies2018", "30.3 pJ", "SNN/ANN energy ratio",
				"truenorth: does not fit", "layer fc1: fan-in 300 > 256",
				"Davies et al., Loihi", "Horowitz", "once per inference",
			} {
				assert.Contains(t, s, want)
			}
			assert.NotContains(t, s, "ESTIMATE")
		})
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, report321(t), "pdf")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "text, json, csv, markdown, html")
}

func TestEstimateIsLabelled(t *testing.T) {
	m := mapped321("loihi")
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	run, err := Estimate(m, tg, 0.1)
	require.NoError(t, err)
	em, _ := tg.EnergyModelNamed("")
	rep, err := Chip(m, run, tg, em)
	require.NoError(t, err)
	r, err := NewReport(m)
	require.NoError(t, err)
	r.Add(rep)
	for _, f := range Formats {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, r, f))
		assert.Contains(t, strings.ToLower(buf.String()), "estimate", f)
	}
}

func TestFormatJoules(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0 J"}, {30.3e-12, "30.3 pJ"}, {1.5e-9, "1.5 nJ"}, {2e-6, "2 µJ"}, {0.25, "250 mJ"}, {3, "3 J"},
	} {
		assert.Equal(t, tc.want, FormatJoules(tc.v))
	}
}

// TestChipEstimateNote: a target whose energy and latency tables are
// assumed (loihi2) carries the data file's estimate with its formula into
// the report, and every format prints it; a measured table (loihi,
// davies2018) carries none.
func TestChipEstimateNote(t *testing.T) {
	m := mapped321("loihi2")
	tg, err := targets.Lookup("loihi2")
	require.NoError(t, err)
	em, err := tg.EnergyModelNamed("")
	require.NoError(t, err)
	require.NotEmpty(t, em.Estimate)
	require.NotEmpty(t, tg.LatencyEstimate)
	st := chipStats321()
	st.Target = "loihi2"
	rep, err := Chip(m, FromStats(st), tg, em)
	require.NoError(t, err)
	assert.Equal(t, em.Estimate, rep.EnergyEstimate)
	assert.Equal(t, tg.LatencyEstimate, rep.LatencyEstimate)
	r := &Report{Model: "net321"}
	r.Add(rep)
	for _, f := range []string{"text", "markdown", "html", "json"} {
		var buf bytes.Buffer
		require.NoError(t, Write(&buf, r, f), f)
		out := strings.ReplaceAll(buf.String(), `\u003e`, ">")
		assert.Contains(t, out, "ASSUMED, not measured", f)
		assert.Contains(t, out, "sqrt(31 mm^2 / 60 mm^2) = 0.7188", f)
		assert.Contains(t, out, "t(op) = t_Loihi1(op) / s(op)", f)
	}

	lo, err := targets.Lookup("loihi")
	require.NoError(t, err)
	em, err = lo.EnergyModelNamed("davies2018")
	require.NoError(t, err)
	rep, err = Chip(mapped321("loihi"), FromStats(chipStats321()), lo, em)
	require.NoError(t, err)
	assert.Empty(t, rep.EnergyEstimate)
	for _, n := range rep.Notes {
		assert.NotContains(t, n, "ASSUMED")
	}
}
