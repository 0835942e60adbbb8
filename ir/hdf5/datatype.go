package hdf5

import "fmt"

// Class is the class of a Datatype.
type Class int

// The datatype classes this package reads. Other classes decode as
// ClassOther (their metadata is kept; their values cannot be read).
const (
	ClassOther     Class = iota
	ClassInteger         // fixed-point: 1, 2, 4 or 8 bytes, signed or unsigned
	ClassFloat           // IEEE 754 binary16, binary32 or binary64
	ClassString          // fixed-length string
	ClassVarString       // variable-length string (global heap)
	ClassVarSeq          // variable-length sequence of Base (global heap)
	ClassEnum            // enumeration over an integer Base (h5py's bool)
)

// Datatype describes the stored type of a dataset's or attribute's
// elements.
type Datatype struct {
	Class     Class
	Size      int  // bytes per element as stored
	Signed    bool // ClassInteger
	BigEndian bool // ClassInteger, ClassFloat
	// Pad is the string padding: 0 null-terminated, 1 null-padded,
	// 2 space-padded (ClassString, ClassVarString).
	Pad int
	// UTF8 is the character set of a string (false: ASCII).
	UTF8 bool
	// Base is the element type of a ClassVarSeq and the integer type of a
	// ClassEnum.
	Base *Datatype
	// RawClass is the class number in the file (0 fixed-point, 1 float, …).
	RawClass int
}

// String names the type the way numpy would: int32, uint16 (>u2 when big
// endian), float64, string[12], vlen string, vlen float32.
func (t *Datatype) String() string {
	if t == nil {
		return "<nil>"
	}
	be := ""
	if t.BigEndian {
		be = "be"
	}
	switch t.Class {
	case ClassInteger:
		if t.Signed {
			return fmt.Sprintf("int%d%s", 8*t.Size, be)
		}
		return fmt.Sprintf("uint%d%s", 8*t.Size, be)
	case ClassFloat:
		return fmt.Sprintf("float%d%s", 8*t.Size, be)
	case ClassString:
		return fmt.Sprintf("string[%d]", t.Size)
	case ClassVarString:
		return "vlen string"
	case ClassVarSeq:
		return "vlen " + t.Base.String()
	case ClassEnum:
		return "enum " + t.Base.String()
	}
	return fmt.Sprintf("class %d (%d bytes)", t.RawClass, t.Size)
}

// maxTypeDepth bounds nested datatypes (vlen of vlen of …).
const maxTypeDepth = 8

// parseDatatype decodes a datatype message.
func parseDatatype(c *cursor, depth int) (*Datatype, error) {
	if depth > maxTypeDepth {
		return nil, detail(ErrUnsupported, "datatype nested more than %d deep", maxTypeDepth)
	}
	cv := c.u8()
	b0, b1, _ := c.u8(), c.u8(), c.u8()
	size := c.u32()
	if !c.ok() {
		return nil, detail(ErrTruncated, "datatype cut short")
	}
	class, version := int(cv&15), int(cv>>4)
	if version < 1 || version > 5 {
		return nil, detail(ErrCorrupt, "datatype version %d", version)
	}
	if size == 0 || size > 1<<20 {
		return nil, detail(ErrCorrupt, "datatype size %d", size)
	}
	t := &Datatype{RawClass: class, Size: int(size), BigEndian: b0&1 != 0}
	switch class {
	case 0: // fixed-point
		t.Class = ClassInteger
		t.Signed = b0&8 != 0
		off, prec := c.u16(), c.u16()
		if !c.ok() {
			return nil, detail(ErrTruncated, "integer datatype properties")
		}
		if (size != 1 && size != 2 && size != 4 && size != 8) || off != 0 || int(prec) != 8*int(size) {
			t.Class = ClassOther
		}
	case 1: // floating point
		t.Class = ClassFloat
		c.skip(12)
		if !c.ok() {
			return nil, detail(ErrTruncated, "float datatype properties")
		}
		if (size != 2 && size != 4 && size != 8) || b0&0x40 != 0 {
			t.Class = ClassOther
		}
	case 3: // string
		t.Class = ClassString
		t.BigEndian = false
		t.Pad = int(b0 & 15)
		t.UTF8 = b0>>4 == 1
	case 8: // enumeration
		base, err := parseDatatype(c, depth+1)
		if err != nil {
			return nil, err
		}
		t.Class, t.Base, t.BigEndian = ClassEnum, base, base.BigEndian
		if base.Class != ClassInteger || base.Size != t.Size {
			t.Class = ClassOther
		}
		// Names and values follow; they are not needed to read values.
	case 9: // variable-length
		base, err := parseDatatype(c, depth+1)
		if err != nil {
			return nil, err
		}
		t.Base = base
		t.BigEndian = false
		t.Pad = int(b0 >> 4)
		t.UTF8 = b1&15 == 1
		switch b0 & 15 {
		case 0:
			t.Class = ClassVarSeq
		case 1:
			t.Class = ClassVarString
		default:
			return nil, detail(ErrCorrupt, "variable-length type %d", b0&15)
		}
	default:
		t.Class = ClassOther
	}
	return t, nil
}

// Dataspace shapes: a scalar has Shape nil (one element); a null dataspace
// has no elements (Null true).
type dataspace struct {
	shape    []uint64
	maxShape []uint64 // nil if not stored; undef means unlimited
	null     bool
}

// maxRank is the largest rank the format allows.
const maxRank = 32

func parseDataspace(c *cursor) (dataspace, error) {
	version := c.u8()
	rank := int(c.u8())
	flags := c.u8()
	var ds dataspace
	switch version {
	case 1:
		c.skip(5)
	case 2:
		switch c.u8() {
		case 0: // scalar
		case 1: // simple
		case 2:
			ds.null = true
		default:
			return ds, detail(ErrCorrupt, "dataspace type")
		}
	default:
		return ds, detail(ErrUnsupported, "dataspace version %d", version)
	}
	if rank > maxRank {
		return ds, detail(ErrCorrupt, "dataspace rank %d", rank)
	}
	if rank > 0 {
		ds.shape = make([]uint64, rank)
		for i := range ds.shape {
			ds.shape[i] = c.length()
		}
		if flags&1 != 0 {
			ds.maxShape = make([]uint64, rank)
			for i := range ds.maxShape {
				ds.maxShape[i] = c.length()
				if c.sizeLen < 8 && ds.maxShape[i] == 1<<(8*uint(c.sizeLen))-1 {
					ds.maxShape[i] = undef
				}
			}
		}
	}
	if !c.ok() {
		return ds, detail(ErrTruncated, "dataspace cut short")
	}
	return ds, nil
}

// elements is the number of elements, or an error if it overflows.
func (ds dataspace) elements() (uint64, error) {
	if ds.null {
		return 0, nil
	}
	n := uint64(1)
	for _, s := range ds.shape {
		if s != 0 && n > (1<<62)/s {
			return 0, detail(ErrTooLarge, "dataspace %v", ds.shape)
		}
		n *= s
	}
	return n, nil
}
