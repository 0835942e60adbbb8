package ir

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// accessor is what a generated accessor method reads: the vtable offset it
// looks up and, for inline fields, the size of the value.
type accessor struct {
	voffset int
	size    int // 0 for references (strings, vectors, tables)
}

// generatedAccessors parses ir/internal/fb and returns, for each
// "Table.Method", the vtable offset passed to rcv._tab.Offset and the size of
// the inline value read (from the Get* call or the struct size).
func generatedAccessors(t *testing.T) map[string]accessor {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join("internal", "fb", "*.go"))
	require.NoError(t, err)
	getSize := map[string]int{
		"GetByte": 1, "GetBool": 1, "GetInt8": 1, "GetUint8": 1,
		"GetInt16": 2, "GetUint16": 2,
		"GetInt32": 4, "GetUint32": 4, "GetFloat32": 4,
		"GetInt64": 8, "GetUint64": 8, "GetFloat64": 8,
	}
	out := map[string]accessor{}
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		require.NoError(t, err)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || strings.HasPrefix(fn.Name.Name, "Mutate") {
				continue
			}
			star, ok := fn.Recv.List[0].Type.(*ast.StarExpr)
			if !ok {
				continue
			}
			recv := star.X.(*ast.Ident).Name
			acc := accessor{voffset: -1}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				switch name := sel.Sel.Name; {
				case name == "Offset" && len(call.Args) == 1:
					if lit, ok := call.Args[0].(*ast.BasicLit); ok {
						acc.voffset, _ = strconv.Atoi(lit.Value)
					}
				case getSize[name] != 0:
					acc.size = getSize[name]
				case name == "Vector" || name == "ByteVector" || name == "Indirect":
					acc.size = -1 // a reference, whatever it reads next
				}
				return true
			})
			if acc.voffset >= 0 {
				if acc.size < 0 {
					acc.size = 0
				}
				out[recv+"."+fn.Name.Name] = acc
			}
		}
	}
	return out
}

