package spoken

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/cochlea"
	"github.com/snnc/snnc/ir/events/shd"
)

// needEspeak skips the test when espeak-ng is missing, except under CI
// (CI=true), where .ci/run installs it and a missing one is a failure.
func needEspeak(t *testing.T) string {
	t.Helper()
	exe, err := FindEspeak()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return exe
}

func TestVoicesHeldOut(t *testing.T) {
	train := map[string]bool{}
	for _, v := range TrainVariants {
		train[v] = true
	}
	for _, v := range TestVariants {
		if train[v] {
			t.Errorf("variant %s is in both splits", v)
		}
	}
}

func TestGenerateDeterministicAndHeldOut(t *testing.T) {
	exe := needEspeak(t)
	cfg := Config{TrainPerClass: 1, TestPerClass: 1, Front: cochlea.DefaultParams(16), Seed: 5, Espeak: exe, Workers: 2}
	a, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers = 1
	b, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different datasets with 2 workers and 1")
	}
	if len(a.Train) != Classes || len(a.Test) != Classes {
		t.Fatalf("%d train and %d test utterances, want %d each", len(a.Train), len(a.Test), Classes)
	}
	trainVoices := map[string]bool{}
	for _, u := range a.Train {
		trainVoices[variantOf(u.Voice)] = true
		if len(u.Spikes.Times) == 0 {
			t.Errorf("%s by %s made no spikes", u.Word, u.Voice)
		}
	}
	for _, u := range a.Test {
		if trainVoices[variantOf(u.Voice)] {
			t.Errorf("test voice %s uses a training variant", u.Voice)
		}
		if u.Label != u.Spikes.Label || Words[u.Label] != u.Word {
			t.Errorf("utterance %+v is mislabelled", u)
		}
	}
}

func variantOf(voice string) string {
	for i := len(voice) - 1; i >= 0; i-- {
		if voice[i] == '+' {
			return voice[i+1:]
		}
	}
	return voice
}

// TestEmbeddedCountBaseline is the sanity figure of the embedded subset: a
// linear classifier on per-channel spike counts (time thrown away) learns
// the classes well above chance (5%) but not perfectly on held-out voices.
// Run with -v to see the figure.
func TestEmbeddedCountBaseline(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if d.Channels != 700 || len(d.Train) != 30*Classes || len(d.Test) != 10*Classes {
		t.Fatalf("embedded subset: %d channels, %d train, %d test", d.Channels, len(d.Train), len(d.Test))
	}
	testAcc := countBaseline(t, d)
	if testAcc < 0.15 {
		t.Errorf("test accuracy %.1f%%: the counts should carry class information", 100*testAcc)
	}
	if testAcc > 0.97 {
		t.Errorf("test accuracy %.1f%%: the data is trivially separable without time", 100*testAcc)
	}
}

// TestFolderCountBaseline prints the same baseline for a dataset made by
// snnc data spoken-digits: SNNC_SPOKEN_DIR names its folder (train.h5,
// test.h5); skipped without it.
//
//	SNNC_SPOKEN_DIR=DIR go test -run TestFolderCountBaseline -v ./ir/events/spoken/
func TestFolderCountBaseline(t *testing.T) {
	dir := os.Getenv("SNNC_SPOKEN_DIR")
	if dir == "" {
		t.Skip("SNNC_SPOKEN_DIR is not set")
	}
	tr, err := shd.ReadFile(filepath.Join(dir, "train.h5"))
	if err != nil {
		t.Fatal(err)
	}
	te, err := shd.ReadFile(filepath.Join(dir, "test.h5"))
	if err != nil {
		t.Fatal(err)
	}
	countBaseline(t, &events.SpikeSplits{Channels: max(tr.Channels(), te.Channels()), Train: tr.Sets, Test: te.Sets})
}

// countBaseline fits the linear classifier on per-channel spike counts of
// d's training split, logs its accuracies and returns the test accuracy.
func countBaseline(t *testing.T, d *events.SpikeSplits) float64 {
	t.Helper()
	feats := func(sets []events.SpikeSet) ([][]float64, []int) {
		x, err := events.CountFeatures(sets, d.Channels)
		if err != nil {
			t.Fatal(err)
		}
		y := make([]int, len(sets))
		for i, ss := range sets {
			y[i] = ss.Label
		}
		return x, y
	}
	xtr, ytr := feats(d.Train)
	xte, yte := feats(d.Test)
	m, err := events.FitLinearBaseline(xtr, ytr, Classes, 200, 0.5, 1e-3)
	if err != nil {
		t.Fatal(err)
	}
	trainAcc, testAcc := m.Accuracy(xtr, ytr), m.Accuracy(xte, yte)
	t.Logf("linear classifier on per-channel spike counts: %d train, %d test samples: train %.1f%%, test %.1f%% (held-out voices; chance 5%%)",
		len(ytr), len(yte), 100*trainAcc, 100*testAcc)
	return testAcc
}

func TestWriteFolderFormats(t *testing.T) {
	d := &Dataset{Channels: 700,
		Train: []Utterance{{Label: 3, Word: "three", Voice: "en-us+m3", Spikes: events.SpikeSet{Times: []float32{0.5}, Units: []uint16{699}, Label: 3}}},
		Test:  []Utterance{{Label: 12, Word: "zwei", Voice: "de+f5", Spikes: events.SpikeSet{Times: []float32{}, Units: []uint16{}, Label: 12}}},
	}
	dir := t.TempDir()
	if err := WriteFolder(dir, d, FormatH5, 1e-6); err != nil {
		t.Fatal(err)
	}
	f, err := shd.ReadFile(filepath.Join(dir, TestH5))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Sets) != 1 || f.Sets[0].Label != 12 || len(f.Keys) != Classes || f.Keys[12] != "zwei" || f.Speakers[0] != Speaker("de+f5") {
		t.Errorf("test.h5 reads %+v", f)
	}
	if Speaker("de+f5") != len(TrainVariants)+3 || Speaker("en+m1") != 0 || Speaker("en+nobody") != -1 {
		t.Errorf("speaker ids: %d %d %d", Speaker("de+f5"), Speaker("en+m1"), Speaker("en+nobody"))
	}
	if err := WriteFolder(dir, d, FormatH5, 1e-6); err == nil {
		t.Error("writing over train.h5 succeeded")
	}
	sub := filepath.Join(dir, "spk")
	if err := WriteFolder(sub, d, FormatSpikes, 1e-3); err != nil {
		t.Fatal(err)
	}
	s, err := events.ReadSpikeFolder(sub)
	if err != nil {
		t.Fatal(err)
	}
	if s.Channels != 700 || len(s.Train) != 1 || s.Train[0].Units[0] != 699 {
		t.Errorf("spike files read %+v", s)
	}
	if _, err := os.Stat(filepath.Join(sub, UtterancesFile)); err != nil {
		t.Error(err)
	}
}
