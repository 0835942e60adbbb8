package ir

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// Format limits. Verify rejects models outside them, so every encoded file
// respects them and every decoded model does too.
const (
	// MaxTimesteps is the largest T.
	MaxTimesteps = 1 << 16
	// MaxLayers is the most layers a model may have.
	MaxLayers = 1 << 16
	// MaxElements bounds every shape's element count and every array's
	// length (exclusive).
	MaxElements = 1 << 31
	// NumAxonTypes is the number of TrueNorth axon types.
	NumAxonTypes = 4
	// MaxDecay is the largest Loihi decay (full decay).
	MaxDecay = 4096
	// MaxPayloadBits is the widest graded-spike payload (Loihi 2: 32 bits,
	// Intel's technology brief).
	MaxPayloadBits = 32
	// MaxWeightBits is the widest integer weight the format holds (int16).
	MaxWeightBits = 16
)

// ErrInvalid is matched (errors.Is) by every error Verify returns.
var ErrInvalid = errors.New("ir: invalid model")

// FieldError is a violated invariant of one field of a model. Layer is the
// index of the layer the field belongs to, or -1 for fields outside the
// layers (input, provenance, mapping, …). It matches ErrInvalid.
type FieldError struct {
	Layer     int
	LayerName string
	// Field names the field, e.g. "weights", "quantized.bias" or
	// "mapping.cores[3].layer".
	Field string
	// Problem says what is wrong.
	Problem string
}

func (e *FieldError) Error() string {
	if e.Layer >= 0 {
		return fmt.Sprintf("ir: layer %d %q: %s: %s", e.Layer, e.LayerName, e.Field, e.Problem)
	}
	return fmt.Sprintf("ir: %s: %s", e.Field, e.Problem)
}

// Is makes errors.Is(err, ErrInvalid) true for every FieldError.
func (e *FieldError) Is(target error) bool { return target == ErrInvalid }

// verifier collects the first violated invariant.
type verifier struct {
	m   *Model
	err *FieldError
}

func (v *verifier) failf(layer int, field, format string, a ...any) {
	if v.err != nil {
		return
	}
	name := ""
	if layer >= 0 && layer < len(v.m.Layers) {
		name = v.m.Layers[layer].Name
	}
	v.err = &FieldError{Layer: layer, LayerName: name, Field: field, Problem: fmt.Sprintf(format, a...)}
}

// Verify checks every invariant of the IR that a stage relies on: shapes agree
// between consecutive layers and with the parameter arrays of each layer
// kind, floats are finite, enums and indices are in range, counts fit the
// file format, the quantized network has one entry per layer with matching
// lengths, and the mapping's cores cover every layer's neurons exactly once.
// It returns the first violation as a *FieldError (which matches ErrInvalid),
// or nil.
func Verify(m *Model) error {
	if m == nil {
		return &FieldError{Layer: -1, Field: "model", Problem: "is nil"}
	}
	v := &verifier{m: m}
	v.model()
	if v.err != nil {
		return v.err
	}
	return nil
}

func (v *verifier) model() {
	m := v.m
	if m.Timesteps < 1 || m.Timesteps > MaxTimesteps {
		v.failf(-1, "timesteps", "is %d, want 1..%d", m.Timesteps, MaxTimesteps)
	}
	v.shape(-1, "input.shape", m.Input.Shape)
	if m.Input.Encoding > EncodingEvents {
		v.failf(-1, "input.encoding", "unknown encoding %d", m.Input.Encoding)
	}
	v.finite(-1, "input.scale", m.Input.Scale)
	if m.Readout.Kind > ReadoutMaxPotential {
		v.failf(-1, "readout.kind", "unknown readout kind %d", m.Readout.Kind)
	}
	switch {
	case len(m.Layers) == 0:
		v.failf(-1, "layers", "model has no layers")
	case len(m.Layers) > MaxLayers:
		v.failf(-1, "layers", "has %d layers, the format allows at most %d", len(m.Layers), MaxLayers)
	}
	if v.err != nil {
		return
	}
	prev, prevName := m.Input.Shape, "the input shape"
	for i := range m.Layers {
		l := &m.Layers[i]
		if !equalShape(l.InShape, prev) {
			v.failf(i, "in_shape", "is %s, but %s is %s", fmtShape(l.InShape), prevName, fmtShape(prev))
			return
		}
		v.layer(i, l)
		if v.err != nil {
			return
		}
		prev, prevName = l.OutShape, fmt.Sprintf("layer %d's out_shape", i)
	}
	for i := range m.Layers { // the first layer with neurons takes the input undelayed
		if l := &m.Layers[i]; l.HasNeurons() {
			if l.Delay != 0 {
				v.failf(i, "delay", "is %d on the first layer with neurons, want 0 (the input is not delayed)", l.Delay)
			}
			break
		}
	}
	if last := &m.Layers[len(m.Layers)-1]; !last.HasNeurons() {
		v.failf(len(m.Layers)-1, "kind", "the last (readout) layer is %s, want a layer with neurons", last.Kind)
	} else if len(last.MapOrder) != 0 {
		v.failf(len(m.Layers)-1, "map_order", "has %d values on the readout layer, want none (the readout keeps the model's order)", len(last.MapOrder))
	}
	if m.Provenance != nil {
		v.provenance(m.Provenance)
	}
	if m.Quantized != nil {
		v.quantized(m.Quantized)
	}
	if m.Mapping != nil {
		v.mapping(m.Mapping)
	}
}

