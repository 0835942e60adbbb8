package sim

import (
	"github.com/snnc/snnc/ir"
)

// floatWorker runs the float reference (Θ spikes, float32 state, no
// pipeline delay) one sample at a time.
type floatWorker struct {
	p *netProgram
	u [][]float32
	c [][]float32
	// cs is the decaying synaptic current of layers with β_c ≠ 0 (nil for
	// the others).
	cs [][]float32
	// fired is 1 for the neurons that spiked at the previous step, else 0.
	fired [][]float32
	spk   [][]int32
	racc  []float64
	cur   []float32
	rate  rateGen
	inSpk []int32
	conv  []*convScratch // per layer (conv layers)
	delay []*spikeRing   // per layer: its input's delay line (nil: none)
	// neuronLoop[l] is set when copy layer l runs its neurons (its input
	// was not increasing) for the rest of the sample.
	neuronLoop []bool

	perStep, perLayer []Counts

	tracing bool
	trace   []byte
	sample  int
	// observe, if set, is called after every step (tests).
	observe func(t int)
	// uncounted: nobody reads perStep and perLayer (a reference beside
	// the chip), so synaptic operations and active neurons go uncounted.
	uncounted bool
}

func newFloatWorker(p *netProgram) *floatWorker {
	w := &floatWorker{p: p}
	n := len(p.layers)
	w.u, w.c, w.fired, w.spk = make([][]float32, n), make([][]float32, n), make([][]float32, n), make([][]int32, n)
	w.cs = make([][]float32, n)
	for i := range p.layers {
		out := p.layers[i].out
		w.u[i], w.c[i], w.fired[i] = make([]float32, out), make([]float32, out), make([]float32, out)
		w.spk[i] = make([]int32, 0, out)
		if p.layers[i].decay != 0 {
			w.cs[i] = make([]float32, out)
		}
	}
	w.conv = make([]*convScratch, n)
	for i := range p.layers {
		if L := &p.layers[i]; L.ck != nil {
			w.conv[i] = newConvScratch(L.ck, L.out, true)
		}
	}
	w.neuronLoop = make([]bool, n)
	w.delay = make([]*spikeRing, n)
	for i := 1; i < n; i++ {
		w.delay[i] = newSpikeRing(p.layers[i].delay, p.layers[i-1].out)
	}
	w.racc = make([]float64, p.layers[n-1].out)
	w.cur = make([]float32, p.layers[0].out)
	w.rate.init(p.inSize)
	w.inSpk = make([]int32, 0, p.inSize)
	w.perStep = make([]Counts, p.T)
	w.perLayer = make([]Counts, len(p.m.Layers))
	return w
}

