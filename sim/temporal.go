package sim

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// The float reference of temporal models: current-based LIF neurons
// (ir.LIF.CurrentDecay ≠ 0), recurrent dense layers, event input (T steps of
// input spikes per sample) and the max-potential readout. Per layer with
// neurons and step t (as ir.Model's doc):
//
//	c[t] = β_c·c[t−1] + W·s_in[t] + V·s[t−1] + b
//	u[t] = γ·u[t−1]·(1 − s[t−1]) + c[t]   (zero)   or   γ·(u[t−1] − ϑ·s[t−1]) + c[t]   (subtract)
//	s[t] = u[t] ≥ ϑ   (subtract-multi: s[t] = min(⌊u[t]/ϑ⌋, 31) spikes where u[t] ≥ ϑ, each
//	                   reaching the next layer and the recurrence with its weight)
//
// The readout is Σ_t of the readout layer's input current W·s_in[t] + b
// (mean current), its spike count, or max_t u[t] with u[t] = γ·u[t−1] + c[t]
// (max potential). Dense, recurrent dense and flatten layers are supported;
// it is also the float reference of these models compiled for a chip.

// IsTemporal reports whether m needs the temporal float reference: event
// input, a recurrent layer, a current decay, the max-potential readout or
// neurons that fire several spikes per step (ir.ResetSubtractMulti).
func IsTemporal(m *ir.Model) bool {
	if m == nil {
		return false
	}
	if m.Input.Encoding == ir.EncodingEvents || m.Readout.Kind == ir.ReadoutMaxPotential {
		return true
	}
	for i := range m.Layers {
		if l := &m.Layers[i]; l.Kind == ir.KindRecurrentDense || l.Neuron.CurrentDecay != 0 || l.HasNeurons() && l.Neuron.Reset == ir.ResetSubtractMulti {
			return true
		}
	}
	return false
}

// needsTemporalReference reports whether m's float reference is the
// temporal one: a temporal model (IsTemporal) of dense, recurrent dense and
// flatten layers, whose per-step currents it sums in the trainer's order.
// Temporal models with conv (or sparse, or pooling) layers run in the
// general float reference (floatWorker), which takes event input, current
// decays, recurrent layers and the max-potential readout too, and computes
// the same (the tests compare the two on exact networks).
func needsTemporalReference(m *ir.Model) bool {
	if !IsTemporal(m) {
		return false
	}
	for i := range m.Layers {
		switch m.Layers[i].Kind {
		case ir.KindDense, ir.KindRecurrentDense, ir.KindFlatten:
		default:
			return false
		}
	}
	return true
}

// refWorker is a float reference run beside the chip (Options.Reference).
type refWorker interface {
	// run returns the float prediction of sample i with input x (cur: the
	// chip's direct current of the first layer, if any).
	run(i int, x []uint8, cur []float32) int
}

func (w *floatWorker) run(i int, x []uint8, cur []float32) int  { return w.runSample(i, x, cur) }
func (w *temporalWorker) run(_ int, x []uint8, _ []float32) int { return w.runSample(x) }

// newRefWorker is the float reference of a chip run: the temporal one when
// tp is set, else the float program's.
func newRefWorker(net *netProgram, tp *temporalProgram) refWorker {
	if tp != nil {
		return newTemporalWorker(tp)
	}
	w := newFloatWorker(net)
	w.uncounted = true // Run reports the chip's counts
	return w
}

// temporalLayer is one dense or recurrent layer of a temporal program.
type temporalLayer struct {
	model   int
	in, out int
	// w is In×Out (w[i·Out+o] = W[o][i]) and v Out×Out input-major
	// (v[j·Out+o] = V[o][j], nil without recurrence): a spike adds a row.
	w, v, b             []float32
	leak, thr, decay    float32
	reset               ir.ResetMode
	spiking, maxReadout bool
	// multi: ir.ResetSubtractMulti, several spikes per step (fired holds
	// the count).
	multi bool
	// delay is the synaptic delay of the layer's input (delay.go).
	delay int
}

// temporalProgram is a temporal model lowered for the float reference.
type temporalProgram struct {
	m      *ir.Model
	T      int
	inSize int
	scale  float32
	events bool
	layers []temporalLayer
}