// shape checks a shape is [N] or [C,H,W] with positive dimensions and fewer
// than MaxElements elements.
func (v *verifier) shape(layer int, field string, s []int) {
	if len(s) != 1 && len(s) != 3 {
		v.failf(layer, field, "has %d dimensions %s, want 1 ([N]) or 3 ([C,H,W])", len(s), fmtShape(s))
		return
	}
	n := int64(1)
	for _, d := range s {
		if d < 1 {
			v.failf(layer, field, "dimension %d in %s is not positive", d, fmtShape(s))
			return
		}
		if n *= int64(d); n >= MaxElements {
			v.failf(layer, field, "%s has at least %d elements, the format allows fewer than %d", fmtShape(s), n, int64(MaxElements))
			return
		}
	}
}

func (v *verifier) finite(layer int, field string, x float32) {
	if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
		v.failf(layer, field, "is %v, want a finite number", x)
	}
}

func (v *verifier) finites(layer int, field string, xs []float32) {
	for i, x := range xs {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			v.failf(layer, field, "value %d is %v, want finite numbers", i, x)
			return
		}
	}
}

// length checks len(xs) == want, describing want as a product of dims.
func (v *verifier) length(layer int, field string, got int, dims ...int) {
	want := int64(1)
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = fmt.Sprint(d)
		if d < 0 || (d > 0 && want > (MaxElements-1)/int64(d)) {
			v.failf(layer, field, "would need %s values, the format allows fewer than %d", strings.Join(parts, "×")+"×…", int64(MaxElements))
			return
		}
		want *= int64(d)
	}
	if int64(got) == want {
		return
	}
	if len(dims) == 1 {
		v.failf(layer, field, "has %d values, want %d", got, want)
		return
	}
	v.failf(layer, field, "has %d values, want %s = %d", got, strings.Join(parts, "×"), want)
}

func (v *verifier) empty(layer int, field string, n int, kind LayerKind) {
	if n != 0 {
		v.failf(layer, field, "has %d values, want none for a %s layer", n, kind)
	}
}

func (v *verifier) int32s(layer int, field string, xs ...int) {
	for _, x := range xs {
		if x < 0 || x > math.MaxInt32 {
			v.failf(layer, field, "is %d, want 0..%d", x, math.MaxInt32)
			return
		}
	}
}

// window checks a conv or pooling window and the output size it implies.
func (v *verifier) window(i int, l *Layer) {
	for d, name := range []string{"height", "width"} {
		if l.Kernel[d] < 1 || l.Stride[d] < 1 || l.Padding[d] < 0 || l.Kernel[d] > math.MaxInt32 || l.Stride[d] > math.MaxInt32 || l.Padding[d] > math.MaxInt32 {
			v.failf(i, "kernel", "%s: kernel %d, stride %d, padding %d; want kernel ≥ 1, stride ≥ 1, padding ≥ 0",
				name, l.Kernel[d], l.Stride[d], l.Padding[d])
			return
		}
		in := int64(l.InShape[1+d])
		k, s, p := int64(l.Kernel[d]), int64(l.Stride[d]), int64(l.Padding[d])
		if in+2*p < k {
			v.failf(i, "kernel", "%s: kernel %d is larger than the padded input %d", name, k, in+2*p)
			return
		}
		want := (in+2*p-k)/s + 1
		if int64(l.OutShape[1+d]) != want {
			v.failf(i, "out_shape", "%s is %d, want floor((%d+2·%d−%d)/%d)+1 = %d", name, l.OutShape[1+d], in, p, k, s, want)
			return
		}
	}
}

