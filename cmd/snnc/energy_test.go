package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// execSnnc runs the command line in-process and returns its stdout.
func execSnnc(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out, stderr bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// energyTestModels writes a small float model (784-16-10, T = 4, direct input:
// it fits Loihi but not TrueNorth) and its Loihi compilation.
func energyTestModels(t *testing.T) (float, compiled string) {
	t.Helper()
	dir := t.TempDir()
	m := compile.RandomDense([]int{784, 16, 10}, 4, 1)
	float = filepath.Join(dir, "m.snn")
	require.NoError(t, ir.WriteFile(float, m))
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	compiled = filepath.Join(dir, "m.loihi.snn")
	require.NoError(t, ir.WriteFile(compiled, res.Model))
	return float, compiled
}

type energyJSON struct {
	Model    string `json:"model"`
	Estimate bool   `json:"estimate"`
	Targets  []struct {
		Target             string   `json:"target"`
		DoesNotFit         string   `json:"does_not_fit"`
		EnergyModel        string   `json:"energy_model"`
		Estimate           bool     `json:"estimate"`
		Samples            int      `json:"samples"`
		EnergyPerInference float64  `json:"energy_per_inference_j"`
		AC                 *float64 `json:"ac"`
		MAC                float64  `json:"mac"`
		ANNMAC             float64  `json:"ann_mac"`
		Ratio              float64  `json:"snn_ann_energy_ratio"`
		Latency            *float64 `json:"latency_per_inference_s"`
		EnergyEstimate     string   `json:"energy_estimate"`
		Sources            []struct {
			Citation string `json:"citation"`
		} `json:"sources"`
	} `json:"targets"`
}

func decodeEnergy(t *testing.T, s string) energyJSON {
	t.Helper()
	var r energyJSON
	require.NoError(t, json.Unmarshal([]byte(s), &r), s)
	return r
}

func TestEnergyAllTargets(t *testing.T) {
	float, _ := energyTestModels(t)
	out, err := execSnnc(t, "energy", float, "--limit", "20", "--format", "json", "--quiet")
	require.NoError(t, err)
	r := decodeEnergy(t, out)
	assert.Equal(t, "random-[784 16 10]", r.Model)
	require.Len(t, r.Targets, 1+len(targets.Names()))
	annMAC := float64(784*16 + 16*10)
	for i, name := range []string{"seed45nm", "loihi", "loihi2"} {
		tr := r.Targets[i]
		assert.Equal(t, name, tr.Target)
		assert.Empty(t, tr.DoesNotFit)
		assert.Equal(t, 20, tr.Samples)
		assert.Greater(t, tr.EnergyPerInference, 0.0)
		require.NotNil(t, tr.AC)
		require.NotNil(t, tr.Latency)
		assert.InDelta(t, annMAC, tr.ANNMAC, 0)
		assert.InDelta(t, 784.0*16, tr.MAC, 0, "the first layer is counted as MAC once per inference")
		assert.InDelta(t, tr.EnergyPerInference/(annMAC*4.6e-12), tr.Ratio, 1e-9)
		assert.NotEmpty(t, tr.Sources)
	}
	assert.Equal(t, "davies2018", r.Targets[1].EnergyModel)
	assert.Greater(t, *r.Targets[1].Latency, 0.0)
	assert.Empty(t, r.Targets[1].EnergyEstimate, "loihi's table is measured")
	assert.Equal(t, "loihi1-scaled", r.Targets[2].EnergyModel)
	assert.Contains(t, r.Targets[2].EnergyEstimate, "ASSUMED, not measured", "loihi2's table is an estimate and says so")
	assert.Equal(t, "truenorth", r.Targets[3].Target)
	assert.Contains(t, r.Targets[3].DoesNotFit, "truenorth")
}

func TestEnergyEstimate(t *testing.T) {
	float, _ := energyTestModels(t)
	out, err := execSnnc(t, "energy", float, "--target", "loihi", "--rate", "0.1", "--format", "json", "--energy-model", "sanafe", "--data", "/nonexistent")
	require.NoError(t, err, "an estimate reads no data")
	r := decodeEnergy(t, out)
	assert.True(t, r.Estimate)
	require.Len(t, r.Targets, 1)
	tr := r.Targets[0]
	assert.True(t, tr.Estimate)
	assert.Equal(t, "sanafe", tr.EnergyModel)
	assert.Zero(t, tr.Samples)
	// 0.1 spikes per neuron and step: 0.1·4·16 spikes of fc1 reach 10 synapses each.
	assert.InDelta(t, 0.1*4*16*10, *tr.AC, 1e-9)

	out, err = execSnnc(t, "energy", float, "--target", "seed45nm", "--rate", "0.1")
	require.NoError(t, err)
	assert.Contains(t, out, "PLANNING ESTIMATE")
}

func TestEnergyCompiledModelAndOutputFile(t *testing.T) {
	_, compiled := energyTestModels(t)
	dir := t.TempDir()
	html := filepath.Join(dir, "r.html")
	out, err := execSnnc(t, "energy", compiled, "--target", "all", "--limit", "5", "--format", "html", "-o", html, "--quiet")
	require.NoError(t, err)
	assert.Empty(t, out)
	b, err := os.ReadFile(html)
	require.NoError(t, err)
	s := string(b)
	assert.Contains(t, s, "seed45nm")
	assert.Contains(t, s, "davies2018")
	assert.NotContains(t, s, "truenorth", "a compiled model is compared with seed45nm only")
	assert.Equal(t, 3, strings.Count(s, "<svg"), "spikes per layer, energy split, loihi heat map")

	out, err = execSnnc(t, "energy", compiled, "--limit", "5", "--format", "csv")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out, "target,energy_model,"))
	assert.Contains(t, out, "loihi,davies2018,false,total")
	assert.NotContains(t, out, "seed45nm", "a compiled model defaults to its own target")
}

