package hdf5

import (
	"fmt"
)

// walkBtree2 visits every record of the version 2 B-tree whose header
// ("BTHD") is at addr, in key order. Every node's checksum is verified.
func (d *decoder) walkBtree2(addr uint64, wantType int, fn func(rec []byte) error) error {
	c, err := d.block(addr, 4+1+1+4+2+2+1+1+uint64(d.sizeOff)+2+uint64(d.sizeLen)+4, "BTHD", "B-tree v2 header", true)
	if err != nil {
		return err
	}
	version, typ := c.u8(), int(c.u8())
	nodeSize := uint64(c.u32())
	recSize := int(c.u16())
	depth := int(c.u16())
	c.skip(2)
	root := c.addr()
	rootRecs := int(c.u16())
	c.length() // total records
	if version != 0 || typ != wantType {
		return detail(ErrCorrupt, "B-tree v2 header at %#x: version %d, type %d (want %d)", addr, version, typ, wantType)
	}
	if recSize == 0 || nodeSize < 10+uint64(recSize) || nodeSize > uint64(len(d.file)) || depth > 64 {
		return detail(ErrCorrupt, "B-tree v2 header at %#x: node size %d, record size %d, depth %d", addr, nodeSize, recSize, depth)
	}
	if root == undef {
		return nil
	}
	// Per-depth node geometry, as libhdf5's H5B2__hdr_init computes it.
	maxRecs := make([]uint64, depth+1) // records per node at each depth
	cumRecs := make([]uint64, depth+1) // records below a node at each depth
	cumRecSize := make([]int, depth+1) // bytes of the "total records" field
	maxRecs[0] = (nodeSize - 10) / uint64(recSize)
	cumRecs[0] = maxRecs[0]
	nrecSize := log2floor(maxRecs[0])/8 + 1
	for u := 1; u <= depth; u++ {
		ptr := uint64(d.sizeOff + nrecSize)
		if u > 1 {
			ptr += uint64(cumRecSize[u-1])
		}
		if nodeSize < 10+ptr {
			return detail(ErrCorrupt, "B-tree v2 node size %d", nodeSize)
		}
		maxRecs[u] = (nodeSize - 10 - ptr) / (uint64(recSize) + ptr)
		cumRecs[u] = (maxRecs[u]+1)*cumRecs[u-1] + maxRecs[u]
		if cumRecs[u] > 1<<56 {
			return detail(ErrCorrupt, "B-tree v2 too deep")
		}
		cumRecSize[u] = log2floor(cumRecs[u])/8 + 1
	}
	seen := map[uint64]bool{}
	var walk func(addr uint64, nrec int, depth int) error
	walk = func(addr uint64, nrec int, depth int) error {
		if seen[addr] {
			return detail(ErrCycle, "B-tree v2 node at %#x visited twice", addr)
		}
		seen[addr] = true
		if err := d.visitNode(); err != nil {
			return err
		}
		if uint64(nrec) > maxRecs[depth] {
			return detail(ErrCorrupt, "B-tree v2 node at %#x: %d records, at most %d", addr, nrec, maxRecs[depth])
		}
		sig := "BTLF"
		if depth > 0 {
			sig = "BTIN"
		}
		c, err := d.block(addr, nodeSize, sig, "B-tree v2 node", false)
		if err != nil {
			return err
		}
		if v, t := c.u8(), int(c.u8()); v != 0 || t != wantType {
			return detail(ErrCorrupt, "B-tree v2 node at %#x: version %d, type %d", addr, v, t)
		}
		recs := c.bytes(nrec * recSize)
		type child struct {
			addr uint64
			nrec int
		}
		var children []child
		if depth > 0 {
			for i := 0; i <= nrec; i++ {
				a := c.addr()
				n := c.uvar(nrecSize)
				if depth > 1 {
					c.uvar(cumRecSize[depth-1])
				}
				children = append(children, child{a, int(min(n, 1<<30))})
			}
		}
		end := c.off
		c.u32()
		if !c.ok() {
			return detail(ErrTruncated, "B-tree v2 node at %#x", addr)
		}
		if err := checkSum(c.b[:end+4], fmt.Sprintf("B-tree v2 node at %#x", addr)); err != nil {
			return err
		}
		for i := 0; i <= nrec; i++ {
			if depth > 0 {
				if err := walk(children[i].addr, children[i].nrec, depth-1); err != nil {
					return err
				}
			}
			if i < nrec {
				if err := fn(recs[i*recSize : (i+1)*recSize]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(root, rootRecs, depth)
}
