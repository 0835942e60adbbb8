package nir_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir/hdf5"
	"github.com/snnc/snnc/ir/nir"
)

// tnode is a node of a test graph: its type and parameters (numbers as
// float64 slices with a shape, or strings).
type tnode struct {
	typ    string
	params map[string]tparam
	// sub and subEdges are a NIRGraph node's graph.
	sub      map[string]tnode
	subEdges []string
}

type tparam struct {
	shape []int
	v     any // []float64, []int64 or string
}

func vec(v ...float64) tparam { return tparam{[]int{len(v)}, v} }

// lifChain is Input(3) → Affine(3→2) → LIF(2) → Output(2).
func lifChain() map[string]tnode {
	return map[string]tnode{
		"in":  {typ: "Input", params: map[string]tparam{"shape": {[]int{1}, []int64{3}}}},
		"fc":  {typ: "Affine", params: map[string]tparam{"weight": {[]int{2, 3}, []float64{1, 2, 3, 4, 5, 6}}, "bias": vec(0, 0)}},
		"lif": {typ: "LIF", params: map[string]tparam{"tau": vec(0.01, 0.01), "r": vec(1, 1), "v_leak": vec(0, 0), "v_threshold": vec(1, 1)}},
		"out": {typ: "Output", params: map[string]tparam{"shape": {[]int{1}, []int64{2}}}},
	}
}

var chainEdges = []string{"in", "fc", "fc", "lif", "lif", "out"}

