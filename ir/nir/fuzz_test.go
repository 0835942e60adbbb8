package nir_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/nir"
)

// FuzzDecodeNIR decodes, imports and re-exports arbitrary bytes, seeded
// with the real files, the bad files of TestBadInput, generatedSeeds and
// the corpus in
// testdata/fuzz/FuzzDecodeNIR (corrupted copies of a real file;
// SNNC_UPDATE_SEEDS=1 go test -run TestFuzzSeeds rewrites it): no panic
// (recovered panics count as failures) in Decode, Import or Export.
func FuzzDecodeNIR(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.nir"))
	bad, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.nir"))
	for _, n := range append(names, bad...) {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, b := range generatedSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		before := nir.Recovered()
		g, err := nir.Decode("fuzz.nir", b)
		if err == nil {
			if m, err := nir.Import(g, nir.ImportOptions{Timesteps: 2}); err == nil {
				if _, err := nir.Export(m, nir.ExportOptions{}); err != nil {
					t.Logf("export of an imported model: %v", err)
				}
			}
		}
		if nir.Recovered() != before {
			t.Fatal("a panic was recovered")
		}
	})
}

// generatedSeeds are NIR files made here: exports of recurrent,
// current-based and delayed (Delay nodes) models and a nested recurrent graph (snnTorch's RSynaptic
// layout).
func generatedSeeds(tb testing.TB) [][]byte {
	r := rand.New(rand.NewPCG(7, 8))
	var seeds [][]byte
	for _, m := range []*ir.Model{recurrentModel(r), cubaModel(r), delayed(convModel(r), 0, 0, 2, 0, 1)} {
		_, b := roundTrip(tb, m)
		seeds = append(seeds, b)
	}
	nested := map[string]tnode{
		"in":  lifChain()["in"],
		"out": lifChain()["out"],
		"fc":  {typ: "Affine", params: map[string]tparam{"weight": {[]int{2, 3}, []float64{0.3, -0.2, 0.5, 0.1, 0.4, -0.3}}, "bias": vec(0.05, 0)}},
		"h": {typ: "NIRGraph", sub: map[string]tnode{
			"input":  {typ: "Input", params: map[string]tparam{"shape": {[]int{1}, []int64{2}}}},
			"lif":    {typ: "CubaLIF", params: map[string]tparam{"tau_syn": vec(5e-4), "tau_mem": vec(1e-3), "r": vec(10), "w_in": vec(5), "v_leak": vec(0), "v_threshold": vec(1)}},
			"w_rec":  {typ: "Linear", params: map[string]tparam{"weight": {[]int{2, 2}, []float64{0, 0.5, -0.8, 0}}}},
			"output": {typ: "Output", params: map[string]tparam{"shape": {[]int{1}, []int64{2}}}},
		}, subEdges: []string{"input", "lif", "lif", "w_rec", "w_rec", "lif", "lif", "output"}},
	}
	return append(seeds, writeGraph(tb, nested, []string{"in", "fc", "fc", "h", "h", "out"}))
}

// TestFuzzSeeds checks that the in-tree seed corpus (corrupted copies of
// lif_norse.nir) and testdata/rsynaptic.nir (the nested recurrent graph of
// generatedSeeds, for the command's script tests) are there and, with
// SNNC_UPDATE_SEEDS=1, writes them.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeNIR")
	rsyn := filepath.Join("testdata", "rsynaptic.nir")
	if os.Getenv("SNNC_UPDATE_SEEDS") != "" {
		if err := os.WriteFile(rsyn, generatedSeeds(t)[2], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := importFile(t, filepath.Base(rsyn))
	if m.Layers[0].Kind != ir.KindRecurrentDense || m.Layers[0].Neuron.CurrentDecay == 0 || m.Input.Encoding != ir.EncodingEvents {
		t.Errorf("%s imports as %+v, want a recurrent current-based layer with event input", rsyn, m.Layers[0])
	}
	if os.Getenv("SNNC_UPDATE_SEEDS") == "" {
		names, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(names) < 3 {
			t.Fatalf("%s holds %d seeds, want the 3 TestFuzzSeeds writes (SNNC_UPDATE_SEEDS=1)", dir, len(names))
		}
		return
	}
	b, err := os.ReadFile(filepath.Join("testdata", "lif_norse.nir"))
	if err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{"lif_norse-truncated": b[:len(b)/2]}
	c := slices.Clone(b)
	c[100] ^= 0x5a // inside the root group's symbol table
	seeds["lif_norse-header-byte"] = c
	c = slices.Clone(b)
	c[len(c)/2] = 0xff
	seeds["lif_norse-middle-byte"] = c
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("go test fuzz v1\n[]byte("+strconv.Quote(string(b))+")\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
