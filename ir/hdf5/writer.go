package hdf5

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Writer builds an HDF5 file in memory: groups, datasets and attributes
// added through its Root, encoded by Bytes or WriteFile. See doc.go for
// the layout it writes.
type Writer struct {
	root *WGroup
}

// NewWriter returns a Writer with an empty root group.
func NewWriter() *Writer { return &Writer{root: &WGroup{path: "/"}} }

// Root is the root group "/".
func (w *Writer) Root() *WGroup { return w.root }

// WGroup is a group being written.
type WGroup struct {
	path    string
	members []wmember
	attrs   []*wvalue
}

type wmember struct {
	name  string
	group *WGroup
	ds    *WDataset
}

// WDataset is a dataset being written.
type WDataset struct {
	wvalue
	attrs []*wvalue
}

// wvalue is a named, typed, shaped value: a dataset's or an attribute's.
type wvalue struct {
	name  string
	shape []uint64 // nil: scalar
	dtype []byte   // encoded datatype message
	size  int      // bytes per element
	raw   []byte   // fixed-size data (little-endian)
	vlen  [][]byte // variable-length elements (raw stays nil until encoded)
}

// WriteError is the error of every writer method: the object path and
// what is wrong with the request.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("hdf5: writing %s: %v", e.Path, e.Err) }
func (e *WriteError) Unwrap() error { return e.Err }

// ErrInvalid is wrapped by WriteError for a request the writer refuses.
var ErrInvalid = errors.New("invalid")

func (g *WGroup) add(name string, m wmember) error {
	path := joinPath(g.path, name)
	if err := checkName(name); err != nil || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return &WriteError{Path: path, Err: detail(ErrInvalid, "name %q", name)}
	}
	for _, o := range g.members {
		if o.name == name {
			return &WriteError{Path: path, Err: detail(ErrInvalid, "the group already has a member %q", name)}
		}
	}
	g.members = append(g.members, m)
	return nil
}

// CreateGroup adds an empty group.
func (g *WGroup) CreateGroup(name string) (*WGroup, error) {
	s := &WGroup{path: joinPath(g.path, name)}
	if err := g.add(name, wmember{name: name, group: s}); err != nil {
		return nil, err
	}
	return s, nil
}

// CreateDataset adds a numeric dataset. data is a slice of float64,
// float32, int8, int16, int32, int64, uint8, uint16, uint32 or uint64 in
// row-major order with one element per position of shape, or one value of
// those types for a scalar (shape nil).
func (g *WGroup) CreateDataset(name string, shape []int, data any) (*WDataset, error) {
	path := joinPath(g.path, name)
	v, err := numericValue(path, name, shape, data)
	if err != nil {
		return nil, err
	}
	return g.addDataset(v)
}

// addDataset adds a dataset holding v.
func (g *WGroup) addDataset(v *wvalue) (*WDataset, error) {
	ds := &WDataset{wvalue: *v}
	if err := g.add(v.name, wmember{name: v.name, ds: ds}); err != nil {
		return nil, err
	}
	return ds, nil
}

// CreateStrings adds a dataset of variable-length UTF-8 strings (h5py's
// str dtype) with the given shape (nil: a scalar, one string).
func (g *WGroup) CreateStrings(name string, shape []int, data []string) (*WDataset, error) {
	path := joinPath(g.path, name)
	v, err := stringValue(path, name, shape, data)
	if err != nil {
		return nil, err
	}
	return g.addDataset(v)
}

// CreateVarLen adds a one-dimensional dataset of variable-length sequences:
// data is a [][]float32, [][]float64, [][]uint16, [][]int32 or [][]int64
// (SHD's spikes/times and spikes/units).
func (g *WGroup) CreateVarLen(name string, data any) (*WDataset, error) {
	path := joinPath(g.path, name)
	var base []byte
	var rows [][]byte
	switch d := data.(type) {
	case [][]float32:
		base, rows = floatType(4), encodeRows(d, 4)
	case [][]float64:
		base, rows = floatType(8), encodeRows(d, 8)
	case [][]uint16:
		base, rows = intType(2, false), encodeRows(d, 2)
	case [][]int32:
		base, rows = intType(4, true), encodeRows(d, 4)
	case [][]int64:
		base, rows = intType(8, true), encodeRows(d, 8)
	default:
		return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "variable-length data of type %T", data)}
	}
	dt := append([]byte{0x19, 0x00, 0x00, 0x00, 16, 0, 0, 0}, base...)
	return g.addDataset(&wvalue{name: name, shape: []uint64{uint64(len(rows))}, dtype: dt, size: 16, vlen: rows})
}