func writeGraph(t testing.TB, nodes map[string]tnode, edges []string) []byte {
	t.Helper()
	w := hdf5.NewWriter()
	w.Root().CreateStrings("version", nil, []string{"0.2.0"})
	g, _ := w.Root().CreateGroup("node")
	writeNodes(t, g, nodes, edges)
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeNodes writes a NIRGraph's type, nodes and edges into g.
func writeNodes(t testing.TB, g *hdf5.WGroup, nodes map[string]tnode, edges []string) {
	t.Helper()
	g.CreateStrings("type", nil, []string{"NIRGraph"})
	ns, _ := g.CreateGroup("nodes")
	for name, n := range nodes {
		ng, err := ns.CreateGroup(name)
		if err != nil {
			t.Fatal(err)
		}
		if n.sub != nil {
			writeNodes(t, ng, n.sub, n.subEdges)
			continue
		}
		ng.CreateStrings("type", nil, []string{n.typ})
		for p, v := range n.params {
			if s, ok := v.v.(string); ok {
				_, err = ng.CreateStrings(p, nil, []string{s})
			} else {
				_, err = ng.CreateDataset(p, v.shape, v.v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := g.CreateStrings("edges", []int{len(edges) / 2, 2}, edges); err != nil {
		t.Fatal(err)
	}
}

// TestNestedGraph: a NIRGraph node inside the graph imports as the chain
// it holds, reached through its Input and Output ports (by the node's name
// and by "sub.port").
func TestNestedGraph(t *testing.T) {
	flat := writeGraph(t, lifChain(), chainEdges)
	for _, edges := range [][]string{{"in", "block", "block", "out"}, {"in", "block.i", "block.o", "out"}} {
		inner := lifChain()
		inner["i"], inner["o"] = inner["in"], inner["out"]
		delete(inner, "in")
		delete(inner, "out")
		outer := map[string]tnode{
			"in":    lifChain()["in"],
			"out":   lifChain()["out"],
			"block": {typ: "NIRGraph", sub: inner, subEdges: []string{"i", "fc", "fc", "lif", "lif", "o"}},
		}
		f, err := nir.Decode("nested.nir", writeGraph(t, outer, edges))
		if err != nil {
			t.Fatal(err)
		}
		m, err := nir.Import(f, nir.ImportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		g, _ := nir.Decode("flat.nir", flat)
		want, _ := nir.Import(g, nir.ImportOptions{})
		if len(m.Layers) != 1 || m.Layers[0].Name != "block/fc" || !reflect.DeepEqual(m.Layers[0].Weights, want.Layers[0].Weights) || m.Layers[0].Neuron != want.Layers[0].Neuron {
			t.Fatalf("edges %v: layers %+v, want the flat graph's layer named block/fc", edges, m.Layers)
		}
	}
}

// TestBadInput: each bad file gives one error line naming the node and
// the dataset, wrapping the right sentinel.
func TestBadInput(t *testing.T) {
	hdf5NotNIR := func() []byte {
		w := hdf5.NewWriter()
		w.Root().CreateDataset("x", []int{2}, []float64{1, 2})
		b, _ := w.Bytes()
		return b
	}
	edit := func(f func(map[string]tnode)) map[string]tnode {
		n := lifChain()
		f(n)
		return n
	}
	// delayed is lifChain with a second layer whose input synapses a Delay
	// node d (delay in seconds) delays: in → fc → lif → d → fc2 → lif2 → out
	delayed := func(delay tparam) []byte {
		n := lifChain()
		n["d"] = tnode{typ: "Delay", params: map[string]tparam{"delay": delay}}
		n["fc2"] = tnode{typ: "Affine", params: map[string]tparam{"weight": {[]int{2, 2}, []float64{1, 2, 3, 4}}, "bias": vec(0.5, 0)}}
		n["lif2"] = n["lif"]
		return writeGraph(t, n, []string{"in", "fc", "fc", "lif", "lif", "d", "d", "fc2", "fc2", "lif2", "lif2", "out"})
	}
	for _, tc := range []struct {
		desc    string
		file    []byte
		want    error
		node    string
		field   string
		import_ bool // the error comes from Import, not Decode
	}{
		{"not HDF5", []byte("this is not an HDF5 file at all, just text......................"), nir.ErrNotNIR, "", "", false},
		{"HDF5 but not NIR", hdf5NotNIR(), nir.ErrNotNIR, "", "node", false},
		{"missing parameter", writeGraph(t, edit(func(n map[string]tnode) { delete(n["lif"].params, "tau") }), chainEdges), nir.ErrParam, "lif", "tau", false},
		{"mis-shaped bias", writeGraph(t, edit(func(n map[string]tnode) { n["fc"].params["bias"] = vec(0, 0, 0) }), chainEdges), nir.ErrParam, "fc", "bias", false},
		{"mis-shaped weight", writeGraph(t, edit(func(n map[string]tnode) { n["fc"].params["weight"] = vec(1, 2, 3) }), chainEdges), nir.ErrParam, "fc", "weight", false},
		{"broadcast mismatch", writeGraph(t, edit(func(n map[string]tnode) { n["lif"].params["r"] = vec(1, 1, 1) }), chainEdges), nir.ErrParam, "lif", "r", false},
		{"negative tau", writeGraph(t, edit(func(n map[string]tnode) { n["lif"].params["tau"] = vec(0.01, -1) }), chainEdges), nir.ErrParam, "lif", "tau", false},
		{"unknown type", writeGraph(t, edit(func(n map[string]tnode) { n["lif"] = tnode{typ: "Izhikevich", params: nil} }), chainEdges), nir.ErrUnsupported, "lif", "type", false},
		{"edge to an unknown node", writeGraph(t, lifChain(), []string{"in", "fc", "fc", "lif", "lif", "nowhere"}), nir.ErrEdge, "", "edges", false},
		{"shapes do not match along an edge", writeGraph(t, edit(func(n map[string]tnode) {
			n["lif"].params["tau"] = vec(0.01, 0.01, 0.01)
			n["lif"].params["r"], n["lif"].params["v_leak"], n["lif"].params["v_threshold"] = vec(1), vec(0), vec(1)
		}), chainEdges), nir.ErrShape, "lif", "input", false},
		{"Delay of the input refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["lif"] = tnode{typ: "Delay", params: map[string]tparam{"delay": vec(0.001, 0.001)}}
		}), chainEdges), nir.ErrUnsupported, "lif", "", true},
		{"per-neuron delays refused", delayed(vec(3e-4, 5e-4)), nir.ErrUnsupported, "d", "delay", true},
		{"delay not a whole number of steps", delayed(vec(1.5e-4)), nir.ErrUnsupported, "d", "delay", true},
		{"delay too long", delayed(vec(0.03)), nir.ErrUnsupported, "d", "delay", true},
		{"negative delay", delayed(vec(-1e-4, -1e-4)), nir.ErrParam, "d", "delay", false},
		{"NaN delay", delayed(vec(math.NaN())), nir.ErrParam, "d", "delay", false},
		{"Delay after a biased synapse refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["d"] = tnode{typ: "Delay", params: map[string]tparam{"delay": vec(2e-4)}}
			n["fc0"], n["lif0"] = tnode{typ: "Affine", params: map[string]tparam{"weight": {[]int{3, 3}, []float64{1, 0, 0, 0, 1, 0, 0, 0, 1}}, "bias": vec(0, 0, 0)}}, n["lif"]
			n["lif0"].params["tau"], n["lif0"].params["r"], n["lif0"].params["v_leak"], n["lif0"].params["v_threshold"] = vec(0.01), vec(1), vec(0), vec(1)
			n["fc"].params["bias"] = vec(0.1, 0)
		}), []string{"in", "fc0", "fc0", "lif0", "lif0", "fc", "fc", "d", "d", "lif", "lif", "out"}), nir.ErrUnsupported, "d", "", true},
		{"CubaLIF with v_leak refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["lif"] = tnode{typ: "CubaLIF", params: map[string]tparam{"tau_syn": vec(0.01), "tau_mem": vec(0.01), "r": vec(1), "v_leak": vec(0.5), "v_threshold": vec(1)}}
		}), chainEdges), nir.ErrUnsupported, "lif", "", true},
		{"cycle that is not a recurrence refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["sc"] = tnode{typ: "Scale", params: map[string]tparam{"scale": vec(0.5, 0.5)}}
		}), append(append([]string(nil), chainEdges...), "lif", "sc", "sc", "lif")), nir.ErrUnsupported, "lif", "", true},
		{"recurrence through a non-spiking node refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["lif"] = tnode{typ: "LI", params: map[string]tparam{"tau": vec(0.01), "r": vec(1), "v_leak": vec(0)}}
			n["rec"] = tnode{typ: "Linear", params: map[string]tparam{"weight": {[]int{2, 2}, []float64{0, 1, 1, 0}}}}
		}), append(append([]string(nil), chainEdges...), "lif", "rec", "rec", "lif")), nir.ErrUnsupported, "lif", "", true},
		{"branch refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["out2"] = n["out"]
		}), append(append([]string(nil), chainEdges...), "lif", "out2")), nir.ErrUnsupported, "lif", "", true},
		{"readout node not last refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["lif"] = tnode{typ: "LI", params: map[string]tparam{"tau": vec(0.01), "r": vec(1), "v_leak": vec(0)}}
			n["fc2"] = tnode{typ: "Affine", params: map[string]tparam{"weight": {[]int{2, 2}, []float64{1, 0, 0, 1}}, "bias": vec(0, 0)}}
		}), []string{"in", "fc", "fc", "lif", "lif", "fc2", "fc2", "out"}), nir.ErrUnsupported, "lif", "", true},
		{"tau shorter than dt", writeGraph(t, edit(func(n map[string]tnode) { n["lif"].params["tau"] = vec(1e-5, 1e-5) }), chainEdges), nir.ErrUnsupported, "lif", "", true},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			check := func(file []byte) {
				f, err := nir.Decode("bad.nir", file)
				if tc.import_ {
					if err != nil {
						t.Fatalf("decode: %v", err)
					}
					_, err = nir.Import(f, nir.ImportOptions{})
				}
				var e *nir.Error
				if !errors.As(err, &e) || !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want a *nir.Error wrapping %v", err, tc.want)
				}
				if e.Node != tc.node || e.Field != tc.field || e.File != "bad.nir" {
					t.Errorf("error names node %q field %q file %q, want %q %q bad.nir: %v", e.Node, e.Field, e.File, tc.node, tc.field, err)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				t.Log(err)
			}
			check(tc.file)
			name, ok := badFixtures[tc.desc]
			if !ok {
				return
			}
			path := filepath.Join("testdata", "bad", name)
			if os.Getenv("SNNC_UPDATE_SEEDS") != "" {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, tc.file, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (SNNC_UPDATE_SEEDS=1 writes it)", err)
			}
			check(b)
		})
	}
}

