package hdf5

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
)

// Chunk index types of a version 4 layout message (0: version 1 B-tree of
// layouts 1–3).
const (
	indexBtree1      = 0
	indexSingleChunk = 1
	indexImplicit    = 2
	indexFixedArray  = 3
	indexExtensible  = 4
	indexBtree2      = 5
)

// chunkIndexNames names the chunk index types for Dataset.ChunkIndex.
var chunkIndexNames = map[int]string{indexBtree1: "btree1", indexSingleChunk: "single chunk", indexImplicit: "implicit",
	indexFixedArray: "fixed array", indexExtensible: "extensible array", indexBtree2: "btree2"}

// layout is a decoded data layout message.
type layout struct {
	class    int // 0 compact, 1 contiguous, 2 chunked
	compact  []byte
	addr     uint64
	size     uint64
	chunk    []uint64 // chunk shape (without the element-size dimension)
	index    int
	flags    uint8
	single   chunkRef  // single chunk index: stored size and filter mask
	earray   [5]uint8  // extensible array creation parameters
	fixedArr uint8     // fixed array page bits
	bt2      [3]uint32 // v2 B-tree node size, split, merge
}

// chunkRef is one stored chunk: its first element's coordinates, address,
// stored (filtered) size and filter mask.
type chunkRef struct {
	offset []uint64
	addr   uint64
	size   uint64
	mask   uint32
}

// filter is one stage of a filter pipeline.
type filter struct {
	id     uint16
	client []uint32
}

// dataset builds a Dataset from its object header messages.
func (d *decoder) dataset(path string, msgs []message) (*Dataset, error) {
	var (
		dt      *Datatype
		space   dataspace
		lay     layout
		filters []filter
		fill    []byte // one element's fill value; nil: zeros
		got     = map[uint16]bool{}
	)
	for _, m := range msgs {
		var err error
		field := ""
		switch m.typ {
		case msgDatatype:
			field = "datatype message"
			dt, err = parseDatatype(d.cursor(m.data), 0)
		case msgDataspace:
			field = "dataspace message"
			space, err = parseDataspace(d.cursor(m.data))
		case msgLayout:
			field = "layout message"
			lay, err = d.parseLayout(m.data)
		case msgFilters:
			field = "filter pipeline message"
			filters, err = parseFilters(d.cursor(m.data))
		case msgFill, msgFillOld:
			field = "fill value message"
			var f []byte
			if f, err = parseFill(m.typ, d.cursor(m.data)); f != nil && (fill == nil || m.typ == msgFill) {
				fill = f
			}
		}
		if err != nil {
			return nil, d.fail(path, field, err)
		}
		got[m.typ] = true
	}
	for _, need := range []struct {
		typ  uint16
		name string
	}{{msgDatatype, "datatype message"}, {msgDataspace, "dataspace message"}} {
		if !got[need.typ] {
			return nil, d.fail(path, need.name, detail(ErrCorrupt, "missing"))
		}
	}
	n, err := space.elements()
	if err != nil {
		return nil, d.fail(path, "dataspace message", err)
	}
	ds := &Dataset{Path: path, Shape: space.shape, MaxShape: space.maxShape, Datatype: dt,
		Layout: [...]string{"compact", "contiguous", "chunked"}[lay.class]}
	if lay.class == 2 {
		if len(lay.chunk) != len(space.shape) {
			return nil, d.fail(path, "layout message", detail(ErrCorrupt, "chunk rank %d, dataspace rank %d", len(lay.chunk), len(space.shape)))
		}
		ds.Chunk = lay.chunk
		ds.ChunkIndex = chunkIndexNames[lay.index]
		for _, f := range filters {
			ds.Filters = append(ds.Filters, filterName(f.id))
		}
	}
	if fill != nil && len(fill) != dt.Size {
		fill = nil // a fill value of another size (a conversion libhdf5 does): not applied
	}
	ds.values = values{d: d, path: path, dt: dt, n: n, load: func() ([]byte, error) {
		return d.readData(ds, lay, filters, fill)
	}}
	return ds, nil
}

