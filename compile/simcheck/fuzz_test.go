package simcheck_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
)

// FuzzCompileSimulate feeds decoded files from outside to the whole back
// end: whatever ir.Decode accepts, the simulator (float or compiled) and
// the compiler for every target must handle with an error or a result,
// never a panic. The float run may refuse a model only with sim.ErrModel
// (a model the simulator does not support); a compiled result must verify,
// survive an encode/decode round trip, simulate without error and predict
// and spike exactly as compile's integer evaluator. Seeds: the IR golden
// files (every layer kind, grouped convolutions, sparse layers, a temporal
// model) and small random networks, temporal ones (event input, recurrent
// layers, current decay, max-potential and spike-count readouts), ones
// with synaptic delays (dense and conv), and several-spike networks, also
// compiled with graded hidden spikes (compile.Options.GradedHidden) where
// the model has such layers, and conv models also in a mapping order other
// than position-major (compileOptions).
func FuzzCompileSimulate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "ir", "testdata", "*.snn"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	seeds := []*ir.Model{compile.RandomDense([]int{16, 12, 4}, 4, 1), compile.RandomDense([]int{9, 20, 3}, 3, 2),
		compile.RandomConv(8, 4, 3, 1, 3), trueNorthConvSeed(f),
		compile.RandomTemporal(12, []int{10}, []bool{true}, 3, 5, 0.7, ir.ReadoutMaxPotential, 4),
		compile.RandomTemporal(8, []int{9, 6}, []bool{true, false}, 3, 4, 0, ir.ReadoutSpikeCount, 5),
		multiSpikeDense([]int{16, 12, 8, 4}, 4, 1), multiSpikeDense([]int{9, 20, 3}, 3, 2)}
	// synaptic delays (loihi2 compiles them): into a dense layer, and into
	// a conv layer fed by population axons
	delayedDense, delayedConv := compile.RandomDense([]int{16, 12, 8, 4}, 6, 6), compile.RandomConv(8, 1, 6, 3, 7)
	delayedDense.Layers[1].Delay, delayedDense.Layers[2].Delay = 2, 1
	delayedConv.Layers[2].Delay, delayedConv.Layers[5].Delay = 1, 3 // conv2, fc1
	seeds = append(seeds, delayedDense, delayedConv)
	for _, m := range seeds {
		if b, err := ir.Encode(m); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ir.Decode(b)
		if err != nil || !small(m) {
			return
		}
		set := fuzzSet(m, b)
		ctx := context.Background()
		if _, err := sim.Run(ctx, m, set, sim.Options{Workers: 1, Reference: true}); err != nil && !errors.Is(err, sim.ErrModel) {
			t.Fatalf("float model: simulation failed: %v", err)
		}
		for _, name := range targets.Names() {
			tg, err := targets.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, opts := range compileOptions(m) {
				compileAndMatch(t, m, tg, opts, set)
			}
		}
	})
}

// compileOptions are the options the fuzzer compiles m with: the defaults,
// graded hidden spikes where m has several-spike layers, and where m has
// a conv layer with candidate mapping orders other than position-major
// one of them (compile.Options.ConvOrder, chosen by the model's size), so
// that the compiled conv layers the simulator runs are in other orders
// than the compiler would choose for small models (TestFuzzSeedsOrders).
func compileOptions(m *ir.Model) []compile.Options {
	opts := []compile.Options{{}}
	for i := range m.Layers {
		if m.Layers[i].Neuron.Reset == ir.ResetSubtractMulti {
			opts = append(opts, compile.Options{GradedHidden: true})
			break
		}
	}
	for i := len(m.Layers) - 2; i >= 0; i-- { // the last conv layer but the readout: on-chip input most likely
		l := &m.Layers[i]
		if l.Kind != ir.KindConv2D || len(l.InShape) != 3 || len(l.OutShape) != 3 {
			continue
		}
		if names := compile.ConvOrderNames(l)[1:]; len(names) > 0 {
			return append(opts, compile.Options{ConvOrder: names[(len(l.Weights)+i)%len(names)]})
		}
	}
	return opts
}

