package sim

import (
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// ErrModel is wrapped by every error about a model the simulator cannot run
// (unsupported layers, inconsistent quantization, a corrupted mapping).
var ErrModel = errors.New("sim: bad model")

// ErrData is wrapped by errors about a dataset that does not fit the model.
var ErrData = errors.New("sim: dataset does not fit the model")

func modelErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrModel, fmt.Sprintf(format, a...))
}

// maxFanIn bounds the inputs of a neuron so that an int32 accumulator of
// int16 weights cannot overflow.
const maxFanIn = 1 << 16

// maxSynapses bounds the dense In×Out matrix of a dense layer and the
// synapse list of a sparse one (conv layers are kept as kernels, see
// convk.go, and have no such bound).
const maxSynapses = 1 << 28

// netLayer is one layer with neurons: a dense layer lowered to a dense
// transposed matrix, a conv layer kept as its kernel, a sparse layer as
// synapse lists.
type netLayer struct {
	model   int // index into ir.Model.Layers
	name    string
	in, out int
	// spiking is false for a mean-current or max-potential readout.
	spiking bool
	readout bool
	// recurrent: a recurrent dense layer (V·s[t−1] on chip, see temporal
	// models in doc.go).
	recurrent bool
	// Float parameters: fw is In×Out (fw[i*out+j] = W[j][i]), fb per neuron.
	fw        []float32
	fb        []float32
	leak, thr float32
	// decay is β_c (the float current c = β_c·c + input); rfw is a
	// recurrent layer's V, Out×Out input-major (rfw[i*out+j] = V[j][i]).
	decay float32
	rfw   []float32
	reset ir.ResetMode
	// Conv layers (see conv.go): inPerm and outPerm move the model's CHW
	// indices to the simulator's order (nil: unchanged), outInv back;
	// fanOut[i] is the number of synapses of input i (nil: all outputs).
	inPerm, outPerm, outInv []int32
	fanOut                  []int32
	// sp holds a Sparse layer's synapses by input (see sparse.go); fw is
	// nil then.
	sp *sparseRows
	// ck holds a Conv2D layer's kernel (see convk.go); fw is nil then.
	ck *convKernel
	// pool is an average pooling in front of the layer (float models):
	// composed into fw for a dense layer, into ck for a conv layer.
	pool *ir.Layer
	// delay is the synaptic delay of the layer's input in steps (see
	// delay.go).
	delay int
	// copy is set when every neuron of the layer provably copies its one
	// input's spikes (a splitter, see splitter.go).
	copy *floatCopy
}

// netProgram is a model lowered for the float reference.
type netProgram struct {
	m       *ir.Model
	T       int
	layers  []netLayer
	inSize  int
	scale   float32 // input scale (0 in the model means 1)
	enc     ir.Encoding
	spikeRO bool // readout by spike count
	maxRO   bool // readout by the maximum potential over the T steps
}

