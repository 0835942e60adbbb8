package nir_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/nir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
)

// randomEvents is a set of n binary event frames of shape [2,34,34] (N-MNIST's
// ON/OFF polarities), each pixel an event with probability p; with rate
// encoding and scale 1 a frame is the same input spikes at every step.
func randomEvents(n int, p float64, seed uint64) *dataset.Set {
	r := rand.New(rand.NewPCG(seed, 7))
	s := &dataset.Set{Name: "random events", Channels: 2, Rows: 34, Cols: 34, Classes: 10}
	s.Test = dataset.Split{N: n, Images: make([]uint8, n*s.ImageSize()), Labels: make([]uint8, n)}
	for i := range s.Test.Images {
		if r.Float64() < p {
			s.Test.Images[i] = 1
		}
	}
	for i := range s.Test.Labels {
		s.Test.Labels[i] = uint8(r.IntN(10))
	}
	s.Train = s.Test
	return s
}

// dequantized is the float network a compiled Loihi-family model runs:
// its float layers with each weight replaced by the chip's, mantissa ×
// 2^(6+e) / Scale (the threshold is exact already: ϑ·Scale = Vth·64 + 1).
func dequantized(c *ir.Model) *ir.Model {
	d := *c
	d.Quantized, d.Mapping = nil, nil
	d.Layers = slices.Clone(c.Layers)
	for i := range d.Layers {
		l := &d.Layers[i]
		if !l.HasNeurons() {
			continue
		}
		q := c.Quantized.Layers[i]
		f := math.Ldexp(1, 6+int(q.WeightExponent)) / float64(q.Scale)
		l.Weights = make([]float32, len(q.Weights))
		for k, w := range q.Weights {
			l.Weights[k] = float32(float64(w) * f)
		}
	}
	return &d
}

// outputMargins counts the samples whose float readout (spike counts) is
// tied at the top, or decided by one spike.
func outputMargins(t *testing.T, m *ir.Model, set *dataset.Set) (tied, byOne int) {
	for i := range set.Test.N {
		x := set.Test.Image(i, set.ImageSize())
		steps := make([][]float32, m.Timesteps)
		for k := range steps {
			steps[k] = make([]float32, len(x))
			for j, v := range x {
				steps[k][j] = float32(v) // frames of 0 and 1 at scale 1: the same spikes every step
			}
		}
		tr, err := sim.TraceFloat(m, steps)
		if err != nil {
			t.Fatal(err)
		}
		r := slices.Clone(tr.Readout)
		slices.Sort(r)
		switch d := r[len(r)-1] - r[len(r)-2]; {
		case d == 0:
			tied++
		case d <= 1:
			byOne++
		}
	}
	return tied, byOne
}

// chipVsFloat compiles m for the target, runs set on the chip and on the
// float reference, and requires the chip to be the float network with the
// chip's weights exactly (dequantized): the same predictions and the same
// spikes in every layer (if exact; else it logs the differences). It
// returns the chip's stats (Agreeing: chip vs the float original).
func chipVsFloat(t *testing.T, m *ir.Model, target string, set *dataset.Set, exact bool) *sim.Stats {
	report := t.Errorf
	if !exact {
		report = t.Logf
	}
	tgt, err := targets.Lookup(target)
	if err != nil {
		t.Fatal(err)
	}
	res, err := compile.Compile(m, tgt, compile.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := ir.Verify(res.Model); err != nil {
		t.Fatal(err)
	}
	st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Reference: true})
	if err != nil {
		t.Fatal(err)
	}
	dq, err := sim.RunFloat(context.Background(), dequantized(res.Model), set, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var spikes int64
	for i := range res.Model.Layers {
		if c, f := st.PerLayer[i].Spikes, dq.PerLayer[i].Spikes; c != f {
			report("%s: layer %s: chip %d spikes, the float network with the chip's weights %d", target, res.Model.Layers[i].Name, c, f)
		}
		spikes += st.PerLayer[i].Spikes
	}
	if !slices.Equal(st.Predictions, dq.Predictions) {
		report("%s: the chip's predictions differ from the float network's with the chip's weights", target)
	}
	if spikes == 0 {
		t.Fatal("no spikes: the comparison says nothing")
	}
	same := 0
	for i := range st.Predictions {
		if st.Predictions[i] == dq.Predictions[i] {
			same++
		}
	}
	t.Logf("%s: %d cores; chip vs float %.1f%% (%d/%d), chip vs float with the chip's weights %d/%d, %.0f spikes per sample",
		target, len(res.Model.Mapping.Cores), 100*st.Agreement(), st.Agreeing, st.Samples, same, st.Samples, float64(spikes)/float64(st.Samples))
	return st
}

