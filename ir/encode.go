package ir

import (
	"fmt"
	"os"

	flatbuffers "github.com/google/flatbuffers/go"

	"github.com/snnc/snnc/ir/internal/fb"
)

// MaxFileSize is the largest encoded model (FlatBuffers offsets are 32-bit;
// the Go runtime's builder stops at 2 GiB).
const MaxFileSize = 1<<31 - 1

// Encode verifies m and returns its FlatBuffers encoding (schemas/snn.fbs),
// starting with the file identifier "SNN1" at bytes 4..8. Empty slices are
// stored as absent vectors, so they decode as nil.
func Encode(m *Model) (b []byte, err error) {
	if err := Verify(m); err != nil {
		return nil, err
	}
	size := m.encodedSizeEstimate()
	if size >= MaxFileSize {
		return nil, fmt.Errorf("ir: encode: model needs about %d bytes, more than the format's %d", size, int64(MaxFileSize))
	}
	defer func() {
		// The builder panics only on buffers over 2 GiB, which the estimate
		// above excludes; turn it into an error all the same.
		if p := recover(); p != nil {
			b, err = nil, fmt.Errorf("ir: encode: %v", p)
		}
	}()
	e := &encoder{b: flatbuffers.NewBuilder(int(size) + 1024)}
	root := e.model(m)
	e.b.FinishWithFileIdentifier(root, []byte(FileIdentifier))
	return e.b.FinishedBytes(), nil
}

// WriteFile encodes m and writes it to path atomically (see WriteFileAtomic).
func WriteFile(path string, m *Model) error {
	b, err := Encode(m)
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, b, 0o644)
}

// ReadFile reads and decodes the model in the file at path.
func ReadFile(path string) (*Model, error) {
	m, _, err := readFile(path)
	return m, err
}

// readFile reads and decodes the model in the file at path and returns
// the file's size too.
func readFile(path string) (*Model, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("ir: %w", err)
	}
	m, err := Decode(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", path, err)
	}
	return m, len(b), nil
}

// encodedSizeEstimate is an upper bound-ish estimate of the encoded size.
func (m *Model) encodedSizeEstimate() int64 {
	n := int64(256 + len(m.Name))
	for i := range m.Layers {
		l := &m.Layers[i]
		n += 128 + int64(len(l.Name)) + 4*int64(len(l.InShape)+len(l.OutShape)+len(l.Weights)+len(l.Recurrent)+len(l.Bias)+len(l.RowStart)+len(l.Cols)+len(l.MapOrder))
	}
	if p := m.Provenance; p != nil {
		n += 128 + int64(len(p.Dataset)+len(p.ToolVersion)+len(p.Target)) + 4*int64(len(p.Alphas)+len(p.Milestones))
	}
	if q := m.Quantized; q != nil {
		n += 64 + int64(len(q.Target))
		for i := range q.Layers {
			ql := &q.Layers[i]
			n += 96 + 2*int64(len(ql.Weights)+len(ql.Recurrent)+len(ql.TypeWeights)) + 4*int64(len(ql.Bias)) + int64(len(ql.AxonTypes))
		}
	}
	if mp := m.Mapping; mp != nil {
		n += 64 + int64(len(mp.Target)) + 40*int64(len(mp.Cores)) + 16*int64(len(mp.Routes))
	}
	return n
}

type encoder struct{ b *flatbuffers.Builder }

func (e *encoder) str(s string) flatbuffers.UOffsetT {
	if s == "" {
		return 0
	}
	return e.b.CreateString(s)
}

func (e *encoder) ints(xs []int) flatbuffers.UOffsetT {
	if len(xs) == 0 {
		return 0
	}
	e.b.StartVector(4, len(xs), 4)
	for i := len(xs) - 1; i >= 0; i-- {
		e.b.PrependInt32(int32(xs[i]))
	}
	return e.b.EndVector(len(xs))
}

func (e *encoder) int32s(xs []int32) flatbuffers.UOffsetT {
	if len(xs) == 0 {
		return 0
	}
	e.b.StartVector(4, len(xs), 4)
	for i := len(xs) - 1; i >= 0; i-- {
		e.b.PrependInt32(xs[i])
	}
	return e.b.EndVector(len(xs))
}

func (e *encoder) int16s(xs []int16) flatbuffers.UOffsetT {
	if len(xs) == 0 {
		return 0
	}
	e.b.StartVector(2, len(xs), 2)
	for i := len(xs) - 1; i >= 0; i-- {
		e.b.PrependInt16(xs[i])
	}
	return e.b.EndVector(len(xs))
}

func (e *encoder) floats(xs []float32) flatbuffers.UOffsetT {
	if len(xs) == 0 {
		return 0
	}
	e.b.StartVector(4, len(xs), 4)
	for i := len(xs) - 1; i >= 0; i-- {
		e.b.PrependFloat32(xs[i])
	}
	return e.b.EndVector(len(xs))
}

