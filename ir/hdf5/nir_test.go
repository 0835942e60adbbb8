package hdf5

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRealNIRFiles lists the node tree of the real NIR files and reads
// every dataset, checking the values the NIR paper's files are known to
// hold (see testdata/nir/SOURCE.md).
func TestRealNIRFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/nir/*.nir")
	if len(files) != 4 {
		t.Fatalf("want 4 NIR fixtures, found %d", len(files))
	}
	trees := map[string]*File{}
	for _, name := range files {
		f, err := Open(name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Superblock != 0 {
			t.Errorf("%s: superblock %d, want 0", name, f.Superblock)
		}
		var sb strings.Builder
		if err := describe(f.Root, &sb); err != nil {
			t.Fatal(err)
		}
		trees[filepath.Base(name)] = f
	}
	check := func(file, path string, want any) {
		t.Helper()
		ds, err := trees[file].Root.Dataset(path)
		if err != nil {
			t.Error(err)
			return
		}
		got, err := readLike(&ds.values, want)
		if err != nil {
			t.Errorf("%s %s: %v", file, path, err)
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s %s = %v, want %v", file, path, got, want)
		}
	}
	check("lif_norse.nir", "version", []string{"0.1.1"})
	check("lif_norse.nir", "node/type", []string{"NIRGraph"})
	check("lif_norse.nir", "node/edges", []string{"input", "0", "0", "1", "1", "output"})
	check("lif_norse.nir", "node/nodes/1/tau", []float32{0.0025})
	check("lif_norse.nir", "node/nodes/1/v_threshold", []float32{0.1})
	check("lif_norse.nir", "node/nodes/0/weight", []float32{1})
	check("lif_rockpool.nir", "node/nodes/0_LinearTorch/weight", []float32{0.04})
	check("two_lif_neurons.nir", "node/nodes/lif1/v_leak", []float64{1.2})
	check("two_lif_neurons.nir", "node/nodes/lif2/v_threshold", []float64{20})
	check("cnn_sinabs.nir", "node/nodes/0/stride", []int64{2, 2})
	check("cnn_sinabs.nir", "node/nodes/8/end_dim", []int64{-1})
	check("cnn_sinabs.nir", "node/nodes/input/shape", []int64{2, 34, 34})
	nodes, err := trees["cnn_sinabs.nir"].Root.Group("node/nodes")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(nodes.Groups()); n != 15 {
		t.Errorf("cnn_sinabs.nir: %d nodes, want 15 (0–12, input, output)", n)
	}
	w, err := nodes.Dataset("0/weight")
	if err != nil || !reflect.DeepEqual(w.Shape, []uint64{16, 2, 5, 5}) || w.Datatype.String() != "float32" {
		t.Errorf("cnn_sinabs.nir conv weight: %v %v %v", err, w.Shape, w.Datatype)
	}
}

// TestRealNIRFilesMatchH5py compares everything in the real NIR files with
// what h5py reads from them.
func TestRealNIRFilesMatchH5py(t *testing.T) {
	haveH5py(t)
	files, _ := filepath.Glob("testdata/nir/*.nir")
	all := h5pyRead(t, files...)
	for _, name := range files {
		want := all[name]
		if len(want.Datasets) == 0 {
			t.Fatalf("%s: h5py lists no datasets", name)
		}
		f, err := Open(name)
		if err != nil {
			t.Fatal(err)
		}
		compareWithExpected(t, f, want)
	}
}