// lowerFloat checks that m can be simulated and lowers its float layers.
func lowerFloat(m *ir.Model) (*netProgram, error) {
	if m == nil {
		return nil, modelErr("model is nil")
	}
	if m.Timesteps < 1 {
		return nil, modelErr("timesteps is %d, want at least 1", m.Timesteps)
	}
	switch m.Input.Encoding {
	case ir.EncodingDirect, ir.EncodingRate, ir.EncodingEvents:
	default:
		return nil, modelErr("input encoding %d is not supported by the simulator (direct, rate or events)", m.Input.Encoding)
	}
	if m.Readout.Kind > ir.ReadoutMaxPotential {
		return nil, modelErr("unknown readout kind %d", m.Readout.Kind)
	}
	p := &netProgram{m: m, T: m.Timesteps, enc: m.Input.Encoding, scale: m.Input.Scale,
		spikeRO: m.Readout.Kind == ir.ReadoutSpikeCount, maxRO: m.Readout.Kind == ir.ReadoutMaxPotential}
	if p.scale == 0 {
		p.scale = 1
	}
	p.inSize = ir.ShapeSize(m.Input.Shape)
	if p.inSize <= 0 {
		return nil, modelErr("input shape %v is empty", m.Input.Shape)
	}
	size := p.inSize
	var pool *ir.Layer // an average pooling waiting for the next layer
	for i := range m.Layers {
		l := &m.Layers[i]
		name := layerName(m, i)
		in, out := l.NumInputs(), l.NumOutputs()
		if in != size {
			return nil, modelErr("layer %s has %d inputs, but the previous layer (or input) has %d outputs", name, in, size)
		}
		if out <= 0 {
			return nil, modelErr("layer %s has no outputs", name)
		}
		switch l.Kind {
		case ir.KindFlatten:
			if out != in {
				return nil, modelErr("flatten layer %s maps %d values to %d", name, in, out)
			}
			size = out
			continue
		case ir.KindAvgPool:
			if pool != nil {
				return nil, modelErr("pooling layer %s follows another pooling layer", name)
			}
			if err := checkPool(l, name); err != nil {
				return nil, err
			}
			pool = l
			size = out
			continue
		case ir.KindDense, ir.KindRecurrentDense:
		case ir.KindConv2D:
			// the kernel is laid out in permuteLayers, once the input
			// order is known
			if _, err := weightCount(l, name); err != nil {
				return nil, err
			}
			nl, err := newNetLayer(i, name, l)
			if err != nil {
				return nil, err
			}
			if pool != nil {
				nl.in, nl.pool = pool.NumInputs(), pool
				pool = nil
			}
			p.layers = append(p.layers, nl)
			size = out
			continue
		case ir.KindSparse:
			if pool != nil {
				return nil, modelErr("layer %s: a sparse layer after average pooling is not supported", name)
			}
			if err := checkSparse(l, name, in, out); err != nil {
				return nil, err
			}
			// the synapses are grouped by input in permuteLayers, once the
			// input order is known
			nl, err := newNetLayer(i, name, l)
			if err != nil {
				return nil, err
			}
			p.layers = append(p.layers, nl)
			size = out
			continue
		default:
			return nil, modelErr("layer %s: kind %d is not supported by the simulator (dense, conv2d, sparse, average pooling, flatten)", name, l.Kind)
		}
		if int64(in)*int64(out) > maxSynapses {
			return nil, modelErr("layer %s: %d×%d synapses are more than the simulator's dense layout holds (%d)", name, in, out, int64(maxSynapses))
		}
		if in >= maxFanIn {
			return nil, modelErr("layer %s has %d inputs; the simulator supports fewer than %d", name, in, maxFanIn)
		}
		fw, err := transpose(l, l.Weights, name, "weights")
		if err != nil {
			return nil, err
		}
		nl, err := newNetLayer(i, name, l)
		if err != nil {
			return nil, err
		}
		nl.fw = fw
		nl.recurrent = l.Kind == ir.KindRecurrentDense
		if nl.recurrent {
			if len(l.Recurrent) != out*out {
				return nil, modelErr("layer %s: recurrent weights has %d values, want %d×%d", name, len(l.Recurrent), out, out)
			}
			nl.rfw = make([]float32, out*out)
			for j := 0; j < out; j++ {
				for i, v := range l.Recurrent[j*out : (j+1)*out] {
					nl.rfw[i*out+j] = v
				}
			}
		}
		if pool != nil {
			nl.unpool(pool)
			pool = nil
		}
		p.layers = append(p.layers, nl)
		size = out
	}
	if len(p.layers) == 0 || p.layers[len(p.layers)-1].model != len(m.Layers)-1 {
		return nil, modelErr("the last layer must be a dense, recurrent dense, conv2d or sparse readout layer")
	}
	last := &p.layers[len(p.layers)-1]
	last.readout = true
	last.spiking = p.spikeRO
	if err := p.permuteLayers(); err != nil {
		return nil, err
	}
	for i := range p.layers {
		p.layers[i].copy = floatCopyOf(&p.layers[i]) // splitter.go
	}
	return p, nil
}

// newNetLayer is the float layer of model layer i with its neuron
// parameters and one bias per neuron; the weights are laid out by the caller.
func newNetLayer(i int, name string, l *ir.Layer) (netLayer, error) {
	if l.Neuron.Reset == ir.ResetSubtractMulti && l.Kind != ir.KindDense && l.Kind != ir.KindRecurrentDense {
		// the temporal reference (temporal.go) runs them, dense layers only
		return netLayer{}, modelErr("layer %s: several spikes per step (reset %s) are simulated in dense layers only, not %s", name, l.Neuron.Reset, l.Kind)
	}
	fb, err := expandBias(l, l.Bias, name)
	if err != nil {
		return netLayer{}, err
	}
	return netLayer{
		model: i, name: name, in: l.NumInputs(), out: l.NumOutputs(), spiking: true,
		fb: fb, leak: l.Neuron.Leak, thr: l.Neuron.Threshold, reset: l.Neuron.Reset, decay: l.Neuron.CurrentDecay, delay: int(l.Delay),
	}, nil
}

func layerName(m *ir.Model, i int) string {
	if n := m.Layers[i].Name; n != "" {
		return fmt.Sprintf("%d (%s)", i, n)
	}
	return fmt.Sprint(i)
}

