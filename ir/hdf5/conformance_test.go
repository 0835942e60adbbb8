package hdf5

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// expectedFile is one file's entry in testdata/expected.json, which
// testdata/make_fixtures.py wrote with h5py.
type expectedFile struct {
	Libver   string                              `json:"libver"`
	Groups   map[string][]string                 `json:"groups"`
	Datasets map[string]expectedValue            `json:"datasets"`
	Attrs    map[string]map[string]expectedValue `json:"attrs"`
}

type expectedValue struct {
	Shape  []uint64 `json:"shape"`
	Dtype  string   `json:"dtype"`
	Layout string   `json:"layout"`
	Chunks []uint64 `json:"chunks"`
	Values []any    `json:"values"`
}

func loadExpected(t *testing.T) map[string]expectedFile {
	t.Helper()
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files map[string]expectedFile `json:"files"`
	}
	dec := json.NewDecoder(bytesReader(b))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc.Files
}

// TestConformance reads every file h5py wrote (both libver settings) and
// compares the tree, every dataset and every attribute value for value.
func TestConformance(t *testing.T) {
	for name, want := range loadExpected(t) {
		t.Run(name, func(t *testing.T) {
			f, err := Open(filepath.Join("testdata", "conformance", name))
			if err != nil {
				t.Fatal(err)
			}
			wantSB := map[string]int{"earliest": 0, "v108": 2, "latest": 3}[want.Libver]
			if f.Superblock != wantSB {
				t.Errorf("superblock %d, want %d", f.Superblock, wantSB)
			}
			compareWithExpected(t, f, want)
		})
	}
}

