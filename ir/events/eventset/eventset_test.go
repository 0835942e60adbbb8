package eventset

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir/events"
)

// TestLoad: the embedded subsets load by name, binned into T steps of
// their step size; Is tells event data from IDX folders; a folder of
// spike files loads the same samples; anything else is one clear error.
func TestLoad(t *testing.T) {
	for _, c := range []struct {
		spec       string
		shape      []int
		classes, T int
	}{
		{Spoken, []int{1, 1, 700}, 20, 8},
		{Saccade, []int{2, 34, 34}, 10, 5},
	} {
		if !Is(c.spec) {
			t.Errorf("Is(%q) = false", c.spec)
		}
		set, err := Load(c.spec, c.T, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := set.Shape(); got[0] != c.shape[0] || got[1] != c.shape[1] || got[2] != c.shape[2] || set.Steps != c.T || set.Classes != c.classes {
			t.Errorf("%s: shape %v, %d steps, %d classes; want %v, %d, %d", c.spec, got, set.Steps, set.Classes, c.shape, c.T, c.classes)
		}
		if set.Test.N == 0 || len(set.Test.Images) != set.Test.N*set.ImageSize() {
			t.Errorf("%s: test split of %d samples, %d bytes", c.spec, set.Test.N, len(set.Test.Images))
		}
		spikes := 0
		for _, v := range set.Test.Images {
			if v > 1 {
				t.Fatalf("%s: binned value %d, want 0 or 1", c.spec, v)
			}
			spikes += int(v)
		}
		if spikes == 0 {
			t.Errorf("%s: no spikes", c.spec)
		}
	}
	dir := t.TempDir()
	if Is(dir) || Is("") {
		t.Error("an empty folder or no spec is not event data")
	}
	if _, err := Load(dir, 4, 0.01); err == nil || !strings.Contains(err.Error(), "not an event dataset") {
		t.Errorf("empty folder: %v", err)
	}
	if _, err := LoadOrImages(dir, 4, 0.01); err == nil || !strings.Contains(err.Error(), "no train-images file") {
		t.Errorf("empty folder as images: %v", err)
	}
	// spike files, as snnc data writes them, read back and binned
	d := &events.SpikeSplits{Channels: 3,
		Train: []events.SpikeSet{{Label: 1, Times: []float32{0.0015, 0.0025}, Units: []uint16{0, 2}}},
		Test:  []events.SpikeSet{{Label: 0, Times: []float32{0.0035}, Units: []uint16{1}}}}
	if err := events.WriteSpikeFiles(dir, d, 1e-6); err != nil {
		t.Fatal(err)
	}
	if !Is(dir) {
		t.Fatalf("Is(%s) = false for a folder of spike files", dir)
	}
	set, err := LoadOrImages(dir, 4, 0.001)
	if err != nil {
		t.Fatal(err)
	}
	wantTrain := []uint8{0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0} // step 1 unit 0, step 2 unit 2
	wantTest := []uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0}  // step 3 unit 1
	if string(set.Train.Images) != string(wantTrain) || string(set.Test.Images) != string(wantTest) || set.Classes != 2 {
		t.Errorf("binned spike files: train %v test %v (%d classes), want %v and %v", set.Train.Images, set.Test.Images, set.Classes, wantTrain, wantTest)
	}
	if _, err := os.Stat(filepath.Join(dir, events.SpikeTrainFile)); err != nil {
		t.Error(err)
	}
}