// transpose returns the In×Out matrix of the layer's weights w (given in the
// layer's own layout: dense Out×In, conv OutC×(InC/Groups)×KH×KW).
func transpose[T int16 | float32](l *ir.Layer, w []T, name, field string) ([]T, error) {
	in, out := l.NumInputs(), l.NumOutputs()
	switch l.Kind {
	case ir.KindDense, ir.KindRecurrentDense:
		if len(w) != in*out {
			return nil, modelErr("layer %s: %s has %d values, want %d×%d", name, field, len(w), out, in)
		}
		t := make([]T, in*out)
		for j := 0; j < out; j++ {
			row := w[j*in : (j+1)*in]
			for i, x := range row {
				t[i*out+j] = x
			}
		}
		return t, nil
	case ir.KindConv2D:
		g, err := convGeom(l, name)
		if err != nil {
			return nil, err
		}
		if len(w) != g.oc*(g.ic/g.groups)*g.kh*g.kw {
			return nil, modelErr("layer %s: %s has %d values, want %d×%d×%d×%d", name, field, len(w), g.oc, g.ic/g.groups, g.kh, g.kw)
		}
		t := make([]T, in*out)
		ir.ConvTaps(l, func(i, o, k int) { t[i*out+o] = w[k] })
		return t, nil
	}
	return nil, modelErr("layer %s: kind %d has no weights", name, l.Kind)
}

type convGeometry struct {
	ic, ih, iw, oc, oh, ow, kh, kw, sh, sw, ph, pw int
	groups                                         int
}

func convGeom(l *ir.Layer, name string) (convGeometry, error) {
	var g convGeometry
	if len(l.InShape) != 3 || len(l.OutShape) != 3 {
		return g, modelErr("conv layer %s: shapes %v → %v, want [C,H,W]", name, l.InShape, l.OutShape)
	}
	g.ic, g.ih, g.iw = l.InShape[0], l.InShape[1], l.InShape[2]
	g.oc, g.oh, g.ow = l.OutShape[0], l.OutShape[1], l.OutShape[2]
	g.kh, g.kw = l.Kernel[0], l.Kernel[1]
	g.sh, g.sw = max(1, l.Stride[0]), max(1, l.Stride[1])
	g.ph, g.pw = l.Padding[0], l.Padding[1]
	if g.kh < 1 || g.kw < 1 || g.ph < 0 || g.pw < 0 {
		return g, modelErr("conv layer %s: kernel %v, padding %v", name, l.Kernel, l.Padding)
	}
	if g.ic < 1 || g.ih < 1 || g.iw < 1 || g.oc < 1 || g.oh < 1 || g.ow < 1 {
		return g, modelErr("conv layer %s: shapes %v → %v", name, l.InShape, l.OutShape)
	}
	g.groups = l.NumGroups()
	if l.Groups < 0 || g.ic%g.groups != 0 || g.oc%g.groups != 0 {
		return g, modelErr("conv layer %s: %d groups do not divide %d input and %d output channels", name, l.Groups, g.ic, g.oc)
	}
	return g, nil
}

// expandBias returns one bias per output neuron (nil bias: zeros).
func expandBias[T int32 | float32](l *ir.Layer, b []T, name string) ([]T, error) {
	out := l.NumOutputs()
	e := make([]T, out)
	if len(b) == 0 {
		return e, nil
	}
	if len(b) == out {
		copy(e, b)
		return e, nil
	}
	if l.Kind == ir.KindConv2D && len(l.OutShape) == 3 && len(b) == l.OutShape[0] {
		per := l.OutShape[1] * l.OutShape[2]
		for c, x := range b {
			for k := 0; k < per; k++ {
				e[c*per+k] = x
			}
		}
		return e, nil
	}
	return nil, modelErr("layer %s: bias has %d values, want %d", name, len(b), out)
}

// checkData reports whether set's images fit the model's input.
func checkData(p *netProgram, set *dataset.Set) error {
	if set == nil {
		return fmt.Errorf("%w: no dataset", ErrData)
	}
	sh := p.m.Input.Shape
	size := set.ImageSize()
	if p.enc == ir.EncodingEvents {
		// T steps of input spikes per sample
		if set.StepSize() != p.inSize || set.Steps != p.T {
			return fmt.Errorf("%w: %s has samples of %d steps of %d values, the model takes %d steps (T) of %d (event input %v)",
				ErrData, set.Name, max(1, set.Steps), set.StepSize(), p.T, p.inSize, sh)
		}
	} else {
		ok := size == p.inSize && set.Steps == 0
		if len(sh) == 3 {
			ok = ok && sh[0] == set.Channels && sh[1] == set.Rows && sh[2] == set.Cols
		}
		if !ok {
			return fmt.Errorf("%w: %s has images of shape %v (%d values), the model's input is %v", ErrData, set.Name, set.Shape(), size, sh)
		}
	}
	if out := p.layers[len(p.layers)-1].out; set.Classes > out {
		return fmt.Errorf("%w: %s has %d classes, the model's readout has %d outputs", ErrData, set.Name, set.Classes, out)
	}
	if set.Test.N <= 0 || len(set.Test.Images) < set.Test.N*size || len(set.Test.Labels) < set.Test.N {
		return fmt.Errorf("%w: %s has an empty or truncated test split", ErrData, set.Name)
	}
	return nil
}