func (e *encoder) bytes(xs []uint8) flatbuffers.UOffsetT {
	if len(xs) == 0 {
		return 0
	}
	return e.b.CreateByteVector(xs)
}

func (e *encoder) tables(offs []flatbuffers.UOffsetT) flatbuffers.UOffsetT {
	if len(offs) == 0 {
		return 0
	}
	return e.b.CreateVectorOfTables(offs)
}

// addIf adds a reference field when it is present (off != 0).
func addIf(off flatbuffers.UOffsetT, add func(*flatbuffers.Builder, flatbuffers.UOffsetT), b *flatbuffers.Builder) {
	if off != 0 {
		add(b, off)
	}
}

func (e *encoder) model(m *Model) flatbuffers.UOffsetT {
	b := e.b
	name := e.str(m.Name)
	input := e.input(&m.Input)
	layers := make([]flatbuffers.UOffsetT, len(m.Layers))
	for i := range m.Layers {
		layers[i] = e.layer(&m.Layers[i])
	}
	layersVec := e.tables(layers)
	fb.ReadoutStart(b)
	fb.ReadoutAddKind(b, fb.ReadoutKind(m.Readout.Kind))
	readout := fb.ReadoutEnd(b)
	var prov, quant, mapping flatbuffers.UOffsetT
	if m.Provenance != nil {
		prov = e.provenance(m.Provenance)
	}
	if m.Quantized != nil {
		quant = e.quantized(m.Quantized)
	}
	if m.Mapping != nil {
		mapping = e.mapping(m.Mapping)
	}

	fb.ModelStart(b)
	fb.ModelAddFormatVersion(b, FormatVersion)
	addIf(name, fb.ModelAddName, b)
	fb.ModelAddInput(b, input)
	fb.ModelAddTimesteps(b, int32(m.Timesteps))
	addIf(layersVec, fb.ModelAddLayers, b)
	fb.ModelAddReadout(b, readout)
	addIf(prov, fb.ModelAddProvenance, b)
	addIf(quant, fb.ModelAddQuantized, b)
	addIf(mapping, fb.ModelAddMapping, b)
	return fb.ModelEnd(b)
}

func (e *encoder) input(in *Input) flatbuffers.UOffsetT {
	b := e.b
	shape := e.ints(in.Shape)
	fb.InputStart(b)
	addIf(shape, fb.InputAddShape, b)
	fb.InputAddEncoding(b, fb.Encoding(in.Encoding))
	fb.InputAddScale(b, in.Scale)
	return fb.InputEnd(b)
}

func (e *encoder) layer(l *Layer) flatbuffers.UOffsetT {
	b := e.b
	name := e.str(l.Name)
	inShape, outShape := e.ints(l.InShape), e.ints(l.OutShape)
	weights, recurrent, bias := e.floats(l.Weights), e.floats(l.Recurrent), e.floats(l.Bias)
	rowStart, cols, mapOrder := e.int32s(l.RowStart), e.int32s(l.Cols), e.int32s(l.MapOrder)
	fb.LIFStart(b)
	fb.LIFAddLeak(b, l.Neuron.Leak)
	fb.LIFAddThreshold(b, l.Neuron.Threshold)
	fb.LIFAddReset(b, fb.ResetMode(l.Neuron.Reset))
	fb.LIFAddCurrentDecay(b, l.Neuron.CurrentDecay)
	neuron := fb.LIFEnd(b)

	fb.LayerStart(b)
	addIf(name, fb.LayerAddName, b)
	fb.LayerAddKind(b, fb.LayerKind(l.Kind))
	addIf(inShape, fb.LayerAddInShape, b)
	addIf(outShape, fb.LayerAddOutShape, b)
	addIf(weights, fb.LayerAddWeights, b)
	addIf(recurrent, fb.LayerAddRecurrent, b)
	addIf(bias, fb.LayerAddBias, b)
	// Structs are written inline, right before they are added.
	if l.Kernel != [2]int{} {
		fb.LayerAddKernel(b, fb.CreatePair(b, int32(l.Kernel[0]), int32(l.Kernel[1])))
	}
	if l.Stride != [2]int{} {
		fb.LayerAddStride(b, fb.CreatePair(b, int32(l.Stride[0]), int32(l.Stride[1])))
	}
	if l.Padding != [2]int{} {
		fb.LayerAddPadding(b, fb.CreatePair(b, int32(l.Padding[0]), int32(l.Padding[1])))
	}
	fb.LayerAddNeuron(b, neuron)
	if l.Groups != 0 {
		fb.LayerAddGroups(b, int32(l.Groups))
	}
	addIf(rowStart, fb.LayerAddRowStart, b)
	addIf(cols, fb.LayerAddCols, b)
	fb.LayerAddDelay(b, l.Delay)
	addIf(mapOrder, fb.LayerAddMapOrder, b)
	return fb.LayerEnd(b)
}

