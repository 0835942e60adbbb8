package hdf5

import (
	"fmt"
	"sort"
)

// fractalHeap is a decoded fractal heap header ("FRHP") and the direct
// blocks of its managed space.
type fractalHeap struct {
	idLen      int
	offSize    int // bytes of a managed object's heap offset in its ID
	lenSize    int // bytes of a managed object's length in its ID
	blocks     []directBlock
	checksumDB bool // direct blocks carry a checksum
}

// directBlock is one direct block: its data and its offset in the heap's
// address space (which counts the block header too).
type directBlock struct {
	heapOff uint64
	data    []byte
}

// denseRecords reads dense storage (links with record type 5, attributes
// with type 8): the v2 B-tree name index at names lists heap IDs of
// objects in the fractal heap at heap; fn gets each object's bytes.
func (d *decoder) denseRecords(heapAddr, names uint64, recType int, fn func(obj []byte) error) error {
	h, err := d.fractalHeap(heapAddr)
	if err != nil {
		return err
	}
	idOff := 0
	if recType == 5 {
		idOff = 4 // name hash first
	}
	return d.walkBtree2(names, recType, func(rec []byte) error {
		if len(rec) < idOff+h.idLen {
			return detail(ErrCorrupt, "B-tree record of %d bytes for %d-byte heap IDs", len(rec), h.idLen)
		}
		obj, err := h.object(d, rec[idOff:idOff+h.idLen])
		if err != nil {
			return err
		}
		return fn(obj)
	})
}

// object returns the bytes of the heap object with the given ID.
func (h *fractalHeap) object(d *decoder, id []byte) ([]byte, error) {
	c := d.cursor(id)
	flags := c.u8()
	if flags>>6 != 0 {
		return nil, detail(ErrUnsupported, "heap ID version %d", flags>>6)
	}
	switch (flags >> 4) & 3 {
	case 0: // managed
		off, n := c.uvar(h.offSize), c.uvar(h.lenSize)
		if !c.ok() {
			return nil, detail(ErrTruncated, "heap ID")
		}
		i := sort.Search(len(h.blocks), func(i int) bool { return h.blocks[i].heapOff > off }) - 1
		if i < 0 {
			return nil, detail(ErrCorrupt, "heap offset %d in no direct block", off)
		}
		b := h.blocks[i]
		rel := off - b.heapOff
		if rel > uint64(len(b.data)) || n > uint64(len(b.data))-rel {
			return nil, detail(ErrTruncated, "heap object of %d bytes at heap offset %d", n, off)
		}
		return b.data[rel : rel+n], nil
	case 2: // tiny
		b := c.bytes(int(flags&15) + 1)
		if !c.ok() {
			return nil, detail(ErrTruncated, "tiny heap object")
		}
		return b, nil
	case 1: // huge, stored directly (no filters)
		a, n := c.addr(), c.length()
		if !c.ok() {
			return nil, detail(ErrUnsupported, "huge heap object through a B-tree")
		}
		hc, err := d.at(a, n)
		if err != nil {
			return nil, fmt.Errorf("huge heap object: %w", err)
		}
		return hc.b, nil
	}
	return nil, detail(ErrCorrupt, "heap ID type %d", (flags>>4)&3)
}