// chipCore is one mapped core.
type chipCore struct {
	index      int // into Mapping.Cores
	layer      int // index into chipProgram.layers
	start, end int // neuron range
	chip, x, y int
	// Routes out of this core, summed: hops per spike and the deliveries
	// within a tile; maxRouteLat is the longest route's latency.
	hopsEW, hopsNS, chipHops, local int64
	maxRouteLat                     float64
}

// chipLayer is one layer with neurons on the chip.
type chipLayer struct {
	*netLayer
	wT []int16 // In×Out integer weights (dense layers)
	// fan[b][i] is the number of synapses from input i to the neurons of
	// local core b (TrueNorth dense layers: the set crossbar bits; nil: all
	// of the core's neurons)
	fan [][]int32
	// cq is a conv layer's chip side (see convk.go).
	cq *chipConv
	// Sparse layers (see sparse.go): spw are the integer weights in the
	// order of sp; input i's synapses on local core segCore[q] end at
	// segEnd[q], for q in [segPtr[i], segPtr[i+1]) (each starts where the
	// previous one ends, the first at sp.ptr[i]); coreSyns counts the
	// synapses of each local core. spans is built from them.
	spw             []int16
	segPtr          []int32
	segCore, segEnd []int32
	coreSyns        []int64
	// spans is the per-core synapse layout a spike is delivered through
	// (sparse layers and TrueNorth dense layers, see spans.go; nil:
	// the dense row kernels).
	spans *spanLayout
	// split: the layer's neurons copy their inputs' spikes exactly (a
	// splitter, see splitter.go; nil: run its synapses and kernel).
	split *splitCopy
	// bias is Bias<<BiasExponent per neuron (per sample for a direct input
	// layer); bias32 is it clamped to ±2^25, which changes no 24-bit
	// potential (|decay(v)+u| ≤ 2^24), for the 32-bit vector kernel.
	bias   []int64
	bias32 []int32
	// cores are indices into chipProgram.cores, sorted by neuron range.
	cores []int
	// full: every core of the previous layer routes to every core of this
	// one; otherwise recv[c][a] tells whether local core c receives from
	// the previous layer's local core a, and srcCore maps a source neuron
	// to its local core index in the previous layer.
	full    bool
	recv    [][]bool
	srcCore []int32
	// rT is a recurrent layer's V as integer weights, Out×Out input-major
	// (rT[i·Out+j] = V[j][i]); selfFull and selfRecv are its receive
	// tables from its own cores, as full and recv (local core indices).
	// biasAxon are the weights of the layer's bias axon per neuron (in the
	// simulator's order), added to the synaptic input at every step
	// (ir.QuantLayer.BiasAxon; nil: the bias enters v as bias).
	biasAxon []int16
	rT       []int16
	selfFull bool
	selfRecv [][]bool
	selfCore []int32
	// hostInput: the first layer fed by the host (rate spikes); direct: the
	// first layer with a host-computed bias and no synaptic input.
	direct bool
	scaleQ float32 // Quantized.Layers[i].Scale (direct bias)
	// graded: the first layer of a direct-current input compiled with
	// graded input: every step each non-zero input sends a graded spike of
	// payload targets.GradedPayload(x_i, scale, payloadScale, payloadBits)
	// into the layer's on-chip synapses (see graded.go).
	graded       bool
	payloadBits  int
	payloadScale float32
	// gk is the kernel of a layer whose neurons send their spike count as
	// one graded spike (nil: binary spikes); gradedIn: the layer receives
	// such spikes from the previous layer (graded_hidden.go).
	gk       targets.GradedKernel
	gradedIn bool

	// kernel is the neuron update of the target's family (see
	// targets.Kernel).
	kernel targets.Kernel
}

// chipProgram is a compiled model lowered for the chip simulator.
type chipProgram struct {
	net     *netProgram
	target  *targets.Target
	layers  []chipLayer
	cores   []chipCore
	steps   int
	barrier float64
	tick    float64
	lat     targets.OpTable
	// routesOut[c] lists the cores core c sends to (one axon-out message
	// each per spike), in mapping order; tiles is the number of tiles the
	// mapping uses (over all chips).
	routesOut [][]int
	tiles     int
	// timing is the contention model (nil: simple timing).
	timing *timingProgram
}

