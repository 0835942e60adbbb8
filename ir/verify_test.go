package ir

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVerifyValid(t *testing.T) {
	for _, tm := range testModels {
		require.NoError(t, Verify(tm.make()), tm.file)
	}
}

func TestVerifyErrorMessage(t *testing.T) {
	m := testMLP()
	m.Layers[1].Name = "fc2"
	m.Layers[1].Weights = m.Layers[1].Weights[:10]
	err := Verify(m)
	require.Error(t, err)
	assert.EqualError(t, err, `ir: layer 1 "fc2": weights: has 10 values, want 3×8 = 24`)
	var fe *FieldError
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, 1, fe.Layer)
	assert.Equal(t, "fc2", fe.LayerName)
	assert.Equal(t, "weights", fe.Field)
	assert.ErrorIs(t, err, ErrInvalid)

	// Encode refuses invalid models with the same error.
	_, encErr := Encode(m)
	assert.Equal(t, err, encErr)
}

func TestVerifyNegative(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	cases := []struct {
		name  string
		model func() *Model
		edit  func(m *Model)
		layer int    // -1: not a layer field
		field string // FieldError.Field
		msg   string // substring of Problem
	}{
		{"nil model", nil, nil, -1, "model", "nil"},
		{"T zero", testMLP, func(m *Model) { m.Timesteps = 0 }, -1, "timesteps", "want 1..65536"},
		{"T too large", testMLP, func(m *Model) { m.Timesteps = 1<<16 + 1 }, -1, "timesteps", "want 1..65536"},
		{"input 2-D", testMLP, func(m *Model) { m.Input.Shape = []int{4, 4} }, -1, "input.shape", "2 dimensions"},
		{"input zero dim", testMLP, func(m *Model) { m.Input.Shape = []int{0} }, -1, "input.shape", "not positive"},
		{"input huge", testMLP, func(m *Model) { m.Input.Shape = []int{1 << 20, 1 << 10, 1 << 2} }, -1, "input.shape", "fewer than"},
		{"input encoding", testMLP, func(m *Model) { m.Input.Encoding = 9 }, -1, "input.encoding", "unknown"},
		{"input scale NaN", testMLP, func(m *Model) { m.Input.Scale = nan }, -1, "input.scale", "finite"},
		{"readout kind", testMLP, func(m *Model) { m.Readout.Kind = 5 }, -1, "readout.kind", "unknown"},
		{"current decay 1", testTemporal, func(m *Model) { m.Layers[0].Neuron.CurrentDecay = 1 }, 0, "neuron.current_decay", "outside [0, 1)"},
		{"current decay NaN", testTemporal, func(m *Model) { m.Layers[1].Neuron.CurrentDecay = nan }, 1, "neuron.current_decay", "outside [0, 1)"},
		{"no layers", testMLP, func(m *Model) { m.Layers = nil }, -1, "layers", "no layers"},
		{"layer kind", testMLP, func(m *Model) { m.Layers[0].Kind = 42 }, 0, "kind", "unknown layer kind"},
		{"groups not dividing", testGroupedSparse, func(m *Model) { m.Layers[0].Groups = 3 }, 0, "groups", "dividing"},
		{"groups negative", testGroupedSparse, func(m *Model) { m.Layers[0].Groups = -1 }, 0, "groups", "want ≥ 1"},
		{"grouped weights", testGroupedSparse, func(m *Model) { m.Layers[0].Groups = 1 }, 0, "weights", "want 4×2×2×2"},
		{"groups on dense", testMLP, func(m *Model) { m.Layers[0].Groups = 2 }, 0, "groups", "groups are for conv2d"},
		{"cols on dense", testMLP, func(m *Model) { m.Layers[0].Cols = []int32{1} }, 0, "cols", "want none"},
		{"row_start length", testGroupedSparse, func(m *Model) { m.Layers[2].RowStart = m.Layers[2].RowStart[:3] }, 2, "row_start", "plus one"},
		{"row_start first", testGroupedSparse, func(m *Model) { m.Layers[2].RowStart[0] = 1 }, 2, "row_start", "want 0"},
		{"row_start decreasing", testGroupedSparse, func(m *Model) { m.Layers[2].RowStart[1] = 6 }, 2, "row_start", "decreases"},
		{"cols length", testGroupedSparse, func(m *Model) { m.Layers[2].Cols = m.Layers[2].Cols[:4] }, 2, "cols", "one per synapse"},
		{"sparse weights length", testGroupedSparse, func(m *Model) { m.Layers[2].Weights = m.Layers[2].Weights[:4] }, 2, "weights", "one per synapse"},
		{"cols out of range", testGroupedSparse, func(m *Model) { m.Layers[2].Cols[1] = 36 }, 2, "cols", "want 0..35"},
		{"cols negative", testGroupedSparse, func(m *Model) { m.Layers[2].Cols[1] = -1 }, 2, "cols", "want 0..35"},
		{"sparse 3-D", testGroupedSparse, func(m *Model) { m.Layers[1].OutShape, m.Layers[2].InShape = []int{4, 3, 3}, []int{4, 3, 3} }, 1, "out_shape", "want [36]"},
		{"shape chain", testMLP, func(m *Model) { m.Layers[1].InShape = []int{9} }, 1, "in_shape", "layer 0's out_shape is [8]"},
		{"first layer vs input", testMLP, func(m *Model) { m.Input.Shape = []int{15} }, 0, "in_shape", "the input shape is [15]"},
		{"dense weights", testMLP, func(m *Model) { m.Layers[0].Weights = m.Layers[0].Weights[1:] }, 0, "weights", "want 8×16 = 128"},
		{"dense bias", testMLP, func(m *Model) { m.Layers[0].Bias = nil }, 0, "bias", "has 0 values, want 8"},
		{"dense recurrent", testMLP, func(m *Model) { m.Layers[0].Recurrent = []float32{1} }, 0, "recurrent", "want none"},
		{"dense on CHW", testConv, func(m *Model) {
			m.Layers = append(m.Layers[:2], m.Layers[3])
			m.Layers[2].InShape = []int{2, 3, 3}
		}, 2, "in_shape", "add a flatten layer"},
		{"dense kernel", testMLP, func(m *Model) { m.Layers[0].Kernel = [2]int{3, 3} }, 0, "kernel", "want zero"},
		{"weight NaN", testMLP, func(m *Model) { m.Layers[1].Weights[5] = nan }, 1, "weights", "value 5 is NaN"},
		{"bias Inf", testMLP, func(m *Model) { m.Layers[1].Bias[0] = inf }, 1, "bias", "+Inf"},
		{"leak NaN", testMLP, func(m *Model) { m.Layers[0].Neuron.Leak = nan }, 0, "neuron.leak", "finite"},
		{"threshold Inf", testMLP, func(m *Model) { m.Layers[0].Neuron.Threshold = -inf }, 0, "neuron.threshold", "finite"},
		{"reset mode", testMLP, func(m *Model) { m.Layers[0].Neuron.Reset = 7 }, 0, "neuron.reset", "unknown"},
		{"last layer not neurons", testConv, func(m *Model) { m.Layers = m.Layers[:3] }, 2, "kind", "readout"},
		{"conv out shape", testConv, func(m *Model) { m.Layers[0].OutShape = []int{2, 5, 6}; m.Layers[1].InShape = []int{2, 5, 6} },
			0, "out_shape", "height is 5, want floor((6+2·1−3)/1)+1 = 6"},
		{"conv stride zero", testConv, func(m *Model) { m.Layers[0].Stride = [2]int{0, 1} }, 0, "kernel", "stride ≥ 1"},
		{"conv kernel too big", testConv, func(m *Model) { m.Layers[0].Kernel = [2]int{9, 3} }, 0, "kernel", "larger than the padded input"},
		{"conv weights", testConv, func(m *Model) { m.Layers[0].Weights = m.Layers[0].Weights[:9] }, 0, "weights", "want 2×1×3×3 = 18"},
		{"conv bias", testConv, func(m *Model) { m.Layers[0].Bias = []float32{1, 2, 3} }, 0, "bias", "want 2"},
		{"conv 1-D", testConv, func(m *Model) { m.Layers[0].InShape = []int{36}; m.Input.Shape = []int{36} }, 0, "in_shape", "[C,H,W]"},
		{"pool channels", testConv, func(m *Model) {
			m.Layers[1].OutShape = []int{3, 3, 3}
			m.Layers[2].InShape = []int{3, 3, 3}
		}, 1, "out_shape", "3 channels"},
		{"pool weights", testConv, func(m *Model) { m.Layers[1].Weights = []float32{1} }, 1, "weights", "want none for a avgpool layer"},
		{"pool window", testConv, func(m *Model) { m.Layers[1].Stride = [2]int{1, 1} }, 1, "out_shape", "want floor((6+2·0−2)/1)+1 = 5"},
		{"flatten size", testConv, func(m *Model) { m.Layers[2].OutShape = []int{17}; m.Layers[3].InShape = []int{17} }, 2, "out_shape", "want [18]"},
		{"recurrent matrix", testRecurrent, func(m *Model) { m.Layers[0].Recurrent = m.Layers[0].Recurrent[:15] }, 0, "recurrent", "want 4×4 = 16"},
		{"provenance method", testMLP, func(m *Model) { m.Provenance.Method = 3 }, -1, "provenance.method", "unknown"},
		{"provenance alphas", testMLP, func(m *Model) { m.Provenance.Alphas = []float32{1, 2, 3} }, -1, "provenance.alphas", "one per layer"},
		{"provenance alpha NaN", testMLP, func(m *Model) { m.Provenance.Alphas[0] = nan }, -1, "provenance.alphas", "NaN"},
		{"provenance p", testMLP, func(m *Model) { m.Provenance.NoiseP = 1.5 }, -1, "provenance.noise_p", "[0,1]"},
		{"provenance epochs", testMLP, func(m *Model) { m.Provenance.Epochs = -1 }, -1, "provenance.epochs", "want 0.."},
		{"provenance milestone", testMLP, func(m *Model) { m.Provenance.Milestones = []int{1 << 40} }, -1, "provenance.milestones", "want 0.."},
		{"quant layer count", testConv, func(m *Model) { m.Quantized.Layers = m.Quantized.Layers[:3] }, -1, "quantized.layers", "want one per layer (4)"},
		{"quant weight bits", testConv, func(m *Model) { m.Quantized.WeightBits = 17 }, -1, "quantized.weight_bits", "1..16"},
		{"quant weights", testConv, func(m *Model) { m.Quantized.Layers[3].Weights = m.Quantized.Layers[3].Weights[:5] }, 3, "quantized.weights", "want 72"},
		{"quant pool not empty", testConv, func(m *Model) { m.Quantized.Layers[1].Weights = []int16{1} }, 1, "quantized.weights", "want none"},
		{"quant bias", testConv, func(m *Model) { m.Quantized.Layers[0].Bias = []int32{1} }, 0, "quantized.bias", "want 0 or 2"},
		{"quant decay", testConv, func(m *Model) { m.Quantized.Layers[0].DecayV = 4097 }, 0, "quantized.decay_v", "0..4096"},
		{"quant scale", testConv, func(m *Model) { m.Quantized.Layers[0].Scale = inf }, 0, "quantized.scale", "finite"},
		{"axon type", testRecurrent, func(m *Model) { m.Quantized.Layers[0].AxonTypes[2] = 4 }, 0, "quantized.axon_types", "value 2 is 4, want 0..3"},
		{"axon types length", testRecurrent, func(m *Model) { m.Quantized.Layers[0].AxonTypes = []uint8{1} }, 0, "quantized.axon_types", "one per input axon"},
		{"type weights length", testRecurrent, func(m *Model) { m.Quantized.Layers[0].TypeWeights = m.Quantized.Layers[0].TypeWeights[:15] }, 0, "quantized.type_weights", "want 0 or 4×4 = 16"},
		{"map order length", testConv, func(m *Model) { m.Layers[0].MapOrder = []int32{0, 1} }, 0, "map_order", "want one per output neuron (72) or none"},
		{"map order range", testConv, func(m *Model) { m.Layers[0].MapOrder = identityOrder(72, 71, 72) }, 0, "map_order", "entry 71 is 72, want a neuron index 0..71"},
		{"map order repeat", testConv, func(m *Model) { m.Layers[0].MapOrder = identityOrder(72, 5, 4) }, 0, "map_order", "lists neuron 4 twice (entry 5)"},
		{"map order on dense", testMLP, func(m *Model) { m.Layers[0].MapOrder = []int32{0} }, 0, "map_order", "want none for a dense layer"},
		{"map order on readout", testConvReadout, func(m *Model) { m.Layers[0].MapOrder = identityOrder(72, 0, 0) }, 0, "map_order", "readout"},
		{"delay on the first layer", testMLP, func(m *Model) { m.Layers[0].Delay = 1 }, 0, "delay", "first layer with neurons"},
		{"payload bits", testConv, func(m *Model) { m.Quantized.Layers[0].InputPayloadBits = 33 }, 0, "quantized.input_payload_bits", "0..32"},
		{"payload scale without payload", testConv, func(m *Model) { m.Quantized.Layers[0].InputPayloadScale = 255 }, 0, "quantized.input_payload_scale", "0 without graded input"},
		{"mapping without quantized", testConv, func(m *Model) { m.Quantized = nil }, -1, "mapping", "no quantized section"},
		{"mapping target", testConv, func(m *Model) { m.Mapping.Target = "truenorth" }, -1, "mapping.target", `"loihi"`},
		{"mapping chips", testConv, func(m *Model) { m.Mapping.Chips = 0 }, -1, "mapping.chips", "positive"},
		{"core chip", testRecurrent, func(m *Model) { m.Mapping.Cores[1].Chip = 2 }, -1, "mapping.cores[1].chip", "2 chips"},
		{"core outside mesh", testConv, func(m *Model) { m.Mapping.Cores[2].X = 8 }, -1, "mapping.cores[2].x", "outside the 8×4 mesh"},
		{"core layer", testConv, func(m *Model) { m.Mapping.Cores[2].Layer = 4 }, -1, "mapping.cores[2].layer", "4 layers"},
		{"core on pool layer", testConv, func(m *Model) { m.Mapping.Cores[2].Layer = 1 }, -1, "mapping.cores[2].layer", "without neurons"},
		{"core negative", testConv, func(m *Model) { m.Mapping.Cores[0].NeuronStart = -1 }, -1, "mapping.cores[0]", "want 0.."},
		{"core empty", testConv, func(m *Model) { m.Mapping.Cores[2].NeuronCount = 0 }, -1, "mapping.cores[2].neuron_count", "at least 1"},
		{"core range", testConv, func(m *Model) { m.Mapping.Cores[1].NeuronCount = 33 }, -1, "mapping.cores[1].neuron_start", "outside layer 0's 72 neurons"},
		{"core overlap", testConv, func(m *Model) { m.Mapping.Cores[1].NeuronStart = 39 }, 0, "mapping.cores", "more than one core"},
		{"core gap", testConv, func(m *Model) { m.Mapping.Cores[1].NeuronStart = 41; m.Mapping.Cores[1].NeuronCount = 31 }, 0, "mapping.cores", "neurons 40..40 are on no core"},
		{"layer unmapped", testConv, func(m *Model) { m.Mapping.Cores = m.Mapping.Cores[:2]; m.Mapping.Routes = nil }, 3, "mapping.cores", "neurons 0..3 are on no core"},
		{"core duplicate position", testConv, func(m *Model) { m.Mapping.Cores[1].X = 0 }, -1, "mapping.cores[1]", "like mapping.cores[0]"},
		{"core synapse bits", testConv, func(m *Model) { m.Mapping.Cores[0].SynapseBits = -1 }, -1, "mapping.cores[0].synapse_bits", "≥ 0"},
		{"lower bound", testConv, func(m *Model) { m.Mapping.LowerBoundCores = 4 }, -1, "mapping.lower_bound_cores", "more than the 3 cores"},
		{"route index", testConv, func(m *Model) { m.Mapping.Routes[1].To = 3 }, -1, "mapping.routes[1]", "want indices 0..2"},
		{"route hops", testConv, func(m *Model) { m.Mapping.Routes[0].Hops = -2 }, -1, "mapping.routes[0]", "want 0.."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m *Model
			if c.model != nil {
				m = c.model()
				c.edit(m)
			}
			err := Verify(m)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalid)
			var fe *FieldError
			require.True(t, errors.As(err, &fe), "%T", err)
			assert.Equal(t, c.layer, fe.Layer, err.Error())
			assert.Equal(t, c.field, fe.Field, err.Error())
			assert.Contains(t, fe.Problem, c.msg, err.Error())
			if c.model != nil {
				_, encErr := Encode(m)
				assert.ErrorIs(t, encErr, ErrInvalid)
			}
		})
	}
}

// TestVerifyHugeConv checks that a conv layer whose weight count overflows
// int64 (4·2^62 wraps to 0) is rejected rather than accepted with no weights.
func TestVerifyHugeConv(t *testing.T) {
	const k = 1<<31 - 1
	m := &Model{
		Input:     Input{Shape: []int{4, 1, 1}},
		Timesteps: 1,
		Layers: []Layer{{Kind: KindConv2D, InShape: []int{4, 1, 1}, OutShape: []int{4, 1, 1},
			Kernel: [2]int{k, k}, Stride: [2]int{1, 1}, Padding: [2]int{k / 2, k / 2}, Bias: make([]float32, 4)}},
	}
	err := Verify(m)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "weights: would need")
}

// testConvReadout is a model whose only layer, a conv layer, is the readout.
func testConvReadout() *Model {
	m := testConv()
	m.Layers = m.Layers[:1]
	m.Quantized, m.Mapping, m.Provenance = nil, nil, nil
	return m
}

// identityOrder returns the identity permutation of n with entry k set to v.
func identityOrder(n, k int, v int32) []int32 {
	o := make([]int32, n)
	for i := range o {
		o[i] = int32(i)
	}
	o[k] = v
	return o
}
