package ir

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/snnc/snnc/ir/internal/fb"
)

// Decode errors. Every error Decode returns for malformed bytes is a
// *DecodeError matching one of these with errors.Is (or a *FieldError, which
// matches ErrInvalid, when the bytes are well formed but the model is not).
var (
	// ErrTruncated: an offset or a length points past the end of the data.
	ErrTruncated = errors.New("truncated file")
	// ErrIdentifier: the data does not start like an snnc file.
	ErrIdentifier = errors.New("not an snnc model file")
	// ErrVersion: the file was written by a newer format version.
	ErrVersion = errors.New("unsupported format version")
	// ErrCorrupt: the structure of the file is inconsistent.
	ErrCorrupt = errors.New("corrupt file")
)

// DecodeError is a problem with the bytes of an encoded model.
type DecodeError struct {
	// Err is ErrTruncated, ErrIdentifier, ErrVersion or ErrCorrupt.
	Err error
	// Path names the field being read, e.g. "layers[2].weights" ("" for the file header).
	Path string
	// Detail says what is wrong.
	Detail string
}

func (e *DecodeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("ir: %v: %s", e.Err, e.Detail)
	}
	return fmt.Sprintf("ir: %v: %s: %s", e.Err, e.Path, e.Detail)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// decodePanics counts panics recovered by Decode. The checks in reader are
// meant to make them impossible; the fuzz test fails if one ever happens.
var decodePanics atomic.Int64

// Decode decodes an encoded model (see Encode) and verifies it (see Verify).
//
// It never panics on malformed input and never trusts an offset or a length:
// every table, vtable, field, string and vector is checked to lie inside b
// before the generated accessors read it, and the total size of all tables
// and vectors read may not exceed len(b), so the memory Decode allocates is
// bounded by a small multiple of len(b) even for crafted inputs that share
// one vector between many tables.
func Decode(b []byte) (m *Model, err error) {
	defer func() {
		if p := recover(); p != nil {
			decodePanics.Add(1)
			m, err = nil, &DecodeError{Err: ErrCorrupt, Detail: fmt.Sprintf("internal decoder error: %v", p)}
		}
	}()
	m, err = decode(b)
	if err != nil {
		return nil, err
	}
	if err := Verify(m); err != nil {
		return nil, err
	}
	return m, nil
}