// mapOrder checks a layer's mapping order: none but on a Conv2D layer,
// where it is a permutation of the layer's neurons (CHW indices).
func (v *verifier) mapOrder(i int, l *Layer) {
	if len(l.MapOrder) == 0 {
		return
	}
	if l.Kind != KindConv2D {
		v.empty(i, "map_order", len(l.MapOrder), l.Kind)
		return
	}
	n := ShapeSize(l.OutShape)
	if len(l.MapOrder) != n {
		v.failf(i, "map_order", "has %d values, want one per output neuron (%d) or none", len(l.MapOrder), n)
		return
	}
	seen := make([]bool, n)
	for k, j := range l.MapOrder {
		if j < 0 || int(j) >= n {
			v.failf(i, "map_order", "entry %d is %d, want a neuron index 0..%d", k, j, n-1)
			return
		}
		if seen[j] {
			v.failf(i, "map_order", "lists neuron %d twice (entry %d), want a permutation", j, k)
			return
		}
		seen[j] = true
	}
}

// sparse checks a sparse layer's synapse lists: RowStart has Out+1
// non-decreasing offsets from 0 to the number of synapses, and every
// synapse has a weight and an input index below In.
func (v *verifier) sparse(i int, l *Layer) {
	in, out := l.InShape[0], l.OutShape[0]
	if len(l.RowStart) != out+1 {
		v.failf(i, "row_start", "has %d values, want one per output neuron plus one (%d)", len(l.RowStart), out+1)
		return
	}
	if l.RowStart[0] != 0 {
		v.failf(i, "row_start", "starts at %d, want 0", l.RowStart[0])
		return
	}
	for n := 0; n < out; n++ {
		if l.RowStart[n+1] < l.RowStart[n] {
			v.failf(i, "row_start", "decreases at neuron %d (%d after %d)", n, l.RowStart[n+1], l.RowStart[n])
			return
		}
	}
	nnz := int(l.RowStart[out])
	if len(l.Cols) != nnz {
		v.failf(i, "cols", "has %d values, want one per synapse (%d)", len(l.Cols), nnz)
		return
	}
	if len(l.Weights) != nnz {
		v.failf(i, "weights", "has %d values, want one per synapse (%d)", len(l.Weights), nnz)
		return
	}
	for k, c := range l.Cols {
		if c < 0 || int(c) >= in {
			v.failf(i, "cols", "synapse %d reads input %d, want 0..%d", k, c, in-1)
			return
		}
	}
}

func (v *verifier) noWindow(i int, l *Layer) {
	if l.Kernel != [2]int{} || l.Stride != [2]int{} || l.Padding != [2]int{} {
		v.failf(i, "kernel", "kernel %v, stride %v, padding %v set on a %s layer, want zero", l.Kernel, l.Stride, l.Padding, l.Kind)
	}
}

