package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
)

// sampleReport is what `simulate --input` prints with --json.
type sampleReport struct {
	Model          string    `json:"model"`
	Input          string    `json:"input"`
	Steps          int       `json:"steps"`
	Prediction     int       `json:"prediction"`
	Readout        []float64 `json:"readout"`
	LayerNames     []string  `json:"layer_names"`
	SpikesPerLayer []int     `json:"spikes_per_layer"`
	TraceState     string    `json:"trace_state,omitempty"`
}

// runSimulateSample runs one sample given step by step (--input) in the
// float reference and writes the state trace (--trace-state).
func runSimulateSample(cmd *cobra.Command, path string, m *ir.Model, f *simulateFlags) error {
	in, err := os.Open(f.input)
	if err != nil {
		return err
	}
	defer in.Close()
	steps, err := sim.ReadStepsCSV(f.input, in, ir.ShapeSize(m.Input.Shape))
	if err != nil {
		return err
	}
	tr, err := sim.TraceFloat(m, steps)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if f.traceState != "" {
		var buf bytes.Buffer
		if err := tr.WriteCSV(&buf, m); err != nil {
			return err
		}
		if err := ir.WriteFileAtomic(f.traceState, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	rep := &sampleReport{Model: path, Input: f.input, Steps: tr.Steps, Prediction: tr.Prediction, Readout: tr.Readout, TraceState: f.traceState}
	for k, li := range tr.Layers {
		n := 0
		for _, s := range tr.Spikes[k] {
			n += int(s)
		}
		rep.LayerNames = append(rep.LayerNames, m.Layers[li].Name)
		rep.SpikesPerLayer = append(rep.SpikesPerLayer, n)
	}
	out := cmd.OutOrStdout()
	if f.asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	mode := "float model"
	if m.Quantized != nil {
		mode = "float layers of a model compiled for " + m.Quantized.Target
	}
	fmt.Fprintf(out, "%s (%s) on %s: %d steps\n", path, mode, f.input, tr.Steps)
	fmt.Fprintf(out, "prediction  %d\n", tr.Prediction)
	parts := make([]string, len(rep.LayerNames))
	for i, name := range rep.LayerNames {
		parts[i] = fmt.Sprintf("%s %d", name, rep.SpikesPerLayer[i])
	}
	fmt.Fprintf(out, "spikes      %s\n", strings.Join(parts, ", "))
	if f.traceState != "" {
		fmt.Fprintf(out, "wrote %s (step,layer,neuron,potential,spike)\n", f.traceState)
	}
	return nil
}
