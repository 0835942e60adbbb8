package hdf5

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeCase is one dataset the writer tests write and read back.
type writeCase struct {
	path  string
	shape []int // nil: scalar (numbers, strings) or one-dimensional (vlen)
	data  any
}

var writeCases = []writeCase{
	{"version", nil, []string{"0.2.0"}},
	{"node/type", nil, []string{"NIRGraph"}},
	{"node/edges", []int{3, 2}, []string{"input", "0", "0", "1", "1", "output"}},
	{"node/nodes/0/weight", []int{2, 3}, []float32{1, -2.5, 3e-8, float32(math.Pi), 0, -0}},
	{"node/nodes/0/bias", []int{2}, []float64{math.E, -1e300}},
	{"node/nodes/1/tau", nil, 0.0025},
	{"node/nodes/1/groups", nil, int64(-3)},
	{"node/nodes/1/cube", []int{2, 2, 2}, []int32{-1 << 31, 1<<31 - 1, 0, 1, 2, 3, 4, 5}},
	{"ints/i8", []int{4}, []int8{-128, 127, 0, -1}},
	{"ints/i16", []int{2}, []int16{-32768, 32767}},
	{"ints/i64", []int{2}, []int64{math.MinInt64, math.MaxInt64}},
	{"ints/u8", []int{3}, []uint8{0, 255, 7}},
	{"ints/u16", []int{2}, []uint16{0, 65535}},
	{"ints/u32", []int{2}, []uint32{0, 1<<32 - 1}},
	{"ints/u64", []int{2}, []uint64{0, 1<<63 - 1}},
	{"ints/empty", []int{0, 3}, []float32{}},
	{"strings/unicode", []int{3}, []string{"ünïcode", "", "a longer string with spaces"}},
	{"spikes/times", nil, [][]float32{{0.001, 0.5, 0.75}, {}, {1}}},
	{"spikes/units", nil, [][]uint16{{3, 699, 0}, {}, {65535}}},
	{"spikes/times64", nil, [][]float64{{1e-9, math.Pi}, {2}}},
	{"labels", []int{3}, []uint16{3, 19, 0}},
	// More objects than one global heap collection holds (65535), and one
	// object larger than the writer's 1 MiB collection target.
	{"spikes/many", nil, manyRows(70000)},
	{"spikes/big", nil, [][]float64{bigRow(150000), {1}}},
}

func manyRows(n int) [][]uint16 {
	rows := make([][]uint16, n)
	for i := range rows {
		rows[i] = []uint16{uint16(i)}
	}
	return rows
}

func bigRow(n int) []float64 {
	row := make([]float64, n)
	for i := range row {
		row[i] = float64(i) / 3
	}
	return row
}

