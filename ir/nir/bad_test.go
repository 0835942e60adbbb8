package nir_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
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

func writeGraph(t *testing.T, nodes map[string]tnode, edges []string) []byte {
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
func writeNodes(t *testing.T, g *hdf5.WGroup, nodes map[string]tnode, edges []string) {
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
		{"Delay refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["lif"] = tnode{typ: "Delay", params: map[string]tparam{"delay": vec(0.001, 0.001)}}
		}), chainEdges), nir.ErrUnsupported, "lif", "", true},
		{"CubaLIF with v_leak refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["lif"] = tnode{typ: "CubaLIF", params: map[string]tparam{"tau_syn": vec(0.01), "tau_mem": vec(0.01), "r": vec(1), "v_leak": vec(0.5), "v_threshold": vec(1)}}
		}), chainEdges), nir.ErrUnsupported, "lif", "", true},
		{"cycle that is not a recurrence refused", writeGraph(t, edit(func(n map[string]tnode) {
			n["sc"] = tnode{typ: "Scale", params: map[string]tparam{"scale": vec(0.5, 0.5)}}
		}), append(append([]string(nil), chainEdges...), "lif", "sc", "sc", "lif")), nir.ErrUnsupported, "lif", "", true},
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
			f, err := nir.Decode("bad.nir", tc.file)
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
		})
	}
}

// TestCorruptedRealFiles flips bytes of the real files: each copy decodes
// or gives one error line, never a panic.
func TestCorruptedRealFiles(t *testing.T) {
	for _, name := range []string{"lif_norse.nir", "cnn_sinabs.nir"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		errs := 0
		for i := 0; i < len(b); i += len(b) / 97 {
			c := append([]byte(nil), b...)
			c[i] ^= 0x5a
			f, err := nir.Decode(name, c)
			if err == nil {
				_, err = nir.Import(f, nir.ImportOptions{})
			}
			if err != nil {
				errs++
				if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "nir: "+name) {
					t.Errorf("byte %d: error %q is not one line starting with nir: %s", i, err, name)
				}
			}
		}
		if nir.Recovered() != 0 {
			t.Fatalf("%d panics recovered", nir.Recovered())
		}
		t.Logf("%s: %d of 98 corrupted copies refused", name, errs)
	}
}