// runSample runs sample number sample with image x (cur, if not nil, is the
// first layer's direct current already computed by the chip worker).
func (w *floatWorker) runSample(sample int, x []uint8, cur []float32) int {
	p := w.p
	w.sample = sample
	w.trace = w.trace[:0]
	for i := range p.layers {
		clear(w.u[i])
		clear(w.fired[i])
		clear(w.cs[i])
		w.spk[i] = w.spk[i][:0]
		if w.delay[i] != nil {
			w.delay[i].reset()
		}
	}
	clear(w.racc)
	clear(w.neuronLoop)
	first := &p.layers[0]
	switch p.enc {
	case ir.EncodingDirect:
		if cur == nil {
			layerHostCurrent(w.cur, first, x, p.scale, w.conv[0])
			cur = w.cur
		}
		macs := int64(first.in) * int64(first.out)
		if first.fanOut != nil { // a conv or sparse layer: its synapses
			macs = 0
			for _, f := range first.fanOut {
				macs += int64(f)
			}
		}
		w.perLayer[first.model].HostMACs += macs
		w.perStep[0].HostMACs += macs
	case ir.EncodingRate:
		w.rate.reset(sample, x, p.scale)
	}
	for t := 0; t < p.T; t++ {
		for li := range p.layers {
			L := &p.layers[li]
			c := w.c[li]
			var in []int32
			switch {
			case li > 0 && w.delay[li] != nil:
				in = w.delay[li].shift(t, w.spk[li-1])
			case li > 0:
				in = w.spk[li-1]
			case p.enc == ir.EncodingRate:
				w.inSpk = w.rate.next(w.inSpk[:0])
				in = w.inSpk
			case p.enc == ir.EncodingEvents:
				w.inSpk = eventSpikes(w.inSpk[:0], x, t, p.inSize)
				in = w.inSpk
			}
			if L.copy != nil && !w.neuronLoop[li] && li > 0 {
				if w.copySpikes(li, t, in) {
					continue
				}
				// the neuron loop from the state the copies stand for
				w.neuronLoop[li] = true
				L.copy.restore(w.u[li], w.fired[li], w.spk[li])
			}
			if li == 0 && p.enc == ir.EncodingDirect {
				copy(c, cur)
			} else {
				copy(c, L.fb)
				if L.sp != nil {
					L.sp.addF(c, in)
				} else if L.ck != nil {
					L.ck.addConvF(c, in, w.conv[li])
				} else if len(in) > 0 {
					addRowsF(c, L.fw, L.out, in)
				}
			}
			had := len(in) > 0
			var cc Counts
			if !w.uncounted {
				cc.SynapticOps = L.synapticOps(in)
			}
			if L.readout && !L.spiking && !p.maxRO {
				for j, x := range c {
					w.racc[j] += float64(x)
					if had || x != 0 {
						cc.NeuronActive++
					}
				}
			} else {
				// temporal layers: c ← β_c·c + W·s_in + b + V·s[t−1]
				if L.rfw != nil && len(w.spk[li]) > 0 {
					addRowsF(c, L.rfw, L.out, w.spk[li])
					cc.SynapticOps += int64(len(w.spk[li])) * int64(L.out)
					had = true
				}
				if cs := w.cs[li]; cs != nil {
					for j, x := range c {
						cs[j] = float32(L.decay*cs[j]) + x
					}
					copy(c, cs)
				}
				if L.readout && p.maxRO {
					// u ← γ·u + c, readout max_t u
					for j, x := range c {
						uu := float32(L.leak*w.u[li][j]) + x
						w.u[li][j] = uu
						if t == 0 || float64(uu) > w.racc[j] {
							w.racc[j] = float64(uu)
						}
						if had || x != 0 || uu != 0 {
							cc.NeuronActive++
						}
					}
					cc.NeuronIdle = int64(L.out) - cc.NeuronActive
					w.perStep[t].Add(&cc)
					w.perLayer[L.model].Add(&cc)
					continue
				}
				spk := w.spk[li][:cap(w.spk[li])]
				n, active := lifUpdate(L, w.u[li], w.fired[li], c, spk, had || w.uncounted) // had: all active, none counted
				cc.NeuronActive = int64(active)
				spk = spk[:n]
				w.spk[li] = spk
				cc.Spikes = int64(len(spk))
				if L.readout {
					for _, j := range spk {
						w.racc[j]++
					}
				}
				w.traceSpikes(L, t, spk)
			}
			cc.NeuronIdle = int64(L.out) - cc.NeuronActive
			w.perStep[t].Add(&cc)
			w.perLayer[L.model].Add(&cc)
		}
		if w.observe != nil {
			w.observe(t)
		}
	}
	return argmaxF(w.racc)
}

// synapticOps is the number of synapses the input spikes in reach.
func (L *netLayer) synapticOps(in []int32) int64 {
	if L.fanOut == nil {
		return int64(len(in)) * int64(L.out)
	}
	n := int64(0)
	for _, i := range in {
		n += int64(L.fanOut[i])
	}
	return n
}

func (w *floatWorker) traceSpikes(L *netLayer, t int, spk []int32) {
	if w.tracing {
		for _, j := range spk {
			w.trace = appendTraceLine(w.trace, w.sample, t, L.model, L.modelIndex(int(j)))
		}
	}
}

