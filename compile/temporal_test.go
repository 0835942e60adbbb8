package compile

import (
	"errors"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// TestRecurrentModelsRefused: a temporal model (ir/testdata/temporal.snn:
// a recurrent layer, β_c = 0.8, max-potential readout) gets one typed
// LimitError per part, naming the layer, on every target.
func TestRecurrentModelsRefused(t *testing.T) {
	m, err := ir.ReadFile("../ir/testdata/temporal.snn")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"loihi", "truenorth"} {
		tg, err := targets.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Compile(m, tg, Options{})
		var le *LimitError
		if !errors.As(err, &le) {
			t.Fatalf("%s: want a LimitError, got %v", name, err)
		}
		msg := err.Error()
		for _, want := range []string{
			"compile: layer 0 (rec1): recurrent layers are not mapped yet",
			"compile: layer 0 (rec1): synaptic current decays (β_c ≠ 0) are not mapped yet",
			"compile: layer 1 (fc2): max-potential readouts are not mapped yet",
		} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q does not say %q", name, msg, want)
			}
		}
	}
}
