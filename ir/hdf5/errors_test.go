package hdf5

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
)

// rootOnly builds a file whose root group object header holds the
// messages msgs returns for the root's own address.
func rootOnly(t *testing.T, msgs func(root uint64) []wmsg) []byte {
	t.Helper()
	e := &encoder{buf: make([]byte, superblockSize)}
	root, err := e.header("/", msgs(superblockSize), 0)
	if err != nil || root != superblockSize {
		t.Fatalf("root at %d: %v", root, err)
	}
	b := append([]byte(nil), signature...)
	b = append(b, 2, 8, 8, 0)
	b = binary.LittleEndian.AppendUint64(b, 0)
	b = binary.LittleEndian.AppendUint64(b, undef)
	b = binary.LittleEndian.AppendUint64(b, uint64(len(e.buf)))
	b = binary.LittleEndian.AppendUint64(b, root)
	b = binary.LittleEndian.AppendUint32(b, lookup3(b))
	copy(e.buf, b)
	return e.buf
}

func TestErrors(t *testing.T) {
	nir, err := os.ReadFile("testdata/nir/lif_norse.nir")
	if err != nil {
		t.Fatal(err)
	}
	good, err := buildWriteCases(t).Bytes()
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), good...)
	flipped[20] ^= 1 // inside the superblock: its checksum no longer matches
	linkInfo := wmsg{msgLinkInfo, append([]byte{0, 0}, addrBytes(undef, undef)...)}
	cases := []struct {
		name  string
		b     []byte
		want  error
		field string
	}{
		{"empty file", nil, ErrCorrupt, "superblock"},
		{"not HDF5", []byte("just some text, long enough to be searched"), ErrCorrupt, "superblock"},
		{"truncated superblock", nir[:40], ErrTruncated, "superblock v0"},
		{"truncated after the root header", nir[:200], ErrTruncated, "symbol table"},
		{"superblock checksum", flipped, ErrChecksum, "superblock v2"},
		{"group containing itself", rootOnly(t, func(root uint64) []wmsg {
			return []wmsg{linkInfo, {msgLink, linkMessage("self", root)}}
		}), ErrCycle, "object header"},
		{"continuation to its own header", rootOnly(t, func(root uint64) []wmsg {
			return []wmsg{linkInfo, {msgContinuation, addrBytes(root, 64)}}
		}), ErrCycle, "object header"},
		{"link past the end", rootOnly(t, func(root uint64) []wmsg {
			return []wmsg{linkInfo, {msgLink, linkMessage("far", 1<<40)}}
		}), ErrTruncated, "object header"},
		{"bad link name", rootOnly(t, func(root uint64) []wmsg {
			return []wmsg{linkInfo, {msgLink, linkMessage("a/b", root)}}
		}), ErrCorrupt, "link message"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode("bad.h5", c.b)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FormatError", err, err)
			}
			if !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if fe.File != "bad.h5" || fe.Field != c.field {
				t.Errorf("file %q field %q, want bad.h5 and %q (%v)", fe.File, fe.Field, c.field, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "hdf5: bad.h5: ") || strings.Contains(msg, "\n") {
				t.Errorf("message %q is not one line starting with the package and the file", msg)
			}
		})
	}
}

// TestClaimedHugeDataset: a dataspace claiming 2^40 elements in a 17 KB
// file is ErrTooLarge when read, not an allocation.
func TestClaimedHugeDataset(t *testing.T) {
	b, err := os.ReadFile("testdata/nir/lif_norse.nir")
	if err != nil {
		t.Fatal(err)
	}
	// Version 1 dataspaces of shape [1] with maximum dimensions [1].
	one := []byte{1, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}
	n := bytes.Count(b, one)
	if n == 0 {
		t.Fatal("no [1]-shaped dataspace found")
	}
	b = bytes.ReplaceAll(b, one, []byte{1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0})
	f, err := Decode("huge.nir", b)
	if err != nil {
		t.Fatal(err)
	}
	tau, err := f.Root.Dataset("node/nodes/1/tau")
	if err != nil {
		t.Fatal(err)
	}
	if tau.Shape[0] != 1<<40 {
		t.Fatalf("shape %v: the patch missed", tau.Shape)
	}
	for _, read := range []func() error{
		func() error { _, err := tau.Float64s(); return err },
		func() error { _, err := tau.Strings(); return err },
		func() error { _, err := tau.VarLenFloat64s(); return err },
	} {
		if err := read(); err == nil {
			t.Error("reading 2^40 elements succeeded")
		}
	}
	if _, err := tau.Float64s(); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Float64s: %v, want ErrTooLarge", err)
	}
}