// TestFuzzSeedsOrders requires some of the fuzzer's seed models to compile
// for loihi in a mapping order other than position-major (compileOptions)
// and to match the integer evaluator in it.
func TestFuzzSeedsOrders(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	ordered := 0
	for _, m := range []*ir.Model{compile.RandomConv(8, 1, 6, 3, 7), compile.RandomConv(16, 2, 3, 2, 9), compile.RandomConv(16, 4, 3, 1, 3)} {
		for _, opts := range compileOptions(m) {
			if opts.ConvOrder == "" {
				continue
			}
			res, err := compile.Compile(m, tg, opts)
			if err != nil {
				t.Fatalf("%s in %s: %v", m.Name, opts.ConvOrder, err)
			}
			for i := range res.Model.Layers {
				if len(res.Model.Layers[i].MapOrder) > 0 {
					ordered++
				}
			}
			compileAndMatch(t, m, tg, opts, fuzzSet(m, []byte(m.Name)))
		}
	}
	if ordered == 0 {
		t.Fatal("no seed compiles in an order other than position-major")
	}
	t.Logf("%d conv layers in another order", ordered)
}

// compileAndMatch compiles m for tg; a compiled model must verify, survive
// an encode/decode round trip, simulate and match compile.Integer.
func compileAndMatch(t *testing.T, m *ir.Model, tg *targets.Target, opts compile.Options, set *dataset.Set) {
	t.Helper()
	name := tg.Name
	res, err := compile.Compile(m, tg, opts)
	if err != nil {
		return
	}
	if err := ir.Verify(res.Model); err != nil {
		t.Fatalf("%s: compiled model does not verify: %v", name, err)
	}
	enc, err := ir.Encode(res.Model)
	if err != nil {
		t.Fatalf("%s: compiled model does not encode: %v", name, err)
	}
	back, err := ir.Decode(enc)
	if err != nil {
		t.Fatalf("%s: compiled model does not decode: %v", name, err)
	}
	st, err := sim.Run(context.Background(), back, set, sim.Options{Workers: 1, Reference: true})
	if err != nil {
		t.Fatalf("%s: compiled model does not simulate: %v", name, err)
	}
	matchInteger(t, back, set, st, name)
	if opts.GradedHidden {
		matchGradedHidden(t, back, set, st, name)
	}
}

// trueNorthConvSeed is an untrained grouped-conv network from snnc train
// --target truenorth (rate input, trinary weights, host readout).
func trueNorthConvSeed(f *testing.F) *ir.Model {
	const side, n = 10, 4
	set := &dataset.Set{Name: "seed", Channels: 1, Rows: side, Cols: side, Classes: 3,
		Train: dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)},
		Test:  dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)}}
	cfg := train.DefaultConfig()
	cfg.Arch, cfg.Timesteps, cfg.Alpha = "10x10x1-4c3s2-8c3g2-3", 3, 1
	tn, err := targets.LookupTraining("truenorth")
	if err != nil {
		f.Fatal(err)
	}
	cfg.Target, cfg.Limits = tn.Name, tn.Training
	tr, err := train.NewTrainer(cfg, set)
	if err != nil {
		f.Fatal(err)
	}
	return tr.Freeze(&ir.Provenance{})
}

// small keeps the fuzzer on models it can compile and simulate quickly.
func small(m *ir.Model) bool {
	if m.Timesteps > 16 || ir.ShapeSize(m.Input.Shape) > 4096 {
		return false
	}
	var synapses, neurons int64
	for i := range m.Layers {
		synapses += m.Layers[i].Synapses()
		neurons += int64(ir.ShapeSize(m.Layers[i].OutShape))
	}
	return synapses <= 1<<16 && neurons <= 1<<14
}

// fuzzSet is a two-sample test split shaped like the model's input, with
// pixels taken from the fuzz input.
func fuzzSet(m *ir.Model, b []byte) *dataset.Set {
	c, h, w := 1, 1, ir.ShapeSize(m.Input.Shape)
	if sh := m.Input.Shape; len(sh) == 3 {
		c, h, w = sh[0], sh[1], sh[2]
	}
	classes := 2
	if n := len(m.Layers); n > 0 {
		classes = min(255, max(1, ir.ShapeSize(m.Layers[n-1].OutShape)))
	}
	const n = 2
	size := c * h * w
	steps := 0
	if m.Input.Encoding == ir.EncodingEvents { // T steps of input spikes per sample
		steps = m.Timesteps
		size *= max(1, steps)
	}
	set := &dataset.Set{Name: "fuzz", Channels: c, Rows: h, Cols: w, Classes: classes, Steps: steps,
		Test: dataset.Split{N: n, Images: make([]uint8, n*size), Labels: make([]uint8, n)}}
	for i := range set.Test.Images {
		if len(b) > 0 {
			set.Test.Images[i] = b[i%len(b)]
		}
	}
	set.Test.Labels[1] = uint8(min(1, classes-1))
	return set
}