// fractalHeap decodes (once) the fractal heap header at addr and collects
// its direct blocks.
func (d *decoder) fractalHeap(addr uint64) (*fractalHeap, error) {
	if h, ok := d.fheaps[addr]; ok {
		if h == nil {
			return nil, detail(ErrCycle, "fractal heap at %#x", addr)
		}
		return h, nil
	}
	d.fheaps[addr] = nil
	o, l := uint64(d.sizeOff), uint64(d.sizeLen)
	size := 4 + 1 + 2 + 2 + 1 + 4 + l + o + l + o + 8*l + 2 + l + l + 2 + 2 + o + 2 + 4
	c, err := d.block(addr, size, "FRHP", "fractal heap header", true)
	if err != nil {
		return nil, err
	}
	if v := c.u8(); v != 0 {
		return nil, detail(ErrUnsupported, "fractal heap version %d", v)
	}
	h := &fractalHeap{idLen: int(c.u16())}
	filterLen := c.u16()
	flags := c.u8()
	h.checksumDB = flags&2 != 0
	maxManaged := uint64(c.u32())
	c.length() // next huge ID
	c.addr()   // huge object B-tree
	c.length() // free space
	c.addr()   // free-space manager
	c.skip(8 * d.sizeLen)
	width := uint64(c.u16())
	start := c.length()
	maxDirect := c.length()
	maxHeapBits := int(c.u16())
	c.u16() // starting rows
	root := c.addr()
	rows := int(c.u16())
	if filterLen != 0 {
		return nil, detail(ErrUnsupported, "fractal heap with I/O filters")
	}
	if width == 0 || width > 1<<16 || start == 0 || start&(start-1) != 0 || maxDirect < start || maxDirect&(maxDirect-1) != 0 ||
		maxDirect > uint64(1)<<40 || maxHeapBits == 0 || maxHeapBits > 64 || h.idLen < 1 || h.idLen > 1024 || width&(width-1) != 0 {
		return nil, detail(ErrCorrupt, "fractal heap at %#x: width %d, block sizes %d..%d, %d heap bits", addr, width, start, maxDirect, maxHeapBits)
	}
	h.offSize = (maxHeapBits + 7) / 8
	h.lenSize = min((log2floor(maxDirect)+7)/8, bytesFor(maxManaged))
	// Row block sizes: rows 0 and 1 hold start-size blocks, then doubling.
	maxDirectRows := log2floor(maxDirect) - log2floor(start) + 2
	rowSize := func(r int) uint64 {
		if r == 0 {
			return start
		}
		if r-1 >= 40 {
			return 1 << 62
		}
		return start << uint(r-1)
	}
	firstRowBits := log2floor(start) + log2floor(width)
	blockOffSize := h.offSize
	seen := map[uint64]bool{}
	var direct func(a, size, heapOff uint64) error
	direct = func(a, size, heapOff uint64) error {
		if seen[a] {
			return detail(ErrCycle, "fractal heap block at %#x visited twice", a)
		}
		seen[a] = true
		if err := d.visitNode(); err != nil {
			return err
		}
		dc, err := d.block(a, size, "FHDB", "fractal heap direct block", false)
		if err != nil {
			return err
		}
		if h.checksumDB {
			// The checksum covers the whole block with its own field zeroed.
			at := 4 + 1 + d.sizeOff + blockOffSize
			if at+4 > len(dc.b) {
				return detail(ErrTruncated, "fractal heap direct block at %#x", a)
			}
			tmp := append([]byte(nil), dc.b...)
			want := uint32(tmp[at]) | uint32(tmp[at+1])<<8 | uint32(tmp[at+2])<<16 | uint32(tmp[at+3])<<24
			clear(tmp[at : at+4])
			if got := lookup3(tmp); got != want {
				return detail(ErrChecksum, "fractal heap direct block at %#x: stored %#08x, computed %#08x", a, want, got)
			}
		}
		h.blocks = append(h.blocks, directBlock{heapOff: heapOff, data: dc.b})
		return nil
	}
	var indirect func(a uint64, nrows int, heapOff uint64, depth int) error
	indirect = func(a uint64, nrows int, heapOff uint64, depth int) error {
		if seen[a] {
			return detail(ErrCycle, "fractal heap block at %#x visited twice", a)
		}
		seen[a] = true
		if err := d.visitNode(); err != nil {
			return err
		}
		if nrows < 0 || nrows > 64 || depth > 16 {
			return detail(ErrCorrupt, "fractal heap indirect block with %d rows", nrows)
		}
		nDirect := min(nrows, maxDirectRows)
		nIndirect := nrows - nDirect
		size := 4 + 1 + o + uint64(blockOffSize) + (uint64(nDirect)*width+uint64(nIndirect)*width)*o + 4
		ic, err := d.block(a, size, "FHIB", "fractal heap indirect block", true)
		if err != nil {
			return err
		}
		ic.skip(1 + d.sizeOff + blockOffSize)
		off := heapOff
		for r := 0; r < nrows; r++ {
			rs := rowSize(r)
			for col := uint64(0); col < width; col++ {
				child := ic.addr()
				if child != undef {
					var err error
					if r < maxDirectRows {
						err = direct(child, rs, off)
					} else {
						err = indirect(child, log2floor(rs)-firstRowBits+1, off, depth+1)
					}
					if err != nil {
						return err
					}
				}
				off += rs
			}
		}
		return nil
	}
	if root != undef {
		if rows == 0 {
			err = direct(root, start, 0)
		} else {
			err = indirect(root, rows, 0, 0)
		}
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(h.blocks, func(i, j int) bool { return h.blocks[i].heapOff < h.blocks[j].heapOff })
	d.fheaps[addr] = h
	return h, nil
}
