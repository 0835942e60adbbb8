package nir_test

import (
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/hdf5"
	"github.com/snnc/snnc/ir/nir"
)

// TestNewerLayout reads what newer nir releases write: Input and Output
// shapes and Flatten's input_type as groups (dicts), an empty input_type
// (the shape then comes from the edges), and Conv2d padding as the
// strings "same" and "valid".
func TestNewerLayout(t *testing.T) {
	w := hdf5.NewWriter()
	w.Root().CreateStrings("version", nil, []string{"1.0.6"})
	g, _ := w.Root().CreateGroup("node")
	g.CreateStrings("type", nil, []string{"NIRGraph"})
	nodes, _ := g.CreateGroup("nodes")
	node := func(name, typ string) *hdf5.WGroup {
		n, _ := nodes.CreateGroup(name)
		n.CreateStrings("type", nil, []string{typ})
		return n
	}
	port := func(n *hdf5.WGroup, group, name string, shape []int64) {
		p, _ := n.CreateGroup(group)
		p.CreateDataset(name, []int{len(shape)}, shape)
	}
	port(node("input", "Input"), "input_type", "input", []int64{1, 6, 6})
	conv := func(name, padding string, cin, cout int) {
		n := node(name, "Conv2d")
		n.CreateDataset("weight", []int{cout, cin, 3, 3}, make([]float32, cout*cin*9))
		n.CreateDataset("bias", []int{cout}, make([]float32, cout))
		n.CreateStrings("padding", nil, []string{padding})
		n.CreateDataset("stride", []int{2}, []int64{1, 1})
	}
	conv("same", "same", 1, 2)
	conv("valid", "valid", 2, 2)
	for _, name := range []string{"if1", "if2"} {
		n := node(name, "IF")
		n.CreateDataset("r", nil, 1.0) // scalar parameters, broadcast
		n.CreateDataset("v_threshold", nil, 1.0)
	}
	fl := node("flat", "Flatten")
	fl.CreateDataset("start_dim", nil, int64(0))
	fl.CreateDataset("end_dim", nil, int64(-1))
	port(fl, "input_type", "input", []int64{}) // empty: says nothing
	fc := node("fc", "Linear")
	fc.CreateDataset("weight", []int{3, 32}, make([]float32, 96))
	port(node("output", "Output"), "output_type", "output", []int64{3})
	g.CreateStrings("edges", []int{7, 2}, []string{"input", "same", "same", "if1", "if1", "valid", "valid", "if2", "if2", "flat", "flat", "fc", "fc", "output"})
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := nir.Decode("newer.nir", b)
	if err != nil {
		t.Fatal(err)
	}
	if s := f.Graph.Nodes["flat"].OutShape; len(s) != 1 || s[0] != 32 {
		t.Errorf("Flatten's shape from the edges: %v, want [32]", s)
	}
	m, err := nir.Import(f, nir.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int{{2, 6, 6}, {2, 4, 4}, {32}, {3}}
	for i, l := range m.Layers {
		if !equalInts(l.OutShape, want[i]) {
			t.Errorf("layer %d (%s) out %v, want %v", i, l.Name, l.OutShape, want[i])
		}
	}
	if m.Layers[0].Padding != [2]int{1, 1} || m.Layers[1].Padding != [2]int{} || m.Readout.Kind != ir.ReadoutMeanCurrent {
		t.Errorf("paddings %v %v readout %v, want same → 1, valid → 0, mean current", m.Layers[0].Padding, m.Layers[1].Padding, m.Readout.Kind)
	}
}
