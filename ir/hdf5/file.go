package hdf5

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// MaxFileSize is the largest file Open reads (it reads files whole).
const MaxFileSize = 1 << 31

// signature is the 8-byte HDF5 format signature.
var signature = []byte("\x89HDF\r\n\x1a\n")

// File is a decoded HDF5 file: its group tree and the metadata of every
// dataset and attribute. Dataset values are decoded when a typed reader
// (Float64s, Strings, …) asks for them.
type File struct {
	// Name is the file name given to Open or Decode; errors carry it.
	Name string
	// Superblock is the superblock version (0, 1, 2 or 3).
	Superblock int
	// Root is the root group "/".
	Root *Group

	d *decoder
}

// decodePanics counts panics recovered by the public entry points. The
// bounds checks are meant to make them impossible; the fuzz test fails if
// one ever happens.
var decodePanics atomic.Int64

// guard turns a panic into a FormatError (and counts it).
func guard(file, path string, err *error) {
	if p := recover(); p != nil {
		decodePanics.Add(1)
		*err = &FormatError{File: file, Path: path, Field: "decoder", Err: detail(ErrCorrupt, "internal decoder error: %v", p)}
	}
}

// Open reads the file at path whole (at most MaxFileSize bytes) and decodes
// it with Decode.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hdf5: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("hdf5: %s: %w", path, err)
	}
	if len(b) > MaxFileSize {
		return nil, &FormatError{File: path, Field: "file size", Err: detail(ErrTooLarge, "more than %d bytes", MaxFileSize)}
	}
	return Decode(path, b)
}

// Decode decodes an HDF5 file held in b; name is used in error messages.
// It decodes the superblock and every object header reachable from the root
// group, so a File that decodes has a complete tree.
//
// It never panics on malformed input and never reads out of bounds: every
// address and length is checked against b before use, structures that
// refer back to themselves are reported as ErrCycle, and what it allocates
// is bounded by the size of b (see doc.go). b must not change while the
// File is in use.
func Decode(name string, b []byte) (f *File, err error) {
	defer guard(name, "", &err)
	d := &decoder{name: name, file: b, objects: map[uint64]any{}, visiting: map[uint64]bool{},
		gheaps: map[uint64]map[uint16][]byte{}, fheaps: map[uint64]*fractalHeap{}}
	if err := d.superblock(); err != nil {
		return nil, err
	}
	f = &File{Name: name, Superblock: d.sbVersion, d: d}
	d.f = f
	obj, err := d.object("/", d.rootAddr)
	if err != nil {
		return nil, err
	}
	root, ok := obj.(*Group)
	if !ok {
		return nil, d.fail("/", "root group", detail(ErrCorrupt, "root object is not a group"))
	}
	f.Root = root
	return f, nil
}

// decoder holds the state of one Decode, and of the later reads of the
// File's values (serialized by mu: they fill the heap caches).
type decoder struct {
	mu        sync.Mutex
	f         *File
	name      string
	file      []byte
	base      uint64 // addresses are relative to this file offset
	sizeOff   int
	sizeLen   int
	sbVersion int
	rootAddr  uint64

	objects  map[uint64]any  // decoded objects by header address
	visiting map[uint64]bool // object headers on the current path (cycle check)
	nodes    int             // B-tree/heap nodes visited, bounded by the file size
	gheaps   map[uint64]map[uint16][]byte
	fheaps   map[uint64]*fractalHeap
}

func (d *decoder) fail(path, field string, err error) error {
	return &FormatError{File: d.name, Path: path, Field: field, Err: err}
}

// at returns a cursor over the n bytes at address a.
func (d *decoder) at(a, n uint64) (*cursor, error) {
	if a == undef {
		return nil, detail(ErrCorrupt, "undefined address")
	}
	start := a + d.base
	if start < a || start > uint64(len(d.file)) || n > uint64(len(d.file))-start {
		return nil, detail(ErrTruncated, "%d bytes at address %#x past the end of the %d-byte file", n, a, len(d.file))
	}
	return d.cursor(d.file[start : start+n]), nil
}

// rest returns a cursor from address a to the end of the file.
func (d *decoder) rest(a uint64) (*cursor, error) {
	if a == undef {
		return nil, detail(ErrCorrupt, "undefined address")
	}
	start := a + d.base
	if start < a || start > uint64(len(d.file)) {
		return nil, detail(ErrTruncated, "address %#x past the end of the %d-byte file", a, len(d.file))
	}
	return d.cursor(d.file[start:]), nil
}

func (d *decoder) cursor(b []byte) *cursor {
	return &cursor{b: b, sizeOff: d.sizeOff, sizeLen: d.sizeLen}
}