// buildWriteCases writes writeCases plus attributes into a Writer.
func buildWriteCases(t *testing.T) *Writer {
	t.Helper()
	w := NewWriter()
	groups := map[string]*WGroup{"": w.Root()}
	var group func(dir string) *WGroup
	group = func(dir string) *WGroup {
		if g, ok := groups[dir]; ok {
			return g
		}
		parent, name := "", dir
		if i := strings.LastIndexByte(dir, '/'); i >= 0 {
			parent, name = dir[:i], dir[i+1:]
		}
		g, err := group(parent).CreateGroup(name)
		if err != nil {
			t.Fatal(err)
		}
		groups[dir] = g
		return g
	}
	for _, c := range writeCases {
		dir, name := "", c.path
		if i := strings.LastIndexByte(c.path, '/'); i >= 0 {
			dir, name = c.path[:i], c.path[i+1:]
		}
		g := group(dir)
		var err error
		switch d := c.data.(type) {
		case []string:
			_, err = g.CreateStrings(name, c.shape, d)
		case [][]float32, [][]float64, [][]uint16:
			_, err = g.CreateVarLen(name, d)
		default:
			_, err = g.CreateDataset(name, c.shape, d)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Root().SetAttr("title", nil, "written by snnc"))
	must(w.Root().SetAttr("scale", nil, 0.5))
	must(w.Root().SetAttr("dims", nil, []int32{1, 2, 3}))
	must(w.Root().SetAttr("names", nil, []string{"a", "bc"}))
	ds, err := groups["spikes"].CreateDataset("count", nil, uint32(3))
	must(err)
	must(ds.SetAttr("unit", nil, "spikes"))
	must(ds.SetAttr("matrix", []int{2, 2}, []float64{1, 2, 3, 4}))
	many, err := w.Root().CreateGroup("many")
	must(err)
	for i := 0; i < 40; i++ {
		_, err := many.CreateGroup(fmt.Sprintf("g%02d", i))
		must(err)
		must(many.SetAttr(fmt.Sprintf("a%02d", i), nil, int64(i)))
	}
	return w
}

// TestWriterRoundTrip reads the writer's file with this package's reader.
func TestWriterRoundTrip(t *testing.T) {
	b, err := buildWriteCases(t).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	f, err := Decode("written.h5", b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Superblock != 2 {
		t.Errorf("superblock %d, want 2", f.Superblock)
	}
	for _, c := range writeCases {
		ds, err := f.Root.Dataset(c.path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := readLike(&ds.values, c.data)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		want := c.data
		if reflect.TypeOf(want).Kind() != reflect.Slice {
			want = reflect.Append(reflect.MakeSlice(reflect.SliceOf(reflect.TypeOf(want)), 0, 1), reflect.ValueOf(want)).Interface()
		}
		if !sameValues(got, want) {
			t.Errorf("%s = %v, want %v", c.path, got, want)
		}
		wantShape := c.shape
		if v := reflect.ValueOf(c.data); v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Slice {
			wantShape = []int{v.Len()} // variable-length: one-dimensional
		}
		if len(ds.Shape) != len(wantShape) || (len(wantShape) > 0 && fmt.Sprint(ds.Shape) != fmt.Sprint(wantShape)) {
			t.Errorf("%s: shape %v, want %v", c.path, ds.Shape, wantShape)
		}
	}
	a, err := f.Root.Attr("names")
	if err != nil {
		t.Fatal(err)
	}
	if s, err := a.Strings(); err != nil || !reflect.DeepEqual(s, []string{"a", "bc"}) {
		t.Errorf("@names = %v, %v", s, err)
	}
	many, err := f.Root.Group("many")
	if err != nil || len(many.Groups()) != 40 || len(many.Attrs) != 40 {
		t.Fatalf("many: %v", err)
	}
	if v, err := many.Attrs[39].Int64s(); err != nil || v[0] != 39 {
		t.Errorf("many @a39 = %v, %v", v, err)
	}
}

// readLike reads v with the typed reader matching the Go type of like.
func readLike(v *values, like any) (any, error) {
	switch like.(type) {
	case []string:
		return v.Strings()
	case [][]float32:
		return v.VarLenFloat32s()
	case [][]float64:
		return v.VarLenFloat64s()
	case [][]uint16:
		return v.VarLenUint16s()
	case []float32:
		return v.Float32s()
	case []float64, float64:
		return v.Float64s()
	case []uint64, []uint32, []uint16, []uint8:
		u, err := v.Uint64s()
		if err != nil {
			return nil, err
		}
		out := reflect.MakeSlice(reflect.TypeOf(like), len(u), len(u))
		for i, x := range u {
			out.Index(i).SetUint(x)
		}
		return out.Interface(), nil
	default:
		s, err := v.Int64s()
		if err != nil {
			return nil, err
		}
		t := reflect.TypeOf(like)
		if t.Kind() != reflect.Slice {
			t = reflect.SliceOf(t)
		}
		out := reflect.MakeSlice(t, len(s), len(s))
		for i, x := range s {
			out.Index(i).SetInt(x)
		}
		return out.Interface(), nil
	}
}

// sameValues compares slices element for element (float bits included, so
// -0 and NaN are exact), treating nil and empty inner slices alike.
func sameValues(a, b any) bool {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	if va.Kind() != reflect.Slice || vb.Kind() != reflect.Slice || va.Len() != vb.Len() {
		return false
	}
	for i := 0; i < va.Len(); i++ {
		x, y := va.Index(i), vb.Index(i)
		switch x.Kind() {
		case reflect.Slice:
			if !sameValues(x.Interface(), y.Interface()) {
				return false
			}
		case reflect.Float32, reflect.Float64:
			if math.Float64bits(x.Float()) != math.Float64bits(y.Float()) {
				return false
			}
		default:
			if x.Interface() != y.Interface() {
				return false
			}
		}
	}
	return true
}

// h5pyPython is Debian's python3 with python3-h5py (the PATH python3 may
// be another one).
const h5pyPython = "/usr/bin/python3"

func haveH5py(t *testing.T) {
	t.Helper()
	if err := exec.Command(h5pyPython, "-c", "import h5py").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("h5py is missing (%s -c 'import h5py': %v); CI installs python3-h5py", h5pyPython, err)
		}
		t.Skipf("h5py is missing (%v); install python3-h5py to run the oracle", err)
	}
}

// TestWriterH5pyOracle writes a file with the Go writer and has h5py
// (libhdf5) read it back: every dataset and attribute must come back value
// for value.
func TestWriterH5pyOracle(t *testing.T) {
	haveH5py(t)
	path := filepath.Join(t.TempDir(), "written.h5")
	if err := buildWriteCases(t).WriteFile(path); err != nil {
		t.Fatal(err)
	}
	got := h5pyRead(t, path)[path]
	for _, c := range writeCases {
		p := "/" + c.path
		v, ok := got.Datasets[p]
		if !ok {
			t.Errorf("h5py sees no dataset %s", p)
			continue
		}
		checkH5pyValues(t, p, v, c.data)
		if c.shape != nil && fmt.Sprint(v.Shape) != fmt.Sprint(c.shape) {
			t.Errorf("%s: h5py shape %v, want %v", p, v.Shape, c.shape)
		}
	}
	if n := len(got.Groups["/many"]); n != 40 {
		t.Errorf("h5py sees %d members in /many, want 40", n)
	}
	if n := len(got.Attrs["/many"]); n != 40 {
		t.Errorf("h5py sees %d attributes on /many, want 40", n)
	}
	checkH5pyValues(t, "/ @names", got.Attrs["/"]["names"], []string{"a", "bc"})
	checkH5pyValues(t, "/ @title", got.Attrs["/"]["title"], []string{"written by snnc"})
	checkH5pyValues(t, "/ @dims", got.Attrs["/"]["dims"], []int32{1, 2, 3})
	checkH5pyValues(t, "/spikes/count @matrix", got.Attrs["/spikes/count"]["matrix"], []float64{1, 2, 3, 4})
	checkH5pyValues(t, "/spikes/count @unit", got.Attrs["/spikes/count"]["unit"], []string{"spikes"})
}

// h5pyRead has h5py describe the files (testdata/h5json.py), by name.
func h5pyRead(t *testing.T, names ...string) map[string]expectedFile {
	t.Helper()
	out, err := exec.Command(h5pyPython, append([]string{"testdata/h5json.py"}, names...)...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("h5py cannot read %v: %v\n%s", names, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var got map[string]expectedFile
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

// checkH5pyValues compares the values h5py printed with the Go data.
func checkH5pyValues(t *testing.T, path string, v expectedValue, data any) {
	t.Helper()
	want := reflect.ValueOf(data)
	if want.Kind() != reflect.Slice {
		want = reflect.Append(reflect.MakeSlice(reflect.SliceOf(want.Type()), 0, 1), want)
	}
	if len(v.Values) != want.Len() {
		t.Errorf("%s: h5py reads %d values, want %d", path, len(v.Values), want.Len())
		return
	}
	same := func(got any, w reflect.Value) bool {
		switch w.Kind() {
		case reflect.String:
			return got == w.String()
		case reflect.Float32:
			return float32(jsonNumber(t, got)) == float32(w.Float()) && math.Signbit(jsonNumber(t, got)) == math.Signbit(w.Float())
		case reflect.Float64:
			return jsonNumber(t, got) == w.Float() && math.Signbit(jsonNumber(t, got)) == math.Signbit(w.Float())
		default:
			return string(got.(json.Number)) == fmt.Sprint(w.Interface())
		}
	}
	for i := 0; i < want.Len(); i++ {
		w := want.Index(i)
		if w.Kind() == reflect.Slice {
			row, _ := v.Values[i].([]any)
			ok := len(row) == w.Len()
			for j := 0; ok && j < w.Len(); j++ {
				ok = same(row[j], w.Index(j))
			}
			if !ok {
				t.Errorf("%s[%d]: h5py reads %v, want %v", path, i, v.Values[i], w.Interface())
			}
		} else if !same(v.Values[i], w) {
			t.Errorf("%s[%d]: h5py reads %v, want %v", path, i, v.Values[i], w.Interface())
		}
	}
}

// TestWriteFileAtomic: WriteFile leaves the target (mode 0644) and nothing
// else, and replaces an existing file whole.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.h5")
	if err := os.WriteFile(path, []byte("old contents"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := NewWriter()
	if _, err := w.Root().CreateDataset("x", []int{2}, []int16{1, -1}); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "out.h5" {
		t.Errorf("directory holds %v, want only out.h5", entries)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("out.h5 has mode %v (%v), want 0644 as other written files", fi.Mode(), err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if ds, err := f.Root.Dataset("x"); err != nil || ds.Datatype.String() != "int16" {
		t.Errorf("x: %v %v", ds, err)
	}
	if err := w.WriteFile(filepath.Join(dir, "missing", "out.h5")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