func (e *encoder) provenance(p *Provenance) flatbuffers.UOffsetT {
	b := e.b
	alphas, milestones := e.floats(p.Alphas), e.ints(p.Milestones)
	dataset, tool, target := e.str(p.Dataset), e.str(p.ToolVersion), e.str(p.Target)
	fb.ProvenanceStart(b)
	fb.ProvenanceAddMethod(b, fb.Method(p.Method))
	addIf(alphas, fb.ProvenanceAddAlphas, b)
	fb.ProvenanceAddNoiseP(b, p.NoiseP)
	fb.ProvenanceAddNoiseZeta(b, p.NoiseZeta)
	addIf(milestones, fb.ProvenanceAddMilestones, b)
	addIf(dataset, fb.ProvenanceAddDataset, b)
	fb.ProvenanceAddEpochs(b, int32(p.Epochs))
	fb.ProvenanceAddSeed(b, p.Seed)
	fb.ProvenanceAddTestAccuracy(b, p.TestAccuracy)
	addIf(tool, fb.ProvenanceAddToolVersion, b)
	addIf(target, fb.ProvenanceAddTarget, b)
	return fb.ProvenanceEnd(b)
}

func (e *encoder) quantized(q *Quantized) flatbuffers.UOffsetT {
	b := e.b
	target := e.str(q.Target)
	layers := make([]flatbuffers.UOffsetT, len(q.Layers))
	for i := range q.Layers {
		layers[i] = e.quantLayer(&q.Layers[i])
	}
	layersVec := e.tables(layers)
	fb.QuantizedStart(b)
	addIf(target, fb.QuantizedAddTarget, b)
	fb.QuantizedAddWeightBits(b, int32(q.WeightBits))
	addIf(layersVec, fb.QuantizedAddLayers, b)
	return fb.QuantizedEnd(b)
}

func (e *encoder) quantLayer(ql *QuantLayer) flatbuffers.UOffsetT {
	b := e.b
	weights, recurrent := e.int16s(ql.Weights), e.int16s(ql.Recurrent)
	bias := e.int32s(ql.Bias)
	axonTypes, typeWeights := e.bytes(ql.AxonTypes), e.int16s(ql.TypeWeights)
	fb.QuantLayerStart(b)
	addIf(weights, fb.QuantLayerAddWeights, b)
	addIf(recurrent, fb.QuantLayerAddRecurrent, b)
	fb.QuantLayerAddWeightExponent(b, ql.WeightExponent)
	fb.QuantLayerAddScale(b, ql.Scale)
	fb.QuantLayerAddThreshold(b, ql.Threshold)
	fb.QuantLayerAddNegThreshold(b, ql.NegThreshold)
	addIf(bias, fb.QuantLayerAddBias, b)
	fb.QuantLayerAddBiasExponent(b, ql.BiasExponent)
	fb.QuantLayerAddDecayU(b, ql.DecayU)
	fb.QuantLayerAddDecayV(b, ql.DecayV)
	fb.QuantLayerAddLeak(b, ql.Leak)
	fb.QuantLayerAddReset(b, fb.ResetMode(ql.Reset))
	addIf(axonTypes, fb.QuantLayerAddAxonTypes, b)
	addIf(typeWeights, fb.QuantLayerAddTypeWeights, b)
	fb.QuantLayerAddInputPayloadBits(b, ql.InputPayloadBits)
	fb.QuantLayerAddInputPayloadScale(b, ql.InputPayloadScale)
	return fb.QuantLayerEnd(b)
}

func (e *encoder) mapping(mp *Mapping) flatbuffers.UOffsetT {
	b := e.b
	target := e.str(mp.Target)
	var cores, routes flatbuffers.UOffsetT
	if n := len(mp.Cores); n > 0 {
		fb.MappingStartCoresVector(b, n)
		for i := n - 1; i >= 0; i-- {
			c := &mp.Cores[i]
			fb.CreateCore(b, int32(c.Chip), int32(c.X), int32(c.Y), int32(c.Layer), int32(c.NeuronStart),
				int32(c.NeuronCount), int32(c.InputAxons), int32(c.OutputRoutes), c.SynapseBits)
		}
		cores = b.EndVector(n)
	}
	if n := len(mp.Routes); n > 0 {
		fb.MappingStartRoutesVector(b, n)
		for i := n - 1; i >= 0; i-- {
			r := &mp.Routes[i]
			fb.CreateRoute(b, int32(r.From), int32(r.To), int32(r.Hops), int32(r.Axons))
		}
		routes = b.EndVector(n)
	}
	fb.MappingStart(b)
	addIf(target, fb.MappingAddTarget, b)
	fb.MappingAddChips(b, int32(mp.Chips))
	fb.MappingAddMeshWidth(b, int32(mp.MeshWidth))
	fb.MappingAddMeshHeight(b, int32(mp.MeshHeight))
	addIf(cores, fb.MappingAddCores, b)
	addIf(routes, fb.MappingAddRoutes, b)
	fb.MappingAddLowerBoundCores(b, int32(mp.LowerBoundCores))
	return fb.MappingEnd(b)
}