func lowerTemporal(m *ir.Model) (*temporalProgram, error) {
	if err := ir.Verify(m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	if m.Input.Encoding == ir.EncodingRate {
		return nil, modelErr("a temporal model with rate-encoded input is not supported (direct or events)")
	}
	p := &temporalProgram{m: m, T: m.Timesteps, inSize: ir.ShapeSize(m.Input.Shape), scale: m.Input.Scale,
		events: m.Input.Encoding == ir.EncodingEvents}
	if p.scale == 0 {
		p.scale = 1
	}
	last := len(m.Layers) - 1
	for i := range m.Layers {
		l := &m.Layers[i]
		switch l.Kind {
		case ir.KindFlatten:
			continue
		case ir.KindDense, ir.KindRecurrentDense:
		default:
			return nil, modelErr("layer %s: %v layers in a temporal model are not supported by the float reference (dense, recurrent dense, flatten)", layerName(m, i), l.Kind)
		}
		in, out := l.NumInputs(), l.NumOutputs()
		tl := temporalLayer{model: i, in: in, out: out, w: make([]float32, in*out), b: l.Bias,
			leak: l.Neuron.Leak, thr: l.Neuron.Threshold, decay: l.Neuron.CurrentDecay, reset: l.Neuron.Reset,
			delay:      int(l.Delay),
			spiking:    i < last || m.Readout.Kind == ir.ReadoutSpikeCount,
			maxReadout: i == last && m.Readout.Kind == ir.ReadoutMaxPotential, multi: l.Neuron.Reset == ir.ResetSubtractMulti}
		for o := 0; o < out; o++ {
			for k := 0; k < in; k++ {
				tl.w[k*out+o] = l.Weights[o*in+k]
			}
		}
		if l.Kind == ir.KindRecurrentDense {
			tl.v = make([]float32, out*out)
			for o := 0; o < out; o++ {
				for j := 0; j < out; j++ {
					tl.v[j*out+o] = l.Recurrent[o*out+j]
				}
			}
		}
		p.layers = append(p.layers, tl)
	}
	if len(p.layers) == 0 || p.layers[len(p.layers)-1].model != last {
		return nil, modelErr("the last layer must be a dense readout layer")
	}
	return p, nil
}

// temporalWorker runs one sample at a time; its buffers are allocated once.
type temporalWorker struct {
	p         *temporalProgram
	c, cin, u [][]float32
	fired     [][]float32
	spk       [][]int32
	inSpk     []int32
	acc       []float64
	perLayer  []Counts
	perStep   []Counts
	// per layer with a delay: the delay lines of its input's spikes and of
	// their counts (nil: none)
	delay      []*spikeRing
	delayCount []*countRing
}

func newTemporalWorker(p *temporalProgram) *temporalWorker {
	n := len(p.layers)
	w := &temporalWorker{p: p, c: make([][]float32, n), cin: make([][]float32, n), u: make([][]float32, n),
		fired: make([][]float32, n), spk: make([][]int32, n), inSpk: make([]int32, 0, p.inSize),
		acc:      make([]float64, p.layers[n-1].out),
		perLayer: make([]Counts, len(p.m.Layers)), perStep: make([]Counts, p.T)}
	for i, l := range p.layers {
		w.c[i], w.cin[i], w.u[i], w.fired[i] = make([]float32, l.out), make([]float32, l.out), make([]float32, l.out), make([]float32, l.out)
		w.spk[i] = make([]int32, 0, l.out)
	}
	w.delay, w.delayCount = make([]*spikeRing, n), make([]*countRing, n)
	for i := 1; i < n; i++ {
		w.delay[i] = newSpikeRing(p.layers[i].delay, p.layers[i-1].out)
		w.delayCount[i] = newCountRing(p.layers[i].delay, p.layers[i-1].out)
	}
	return w
}

// runSample returns the prediction for sample x (T·inSize spike bytes for
// event input, else inSize raw values).
func (w *temporalWorker) runSample(x []uint8) int {
	p := w.p
	for i := range p.layers {
		clear(w.c[i])
		clear(w.u[i])
		clear(w.fired[i])
		w.spk[i] = w.spk[i][:0]
		if w.delay[i] != nil {
			w.delay[i].reset()
			w.delayCount[i].reset()
		}
	}
	clear(w.acc)
	if !p.events {
		w.perLayer[p.layers[0].model].HostMACs += int64(p.layers[0].in) * int64(p.layers[0].out)
	}
	for t := 0; t < p.T; t++ {
		for li := range p.layers {
			L := &p.layers[li]
			cin := w.cin[li]
			copy(cin, L.b)
			var in []int32
			var prevFired []float32 // spike counts of a multi-spike layer
			if li > 0 && p.layers[li-1].multi {
				prevFired = w.fired[li-1]
			}
			switch {
			case li > 0 && w.delay[li] != nil: // the spikes of step t − delay
				in = w.delay[li].shift(t, w.spk[li-1])
				if prevFired != nil {
					prevFired = w.delayCount[li].shift(t, prevFired)
				}
			case li > 0:
				in = w.spk[li-1]
			case p.events:
				w.inSpk = w.inSpk[:0]
				for k, v := range x[t*p.inSize : (t+1)*p.inSize] {
					if v != 0 {
						w.inSpk = append(w.inSpk, int32(k))
					}
				}
				in = w.inSpk
			}
			if li == 0 && !p.events {
				// direct input: b + Σ_k (x_k·scale)·W[·][k], in the
				// trainer's order so that the currents are the same floats
				for k, v := range x[:p.inSize] {
					if v != 0 {
						axpyF(float32(v)*p.scale, L.w[k*L.out:(k+1)*L.out], cin)
					}
				}
			}
			for _, k := range in {
				if prevFired != nil && prevFired[k] != 1 {
					axpyF(prevFired[k], L.w[int(k)*L.out:int(k+1)*L.out], cin)
					continue
				}
				addF(L.w[int(k)*L.out:int(k+1)*L.out], cin)
			}
			cc := Counts{SynapticOps: int64(len(in)) * int64(L.out)}
			c := w.c[li]
			for j, x := range cin {
				c[j] = float32(L.decay*c[j]) + x
			}
			if L.v != nil {
				for _, j := range w.spk[li] { // the previous step's spikes
					if n := w.fired[li][j]; n != 1 {
						axpyF(n, L.v[int(j)*L.out:int(j+1)*L.out], c)
						continue
					}
					addF(L.v[int(j)*L.out:int(j+1)*L.out], c)
				}
				cc.SynapticOps += int64(len(w.spk[li])) * int64(L.out)
			}
			switch {
			case L.maxReadout:
				for j, x := range c {
					u := float32(L.leak*w.u[li][j]) + x
					w.u[li][j] = u
					if t == 0 || float64(u) > w.acc[j] {
						w.acc[j] = float64(u)
					}
				}
			case !L.spiking: // mean current
				for j, x := range cin {
					w.acc[j] += float64(x)
				}
			default:
				spk := w.spk[li][:cap(w.spk[li])]
				n := 0
				u, fired := w.u[li], w.fired[li]
				var count int64
				for j, x := range c {
					var uu float32
					if L.reset == ir.ResetSubtract || L.multi {
						uu = float32(L.leak*float32(u[j]-float32(L.thr*fired[j]))) + x
					} else {
						uu = float32(float32(L.leak*u[j])*(1-fired[j])) + x
					}
					f := float32(0)
					if uu >= L.thr {
						f = 1
						if L.multi {
							f = multiSpikes(uu, L.thr)
						}
						spk[n] = int32(j)
						n++
						count += int64(f)
					}
					u[j], fired[j] = uu, f
				}
				w.spk[li] = spk[:n]
				cc.Spikes = count
				if li == len(p.layers)-1 {
					for _, j := range w.spk[li] {
						w.acc[j] += float64(fired[j])
					}
				}
			}
			w.perStep[t].Add(&cc)
			w.perLayer[L.model].Add(&cc)
		}
	}
	return argmaxF(w.acc)
}

// multiSpikes is the spike count of a ResetSubtractMulti neuron at
// potential u ≥ ϑ: min(⌊u/ϑ⌋, ir.MaxSpikesPerStep), at least 1.
func multiSpikes(u, thr float32) float32 {
	n := math.Floor(float64(u) / float64(thr))
	return float32(max(1, min(ir.MaxSpikesPerStep, n)))
}

func addF(src, dst []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

func axpyF(a float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += float32(a * v)
	}
}

// runTemporalFloat is RunFloat for temporal models.
func runTemporalFloat(ctx context.Context, m *ir.Model, set *dataset.Set, opts Options) (*Stats, error) {
	p, err := lowerTemporal(m)
	if err != nil {
		return nil, err
	}
	if set == nil {
		return nil, fmt.Errorf("%w: no dataset", ErrData)
	}
	size := p.inSize
	if p.events {
		size *= p.T
	}
	if set.StepSize() != p.inSize || set.ImageSize() != size {
		return nil, fmt.Errorf("%w: %s has samples of %d values (%d steps of %v), the model takes %d (%s input %v, T = %d)",
			ErrData, set.Name, set.ImageSize(), max(1, set.Steps), set.Shape(), size, m.Input.Encoding, m.Input.Shape, p.T)
	}
	if out := p.layers[len(p.layers)-1].out; set.Classes > out {
		return nil, fmt.Errorf("%w: %s has %d classes, the model's readout has %d outputs", ErrData, set.Name, set.Classes, out)
	}
	if set.Test.N <= 0 || len(set.Test.Images) < set.Test.N*size || len(set.Test.Labels) < set.Test.N {
		return nil, fmt.Errorf("%w: %s has an empty or truncated test split", ErrData, set.Name)
	}
	split := set.Test.Limit(opts.Limit, size)
	start := time.Now()
	var ws []*temporalWorker
	var mu sync.Mutex
	res, err := drive(ctx, split, size, opts, func() sampleFunc {
		w := newTemporalWorker(p)
		mu.Lock()
		ws = append(ws, w)
		mu.Unlock()
		return func(i int, x []uint8) (int, int, float64, []byte) {
			pred := w.runSample(x)
			return pred, pred, 0, nil
		}
	})
	if err != nil {
		return nil, err
	}
	st := &Stats{Steps: p.T, PerLayer: make([]Counts, len(m.Layers)), PerStep: make([]Counts, p.T)}
	for _, w := range ws {
		addAll(st.PerLayer, w.perLayer)
		addAll(st.PerStep, w.perStep)
	}
	res.fill(st, split, true)
	st.WallSeconds = time.Since(start).Seconds()
	return st, nil
}
