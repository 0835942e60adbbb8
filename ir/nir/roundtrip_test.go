package nir_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/snnc/snnc/ir"
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

func roundTrip(t *testing.T, m *ir.Model) (*ir.Model, []byte) {
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
	for _, m := range []*ir.Model{denseModel(r), convModel(r)} {
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
						steps[i][j] = 255
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
		})
	}
}

// TestExportRefuses: what NIR cannot express is refused, naming the layer.
func TestExportRefuses(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m := denseModel(r)
	m.Layers[0].Neuron.Reset = ir.ResetSubtract
	_, err := nir.Export(m, nir.ExportOptions{File: "x.nir"})
	var e *nir.Error
	if !errors.As(err, &e) || e.Node != "fc1" || !errors.Is(err, nir.ErrUnsupported) {
		t.Fatalf("err = %v, want an unsupported error naming fc1", err)
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
	for _, m := range []*ir.Model{denseModel(r), convModel(r)} {
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
for n in names:
    g["nodes"][n]["type"][()]
print(f["version"][()].decode(), len(names), g["nodes"][sys.argv[2]]["weight"][()].ravel()[0])
`
		out, err := exec.Command("/usr/bin/python3", "-c", script, path, m.Layers[0].Name).CombinedOutput()
		if err != nil {
			t.Fatalf("h5py on %s: %v\n%s", m.Name, err, out)
		}
		t.Logf("h5py: %s", out)
	}
}
