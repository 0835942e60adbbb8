package hdf5

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// values holds what the typed readers need: the element type, the count
// and how to load the stored bytes. Dataset and Attr embed it.
type values struct {
	d    *decoder
	path string
	dt   *Datatype
	n    uint64
	load func() ([]byte, error)
}

// Len is the number of elements (1 for a scalar).
func (v *values) Len() int { return int(v.n) }

func (v *values) typeErr(want string) error {
	return &FormatError{File: v.d.name, Path: v.path, Field: "datatype", Err: detail(ErrType, "stored %s, read as %s", v.dt, want)}
}

// raw loads the stored bytes under the panic guard.
func (v *values) raw() (b []byte, err error) {
	defer guard(v.d.name, v.path, &err)
	v.d.mu.Lock()
	defer v.d.mu.Unlock()
	v.d.nodes = 0
	return v.load()
}

// sized checks, before a reader allocates its result, that the element
// count is one the file can back: at most the bytes a dataset's data may
// expand to (see dataLimit).
func (v *values) sized() error {
	if v.n > v.d.dataLimit(true)/uint64(v.dt.Size) {
		return &FormatError{File: v.d.name, Path: v.path, Field: "dataspace", Err: detail(ErrTooLarge, "%d elements of %d bytes in a %d-byte file", v.n, v.dt.Size, len(v.d.file))}
	}
	return nil
}

// numeric decodes every element of an integer, enum or float type with
// put, which gets the element as a float64, an int64 and a uint64.
func (v *values) numeric(want string, floatOK bool, put func(i int, f float64, s int64, u uint64)) error {
	t := v.dt
	if t.Class == ClassEnum {
		t = t.Base
	}
	if t.Class != ClassInteger && !(floatOK && t.Class == ClassFloat) {
		return v.typeErr(want)
	}
	b, err := v.raw()
	if err != nil {
		return err
	}
	decodeNumbers(t, b, int(v.n), put)
	return nil
}

// decodeNumbers decodes n elements of the integer or float type t from b
// (at least n·t.Size bytes).
func decodeNumbers(t *Datatype, b []byte, n int, put func(i int, f float64, s int64, u uint64)) {
	var order binary.ByteOrder = binary.LittleEndian
	if t.BigEndian {
		order = binary.BigEndian
	}
	size := t.Size
	for i := 0; i < n; i++ {
		e := b[i*size : (i+1)*size]
		var u uint64
		switch size {
		case 1:
			u = uint64(e[0])
		case 2:
			u = uint64(order.Uint16(e))
		case 4:
			u = uint64(order.Uint32(e))
		case 8:
			u = order.Uint64(e)
		}
		switch {
		case t.Class == ClassFloat && size == 2:
			put(i, float16(uint16(u)), 0, 0)
		case t.Class == ClassFloat && size == 4:
			put(i, float64(math.Float32frombits(uint32(u))), 0, 0)
		case t.Class == ClassFloat:
			put(i, math.Float64frombits(u), 0, 0)
		case t.Signed:
			s := int64(u<<(64-8*uint(size))) >> (64 - 8*uint(size))
			put(i, float64(s), s, uint64(s))
		default:
			put(i, float64(u), int64(u), u)
		}
	}
}

