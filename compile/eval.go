package compile

import (
	"fmt"
	"slices"
	"sync"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Integer evaluates a quantized model with the integer semantics of the
// package documentation (Loihi: targets.LoihiStep; TrueNorth:
// targets.TrueNorthStep with the bias added to the input), one sample at a
// time, temporal models too (temporal.go: a recurrent layer adds V·s[t−1]
// to the step's input, the max-potential readout keeps max_t v). It is the
// reference the simulator is checked against; it is simple, not fast.
type Integer struct {
	m      *ir.Model
	t      *targets.Target
	layers []intLayer
	inputs int
}

type intLayer struct {
	index   int
	in, out int
	wT      []int16 // dense: in×out, the synapses of input i are wT[i*out:(i+1)*out]
	// rT is a recurrent layer's V, out×out input-major: the synapses from
	// the layer's neuron i are rT[i*out:(i+1)*out] (nil otherwise)
	rT []int16
	// biasAxon are the weights of the bias axon (ir.QuantLayer.BiasAxon),
	// added to every step's input (nil: the bias enters v as bias)
	biasAxon []int64
	// conv and sparse: the synapses of input i are k in [adj[i], adj[i+1])
	// to neuron adjOut[k] with weight adjW[k]
	adj, adjOut []int32
	adjW        []int16
	// kernel holds the layer's parameters; its Reference is the family's
	// reference step
	kernel targets.Kernel
	// gk: the layer sends its spike counts as graded spikes
	// (graded_hidden.go); cnt[j] is neuron j's count of the last step
	gk   targets.GradedKernel
	cnt  []int32
	bias []int64
	host bool // direct-current first layer: bias from DirectBias
	// graded: a direct-current first layer whose input arrives as graded
	// spikes, payload[i] = targets.GradedPayload(x_i, …) every step
	graded       bool
	payloadBits  int
	payloadScale float32
	payload      []int64
	spiking      bool
	// maxPot: the max-potential readout, acc_j = max over steps of v_j
	maxPot   bool
	u, v     []int32
	s        []bool
	spikes   int64
	paySum   int64 // Σ of the graded spikes' payloads (gk layers)
	counts   []int64
	inputAcc []int64
	acc      []int64 // readout accumulators
	// delay is the synaptic delay of the layer's input (ir.Layer.Delay);
	// hist[t] are the layer's spikes of step t (read by a delayed next
	// layer)
	delay int
	hist  [][]bool
}

// NewInteger prepares the evaluation of m, which must hold a quantized
// section.
func NewInteger(m *ir.Model) (*Integer, error) {
	if m.Quantized == nil {
		return nil, fmt.Errorf("compile: model is not quantized")
	}
	t, err := lookupTarget(m.Quantized.Target)
	if err != nil {
		return nil, err
	}
	backend := t.Backend()
	e := &Integer{m: m, t: t}
	first := true
	for li := range m.Layers {
		l := &m.Layers[li]
		if !l.HasNeurons() {
			continue
		}
		if l.Kind != ir.KindDense && l.Kind != ir.KindConv2D && l.Kind != ir.KindSparse && l.Kind != ir.KindRecurrentDense {
			return nil, fmt.Errorf("compile: layer %d (%s): %s layers are not supported", li, l.Name, l.Kind)
		}
		ql := &m.Quantized.Layers[li]
		in, out := l.NumInputs(), l.NumOutputs()
		kernel, err := backend.Kernel(targets.KernelParams{DecayU: ql.DecayU, DecayV: ql.DecayV, WeightExponent: ql.WeightExponent,
			Threshold: ql.Threshold, NegThreshold: ql.NegThreshold, Leak: ql.Leak, Reset: uint8(ql.Reset), PotentialBits: uint8(t.Bits.Potential)})
		if err != nil {
			return nil, fmt.Errorf("compile: layer %d (%s): %w", li, l.Name, err)
		}
		il := intLayer{index: li, in: in, out: out, spiking: true, kernel: kernel, delay: int(l.Delay),
			u: make([]int32, out), v: make([]int32, out), s: make([]bool, out), counts: make([]int64, out), inputAcc: make([]int64, out), acc: make([]int64, out)}
		if first {
			e.inputs = in
			il.graded = m.Input.Encoding == ir.EncodingDirect && ql.InputPayloadBits > 0
			il.host = m.Input.Encoding == ir.EncodingDirect && !il.graded
			il.payloadBits, il.payloadScale = int(ql.InputPayloadBits), ql.InputPayloadScale
			il.payload = make([]int64, in)
			first = false
		}
		if li == len(m.Layers)-1 && m.Readout.Kind != ir.ReadoutSpikeCount {
			il.spiking = false
			il.maxPot = m.Readout.Kind == ir.ReadoutMaxPotential
		}
		if il.spiking && ql.Reset == ir.ResetSubtractMulti {
			gk, ok := kernel.(targets.GradedKernel)
			switch {
			case !ok:
				return nil, fmt.Errorf("compile: layer %d (%s): several spikes per step, but %s's neurons send binary spikes", li, l.Name, t.Name)
			case l.Kind == ir.KindRecurrentDense:
				return nil, fmt.Errorf("compile: layer %d (%s): a recurrent layer that sends graded spikes to itself", li, l.Name)
			}
			il.gk, il.cnt = gk, make([]int32, out)
		}
		if n := len(e.layers); n > 0 && e.layers[n-1].gk != nil && (il.delay > 0 || l.Kind != ir.KindDense) {
			return nil, fmt.Errorf("compile: layer %d (%s): graded spikes from the layer before reach only a dense layer without a synaptic delay", li, l.Name)
		}
		if !il.host {
			if len(ql.Weights) != len(l.Weights) {
				return nil, fmt.Errorf("compile: layer %d: %d quantized weights, want %d", li, len(ql.Weights), len(l.Weights))
			}
			if l.Kind == ir.KindDense || l.Kind == ir.KindRecurrentDense {
				il.wT = make([]int16, in*out)
				for j := 0; j < out; j++ {
					for i := 0; i < in; i++ {
						il.wT[i*out+j] = ql.Weights[j*in+i]
					}
				}
				if l.Kind == ir.KindRecurrentDense {
					if len(ql.Recurrent) != out*out {
						return nil, fmt.Errorf("compile: layer %d: %d quantized recurrent weights, want %d", li, len(ql.Recurrent), out*out)
					}
					il.rT = make([]int16, out*out)
					for j := 0; j < out; j++ {
						for i := 0; i < out; i++ {
							il.rT[i*out+j] = ql.Recurrent[j*out+i]
						}
					}
				}
			} else {
				// conv and sparse: the non-zero synapses of each input
				il.adj = make([]int32, in+1)
				ir.EachSynapse(l, func(i, _, w int) {
					if ql.Weights[w] != 0 {
						il.adj[i+1]++
					}
				})
				for i := 0; i < in; i++ {
					il.adj[i+1] += il.adj[i]
				}
				il.adjOut = make([]int32, il.adj[in])
				il.adjW = make([]int16, il.adj[in])
				fill := slices.Clone(il.adj[:in])
				ir.EachSynapse(l, func(i, j, w int) {
					if x := ql.Weights[w]; x != 0 {
						il.adjOut[fill[i]], il.adjW[fill[i]] = int32(j), x
						fill[i]++
					}
				})
			}
			il.bias = make([]int64, out)
			if ql.BiasAxon() { // (the host layer's bias is the host's current: not here)
				// weights of an input axon that spikes every step
				il.biasAxon = make([]int64, out)
				for j := range il.biasAxon {
					il.biasAxon[j] = int64(neuronBias(l, ql.Bias, j))
				}
			} else if len(ql.Bias) > 0 {
				for j := range il.bias {
					il.bias[j] = int64(neuronBias(l, ql.Bias, j)) << ql.BiasExponent
				}
			}
		}
		il.hist = make([][]bool, m.Timesteps)
		for t := range il.hist {
			il.hist[t] = make([]bool, out)
		}
		e.layers = append(e.layers, il)
	}
	if len(e.layers) == 0 {
		return nil, fmt.Errorf("compile: model has no layer with neurons")
	}
	return e, nil
}

// IntegerResult is the outcome of one sample.
type IntegerResult struct {
	// Pred is the predicted class (argmax of Out, first index on ties).
	Pred int
	// Out is the readout: the accumulators of the readout layer after T
	// steps (ReadoutMeanCurrent), its spike counts (ReadoutSpikeCount) or
	// the largest v of each readout compartment over the T steps
	// (ReadoutMaxPotential).
	Out []int64
	// Spikes counts the spikes of each layer with neurons, in order (a
	// graded spike counts once); GradedPayload sums the payloads of each
	// layer's graded spikes (0 for a layer of binary spikes).
	Spikes        []int64
	GradedPayload []int64
}

// Run evaluates one sample. For a direct-current input x is the sample
// (len = input size); for rate and event inputs x holds the input spike
// trains, T×N row-major (x[t*N+i] ≠ 0 is a spike of input i at step t).
func (e *Integer) Run(x []float32) (*IntegerResult, error) {
	m := e.m
	T := m.Timesteps
	for k := range e.layers {
		l := &e.layers[k]
		clear(l.u)
		clear(l.v)
		clear(l.s)
		clear(l.counts)
		clear(l.acc)
		l.spikes, l.paySum = 0, 0
		if l.host {
			if l.bias == nil {
				l.bias = make([]int64, l.out)
			}
			if err := DirectBias(l.bias, m, x); err != nil {
				return nil, err
			}
		}
	}
	l0 := &e.layers[0]
	switch {
	case l0.graded:
		if len(x) != e.inputs {
			return nil, fmt.Errorf("compile: input has %d values, want %d", len(x), e.inputs)
		}
		xs := m.Input.Scale
		if xs == 0 {
			xs = 1
		}
		for i := range l0.payload {
			l0.payload[i] = int64(targets.GradedPayload(x[i], xs, l0.payloadScale, l0.payloadBits))
		}
	case !l0.host && len(x) != T*e.inputs:
		return nil, fmt.Errorf("compile: input has %d values, want T×N = %d", len(x), T*e.inputs)
	}
	input := make([]bool, e.inputs)
	for t := 0; t < T; t++ {
		if l0.graded {
			for i, p := range l0.payload {
				input[i] = p != 0
			}
		} else if !l0.host {
			for i := range input {
				input[i] = x[t*e.inputs+i] != 0
			}
		}
		in := input
		var inCnt []int32 // the payloads of in (nil: binary spikes)
		for k := range e.layers {
			l := &e.layers[k]
			if k > 0 && l.delay > 0 { // the previous layer's spikes of step t − delay
				in = make([]bool, l.in)
				if t >= l.delay {
					in = e.layers[k-1].hist[t-l.delay]
				}
			}
			acc := l.inputAcc
			clear(acc)
			if !l.host {
				for i, s := range in {
					p := int64(1) // a binary spike; graded: its payload
					if l.graded {
						p = l.payload[i]
					} else if inCnt != nil {
						p = int64(inCnt[i])
					}
					switch {
					case !s:
					case l.adj != nil:
						for k := l.adj[i]; k < l.adj[i+1]; k++ {
							acc[l.adjOut[k]] += int64(l.adjW[k]) * p
						}
					default:
						row := l.wT[i*l.out : (i+1)*l.out]
						for j, w := range row {
							acc[j] += int64(w) * p
						}
					}
				}
			}
			for j, b := range l.biasAxon {
				acc[j] += b
			}
			if l.rT != nil {
				// V·s[t−1]: l.s still holds the layer's previous step
				for i, sp := range l.s {
					if sp {
						for j, w := range l.rT[i*l.out : (i+1)*l.out] {
							acc[j] += int64(w)
						}
					}
				}
			}
			if l.maxPot {
				// max-potential readout: a non-spiking compartment (the
				// largest threshold) whose v is read every step
				for j := 0; j < l.out; j++ {
					l.kernel.Reference(&l.u[j], &l.v[j], acc[j], l.bias[j])
					if t == 0 || int64(l.v[j]) > l.acc[j] {
						l.acc[j] = int64(l.v[j])
					}
				}
				continue
			}
			if !l.spiking {
				// non-spiking readout: acc += ReadoutInput(input) + bias,
				// in int64 (on chip: v with DecayV = 0 and the largest
				// threshold; the quantizer keeps it from clipping or firing)
				for j := 0; j < l.out; j++ {
					l.acc[j] += l.kernel.ReadoutInput(acc[j]) + l.bias[j]
				}
				continue
			}
			for j := 0; j < l.out; j++ {
				c := int32(0)
				if l.gk != nil { // a graded spike with payload c (graded_hidden.go)
					c = l.gk.ReferenceCount(&l.u[j], &l.v[j], acc[j], l.bias[j])
					l.cnt[j] = c
					l.paySum += int64(c)
				} else if l.kernel.Reference(&l.u[j], &l.v[j], acc[j], l.bias[j]) {
					c = 1
				}
				l.s[j] = c > 0
				if l.s[j] {
					l.counts[j] += int64(c)
					l.spikes++
				}
			}
			copy(l.hist[t], l.s)
			in, inCnt = l.s, l.cnt
		}
	}
	last := &e.layers[len(e.layers)-1]
	r := &IntegerResult{Out: make([]int64, last.out)}
	for j := range r.Out {
		if last.spiking {
			r.Out[j] = last.counts[j]
		} else {
			r.Out[j] = last.acc[j]
		}
		if r.Out[j] > r.Out[r.Pred] {
			r.Pred = j
		}
	}
	for k := range e.layers {
		r.Spikes = append(r.Spikes, e.layers[k].spikes)
		r.GradedPayload = append(r.GradedPayload, e.layers[k].paySum)
	}
	return r, nil
}

// EvalInteger evaluates one sample of the quantized model m (see
// Integer.Run) and returns the prediction and the readout values.
func EvalInteger(m *ir.Model, x []float32) (pred int, out []int64, err error) {
	e, err := NewInteger(m)
	if err != nil {
		return 0, nil, err
	}
	r, err := e.Run(x)
	if err != nil {
		return 0, nil, err
	}
	return r.Pred, r.Out, nil
}

// DirectBias computes the host-side bias of a direct-current first layer
// for sample x into dst (one per neuron of the first layer with neurons),
// exactly as the simulator does:
//
//	c_j = Σ_i float32(W_ji·(x_i·s)) + b_j     float32, i increasing, then + b_j
//	dst_j = targets.HostBias(c_j, float64(Scale))   round half away from zero, clamped to ±2^40
//
// with s = Input.Scale (0 counts as 1) and Scale the layer's QuantLayer.Scale.
// Each product is rounded to float32 explicitly, so no fused multiply-add
// changes the result on any platform.
func DirectBias(dst []int64, m *ir.Model, x []float32) error {
	if m.Quantized == nil {
		return fmt.Errorf("compile: model is not quantized")
	}
	li := -1
	for i := range m.Layers {
		if m.Layers[i].HasNeurons() {
			li = i
			break
		}
	}
	if li < 0 {
		return fmt.Errorf("compile: model has no layer with neurons")
	}
	l := &m.Layers[li]
	in, out := l.NumInputs(), l.NumOutputs()
	if len(x) != in || len(dst) != out {
		return fmt.Errorf("compile: direct bias: input has %d values and dst %d, want %d and %d", len(x), len(dst), in, out)
	}
	xs := m.Input.Scale
	if xs == 0 {
		xs = 1
	}
	scale := float64(m.Quantized.Layers[li].Scale)
	if l.Kind == ir.KindConv2D {
		// the receptive field in increasing input order, as the dense sum
		// over all inputs (the others add zeros)
		c := make([]float32, out)
		convTaps(l, func(i, j, w int) {
			xi := x[i] * xs
			c[j] += float32(l.Weights[w] * xi)
		})
		per := out / l.OutShape[0]
		for j := range c {
			if len(l.Bias) == l.OutShape[0] {
				c[j] += l.Bias[j/per]
			}
			dst[j] = targets.HostBias(c[j], scale)
		}
		return nil
	}
	for j := 0; j < out; j++ {
		var c float32
		for i, w := range l.Weights[j*in : (j+1)*in] {
			xi := x[i] * xs
			c += float32(w * xi)
		}
		if len(l.Bias) == out {
			c += l.Bias[j]
		}
		dst[j] = targets.HostBias(c, scale)
	}
	return nil
}

var targetCache sync.Map // name → *targets.Target

func lookupTarget(name string) (*targets.Target, error) {
	if t, ok := targetCache.Load(name); ok {
		return t.(*targets.Target), nil
	}
	t, err := targets.Lookup(name)
	if err != nil {
		return nil, err
	}
	targetCache.Store(name, t)
	return t, nil
}