func (v *verifier) layer(i int, l *Layer) {
	if l.Kind > KindSparse {
		v.failf(i, "kind", "unknown layer kind %d", l.Kind)
		return
	}
	v.shape(i, "in_shape", l.InShape)
	v.shape(i, "out_shape", l.OutShape)
	if v.err != nil {
		return
	}
	in, out := l.InShape, l.OutShape
	switch l.Kind {
	case KindDense, KindRecurrentDense:
		if len(in) != 1 || len(out) != 1 {
			v.failf(i, "in_shape", "%s layer maps %s to %s, want vectors [N] (add a flatten layer)", l.Kind, fmtShape(in), fmtShape(out))
			return
		}
		v.length(i, "weights", len(l.Weights), out[0], in[0])
		v.length(i, "bias", len(l.Bias), out[0])
		if l.Kind == KindRecurrentDense {
			v.length(i, "recurrent", len(l.Recurrent), out[0], out[0])
		} else {
			v.empty(i, "recurrent", len(l.Recurrent), l.Kind)
		}
		v.noWindow(i, l)
	case KindConv2D:
		if len(in) != 3 || len(out) != 3 {
			v.failf(i, "in_shape", "conv2d layer maps %s to %s, want [C,H,W] tensors", fmtShape(in), fmtShape(out))
			return
		}
		v.window(i, l)
		g := l.NumGroups()
		if l.Groups < 0 || l.Groups > math.MaxInt32 || in[0]%g != 0 || out[0]%g != 0 {
			v.failf(i, "groups", "is %d, want ≥ 1 dividing both the %d input and the %d output channels", l.Groups, in[0], out[0])
			return
		}
		v.length(i, "weights", len(l.Weights), out[0], in[0]/g, l.Kernel[0], l.Kernel[1])
		v.length(i, "bias", len(l.Bias), out[0])
		v.empty(i, "recurrent", len(l.Recurrent), l.Kind)
	case KindSparse:
		if len(in) != 1 || len(out) != 1 {
			v.failf(i, "in_shape", "sparse layer maps %s to %s, want vectors [N] (add a flatten layer)", fmtShape(in), fmtShape(out))
			return
		}
		v.noWindow(i, l)
		v.empty(i, "recurrent", len(l.Recurrent), l.Kind)
		v.length(i, "bias", len(l.Bias), out[0])
		v.sparse(i, l)
	case KindAvgPool:
		if len(in) != 3 || len(out) != 3 {
			v.failf(i, "in_shape", "avgpool layer maps %s to %s, want [C,H,W] tensors", fmtShape(in), fmtShape(out))
			return
		}
		if in[0] != out[0] {
			v.failf(i, "out_shape", "has %d channels, want the input's %d", out[0], in[0])
			return
		}
		v.window(i, l)
	case KindFlatten:
		if len(out) != 1 || out[0] != ShapeSize(in) {
			v.failf(i, "out_shape", "is %s, want [%d] (the input %s flattened)", fmtShape(out), ShapeSize(in), fmtShape(in))
			return
		}
		v.noWindow(i, l)
	}
	if l.Kind != KindConv2D && l.Groups != 0 {
		v.failf(i, "groups", "is %d on a %s layer, want 0 (groups are for conv2d)", l.Groups, l.Kind)
	}
	v.mapOrder(i, l)
	if l.Kind != KindSparse {
		v.empty(i, "row_start", len(l.RowStart), l.Kind)
		v.empty(i, "cols", len(l.Cols), l.Kind)
	}
	if !l.HasNeurons() {
		v.empty(i, "weights", len(l.Weights), l.Kind)
		v.empty(i, "bias", len(l.Bias), l.Kind)
		v.empty(i, "recurrent", len(l.Recurrent), l.Kind)
		if l.Delay != 0 {
			v.failf(i, "delay", "is %d on a %s layer, want 0 (delays are of synapses into neurons)", l.Delay, l.Kind)
		}
	}
	v.finites(i, "weights", l.Weights)
	v.finites(i, "recurrent", l.Recurrent)
	v.finites(i, "bias", l.Bias)
	v.finite(i, "neuron.leak", l.Neuron.Leak)
	v.finite(i, "neuron.threshold", l.Neuron.Threshold)
	if d := l.Neuron.CurrentDecay; !(d >= 0 && d < 1) {
		v.failf(i, "neuron.current_decay", "β_c = %g is outside [0, 1)", d)
	}
	if l.Neuron.Reset > ResetSubtractMulti {
		v.failf(i, "neuron.reset", "unknown reset mode %d", l.Neuron.Reset)
	}
}

// neuronLayers counts the layers with neurons.
func (m *Model) neuronLayers() int {
	n := 0
	for i := range m.Layers {
		if m.Layers[i].HasNeurons() {
			n++
		}
	}
	return n
}

func (v *verifier) provenance(p *Provenance) {
	if p.Method > MethodNone {
		v.failf(-1, "provenance.method", "unknown method %d", p.Method)
	}
	if n, nl := len(p.Alphas), v.m.neuronLayers(); n != 0 && n != nl && n != nl-1 {
		v.failf(-1, "provenance.alphas", "has %d values, want one per layer with neurons (%d, or %d without the readout layer)", n, nl, nl-1)
	}
	v.finites(-1, "provenance.alphas", p.Alphas)
	v.finite(-1, "provenance.noise_p", p.NoiseP)
	if p.NoiseP < 0 || p.NoiseP > 1 {
		v.failf(-1, "provenance.noise_p", "is %v, want a probability in [0,1]", p.NoiseP)
	}
	v.finite(-1, "provenance.noise_zeta", p.NoiseZeta)
	v.finite(-1, "provenance.test_accuracy", p.TestAccuracy)
	v.int32s(-1, "provenance.epochs", p.Epochs)
	v.int32s(-1, "provenance.milestones", p.Milestones...)
}

