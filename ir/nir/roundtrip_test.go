package nir_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/nir"
	"github.com/snnc/snnc/sim"
)

func randFloats(r *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = (r.Float32()*2 - 1) * scale
	}
	return x
}

// denseModel is a 20-16-12-5 network: leaky neurons, IF neurons (γ = 1)
// and a mean-current readout.
func denseModel(r *rand.Rand) *ir.Model {
	return &ir.Model{Name: "dense", Timesteps: 8, Input: ir.Input{Shape: []int{20}, Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Layers: []ir.Layer{
			{Name: "fc1", Kind: ir.KindDense, InShape: []int{20}, OutShape: []int{16}, Weights: randFloats(r, 320, 0.6), Bias: randFloats(r, 16, 0.1), Neuron: ir.LIF{Leak: 0.7, Threshold: 0.5}},
			{Name: "fc2", Kind: ir.KindDense, InShape: []int{16}, OutShape: []int{12}, Weights: randFloats(r, 192, 0.6), Bias: randFloats(r, 12, 0.1), Neuron: ir.LIF{Leak: 1, Threshold: 0.4}},
			{Name: "fc3", Kind: ir.KindDense, InShape: []int{12}, OutShape: []int{5}, Weights: randFloats(r, 60, 0.6), Bias: randFloats(r, 5, 0.1), Neuron: ir.LIF{Leak: 0.5, Threshold: 0.5}},
		}}
}

// convModel is conv(2→4, 3×3, pad 1) → avgpool 2 → conv(4→6, grouped 2,
// stride 2) → flatten → dense with spike-count readout.
func convModel(r *rand.Rand) *ir.Model {
	return &ir.Model{Name: "conv", Timesteps: 6, Input: ir.Input{Shape: []int{2, 8, 8}, Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Readout: ir.Readout{Kind: ir.ReadoutSpikeCount},
		Layers: []ir.Layer{
			{Name: "conv1", Kind: ir.KindConv2D, InShape: []int{2, 8, 8}, OutShape: []int{4, 8, 8}, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1},
				Weights: randFloats(r, 4*2*9, 0.8), Bias: randFloats(r, 4, 0.1), Neuron: ir.LIF{Leak: 0.9, Threshold: 0.5}},
			{Name: "pool1", Kind: ir.KindAvgPool, InShape: []int{4, 8, 8}, OutShape: []int{4, 4, 4}, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}},
			{Name: "conv2", Kind: ir.KindConv2D, InShape: []int{4, 4, 4}, OutShape: []int{6, 2, 2}, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, Groups: 2,
				Weights: randFloats(r, 6*2*4, 0.8), Bias: randFloats(r, 6, 0.1), Neuron: ir.LIF{Leak: 1, Threshold: 0.3}},
			{Name: "flat", Kind: ir.KindFlatten, InShape: []int{6, 2, 2}, OutShape: []int{24}},
			{Name: "fc", Kind: ir.KindDense, InShape: []int{24}, OutShape: []int{3}, Weights: randFloats(r, 72, 0.8), Bias: randFloats(r, 3, 0.1), Neuron: ir.LIF{Leak: 0.8, Threshold: 0.2}},
		}}
}

// recurrentModel is a 10-12r-8r-4 event-input network: current-based
// neurons (β_c ≠ 0) in recurrent layers and a max-potential readout with a
// current decay (NIR: Affine → CubaLIF with a Linear cycle, … → CubaLI).
func recurrentModel(r *rand.Rand) *ir.Model {
	return &ir.Model{Name: "recurrent", Timesteps: 12, Input: ir.Input{Shape: []int{10}, Encoding: ir.EncodingEvents, Scale: 1},
		Readout: ir.Readout{Kind: ir.ReadoutMaxPotential},
		Layers: []ir.Layer{
			{Name: "rec1", Kind: ir.KindRecurrentDense, InShape: []int{10}, OutShape: []int{12}, Weights: randFloats(r, 120, 0.8), Recurrent: randFloats(r, 144, 0.5),
				Bias: randFloats(r, 12, 0.1), Neuron: ir.LIF{Leak: 0.8, Threshold: 0.6, CurrentDecay: 0.5}},
			{Name: "rec2", Kind: ir.KindRecurrentDense, InShape: []int{12}, OutShape: []int{8}, Weights: randFloats(r, 96, 0.8), Recurrent: randFloats(r, 64, 0.5),
				Bias: randFloats(r, 8, 0.1), Neuron: ir.LIF{Leak: 0.9, Threshold: 0.5}},
			{Name: "fc3", Kind: ir.KindDense, InShape: []int{8}, OutShape: []int{4}, Weights: randFloats(r, 32, 0.8), Bias: randFloats(r, 4, 0.1),
				Neuron: ir.LIF{Leak: 0.75, Threshold: 1, CurrentDecay: 0.25}},
		}}
}