func filterName(id uint16) string {
	switch id {
	case 1:
		return "deflate"
	case 2:
		return "shuffle"
	case 3:
		return "fletcher32"
	case 4:
		return "szip"
	case 32000:
		return "lzf"
	}
	return fmt.Sprintf("filter %d", id)
}

func (d *decoder) parseLayout(data []byte) (layout, error) {
	c := d.cursor(data)
	var l layout
	version := c.u8()
	switch version {
	case 1, 2:
		rank := int(c.u8())
		l.class = int(c.u8())
		c.skip(5)
		if rank < 1 || rank > maxRank+1 {
			return l, detail(ErrCorrupt, "layout dimensionality %d", rank)
		}
		if l.class != 0 {
			l.addr = c.addr()
		}
		dims := make([]uint64, rank)
		for i := range dims {
			dims[i] = uint64(c.u32())
		}
		switch l.class {
		case 0:
			n := int(c.u32())
			l.compact = c.bytes(n)
		case 1:
			l.size = undef // the dataspace gives the size
		case 2:
			c.u32() // element size
			l.chunk = dims[:rank-1]
		}
	case 3, 4:
		l.class = int(c.u8())
		switch l.class {
		case 0:
			n := int(c.u16())
			l.compact = c.bytes(n)
		case 1:
			l.addr, l.size = c.addr(), c.length()
		case 2:
			if version == 3 {
				rank := int(c.u8())
				if rank < 2 || rank > maxRank+1 {
					return l, detail(ErrCorrupt, "chunk dimensionality %d", rank)
				}
				l.addr = c.addr()
				l.chunk = make([]uint64, rank-1)
				for i := range l.chunk {
					l.chunk[i] = uint64(c.u32())
				}
				c.u32() // element size
				break
			}
			l.flags = c.u8()
			rank := int(c.u8())
			width := int(c.u8())
			if rank < 2 || rank > maxRank+1 || width < 1 || width > 8 {
				return l, detail(ErrCorrupt, "chunk dimensionality %d, dimension width %d", rank, width)
			}
			l.chunk = make([]uint64, rank-1)
			for i := range l.chunk {
				l.chunk[i] = c.uvar(width)
			}
			c.uvar(width) // element size
			l.index = int(c.u8())
			switch l.index {
			case indexSingleChunk:
				if l.flags&2 != 0 {
					l.single.size = c.length()
					l.single.mask = c.u32()
				}
			case indexImplicit:
			case indexFixedArray:
				l.fixedArr = c.u8()
			case indexExtensible:
				for i := range l.earray {
					l.earray[i] = c.u8()
				}
			case indexBtree2:
				l.bt2[0] = c.u32()
				l.bt2[1], l.bt2[2] = uint32(c.u8()), uint32(c.u8())
			default:
				return l, detail(ErrUnsupported, "chunk index type %d", l.index)
			}
			l.addr = c.addr()
		case 3:
			return l, detail(ErrUnsupported, "virtual dataset layout")
		}
	default:
		return l, detail(ErrUnsupported, "layout message version %d", version)
	}
	if !c.ok() {
		return l, detail(ErrTruncated, "layout message cut short")
	}
	if l.class > 2 {
		return l, detail(ErrCorrupt, "layout class %d", l.class)
	}
	for _, s := range l.chunk {
		if s == 0 {
			return l, detail(ErrCorrupt, "chunk dimension 0")
		}
	}
	return l, nil
}