// lowerChip checks a compiled model and lowers it for the chip simulator.
func lowerChip(m *ir.Model) (*chipProgram, error) {
	net, err := lowerFloat(m)
	if err != nil {
		return nil, err
	}
	q, mp := m.Quantized, m.Mapping
	if q == nil || mp == nil {
		return nil, modelErr("model is not compiled (no quantized network or no mapping)")
	}
	tgt, err := targets.Lookup(q.Target)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if mp.Target != "" && mp.Target != q.Target {
		return nil, modelErr("quantized for %q but mapped for %q", q.Target, mp.Target)
	}
	backend := tgt.Backend()
	if len(q.Layers) != len(m.Layers) {
		return nil, modelErr("quantized network has %d layers, the model %d", len(q.Layers), len(m.Layers))
	}
	bits := tgt.Bits.Potential
	if bits < 2 || bits > 32 {
		return nil, modelErr("target %s: potential width %d bits", tgt.Name, bits)
	}
	p := &chipProgram{net: net, target: tgt, lat: tgt.Latency, tick: tgt.TickSeconds}
	p.steps = net.T + len(net.layers) - 1
	layerOf := make(map[int]int)           // model layer → chip layer
	qw := make([][]int16, len(net.layers)) // conv layers' quantized weights
	for li := range net.layers {
		nl := &net.layers[li]
		ql := &q.Layers[nl.model]
		L := chipLayer{netLayer: nl}
		L.graded = li == 0 && net.enc == ir.EncodingDirect && ql.InputPayloadBits > 0
		L.direct = li == 0 && net.enc == ir.EncodingDirect && !L.graded
		if L.graded {
			if err := checkGraded(&L, ql); err != nil {
				return nil, err
			}
		}
		switch {
		case L.direct: // a direct-current first layer has no synapses on chip
		case nl.pool != nil:
			return nil, modelErr("layer %s: average pooling in front of a layer of a compiled model (the compiler folds it)", nl.name)
		case nl.ck != nil:
			if g := nl.ck.g; len(ql.Weights) != g.oc*(g.ic/g.groups)*g.kh*g.kw {
				return nil, modelErr("layer %s: quantized weights has %d values, want %d×%d×%d×%d", nl.name, len(ql.Weights), g.oc, g.ic/g.groups, g.kh, g.kw)
			}
			qw[li] = ql.Weights
		case nl.sp != nil:
			if len(ql.Weights) != len(nl.sp.src) {
				return nil, modelErr("layer %s: quantized weights has %d values, want one per synapse (%d)", nl.name, len(ql.Weights), len(nl.sp.src))
			}
			L.spw = make([]int16, len(nl.sp.src))
			for k, s := range nl.sp.src {
				L.spw[k] = ql.Weights[s]
			}
		default:
			if L.wT, err = transpose(&m.Layers[nl.model], ql.Weights, nl.name, "quantized weights"); err != nil {
				return nil, err
			}
			L.wT = permute(L.wT, nl.in, nl.out, nl.inPerm, nl.outPerm)
		}
		if nl.recurrent {
			if nl.outPerm != nil || nl.inPerm != nil && len(nl.inPerm) != nl.in {
				return nil, modelErr("layer %s: a recurrent layer with permuted neurons", nl.name)
			}
			if len(ql.Recurrent) != nl.out*nl.out {
				return nil, modelErr("layer %s: quantized recurrent weights has %d values, want %d×%d", nl.name, len(ql.Recurrent), nl.out, nl.out)
			}
			L.rT = make([]int16, nl.out*nl.out)
			for j := 0; j < nl.out; j++ {
				for i, w := range ql.Recurrent[j*nl.out : (j+1)*nl.out] {
					L.rT[i*nl.out+j] = w
				}
			}
		}
		b32, err := expandBias(&m.Layers[nl.model], ql.Bias, nl.name)
		if err != nil {
			return nil, err
		}
		b32 = permuteVec(b32, nl.outPerm)
		if ql.BiasExponent < 0 || ql.BiasExponent > 24 {
			return nil, modelErr("layer %s: bias exponent %d, want 0..24", nl.name, ql.BiasExponent)
		}
		L.bias = make([]int64, nl.out)
		if ql.BiasAxon() && !L.direct { // a direct layer's bias is the host's current
			L.biasAxon = make([]int16, nl.out)
			for j, b := range b32 {
				if b < math.MinInt16 || b > math.MaxInt16 {
					return nil, modelErr("layer %s: bias-axon weight %d is %d, beyond 16 bits", nl.name, j, b)
				}
				L.biasAxon[j] = int16(b)
			}
		} else {
			for j, b := range b32 {
				L.bias[j] = int64(b) << ql.BiasExponent
			}
		}
		L.bias32 = targets.ClampBias(make([]int32, nl.out), L.bias)
		L.scaleQ = ql.Scale
		if L.direct && (ql.Scale <= 0 || math.IsInf(float64(ql.Scale), 0) || math.IsNaN(float64(ql.Scale))) {
			return nil, modelErr("layer %s: quantized scale %v, want a positive number for the host's direct-current bias", nl.name, ql.Scale)
		}
		// the family's kernel: its neuron model's update in the form the
		// chip loop runs (bit-exact with the model's reference step)
		reset := uint8(255) // an unknown mode: refused by a model that resets
		switch ql.Reset {
		case ir.ResetZero:
			reset = 0
		case ir.ResetSubtract:
			reset = 1
		case ir.ResetNone:
			reset = 2
		case ir.ResetSubtractMulti:
			reset = 3
		}
		L.kernel, err = backend.Kernel(targets.KernelParams{DecayU: ql.DecayU, DecayV: ql.DecayV, WeightExponent: ql.WeightExponent,
			Threshold: ql.Threshold, NegThreshold: ql.NegThreshold, Leak: ql.Leak, Reset: reset, PotentialBits: uint8(bits),
			BiasFits32: !L.direct && biasFits32(L.bias)})
		if err != nil {
			return nil, modelErr("layer %s: %v", nl.name, err)
		}
		if L.gk, err = gradedKernel(&L, ql, tgt.Name); err != nil {
			return nil, err
		}
		if tgt.Core.AxonTypes > 0 {
			if err := checkAxonTypes(&m.Layers[nl.model], nl.name, ql); err != nil {
				return nil, err
			}
		}
		layerOf[nl.model] = li
		p.layers = append(p.layers, L)
	}
	if err := p.mapCores(mp, layerOf); err != nil {
		return nil, err
	}
	for li := range p.layers {
		if p.layers[li].sp != nil {
			if err := p.sparseCores(li); err != nil {
				return nil, err
			}
			if !p.layers[li].direct { // a direct layer has no synapses on chip
				p.layers[li].spans = p.sparseSpans(li)
				p.layers[li].split = p.splitterCopy(li)
			}
			continue
		}
		if p.layers[li].ck != nil {
			if err := p.convCores(li, qw[li]); err != nil {
				return nil, err
			}
			p.layers[li].spans = p.convSpans(li) // nil: convInput
			continue
		}
		if fan := p.crossbarFan(&p.layers[li]); fan != nil {
			p.layers[li].fan = fan
			p.layers[li].spans = p.crossbarSpans(li, fan)
		}
	}
	if err := p.checkGradedHidden(); err != nil { // graded_hidden.go
		return nil, err
	}
	return p, nil
}

