package dvs

import (
	"math"
	"testing"

	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/events"
)

// TestEmbeddedMatchesRecording: the embedded subset is what its documented
// command makes — re-recording the first training digit of the embedded
// MNIST subset with seed 1 gives the stored events up to the 1 ms rounding.
func TestEmbeddedMatchesRecording(t *testing.T) {
	set, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Train) != 200 || len(set.Test) != 50 || set.Classes != 10 {
		t.Fatalf("embedded: %d train, %d test, %d classes", len(set.Train), len(set.Test), set.Classes)
	}
	mnist, err := dataset.Default()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range set.Train {
		if s.Label != int(mnist.Train.Labels[i]) {
			t.Fatalf("train sample %d has label %d, MNIST digit %d is a %d", i, s.Label, i, mnist.Train.Labels[i])
		}
	}
	one := Digits{N: 1, Rows: 28, Cols: 28, Pixels: mnist.Train.Image(0, 784), Labels: mnist.Train.Labels[:1]}
	var got []events.Event
	err = SaccadeMNIST(one, DefaultParams(), 1, 0, 1, func(_ int, evs []events.Event) error { got = evs; return nil })
	if err != nil {
		t.Fatal(err)
	}
	want := set.Train[0].Events
	if len(got) != len(want) {
		t.Fatalf("re-recorded %d events, embedded %d", len(got), len(want))
	}
	// Compare per-address counts and times within rounding: order inside a
	// millisecond may differ after rounding.
	type key struct {
		x, y uint16
		p    uint8
	}
	count := map[key]int{}
	var sumGot, sumWant float64
	for i := range got {
		count[key{got[i].X, got[i].Y, got[i].Polarity}]++
		count[key{want[i].X, want[i].Y, want[i].Polarity}]--
		sumGot += float64(got[i].T)
		sumWant += float64(want[i].T)
	}
	for k, c := range count {
		if c != 0 {
			t.Fatalf("address %+v: %d more events re-recorded than embedded", k, c)
		}
	}
	if d := math.Abs(sumGot-sumWant) / float64(len(got)); d > 500 {
		t.Errorf("mean time differs by %.0f µs, want ≤ 500 (1 ms rounding)", d)
	}
}

// TestEmbeddedCountBaseline logs the no-time baseline of the embedded
// subset: a linear classifier on per-pixel, per-polarity event counts. A
// saccade digit's counts draw its edges, so this is far above chance (10%).
func TestEmbeddedCountBaseline(t *testing.T) {
	set, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	feats := func(s []events.Sample) ([][]float64, []int) {
		sets, err := events.ToSpikeSets(s, set.Sensor)
		if err != nil {
			t.Fatal(err)
		}
		x, err := events.CountFeatures(sets, set.Sensor.Size())
		if err != nil {
			t.Fatal(err)
		}
		y := make([]int, len(s))
		for i := range s {
			y[i] = s[i].Label
		}
		return x, y
	}
	xtr, ytr := feats(set.Train)
	xte, yte := feats(set.Test)
	m, err := events.FitLinearBaseline(xtr, ytr, set.Classes, 100, 0.5, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	acc := m.Accuracy(xte, yte)
	t.Logf("linear classifier on per-pixel event counts: train %.1f%%, test %.1f%% (%d train samples; chance 10%%)", 100*m.Accuracy(xtr, ytr), 100*acc, len(xtr))
	if acc < 0.3 {
		t.Errorf("test accuracy %.1f%%: the events should carry the digit", 100*acc)
	}
}
