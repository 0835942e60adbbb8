package hdf5

import "encoding/binary"

// undef is the "undefined address" of the format (all bits set).
const undef = ^uint64(0)

// cursor reads little-endian fields from a byte slice. It never reads out
// of bounds: a read past the end sets bad and returns zeros, so a decoder
// reads a whole structure and checks ok() once.
type cursor struct {
	b       []byte
	off     int
	bad     bool
	sizeOff int // bytes of an address ("size of offsets")
	sizeLen int // bytes of a length ("size of lengths")
}

func (c *cursor) ok() bool { return !c.bad }

func (c *cursor) left() int {
	if c.bad || c.off > len(c.b) {
		return 0
	}
	return len(c.b) - c.off
}

// bytes returns the next n bytes (a sub-slice, not a copy).
func (c *cursor) bytes(n int) []byte {
	if c.bad || n < 0 || n > len(c.b)-c.off {
		c.bad = true
		return nil
	}
	s := c.b[c.off : c.off+n : c.off+n]
	c.off += n
	return s
}

func (c *cursor) skip(n int) { c.bytes(n) }

func (c *cursor) u8() uint8 {
	s := c.bytes(1)
	if s == nil {
		return 0
	}
	return s[0]
}

func (c *cursor) u16() uint16 {
	s := c.bytes(2)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint16(s)
}

func (c *cursor) u32() uint32 {
	s := c.bytes(4)
	if s == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s)
}

func (c *cursor) u64() uint64 { return c.uvar(8) }

// uvar reads an n-byte little-endian unsigned integer (0 ≤ n ≤ 8).
func (c *cursor) uvar(n int) uint64 {
	if n > 8 {
		c.bad = true
		return 0
	}
	s := c.bytes(n)
	var v uint64
	for i := len(s) - 1; i >= 0; i-- {
		v = v<<8 | uint64(s[i])
	}
	return v
}

// addr reads an address; an all-ones address of any width is undef.
func (c *cursor) addr() uint64 {
	v := c.uvar(c.sizeOff)
	if c.sizeOff < 8 && v == 1<<(8*uint(c.sizeOff))-1 {
		return undef
	}
	return v
}

func (c *cursor) length() uint64 { return c.uvar(c.sizeLen) }

// align moves to the next multiple of n counted from the start of b.
func (c *cursor) align(n int) {
	if r := c.off % n; r != 0 {
		c.skip(n - r)
	}
}

// bytesFor is the number of bytes needed to encode n (at least 1), the
// rule libhdf5 uses for variable-width counts (H5VM_limit_enc_size).
func bytesFor(n uint64) int {
	b := 1
	for n >>= 8; n > 0; n >>= 8 {
		b++
	}
	return b
}

// log2floor is ⌊log2 n⌋ for n > 0, and 0 for n = 0.
func log2floor(n uint64) int {
	l := 0
	for n > 1 {
		n >>= 1
		l++
	}
	return l
}