// mapCores checks the mapping and builds the core and route tables.
func (p *chipProgram) mapCores(mp *ir.Mapping, layerOf map[int]int) error {
	tgt := p.target
	chips := max(1, mp.Chips)
	if len(mp.Cores) == 0 {
		return modelErr("mapping has no cores")
	}
	p.cores = make([]chipCore, len(mp.Cores))
	for ci := range mp.Cores {
		c := &mp.Cores[ci]
		li, ok := layerOf[c.Layer]
		if !ok {
			return modelErr("mapping: core %d holds layer %d, which is not a layer with neurons", ci, c.Layer)
		}
		L := &p.layers[li]
		if c.NeuronCount < 1 || c.NeuronStart < 0 || c.NeuronStart+c.NeuronCount > L.out {
			return modelErr("mapping: core %d holds neurons %d..%d of layer %s, which has %d", ci, c.NeuronStart, c.NeuronStart+c.NeuronCount-1, L.name, L.out)
		}
		if c.Chip < 0 || c.Chip >= chips {
			return modelErr("mapping: core %d is on chip %d, the mapping has %d", ci, c.Chip, chips)
		}
		if (mp.MeshWidth > 0 && (c.X < 0 || c.X >= mp.MeshWidth)) || (mp.MeshHeight > 0 && (c.Y < 0 || c.Y >= mp.MeshHeight)) || c.X < 0 || c.Y < 0 {
			return modelErr("mapping: core %d at (%d,%d) is outside the %d×%d mesh", ci, c.X, c.Y, mp.MeshWidth, mp.MeshHeight)
		}
		p.cores[ci] = chipCore{index: ci, layer: li, start: c.NeuronStart, end: c.NeuronStart + c.NeuronCount, chip: c.Chip, x: c.X, y: c.Y}
		L.cores = append(L.cores, ci)
	}
	// Coverage: each layer's cores tile [0, out) exactly.
	for li := range p.layers {
		L := &p.layers[li]
		sort.Slice(L.cores, func(a, b int) bool { return p.cores[L.cores[a]].start < p.cores[L.cores[b]].start })
		next := 0
		for _, ci := range L.cores {
			c := &p.cores[ci]
			if c.start > next {
				return modelErr("mapping: neurons %d..%d of layer %s are on no core", next, c.start-1, L.name)
			}
			if c.start < next {
				return modelErr("mapping: neurons %d..%d of layer %s are on more than one core (core %d overlaps)", c.start, min(next, c.end)-1, L.name, ci)
			}
			next = c.end
		}
		if next != L.out {
			return modelErr("mapping: neurons %d..%d of layer %s are on no core", next, L.out-1, L.name)
		}
	}
	// Routes.
	type pair struct{ a, b int }
	routed := make(map[pair]bool)
	p.routesOut = make([][]int, len(p.cores))
	for ri, r := range mp.Routes {
		if r.From < 0 || r.From >= len(p.cores) || r.To < 0 || r.To >= len(p.cores) {
			return modelErr("mapping: route %d goes from core %d to core %d, the mapping has %d cores", ri, r.From, r.To, len(p.cores))
		}
		a, b := &p.cores[r.From], &p.cores[r.To]
		self := b.layer == a.layer && p.layers[a.layer].recurrent
		if b.layer != a.layer+1 && !self {
			return modelErr("mapping: route %d goes from core %d (layer %s) to core %d (layer %s), not the next layer (nor its own recurrent layer)", ri, r.From, p.layers[a.layer].name, r.To, p.layers[b.layer].name)
		}
		if p.layers[a.layer].readout && !(self && p.layers[a.layer].spiking) {
			return modelErr("mapping: route %d leaves core %d of the readout layer", ri, r.From)
		}
		if routed[pair{r.From, r.To}] {
			continue
		}
		routed[pair{r.From, r.To}] = true
		p.routesOut[r.From] = append(p.routesOut[r.From], r.To)
		ew, ns, ch := tgt.CoreHops(a.chip, a.x, a.y, b.chip, b.x, b.y)
		ch *= max(tgt.Chip.ChipHops, 0)
		if r.Hops != ew+ns+ch {
			return modelErr("mapping: route %d from core %d to core %d says %d hops, but the cores are %d hops apart", ri, r.From, r.To, r.Hops, ew+ns+ch)
		}
		a.hopsEW += int64(ew)
		a.hopsNS += int64(ns)
		a.chipHops += int64(ch)
		if ew == 0 && ns == 0 && ch == 0 {
			a.local++
		}
		lat := float64(ew)*p.lat.HopEW + float64(ns)*p.lat.HopNS + float64(ch)*p.lat.ChipHop
		a.maxRouteLat = max(a.maxRouteLat, lat)
	}
	// Receive tables and missing routes: a recurrent layer from itself,
	// every layer from the previous one.
	isRouted := func(a, b int) bool { return routed[pair{a, b}] }
	for li := range p.layers {
		L := &p.layers[li]
		if L.rT == nil {
			continue
		}
		L.selfRecv, L.selfFull, L.selfCore = p.receiveTables(L, L, isRouted)
		if err := p.missingRoute(L, L, L.selfRecv, L.rT, "recurrent "); err != nil {
			return err
		}
	}
	for li := 1; li < len(p.layers); li++ {
		L, P := &p.layers[li], &p.layers[li-1]
		L.recv, L.full, L.srcCore = p.receiveTables(P, L, isRouted)
		if L.sp == nil && L.ck == nil { // checked by sparseCores, convCores
			if err := p.missingRoute(P, L, L.recv, L.wT, ""); err != nil {
				return err
			}
		}
	}
	// Barrier: interpolate by tiles used; several chips take the maximum.
	tw, th := max(1, tgt.Chip.TileWidth), max(1, tgt.Chip.TileHeight)
	type tile struct{ chip, x, y int }
	tiles := make(map[tile]bool)
	chipSet := make(map[int]bool)
	for _, c := range p.cores {
		tiles[tile{c.chip, c.x / tw, c.y / th}] = true
		chipSet[c.chip] = true
	}
	p.tiles = len(tiles)
	chipTiles := ((max(1, tgt.Chip.MeshWidth) + tw - 1) / tw) * ((max(1, tgt.Chip.MeshHeight) + th - 1) / th)
	switch {
	case len(chipSet) > 1 || chipTiles <= 1:
		p.barrier = p.lat.BarrierMax
	default:
		f := float64(len(tiles)-1) / float64(chipTiles-1)
		p.barrier = p.lat.BarrierMin + min(1, f)*(p.lat.BarrierMax-p.lat.BarrierMin)
	}
	return nil
}

