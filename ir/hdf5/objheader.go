package hdf5

import (
	"bytes"
	"fmt"
)

// Object header message types used here.
const (
	msgNil          = 0x00
	msgDataspace    = 0x01
	msgLinkInfo     = 0x02
	msgDatatype     = 0x03
	msgFillOld      = 0x04
	msgFill         = 0x05
	msgLink         = 0x06
	msgLayout       = 0x08
	msgGroupInfo    = 0x0A
	msgFilters      = 0x0B
	msgAttribute    = 0x0C
	msgContinuation = 0x10
	msgSymbolTable  = 0x11
	msgAttrInfo     = 0x15
)

// message is one object header message.
type message struct {
	typ   uint16
	flags uint8
	data  []byte
}

// maxHeaderChunks bounds the continuation blocks of one object header.
const maxHeaderChunks = 1 << 16

// headerMessages decodes the object header at addr (version 1 or 2) and
// returns its messages, following continuation blocks.
func (d *decoder) headerMessages(addr uint64) ([]message, error) {
	c, err := d.rest(addr)
	if err != nil {
		return nil, err
	}
	if c.left() >= 4 && bytes.Equal(c.b[:4], []byte("OHDR")) {
		return d.headerV2(addr, c)
	}
	version := c.u8()
	if version != 1 {
		return nil, detail(ErrUnsupported, "object header version %d at %#x", version, addr)
	}
	c.skip(1)
	nmsgs := int(c.u16())
	c.u32() // reference count
	size := uint64(c.u32())
	c.skip(4) // alignment to 8 bytes
	if !c.ok() {
		return nil, detail(ErrTruncated, "object header at %#x", addr)
	}
	first, err := d.at(addr+16, size)
	if err != nil {
		return nil, fmt.Errorf("object header at %#x: %w", addr, err)
	}
	var msgs []message
	chunks := []*cursor{first}
	seen := map[uint64]bool{addr: true}
	for len(chunks) > 0 {
		c := chunks[0]
		chunks = chunks[1:]
		for c.left() >= 8 {
			typ := c.u16()
			n := int(c.u16())
			flags := c.u8()
			c.skip(3)
			data := c.bytes(n)
			if !c.ok() {
				return nil, detail(ErrTruncated, "message %#x of %d bytes in the object header at %#x", typ, n, addr)
			}
			c.align(8)
			c.bad = false // the last message may end the block unaligned
			if typ == msgContinuation {
				next, err := d.continuation(data, seen)
				if err != nil {
					return nil, err
				}
				chunks = append(chunks, next)
				continue
			}
			msgs = append(msgs, message{typ, flags, data})
		}
	}
	if len(msgs) > nmsgs && nmsgs > 0 {
		// libhdf5 counts messages the same way; a larger count is corrupt
		// but harmless here, so only an absurd excess is refused.
		if len(msgs) > 4*nmsgs+16 {
			return nil, detail(ErrCorrupt, "object header at %#x claims %d messages, holds %d", addr, nmsgs, len(msgs))
		}
	}
	return msgs, nil
}

// continuation resolves a continuation message to the block it names.
func (d *decoder) continuation(data []byte, seen map[uint64]bool) (*cursor, error) {
	mc := d.cursor(data)
	off, n := mc.addr(), mc.length()
	if !mc.ok() {
		return nil, detail(ErrTruncated, "continuation message")
	}
	if seen[off] {
		return nil, detail(ErrCycle, "continuation block at %#x visited twice", off)
	}
	seen[off] = true
	if len(seen) > maxHeaderChunks {
		return nil, detail(ErrCorrupt, "more than %d continuation blocks", maxHeaderChunks)
	}
	if err := d.visitNode(); err != nil {
		return nil, err
	}
	c, err := d.at(off, n)
	if err != nil {
		return nil, fmt.Errorf("continuation block: %w", err)
	}
	return c, nil
}

// headerV2 decodes a version 2 object header ("OHDR") starting at c.
func (d *decoder) headerV2(addr uint64, c *cursor) ([]message, error) {
	c.skip(4)
	version := c.u8()
	if version != 2 {
		return nil, detail(ErrUnsupported, "OHDR version %d at %#x", version, addr)
	}
	flags := c.u8()
	if flags&0x20 != 0 {
		c.skip(16) // access, modification, change, birth times
	}
	if flags&0x10 != 0 {
		c.skip(4) // attribute storage phase change values
	}
	size := c.uvar(1 << (flags & 3))
	start := c.off
	if !c.ok() || size > uint64(c.left()) || uint64(c.left())-size < 4 {
		return nil, detail(ErrTruncated, "OHDR at %#x: chunk of %d bytes", addr, size)
	}
	end := start + int(size)
	if err := checkSum(c.b[:end+4], fmt.Sprintf("OHDR at %#x", addr)); err != nil {
		return nil, err
	}
	order := flags&0x04 != 0
	var msgs []message
	chunks := []*cursor{d.cursor(c.b[start:end])}
	seen := map[uint64]bool{addr: true}
	for len(chunks) > 0 {
		c := chunks[0]
		chunks = chunks[1:]
		hdr := 4
		if order {
			hdr = 6
		}
		for c.left() >= hdr {
			typ := uint16(c.u8())
			n := int(c.u16())
			mflags := c.u8()
			if order {
				c.skip(2)
			}
			data := c.bytes(n)
			if !c.ok() {
				return nil, detail(ErrTruncated, "message %#x of %d bytes in the object header at %#x", typ, n, addr)
			}
			if typ == msgContinuation {
				next, err := d.continuation(data, seen)
				if err != nil {
					return nil, err
				}
				if next.left() < 8 || !bytes.Equal(next.b[:4], []byte("OCHK")) {
					return nil, detail(ErrCorrupt, "continuation block without OCHK signature")
				}
				if err := checkSum(next.b, "OCHK"); err != nil {
					return nil, err
				}
				chunks = append(chunks, d.cursor(next.b[4:len(next.b)-4]))
				continue
			}
			msgs = append(msgs, message{typ, mflags, data})
		}
	}
	return msgs, nil
}
