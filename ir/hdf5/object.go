package hdf5

import (
	"fmt"
	"sort"
	"strings"
)

// Group is an HDF5 group: named members (groups and datasets) and
// attributes.
type Group struct {
	// Path is the group's path from the root ("/" for the root).
	Path string
	// Attrs are the group's attributes, sorted by name.
	Attrs []*Attr
	// Storage is how the group stores its links: "symbol table" (v1
	// B-tree and local heap), "compact" (link messages) or "dense"
	// (fractal heap and v2 B-tree name index).
	Storage string

	names   []string       // member names, sorted
	members map[string]any // *Group or *Dataset
}

// Name is the last element of the group's path ("/" for the root).
func (g *Group) Name() string { return baseName(g.Path) }

// Names lists the names of the group's members (groups and datasets), in
// byte order of the names (h5py's default order).
func (g *Group) Names() []string { return append([]string(nil), g.names...) }

// Groups lists the member groups in name order.
func (g *Group) Groups() []*Group {
	var out []*Group
	for _, n := range g.names {
		if s, ok := g.members[n].(*Group); ok {
			out = append(out, s)
		}
	}
	return out
}

// Datasets lists the member datasets in name order.
func (g *Group) Datasets() []*Dataset {
	var out []*Dataset
	for _, n := range g.names {
		if s, ok := g.members[n].(*Dataset); ok {
			out = append(out, s)
		}
	}
	return out
}

// Member returns the member at name, a name or a relative path with "/"
// separators ("nodes/lif/tau"): a *Group or a *Dataset. The error wraps
// ErrNotFound when there is none.
func (g *Group) Member(name string) (any, error) {
	var cur any = g
	for _, part := range strings.Split(strings.Trim(name, "/"), "/") {
		if part == "" {
			continue
		}
		grp, ok := cur.(*Group)
		if !ok {
			return nil, fmt.Errorf("hdf5: %s: %w: %s is a dataset, not a group", g.Path, ErrNotFound, cur.(*Dataset).Path)
		}
		next, ok := grp.members[part]
		if !ok {
			return nil, fmt.Errorf("hdf5: %s: %w: no member %q", grp.Path, ErrNotFound, part)
		}
		cur = next
	}
	return cur, nil
}

// Group returns the member group at name (see Member).
func (g *Group) Group(name string) (*Group, error) { return memberAs[*Group](g, name, "group") }

// Dataset returns the member dataset at name (see Member).
func (g *Group) Dataset(name string) (*Dataset, error) { return memberAs[*Dataset](g, name, "dataset") }

// memberAs returns the member at name if it is a T.
func memberAs[T any](g *Group, name, kind string) (T, error) {
	var zero T
	m, err := g.Member(name)
	if err != nil {
		return zero, err
	}
	s, ok := m.(T)
	if !ok {
		return zero, fmt.Errorf("hdf5: %s: %w: %s is not a %s", g.Path, ErrNotFound, name, kind)
	}
	return s, nil
}

// Attr returns the group's attribute of that name.
func (g *Group) Attr(name string) (*Attr, error) { return findAttr(g.Path, g.Attrs, name) }

// Dataset is an HDF5 dataset: its shape, datatype, storage and attributes.
// The typed readers (Float64s, Strings, …) decode its values.
type Dataset struct {
	// Path is the dataset's path from the root.
	Path string
	// Shape is the extent of each dimension; nil for a scalar.
	Shape []uint64
	// MaxShape is the maximum extent of each dimension (Unlimited for an
	// unlimited one); nil when the file does not store it.
	MaxShape []uint64
	// Datatype is the stored element type.
	Datatype *Datatype
	// Layout is "compact", "contiguous" or "chunked".
	Layout string
	// Chunk is the chunk shape of a chunked dataset.
	Chunk []uint64
	// ChunkIndex names the index of the chunks: "btree1" (layouts 1–3),
	// "single chunk", "implicit", "fixed array", "extensible array" or
	// "btree2" (layout 4).
	ChunkIndex string
	// Filters names the filters of a chunked dataset in pipeline order
	// ("deflate", "shuffle", "fletcher32").
	Filters []string
	// Attrs are the dataset's attributes, sorted by name.
	Attrs []*Attr

	values
}

// Unlimited is the MaxShape of an unlimited dimension.
const Unlimited = undef

// Name is the last element of the dataset's path.
func (ds *Dataset) Name() string { return baseName(ds.Path) }

// Attr returns the dataset's attribute of that name.
func (ds *Dataset) Attr(name string) (*Attr, error) { return findAttr(ds.Path, ds.Attrs, name) }