// visitNode counts one more metadata node; a file cannot hold more nodes
// than it has bytes, so a count beyond that means a cycle.
func (d *decoder) visitNode() error {
	d.nodes++
	if d.nodes > len(d.file)/8+64 {
		return detail(ErrCycle, "more metadata nodes than the file can hold")
	}
	return nil
}

// block returns a cursor over the n bytes at addr (n = 0: up to the end
// of the file), positioned after the 4-byte signature sig, which it checks.
// When checksummed, the last 4 of the n bytes are the lookup3 checksum of
// the others, which it verifies. what names the structure in errors.
func (d *decoder) block(addr, n uint64, sig, what string, checksummed bool) (*cursor, error) {
	var c *cursor
	var err error
	if n == 0 {
		c, err = d.rest(addr)
	} else {
		c, err = d.at(addr, n)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if string(c.bytes(4)) != sig {
		return nil, detail(ErrCorrupt, "%s at %#x: no %s signature", what, addr, sig)
	}
	if checksummed {
		if err := checkSum(c.b, fmt.Sprintf("%s at %#x", what, addr)); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkSum verifies the lookup3 checksum stored in the 4 bytes after b[:n].
func checkSum(b []byte, what string) error {
	if len(b) < 4 {
		return detail(ErrTruncated, "%s: no room for the checksum", what)
	}
	n := len(b) - 4
	want := uint32(b[n]) | uint32(b[n+1])<<8 | uint32(b[n+2])<<16 | uint32(b[n+3])<<24
	if got := lookup3(b[:n]); got != want {
		return detail(ErrChecksum, "%s: stored %#08x, computed %#08x", what, want, got)
	}
	return nil
}

// superblock finds and decodes the superblock (at 0, 512, 1024, …).
func (d *decoder) superblock() error {
	pos := -1
	for p := 0; p+len(signature) <= len(d.file); p = max(512, 2*p) {
		if bytes.Equal(d.file[p:p+len(signature)], signature) {
			pos = p
			break
		}
	}
	if pos < 0 {
		return d.fail("", "superblock", detail(ErrCorrupt, "no HDF5 signature (not an HDF5 file)"))
	}
	c := d.cursor(d.file[pos:])
	c.skip(8)
	d.sbVersion = int(c.u8())
	field := fmt.Sprintf("superblock v%d", d.sbVersion)
	switch d.sbVersion {
	case 0, 1:
		c.skip(4) // free-space, root symbol table, reserved, shared header versions
		d.sizeOff, d.sizeLen = int(c.u8()), int(c.u8())
		c.skip(1)
		c.skip(4) // group leaf and internal node K
		c.skip(4) // file consistency flags
		if d.sbVersion == 1 {
			c.skip(4) // indexed storage internal node K, reserved
		}
		if err := d.checkSizes(field); err != nil {
			return err
		}
		c.sizeOff, c.sizeLen = d.sizeOff, d.sizeLen
		base := c.addr()
		c.addr() // free-space info
		c.addr() // end of file
		c.addr() // driver info
		// Root group symbol table entry.
		c.addr() // link name offset
		d.rootAddr = c.addr()
		if !c.ok() {
			return d.fail("", field, detail(ErrTruncated, "superblock cut short"))
		}
		d.base = base
	case 2, 3:
		d.sizeOff, d.sizeLen = int(c.u8()), int(c.u8())
		if err := d.checkSizes(field); err != nil {
			return err
		}
		c.sizeOff, c.sizeLen = d.sizeOff, d.sizeLen
		c.skip(1) // consistency flags
		base := c.addr()
		c.addr() // superblock extension
		c.addr() // end of file
		d.rootAddr = c.addr()
		n := c.off
		c.u32()
		if !c.ok() {
			return d.fail("", field, detail(ErrTruncated, "superblock cut short"))
		}
		if err := checkSum(c.b[:n+4], "superblock"); err != nil {
			return d.fail("", field, err)
		}
		d.base = base
	default:
		return d.fail("", "superblock", detail(ErrUnsupported, "superblock version %d", d.sbVersion))
	}
	if d.base == undef || d.base > uint64(len(d.file)) {
		return d.fail("", field, detail(ErrCorrupt, "base address %#x outside the file", d.base))
	}
	return nil
}

func (d *decoder) checkSizes(field string) error {
	okSize := func(n int) bool { return n == 2 || n == 4 || n == 8 }
	if !okSize(d.sizeOff) || !okSize(d.sizeLen) {
		return d.fail("", field, detail(ErrCorrupt, "size of offsets %d, size of lengths %d (want 2, 4 or 8)", d.sizeOff, d.sizeLen))
	}
	return nil
}