// compareWithExpected compares a decoded file with what h5py read from it.
func compareWithExpected(t *testing.T, f *File, want expectedFile) {
	t.Helper()
	var err error
	for path, members := range want.Groups {
		g := f.Root
		if path != "/" {
			if g, err = f.Root.Group(path); err != nil {
				t.Errorf("group %s: %v", path, err)
				continue
			}
		}
		if got := g.Names(); !reflect.DeepEqual(got, members) && !(len(got) == 0 && len(members) == 0) {
			t.Errorf("group %s: members %v, want %v", path, got, members)
		}
	}
	for path, w := range want.Datasets {
		ds, err := f.Root.Dataset(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if ds.Layout != w.Layout {
			t.Errorf("%s: layout %s, want %s", path, ds.Layout, w.Layout)
		}
		if w.Chunks != nil && !reflect.DeepEqual(ds.Chunk, w.Chunks) {
			t.Errorf("%s: chunks %v, want %v", path, ds.Chunk, w.Chunks)
		}
		compareValue(t, path, ds.Shape, ds.Datatype, &ds.values, w)
	}
	for path, attrs := range want.Attrs {
		var list []*Attr
		if m, err := f.Root.Member(path); err != nil {
			t.Errorf("%v", err)
			continue
		} else if g, ok := m.(*Group); ok {
			list = g.Attrs
		} else {
			list = m.(*Dataset).Attrs
		}
		if len(list) != len(attrs) {
			t.Errorf("%s: %d attributes, want %d", path, len(list), len(attrs))
		}
		for name, w := range attrs {
			a, err := findAttr(path, list, name)
			if err != nil {
				t.Errorf("%v", err)
				continue
			}
			compareValue(t, path+" @"+name, a.Shape, a.Datatype, &a.values, w)
		}
	}
}

func compareValue(t *testing.T, path string, shape []uint64, dt *Datatype, v *values, w expectedValue) {
	t.Helper()
	if len(shape) != len(w.Shape) || (len(shape) > 0 && !reflect.DeepEqual(shape, w.Shape)) {
		t.Errorf("%s: shape %v, want %v", path, shape, w.Shape)
		return
	}
	if dt.String() != w.Dtype {
		t.Errorf("%s: dtype %s, want %s", path, dt, w.Dtype)
		return
	}
	if v.Len() != len(w.Values) {
		t.Errorf("%s: %d values, want %d", path, v.Len(), len(w.Values))
		return
	}
	fail := func(i int, got, want any) { t.Errorf("%s[%d] = %v, want %v", path, i, got, want) }
	switch dt.Class {
	case ClassString, ClassVarString:
		got, err := v.Strings()
		if err != nil {
			t.Errorf("%v", err)
			return
		}
		for i, s := range got {
			if s != w.Values[i] {
				fail(i, s, w.Values[i])
			}
		}
	case ClassVarSeq:
		got, err := v.VarLenFloat64s()
		if err != nil {
			t.Errorf("%v", err)
			return
		}
		for i, row := range got {
			want := w.Values[i].([]any)
			if len(row) != len(want) {
				fail(i, row, want)
				continue
			}
			for j, x := range row {
				if y := jsonNumber(t, want[j]); x != y {
					fail(i, row, want)
					break
				}
			}
		}
		if dt.Base.Class == ClassInteger && !dt.Base.Signed && dt.Base.Size == 2 {
			u, err := v.VarLenUint16s()
			if err != nil || len(u) != len(got) {
				t.Errorf("%s: VarLenUint16s: %v", path, err)
			}
		}
	case ClassFloat:
		got, err := v.Float64s()
		if err != nil {
			t.Errorf("%v", err)
			return
		}
		for i, x := range got {
			if y := jsonNumber(t, w.Values[i]); x != y && !(math.IsNaN(x) && math.IsNaN(y)) || math.Signbit(x) != math.Signbit(y) {
				fail(i, x, y)
			}
		}
	case ClassInteger, ClassEnum:
		signed := dt.Signed || (dt.Base != nil && dt.Base.Signed)
		if signed {
			got, err := v.Int64s()
			if err != nil {
				t.Errorf("%v", err)
				return
			}
			for i, x := range got {
				if n, ok := w.Values[i].(json.Number); (ok && strconv.FormatInt(x, 10) != string(n)) || (!ok && !isBool(x, w.Values[i])) {
					fail(i, x, w.Values[i])
				}
			}
		} else {
			got, err := v.Uint64s()
			if err != nil {
				t.Errorf("%v", err)
				return
			}
			for i, x := range got {
				if strconv.FormatUint(x, 10) != string(w.Values[i].(json.Number)) {
					fail(i, x, w.Values[i])
				}
			}
		}
	default:
		t.Errorf("%s: unexpected class %v", path, dt)
	}
}

func isBool(x int64, v any) bool {
	b, ok := v.(bool)
	return ok && (x != 0) == b
}

func jsonNumber(t *testing.T, v any) float64 {
	switch v {
	case "inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	case "nan":
		return math.NaN()
	}
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("not a number: %v", v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestConformanceCoverage checks that the corpus exercises every storage
// kind the package claims to read, so that TestConformance means something.
func TestConformanceCoverage(t *testing.T) {
	seen := map[string]bool{}
	var walk func(g *Group)
	walk = func(g *Group) {
		seen["group "+g.Storage] = true
		for _, ds := range g.Datasets() {
			seen["layout "+ds.Layout] = true
			seen["index "+ds.ChunkIndex] = true
			for _, f := range ds.Filters {
				seen["filter "+f] = true
			}
			seen["class "+ds.Datatype.String()] = true
		}
		for _, s := range g.Groups() {
			walk(s)
		}
	}
	files, _ := filepath.Glob("testdata/conformance/*.h5")
	for _, name := range files {
		f, err := Open(name)
		if err != nil {
			t.Fatal(err)
		}
		seen["superblock "+strconv.Itoa(f.Superblock)] = true
		walk(f.Root)
	}
	for _, want := range []string{"superblock 0", "superblock 2", "superblock 3", "group symbol table", "group compact", "group dense",
		"layout compact", "layout contiguous", "layout chunked", "index btree1", "index single chunk", "index fixed array",
		"index extensible array", "index btree2", "filter deflate", "filter shuffle", "filter fletcher32",
		"class vlen string", "class vlen float32", "class vlen float16", "class float16", "class vlen uint16", "class string[5]", "class int64be"} {
		if !seen[want] {
			t.Errorf("the corpus has no %s", want)
		}
	}
}
