package hdf5_test

import (
	"fmt"
	"log"

	"github.com/snnc/snnc/ir/hdf5"
)

// A NIR-shaped file written and read back.
func Example() {
	w := hdf5.NewWriter()
	w.Root().CreateStrings("version", nil, []string{"0.2.0"})
	node, _ := w.Root().CreateGroup("node")
	node.CreateStrings("type", nil, []string{"NIRGraph"})
	node.CreateStrings("edges", []int{2, 2}, []string{"input", "lif", "lif", "output"})
	lif, _ := node.CreateGroup("lif")
	tau, _ := lif.CreateDataset("tau", []int{2}, []float32{0.0025, 0.005})
	tau.SetAttr("unit", nil, "s")
	b, err := w.Bytes()
	if err != nil {
		log.Fatal(err)
	}

	f, err := hdf5.Decode("graph.nir", b)
	if err != nil {
		log.Fatal(err)
	}
	edges, _ := f.Root.Dataset("node/edges")
	e, _ := edges.Strings()
	ds, _ := f.Root.Dataset("node/lif/tau")
	v, _ := ds.Float64s()
	unit, _ := ds.Attr("unit")
	u, _ := unit.String()
	fmt.Println(f.Root.Names(), edges.Shape, e)
	fmt.Println(ds.Shape, ds.Datatype, v, u)
	// Output:
	// [node version] [2 2] [input lif lif output]
	// [2] float32 [0.0024999999441206455 0.004999999888241291] s
}