// Attr is an attribute of a group or a dataset; the typed readers decode
// its value.
type Attr struct {
	Name     string
	Shape    []uint64 // nil for a scalar
	Datatype *Datatype

	values
}

func findAttr(path string, attrs []*Attr, name string) (*Attr, error) {
	for _, a := range attrs {
		if a.Name == name {
			return a, nil
		}
	}
	return nil, fmt.Errorf("hdf5: %s: %w: no attribute %q", path, ErrNotFound, name)
}

func baseName(p string) string {
	if p == "/" {
		return p
	}
	return p[strings.LastIndexByte(p, '/')+1:]
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// object decodes the object whose header is at addr: a *Group, a *Dataset,
// or nil for objects this package does not represent (named datatypes).
// An object reached through several links is decoded once and shared; a
// group that contains itself (a hard link to an ancestor) is refused as
// ErrCycle, so that every File is a finite tree.
func (d *decoder) object(path string, addr uint64) (any, error) {
	if o, ok := d.objects[addr]; ok {
		return o, nil
	}
	if d.visiting[addr] {
		return nil, d.fail(path, "object header", detail(ErrCycle, "the group at %#x contains itself", addr))
	}
	d.visiting[addr] = true
	defer delete(d.visiting, addr)
	if err := d.visitNode(); err != nil {
		return nil, d.fail(path, "object header", err)
	}
	msgs, err := d.headerMessages(addr)
	if err != nil {
		return nil, d.fail(path, "object header", err)
	}
	has := map[uint16]bool{}
	for _, m := range msgs {
		has[m.typ] = true
		if m.flags&0x02 != 0 && (m.typ == msgDatatype || m.typ == msgDataspace || m.typ == msgFilters) {
			return nil, d.fail(path, fmt.Sprintf("message %#x", m.typ), detail(ErrUnsupported, "shared object header messages"))
		}
	}
	attrs, err := d.attributes(path, msgs)
	if err != nil {
		return nil, err
	}
	var obj any
	switch {
	case has[msgLayout]:
		ds, err := d.dataset(path, msgs)
		if err != nil {
			return nil, err
		}
		ds.Attrs = attrs
		obj = ds
	case has[msgSymbolTable] || has[msgLinkInfo] || has[msgLink]:
		g := &Group{Path: path, Attrs: attrs, members: map[string]any{}}
		links, err := d.links(g, msgs)
		if err != nil {
			return nil, err
		}
		sort.Slice(links, func(i, j int) bool { return links[i].name < links[j].name })
		for _, l := range links {
			if _, dup := g.members[l.name]; dup {
				return nil, d.fail(path, "links", detail(ErrCorrupt, "two members named %q", l.name))
			}
			if l.addr == undef {
				continue // soft or external link: not followed
			}
			m, err := d.object(joinPath(path, l.name), l.addr)
			if err != nil {
				return nil, err
			}
			if m != nil {
				g.members[l.name] = m
				g.names = append(g.names, l.name)
			}
		}
		obj = g
	}
	d.objects[addr] = obj
	return obj, nil
}

// link is one named member of a group.
type link struct {
	name string
	addr uint64 // undef for soft and external links
}

// links collects the links of a group from whichever storage it uses:
// a symbol table (v1 B-tree and local heap), link messages (compact) or a
// fractal heap indexed by a v2 B-tree (dense).
func (d *decoder) links(g *Group, msgs []message) ([]link, error) {
	path := g.Path
	var out []link
	for _, m := range msgs {
		switch m.typ {
		case msgSymbolTable:
			g.Storage = "symbol table"
			c := d.cursor(m.data)
			btree, heap := c.addr(), c.addr()
			if !c.ok() {
				return nil, d.fail(path, "symbol table message", detail(ErrTruncated, "cut short"))
			}
			l, err := d.symbolTable(btree, heap)
			if err != nil {
				return nil, d.fail(path, "symbol table", err)
			}
			out = append(out, l...)
		case msgLink:
			g.Storage = "compact"
			l, err := d.parseLink(m.data)
			if err != nil {
				return nil, d.fail(path, "link message", err)
			}
			out = append(out, l)
		case msgLinkInfo:
			heap, names, err := d.denseInfo(m.data, 8)
			if err != nil {
				return nil, d.fail(path, "link info message", err)
			}
			if heap == undef {
				g.Storage = "compact"
				continue
			}
			g.Storage = "dense"
			err = d.denseRecords(heap, names, 5, func(obj []byte) error {
				l, err := d.parseLink(obj)
				out = append(out, l)
				return err
			})
			if err != nil {
				return nil, d.fail(path, "dense link storage", err)
			}
		}
	}
	return out, nil
}

// denseInfo decodes a link info or attribute info message: the addresses
// of the fractal heap and of the v2 B-tree name index (undef when the
// storage is compact). orderSize is the width of the maximum creation
// index field (8 for links, 2 for attributes).
func (d *decoder) denseInfo(data []byte, orderSize int) (heap, names uint64, err error) {
	c := d.cursor(data)
	version, flags := c.u8(), c.u8()
	if version != 0 {
		return 0, 0, detail(ErrUnsupported, "version %d", version)
	}
	if flags&1 != 0 {
		c.skip(orderSize)
	}
	heap, names = c.addr(), c.addr()
	if !c.ok() {
		return 0, 0, detail(ErrTruncated, "cut short")
	}
	return heap, names, nil
}

// parseLink decodes a link message.
func (d *decoder) parseLink(data []byte) (link, error) {
	c := d.cursor(data)
	version, flags := c.u8(), c.u8()
	if version != 1 {
		return link{}, detail(ErrUnsupported, "link message version %d", version)
	}
	kind := uint8(0)
	if flags&0x08 != 0 {
		kind = c.u8()
	}
	if flags&0x04 != 0 {
		c.skip(8)
	}
	if flags&0x10 != 0 {
		c.skip(1)
	}
	n := c.uvar(1 << (flags & 3))
	if n > uint64(c.left()) {
		return link{}, detail(ErrTruncated, "link name of %d bytes", n)
	}
	name := string(c.bytes(int(n)))
	l := link{name: name, addr: undef}
	if kind == 0 {
		l.addr = c.addr()
	}
	if !c.ok() {
		return link{}, detail(ErrTruncated, "link %q cut short", name)
	}
	if err := checkName(name); err != nil {
		return link{}, err
	}
	return l, nil
}

func checkName(name string) error {
	if name == "" || name == "." || strings.ContainsRune(name, '/') {
		return detail(ErrCorrupt, "link name %q", name)
	}
	return nil
}

// attributes decodes the attribute messages and dense attribute storage.
func (d *decoder) attributes(path string, msgs []message) ([]*Attr, error) {
	var out []*Attr
	for _, m := range msgs {
		switch m.typ {
		case msgAttribute:
			a, err := d.parseAttr(path, m.data)
			if err != nil {
				return nil, d.fail(path, "attribute message", err)
			}
			out = append(out, a)
		case msgAttrInfo:
			heap, names, err := d.denseInfo(m.data, 2)
			if err != nil {
				return nil, d.fail(path, "attribute info message", err)
			}
			if heap == undef {
				continue
			}
			err = d.denseRecords(heap, names, 8, func(obj []byte) error {
				a, err := d.parseAttr(path, obj)
				out = append(out, a)
				return err
			})
			if err != nil {
				return nil, d.fail(path, "dense attribute storage", err)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// parseAttr decodes an attribute message (versions 1–3).
func (d *decoder) parseAttr(path string, data []byte) (*Attr, error) {
	c := d.cursor(data)
	version := c.u8()
	flags := c.u8()
	nName, nType, nSpace := int(c.u16()), int(c.u16()), int(c.u16())
	pad := func(n int) int { return n }
	switch version {
	case 1:
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		c.skip(1) // name character set
	default:
		return nil, detail(ErrUnsupported, "attribute message version %d", version)
	}
	if flags&3 != 0 {
		return nil, detail(ErrUnsupported, "shared attribute datatype or dataspace")
	}
	nameBytes := c.bytes(pad(nName))
	typeBytes := c.bytes(pad(nType))
	spaceBytes := c.bytes(pad(nSpace))
	if !c.ok() || nName > len(nameBytes) || nType > len(typeBytes) {
		return nil, detail(ErrTruncated, "attribute cut short")
	}
	name := string(nameBytes[:nName])
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	dt, err := parseDatatype(d.cursor(typeBytes[:nType]), 0)
	if err != nil {
		return nil, fmt.Errorf("attribute %q: datatype: %w", name, err)
	}
	space, err := parseDataspace(d.cursor(spaceBytes))
	if err != nil {
		return nil, fmt.Errorf("attribute %q: dataspace: %w", name, err)
	}
	n, err := space.elements()
	if err != nil {
		return nil, fmt.Errorf("attribute %q: %w", name, err)
	}
	if n > uint64(c.left())/uint64(dt.Size) {
		return nil, detail(ErrTruncated, "attribute %q: %d elements of %d bytes in %d bytes", name, n, dt.Size, c.left())
	}
	raw := c.bytes(int(n) * dt.Size)
	a := &Attr{Name: name, Shape: space.shape, Datatype: dt}
	a.values = values{d: d, path: path + " @" + name, dt: dt, n: n, load: func() ([]byte, error) { return raw, nil }}
	return a, nil
}
