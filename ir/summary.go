package ir

import "math"

// Summary describes a model without its parameter arrays: shapes, counts and
// ranges. It is what `snnc inspect --json` prints; enums are strings.
type Summary struct {
	Name          string         `json:"name"`
	FormatVersion int            `json:"format_version"`
	Input         InputSummary   `json:"input"`
	Timesteps     int            `json:"timesteps"`
	Layers        []LayerSummary `json:"layers"`
	Readout       string         `json:"readout"`
	// Params is the number of float parameters (weights, recurrent weights, biases).
	Params int64 `json:"params"`
	// Neurons is the number of LIF neurons (including the readout layer's).
	Neurons int64 `json:"neurons"`
	// Synapses is the number of connections (see LayerSummary.Synapses).
	Synapses   int64              `json:"synapses"`
	Provenance *ProvenanceSummary `json:"provenance,omitempty"`
	Quantized  *QuantizedSummary  `json:"quantized,omitempty"`
	Mapping    *MappingSummary    `json:"mapping,omitempty"`
}

// InputSummary describes the input.
type InputSummary struct {
	Shape    []int   `json:"shape"`
	Encoding string  `json:"encoding"`
	Scale    float32 `json:"scale"`
}

// Range is the smallest and largest value of a float array.
type Range struct {
	Min float32 `json:"min"`
	Max float32 `json:"max"`
}

// IntRange is the smallest and largest value of an integer array.
type IntRange struct {
	Min int64 `json:"min"`
	Max int64 `json:"max"`
}

// LIFSummary describes a layer's neurons.
type LIFSummary struct {
	Leak      float32 `json:"leak"`
	Threshold float32 `json:"threshold"`
	Reset     string  `json:"reset"`
	// CurrentDecay is β_c (omitted when 0, the seed's neuron).
	CurrentDecay float32 `json:"current_decay,omitempty"`
}