// xyloModel is the shape snnc train --target xylo-audio2 makes: 16 event
// channels, a recurrent layer of neurons that reset by subtraction with
// several spikes per step (ir.ResetSubtractMulti, carried by the file's
// snnc_reset), no bias, bit-shift decays, and 8 readout neurons (here
// counting spikes, so that the readout's reset goes through snnc_reset
// too; TestRoundTripTrainedModel takes the max-potential readout).
func xyloModel(r *rand.Rand) *ir.Model {
	return &ir.Model{Name: "xylo", Timesteps: 15, Input: ir.Input{Shape: []int{16}, Encoding: ir.EncodingEvents, Scale: 1},
		Readout: ir.Readout{Kind: ir.ReadoutSpikeCount},
		Layers: []ir.Layer{
			{Name: "rec1", Kind: ir.KindRecurrentDense, InShape: []int{16}, OutShape: []int{24}, Weights: randFloats(r, 384, 0.25), Recurrent: randFloats(r, 576, 0),
				Bias: make([]float32, 24), Neuron: ir.LIF{Leak: 0.9375, Threshold: 1, Reset: ir.ResetSubtractMulti, CurrentDecay: 0.75}},
			{Name: "fc2", Kind: ir.KindDense, InShape: []int{24}, OutShape: []int{8}, Weights: randFloats(r, 192, 0.6), Bias: make([]float32, 8),
				Neuron: ir.LIF{Leak: 0.9375, Threshold: 1, Reset: ir.ResetSubtractMulti, CurrentDecay: 0.75}},
		}}
}