// float16 converts IEEE 754 binary16 bits (numpy's float16, which SHD uses
// for spike times) to a float64, exactly.
func float16(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp, frac := int(h>>10)&0x1f, float64(h&0x3ff)
	switch exp {
	case 0: // zero and subnormals
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * math.Ldexp(1024+frac, exp-25)
}

// Float64s reads integer and float values as float64 (row-major order).
func (v *values) Float64s() ([]float64, error) {
	if err := v.sized(); err != nil {
		return nil, err
	}
	out := make([]float64, v.n)
	err := v.numeric("float64", true, func(i int, f float64, _ int64, _ uint64) { out[i] = f })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Float32s reads integer and float values as float32.
func (v *values) Float32s() ([]float32, error) {
	if err := v.sized(); err != nil {
		return nil, err
	}
	out := make([]float32, v.n)
	err := v.numeric("float32", true, func(i int, f float64, _ int64, _ uint64) { out[i] = float32(f) })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Int64s reads integer values as int64; a uint64 above MaxInt64 is an
// error.
func (v *values) Int64s() ([]int64, error) {
	if err := v.sized(); err != nil {
		return nil, err
	}
	out := make([]int64, v.n)
	bad := false
	err := v.numeric("int64", false, func(i int, _ float64, s int64, u uint64) {
		out[i] = s
		bad = bad || (!v.signed() && u > math.MaxInt64)
	})
	if err != nil {
		return nil, err
	}
	if bad {
		return nil, v.typeErr("int64 (value out of range)")
	}
	return out, nil
}

// Uint64s reads non-negative integer values as uint64.
func (v *values) Uint64s() ([]uint64, error) {
	if err := v.sized(); err != nil {
		return nil, err
	}
	out := make([]uint64, v.n)
	bad := false
	err := v.numeric("uint64", false, func(i int, _ float64, s int64, u uint64) {
		out[i] = u
		bad = bad || (v.signed() && s < 0)
	})
	if err != nil {
		return nil, err
	}
	if bad {
		return nil, v.typeErr("uint64 (negative value)")
	}
	return out, nil
}

func (v *values) signed() bool {
	if v.dt.Class == ClassEnum {
		return v.dt.Base.Signed
	}
	return v.dt.Signed
}

// Strings reads fixed-length and variable-length strings (padding and
// terminating nulls removed).
func (v *values) Strings() ([]string, error) {
	if err := v.sized(); err != nil {
		return nil, err
	}
	switch v.dt.Class {
	case ClassString:
		b, err := v.raw()
		if err != nil {
			return nil, err
		}
		out := make([]string, v.n)
		for i := range out {
			s := b[i*v.dt.Size : (i+1)*v.dt.Size]
			if j := bytes.IndexByte(s, 0); j >= 0 {
				s = s[:j]
			}
			if v.dt.Pad == 2 {
				s = bytes.TrimRight(s, " ")
			}
			out[i] = string(s)
		}
		return out, nil
	case ClassVarString:
		out := make([]string, v.n)
		err := v.varLen(func(i int, b []byte, _ int) error {
			if j := bytes.IndexByte(b, 0); j >= 0 {
				b = b[:j]
			}
			out[i] = string(b)
			return nil
		})
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, v.typeErr("string")
}

// String reads a scalar (or one-element) string.
func (v *values) String() (string, error) {
	s, err := v.Strings()
	if err != nil {
		return "", err
	}
	return one(v, s)
}

// Float64 reads a scalar (or one-element) number as a float64.
func (v *values) Float64() (float64, error) {
	x, err := v.Float64s()
	if err != nil {
		return 0, err
	}
	return one(v, x)
}

// Int64 reads a scalar (or one-element) integer as an int64.
func (v *values) Int64() (int64, error) {
	x, err := v.Int64s()
	if err != nil {
		return 0, err
	}
	return one(v, x)
}

// one returns the only element of x.
func one[T any](v *values, x []T) (T, error) {
	if len(x) != 1 {
		var zero T
		return zero, &FormatError{File: v.d.name, Path: v.path, Field: "dataspace", Err: detail(ErrType, "%d values, want 1", len(x))}
	}
	return x[0], nil
}

// varLen visits each element of a variable-length type: its bytes in the
// global heap and its length in base elements (bytes for strings).
//
// The bytes it hands out in total are bounded like a dataset's data (see
// dataLimit), even when many elements share one heap object.
func (v *values) varLen(fn func(i int, b []byte, n int) error) (err error) {
	defer guard(v.d.name, v.path, &err)
	v.d.mu.Lock()
	defer v.d.mu.Unlock()
	v.d.nodes = 0
	b, err := v.load()
	if err != nil {
		return err
	}
	d := v.d
	budget := d.dataLimit(false)
	elem := 4 + d.sizeOff + 4
	if v.dt.Size != elem {
		return &FormatError{File: d.name, Path: v.path, Field: "datatype", Err: detail(ErrCorrupt, "variable-length element of %d bytes, want %d", v.dt.Size, elem)}
	}
	baseSize := 1
	if v.dt.Class == ClassVarSeq {
		baseSize = v.dt.Base.Size
	}
	for i := 0; i < int(v.n); i++ {
		c := d.cursor(b[i*elem : (i+1)*elem])
		n := uint64(c.u32())
		coll := c.addr()
		idx := c.u32()
		if n == 0 {
			if err := fn(i, nil, 0); err != nil {
				return err
			}
			continue
		}
		obj, err := d.globalObject(coll, idx)
		if err != nil {
			return &FormatError{File: d.name, Path: v.path, Field: fmt.Sprintf("global heap (element %d)", i), Err: err}
		}
		if n*uint64(baseSize) > budget {
			return &FormatError{File: d.name, Path: v.path, Field: fmt.Sprintf("global heap (element %d)", i), Err: detail(ErrTooLarge, "variable-length data larger than the file")}
		}
		budget -= n * uint64(baseSize)
		if n*uint64(baseSize) > uint64(len(obj)) {
			return &FormatError{File: d.name, Path: v.path, Field: fmt.Sprintf("global heap (element %d)", i), Err: detail(ErrTruncated, "%d elements of %d bytes in a %d-byte heap object", n, baseSize, len(obj))}
		}
		if err := fn(i, obj[:n*uint64(baseSize)], int(n)); err != nil {
			return err
		}
	}
	return nil
}

// varLenNumeric reads a variable-length sequence of numbers, each element
// decoded by the base type's rules into T.
func varLenNumeric[T any](v *values, want string, conv func(f float64, s int64, u uint64) T, ok func(base *Datatype) bool) ([][]T, error) {
	if v.dt.Class != ClassVarSeq || !ok(v.dt.Base) {
		return nil, v.typeErr(want)
	}
	if err := v.sized(); err != nil {
		return nil, err
	}
	out := make([][]T, v.n)
	base := v.dt.Base
	err := v.varLen(func(i int, b []byte, n int) error {
		row := make([]T, n)
		decodeNumbers(base, b, n, func(j int, f float64, s int64, u uint64) { row[j] = conv(f, s, u) })
		out[i] = row
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func isNumber(t *Datatype) bool  { return t.Class == ClassInteger || t.Class == ClassFloat }
func isInteger(t *Datatype) bool { return t.Class == ClassInteger }

// VarLenFloat64s reads variable-length sequences of numbers as float64
// (SHD's spikes/times).
func (v *values) VarLenFloat64s() ([][]float64, error) {
	return varLenNumeric(v, "vlen float64", func(f float64, _ int64, _ uint64) float64 { return f }, isNumber)
}

// VarLenFloat32s reads variable-length sequences of numbers as float32.
func (v *values) VarLenFloat32s() ([][]float32, error) {
	return varLenNumeric(v, "vlen float32", func(f float64, _ int64, _ uint64) float32 { return float32(f) }, isNumber)
}

// VarLenUint16s reads variable-length sequences of unsigned integers of at
// most 16 bits (SHD's spikes/units).
func (v *values) VarLenUint16s() ([][]uint16, error) {
	return varLenNumeric(v, "vlen uint16", func(_ float64, _ int64, u uint64) uint16 { return uint16(u) },
		func(t *Datatype) bool { return isInteger(t) && !t.Signed && t.Size <= 2 })
}

// VarLenInt64s reads variable-length sequences of integers as int64.
func (v *values) VarLenInt64s() ([][]int64, error) {
	return varLenNumeric(v, "vlen int64", func(_ float64, s int64, _ uint64) int64 { return s },
		func(t *Datatype) bool { return isInteger(t) && (t.Signed || t.Size < 8) })
}

// globalObject returns object idx of the global heap collection at addr.
func (d *decoder) globalObject(addr uint64, idx uint32) ([]byte, error) {
	objs, ok := d.gheaps[addr]
	if !ok {
		var err error
		objs, err = d.globalHeap(addr)
		if err != nil {
			return nil, err
		}
		d.gheaps[addr] = objs
	}
	obj, ok := objs[uint16(idx)]
	if !ok || idx > 0xffff {
		return nil, detail(ErrCorrupt, "no object %d in the global heap at %#x", idx, addr)
	}
	return obj, nil
}

// globalHeap decodes a global heap collection ("GCOL").
func (d *decoder) globalHeap(addr uint64) (map[uint16][]byte, error) {
	c, err := d.block(addr, 8+uint64(d.sizeLen), "GCOL", "global heap", false)
	if err != nil {
		return nil, err
	}
	if v := c.u8(); v != 1 {
		return nil, detail(ErrUnsupported, "global heap version %d", v)
	}
	c.skip(3)
	size := c.length()
	c, err = d.at(addr, size)
	if err != nil {
		return nil, fmt.Errorf("global heap collection: %w", err)
	}
	c.skip(8 + d.sizeLen)
	objs := map[uint16][]byte{}
	for c.left() >= 8+d.sizeLen {
		idx := c.u16()
		c.skip(6) // reference count, reserved
		n := c.length()
		if idx == 0 {
			break // free space: the rest of the collection
		}
		if n > uint64(c.left()) {
			return nil, detail(ErrTruncated, "global heap object %d of %d bytes", idx, n)
		}
		objs[idx] = c.bytes(int(n))
		c.align(8)
		c.bad = false
	}
	return objs, nil
}
