package compile

import (
	"errors"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// TestTemporalRefusals: the temporal test model (ir/testdata/temporal.snn:
// a recurrent layer with reset by subtraction, β_c = 0.8, max-potential
// readout, event input) gets one typed LimitError per part a target does
// not map, naming the layer, the reason and the numbers: Loihi refuses
// only the subtract reset (Loihi 2 maps it); TrueNorth refuses the
// recurrence (target cores against its single target), the current decay
// and the readout.
func TestTemporalRefusals(t *testing.T) {
	m, err := ir.ReadFile("../ir/testdata/temporal.snn")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		target      string
		want, avoid []string
	}{
		{"loihi", []string{"compile: layer 0 (rec1): reset by subtraction: Loihi's compartment resets v to 0 after a spike"},
			[]string{"recurrent", "current decay", "max-potential"}},
		{"truenorth", []string{
			"compile: layer 0 (rec1): recurrent layer: a neuron drives its own layer's 5 neurons on at least 1 cores and the next layer's on 1 more (2 target cores), a truenorth neuron has 1 target",
			"compile: layer 0 (rec1): synaptic current decay β_c = 0.8: a TrueNorth neuron has one state",
			"compile: layer 1 (fc2): max-potential readout:",
		}, []string{"subtract"}},
	} {
		tg, err := targets.Lookup(c.target)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Compile(m, tg, Options{})
		var le *LimitError
		if !errors.As(err, &le) {
			t.Fatalf("%s: want a LimitError, got %v", c.target, err)
		}
		msg := err.Error()
		for _, want := range c.want {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q does not say %q", c.target, msg, want)
			}
		}
		for _, avoid := range c.avoid {
			if strings.Contains(msg, avoid) {
				t.Errorf("%s: %q refuses %q, which the family maps", c.target, msg, avoid)
			}
		}
	}
	// with reset to zero the CUBA families map the whole model, Loihi 2
	// the model as it is
	cp := *m
	cp.Layers = append([]ir.Layer(nil), m.Layers...)
	cp.Layers[0].Neuron.Reset = ir.ResetZero
	for _, name := range []string{"loihi", "loihi2", "loihi2 subtract"} {
		tg, _ := targets.Lookup(strings.Fields(name)[0])
		mm, reset := &cp, ir.ResetZero
		if strings.HasSuffix(name, "subtract") {
			mm, reset = m, ir.ResetSubtract
		}
		res, err := Compile(mm, tg, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		q := res.Model.Quantized.Layers
		if q[0].Reset != reset {
			t.Errorf("%s: layer 0 resets %v, want %v", name, q[0].Reset, reset)
		}
		if q[0].DecayU != 819 || len(q[0].Recurrent) != 25 {
			t.Errorf("%s: layer 0 has DecayU %d (want round(4096·0.2) = 819) and %d recurrent weights", name, q[0].DecayU, len(q[0].Recurrent))
		}
		if q[1].DecayV != 410 || q[1].DecayU != 819 {
			t.Errorf("%s: max-potential readout has DecayV %d, DecayU %d, want 410 (γ 0.9) and 819 (β_c 0.8)", name, q[1].DecayV, q[1].DecayU)
		}
		// the biases decay with u: each layer takes them through a bias
		// axon, one more input axon per core, weights on the grid
		for li := range q {
			if !q[li].BiasAxon() {
				t.Errorf("%s: layer %d has no bias axon", name, li)
			}
		}
		for c, core := range res.Model.Mapping.Cores {
			want := map[int]int{0: 6 + 5 + 1, 1: 5 + 1}[core.Layer]
			if core.InputAxons != want {
				t.Errorf("%s: core %d (layer %d) has %d input axons, want %d", name, c, core.Layer, core.InputAxons, want)
			}
		}
		if err := Check(res.Model, tg); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRecurrentPartition: a recurrent layer's cores take In + Out input
// axons and route to every core of their own layer; the routes back into
// the layer are in the mapping, and the output-route counts include them.
func TestRecurrentPartition(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	small := *tg
	small.Core.Neurons = 40
	m := RandomTemporal(30, []int{100}, []bool{true}, 5, 4, 0.5, ir.ReadoutMeanCurrent, 1)
	res, err := Compile(m, &small, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mp := res.Model.Mapping
	var rec []int
	for c, core := range mp.Cores {
		if core.Layer == 0 {
			rec = append(rec, c)
			if core.InputAxons != 131 {
				t.Errorf("core %d of the recurrent layer has %d input axons, want 30 + 100 + the bias axon", c, core.InputAxons)
			}
		}
	}
	if len(rec) != 3 {
		t.Fatalf("recurrent layer on %d cores, want ⌈100/40⌉ = 3", len(rec))
	}
	self := 0
	for _, r := range mp.Routes {
		if mp.Cores[r.From].Layer == 0 && mp.Cores[r.To].Layer == 0 {
			self++
		}
	}
	if self != 9 {
		t.Errorf("%d routes within the recurrent layer, want 3×3", self)
	}
	if err := Check(res.Model, &small); err != nil {
		t.Error(err)
	}
}