// receiveTables returns recv[b][a], whether local core b of layer L
// receives from local core a of layer P (routed(a, b) for core indices),
// whether all of them do, and the local core of each neuron of P.
func (p *chipProgram) receiveTables(P, L *chipLayer, routed func(a, b int) bool) (recv [][]bool, full bool, srcCore []int32) {
	full = true
	recv = make([][]bool, len(L.cores))
	for bi, b := range L.cores {
		recv[bi] = make([]bool, len(P.cores))
		for ai, a := range P.cores {
			recv[bi][ai] = routed(a, b)
			full = full && recv[bi][ai]
		}
	}
	srcCore = make([]int32, P.out)
	for ai, a := range P.cores {
		for i := p.cores[a].start; i < p.cores[a].end; i++ {
			srcCore[i] = int32(ai)
		}
	}
	return recv, full, srcCore
}

// missingRoute reports a pair of cores (P's core a, L's core b) without a
// route between them whose neurons have a non-zero weight in wT (In×Out,
// P's neurons to L's).
func (p *chipProgram) missingRoute(P, L *chipLayer, recv [][]bool, wT []int16, kind string) error {
	for bi, b := range L.cores {
		for ai, a := range P.cores {
			if recv[bi][ai] {
				continue
			}
			if i, j, ok := nonZeroBlock(wT, L.out, p.cores[a].start, p.cores[a].end, p.cores[b].start, p.cores[b].end); ok {
				return modelErr("mapping: no route from core %d (layer %s) to core %d (%slayer %s), but neuron %d has a synapse from neuron %d", a, P.name, b, kind, L.name, j, i)
			}
		}
	}
	return nil
}