// badFixtures are the cases of TestBadInput written to testdata/bad (with
// SNNC_UPDATE_SEEDS=1) for the command's script tests
// (cmd/snnc/testdata/nir), by case.
var badFixtures = map[string]string{
	"HDF5 but not NIR":                       "not-nir.nir",
	"missing parameter":                      "missing-param.nir",
	"mis-shaped bias":                        "misshaped-param.nir",
	"edge to an unknown node":                "unknown-edge.nir",
	"shapes do not match along an edge":      "shape-mismatch.nir",
	"Delay of the input refused":             "delay.nir",
	"per-neuron delays refused":              "delay-per-neuron.nir",
	"delay not a whole number of steps":      "delay-fraction.nir",
	"delay too long":                         "delay-long.nir",
	"negative delay":                         "delay-negative.nir",
	"NaN delay":                              "delay-nan.nir",
	"cycle that is not a recurrence refused": "cycle.nir",
}

// sharedNIR is the folder of real NIR files next to the repository
// (../shared/data/nir), which the corruption test uses when it is there.
var sharedNIR = filepath.Join("..", "..", "..", "shared", "data", "nir")

// corruptions returns copies of b: truncations at 40 lengths (from 0 to
// all but the last byte), and single-byte changes (a bit pattern XORed,
// 0x00 and 0xff written) at every 8th byte of the first 1 KiB, where the
// superblock and the root group's headers are, and at 97 places spread
// over the file.
func corruptions(b []byte) (desc []string, files [][]byte) {
	add := func(d string, c []byte) {
		desc = append(desc, d)
		files = append(files, c)
	}
	for k := range 40 {
		n := len(b) * k / 40
		add(fmt.Sprintf("truncated to %d bytes", n), b[:n:n])
	}
	var at []int
	for i := 0; i < min(len(b), 1024); i += 8 {
		at = append(at, i)
	}
	for i := 1024; i < len(b); i += max(1, (len(b)-1024)/97) {
		at = append(at, i)
	}
	for k, i := range at {
		c := slices.Clone(b)
		switch k % 3 {
		case 0:
			c[i] ^= 0x5a
			add(fmt.Sprintf("byte %d XOR 0x5a", i), c)
		case 1:
			c[i] = 0
			add(fmt.Sprintf("byte %d set to 0x00", i), c)
		default:
			c[i] = 0xff
			add(fmt.Sprintf("byte %d set to 0xff", i), c)
		}
	}
	return desc, files
}

