package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

// inspectTestModel is a small compiled model: conv → pool → flatten → dense.
func inspectTestModel() *ir.Model {
	w := func(n int) []float32 {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = float32(i%7-3) / 4
		}
		return xs
	}
	lif := ir.LIF{Leak: 0.75, Threshold: 1}
	return &ir.Model{
		Name:      "tiny",
		Input:     ir.Input{Shape: []int{1, 4, 4}, Scale: 1.0 / 255},
		Timesteps: 8,
		Layers: []ir.Layer{
			{Name: "conv1", Kind: ir.KindConv2D, InShape: []int{1, 4, 4}, OutShape: []int{2, 4, 4},
				Weights: w(18), Bias: w(2), Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, Neuron: lif},
			{Name: "pool1", Kind: ir.KindAvgPool, InShape: []int{2, 4, 4}, OutShape: []int{2, 2, 2},
				Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}},
			{Name: "flat", Kind: ir.KindFlatten, InShape: []int{2, 2, 2}, OutShape: []int{8}},
			{Name: "fc", Kind: ir.KindDense, InShape: []int{8}, OutShape: []int{3}, Weights: w(24), Bias: w(3), Neuron: lif},
		},
		Provenance: &ir.Provenance{Method: ir.MethodASGL, Alphas: []float32{1, 1}, Dataset: "mnist", Epochs: 3, Seed: 42, TestAccuracy: 0.875},
		Quantized: &ir.Quantized{Target: "loihi", WeightBits: 8, Layers: []ir.QuantLayer{
			{Weights: make([]int16, 18), Threshold: 100, DecayU: 4096, DecayV: 1024, WeightExponent: -1},
			{}, {},
			{Weights: make([]int16, 24), Threshold: 50, DecayU: 4096, DecayV: 1024},
		}},
		Mapping: &ir.Mapping{Target: "loihi", Chips: 1, MeshWidth: 4, MeshHeight: 4, LowerBoundCores: 2,
			Cores: []ir.Core{
				{X: 0, Y: 0, Layer: 0, NeuronStart: 0, NeuronCount: 20},
				{X: 1, Y: 0, Layer: 0, NeuronStart: 20, NeuronCount: 12},
				{X: 1, Y: 1, Layer: 3, NeuronStart: 0, NeuronCount: 3},
			},
			Routes: []ir.Route{{From: 0, To: 2, Hops: 2, Axons: 4}, {From: 1, To: 2, Hops: 1, Axons: 4}},
		},
	}
}

func runInspect(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"inspect"}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestInspect(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.snn")
	require.NoError(t, ir.WriteFile(path, inspectTestModel()))

	out, err := runInspect(t, path)
	require.NoError(t, err)
	for _, want := range []string{
		`tiny.snn: "tiny" (snnc file format 1,`,
		"input       [1,4,4], direct encoding",
		"T = 8",
		"conv1  conv2d   [1,4,4] → [2,4,4]",
		"k3×3 s1×1 p1×1",
		"(readout)",
		"method asgl, dataset mnist, 3 epochs, seed 42",
		"target loihi, 8-bit weights",
		"4096/1024",
		"1 chip(s) of 4×4 cores, 3 cores used (lower bound 2)",
		"cores per layer: conv1 2, fc 1",
		"2 routes, 3 hops in total (max 2 per route)",
	} {
		assert.Contains(t, out, want)
	}

	out, err = runInspect(t, path, "--json")
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(out), "\n")+1, "one JSON object on one line")
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, path, rep["file"])
	assert.EqualValues(t, 8, rep["timesteps"])
	mapping := rep["mapping"].(map[string]any)
	assert.Equal(t, []any{2.0, 0.0, 0.0, 1.0}, mapping["cores_per_layer"])
	assert.EqualValues(t, 3, mapping["total_hops"])
	layers := rep["layers"].([]any)
	require.Len(t, layers, 4)
	assert.Equal(t, "conv2d", layers[0].(map[string]any)["kind"])
	assert.NotContains(t, out, "0.25,-0.5", "no raw weight arrays")
}

func TestInspectErrors(t *testing.T) {
	dir := t.TempDir()
	b, err := ir.Encode(inspectTestModel())
	require.NoError(t, err)
	cut := filepath.Join(dir, "cut.snn")
	require.NoError(t, os.WriteFile(cut, b[:len(b)/2], 0o644))
	notModel := filepath.Join(dir, "text.snn")
	require.NoError(t, os.WriteFile(notModel, []byte("hello, world\n"), 0o644))

	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"inspect", cut}, 1, "cut.snn: ir: truncated file"},
		{[]string{"inspect", cut, "--json"}, 1, "cut.snn: ir: truncated file"},
		{[]string{"inspect", notModel}, 1, "not an snnc model file"},
		{[]string{"inspect", filepath.Join(dir, "missing.snn")}, 1, "no such file"},
		{[]string{"inspect"}, 2, "inspect takes one model file"},
	} {
		_, err := runInspect(t, c.args[1:]...)
		require.Error(t, err, c.args)
		assert.Contains(t, err.Error(), c.msg)
		assert.NotContains(t, err.Error(), "\n", "one line")

		devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		stderr := os.Stderr
		os.Stderr = devnull
		code := run(c.args)
		os.Stderr = stderr
		devnull.Close()
		assert.Equal(t, c.code, code, c.args)
	}
}