// LayerSummary describes one float layer.
type LayerSummary struct {
	Index    int    `json:"index"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	InShape  []int  `json:"in_shape"`
	OutShape []int  `json:"out_shape"`
	// Kernel, Stride and Padding are set for conv2d and avgpool layers.
	Kernel  *[2]int `json:"kernel,omitempty"`
	Stride  *[2]int `json:"stride,omitempty"`
	Padding *[2]int `json:"padding,omitempty"`
	// Groups is a grouped conv2d layer's channel groups (omitted for one).
	Groups int `json:"groups,omitempty"`
	// Delay is the synaptic delay of the layer's input in steps (omitted
	// for none).
	Delay int `json:"delay,omitempty"`
	// MapOrder is the kind of a compiled conv layer's mapping order
	// (Layer.MapOrder): "position-major" without one of its own, else
	// "own order" (snnc inspect names it); empty for other layers and
	// models without a mapping.
	MapOrder string `json:"map_order,omitempty"`
	// Params counts weights, recurrent weights and biases.
	Params int `json:"params"`
	// Neurons is the number of LIF neurons (0 for pooling and flatten).
	Neurons int `json:"neurons"`
	// Synapses is the number of (input, neuron) connections, i.e. the
	// synaptic operations per step if every input spiked: out×in for dense
	// (plus out×out recurrent), and for conv2d the kernel taps that fall
	// inside the (unpadded) input, summed over all outputs.
	Synapses int64 `json:"synapses"`
	// Spiking is false for the readout layer and layers without neurons.
	Spiking bool        `json:"spiking"`
	Neuron  *LIFSummary `json:"neuron,omitempty"`
	// Ranges of the parameter arrays (absent when empty).
	Weights   *Range `json:"weights,omitempty"`
	Recurrent *Range `json:"recurrent,omitempty"`
	Bias      *Range `json:"bias,omitempty"`
}

// ProvenanceSummary is the provenance with enums as strings.
type ProvenanceSummary struct {
	Method       string    `json:"method"`
	Alphas       []float32 `json:"alphas,omitempty"`
	NoiseP       float32   `json:"noise_p"`
	NoiseZeta    float32   `json:"noise_zeta"`
	Milestones   []int     `json:"milestones,omitempty"`
	Dataset      string    `json:"dataset,omitempty"`
	Epochs       int       `json:"epochs"`
	Seed         uint64    `json:"seed"`
	TestAccuracy float32   `json:"test_accuracy"`
	ToolVersion  string    `json:"tool_version,omitempty"`
	Target       string    `json:"target,omitempty"`
}

// QuantizedSummary describes the quantized network.
type QuantizedSummary struct {
	Target     string              `json:"target"`
	WeightBits int                 `json:"weight_bits"`
	Layers     []QuantLayerSummary `json:"layers"`
}

// QuantLayerSummary describes one layer's integer parameters.
type QuantLayerSummary struct {
	Index          int     `json:"index"`
	Name           string  `json:"name"`
	WeightExponent int     `json:"weight_exponent"`
	Scale          float32 `json:"scale"`
	Threshold      int32   `json:"threshold"`
	NegThreshold   int32   `json:"neg_threshold"`
	BiasExponent   int     `json:"bias_exponent"`
	DecayU         int32   `json:"decay_u"`
	DecayV         int32   `json:"decay_v"`
	Leak           int32   `json:"leak"`
	Reset          string  `json:"reset"`
	// Ranges of the integer arrays (absent when empty).
	Weights     *IntRange `json:"weights,omitempty"`
	Recurrent   *IntRange `json:"recurrent,omitempty"`
	Bias        *IntRange `json:"bias,omitempty"`
	AxonTypes   int       `json:"axon_types"`
	TypeWeights *IntRange `json:"type_weights,omitempty"`
	// InputPayloadBits is the graded input's payload width (0: binary).
	InputPayloadBits int `json:"input_payload_bits,omitempty"`
}

// MappingSummary describes the placement on cores.
type MappingSummary struct {
	Target          string `json:"target"`
	Chips           int    `json:"chips"`
	MeshWidth       int    `json:"mesh_width"`
	MeshHeight      int    `json:"mesh_height"`
	Cores           int    `json:"cores"`
	LowerBoundCores int    `json:"lower_bound_cores"`
	// CoresPerLayer has one entry per layer (0 for layers without neurons).
	CoresPerLayer []int `json:"cores_per_layer"`
	Routes        int   `json:"routes"`
	// TotalHops is Σ route hops; AxonHops is Σ hops×axons over routes (the
	// hop count if every source neuron spiked once).
	TotalHops   int64 `json:"total_hops"`
	AxonHops    int64 `json:"axon_hops"`
	MaxHops     int   `json:"max_hops"`
	InputAxons  int64 `json:"input_axons"`
	SynapseBits int64 `json:"synapse_bits"`
}

// Summary returns a description of m without its parameter arrays. m should
// be valid (see Verify).
func (m *Model) Summary() Summary {
	s := Summary{
		Name:          m.Name,
		FormatVersion: FormatVersion,
		Input:         InputSummary{Shape: m.Input.Shape, Encoding: m.Input.Encoding.String(), Scale: m.Input.Scale},
		Timesteps:     m.Timesteps,
		Readout:       m.Readout.Kind.String(),
		Layers:        make([]LayerSummary, len(m.Layers)),
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		ls := LayerSummary{
			Index: i, Name: l.Name, Kind: l.Kind.String(), InShape: l.InShape, OutShape: l.OutShape,
			Params:    len(l.Weights) + len(l.Recurrent) + len(l.Bias),
			Delay:     int(l.Delay),
			Synapses:  l.Synapses(),
			Weights:   floatRange(l.Weights),
			Recurrent: floatRange(l.Recurrent),
			Bias:      floatRange(l.Bias),
		}
		if l.Kind == KindConv2D || l.Kind == KindAvgPool {
			k, st, p := l.Kernel, l.Stride, l.Padding
			ls.Kernel, ls.Stride, ls.Padding = &k, &st, &p
		}
		if l.Groups > 1 {
			ls.Groups = l.Groups
		}
		if l.Kind == KindConv2D && m.Mapping != nil && i != len(m.Layers)-1 {
			ls.MapOrder = "position-major"
		}
		if len(l.MapOrder) > 0 {
			ls.MapOrder = "own order"
		}
		if l.HasNeurons() {
			ls.Neurons = l.NumOutputs()
			ls.Spiking = i != len(m.Layers)-1
			ls.Neuron = &LIFSummary{Leak: l.Neuron.Leak, Threshold: l.Neuron.Threshold, Reset: l.Neuron.Reset.String(), CurrentDecay: l.Neuron.CurrentDecay}
		}
		s.Params += int64(ls.Params)
		s.Neurons += int64(ls.Neurons)
		s.Synapses += ls.Synapses
		s.Layers[i] = ls
	}
	if p := m.Provenance; p != nil {
		s.Provenance = &ProvenanceSummary{
			Method: p.Method.String(), Alphas: p.Alphas, NoiseP: p.NoiseP, NoiseZeta: p.NoiseZeta,
			Milestones: p.Milestones, Dataset: p.Dataset, Epochs: p.Epochs, Seed: p.Seed,
			TestAccuracy: p.TestAccuracy, ToolVersion: p.ToolVersion, Target: p.Target,
		}
	}
	if q := m.Quantized; q != nil {
		qs := &QuantizedSummary{Target: q.Target, WeightBits: q.WeightBits, Layers: make([]QuantLayerSummary, len(q.Layers))}
		for i := range q.Layers {
			ql := &q.Layers[i]
			name := ""
			if i < len(m.Layers) {
				name = m.Layers[i].Name
			}
			qs.Layers[i] = QuantLayerSummary{
				Index: i, Name: name, WeightExponent: int(ql.WeightExponent), Scale: ql.Scale,
				Threshold: ql.Threshold, NegThreshold: ql.NegThreshold, BiasExponent: int(ql.BiasExponent),
				DecayU: ql.DecayU, DecayV: ql.DecayV, Leak: ql.Leak, Reset: ql.Reset.String(),
				Weights: intRange(ql.Weights), Recurrent: intRange(ql.Recurrent), Bias: intRange(ql.Bias),
				AxonTypes: len(ql.AxonTypes), TypeWeights: intRange(ql.TypeWeights),
				InputPayloadBits: int(ql.InputPayloadBits),
			}
		}
		s.Quantized = qs
	}
	if mp := m.Mapping; mp != nil {
		ms := &MappingSummary{
			Target: mp.Target, Chips: mp.Chips, MeshWidth: mp.MeshWidth, MeshHeight: mp.MeshHeight,
			Cores: len(mp.Cores), LowerBoundCores: mp.LowerBoundCores, Routes: len(mp.Routes),
			CoresPerLayer: make([]int, len(m.Layers)),
		}
		for _, c := range mp.Cores {
			if c.Layer >= 0 && c.Layer < len(ms.CoresPerLayer) {
				ms.CoresPerLayer[c.Layer]++
			}
			ms.InputAxons += int64(c.InputAxons)
			ms.SynapseBits += c.SynapseBits
		}
		for _, r := range mp.Routes {
			ms.TotalHops += int64(r.Hops)
			ms.AxonHops += int64(r.Hops) * int64(r.Axons)
			ms.MaxHops = max(ms.MaxHops, r.Hops)
		}
		s.Mapping = ms
	}
	return s
}

// Synapses is the number of (input, neuron) connections of the layer: out×in
// for dense layers (plus out×out recurrent ones), for conv2d layers the
// kernel taps that fall inside the unpadded input, summed over all outputs
// (a grouped conv's outputs see InC/Groups channels), for sparse layers the
// listed synapses.
// Layers without neurons have none.
func (l *Layer) Synapses() int64 {
	switch l.Kind {
	case KindDense:
		return int64(l.NumOutputs()) * int64(l.NumInputs())
	case KindRecurrentDense:
		n := int64(l.NumOutputs())
		return n*int64(l.NumInputs()) + n*n
	case KindConv2D:
		if len(l.InShape) != 3 || len(l.OutShape) != 3 {
			return 0
		}
		taps := int64(l.OutShape[0]) * int64(l.InShape[0]/l.NumGroups())
		for d := range 2 {
			taps *= validTaps(l.InShape[1+d], l.OutShape[1+d], l.Kernel[d], l.Stride[d], l.Padding[d])
		}
		return taps
	case KindSparse:
		return int64(len(l.Cols))
	}
	return 0
}

// validTaps sums, over the out output positions along one dimension, the
// kernel taps that land inside an input of size in.
func validTaps(in, out, k, s, p int) int64 {
	var n int64
	for o := range out {
		start := o*s - p
		lo, hi := max(start, 0), min(start+k, in)
		if hi > lo {
			n += int64(hi - lo)
		}
	}
	return n
}

func floatRange(xs []float32) *Range {
	if len(xs) == 0 {
		return nil
	}
	r := Range{Min: float32(math.Inf(1)), Max: float32(math.Inf(-1))}
	for _, x := range xs {
		r.Min, r.Max = min(r.Min, x), max(r.Max, x)
	}
	return &r
}

func intRange[T int16 | int32](xs []T) *IntRange {
	if len(xs) == 0 {
		return nil
	}
	lo, hi := xs[0], xs[0]
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	return &IntRange{Min: int64(lo), Max: int64(hi)}
}
