package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
)

// TestDemoStepOutcomes checks how a demo step judges its command's error:
// a "does not fit" step needs the compiler's typed limit errors.
func TestDemoStepOutcomes(t *testing.T) {
	refused := fmt.Errorf("m.snn does not fit truenorth:\n%w", compile.LimitErrors{
		{Layer: 0, LayerName: "fc1", Limit: "fan-in", Need: 784, Have: 256, Unit: "axons", Target: "truenorth"},
	})
	other := errors.New("open m.snn: no such file or directory")
	for _, c := range []struct {
		desc     string
		expect   demoOutcome
		err      error
		stops    bool
		explains bool
	}{
		{"succeeds", succeeds, nil, false, false},
		{"fails where it must succeed", succeeds, other, true, false},
		{"may fail and fails", mayFail, other, false, true},
		{"refused by the limits", doesNotFit, refused, false, true},
		{"fails for another reason", doesNotFit, other, true, false},
		{"accepted where a refusal is shown", doesNotFit, nil, true, false},
	} {
		t.Run(c.desc, func(t *testing.T) {
			var out bytes.Buffer
			st := demoStep{title: "step", expect: c.expect}
			err := st.check(c.err, &out)
			assert.Equal(t, c.stops, err != nil, "%v", err)
			assert.Equal(t, c.explains, out.Len() > 0, out.String())
		})
	}
}

// TestDemoRefusalIsTyped runs the demo's TrueNorth refusal on a small
// plain model: the compile command's error carries compile.LimitErrors.
func TestDemoRefusalIsTyped(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "m.snn")
	require.NoError(t, ir.WriteFile(model, compile.RandomDense([]int{784, 16, 10}, 4, 1)))
	st := demoStep{title: "refusal", args: []string{"compile", "--target", "truenorth", model, "-o", filepath.Join(dir, "m.tn.snn")}, expect: doesNotFit}
	parent := &cobra.Command{}
	parent.SetContext(context.Background())
	var out bytes.Buffer
	require.NoError(t, st.check(runStep(parent, st.args, &out), &out))
	assert.Contains(t, out.String(), "as expected for this step: "+model+" does not fit truenorth:")
}
