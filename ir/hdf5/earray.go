package hdf5

import (
	"fmt"
)

// extensibleArray reads an extensible array chunk index (layout version 4,
// index type 4: one unlimited dimension). The array's elements are, in
// linear index order: those of the index block ("EAIB"), then those of the
// data blocks ("EADB") of super block 0, 1, 2, …, where super block u has
// 2^⌊u/2⌋ data blocks of 2^⌈u/2⌉·(data block minimum) elements. The data
// blocks of the first super blocks are listed in the index block itself;
// later ones through super blocks ("EASB"). Data blocks larger than a page
// are split into checksummed pages.
func (d *decoder) extensibleArray(addr, chunkBytes uint64, fn func(i uint64, ref chunkRef) error) error {
	o, l := uint64(d.sizeOff), uint64(d.sizeLen)
	c, err := d.block(addr, 4+1+1+6+6*l+o+4, "EAHD", "extensible array header", true)
	if err != nil {
		return err
	}
	c.u8() // version
	client := c.u8()
	entry := int(c.u8())
	maxBits, idxElems, dblkMin, sblkMinPtrs, pageBits := int(c.u8()), uint64(c.u8()), uint64(c.u8()), uint64(c.u8()), int(c.u8())
	c.skip(4 * d.sizeLen)
	maxIdx := c.length() // one past the highest index set
	c.length()           // elements realized
	iblock := c.addr()
	if err := d.checkEntry(client, entry); err != nil {
		return err
	}
	if maxBits < 1 || maxBits > 64 || dblkMin == 0 || dblkMin&(dblkMin-1) != 0 || sblkMinPtrs == 0 || sblkMinPtrs&(sblkMinPtrs-1) != 0 ||
		pageBits > 32 || log2floor(dblkMin) > maxBits || maxIdx > uint64(len(d.file)) {
		return detail(ErrCorrupt, "extensible array header at %#x: parameters %d %d %d %d %d, %d elements", addr, maxBits, idxElems, dblkMin, sblkMinPtrs, pageBits, maxIdx)
	}
	if iblock == undef {
		return nil
	}
	nsblks := 1 + maxBits - log2floor(dblkMin)
	ibSblks := min(2*log2floor(sblkMinPtrs), nsblks) // super blocks whose data blocks the index block lists
	ibDblks := 2 * (sblkMinPtrs - 1)
	ibSblkAddrs := nsblks - ibSblks
	offSize := (maxBits + 7) / 8
	pageElems := uint64(1) << pageBits
	ent := uint64(entry)

	ic, err := d.block(iblock, 4+2+o+idxElems*ent+ibDblks*o+uint64(ibSblkAddrs)*o+4, "EAIB", "extensible array index block", true)
	if err != nil {
		return err
	}
	ic.skip(2 + d.sizeOff)
	for i := uint64(0); i < idxElems; i++ {
		ref := d.arrayElement(ic, client, entry, chunkBytes)
		if i < maxIdx {
			if err := fn(i, ref); err != nil {
				return err
			}
		}
	}
	dblkAddrs := make([]uint64, ibDblks)
	for i := range dblkAddrs {
		dblkAddrs[i] = ic.addr()
	}
	sblkAddrs := make([]uint64, ibSblkAddrs)
	for i := range sblkAddrs {
		sblkAddrs[i] = ic.addr()
	}

	// dataBlock reads one data block of n elements starting at index first.
	dataBlock := func(a, first, n uint64, pageInit []byte) error {
		if err := d.visitNode(); err != nil {
			return err
		}
		prefix := 4 + 2 + o + uint64(offSize)
		if n <= pageElems {
			dc, err := d.block(a, prefix+n*ent+4, "EADB", "extensible array data block", true)
			if err != nil {
				return err
			}
			dc.skip(int(prefix) - 4)
			for i := uint64(0); i < n && first+i < maxIdx; i++ {
				if err := fn(first+i, d.arrayElement(dc, client, entry, chunkBytes)); err != nil {
					return err
				}
			}
			return nil
		}
		npages := n / pageElems
		pageAddr := a + prefix + 4
		for p := uint64(0); p < npages; p++ {
			if p/8 < uint64(len(pageInit)) && pageInit[p/8]&(0x80>>(p%8)) != 0 {
				pc, err := d.at(pageAddr, pageElems*ent+4)
				if err != nil {
					return fmt.Errorf("extensible array data block page: %w", err)
				}
				if err := checkSum(pc.b, "extensible array data block page"); err != nil {
					return err
				}
				for i := uint64(0); i < pageElems && first+p*pageElems+i < maxIdx; i++ {
					if err := fn(first+p*pageElems+i, d.arrayElement(pc, client, entry, chunkBytes)); err != nil {
						return err
					}
				}
			}
			pageAddr += pageElems*ent + 4
		}
		return nil
	}

	start := idxElems
	dblk := 0
	for u := 0; u < nsblks && start < maxIdx; u++ {
		ndblks := uint64(1) << (u / 2)
		nelems := dblkMin << ((u + 1) / 2)
		if u < ibSblks {
			for k := uint64(0); k < ndblks; k++ {
				if dblk >= len(dblkAddrs) {
					return detail(ErrCorrupt, "extensible array index block lists too few data blocks")
				}
				if a := dblkAddrs[dblk]; a != undef {
					if err := dataBlock(a, start+k*nelems, nelems, nil); err != nil {
						return err
					}
				}
				dblk++
			}
		} else if a := sblkAddrs[u-ibSblks]; a != undef {
			if err := d.visitNode(); err != nil {
				return err
			}
			var initSize uint64
			if nelems > pageElems {
				initSize = (nelems/pageElems + 7) / 8
			}
			sc, err := d.block(a, 4+2+o+uint64(offSize)+ndblks*initSize+ndblks*o+4, "EASB", "extensible array super block", true)
			if err != nil {
				return err
			}
			sc.skip(2 + d.sizeOff + offSize)
			inits := sc.bytes(int(ndblks * initSize))
			for k := uint64(0); k < ndblks; k++ {
				da := sc.addr()
				if da == undef {
					continue
				}
				if err := dataBlock(da, start+k*nelems, nelems, inits[k*initSize:(k+1)*initSize]); err != nil {
					return err
				}
			}
		}
		start += ndblks * nelems
	}
	return nil
}
