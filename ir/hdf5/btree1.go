package hdf5

import (
	"bytes"
	"fmt"
)

// symbolTable lists the links of a symbol-table group: a version 1 B-tree
// (node type 0) whose leaves point at symbol table nodes ("SNOD"), with
// names in a local heap.
func (d *decoder) symbolTable(btree, heapAddr uint64) ([]link, error) {
	heap, err := d.localHeap(heapAddr)
	if err != nil {
		return nil, err
	}
	var out []link
	err = d.walkBtree1(btree, 0, 0, func(key []byte, child uint64) error {
		l, err := d.symbolNode(child, heap)
		out = append(out, l...)
		return err
	})
	return out, err
}

// localHeap returns the data segment of the local heap at addr.
func (d *decoder) localHeap(addr uint64) ([]byte, error) {
	c, err := d.block(addr, 8+2*uint64(d.sizeLen)+uint64(d.sizeOff), "HEAP", "local heap", false)
	if err != nil {
		return nil, err
	}
	c.skip(4)
	size := c.length()
	c.length() // free list
	data := c.addr()
	dc, err := d.at(data, size)
	if err != nil {
		return nil, fmt.Errorf("local heap data segment: %w", err)
	}
	return dc.b, nil
}

// heapString reads the null-terminated string at off in a local heap.
func heapString(heap []byte, off uint64) (string, error) {
	if off >= uint64(len(heap)) {
		return "", detail(ErrTruncated, "name offset %d past the %d-byte local heap", off, len(heap))
	}
	s := heap[off:]
	i := bytes.IndexByte(s, 0)
	if i < 0 {
		return "", detail(ErrCorrupt, "unterminated name in the local heap")
	}
	return string(s[:i]), nil
}

// symbolNode decodes a symbol table node ("SNOD").
func (d *decoder) symbolNode(addr uint64, heap []byte) ([]link, error) {
	if err := d.visitNode(); err != nil {
		return nil, err
	}
	c, err := d.block(addr, 0, "SNOD", "symbol table node", false)
	if err != nil {
		return nil, err
	}
	c.skip(2)
	n := int(c.u16())
	entry := 2*d.sizeOff + 24
	if n > c.left()/entry {
		return nil, detail(ErrTruncated, "symbol table node at %#x: %d entries", addr, n)
	}
	out := make([]link, 0, n)
	for i := 0; i < n; i++ {
		nameOff := c.uvar(d.sizeLen)
		obj := c.addr()
		c.skip(24) // cache type, reserved, scratch pad
		name, err := heapString(heap, nameOff)
		if err != nil {
			return nil, err
		}
		if err := checkName(name); err != nil {
			return nil, err
		}
		out = append(out, link{name: name, addr: obj})
	}
	if !c.ok() {
		return nil, detail(ErrTruncated, "symbol table node at %#x", addr)
	}
	return out, nil
}

// walkBtree1 visits the leaf entries of a version 1 B-tree of the given node
// type (0 group, 1 chunk) in key order: fn gets the key before each child
// and the child's address. keyDims is the chunk key's dimension count.
func (d *decoder) walkBtree1(addr uint64, nodeType int, keyDims int, fn func(key []byte, child uint64) error) error {
	keySize := d.sizeLen
	if nodeType == 1 {
		keySize = 8 + 8*keyDims
	}
	seen := map[uint64]bool{}
	var walk func(addr uint64, level int) error
	walk = func(addr uint64, wantLevel int) error {
		if seen[addr] {
			return detail(ErrCycle, "B-tree node at %#x visited twice", addr)
		}
		seen[addr] = true
		if err := d.visitNode(); err != nil {
			return err
		}
		c, err := d.block(addr, 0, "TREE", "B-tree node", false)
		if err != nil {
			return err
		}
		typ, level, n := int(c.u8()), int(c.u8()), int(c.u16())
		if typ != nodeType {
			return detail(ErrCorrupt, "B-tree node at %#x: type %d, want %d", addr, typ, nodeType)
		}
		if wantLevel >= 0 && level != wantLevel {
			return detail(ErrCorrupt, "B-tree node at %#x: level %d, want %d", addr, level, wantLevel)
		}
		c.skip(2 * d.sizeOff) // siblings
		if n > c.left()/(keySize+d.sizeOff) {
			return detail(ErrTruncated, "B-tree node at %#x: %d entries", addr, n)
		}
		for i := 0; i < n; i++ {
			key := c.bytes(keySize)
			child := c.addr()
			if !c.ok() {
				return detail(ErrTruncated, "B-tree node at %#x", addr)
			}
			if level > 0 {
				if err := walk(child, level-1); err != nil {
					return err
				}
			} else if err := fn(key, child); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(addr, -1)
}