// copySpikes steps copy layer li (L.copy, see splitter.go) at step t with
// the input spikes in: its spikes are the copies of in, its counts those
// of the neuron loop (the previous step's spikes are the neurons at
// fired). It returns false, having changed nothing, when in is not
// increasing.
func (w *floatWorker) copySpikes(li, t int, in []int32) bool {
	L := &w.p.layers[li]
	prev := len(w.spk[li])
	spk := w.spk[li][:cap(w.spk[li])]
	n := writeCopies(L.sp.ptr, in, spk)
	if n < 0 {
		return false
	}
	spk = spk[:n]
	w.spk[li] = spk
	cc := Counts{Spikes: int64(n), NeuronActive: int64(prev)}
	if len(in) > 0 {
		cc.NeuronActive = int64(L.out)
	}
	if !w.uncounted {
		cc.SynapticOps = L.synapticOps(in)
	}
	cc.NeuronIdle = int64(L.out) - cc.NeuronActive
	w.perStep[t].Add(&cc)
	w.perLayer[L.model].Add(&cc)
	w.traceSpikes(L, t, spk)
	return true
}

func argmaxF(x []float64) int {
	best := 0
	for j, a := range x {
		if a > x[best] {
			best = j
		}
	}
	return best
}

// lifMode is lifAVX2's mode for layer L: the reset, and whether groups of
// idle neurons (u, fired and c all +0) may be skipped, which leaves them
// as the update would when ϑ > 0 and γ is finite (γ·(+0) is ±0, ±0 + (+0)
// is +0, below ϑ).
func lifMode(L *netLayer) int {
	mode := 2
	switch L.reset {
	case ir.ResetZero:
		mode = 0
	case ir.ResetSubtract:
		mode = 1
	}
	if L.thr > 0 && L.leak-L.leak == 0 {
		mode |= 4
	}
	return mode
}

// lifUpdate advances the float LIF neurons of a layer by one step with
// current c, writes the indices of the neurons that spiked to spk and
// returns their number and the number of active neurons (input, non-zero
// current or state). The loops are branch-free: at realistic rates spike
// decisions mispredict often. With AVX2 whole groups of 8 neurons go
// through lifAVX2, which does the same operations.
//
//	ResetZero:     u ← γ·u·(1 − s) + c
//	ResetSubtract: u ← γ·(u − ϑ·s) + c
//	ResetNone:     u ← γ·u + c
//	s ← u ≥ ϑ
func lifUpdate(L *netLayer, u, fired, c []float32, spk []int32, had bool) (n, active int) {
	u, fired = u[:len(c)], fired[:len(c)]
	active = len(c)
	if !had {
		active = 0
		for j, x := range c {
			if x != 0 || u[j] != 0 {
				active++
			}
		}
	}
	g, thr := L.leak, L.thr
	j0 := 0
	if m := len(c) &^ 7; useAVX2 && m > 0 {
		n = lifAVX2(u[:m], fired[:m], c[:m], spk[:m], g, thr, lifMode(L))
		j0 = m
	}
	switch L.reset {
	case ir.ResetZero:
		for j := j0; j < len(c); j++ {
			uu := float32(float32(g*u[j])*(1-fired[j])) + c[j]
			f := 0
			if uu >= thr {
				f = 1
			}
			u[j], fired[j] = uu, float32(f)
			spk[n] = int32(j)
			n += f
		}
	case ir.ResetSubtract:
		for j := j0; j < len(c); j++ {
			uu := float32(g*float32(u[j]-float32(thr*fired[j]))) + c[j]
			f := 0
			if uu >= thr {
				f = 1
			}
			u[j], fired[j] = uu, float32(f)
			spk[n] = int32(j)
			n += f
		}
	default:
		for j := j0; j < len(c); j++ {
			uu := float32(g*u[j]) + c[j]
			f := 0
			if uu >= thr {
				f = 1
			}
			u[j], fired[j] = uu, float32(f)
			spk[n] = int32(j)
			n += f
		}
	}
	return n, active
}
