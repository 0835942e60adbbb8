package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/snnc/snnc/targets"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
)

// runCompile runs `snnc args…` in-process and returns stdout, stderr and
// the error RunE returned.
func runCLI(args ...string) (string, string, error) {
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

func writeModel(t *testing.T, sizes []int) string {
	p := filepath.Join(t.TempDir(), "model.snn")
	require.NoError(t, ir.WriteFile(p, compile.RandomDense(sizes, 8, 1)))
	return p
}

func TestCompileCmd(t *testing.T) {
	in := writeModel(t, []int{784, 512, 512, 10})
	dir := filepath.Dir(in)

	out, _, err := runCLI("compile", "--target", "loihi", in)
	require.NoError(t, err)
	assert.Contains(t, out, "5 cores on 1 chip(s), lower bound 5 cores")
	assert.Contains(t, out, "utilisation: compartments")
	assert.Contains(t, out, "synaptic memory")
	assert.Contains(t, out, "spike-hops per step")
	def := filepath.Join(dir, "model.loihi.snn")
	assert.Contains(t, out, "wrote "+def)
	m, err := ir.ReadFile(def)
	require.NoError(t, err)
	require.NotNil(t, m.Mapping)
	assert.Equal(t, 5, len(m.Mapping.Cores))

	o := filepath.Join(dir, "x.snn")
	out, _, err = runCLI("compile", "--target", "loihi", in, "-o", o, "--json", "--weight-bits", "6", "--chips", "1")
	require.NoError(t, err)
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	for _, k := range []string{"target", "cores", "chips", "lower_bound_cores", "layers", "compile_seconds"} {
		assert.Contains(t, rep, k)
	}
	assert.Equal(t, "loihi", rep["target"])
	assert.Equal(t, 6.0, rep["weight_bits"])
	layers := rep["layers"].([]any)
	require.Len(t, layers, 3)
	assert.Contains(t, layers[1].(map[string]any), "cores")
	_, err = os.Stat(o)
	require.NoError(t, err)

	out, _, err = runCLI("compile", "--target", "loihi", in, "-o", o, "--dump-after", "partition")
	require.NoError(t, err)
	assert.Contains(t, out, "## after partition")
	assert.Contains(t, out, "quantized for loihi")
}

func TestCompileCmdErrors(t *testing.T) {
	in := writeModel(t, []int{784, 512, 512, 10})
	var ue usageError
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"compile", in}, "--target is required (valid: " + strings.Join(targets.Names(), ", ") + ")"},
		{[]string{"compile", "--target", "spinnaker", in}, `unknown target "spinnaker" (valid: ` + strings.Join(targets.Names(), ", ")},
		{[]string{"compile", "--target", "loihi", in, "--weight-bits", "7"}, "no 7-bit weights"},
		{[]string{"compile", "--target", "loihi", in, "--dump-after", "nope"}, `unknown pass (valid: all, fold`},
		{[]string{"compile", "--target", "loihi", in, "--chips", "-1"}, "--chips -1"},
		{[]string{"compile", "--target", "loihi"}, "one model file"},
	} {
		_, _, err := runCLI(c.args...)
		require.Error(t, err, "%v", c.args)
		assert.ErrorAs(t, err, &ue, "%v is a usage error", c.args)
		assert.Contains(t, err.Error(), c.msg)
	}

	// TrueNorth refuses a plain model, naming layer, limit, numbers and the fix
	_, _, err := runCLI("compile", "--target", "truenorth", in, "-o", filepath.Join(t.TempDir(), "tn.snn"))
	require.Error(t, err)
	assert.False(t, errors.As(err, &ue))
	var le *compile.LimitError
	require.ErrorAs(t, err, &le)
	for _, s := range []string{"does not fit truenorth", "layer 1 (fc2): fan-in: a neuron needs 512 input axons, a truenorth core has 256",
		"retrain with snnc train --target truenorth"} {
		assert.Contains(t, err.Error(), s)
	}

	// too few chips
	big := writeModel(t, []int{256, 4096, 4096, 10})
	_, _, err = runCLI("compile", "--target", "loihi", big, "--chips", "1", "-o", filepath.Join(t.TempDir(), "b.snn"))
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "chips", le.Limit)

	// missing input file
	_, _, err = runCLI("compile", "--target", "loihi", filepath.Join(t.TempDir(), "none.snn"))
	require.Error(t, err)
}