// SetAttr sets an attribute of the group: value is a number or a slice of
// numbers (see CreateDataset), a string or a []string (variable-length
// UTF-8). shape is nil for a scalar or a single string; a nil shape with a
// slice makes a one-dimensional attribute.
func (g *WGroup) SetAttr(name string, shape []int, value any) error {
	a, err := attrValue(g.path, name, shape, value)
	if err != nil {
		return err
	}
	g.attrs = setAttr(g.attrs, a)
	return nil
}

// SetAttr sets an attribute of the dataset (see WGroup.SetAttr).
func (ds *WDataset) SetAttr(name string, shape []int, value any) error {
	a, err := attrValue(ds.name, name, shape, value)
	if err != nil {
		return err
	}
	ds.attrs = setAttr(ds.attrs, a)
	return nil
}

func setAttr(list []*wvalue, a *wvalue) []*wvalue {
	for i, o := range list {
		if o.name == a.name {
			list[i] = a
			return list
		}
	}
	return append(list, a)
}

func attrValue(owner, name string, shape []int, value any) (*wvalue, error) {
	path := owner + " @" + name
	if name == "" || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "attribute name %q", name)}
	}
	switch v := value.(type) {
	case string:
		if shape != nil {
			return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "a single string with shape %v", shape)}
		}
		return stringValue(path, name, nil, []string{v})
	case []string:
		if shape == nil {
			shape = []int{len(v)}
		}
		return stringValue(path, name, shape, v)
	}
	if shape == nil && isSlice(value) {
		shape = []int{sliceLen(value)}
	}
	return numericValue(path, name, shape, value)
}

// checkShape converts a shape and checks that it holds n elements.
func checkShape(path string, shape []int, n int) ([]uint64, error) {
	if len(shape) > maxRank {
		return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "rank %d", len(shape))}
	}
	out := make([]uint64, len(shape))
	want := 1
	for i, s := range shape {
		if s < 0 || (s > 0 && want > math.MaxInt32/s) {
			return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "shape %v", shape)}
		}
		out[i] = uint64(s)
		want *= s
	}
	if want != n {
		return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "shape %v holds %d elements, data has %d", shape, want, n)}
	}
	if len(shape) == 0 {
		out = nil
	}
	return out, nil
}

func stringValue(path, name string, shape []int, data []string) (*wvalue, error) {
	if shape == nil && len(data) != 1 {
		return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "a scalar takes one string, got %d", len(data))}
	}
	s, err := checkShape(path, shape, len(data))
	if err != nil {
		return nil, err
	}
	rows := make([][]byte, len(data))
	for i, x := range data {
		if !utf8.ValidString(x) {
			return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "string %d is not UTF-8", i)}
		}
		rows[i] = []byte(x)
	}
	// Variable-length UTF-8 string over uint8, as h5py writes str.
	dt := append([]byte{0x19, 0x01, 0x01, 0x00, 16, 0, 0, 0}, intType(1, false)...)
	return &wvalue{name: name, shape: s, dtype: dt, size: 16, vlen: rows}, nil
}

