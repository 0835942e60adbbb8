package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

// TestTrainEventsCmd: snnc train --data spoken trains a recurrent
// current-based network on the embedded spoken digits binned into
// --timesteps steps and writes an event-input model; compile refuses its
// reset by subtraction on loihi with the reason; bad temporal flags are
// usage errors.
func TestTrainEventsCmd(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rec.snn")
	_, _, err := runCLI("train", "--data", "spoken", "--arch", "700-16r-20", "--timesteps", "10", "--dt", "50ms",
		"--epochs", "1", "--limit-train", "64", "--current-decay", "0.8", "--reset", "subtract",
		"--readout", "max-potential", "--quiet", "-o", out)
	require.NoError(t, err)
	m, err := ir.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, ir.EncodingEvents, m.Input.Encoding)
	require.Equal(t, 10, m.Timesteps)
	require.Equal(t, []int{700}, m.Input.Shape[len(m.Input.Shape)-1:])
	require.Equal(t, ir.KindRecurrentDense, m.Layers[len(m.Layers)-2].Kind)
	require.Equal(t, ir.ResetSubtract, m.Layers[0].Neuron.Reset)
	require.Equal(t, ir.ReadoutMaxPotential, m.Readout.Kind)

	_, _, err = runCLI("compile", "--target", "loihi", out, "-o", filepath.Join(t.TempDir(), "x.snn"))
	require.ErrorContains(t, err, "reset by subtraction: Loihi's compartment resets v to 0 after a spike")

	for _, bad := range [][]string{
		{"--reset", "sideways"},
		{"--readout", "vote"},
		{"--current-decay", "1"},
		{"--arch", "700-16-20r"},
	} {
		args := append([]string{"train", "--data", "spoken", "--arch", "700-16r-20", "--timesteps", "10", "--epochs", "0", "-o", filepath.Join(t.TempDir(), "m.snn")}, bad...)
		_, _, err := runCLI(args...)
		require.Error(t, err, "%v", bad)
	}
}

// TestTemporalPipelineCmd: a recurrent current-based model trained on the
// embedded spoken digits compiles for loihi and loihi2, simulates on the
// same event data (--data spoken, binned into the model's T steps) with
// the float reference beside it, and gets an energy report for every
// target with no host MACs (event input) and TrueNorth's refusal.
func TestTemporalPipelineCmd(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rec.snn")
	_, _, err := runCLI("train", "--data", "spoken", "--arch", "700-16r-20", "--timesteps", "10", "--dt", "50ms",
		"--epochs", "1", "--limit-train", "64", "--current-decay", "0.8", "--readout", "max-potential", "--quiet", "-o", out)
	require.NoError(t, err)
	for _, tg := range []string{"loihi", "loihi2"} {
		cm := filepath.Join(dir, "rec."+tg+".snn")
		stdout, _, err := runCLI("compile", "--target", tg, out, "-o", cm)
		require.NoError(t, err, tg)
		require.Contains(t, stdout, "rec1", tg)
		stdout, _, err = runCLI("simulate", cm, "--data", "spoken", "--dt", "50ms", "--limit", "40", "--quiet")
		require.NoError(t, err, tg)
		require.Contains(t, stdout, "samples            40 (spoken-digits-subset (embedded), test split)", tg)
		require.Contains(t, stdout, "agreement", tg)
		require.NotContains(t, stdout, "host MACs", tg)
	}
	stdout, _, err := runCLI("energy", out, "--data", "spoken", "--dt", "50ms", "--limit", "20", "--target", "all", "--quiet", "--format", "json")
	require.NoError(t, err)
	require.Contains(t, stdout, `"encoding": "events"`)
	require.Contains(t, stdout, "recurrent layer: a neuron drives its own layer's 16 neurons")
	// a model with event input meets image data: one clear error
	_, _, err = runCLI("simulate", filepath.Join(dir, "rec.loihi.snn"), "--quiet")
	require.ErrorContains(t, err, "takes 10 steps (T) of 700")
}