// TestSinabsCNNOnChips compiles the imported Sinabs CNN for loihi, loihi2
// and truenorth (which refuses, naming its limits) and simulates it on
// random event input and on 20 digits of the embedded saccade MNIST (60
// event frames into the chip's conv synapses) against the float
// reference. Every difference
// between chip and float is the rounding of the weights to the chip's 8
// bits: the float network with the chip's weights gives the chip's
// predictions and spikes exactly.
func TestSinabsCNNOnChips(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and simulates a CNN")
	}
	m := importFile(t, "cnn_sinabs.nir")
	m.Timesteps = 20
	set := randomEvents(40, 0.05, 1)
	for _, name := range []string{"loihi", "loihi2"} {
		t.Run(name, func(t *testing.T) {
			st := chipVsFloat(t, m, name, set, true)
			if st.Agreement() < 0.75 { // measured 82.5% (33/40); random input gives near-ties in the output spike counts
				t.Errorf("agreement %.3f, want ≥ 0.75", st.Agreement())
			}
		})
	}
	tied, byOne := outputMargins(t, m, set)
	t.Logf("float readout: %d of %d samples tied at the top, %d decided by one spike", tied, set.Test.N, byOne)
	t.Run("saccade", func(t *testing.T) {
		// digits as a DVS sees them: the embedded saccade MNIST, 60 event
		// frames per sample into the chip's conv synapses
		frames := saccadeFrames(t, 60, false, 20)
		me := importEvents(t, 60, false)
		for _, name := range []string{"loihi", "loihi2"} {
			st := chipVsFloat(t, me, name, frames, true)
			// measured 100% agreement, 95% accuracy (19/20) on chip and float
			if st.Agreement() < 0.9 || st.ReferenceAccuracy() < 0.8 {
				t.Errorf("%s: agreement %.3f, float accuracy %.3f: want ≥ 0.9 and ≥ 0.8", name, st.Agreement(), st.ReferenceAccuracy())
			}
			t.Logf("%s: chip accuracy %.1f%%, float %.1f%%", name, 100*st.Accuracy(), 100*st.ReferenceAccuracy())
		}
	})
	tgt, _ := targets.Lookup("truenorth")
	_, err := compile.Compile(m, tgt, compile.Options{Seed: 1})
	var le *compile.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("truenorth: err = %v, want limit errors (the CNN was not trained inside TrueNorth's limits)", err)
	}
	t.Logf("truenorth refuses: %v", err)
}

// saccadeFrames is up to n samples of the embedded saccade MNIST (its
// training split if train, else its test split) binned into T event
// frames.
func saccadeFrames(t *testing.T, T int, train_ bool, n int) *dataset.Set {
	frames, err := train.LoadEventSet(train.SaccadeDataset, T, 0)
	if err != nil {
		t.Fatal(err)
	}
	if train_ {
		frames.Test = frames.Train
	}
	frames.Test = frames.Test.Limit(n, frames.ImageSize())
	return frames
}