func TestTypedReaderErrors(t *testing.T) {
	f, err := Open("testdata/nir/lif_norse.nir")
	if err != nil {
		t.Fatal(err)
	}
	typ, err := f.Root.Dataset("node/type")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := typ.Float64s(); !errors.Is(err, ErrType) {
		t.Errorf("Float64s of a string: %v, want ErrType", err)
	}
	if s, err := typ.String(); err != nil || s != "NIRGraph" {
		t.Errorf("String() = %q, %v", s, err)
	}
	tau, _ := f.Root.Dataset("node/nodes/1/tau")
	if x, err := tau.Float64(); err != nil || float32(x) != 0.0025 {
		t.Errorf("Float64() = %v, %v", x, err)
	}
	if _, err := tau.Int64(); !errors.Is(err, ErrType) {
		t.Errorf("Int64 of a float: %v, want ErrType", err)
	}
	edges, _ := f.Root.Dataset("node/edges")
	if _, err := edges.String(); !errors.Is(err, ErrType) {
		t.Errorf("String of 6 strings: %v, want ErrType", err)
	}
	shape, _ := f.Root.Dataset("node/nodes/input/shape")
	if x, err := shape.Int64(); err != nil || x != 1 {
		t.Errorf("Int64() = %v, %v", x, err)
	}
	if _, err := shape.Strings(); !errors.Is(err, ErrType) {
		t.Errorf("Strings of int64: %v, want ErrType", err)
	}
	if _, err := f.Root.Member("node/nodes/nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Member: %v, want ErrNotFound", err)
	}
	if _, err := f.Root.Group("node/type"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Group of a dataset: %v, want ErrNotFound", err)
	}
	if _, err := f.Root.Member("node/type/x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Member below a dataset: %v, want ErrNotFound", err)
	}
}

func TestWriterErrors(t *testing.T) {
	w := NewWriter()
	g := w.Root()
	if _, err := g.CreateGroup("a"); err != nil {
		t.Fatal(err)
	}
	_, dup := g.CreateGroup("a")
	_, slash := g.CreateGroup("a/b")
	_, shape := g.CreateDataset("x", []int{2, 2}, []float64{1, 2, 3})
	_, typ := g.CreateDataset("y", nil, []string{"no"})
	_, scalarShape := g.CreateDataset("z", []int{1}, 1.5)
	attr := g.SetAttr("", nil, 1)
	big := g.SetAttr("big", nil, make([]float64, 10000))
	for name, err := range map[string]error{"duplicate": dup, "slash": slash, "shape": shape, "type": typ, "scalar with shape": scalarShape, "empty attribute name": attr} {
		var we *WriteError
		if !errors.As(err, &we) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want a *WriteError wrapping ErrInvalid", name, err)
		}
	}
	if big != nil {
		t.Fatal(big)
	}
	if _, err := w.Bytes(); !errors.Is(err, ErrInvalid) {
		t.Errorf("an 80 KB attribute: %v, want ErrInvalid (attributes are limited to 64 KiB)", err)
	}
}

func TestLookup3(t *testing.T) {
	// Test vectors of lookup3.c's driver5 (hashlittle, initval 0).
	if got := lookup3(nil); got != 0xdeadbeef {
		t.Errorf("lookup3(\"\") = %#x, want 0xdeadbeef", got)
	}
	if got := lookup3([]byte("Four score and seven years ago")); got != 0x17770551 {
		t.Errorf("lookup3(Four score…) = %#x, want 0x17770551", got)
	}
}