func parseFilters(c *cursor) ([]filter, error) {
	version := c.u8()
	n := int(c.u8())
	if version == 1 {
		c.skip(6)
	} else if version != 2 {
		return nil, detail(ErrUnsupported, "filter pipeline version %d", version)
	}
	if n > 32 {
		return nil, detail(ErrCorrupt, "%d filters", n)
	}
	out := make([]filter, n)
	for i := range out {
		f := &out[i]
		f.id = c.u16()
		nameLen := 0
		if version == 1 || f.id >= 256 {
			nameLen = int(c.u16())
		}
		c.u16() // flags
		nvals := int(c.u16())
		if version == 1 {
			nameLen = (nameLen + 7) &^ 7
		}
		c.skip(nameLen)
		if nvals > c.left()/4 {
			return nil, detail(ErrTruncated, "filter %d client data", f.id)
		}
		f.client = make([]uint32, nvals)
		for j := range f.client {
			f.client[j] = c.u32()
		}
		if version == 1 && nvals%2 == 1 {
			c.skip(4)
		}
	}
	if !c.ok() {
		return nil, detail(ErrTruncated, "filter pipeline cut short")
	}
	return out, nil
}

// dataLimit bounds the bytes one dataset's values may take: what the file
// holds, or for compressed chunks what deflate can expand it to.
func (d *decoder) dataLimit(compressed bool) uint64 {
	if compressed {
		return 1032*uint64(len(d.file)) + 1<<20
	}
	return uint64(len(d.file))
}

// readData returns the dataset's values as stored (n × element size bytes).
func (d *decoder) readData(ds *Dataset, lay layout, filters []filter, fill []byte) ([]byte, error) {
	size := uint64(ds.Datatype.Size)
	total := ds.n * size
	if ds.n != 0 && total/ds.n != size {
		return nil, d.fail(ds.Path, "dataspace message", detail(ErrTooLarge, "%d elements", ds.n))
	}
	switch lay.class {
	case 0:
		if uint64(len(lay.compact)) < total {
			return nil, d.fail(ds.Path, "layout message", detail(ErrTruncated, "compact data of %d bytes, want %d", len(lay.compact), total))
		}
		return lay.compact[:total], nil
	case 1:
		if total > d.dataLimit(false) {
			return nil, d.fail(ds.Path, "layout message", detail(ErrTooLarge, "%d bytes of data in a %d-byte file", total, len(d.file)))
		}
		if lay.addr == undef {
			return filled(total, fill), nil // never written
		}
		if lay.size != undef && lay.size < total {
			return nil, d.fail(ds.Path, "layout message", detail(ErrCorrupt, "contiguous size %d, want %d", lay.size, total))
		}
		c, err := d.at(lay.addr, total)
		if err != nil {
			return nil, d.fail(ds.Path, "contiguous data", err)
		}
		return c.b, nil
	}
	compressed := false
	for _, f := range filters {
		compressed = compressed || f.id == 1
	}
	if total > d.dataLimit(compressed) {
		return nil, d.fail(ds.Path, "layout message", detail(ErrTooLarge, "%d bytes of data in a %d-byte file", total, len(d.file)))
	}
	out := filled(total, fill) // chunks never written hold the fill value
	if lay.addr == undef || total == 0 {
		return out, nil
	}
	chunkBytes := size
	for _, s := range lay.chunk {
		if chunkBytes > (1<<40)/s {
			return nil, d.fail(ds.Path, "layout message", detail(ErrTooLarge, "chunk %v", lay.chunk))
		}
		chunkBytes *= s
	}
	if chunkBytes > d.dataLimit(compressed) {
		return nil, d.fail(ds.Path, "layout message", detail(ErrTooLarge, "chunk of %d bytes", chunkBytes))
	}
	// A file lists each chunk once: the chunks decoded may not add up to
	// more than the chunk grid holds (a crafted index repeating one
	// compressed chunk would otherwise cost unbounded work).
	budget := chunkBytes
	for i, s := range ds.Shape {
		n := (s + lay.chunk[i] - 1) / lay.chunk[i]
		if n != 0 && budget > (1<<62)/n {
			return nil, d.fail(ds.Path, "layout message", detail(ErrTooLarge, "chunk grid"))
		}
		budget *= n
	}
	asm := &assembler{shape: ds.Shape, chunk: lay.chunk, elem: size, out: out, filters: filters, chunkBytes: chunkBytes, budget: budget}
	if err := d.chunks(ds, lay, len(filters) > 0, chunkBytes, asm.add); err != nil {
		return nil, d.fail(ds.Path, "chunk index", err)
	}
	return out, nil
}