func (v *verifier) quantized(q *Quantized) {
	m := v.m
	if q.WeightBits < 1 || q.WeightBits > MaxWeightBits {
		v.failf(-1, "quantized.weight_bits", "is %d, want 1..%d", q.WeightBits, MaxWeightBits)
	}
	if len(q.Layers) != len(m.Layers) {
		v.failf(-1, "quantized.layers", "has %d entries, want one per layer (%d)", len(q.Layers), len(m.Layers))
		return
	}
	for i := range q.Layers {
		ql, l := &q.Layers[i], &m.Layers[i]
		v.finite(i, "quantized.scale", ql.Scale)
		if ql.Reset > ResetSubtractMulti {
			v.failf(i, "quantized.reset", "unknown reset mode %d", ql.Reset)
		}
		if !l.HasNeurons() {
			v.empty(i, "quantized.weights", len(ql.Weights), l.Kind)
			v.empty(i, "quantized.recurrent", len(ql.Recurrent), l.Kind)
			v.empty(i, "quantized.bias", len(ql.Bias), l.Kind)
			v.empty(i, "quantized.axon_types", len(ql.AxonTypes), l.Kind)
			v.empty(i, "quantized.type_weights", len(ql.TypeWeights), l.Kind)
			continue
		}
		if len(ql.Weights) != len(l.Weights) {
			v.failf(i, "quantized.weights", "has %d values, want %d like the float weights", len(ql.Weights), len(l.Weights))
		}
		if len(ql.Recurrent) != len(l.Recurrent) {
			v.failf(i, "quantized.recurrent", "has %d values, want %d like the float recurrent weights", len(ql.Recurrent), len(l.Recurrent))
		}
		if len(ql.Bias) != 0 && len(ql.Bias) != len(l.Bias) {
			v.failf(i, "quantized.bias", "has %d values, want 0 or %d like the float bias", len(ql.Bias), len(l.Bias))
		}
		for _, d := range [...]struct {
			name string
			x    int32
		}{{"quantized.decay_u", ql.DecayU}, {"quantized.decay_v", ql.DecayV}} {
			if d.x < 0 || d.x > MaxDecay {
				v.failf(i, d.name, "is %d, want 0..%d", d.x, MaxDecay)
			}
		}
		if ql.InputPayloadBits > MaxPayloadBits {
			v.failf(i, "quantized.input_payload_bits", "is %d, want 0..%d", ql.InputPayloadBits, MaxPayloadBits)
		}
		v.finite(i, "quantized.input_payload_scale", ql.InputPayloadScale)
		if ql.InputPayloadScale < 0 || ql.InputPayloadScale > 0 && ql.InputPayloadBits == 0 {
			v.failf(i, "quantized.input_payload_scale", "is %g, want ≥ 0 and 0 without graded input", ql.InputPayloadScale)
		}
		nin, nout := l.NumInputs(), l.NumOutputs()
		if n := len(ql.AxonTypes); n != 0 && n != nin && !(l.Kind == KindRecurrentDense && n == nin+nout) {
			v.failf(i, "quantized.axon_types", "has %d values, want 0 or one per input axon (%d)", n, nin)
		}
		for j, t := range ql.AxonTypes {
			if t >= NumAxonTypes {
				v.failf(i, "quantized.axon_types", "value %d is %d, want 0..%d", j, t, NumAxonTypes-1)
				break
			}
		}
		if n := len(ql.TypeWeights); n != 0 && n != NumAxonTypes*nout {
			v.failf(i, "quantized.type_weights", "has %d values, want 0 or 4×%d = %d", n, nout, NumAxonTypes*nout)
		}
	}
}