func numericValue(path, name string, shape []int, data any) (*wvalue, error) {
	var raw []byte
	var dt []byte
	var size int
	switch d := data.(type) {
	case []float64:
		dt, size, raw = floatType(8), 8, encodeRows([][]float64{d}, 8)[0]
	case []float32:
		dt, size, raw = floatType(4), 4, encodeRows([][]float32{d}, 4)[0]
	case []int8:
		dt, size, raw = intType(1, true), 1, encodeRows([][]int8{d}, 1)[0]
	case []int16:
		dt, size, raw = intType(2, true), 2, encodeRows([][]int16{d}, 2)[0]
	case []int32:
		dt, size, raw = intType(4, true), 4, encodeRows([][]int32{d}, 4)[0]
	case []int64:
		dt, size, raw = intType(8, true), 8, encodeRows([][]int64{d}, 8)[0]
	case []uint8:
		dt, size, raw = intType(1, false), 1, encodeRows([][]uint8{d}, 1)[0]
	case []uint16:
		dt, size, raw = intType(2, false), 2, encodeRows([][]uint16{d}, 2)[0]
	case []uint32:
		dt, size, raw = intType(4, false), 4, encodeRows([][]uint32{d}, 4)[0]
	case []uint64:
		dt, size, raw = intType(8, false), 8, encodeRows([][]uint64{d}, 8)[0]
	case int:
		return scalar(path, name, shape, []int64{int64(d)})
	default:
		// A single number: the one-element slice of its type.
		if v := reflect.ValueOf(data); v.IsValid() && v.Kind() != reflect.Slice {
			one := reflect.MakeSlice(reflect.SliceOf(v.Type()), 1, 1)
			one.Index(0).Set(v)
			if sliceLen(one.Interface()) == 1 {
				return scalar(path, name, shape, one.Interface())
			}
		}
		return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "data of type %T", data)}
	}
	s, err := checkShape(path, shape, len(raw)/size)
	if err != nil {
		return nil, err
	}
	return &wvalue{name: name, shape: s, dtype: dt, size: size, raw: raw}, nil
}

func scalar(path, name string, shape []int, one any) (*wvalue, error) {
	if shape != nil {
		return nil, &WriteError{Path: path, Err: detail(ErrInvalid, "a single value with shape %v", shape)}
	}
	return numericValue(path, name, []int{}, one)
}

func isSlice(v any) bool { return sliceLen(v) >= 0 }

// sliceLen is the length of a slice of one of the numeric types the writer
// encodes, and -1 for anything else.
func sliceLen(v any) int {
	switch v.(type) {
	case []float64, []float32, []int8, []int16, []int32, []int64, []uint8, []uint16, []uint32, []uint64:
		return reflect.ValueOf(v).Len()
	}
	return -1
}

// number is the element types the writer encodes.
type number interface {
	~float32 | ~float64 | ~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

// encodeRows encodes each row little-endian, size bytes per element.
func encodeRows[T number](rows [][]T, size int) [][]byte {
	out := make([][]byte, len(rows))
	for i, row := range rows {
		b := make([]byte, len(row)*size)
		switch r := any(row).(type) {
		case []float32:
			for j, x := range r {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(x))
			}
		case []float64:
			for j, x := range r {
				binary.LittleEndian.PutUint64(b[8*j:], math.Float64bits(x))
			}
		default: // integers: two's complement, truncated to size bytes
			for j, x := range row {
				u := uint64(x)
				for k := 0; k < size; k++ {
					b[j*size+k] = byte(u >> (8 * k))
				}
			}
		}
		out[i] = b
	}
	return out
}

// intType encodes a little-endian fixed-point datatype message.
func intType(size int, signed bool) []byte {
	b := []byte{0x10, 0, 0, 0, byte(size), 0, 0, 0, 0, 0, byte(8 * size), 0}
	if signed {
		b[1] = 0x08
	}
	return b
}

// floatType encodes a little-endian IEEE 754 datatype message.
func floatType(size int) []byte {
	if size == 4 {
		return []byte{0x11, 0x20, 31, 0, 4, 0, 0, 0, 0, 0, 32, 0, 23, 8, 0, 23, 127, 0, 0, 0}
	}
	return []byte{0x11, 0x20, 63, 0, 8, 0, 0, 0, 0, 0, 64, 0, 52, 11, 0, 52, 0xff, 0x03, 0, 0}
}

// Bytes encodes the file.
func (w *Writer) Bytes() ([]byte, error) {
	e := &encoder{buf: make([]byte, superblockSize)}
	root, err := e.group(w.root)
	if err != nil {
		return nil, err
	}
	// Superblock version 2.
	b := append([]byte(nil), signature...)
	b = append(b, 2, 8, 8, 0)
	b = binary.LittleEndian.AppendUint64(b, 0)     // base address
	b = binary.LittleEndian.AppendUint64(b, undef) // superblock extension
	b = binary.LittleEndian.AppendUint64(b, uint64(len(e.buf)))
	b = binary.LittleEndian.AppendUint64(b, root)
	b = binary.LittleEndian.AppendUint32(b, lookup3(b))
	copy(e.buf, b)
	return e.buf, nil
}