// filled returns n bytes holding the fill value repeated (zeros when fill
// is nil).
func filled(n uint64, fill []byte) []byte {
	out := make([]byte, n)
	if len(fill) > 0 && !allZero(fill) {
		for i := 0; i+len(fill) <= len(out); i += len(fill) {
			copy(out[i:], fill)
		}
	}
	return out
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// parseFill decodes a fill value message (new, versions 1–3, or old) and
// returns the fill value's bytes, or nil when none is defined.
func parseFill(typ uint16, c *cursor) ([]byte, error) {
	if typ == msgFillOld {
		n := int(c.u32())
		v := c.bytes(n)
		if !c.ok() {
			return nil, detail(ErrTruncated, "old fill value message")
		}
		return v, nil
	}
	var defined bool
	switch version := c.u8(); version {
	case 1, 2:
		c.skip(2) // allocation time, write time
		defined = c.u8() != 0
		if version == 1 {
			defined = true // the size says whether there is a value
		}
	case 3:
		flags := c.u8()
		if flags&0x10 != 0 {
			return nil, nil // explicitly undefined
		}
		defined = flags&0x20 != 0
	default:
		return nil, detail(ErrUnsupported, "fill value message version %d", version)
	}
	if !defined {
		return nil, nil
	}
	n := int(c.u32())
	v := c.bytes(n)
	if !c.ok() {
		return nil, detail(ErrTruncated, "fill value message")
	}
	if n == 0 {
		return nil, nil
	}
	return v, nil
}

// assembler copies decoded chunks into a dataset's row-major array.
type assembler struct {
	shape, chunk []uint64
	elem         uint64
	out          []byte
	filters      []filter
	chunkBytes   uint64
	budget       uint64 // chunk bytes still allowed
	zr           io.ReadCloser
	zbuf         []byte
	idx          []uint64
}

// add decodes one stored chunk and copies the part inside the dataset.
func (a *assembler) add(d *decoder, ref chunkRef) error {
	if ref.addr == undef {
		return nil
	}
	for i, o := range ref.offset {
		if o%a.chunk[i] != 0 || o >= a.shape[i] {
			return detail(ErrCorrupt, "chunk at %v outside the dataset %v", ref.offset, a.shape)
		}
	}
	if a.budget < a.chunkBytes {
		return detail(ErrCorrupt, "more chunks than the dataset holds")
	}
	a.budget -= a.chunkBytes
	c, err := d.at(ref.addr, ref.size)
	if err != nil {
		return fmt.Errorf("chunk at %v: %w", ref.offset, err)
	}
	data, err := a.unfilter(c.b, ref.mask)
	if err != nil {
		return fmt.Errorf("chunk at %v: %w", ref.offset, err)
	}
	if uint64(len(data)) != a.chunkBytes {
		return detail(ErrCorrupt, "chunk at %v holds %d bytes, want %d", ref.offset, len(data), a.chunkBytes)
	}
	rank := len(a.shape)
	// Copy run by run along the last dimension, over the part of the chunk
	// inside the dataset (edge chunks are clipped).
	if cap(a.idx) < 2*rank {
		a.idx = make([]uint64, 2*rank)
	}
	idx, lim := a.idx[:rank], a.idx[rank:2*rank]
	for i := range idx {
		idx[i] = 0
		lim[i] = min(a.chunk[i], a.shape[i]-ref.offset[i])
	}
	last := rank - 1
	run := lim[last] * a.elem
	for {
		var src, dst uint64
		for i := 0; i < rank; i++ {
			src = src*a.chunk[i] + idx[i]
			dst = dst*a.shape[i] + ref.offset[i] + idx[i]
		}
		copy(a.out[dst*a.elem:dst*a.elem+run], data[src*a.elem:src*a.elem+run])
		// Next run: advance the leading dimensions.
		i := last - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < lim[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return nil
		}
	}
}

// unfilter undoes the filter pipeline (in reverse order) on a chunk.
func (a *assembler) unfilter(b []byte, mask uint32) ([]byte, error) {
	for i := len(a.filters) - 1; i >= 0; i-- {
		if mask&(1<<uint(i)) != 0 {
			continue
		}
		f := a.filters[i]
		switch f.id {
		case 1: // deflate
			out, err := a.inflate(b)
			if err != nil {
				return nil, err
			}
			b = out
		case 2: // shuffle
			size := int(a.elem)
			if len(f.client) > 0 {
				size = int(f.client[0])
			}
			if size > 1 {
				b = unshuffle(b, size)
			}
		case 3: // fletcher32: checksum in the last 4 bytes
			if len(b) < 4 {
				return nil, detail(ErrCorrupt, "fletcher32: chunk of %d bytes", len(b))
			}
			// Stored little-endian; libhdf5 also accepts the byte-swapped
			// value that releases before 1.6.2 wrote.
			got, want := fletcher32(b[:len(b)-4]), binary.LittleEndian.Uint32(b[len(b)-4:])
			if got != want && bits.ReverseBytes32(got) != want {
				return nil, detail(ErrChecksum, "fletcher32: stored %#08x, computed %#08x", want, got)
			}
			b = b[:len(b)-4]
		default:
			return nil, detail(ErrUnsupported, "filter %s", filterName(f.id))
		}
	}
	return b, nil
}

// inflate decompresses a zlib stream of exactly chunkBytes bytes, reusing
// one decompressor and one buffer for all the chunks of a dataset.
func (a *assembler) inflate(b []byte) ([]byte, error) {
	src := bytes.NewReader(b)
	if a.zr == nil {
		zr, err := zlib.NewReader(src)
		if err != nil {
			return nil, detail(ErrCorrupt, "deflate: %v", err)
		}
		a.zr = zr
	} else if err := a.zr.(zlib.Resetter).Reset(src, nil); err != nil {
		return nil, detail(ErrCorrupt, "deflate: %v", err)
	}
	if uint64(len(a.zbuf)) != a.chunkBytes {
		a.zbuf = make([]byte, a.chunkBytes)
	}
	if _, err := io.ReadFull(a.zr, a.zbuf); err != nil {
		return nil, detail(ErrCorrupt, "deflate: chunk shorter than %d bytes: %v", a.chunkBytes, err)
	}
	var one [1]byte
	if n, err := a.zr.Read(one[:]); n != 0 || (err != io.EOF && err != nil) {
		return nil, detail(ErrCorrupt, "deflate: chunk longer than %d bytes", a.chunkBytes)
	}
	return a.zbuf, nil
}

// unshuffle reverses the shuffle filter: the file holds byte 0 of every
// element, then byte 1 of every element, …; a tail shorter than one
// element is left as it is.
func unshuffle(b []byte, size int) []byte {
	n := len(b) / size
	out := make([]byte, len(b))
	for j := 0; j < size; j++ {
		for i := 0; i < n; i++ {
			out[i*size+j] = b[j*n+i]
		}
	}
	copy(out[n*size:], b[n*size:])
	return out
}

// fletcher32 is libhdf5's H5_checksum_fletcher32 (16-bit big-endian words,
// an odd last byte as the high byte of a word).
func fletcher32(b []byte) uint32 {
	var s1, s2 uint32 = 0xffff, 0xffff
	for len(b) > 1 {
		n := min(len(b)/2, 360)
		for i := 0; i < n; i++ {
			s1 += uint32(b[0])<<8 | uint32(b[1])
			s2 += s1
			b = b[2:]
		}
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	if len(b) == 1 {
		s1 += uint32(b[0]) << 8
		s2 += s1
		s1 = (s1 & 0xffff) + (s1 >> 16)
		s2 = (s2 & 0xffff) + (s2 >> 16)
	}
	s1 = (s1 & 0xffff) + (s1 >> 16)
	s2 = (s2 & 0xffff) + (s2 >> 16)
	return s2<<16 | s1
}