func decode(b []byte) (*Model, error) {
	switch {
	case len(b) == 0:
		return nil, &DecodeError{Err: ErrTruncated, Detail: "file is empty"}
	case len(b) < 8:
		return nil, &DecodeError{Err: ErrTruncated, Detail: fmt.Sprintf("file is only %d bytes, shorter than the 8-byte header", len(b))}
	case len(b) > MaxFileSize:
		return nil, &DecodeError{Err: ErrCorrupt, Detail: fmt.Sprintf("file is %d bytes, larger than the format's %d", len(b), int64(MaxFileSize))}
	case string(b[4:8]) != FileIdentifier:
		return nil, &DecodeError{Err: ErrIdentifier, Detail: fmt.Sprintf("file identifier is %q, want %q", b[4:8], FileIdentifier)}
	}
	r := &reader{buf: b, budget: int64(len(b))}
	rootPos := int64(binary.LittleEndian.Uint32(b))
	rt := r.table(rootPos, "model")
	r.scalar(rt, slotModelFormatVersion, 4, "format_version")
	if r.err != nil {
		return nil, r.err
	}
	root := fb.GetRootAsModel(b, 0)
	if !r.same(root.Table(), rt, "model") {
		return nil, r.err
	}
	switch v := root.FormatVersion(); {
	case v == 0:
		return nil, &DecodeError{Err: ErrCorrupt, Path: "format_version", Detail: "is missing"}
	case v > FormatVersion:
		return nil, &DecodeError{Err: ErrVersion, Path: "format_version",
			Detail: fmt.Sprintf("file has version %d, this snnc reads versions up to %d; use a newer snnc", v, FormatVersion)}
	}
	m := r.model(root, rt)
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// Field slots (the n-th field of a table, in schemas/snn.fbs order). The
// vtable offset of slot n is 4+2n; TestSlotsMatchGeneratedCode checks these
// against the generated accessors.
const (
	slotInputShape = iota
	slotInputEncoding
	slotInputScale
)

const (
	slotLIFLeak = iota
	slotLIFThreshold
	slotLIFReset
	slotLIFCurrentDecay
)

const (
	slotLayerName = iota
	slotLayerKind
	slotLayerInShape
	slotLayerOutShape
	slotLayerWeights
	slotLayerRecurrent
	slotLayerBias
	slotLayerKernel
	slotLayerStride
	slotLayerPadding
	slotLayerNeuron
	slotLayerGroups
	slotLayerRowStart
	slotLayerCols
	slotLayerDelay
	slotLayerMapOrder
)

const slotReadoutKind = 0

const (
	slotProvenanceMethod = iota
	slotProvenanceAlphas
	slotProvenanceNoiseP
	slotProvenanceNoiseZeta
	slotProvenanceMilestones
	slotProvenanceDataset
	slotProvenanceEpochs
	slotProvenanceSeed
	slotProvenanceTestAccuracy
	slotProvenanceToolVersion
	slotProvenanceTarget
)

const (
	slotQuantLayerWeights = iota
	slotQuantLayerRecurrent
	slotQuantLayerWeightExponent
	slotQuantLayerScale
	slotQuantLayerThreshold
	slotQuantLayerNegThreshold
	slotQuantLayerBias
	slotQuantLayerBiasExponent
	slotQuantLayerDecayU
	slotQuantLayerDecayV
	slotQuantLayerLeak
	slotQuantLayerReset
	slotQuantLayerAxonTypes
	slotQuantLayerTypeWeights
	slotQuantLayerInputPayloadBits
	slotQuantLayerInputPayloadScale
)

const (
	slotQuantizedTarget = iota
	slotQuantizedWeightBits
	slotQuantizedLayers
)

const (
	slotMappingTarget = iota
	slotMappingChips
	slotMappingMeshWidth
	slotMappingMeshHeight
	slotMappingCores
	slotMappingRoutes
	slotMappingLowerBoundCores
)

const (
	slotModelFormatVersion = iota
	slotModelName
	slotModelInput
	slotModelTimesteps
	slotModelLayers
	slotModelReadout
	slotModelProvenance
	slotModelQuantized
	slotModelMapping
)

// Sizes of the schema's structs.
const (
	sizePair  = 8
	sizeCore  = 40
	sizeRoute = 16
)

// reader checks the FlatBuffers structure of buf. Its methods record the
// first problem in err and then do nothing; the generated accessors are
// called only for tables whose fields all passed.
type reader struct {
	buf []byte
	// budget is how many more bytes of tables and vectors may be read.
	budget int64
	err    *DecodeError
}

// table is a checked table: the table's inline data buf[pos:pos+size] and
// its vtable buf[vt:vt+vtLen] lie inside the buffer.
type table struct {
	pos, size, vt, vtLen int64
}

func (r *reader) fail(kind error, path, format string, a ...any) {
	if r.err == nil {
		r.err = &DecodeError{Err: kind, Path: path, Detail: fmt.Sprintf(format, a...)}
	}
}

func (r *reader) u32(at int64) int64 { return int64(binary.LittleEndian.Uint32(r.buf[at:])) }
func (r *reader) u16(at int64) int64 { return int64(binary.LittleEndian.Uint16(r.buf[at:])) }

// charge takes n bytes from the budget.
func (r *reader) charge(n int64, path string) bool {
	if n > r.budget {
		r.fail(ErrCorrupt, path, "tables and vectors add up to more bytes than the %d-byte file holds (shared data)", len(r.buf))
		return false
	}
	r.budget -= n
	return true
}

// table checks the table at pos.
func (r *reader) table(pos int64, path string) table {
	if r.err != nil {
		return table{}
	}
	n := int64(len(r.buf))
	if pos < 0 || pos+4 > n {
		r.fail(ErrTruncated, path, "table at byte %d lies outside the %d-byte file", pos, n)
		return table{}
	}
	vt := pos - int64(int32(binary.LittleEndian.Uint32(r.buf[pos:])))
	if vt < 0 || vt+4 > n {
		r.fail(ErrCorrupt, path, "vtable of the table at byte %d is at byte %d, outside the %d-byte file", pos, vt, n)
		return table{}
	}
	t := table{pos: pos, vt: vt, vtLen: r.u16(vt), size: r.u16(vt + 2)}
	switch {
	case t.vtLen < 4 || t.vtLen%2 != 0:
		r.fail(ErrCorrupt, path, "vtable at byte %d has a bad length %d", vt, t.vtLen)
	case vt+t.vtLen > n:
		r.fail(ErrTruncated, path, "vtable at byte %d (%d bytes) runs past the end of the %d-byte file", vt, t.vtLen, n)
	case t.size < 4:
		r.fail(ErrCorrupt, path, "table at byte %d has a bad size %d", pos, t.size)
	case pos+t.size > n:
		r.fail(ErrTruncated, path, "table at byte %d (%d bytes) runs past the end of the %d-byte file", pos, t.size, n)
	default:
		r.charge(t.size, path)
	}
	if r.err != nil {
		return table{}
	}
	return t
}

// field returns the offset of slot's field inside the table (0: absent).
func (r *reader) field(t table, slot int) int64 {
	vo := int64(4 + 2*slot)
	if vo+2 > t.vtLen {
		return 0
	}
	return r.u16(t.vt + vo)
}

// scalar checks an inline field (scalar or struct) of size bytes.
func (r *reader) scalar(t table, slot int, size int64, path string) {
	if r.err != nil {
		return
	}
	if off := r.field(t, slot); off != 0 && off+size > t.size {
		r.fail(ErrCorrupt, path, "field at offset %d (%d bytes) overruns its %d-byte table at byte %d", off, size, t.size, t.pos)
	}
}

// ref checks a reference field and returns the position it points to
// (-1: absent).
func (r *reader) ref(t table, slot int, path string) int64 {
	if r.err != nil {
		return -1
	}
	off := r.field(t, slot)
	if off == 0 {
		return -1
	}
	if off+4 > t.size {
		r.fail(ErrCorrupt, path, "field at offset %d overruns its %d-byte table at byte %d", off, t.size, t.pos)
		return -1
	}
	at := t.pos + off
	return r.refAt(at, path)
}

// refAt follows the unsigned offset stored at at.
func (r *reader) refAt(at int64, path string) int64 {
	target := at + r.u32(at)
	if target >= int64(len(r.buf)) {
		r.fail(ErrTruncated, path, "offset at byte %d points to byte %d, past the end of the %d-byte file", at, target, len(r.buf))
		return -1
	}
	return target
}

// vector checks a vector field of elements of elemSize bytes and returns the
// position of its first element and its length (0, 0 when absent).
func (r *reader) vector(t table, slot int, elemSize int64, path string) (start int64, n int) {
	at := r.ref(t, slot, path)
	if at < 0 {
		return 0, 0
	}
	end := int64(len(r.buf))
	if at+4 > end {
		r.fail(ErrTruncated, path, "vector length at byte %d lies past the end of the %d-byte file", at, end)
		return 0, 0
	}
	count := r.u32(at)
	if count*elemSize > end-(at+4) {
		r.fail(ErrTruncated, path, "vector of %d×%d bytes at byte %d runs past the end of the %d-byte file", count, elemSize, at, end)
		return 0, 0
	}
	if !r.charge(count*elemSize, path) {
		return 0, 0
	}
	return at + 4, int(count)
}

// str checks a string field.
func (r *reader) str(t table, slot int, path string) { r.vector(t, slot, 1, path) }

// sub checks a table field and returns the sub-table (ok false: absent or bad).
func (r *reader) sub(t table, slot int, path string) (table, bool) {
	at := r.ref(t, slot, path)
	if at < 0 {
		return table{}, false
	}
	st := r.table(at, path)
	return st, r.err == nil
}

// tables checks a vector of tables and every table in it.
func (r *reader) tables(t table, slot int, path string) []table {
	start, n := r.vector(t, slot, 4, path)
	if r.err != nil || n == 0 {
		return nil
	}
	ts := make([]table, n)
	for i := range ts {
		p := fmt.Sprintf("%s[%d]", path, i)
		at := r.refAt(start+4*int64(i), p)
		if r.err != nil {
			return nil
		}
		ts[i] = r.table(at, p)
		if r.err != nil {
			return nil
		}
	}
	return ts
}

// same checks that a generated accessor landed on the table that was
// checked (it always does unless the slot constants and the schema disagree).
func (r *reader) same(got flatbuffers.Table, want table, path string) bool {
	if r.err == nil && int64(got.Pos) != want.pos {
		r.fail(ErrCorrupt, path, "internal error: accessor reads byte %d, checked table is at byte %d", got.Pos, want.pos)
	}
	return r.err == nil
}

func (r *reader) model(root *fb.Model, rt table) *Model {
	r.str(rt, slotModelName, "name")
	r.scalar(rt, slotModelTimesteps, 4, "timesteps")
	it, hasInput := r.sub(rt, slotModelInput, "input")
	lts := r.tables(rt, slotModelLayers, "layers")
	rdt, hasReadout := r.sub(rt, slotModelReadout, "readout")
	pt, hasProv := r.sub(rt, slotModelProvenance, "provenance")
	qt, hasQuant := r.sub(rt, slotModelQuantized, "quantized")
	mt, hasMapping := r.sub(rt, slotModelMapping, "mapping")
	if r.err != nil {
		return nil
	}
	m := &Model{Name: string(root.Name()), Timesteps: int(root.Timesteps())}
	if hasInput {
		m.Input = r.input(root.Input(nil), it)
	}
	if len(lts) > 0 {
		m.Layers = make([]Layer, len(lts))
		var fl fb.Layer
		for i, lt := range lts {
			if !root.Layers(&fl, i) {
				r.fail(ErrCorrupt, "layers", "internal error: layer %d missing", i)
				return nil
			}
			m.Layers[i] = r.layer(&fl, lt, fmt.Sprintf("layers[%d]", i))
		}
	}
	if hasReadout {
		fr := root.Readout(nil)
		r.scalar(rdt, slotReadoutKind, 1, "readout.kind")
		if r.same(fr.Table(), rdt, "readout") {
			m.Readout.Kind = ReadoutKind(fr.Kind())
		}
	}
	if hasProv {
		m.Provenance = r.provenance(root.Provenance(nil), pt)
	}
	if hasQuant {
		m.Quantized = r.quantized(root.Quantized(nil), qt)
	}
	if hasMapping {
		m.Mapping = r.mapping(root.Mapping(nil), mt)
	}
	if r.err != nil {
		return nil
	}
	return m
}

func (r *reader) input(fi *fb.Input, t table) Input {
	_, n := r.vector(t, slotInputShape, 4, "input.shape")
	r.scalar(t, slotInputEncoding, 1, "input.encoding")
	r.scalar(t, slotInputScale, 4, "input.scale")
	if !r.same(fi.Table(), t, "input") {
		return Input{}
	}
	in := Input{Encoding: Encoding(fi.Encoding()), Scale: fi.Scale()}
	if n > 0 {
		in.Shape = make([]int, n)
		for j := range in.Shape {
			in.Shape[j] = int(fi.Shape(j))
		}
	}
	return in
}

func (r *reader) layer(fl *fb.Layer, t table, path string) Layer {
	r.str(t, slotLayerName, path+".name")
	r.scalar(t, slotLayerKind, 1, path+".kind")
	_, nIn := r.vector(t, slotLayerInShape, 4, path+".in_shape")
	_, nOut := r.vector(t, slotLayerOutShape, 4, path+".out_shape")
	_, nW := r.vector(t, slotLayerWeights, 4, path+".weights")
	_, nR := r.vector(t, slotLayerRecurrent, 4, path+".recurrent")
	_, nB := r.vector(t, slotLayerBias, 4, path+".bias")
	r.scalar(t, slotLayerKernel, sizePair, path+".kernel")
	r.scalar(t, slotLayerStride, sizePair, path+".stride")
	r.scalar(t, slotLayerPadding, sizePair, path+".padding")
	r.scalar(t, slotLayerGroups, 4, path+".groups")
	_, nRS := r.vector(t, slotLayerRowStart, 4, path+".row_start")
	_, nC := r.vector(t, slotLayerCols, 4, path+".cols")
	r.scalar(t, slotLayerDelay, 1, path+".delay")
	_, nMO := r.vector(t, slotLayerMapOrder, 4, path+".map_order")
	nt, hasNeuron := r.sub(t, slotLayerNeuron, path+".neuron")
	if hasNeuron {
		r.scalar(nt, slotLIFLeak, 4, path+".neuron.leak")
		r.scalar(nt, slotLIFThreshold, 4, path+".neuron.threshold")
		r.scalar(nt, slotLIFReset, 1, path+".neuron.reset")
		r.scalar(nt, slotLIFCurrentDecay, 4, path+".neuron.current_decay")
	}
	if !r.same(fl.Table(), t, path) {
		return Layer{}
	}
	l := Layer{Name: string(fl.Name()), Kind: LayerKind(fl.Kind())}
	l.InShape = readInts(nIn, fl.InShape)
	l.OutShape = readInts(nOut, fl.OutShape)
	l.Weights = readSlice(nW, fl.Weights)
	l.Recurrent = readSlice(nR, fl.Recurrent)
	l.Bias = readSlice(nB, fl.Bias)
	l.Groups = int(fl.Groups())
	l.RowStart = readSlice(nRS, fl.RowStart)
	l.Cols = readSlice(nC, fl.Cols)
	l.Delay = fl.Delay()
	l.MapOrder = readSlice(nMO, fl.MapOrder)
	var p fb.Pair
	if fl.Kernel(&p) != nil {
		l.Kernel = [2]int{int(p.H()), int(p.W())}
	}
	if fl.Stride(&p) != nil {
		l.Stride = [2]int{int(p.H()), int(p.W())}
	}
	if fl.Padding(&p) != nil {
		l.Padding = [2]int{int(p.H()), int(p.W())}
	}
	if hasNeuron {
		fn := fl.Neuron(nil)
		if r.same(fn.Table(), nt, path+".neuron") {
			l.Neuron = LIF{Leak: fn.Leak(), Threshold: fn.Threshold(), Reset: ResetMode(fn.Reset()), CurrentDecay: fn.CurrentDecay()}
		}
	}
	return l
}

func (r *reader) provenance(fp *fb.Provenance, t table) *Provenance {
	r.scalar(t, slotProvenanceMethod, 1, "provenance.method")
	_, nA := r.vector(t, slotProvenanceAlphas, 4, "provenance.alphas")
	r.scalar(t, slotProvenanceNoiseP, 4, "provenance.noise_p")
	r.scalar(t, slotProvenanceNoiseZeta, 4, "provenance.noise_zeta")
	_, nM := r.vector(t, slotProvenanceMilestones, 4, "provenance.milestones")
	r.str(t, slotProvenanceDataset, "provenance.dataset")
	r.scalar(t, slotProvenanceEpochs, 4, "provenance.epochs")
	r.scalar(t, slotProvenanceSeed, 8, "provenance.seed")
	r.scalar(t, slotProvenanceTestAccuracy, 4, "provenance.test_accuracy")
	r.str(t, slotProvenanceToolVersion, "provenance.tool_version")
	r.str(t, slotProvenanceTarget, "provenance.target")
	if !r.same(fp.Table(), t, "provenance") {
		return nil
	}
	return &Provenance{
		Method:       Method(fp.Method()),
		Alphas:       readSlice(nA, fp.Alphas),
		NoiseP:       fp.NoiseP(),
		NoiseZeta:    fp.NoiseZeta(),
		Milestones:   readInts(nM, fp.Milestones),
		Dataset:      string(fp.Dataset()),
		Epochs:       int(fp.Epochs()),
		Seed:         fp.Seed(),
		TestAccuracy: fp.TestAccuracy(),
		ToolVersion:  string(fp.ToolVersion()),
		Target:       string(fp.Target()),
	}
}

func (r *reader) quantized(fq *fb.Quantized, t table) *Quantized {
	r.str(t, slotQuantizedTarget, "quantized.target")
	r.scalar(t, slotQuantizedWeightBits, 4, "quantized.weight_bits")
	lts := r.tables(t, slotQuantizedLayers, "quantized.layers")
	if !r.same(fq.Table(), t, "quantized") {
		return nil
	}
	q := &Quantized{Target: string(fq.Target()), WeightBits: int(fq.WeightBits())}
	if len(lts) > 0 {
		q.Layers = make([]QuantLayer, len(lts))
		var fl fb.QuantLayer
		for i, lt := range lts {
			if !fq.Layers(&fl, i) {
				r.fail(ErrCorrupt, "quantized.layers", "internal error: layer %d missing", i)
				return nil
			}
			q.Layers[i] = r.quantLayer(&fl, lt, fmt.Sprintf("quantized.layers[%d]", i))
		}
	}
	return q
}

func (r *reader) quantLayer(fl *fb.QuantLayer, t table, path string) QuantLayer {
	_, nW := r.vector(t, slotQuantLayerWeights, 2, path+".weights")
	_, nR := r.vector(t, slotQuantLayerRecurrent, 2, path+".recurrent")
	r.scalar(t, slotQuantLayerWeightExponent, 1, path+".weight_exponent")
	r.scalar(t, slotQuantLayerScale, 4, path+".scale")
	r.scalar(t, slotQuantLayerThreshold, 4, path+".threshold")
	r.scalar(t, slotQuantLayerNegThreshold, 4, path+".neg_threshold")
	_, nB := r.vector(t, slotQuantLayerBias, 4, path+".bias")
	r.scalar(t, slotQuantLayerBiasExponent, 1, path+".bias_exponent")
	r.scalar(t, slotQuantLayerDecayU, 4, path+".decay_u")
	r.scalar(t, slotQuantLayerDecayV, 4, path+".decay_v")
	r.scalar(t, slotQuantLayerLeak, 4, path+".leak")
	r.scalar(t, slotQuantLayerReset, 1, path+".reset")
	_, nA := r.vector(t, slotQuantLayerAxonTypes, 1, path+".axon_types")
	_, nT := r.vector(t, slotQuantLayerTypeWeights, 2, path+".type_weights")
	r.scalar(t, slotQuantLayerInputPayloadBits, 1, path+".input_payload_bits")
	r.scalar(t, slotQuantLayerInputPayloadScale, 4, path+".input_payload_scale")
	if !r.same(fl.Table(), t, path) {
		return QuantLayer{}
	}
	ql := QuantLayer{
		Weights:        readSlice(nW, fl.Weights),
		Recurrent:      readSlice(nR, fl.Recurrent),
		WeightExponent: fl.WeightExponent(),
		Scale:          fl.Scale(),
		Threshold:      fl.Threshold(),
		NegThreshold:   fl.NegThreshold(),
		Bias:           readSlice(nB, fl.Bias),
		BiasExponent:   fl.BiasExponent(),
		DecayU:         fl.DecayU(),
		DecayV:         fl.DecayV(),
		Leak:           fl.Leak(),
		Reset:          ResetMode(fl.Reset()),
		TypeWeights:    readSlice(nT, fl.TypeWeights),

		InputPayloadBits:  fl.InputPayloadBits(),
		InputPayloadScale: fl.InputPayloadScale(),
	}
	if nA > 0 {
		ql.AxonTypes = append([]uint8(nil), fl.AxonTypesBytes()...)
	}
	return ql
}

func (r *reader) mapping(fm *fb.Mapping, t table) *Mapping {
	r.str(t, slotMappingTarget, "mapping.target")
	r.scalar(t, slotMappingChips, 4, "mapping.chips")
	r.scalar(t, slotMappingMeshWidth, 4, "mapping.mesh_width")
	r.scalar(t, slotMappingMeshHeight, 4, "mapping.mesh_height")
	_, nC := r.vector(t, slotMappingCores, sizeCore, "mapping.cores")
	_, nR := r.vector(t, slotMappingRoutes, sizeRoute, "mapping.routes")
	r.scalar(t, slotMappingLowerBoundCores, 4, "mapping.lower_bound_cores")
	if !r.same(fm.Table(), t, "mapping") {
		return nil
	}
	mp := &Mapping{
		Target:          string(fm.Target()),
		Chips:           int(fm.Chips()),
		MeshWidth:       int(fm.MeshWidth()),
		MeshHeight:      int(fm.MeshHeight()),
		LowerBoundCores: int(fm.LowerBoundCores()),
	}
	if nC > 0 {
		mp.Cores = make([]Core, nC)
		var c fb.Core
		for i := range mp.Cores {
			fm.Cores(&c, i)
			mp.Cores[i] = Core{
				Chip: int(c.Chip()), X: int(c.X()), Y: int(c.Y()), Layer: int(c.Layer()),
				NeuronStart: int(c.NeuronStart()), NeuronCount: int(c.NeuronCount()),
				InputAxons: int(c.InputAxons()), SynapseBits: c.SynapseBits(), OutputRoutes: int(c.OutputRoutes()),
			}
		}
	}
	if nR > 0 {
		mp.Routes = make([]Route, nR)
		var rt fb.Route
		for i := range mp.Routes {
			fm.Routes(&rt, i)
			mp.Routes[i] = Route{From: int(rt.From()), To: int(rt.To()), Hops: int(rt.Hops()), Axons: int(rt.Axons())}
		}
	}
	return mp
}

// readSlice reads a checked vector of n elements with a generated accessor
// (nil when empty).
func readSlice[T any](n int, at func(int) T) []T {
	if n == 0 {
		return nil
	}
	xs := make([]T, n)
	for j := range xs {
		xs[j] = at(j)
	}
	return xs
}

// readInts reads a checked [int] vector into Go ints (nil when empty).
func readInts(n int, at func(int) int32) []int {
	if n == 0 {
		return nil
	}
	xs := make([]int, n)
	for j := range xs {
		xs[j] = int(at(j))
	}
	return xs
}
