package shd

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/hdf5"
)

// fixtureFile holds the samples testdata/make_fixture.py writes with h5py.
// Its float16 times are exact in float32.
func fixtureFile() *File {
	return &File{
		Sets: []events.SpikeSet{
			{Times: []float32{0, 0.0010004044, 0.25, 0.5}, Units: []uint16{0, 699, 3, 3}, Label: 5},
			{Times: []float32{}, Units: []uint16{}, Label: 0},
			{Times: []float32{0.125, 1}, Units: []uint16{42, 7}, Label: 19},
		},
		Keys:     []string{"zero", "eins", "neun"},
		Speakers: []int{1, 2, 1},
	}
}

// TestH5pyFileReadsLikeOurs: the SHD-layout file h5py wrote (float16 times,
// as the published SHD files) and the file snnc writes from the same samples
// read back identically.
func TestH5pyFileReadsLikeOurs(t *testing.T) {
	theirs, err := ReadFile("testdata/h5py_shd.h5")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(fixtureFile())
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Decode("ours.h5", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(theirs, ours) {
		t.Errorf("h5py's file reads\n%+v\nsnnc's reads\n%+v", theirs, ours)
	}
	if !reflect.DeepEqual(ours, fixtureFile()) {
		t.Errorf("round trip: %+v", ours)
	}
	if theirs.Channels() != 700 {
		t.Errorf("channels %d, want 700", theirs.Channels())
	}
}

// TestH5pyReadsOurFile: libhdf5 (through h5py) reads snnc's SHD file to the
// same values (skipped without python3-h5py unless CI=true).
func TestH5pyReadsOurFile(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import h5py").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3-h5py missing under CI")
		}
		t.Skip("python3-h5py not installed")
	}
	path := filepath.Join(t.TempDir(), "ours.h5")
	if err := WriteFile(path, fixtureFile()); err != nil {
		t.Fatal(err)
	}
	script := `import h5py, sys
f = h5py.File(sys.argv[1], "r")
for t, u, l in zip(f["spikes/times"], f["spikes/units"], f["labels"]):
    print(int(l), " ".join("%d:%.7g" % (a, b) for a, b in zip(u, t)))
print(" ".join(k.decode() if isinstance(k, bytes) else k for k in f["extra/keys"]), list(map(int, f["extra/speaker"])))
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, path).CombinedOutput()
	if err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	want := "5 0:0 699:0.001000404 3:0.25 3:0.5\n0 \n19 42:0.125 7:1\nzero eins neun [1, 2, 1]\n"
	if string(out) != want {
		t.Errorf("h5py read\n%q\nwant\n%q", out, want)
	}
}

func TestDecodeOtherLayouts(t *testing.T) {
	nirLike := func() []byte {
		w := hdf5.NewWriter()
		g, _ := w.Root().CreateGroup("node")
		g.CreateStrings("type", nil, []string{"NIRGraph"})
		b, err := w.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mismatched := func() []byte {
		w := hdf5.NewWriter()
		s, _ := w.Root().CreateGroup("spikes")
		s.CreateVarLen("times", [][]float32{{0.1, 0.2}})
		s.CreateVarLen("units", [][]uint16{{1}})
		w.Root().CreateDataset("labels", []int{1}, []uint8{3})
		b, _ := w.Bytes()
		return b
	}
	negative := func() []byte {
		w := hdf5.NewWriter()
		s, _ := w.Root().CreateGroup("spikes")
		s.CreateVarLen("times", [][]float32{{-0.5}})
		s.CreateVarLen("units", [][]uint16{{1}})
		w.Root().CreateDataset("labels", []int{1}, []uint8{3})
		b, _ := w.Bytes()
		return b
	}
	cases := []struct {
		desc, field string
		b           []byte
		want        error
	}{
		{"a NIR graph", "spikes/times", nirLike(), events.ErrLayout},
		{"units shorter than times", "spikes/units[0]", mismatched(), events.ErrLayout},
		{"a negative spike time", "spikes/times[0][0]", negative(), events.ErrRange},
	}
	for _, c := range cases {
		_, err := Decode("x.h5", c.b)
		var fe *events.FormatError
		if !errors.As(err, &fe) || !errors.Is(err, c.want) || fe.Field != c.field || fe.File != "x.h5" {
			t.Errorf("%s: got %v, want a *events.FormatError on x.h5 %s matching %v", c.desc, err, c.field, c.want)
		}
	}
	_, err := Decode("y.h5", []byte("not hdf5 at all"))
	var he *hdf5.FormatError
	if !errors.As(err, &he) || !strings.HasPrefix(err.Error(), "shd: hdf5: y.h5") {
		t.Errorf("not HDF5: %v", err)
	}
}

// FuzzDecode: the SHD layer over ir/hdf5 never panics, and what it accepts
// converts to events.
func FuzzDecode(f *testing.F) {
	b, _ := Encode(fixtureFile())
	f.Add(b)
	if fx, err := os.ReadFile("testdata/h5py_shd.h5"); err == nil {
		f.Add(fx)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode("fuzz.h5", b)
		if err != nil {
			return
		}
		for _, s := range file.Sets {
			if _, err := s.Events(1 << 16); err != nil {
				t.Fatalf("accepted sample does not convert: %v", err)
			}
		}
	})
}