// TestSlotsMatchGeneratedCode checks the decoder's slot constants and field
// sizes against what the generated accessors actually read, so a schema
// change that is not mirrored in decode.go fails here rather than in a panic.
func TestSlotsMatchGeneratedCode(t *testing.T) {
	got := generatedAccessors(t)
	type field struct {
		method string
		slot   int
		size   int // inline size checked by the decoder, 0 for references
	}
	want := map[string][]field{
		"Model": {{"FormatVersion", slotModelFormatVersion, 4}, {"Name", slotModelName, 0},
			{"Input", slotModelInput, 0}, {"Timesteps", slotModelTimesteps, 4}, {"Layers", slotModelLayers, 0},
			{"Readout", slotModelReadout, 0}, {"Provenance", slotModelProvenance, 0},
			{"Quantized", slotModelQuantized, 0}, {"Mapping", slotModelMapping, 0}},
		"Input": {{"Shape", slotInputShape, 0}, {"Encoding", slotInputEncoding, 1}, {"Scale", slotInputScale, 4}},
		"LIF":   {{"Leak", slotLIFLeak, 4}, {"Threshold", slotLIFThreshold, 4}, {"Reset", slotLIFReset, 1}, {"CurrentDecay", slotLIFCurrentDecay, 4}},
		"Layer": {{"Name", slotLayerName, 0}, {"Kind", slotLayerKind, 1}, {"InShape", slotLayerInShape, 0},
			{"OutShape", slotLayerOutShape, 0}, {"Weights", slotLayerWeights, 0}, {"Recurrent", slotLayerRecurrent, 0},
			{"Bias", slotLayerBias, 0}, {"Kernel", slotLayerKernel, 0}, {"Stride", slotLayerStride, 0},
			{"Padding", slotLayerPadding, 0}, {"Neuron", slotLayerNeuron, 0},
			{"Groups", slotLayerGroups, 4}, {"RowStart", slotLayerRowStart, 0}, {"Cols", slotLayerCols, 0},
			{"Delay", slotLayerDelay, 1}, {"MapOrder", slotLayerMapOrder, 0}},
		"Readout": {{"Kind", slotReadoutKind, 1}},
		"Provenance": {{"Method", slotProvenanceMethod, 1}, {"Alphas", slotProvenanceAlphas, 0},
			{"NoiseP", slotProvenanceNoiseP, 4}, {"NoiseZeta", slotProvenanceNoiseZeta, 4},
			{"Milestones", slotProvenanceMilestones, 0}, {"Dataset", slotProvenanceDataset, 0},
			{"Epochs", slotProvenanceEpochs, 4}, {"Seed", slotProvenanceSeed, 8},
			{"TestAccuracy", slotProvenanceTestAccuracy, 4}, {"ToolVersion", slotProvenanceToolVersion, 0},
			{"Target", slotProvenanceTarget, 0}},
		"QuantLayer": {{"Weights", slotQuantLayerWeights, 0}, {"Recurrent", slotQuantLayerRecurrent, 0},
			{"WeightExponent", slotQuantLayerWeightExponent, 1}, {"Scale", slotQuantLayerScale, 4},
			{"Threshold", slotQuantLayerThreshold, 4}, {"NegThreshold", slotQuantLayerNegThreshold, 4},
			{"Bias", slotQuantLayerBias, 0}, {"BiasExponent", slotQuantLayerBiasExponent, 1},
			{"DecayU", slotQuantLayerDecayU, 4}, {"DecayV", slotQuantLayerDecayV, 4}, {"Leak", slotQuantLayerLeak, 4},
			{"Reset", slotQuantLayerReset, 1}, {"AxonTypes", slotQuantLayerAxonTypes, 0},
			{"TypeWeights", slotQuantLayerTypeWeights, 0},
			{"InputPayloadBits", slotQuantLayerInputPayloadBits, 1}, {"InputPayloadScale", slotQuantLayerInputPayloadScale, 4}},
		"Quantized": {{"Target", slotQuantizedTarget, 0}, {"WeightBits", slotQuantizedWeightBits, 4},
			{"Layers", slotQuantizedLayers, 0}},
		"Mapping": {{"Target", slotMappingTarget, 0}, {"Chips", slotMappingChips, 4},
			{"MeshWidth", slotMappingMeshWidth, 4}, {"MeshHeight", slotMappingMeshHeight, 4},
			{"Cores", slotMappingCores, 0}, {"Routes", slotMappingRoutes, 0},
			{"LowerBoundCores", slotMappingLowerBoundCores, 4}},
	}
	seen := 0
	for table, fields := range want {
		for _, f := range fields {
			key := table + "." + f.method
			acc, ok := got[key]
			if !assert.True(t, ok, "no generated accessor %s", key) {
				continue
			}
			seen++
			assert.Equal(t, 4+2*f.slot, acc.voffset, "%s: vtable offset", key)
			if f.size > 0 {
				assert.Equal(t, f.size, acc.size, "%s: inline size", key)
			}
		}
	}
	// Every generated field accessor (not the *Length/*Bytes helpers) is
	// covered, so a field added to the schema must be added to the decoder.
	for key := range got {
		if strings.HasSuffix(key, "Length") || strings.HasSuffix(key, "Bytes") {
			continue
		}
		table, method, _ := strings.Cut(key, ".")
		found := false
		for _, f := range want[table] {
			found = found || f.method == method
		}
		assert.True(t, found, "generated accessor %s is not decoded (add it to decode.go and this test)", key)
	}
	assert.Positive(t, seen)

	// Struct sizes.
	for _, s := range []struct {
		name string
		size int
	}{{"Pair", sizePair}, {"Core", sizeCore}, {"Route", sizeRoute}} {
		src := readGenerated(t, s.name+".go")
		assert.Contains(t, src, "builder.Prep(", s.name)
		assert.Contains(t, src, ", "+strconv.Itoa(s.size)+")", "struct %s should be %d bytes", s.name, s.size)
	}
}

func readGenerated(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("internal", "fb", name))
	require.NoError(t, err)
	return string(b)
}