// WriteFile encodes the file and writes it to path atomically: to a
// temporary file in the same directory, synced, then renamed over path.
func (w *Writer) WriteFile(path string) error {
	b, err := w.Bytes()
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("hdf5: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename this fails harmlessly
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("hdf5: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("hdf5: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil { // as os.WriteFile's files, not CreateTemp's 0600
		tmp.Close()
		return fmt.Errorf("hdf5: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("hdf5: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("hdf5: %w", err)
	}
	return nil
}

const superblockSize = 48

// encoder appends objects to a file image; children are written before
// their parents so that every address is known when it is encoded.
type encoder struct {
	buf []byte
}

// place appends b at the next multiple of 8 and returns its address.
func (e *encoder) place(b []byte) uint64 {
	for len(e.buf)%8 != 0 {
		e.buf = append(e.buf, 0)
	}
	a := uint64(len(e.buf))
	e.buf = append(e.buf, b...)
	return a
}

type wmsg struct {
	typ  byte
	data []byte
}

// header writes a version 2 object header with the given messages.
func (e *encoder) header(path string, msgs []wmsg, nattrs int) (uint64, error) {
	var body []byte
	for _, m := range msgs {
		if len(m.data) > math.MaxUint16 {
			return 0, &WriteError{Path: path, Err: detail(ErrInvalid, "object header message of %d bytes (attributes are limited to 64 KiB)", len(m.data))}
		}
		body = append(body, m.typ)
		body = binary.LittleEndian.AppendUint16(body, uint16(len(m.data)))
		body = append(body, 0)
		body = append(body, m.data...)
	}
	// Flags: 4-byte chunk size; attribute phase change values stored so
	// that any number of attributes may stay compact.
	b := []byte("OHDR")
	b = append(b, 2, 0x02|0x10)
	maxCompact := max(8, nattrs)
	b = binary.LittleEndian.AppendUint16(b, uint16(maxCompact))
	b = binary.LittleEndian.AppendUint16(b, uint16(min(6, maxCompact)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(body)))
	b = append(b, body...)
	b = binary.LittleEndian.AppendUint32(b, lookup3(b))
	return e.place(b), nil
}

func (e *encoder) group(g *WGroup) (uint64, error) {
	msgs := []wmsg{
		{msgLinkInfo, append([]byte{0, 0}, addrBytes(undef, undef)...)},
		{msgGroupInfo, []byte{0, 0}},
	}
	for _, m := range g.members {
		var addr uint64
		var err error
		if m.group != nil {
			addr, err = e.group(m.group)
		} else {
			addr, err = e.dataset(joinPath(g.path, m.name), m.ds)
		}
		if err != nil {
			return 0, err
		}
		msgs = append(msgs, wmsg{msgLink, linkMessage(m.name, addr)})
	}
	am, err := e.attrMessages(g.path, g.attrs)
	if err != nil {
		return 0, err
	}
	return e.header(g.path, append(msgs, am...), len(g.attrs))
}

func (e *encoder) dataset(path string, ds *WDataset) (uint64, error) {
	raw := e.data(&ds.wvalue)
	layout := []byte{3, 1}
	if len(raw) == 0 {
		layout = append(layout, addrBytes(undef, 0)...)
	} else {
		layout = append(layout, addrBytes(e.place(raw), uint64(len(raw)))...)
	}
	msgs := []wmsg{
		{msgDataspace, dataspaceMessage(ds.shape)},
		{msgDatatype, ds.dtype},
		{msgFill, []byte{3, 0x0A}}, // version 3: allocation late, fill value written if set, none set
		{msgLayout, layout},
	}
	am, err := e.attrMessages(path, ds.attrs)
	if err != nil {
		return 0, err
	}
	return e.header(path, append(msgs, am...), len(ds.attrs))
}

func (e *encoder) attrMessages(path string, attrs []*wvalue) ([]wmsg, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	// libhdf5 counts the attributes of a version 2 object header through
	// its attribute info message: without one it sees none.
	out := []wmsg{{msgAttrInfo, append([]byte{0, 0}, addrBytes(undef, undef)...)}}
	for _, a := range attrs {
		space := dataspaceMessage(a.shape)
		b := []byte{3, 0}
		b = binary.LittleEndian.AppendUint16(b, uint16(len(a.name)+1))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(a.dtype)))
		b = binary.LittleEndian.AppendUint16(b, uint16(len(space)))
		b = append(b, 1) // UTF-8 name
		b = append(b, a.name...)
		b = append(b, 0)
		b = append(b, a.dtype...)
		b = append(b, space...)
		b = append(b, e.data(a)...)
		if len(a.name)+1 > math.MaxUint16 {
			return nil, &WriteError{Path: path + " @" + a.name, Err: detail(ErrInvalid, "name too long")}
		}
		out = append(out, wmsg{msgAttribute, b})
	}
	return out, nil
}

// data returns a value's element bytes, first writing variable-length
// elements into global heap collections.
func (e *encoder) data(v *wvalue) []byte {
	if v.vlen == nil {
		return v.raw
	}
	out := make([]byte, 0, 16*len(v.vlen))
	for start := 0; start < len(v.vlen); {
		// One collection: at most 65535 objects and about 1 MiB.
		end, size := start, 16
		for end < len(v.vlen) && end-start < 65535 && (end == start || size+16+pad8(len(v.vlen[end])) <= 1<<20) {
			size += 16 + pad8(len(v.vlen[end]))
			end++
		}
		total := max(size, 4096)
		col := []byte("GCOL")
		col = append(col, 1, 0, 0, 0)
		col = binary.LittleEndian.AppendUint64(col, uint64(total))
		for i := start; i < end; i++ {
			col = binary.LittleEndian.AppendUint16(col, uint16(i-start+1))
			col = binary.LittleEndian.AppendUint16(col, 1) // reference count
			col = append(col, 0, 0, 0, 0)
			col = binary.LittleEndian.AppendUint64(col, uint64(len(v.vlen[i])))
			col = append(col, v.vlen[i]...)
			for len(col)%8 != 0 {
				col = append(col, 0)
			}
		}
		if free := total - len(col); free >= 16 {
			col = append(col, 0, 0, 0, 0, 0, 0, 0, 0)
			col = binary.LittleEndian.AppendUint64(col, uint64(free))
		}
		col = append(col, make([]byte, total-len(col))...)
		addr := e.place(col)
		for i := start; i < end; i++ {
			n := len(v.vlen[i])
			if v.dtype[1]&0x0f == 0 { // sequence: length in elements
				n /= baseSize(v.dtype)
			}
			out = binary.LittleEndian.AppendUint32(out, uint32(n))
			out = binary.LittleEndian.AppendUint64(out, addr)
			out = binary.LittleEndian.AppendUint32(out, uint32(i-start+1))
		}
		start = end
	}
	return out
}

// baseSize is the element size of a variable-length type's base type.
func baseSize(dt []byte) int { return int(binary.LittleEndian.Uint32(dt[8+4:])) }

func pad8(n int) int { return (n + 7) &^ 7 }

func addrBytes(a, b uint64) []byte {
	out := binary.LittleEndian.AppendUint64(nil, a)
	return binary.LittleEndian.AppendUint64(out, b)
}

// dataspaceMessage encodes a version 2 dataspace (scalar when shape is nil).
func dataspaceMessage(shape []uint64) []byte {
	if shape == nil {
		return []byte{2, 0, 0, 0}
	}
	b := []byte{2, byte(len(shape)), 0, 1}
	for _, s := range shape {
		b = binary.LittleEndian.AppendUint64(b, s)
	}
	return b
}

// linkMessage encodes a hard link with a UTF-8 name.
func linkMessage(name string, addr uint64) []byte {
	b := []byte{1, 0x10}
	if len(name) > 255 {
		b[1] |= 1
		b = append(b, 1)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(name)))
	} else {
		b = append(b, 1, byte(len(name)))
	}
	b = append(b, name...)
	return binary.LittleEndian.AppendUint64(b, addr)
}