// importEvents imports the Sinabs CNN for event frames, T per sample.
func importEvents(t *testing.T, T int, subtract bool) *ir.Model {
	f, err := nir.ReadFile(filepath.Join("testdata", "cnn_sinabs.nir"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := nir.Import(f, nir.ImportOptions{Encoding: "events", Timesteps: T, SubtractIF: subtract})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSinabsCNNFigures prints the figures of the Sinabs CNN on the chips
// (loihi and loihi2; SNNC_NIR_FIGURES=N): on N random-event samples (one
// frame, p = 0.05, T = 20), with the margins of the float readout; on up
// to N samples of the embedded saccade MNIST's training split rate-coded
// (each pixel's share of the 300 bins with an event as its spike
// probability per step, T = 100); and on its test and training splits as
// 60 event frames per sample, and with Sinabs' own subtractive reset on
// loihi2.
func TestSinabsCNNFigures(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("SNNC_NIR_FIGURES"))
	if n <= 0 {
		t.Skip("SNNC_NIR_FIGURES=N prints the figures")
	}
	m := importFile(t, "cnn_sinabs.nir")
	m.Timesteps = 20
	set := randomEvents(n, 0.05, 1)
	for _, name := range []string{"loihi", "loihi2"} {
		chipVsFloat(t, m, name, set, true)
	}
	tied, byOne := outputMargins(t, m, set)
	t.Logf("random events: float readout tied at the top in %d of %d samples, decided by one spike in %d", tied, n, byOne)

	ev := saccadeFrames(t, 300, true, n)
	rate := &dataset.Set{Name: "saccade, rate-coded", Channels: 2, Rows: 34, Cols: 34, Classes: 10}
	size := rate.ImageSize()
	k := ev.Test.N
	rate.Test = dataset.Split{N: k, Images: make([]uint8, k*size), Labels: ev.Test.Labels[:k]}
	for i := range k {
		x, dst := ev.Test.Image(i, ev.ImageSize()), rate.Test.Image(i, size)
		active := make([]int, size)
		for b := range ev.Steps {
			for j, v := range x[b*size : (b+1)*size] {
				if v > 0 {
					active[j]++
				}
			}
		}
		for j, a := range active {
			dst[j] = uint8(math.Round(255 * float64(a) / float64(ev.Steps)))
		}
	}
	rate.Train = rate.Test
	mr := importFile(t, "cnn_sinabs.nir")
	mr.Timesteps, mr.Input.Scale = 100, 1.0/255
	for _, name := range []string{"loihi", "loihi2"} {
		st := chipVsFloat(t, mr, name, rate, true)
		t.Logf("%s, %s: chip accuracy %.1f%%, float %.1f%%", rate.Name, name, 100*st.Accuracy(), 100*st.ReferenceAccuracy())
	}

	for _, split := range []bool{false, true} {
		frames := saccadeFrames(t, 60, split, n)
		me := importEvents(t, 60, false)
		for _, name := range []string{"loihi", "loihi2"} {
			st := chipVsFloat(t, me, name, frames, true)
			t.Logf("saccade event frames (60 bins, training split %v), %s: chip accuracy %.1f%%, float %.1f%% (%d samples)",
				split, name, 100*st.Accuracy(), 100*st.ReferenceAccuracy(), st.Samples)
		}
		// Sinabs' own reset (subtract the threshold), which NIR cannot
		// state (--subtract-if): Loihi 2 runs it, Loihi refuses it. Not
		// exact: measured a few spikes per million apart from the float
		// network with the chip's weights; likely the potential's 24 bits
		// (about ±57ϑ here), which the float potentials of these IF
		// neurons exceed (up to 270ϑ: a subtracting neuron keeps charge)
		st := chipVsFloat(t, importEvents(t, 60, true), "loihi2", frames, false)
		t.Logf("saccade event frames (60 bins, training split %v), loihi2, subtractive reset: chip accuracy %.1f%%, float %.1f%%",
			split, 100*st.Accuracy(), 100*st.ReferenceAccuracy())
	}
}

// TestTraceMatchesFloatReference: sim.TraceFloat (plain loops) and the
// float reference of sim.RunFloat give the same spikes per layer on the
// imported CNN with event input.
func TestTraceMatchesFloatReference(t *testing.T) {
	m := importFile(t, "cnn_sinabs.nir")
	m.Timesteps = 10
	const n = 4
	set := randomEvents(n, 0.05, 2)
	st, err := sim.RunFloat(context.Background(), m, set, sim.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int64, len(m.Layers))
	for i := range n {
		x := set.Test.Image(i, set.ImageSize())
		steps := make([][]float32, m.Timesteps)
		for k := range steps {
			steps[k] = make([]float32, len(x))
			for j, v := range x {
				steps[k][j] = float32(v)
			}
		}
		tr, err := sim.TraceFloat(m, steps)
		if err != nil {
			t.Fatal(err)
		}
		for k, li := range tr.Layers {
			for _, s := range tr.Spikes[k] {
				want[li] += int64(s)
			}
		}
	}
	for i, c := range st.PerLayer {
		if c.Spikes != want[i] {
			t.Errorf("layer %d (%s): RunFloat %d spikes, TraceFloat %d", i, m.Layers[i].Name, c.Spikes, want[i])
		}
	}
	t.Logf("spikes per layer over %d samples: %v", n, want)
}
