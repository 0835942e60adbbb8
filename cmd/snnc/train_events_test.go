package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

// TestTrainEventsCmd: snnc train --data spoken trains a recurrent
// current-based network on the embedded spoken digits binned into
// --timesteps steps and writes an event-input model that compile refuses
// by name; bad temporal flags are usage errors.
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
	require.ErrorContains(t, err, "recurrent layers are not mapped yet")

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