func TestEnergyUsageErrors(t *testing.T) {
	float, compiled := energyTestModels(t)
	for _, tc := range []struct {
		desc string
		args []string
		want string
	}{
		{"unknown target", []string{float, "--target", "spinnaker"}, "valid: seed45nm, " + strings.Join(targets.Names(), ", ") + ", all)"},
		{"unknown format", []string{float, "--format", "pdf"}, "valid: text, json, csv, markdown, html"},
		{"unknown energy model", []string{float, "--target", "loihi", "--energy-model", "bogus"}, "valid: davies2018, sanafe"},
		{"energy model of another target", []string{float, "--target", "truenorth", "--energy-model", "sanafe"}, "valid: merolla2014"},
		{"rate out of range", []string{float, "--rate", "2"}, "[0, 1]"},
		{"negative limit", []string{float, "--limit", "-1"}, "limit -1"},
		{"compiled for another target", []string{compiled, "--target", "truenorth"}, "compiled for loihi"},
		{"no model", []string{}, "one model file"},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			_, err := execSnnc(t, append([]string{"energy"}, tc.args...)...)
			require.Error(t, err)
			var ue usageError
			assert.True(t, errors.As(err, &ue), "exit code 2: %v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	// A single target that cannot be compiled is an error, not a report.
	_, err := execSnnc(t, "energy", float, "--target", "truenorth", "--quiet")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not fit truenorth")
}

// tinyTrueNorth writes a 16×16 image dataset (10 train, 10 test images) and
// a random 256-32-10 model inside TrueNorth's limits (γ = 1, rate-coded
// input, four weight values per neuron chosen by the input's type i mod 4).
func tinyTrueNorth(t *testing.T) (model, data string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	require.NoError(t, os.Mkdir(data, 0o755))
	rng := rand.New(rand.NewPCG(3, 3))
	for _, part := range []string{"train", "t10k"} {
		img := make([]uint8, 10*16*16)
		for i := range img {
			img[i] = uint8(rng.IntN(256))
		}
		lab := []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
		require.NoError(t, os.WriteFile(filepath.Join(data, part+"-images-idx3-ubyte"), dataset.EncodeIDX([]int{10, 16, 16}, img), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(data, part+"-labels-idx1-ubyte"), dataset.EncodeIDX([]int{10}, lab), 0o644))
	}
	m := compile.RandomDense([]int{256, 32, 10}, 4, 2)
	m.Input.Encoding = ir.EncodingRate
	m.Input.Scale = 1.0 / 255
	for li := range m.Layers {
		l := &m.Layers[li]
		l.Neuron.Leak = 1
		in, out := l.NumInputs(), l.NumOutputs()
		for j := 0; j < out; j++ {
			var v [4]float32
			for g := range v {
				v[g] = float32(rng.IntN(17)-8) / 16
			}
			for i := 0; i < in; i++ {
				l.Weights[j*in+i] = 0
				if rng.IntN(2) == 0 {
					l.Weights[j*in+i] = v[i%4]
				}
			}
			l.Bias[j] = float32(rng.IntN(9)-4) / 32
		}
	}
	model = filepath.Join(dir, "tn.snn")
	require.NoError(t, ir.WriteFile(model, m))
	return model, data
}

func TestEnergyTrueNorthFits(t *testing.T) {
	model, data := tinyTrueNorth(t)
	out, err := execSnnc(t, "energy", model, "--data", data, "--format", "json", "--quiet")
	require.NoError(t, err)
	r := decodeEnergy(t, out)
	require.Len(t, r.Targets, 1+len(targets.Names()))
	for _, tr := range r.Targets {
		if strings.HasPrefix(tr.Target, "xylo") {
			assert.NotEmpty(t, tr.DoesNotFit, "%s: a rate-coded image model does not map onto the recurrent population", tr.Target)
			continue
		}
		assert.Empty(t, tr.DoesNotFit, tr.Target)
		assert.Equal(t, 10, tr.Samples, tr.Target)
		assert.Zero(t, tr.MAC, "%s: a rate-coded input has no MACs", tr.Target)
	}
	tn := r.Targets[3]
	assert.Equal(t, "truenorth", tn.Target)
	assert.Equal(t, "merolla2014", tn.EnergyModel)
	require.NotNil(t, tn.AC)
	require.NotNil(t, tn.Latency)
	assert.Greater(t, *tn.AC, 0.0)
	// Real-time ticks of 1 ms; 26 pJ per synaptic event at least.
	ticks := *tn.Latency / 1e-3
	assert.InDelta(t, math.Round(ticks), ticks, 1e-6, "latency is whole 1 ms ticks")
	assert.GreaterOrEqual(t, ticks, 4.0, "at least T ticks")
	assert.GreaterOrEqual(t, tn.EnergyPerInference, *tn.AC*26e-12)
	assert.Contains(t, tn.Sources[0].Citation, "Merolla")
}

func TestEnergyExitCodes(t *testing.T) {
	float, _ := energyTestModels(t)
	assert.Equal(t, 2, run([]string{"energy", float, "--target", "spinnaker"}), "unknown target")
	assert.Equal(t, 2, run([]string{"energy", float, "--format", "pdf"}), "unknown format")
	assert.Equal(t, 1, run([]string{"energy", filepath.Join(t.TempDir(), "missing.snn"), "--quiet"}), "unreadable model")
	out := filepath.Join(t.TempDir(), "r.json")
	assert.Equal(t, 0, run([]string{"energy", float, "--target", "seed45nm", "--limit", "3", "--format", "json", "-o", out, "--quiet"}))
	assert.FileExists(t, out)
}
