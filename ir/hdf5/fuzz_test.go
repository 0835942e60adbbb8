package hdf5

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// readEverything decodes b and reads every dataset and attribute with
// every reader; errors are expected for bad input, panics are not.
func readEverything(name string, b []byte) error {
	f, err := Decode(name, b)
	if err != nil {
		return err
	}
	seen := map[*Group]bool{}
	var walk func(g *Group)
	readAll := func(v *values) {
		v.Float64s()
		v.Float32s()
		v.Int64s()
		v.Uint64s()
		v.Strings()
		v.VarLenFloat64s()
		v.VarLenUint16s()
	}
	walk = func(g *Group) {
		if seen[g] {
			return
		}
		seen[g] = true
		for _, a := range g.Attrs {
			readAll(&a.values)
		}
		for _, ds := range g.Datasets() {
			readAll(&ds.values)
			for _, a := range ds.Attrs {
				readAll(&a.values)
			}
		}
		for _, s := range g.Groups() {
			walk(s)
		}
	}
	walk(f.Root)
	return nil
}

// fuzzSeeds are the small fixtures: the real NIR files, the smaller
// conformance files and a file of the writer.
func fuzzSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	names, _ := filepath.Glob("testdata/nir/*.nir")
	more, _ := filepath.Glob("testdata/conformance/*.h5")
	for _, n := range append(names, more...) {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) <= 64<<10 {
			seeds[n] = b
		}
	}
	w := NewWriter()
	g, _ := w.Root().CreateGroup("spikes")
	g.CreateVarLen("times", [][]float32{{0.5, 1}, {}})
	g.CreateStrings("edges", []int{1, 2}, []string{"a", "b"})
	w.Root().SetAttr("x", nil, 1.5)
	b, err := w.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	seeds["writer"] = b
	return seeds
}

// FuzzDecode: Decode and every reader on arbitrary bytes return errors,
// never panic (the recovered-panic counter must stay 0), and never
// allocate beyond the bounds of doc.go.
func FuzzDecode(f *testing.F) {
	for _, b := range fuzzSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		before := decodePanics.Load()
		err := readEverything("fuzz.h5", b)
		var fe *FormatError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if decodePanics.Load() != before {
			t.Fatalf("a panic was recovered: %v", err)
		}
	})
}

// TestCorruptedRealFiles truncates the real NIR files and flips bytes in
// them: every result is a FormatError or a valid file, never a panic.
func TestCorruptedRealFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/nir/*.nir")
	files = append(files, "testdata/conformance/vlen_latest.h5", "testdata/conformance/basic_latest.h5")
	for _, name := range files {
		orig, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		before := decodePanics.Load()
		check := func(what string, b []byte) {
			err := readEverything(name, b)
			var fe *FormatError
			if err != nil && !errors.As(err, &fe) {
				t.Errorf("%s %s: error of type %T: %v", name, what, err, err)
			}
		}
		step := max(1, len(orig)/150)
		for n := 0; n < len(orig); n += step {
			check("truncated", orig[:n])
		}
		b := make([]byte, len(orig))
		for i := 0; i < len(orig); i += step {
			for _, x := range []byte{0xff, 0x01, 0x80} {
				copy(b, orig)
				b[i] ^= x
				check("flipped", b)
			}
		}
		if n := decodePanics.Load() - before; n != 0 {
			t.Errorf("%s: %d panics recovered", name, n)
		}
	}
}