// TestCorruptedRealFiles corrupts each real NIR file (the in-tree
// fixtures, and every file in ../shared/data/nir when it is there): each
// truncated copy gives one error line naming the file, wrapping a
// *nir.Error; a copy with a changed byte gives one such line too, or
// decodes and imports (the byte was a weight's value or unused); never a
// panic.
func TestCorruptedRealFiles(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.nir"))
	if shared, _ := filepath.Glob(filepath.Join(sharedNIR, "*.nir")); len(shared) > 0 {
		paths = append(paths, shared...)
	} else {
		t.Logf("%s is absent: corrupting the in-tree fixtures only", sharedNIR)
	}
	if testing.Short() {
		paths = paths[:1]
	}
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(path)
		desc, files := corruptions(b)
		refused := 0
		for i, c := range files {
			f, err := nir.Decode(name, c)
			if err == nil {
				if m, ierr := nir.Import(f, nir.ImportOptions{Timesteps: 2}); ierr == nil {
					_, err = nir.Export(m, nir.ExportOptions{File: "out.nir"})
				} else {
					err = ierr
				}
			}
			if err == nil {
				if strings.HasPrefix(desc[i], "truncated") {
					t.Errorf("%s, %s: accepted", name, desc[i])
				}
				continue // a changed weight value, or a byte the file does not use
			}
			refused++
			var e *nir.Error
			if !errors.As(err, &e) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "nir: ") {
				t.Errorf("%s, %s: error %q is not one line from a *nir.Error", name, desc[i], err)
			}
			if e != nil && e.File != name && e.File != "out.nir" {
				t.Errorf("%s, %s: error names file %q: %v", name, desc[i], e.File, err)
			}
		}
		if nir.Recovered() != 0 {
			t.Fatalf("%s: %d panics recovered", name, nir.Recovered())
		}
		if refused == 0 {
			t.Errorf("%s: no corrupted copy was refused", name)
		}
		t.Logf("%s: %d of %d corrupted copies refused, one line each; the rest decode and import", path, refused, len(files))
	}
}
