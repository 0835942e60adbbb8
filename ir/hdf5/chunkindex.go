package hdf5

import (
	"fmt"
)

// chunks reports every stored chunk of a chunked dataset to add, whichever
// index the layout uses.
func (d *decoder) chunks(ds *Dataset, lay layout, filtered bool, chunkBytes uint64, add func(*decoder, chunkRef) error) error {
	rank := len(lay.chunk)
	// The chunk grid: chunks along each dimension, at the current shape.
	grid := make([]uint64, rank)
	nchunks := uint64(1)
	for i := range grid {
		grid[i] = (ds.Shape[i] + lay.chunk[i] - 1) / lay.chunk[i]
		if grid[i] != 0 && nchunks > (1<<40)/grid[i] {
			return detail(ErrTooLarge, "chunk grid %v", grid)
		}
		nchunks *= grid[i]
	}
	// offsetOf turns a row-major linear chunk number into element offsets.
	offsetOf := func(lin uint64, grid []uint64) []uint64 {
		off := make([]uint64, rank)
		for i := rank - 1; i >= 0; i-- {
			off[i] = lin % grid[i] * lay.chunk[i]
			lin /= grid[i]
		}
		return off
	}
	switch {
	case lay.index == indexBtree1:
		return d.walkBtree1(lay.addr, 1, rank+1, func(key []byte, child uint64) error {
			c := d.cursor(key)
			size := uint64(c.u32())
			mask := c.u32()
			off := make([]uint64, rank)
			for i := range off {
				off[i] = c.u64()
			}
			return add(d, chunkRef{offset: off, addr: child, size: size, mask: mask})
		})
	case lay.index == indexSingleChunk:
		size := chunkBytes
		if lay.flags&2 != 0 {
			size = lay.single.size
		}
		return add(d, chunkRef{offset: make([]uint64, rank), addr: lay.addr, size: size, mask: lay.single.mask})
	case lay.index == indexImplicit:
		if nchunks > uint64(len(d.file))/chunkBytes+1 {
			return detail(ErrTooLarge, "%d implicit chunks of %d bytes", nchunks, chunkBytes)
		}
		for i := uint64(0); i < nchunks; i++ {
			if err := add(d, chunkRef{offset: offsetOf(i, grid), addr: lay.addr + i*chunkBytes, size: chunkBytes}); err != nil {
				return err
			}
		}
		return nil
	case lay.index == indexFixedArray:
		return d.fixedArray(lay.addr, chunkBytes, nchunks, func(i uint64, ref chunkRef) error {
			ref.offset = offsetOf(i, grid)
			return add(d, ref)
		})
	case lay.index == indexExtensible:
		// The linear index counts chunks over the maximum extent of the
		// fixed dimensions, with the unlimited dimension moved first.
		unl := -1
		for i, m := range ds.MaxShape {
			if m == undef {
				unl = i
			}
		}
		if unl < 0 || len(ds.MaxShape) != rank {
			return detail(ErrCorrupt, "extensible array index without an unlimited dimension")
		}
		order := append([]int{unl}, make([]int, 0, rank-1)...)
		for i := 0; i < rank; i++ {
			if i != unl {
				order = append(order, i)
			}
		}
		maxGrid := make([]uint64, rank) // in swizzled order
		for j, i := range order {
			if i == unl {
				maxGrid[j] = grid[i]
			} else {
				maxGrid[j] = (ds.MaxShape[i] + lay.chunk[i] - 1) / lay.chunk[i]
			}
		}
		return d.extensibleArray(lay.addr, chunkBytes, func(lin uint64, ref chunkRef) error {
			ref.offset = make([]uint64, rank)
			for j := rank - 1; j >= 0; j-- {
				g := maxGrid[j]
				if j == 0 {
					g = ^uint64(0)
				}
				if g == 0 {
					return nil
				}
				ref.offset[order[j]] = lin % g * lay.chunk[order[j]]
				lin /= g
			}
			for i := range ref.offset {
				if ref.offset[i] >= ds.Shape[i] {
					return nil // beyond the current extent
				}
			}
			return add(d, ref)
		})
	case lay.index == indexBtree2:
		recType := 10
		if filtered {
			recType = 11
		}
		return d.walkBtree2(lay.addr, recType, func(rec []byte) error {
			c := d.cursor(rec)
			ref := chunkRef{addr: c.addr(), size: chunkBytes}
			if filtered {
				n := len(rec) - d.sizeOff - 4 - 8*rank
				if n < 1 || n > 8 {
					return detail(ErrCorrupt, "v2 B-tree chunk record of %d bytes", len(rec))
				}
				ref.size = c.uvar(n)
				ref.mask = c.u32()
			}
			ref.offset = make([]uint64, rank)
			for i := range ref.offset {
				s := c.u64()
				if s > (1<<62)/lay.chunk[i] {
					return detail(ErrCorrupt, "chunk offset %d", s)
				}
				ref.offset[i] = s * lay.chunk[i]
			}
			if !c.ok() {
				return detail(ErrTruncated, "v2 B-tree chunk record")
			}
			return add(d, ref)
		})
	}
	return detail(ErrUnsupported, "chunk index type %d", lay.index)
}