// nonZeroBlock finds a non-zero weight from inputs [i0,i1) to outputs [j0,j1).
func nonZeroBlock(wT []int16, out, i0, i1, j0, j1 int) (int, int, bool) {
	for i := i0; i < i1; i++ {
		row := wT[i*out+j0 : i*out+j1]
		for k, w := range row {
			if w != 0 {
				return i, j0 + k, true
			}
		}
	}
	return 0, 0, false
}

// checkAxonTypes checks that a TrueNorth layer's effective weights are what
// its crossbar can hold: w_ij = TypeWeights[4j+AxonTypes[i]] for every
// synapse with w_ij ≠ 0 (a layer without axon types is not checked).
func checkAxonTypes(l *ir.Layer, name string, ql *ir.QuantLayer) error {
	if len(ql.AxonTypes) == 0 && len(ql.TypeWeights) == 0 {
		return nil
	}
	in, out := l.NumInputs(), l.NumOutputs()
	nw, err := weightCount(l, name)
	if err != nil {
		return err
	}
	if len(ql.AxonTypes) != in || len(ql.TypeWeights) != 4*out || len(ql.Weights) != nw {
		return modelErr("layer %s: %d axon types, %d type weights and %d weights, want %d, 4×%d and %d", name, len(ql.AxonTypes), len(ql.TypeWeights), len(ql.Weights), in, out, nw)
	}
	var bad error
	ir.EachSynapse(l, func(i, j, k int) {
		w := ql.Weights[k]
		if bad != nil || w == 0 {
			return
		}
		g := ql.AxonTypes[i]
		if g > 3 {
			bad = modelErr("layer %s: input %d has axon type %d, want 0..3", name, i, g)
		} else if tw := ql.TypeWeights[4*j+int(g)]; tw != w {
			bad = modelErr("layer %s: weight from input %d to neuron %d is %d, but the neuron's weight for axon type %d is %d", name, i, j, w, g, tw)
		}
	})
	return bad
}

// weightCount is the number of weights of a checked layer with synapses
// (dense In·Out, conv OutC·(InC/Groups)·KH·KW, sparse one per synapse).
func weightCount(l *ir.Layer, name string) (int, error) {
	switch l.Kind {
	case ir.KindDense, ir.KindRecurrentDense:
		return l.NumInputs() * l.NumOutputs(), nil
	case ir.KindConv2D:
		g, err := convGeom(l, name)
		if err != nil {
			return 0, err
		}
		return g.oc * (g.ic / g.groups) * g.kh * g.kw, nil
	case ir.KindSparse:
		return len(l.Cols), nil
	}
	return 0, modelErr("layer %s: kind %d has no weights", name, l.Kind)
}

// biasFits32 reports whether targets.ClampBias changes none of the biases b.
func biasFits32(b []int64) bool {
	for _, x := range b {
		if x < -1<<25 || x > 1<<25 {
			return false
		}
	}
	return true
}