func (v *verifier) mapping(mp *Mapping) {
	m := v.m
	if m.Quantized == nil {
		v.failf(-1, "mapping", "is present but the model has no quantized section")
		return
	}
	if mp.Target != m.Quantized.Target {
		v.failf(-1, "mapping.target", "is %q, but the quantized section's target is %q", mp.Target, m.Quantized.Target)
	}
	if mp.Chips < 1 || mp.MeshWidth < 1 || mp.MeshHeight < 1 {
		v.failf(-1, "mapping.chips", "%d chips of %d×%d cores, want positive counts", mp.Chips, mp.MeshWidth, mp.MeshHeight)
	}
	v.int32s(-1, "mapping.chips", mp.Chips, mp.MeshWidth, mp.MeshHeight)
	v.int32s(-1, "mapping.lower_bound_cores", mp.LowerBoundCores)
	if mp.LowerBoundCores > len(mp.Cores) {
		v.failf(-1, "mapping.lower_bound_cores", "is %d, more than the %d cores used", mp.LowerBoundCores, len(mp.Cores))
	}
	if len(mp.Cores) >= MaxElements/40 || len(mp.Routes) >= MaxElements/16 {
		v.failf(-1, "mapping.cores", "%d cores and %d routes exceed the format's limits", len(mp.Cores), len(mp.Routes))
	}
	if v.err != nil {
		return
	}
	type pos struct{ chip, x, y int }
	seen := make(map[pos]int, len(mp.Cores))
	ranges := make([][]int, len(m.Layers)) // core indices per layer
	for c := range mp.Cores {
		core := &mp.Cores[c]
		f := fmt.Sprintf("mapping.cores[%d]", c)
		v.int32s(-1, f, core.Chip, core.X, core.Y, core.Layer, core.NeuronStart, core.NeuronCount, core.InputAxons, core.OutputRoutes)
		if v.err != nil {
			return
		}
		switch {
		case core.Chip >= mp.Chips:
			v.failf(-1, f+".chip", "is %d, but the mapping uses %d chips", core.Chip, mp.Chips)
		case core.X >= mp.MeshWidth || core.Y >= mp.MeshHeight:
			v.failf(-1, f+".x", "core (%d,%d) lies outside the %d×%d mesh", core.X, core.Y, mp.MeshWidth, mp.MeshHeight)
		case core.Layer >= len(m.Layers):
			v.failf(-1, f+".layer", "is %d, but the model has %d layers", core.Layer, len(m.Layers))
		case !m.Layers[core.Layer].HasNeurons():
			v.failf(-1, f+".layer", "is %d, a %s layer without neurons", core.Layer, m.Layers[core.Layer].Kind)
		case core.NeuronCount < 1:
			v.failf(-1, f+".neuron_count", "is %d, want at least 1", core.NeuronCount)
		case core.NeuronStart+core.NeuronCount > m.Layers[core.Layer].NumOutputs():
			v.failf(-1, f+".neuron_start", "neurons %d..%d lie outside layer %d's %d neurons",
				core.NeuronStart, core.NeuronStart+core.NeuronCount-1, core.Layer, m.Layers[core.Layer].NumOutputs())
		case core.SynapseBits < 0:
			v.failf(-1, f+".synapse_bits", "is %d, want ≥ 0", core.SynapseBits)
		}
		if v.err != nil {
			return
		}
		p := pos{core.Chip, core.X, core.Y}
		if o, dup := seen[p]; dup {
			v.failf(-1, f, "is at chip %d (%d,%d), like mapping.cores[%d]", p.chip, p.x, p.y, o)
			return
		}
		seen[p] = c
		ranges[core.Layer] = append(ranges[core.Layer], c)
	}
	if len(mp.Cores) > 0 {
		for i := range m.Layers {
			if !m.Layers[i].HasNeurons() {
				continue
			}
			cs := ranges[i]
			sort.Slice(cs, func(a, b int) bool { return mp.Cores[cs[a]].NeuronStart < mp.Cores[cs[b]].NeuronStart })
			next := 0
			for _, c := range cs {
				core := &mp.Cores[c]
				if core.NeuronStart != next {
					if core.NeuronStart < next {
						v.failf(i, "mapping.cores", "neuron %d is on more than one core (mapping.cores[%d] starts at %d)", core.NeuronStart, c, core.NeuronStart)
					} else {
						v.failf(i, "mapping.cores", "neurons %d..%d are on no core", next, core.NeuronStart-1)
					}
					return
				}
				next += core.NeuronCount
			}
			if n := m.Layers[i].NumOutputs(); next != n {
				v.failf(i, "mapping.cores", "neurons %d..%d are on no core", next, n-1)
				return
			}
		}
	}
	for r := range mp.Routes {
		rt := &mp.Routes[r]
		f := fmt.Sprintf("mapping.routes[%d]", r)
		v.int32s(-1, f, rt.Hops, rt.Axons)
		if rt.From < 0 || rt.From >= len(mp.Cores) || rt.To < 0 || rt.To >= len(mp.Cores) {
			v.failf(-1, f, "goes from core %d to core %d, want indices 0..%d", rt.From, rt.To, len(mp.Cores)-1)
		}
		if v.err != nil {
			return
		}
	}
}

func equalShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func fmtShape(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