// arrayElement decodes one chunk entry of a fixed or extensible array:
// an address, and for filtered chunks (client 1) its stored size and
// filter mask.
func (d *decoder) arrayElement(c *cursor, client uint8, entry int, chunkBytes uint64) chunkRef {
	ref := chunkRef{addr: c.addr(), size: chunkBytes}
	if client == 1 {
		ref.size = c.uvar(entry - d.sizeOff - 4)
		ref.mask = c.u32()
	}
	return ref
}

// fixedArray reads a fixed array chunk index ("FAHD", "FADB", pages).
func (d *decoder) fixedArray(addr, chunkBytes, nchunks uint64, fn func(i uint64, ref chunkRef) error) error {
	c, err := d.block(addr, 4+4+uint64(d.sizeLen)+uint64(d.sizeOff)+4, "FAHD", "fixed array header", true)
	if err != nil {
		return err
	}
	c.u8() // version
	client, entry, pageBits := c.u8(), int(c.u8()), c.u8()
	n := c.length()
	dblock := c.addr()
	if err := d.checkEntry(client, entry); err != nil {
		return err
	}
	if n > nchunks || pageBits > 32 {
		return detail(ErrCorrupt, "fixed array of %d entries for %d chunks, page bits %d", n, nchunks, pageBits)
	}
	if dblock == undef {
		return nil
	}
	prefix := 4 + 2 + uint64(d.sizeOff)
	pageSize := uint64(1) << pageBits
	paged := n > pageSize
	var npages, bitmap uint64
	if paged {
		npages = (n + pageSize - 1) / pageSize
		bitmap = (npages + 7) / 8
	}
	elemBytes := uint64(entry) * n
	if paged {
		elemBytes = 0
	}
	b, err := d.block(dblock, prefix+bitmap+elemBytes+4, "FADB", "fixed array data block", true)
	if err != nil {
		return err
	}
	b.skip(2 + d.sizeOff)
	if !paged {
		for i := uint64(0); i < n; i++ {
			if err := fn(i, d.arrayElement(b, client, entry, chunkBytes)); err != nil {
				return err
			}
		}
		return nil
	}
	bits := b.bytes(int(bitmap))
	pageAddr := dblock + prefix + bitmap + 4
	for p := uint64(0); p < npages; p++ {
		count := min(pageSize, n-p*pageSize)
		if bits[p/8]&(0x80>>(p%8)) != 0 {
			pc, err := d.at(pageAddr, count*uint64(entry)+4)
			if err != nil {
				return fmt.Errorf("fixed array page: %w", err)
			}
			if err := checkSum(pc.b, "fixed array page"); err != nil {
				return err
			}
			for i := uint64(0); i < count; i++ {
				if err := fn(p*pageSize+i, d.arrayElement(pc, client, entry, chunkBytes)); err != nil {
					return err
				}
			}
		}
		pageAddr += pageSize*uint64(entry) + 4
	}
	return nil
}

func (d *decoder) checkEntry(client uint8, entry int) error {
	switch {
	case client == 0 && entry == d.sizeOff:
	case client == 1 && entry > d.sizeOff+4 && entry <= d.sizeOff+4+8:
	default:
		return detail(ErrCorrupt, "chunk array client %d with %d-byte entries", client, entry)
	}
	return nil
}