// TestRoundTripResetMulti: a model with several spikes per step (its
// reset carried by snnc_reset) comes back identically and runs the same:
// the float reference's spikes and predictions on event input.
func TestRoundTripResetMulti(t *testing.T) {
	m := xyloModel(rand.New(rand.NewPCG(5, 6)))
	back, b := roundTrip(t, m)
	back.Provenance = nil
	if !reflect.DeepEqual(m, back) {
		t.Fatalf("model differs after the round trip:\n got %+v\nwant %+v", back, m)
	}
	f, err := nir.Decode("xylo.nir", b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Meta == nil || f.Meta.Reset != "subtract-multi" {
		t.Fatalf("snnc_reset not written: %+v", f.Meta)
	}
	set := randomSet(rand.New(rand.NewPCG(7, 8)), m, 20)
	want, err := sim.RunFloat(context.Background(), m, set, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := sim.RunFloat(context.Background(), back, set, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want.Predictions, got.Predictions) || !reflect.DeepEqual(want.PerLayer, got.PerLayer) {
		t.Fatal("the imported model runs differently")
	}
	if want.Total.Spikes == 0 {
		t.Fatal("no spikes: the comparison says nothing")
	}
	// without the attribute, NIR's reset to v_reset is what other readers see
	f.Meta.Reset = ""
	plain, err := nir.Import(f, nir.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Layers[0].Neuron.Reset != ir.ResetZero {
		t.Fatalf("reset %v without snnc_reset, want zero", plain.Layers[0].Neuron.Reset)
	}
}

// TestRoundTripTrainedModel exports and imports the model in
// $SNNC_NIR_MODEL (e.g. one trained with snnc train --target xylo-audio2)
// and requires it back identically; skipped without the variable.
func TestRoundTripTrainedModel(t *testing.T) {
	path := os.Getenv("SNNC_NIR_MODEL")
	if path == "" {
		t.Skip("set SNNC_NIR_MODEL to a model file")
	}
	m, err := ir.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	back, b := roundTrip(t, m)
	back.Provenance = m.Provenance
	if !reflect.DeepEqual(m, back) {
		t.Fatalf("%s differs after the round trip through NIR", path)
	}
	t.Logf("%s: %d layers, %d bytes of NIR, back identically", path, len(m.Layers), len(b))
}

// cubaModel is a 6-9-5 network of current-based IF-less LIF neurons with a
// spike-count readout (NIR: CubaLIF → CubaLIF → Output).
func cubaModel(r *rand.Rand) *ir.Model {
	return &ir.Model{Name: "cuba", Timesteps: 10, Input: ir.Input{Shape: []int{6}, Encoding: ir.EncodingEvents, Scale: 1},
		Readout: ir.Readout{Kind: ir.ReadoutSpikeCount},
		Layers: []ir.Layer{
			{Name: "fc1", Kind: ir.KindDense, InShape: []int{6}, OutShape: []int{9}, Weights: randFloats(r, 54, 0.9), Bias: randFloats(r, 9, 0.1), Neuron: ir.LIF{Leak: 0.6, Threshold: 0.4, CurrentDecay: 0.7}},
			{Name: "fc2", Kind: ir.KindDense, InShape: []int{9}, OutShape: []int{5}, Weights: randFloats(r, 45, 0.9), Bias: randFloats(r, 5, 0.1), Neuron: ir.LIF{Leak: 0.95, Threshold: 0.3, CurrentDecay: 0.3}},
		}}
}

// delayed is model m renamed NAME-delays with synaptic delays (steps) on
// its layers: Export writes Delay nodes, Import reads them back.
func delayed(m *ir.Model, delays ...uint8) *ir.Model {
	m.Name += "-delays"
	for i, d := range delays {
		m.Layers[i].Delay = d
	}
	return m
}

// randomSet is n random samples for m: event frames (T steps of 0/1 per
// input) for event input, else values 0 or 255 per input.
func randomSet(r *rand.Rand, m *ir.Model, n int) *dataset.Set {
	sh := m.Input.Shape
	s := &dataset.Set{Name: "random", Channels: 1, Rows: 1, Cols: sh[0], Classes: m.Layers[len(m.Layers)-1].NumOutputs()}
	if len(sh) == 3 {
		s.Channels, s.Rows, s.Cols = sh[0], sh[1], sh[2]
	}
	on := uint8(255)
	if m.Input.Encoding == ir.EncodingEvents {
		s.Steps, on = m.Timesteps, 1
	}
	s.Test = dataset.Split{N: n, Images: make([]uint8, n*s.ImageSize()), Labels: make([]uint8, n)}
	for i := range s.Test.Images {
		if r.IntN(3) == 0 {
			s.Test.Images[i] = on
		}
	}
	s.Train = s.Test
	return s
}

func roundTrip(t testing.TB, m *ir.Model) (*ir.Model, []byte) {
	t.Helper()
	w, err := nir.Export(m, nir.ExportOptions{File: m.Name + ".nir"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := nir.Decode(m.Name+".nir", b)
	if err != nil {
		t.Fatal(err)
	}
	back, err := nir.Import(f, nir.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return back, b
}

// TestRoundTrip exports dense and conv models, imports them back and
// requires the identical model (except the provenance, which records the
// import) and identical spikes on random input.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rd := rand.New(rand.NewPCG(7, 8)) // the delayed models' weights
	for _, m := range []*ir.Model{denseModel(r), convModel(r), recurrentModel(r), cubaModel(r),
		delayed(denseModel(rd), 0, 2, 1), delayed(convModel(rd), 0, 0, 1, 0, 3), delayed(recurrentModel(rd), 0, 4, 2)} {
		t.Run(m.Name, func(t *testing.T) {
			back, _ := roundTrip(t, m)
			if p := back.Provenance; p == nil || p.Dataset != nir.ImportedPrefix+m.Name+".nir" {
				t.Errorf("provenance %+v", p)
			}
			back.Provenance = nil
			if !reflect.DeepEqual(m, back) {
				for i := range m.Layers {
					if !reflect.DeepEqual(m.Layers[i], back.Layers[i]) {
						t.Errorf("layer %d: got %+v\nwant %+v", i, back.Layers[i], m.Layers[i])
					}
				}
				t.Fatalf("model differs after the round trip:\n got %+v\nwant %+v", back, m)
			}
			steps := make([][]float32, 20)
			for i := range steps {
				steps[i] = make([]float32, ir.ShapeSize(m.Input.Shape))
				for j := range steps[i] {
					if r.IntN(3) == 0 {
						steps[i][j] = 1 / m.Input.Scale // an input value of 1
					}
				}
			}
			a, err := sim.TraceFloat(m, steps)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := sim.TraceFloat(back, steps)
			if !reflect.DeepEqual(a, c) {
				t.Fatal("traces differ after the round trip")
			}
			spikes := 0
			for _, s := range a.Spikes {
				for _, x := range s {
					spikes += int(x)
				}
			}
			if spikes == 0 {
				t.Fatal("no neuron spiked: the comparison says nothing")
			}
			// the simulator's float reference (rate or event input) gives
			// the same predictions and spike counts
			set := randomSet(r, m, 30)
			want, err := sim.RunFloat(context.Background(), m, set, sim.Options{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			got, err := sim.RunFloat(context.Background(), back, set, sim.Options{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(want.Predictions, got.Predictions) {
				t.Errorf("predictions differ after the round trip:\n got %v\nwant %v", got.Predictions, want.Predictions)
			}
			classes := map[int]bool{}
			for _, p := range want.Predictions {
				classes[p] = true
			}
			var total int64
			for i := range want.PerLayer {
				if want.PerLayer[i].Spikes != got.PerLayer[i].Spikes {
					t.Errorf("layer %d: %d spikes after the round trip, %d before", i, got.PerLayer[i].Spikes, want.PerLayer[i].Spikes)
				}
				total += want.PerLayer[i].Spikes
			}
			if total == 0 || len(classes) < 2 {
				t.Errorf("%d spikes and %d distinct predictions over %d samples: the comparison says little", total, len(classes), set.Test.N)
			}
			t.Logf("%d samples: %d spikes, %d distinct predictions, identical", set.Test.N, total, len(classes))
		})
	}
}

// TestExportRefuses: what NIR cannot express is refused, naming the layer.
func TestExportRefuses(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		desc  string
		model func() *ir.Model
		layer string
	}{
		{"subtractive reset", func() *ir.Model { m := denseModel(r); m.Layers[0].Neuron.Reset = ir.ResetSubtract; return m }, "fc1"},
		{"current decay without leak", func() *ir.Model { m := cubaModel(r); m.Layers[1].Neuron.Leak = 1; return m }, "fc2"},
		{"max-potential readout without leak", func() *ir.Model { m := recurrentModel(r); m.Layers[2].Neuron.Leak = 1; return m }, "fc3"},
		{"recurrent mean-current readout", func() *ir.Model {
			m := recurrentModel(r)
			m.Readout.Kind = ir.ReadoutMeanCurrent
			m.Layers = m.Layers[:2]
			return m
		}, "rec2"},
	} {
		_, err := nir.Export(tc.model(), nir.ExportOptions{File: "x.nir"})
		var e *nir.Error
		if !errors.As(err, &e) || e.Node != tc.layer || !errors.Is(err, nir.ErrUnsupported) {
			t.Errorf("%s: err = %v, want an unsupported error naming %s", tc.desc, err, tc.layer)
		}
	}
}

// TestH5pyReadsExports opens every exported file with h5py (libhdf5) and
// checks the NIR layout and a value.
func TestH5pyReadsExports(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import h5py").Run() != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("h5py is missing in CI (apt-get install python3-h5py)")
		}
		t.Skip("python3 with h5py is not installed")
	}
	r := rand.New(rand.NewPCG(5, 6))
	dir := t.TempDir()
	// the node types each model's export must hold (besides Input, Output)
	types := map[string][]string{
		"dense":            {"fc1:Affine", "fc1.lif:LIF", "fc2.lif:IF", "fc3:Affine"},
		"conv":             {"conv1:Conv2d", "pool1:AvgPool2d", "flat:Flatten", "fc.lif:LIF"},
		"recurrent":        {"rec1:Affine", "rec1.lif:CubaLIF", "rec1.rec:Linear", "rec2.lif:LIF", "rec2.rec:Linear", "fc3.lif:CubaLI"},
		"cuba":             {"fc1.lif:CubaLIF", "fc2.lif:CubaLIF"},
		"conv-delays":      {"conv2.delay:Delay", "fc.delay:Delay", "conv2:Conv2d"},
		"recurrent-delays": {"rec2.delay:Delay", "fc3.delay:Delay", "rec2.rec:Linear"},
	}
	for _, m := range []*ir.Model{denseModel(r), convModel(r), recurrentModel(r), cubaModel(r),
		delayed(convModel(r), 0, 0, 1, 0, 3), delayed(recurrentModel(r), 0, 4, 2)} {
		_, b := roundTrip(t, m)
		path := filepath.Join(dir, m.Name+".nir")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		script := `import h5py, sys
f = h5py.File(sys.argv[1], "r")
g = f["node"]
assert g["type"][()].decode() == "NIRGraph"
names = set(g["nodes"].keys())
for a, b in g["edges"][()]:
    assert a.decode() in names and b.decode() in names, (a, b)
print(f["version"][()].decode(), repr(float(g["nodes"][sys.argv[2]]["weight"][()].ravel()[0])))
for n in sorted(names):
    print(n + ":" + g["nodes"][n]["type"][()].decode())
`
		out, err := exec.Command("/usr/bin/python3", "-c", script, path, m.Layers[0].Name).CombinedOutput()
		if err != nil {
			t.Fatalf("h5py on %s: %v\n%s", m.Name, err, out)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if want := fmt.Sprintf("%s %v", nir.Version, float64(m.Layers[0].Weights[0])); lines[0] != want {
			t.Errorf("%s: h5py reads %q, want %q", m.Name, lines[0], want)
		}
		for _, nt := range types[m.Name] {
			if !slices.Contains(lines, nt) {
				t.Errorf("%s: h5py finds no node %s in %v", m.Name, nt, lines[1:])
			}
		}
		t.Logf("h5py: %s", strings.Join(lines, " "))
	}
}
