package targets

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestTrainingSection(t *testing.T) {
	tn, err := LookupTraining("truenorth")
	if err != nil {
		t.Fatal(err)
	}
	tr := tn.Training
	// the figures the TrueNorth mapping relies on: two typed axons per
	// source fill at most a core's axons; weights and leaks are signed
	// 9-bit
	if 2*tr.Sources > tn.Core.InputAxons {
		t.Errorf("2 × %d sources exceed %d axons", tr.Sources, tn.Core.InputAxons)
	}
	if tr.MaxWeight != 1<<(tn.Bits.Weight-1)-1 {
		t.Errorf("max_weight %d is not the largest signed %d-bit value", tr.MaxWeight, tn.Bits.Weight)
	}
	if _, err := LookupTraining("loihi"); err == nil || !strings.Contains(err.Error(), "training targets: truenorth") {
		t.Errorf("loihi: got %v, want an error listing truenorth", err)
	}
	if got := TrainingTargets(); !slices.Equal(got, []string{"truenorth", "xylo-audio2", "xylo-audio3", "xylo-imu"}) {
		t.Errorf("TrainingTargets = %v", got)
	}
}

// TestTrainingSectionsValid: every data file's training section, if it has
// one, passes Validate and fits the chip's own limits.
func TestTrainingSectionsValid(t *testing.T) {
	for _, name := range Names() {
		tg, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if tg.Training == nil {
			continue
		}
		if err := tg.Training.Validate("data/" + name + ".json"); err != nil {
			t.Error(err)
		}
		if tg.Training.GroupNeurons > tg.Core.Neurons {
			t.Errorf("%s: groups of %d neurons exceed a core's %d", name, tg.Training.GroupNeurons, tg.Core.Neurons)
		}
		if tg.Core.FanIn > 0 && tg.Training.Sources > tg.Core.FanIn {
			t.Errorf("%s: %d sources exceed the fan-in %d", name, tg.Training.Sources, tg.Core.FanIn)
		}
	}
}

func TestTrainingValidate(t *testing.T) {
	good := func() Training {
		tn, err := Lookup("truenorth")
		if err != nil {
			t.Fatal(err)
		}
		return *tn.Training
	}
	cases := []struct {
		desc, field string
		edit        func(*Training)
	}{
		{"float weights", "training.weights", func(tr *Training) { tr.Weights = "float" }},
		{"lif neuron", "training.neuron", func(tr *Training) { tr.Neuron = "lif" }},
		{"direct input", "training.input", func(tr *Training) { tr.Input = "direct" }},
		{"chip readout", "training.readout", func(tr *Training) { tr.Readout = "" }},
		{"no scale", "training.scale_units", func(tr *Training) { tr.ScaleUnits = 0 }},
		{"negative max weight", "training.max_weight", func(tr *Training) { tr.MaxWeight = -1 }},
		{"missing sources", "training.sources", func(tr *Training) { tr.Sources = 0 }},
		{"huge group", "training.group_neurons", func(tr *Training) { tr.GroupNeurons = 1 << 20 }},
		{"no patch", "training.patch", func(tr *Training) { tr.Patch = 0 }},
		{"no timesteps", "training.timesteps", func(tr *Training) { tr.Timesteps = 0 }},
		{"no hidden layers", "training.hidden", func(tr *Training) { tr.Hidden = nil }},
		{"zero hidden width", "training.hidden[1]", func(tr *Training) { tr.Hidden = []int{8, 0} }},
		{"no citation", "training.sources_cited", func(tr *Training) { tr.Cite = nil }},
	}
	g := good()
	if err := g.Validate("data/truenorth.json"); err != nil {
		t.Fatalf("the shipped section: %v", err)
	}
	for _, c := range cases {
		tr := good()
		c.edit(&tr)
		err := tr.Validate("data/x.json")
		var fe *DataError
		if !errors.As(err, &fe) || fe.Field != c.field || fe.File != "data/x.json" {
			t.Errorf("%s: got %v, want a DataError for %s", c.desc, err, c.field)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.HasPrefix(msg, "targets: data/x.json: field "+c.field+": ") {
			t.Errorf("%s: message %q is not one line naming the file and the field", c.desc, msg)
		}
	}
}

// TestParseTrainingSection: a data file whose training section has a
// figure out of range is refused by Parse with one line naming the file and
// the field.
func TestParseTrainingSection(t *testing.T) {
	b, err := dataFS.ReadFile("data/truenorth.json")
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(b, []byte(`"patch": 11`), []byte(`"patch": 0`), 1)
	if bytes.Equal(bad, b) {
		t.Fatal("truenorth.json has no \"patch\": 11 to change")
	}
	_, err = Parse("data/truenorth.json", bad)
	want := "targets: data/truenorth.json: field training.patch: must be in 1..1024, got 0"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if _, err := Parse("data/truenorth.json", b); err != nil {
		t.Errorf("the shipped file: %v", err)
	}
}
