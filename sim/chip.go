package sim

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// chipWorker simulates one sample at a time on the chip. All state is
// allocated once; a sample allocates nothing.
type chipWorker struct {
	p *chipProgram
	// Per layer: compartment state (Loihi u and v; TrueNorth V in v),
	// synaptic accumulators, and the spikes the layer emitted at the last
	// step it ran (delivered to the next layer at the following step).
	u, v [][]int32
	acc  [][]int32
	spk  [][]int32
	// pay[i][k] is the payload of spike spk[i][k] of a layer that sends
	// graded spikes (graded_hidden.go; nil for the others).
	pay [][]int32
	// racc is the readout: accumulated current, or spike counts.
	racc []int64
	// Host input: the direct current and its integer bias, or rate spikes.
	cur     []float32
	bias0   []int64
	bias032 []int32
	rate    rateGen
	inSpk   []int32
	// Graded input (graded.go): the first layer's synaptic sum of this
	// sample (the same every step), and per local core of that layer the
	// graded spikes and synaptic ops of one step.
	gSum              []int32
	gCoreIn, gCoreSyn []int64
	gCoreSeen         []int32
	// events is the sample's T steps of input spikes (event input).
	events []uint8

	conv    []*convScratch // per layer (conv layers)
	delay   []*spikeRing   // per layer: its input's delay line (nil: none)
	coreIn  []int64        // spikes arriving per core in the current step
	coreSyn []int64        // synaptic operations per core in the current step
	// coreGraded: graded spikes from the previous layer arriving per core
	// in the current step (graded_hidden.go)
	coreGraded []int64

	// Totals of this worker.
	perCore, perStep, perLayer []Counts

	tracing bool
	trace   []byte
	sample  int

	// observe, if set, is called after every chip step (tests).
	observe func(step int)
	// paths counts the neuron updates by the kernel loop that did them
	// (tests require each loop to be reached).
	paths targets.KernelPaths

	// somaEvery: the target reads every mapped neuron's soma every step
	// (targets.SomaEveryNeuron); tm times steps with contention (nil:
	// simple timing).
	somaEvery bool
	tm        *stepTimer
}

func newChipWorker(p *chipProgram) *chipWorker {
	w := &chipWorker{p: p}
	n := len(p.layers)
	w.u, w.v, w.acc, w.spk = make([][]int32, n), make([][]int32, n), make([][]int32, n), make([][]int32, n)
	for i := range p.layers {
		out := p.layers[i].out
		w.u[i], w.v[i], w.acc[i] = make([]int32, out), make([]int32, out), make([]int32, out)
		w.spk[i] = make([]int32, 0, out)
	}
	w.pay = make([][]int32, n)
	for i := range p.layers {
		if p.layers[i].gk != nil {
			w.pay[i] = make([]int32, p.layers[i].out)
		}
	}
	last := &p.layers[n-1]
	w.racc = make([]int64, last.out)
	first := &p.layers[0]
	w.cur = make([]float32, first.out)
	w.bias0 = make([]int64, first.out)
	w.bias032 = make([]int32, first.out)
	if first.graded {
		w.gSum = make([]int32, first.out)
		w.gCoreIn, w.gCoreSyn = make([]int64, len(first.cores)), make([]int64, len(first.cores))
		w.gCoreSeen = make([]int32, len(first.cores))
	}
	w.rate.init(p.net.inSize)
	w.inSpk = make([]int32, 0, p.net.inSize)
	w.conv = make([]*convScratch, n)
	for i := range p.layers {
		L := &p.layers[i]
		if L.ck == nil {
			continue
		}
		s := newConvScratch(L.ck, L.out, i == 0 && L.direct)
		if i > 0 {
			s.srcCnt = make([]int64, len(p.layers[i-1].cores))
		}
		w.conv[i] = s
	}
	w.delay = make([]*spikeRing, n)
	for i := 1; i < n; i++ {
		w.delay[i] = newSpikeRing(p.layers[i].delay, p.layers[i-1].out)
	}
	w.coreIn = make([]int64, len(p.cores))
	w.coreSyn = make([]int64, len(p.cores))
	w.coreGraded = make([]int64, len(p.cores))
	w.perCore = make([]Counts, len(p.cores))
	w.perStep = make([]Counts, p.steps)
	w.perLayer = make([]Counts, len(p.net.m.Layers))
	w.somaEvery = p.target.Timing != nil && p.target.Timing.SomaAccounting == targets.SomaEveryNeuron
	if p.timing != nil {
		w.tm = newStepTimer(p, p.timing)
	}
	return w
}

// reset prepares the worker for sample number sample with image x.
func (w *chipWorker) reset(sample int, x []uint8) {
	p := w.p
	w.sample = sample
	w.trace = w.trace[:0]
	for i := range p.layers {
		clear(w.u[i])
		clear(w.v[i])
		clear(w.acc[i])
		w.spk[i] = w.spk[i][:0]
		if w.delay[i] != nil {
			w.delay[i].reset()
		}
	}
	clear(w.racc)
	if p.net.maxRO {
		for j := range w.racc {
			w.racc[j] = math.MinInt64
		}
	}
	first := &p.layers[0]
	switch {
	case first.graded:
		w.resetGraded(first, x)
	case p.net.enc == ir.EncodingDirect:
		layerHostCurrent(w.cur, first.netLayer, x, p.net.scale, w.conv[0])
		for j, c := range w.cur {
			w.bias0[j] = targets.HostBias(c, float64(first.scaleQ))
		}
		targets.ClampBias(w.bias032, w.bias0)
		macs := int64(first.in)
		for bi, ci := range first.cores {
			c := &p.cores[ci]
			n := macs * int64(c.end-c.start)
			switch {
			case first.sp != nil: // a sparse layer: its synapses
				n = first.coreSyns[bi]
			case first.cq != nil: // a conv layer: its receptive fields
				n = first.cq.coreTaps[bi]
			case first.fan != nil: // TrueNorth: the set crossbar bits
				n = 0
				for _, f := range first.fan[bi] {
					n += int64(f)
				}
			}
			w.perCore[ci].HostMACs += n
			w.perStep[0].HostMACs += n
			w.perLayer[first.model].HostMACs += n
		}
	case p.net.enc == ir.EncodingRate:
		w.rate.reset(sample, x, p.net.scale)
	case p.net.enc == ir.EncodingEvents:
		w.events = x
	}
}

// runSample simulates one sample and returns the prediction and the chip
// time it took.
func (w *chipWorker) runSample(sample int, x []uint8) (int, float64) {
	w.reset(sample, x)
	lat := 0.0
	for k := 0; k < w.p.steps; k++ {
		lat += w.step(k)
	}
	return argmax64(w.racc), lat
}

func argmax64(x []int64) int {
	best := 0
	for j, a := range x {
		if a > x[best] {
			best = j
		}
	}
	return best
}

// step runs chip step k: every layer whose valid window contains k takes
// its input (the previous layer's spikes of step k−1), updates its neurons
// core by core and emits spikes. It returns the step's latency.
func (w *chipWorker) step(k int) float64 {
	p := w.p
	T := p.net.T
	lat := &p.lat
	stepMax, routeMax := 0.0, 0.0
	if w.tm != nil {
		w.tm.begin()
	}
	for li := len(p.layers) - 1; li >= 0; li-- {
		L := &p.layers[li]
		// the spikes layer li−1 sent at step k−1 enter the delay line
		// whether or not layer li runs at this step
		var delayed []int32
		if w.delay[li] != nil {
			delayed = w.delay[li].shift(k, w.spk[li-1])
		}
		if k < li || k >= li+T {
			w.spk[li] = w.spk[li][:0]
			w.somaOutside(li, k)
			continue
		}
		// Synaptic input.
		var in []int32
		switch {
		case w.delay[li] != nil:
			in = delayed
		case li > 0:
			in = w.spk[li-1]
		case p.net.enc == ir.EncodingRate:
			w.inSpk = w.rate.next(w.inSpk[:0])
			in = w.inSpk
		case p.net.enc == ir.EncodingEvents:
			w.inSpk = eventSpikes(w.inSpk[:0], w.events, k, p.net.inSize)
			in = w.inSpk
		}
		acc := w.acc[li]
		spk := w.spk[li][:cap(w.spk[li])]
		copied := -1 // the spikes of a splitter layer written by copyInput
		if L.split != nil {
			copied = w.copyInput(L, in, spk)
		}
		if copied >= 0 {
			// copyInput counted the spikes and synapses reaching each core
		} else if L.graded {
			w.gradedInput(L, acc)
		} else if L.gradedIn {
			w.gradedHiddenInput(L, acc, in, w.pay[li-1])
		} else if L.spans != nil {
			w.spanInput(L, acc, in)
		} else if L.ck != nil {
			w.convInput(L, li, acc, in)
		} else if li == 0 || L.full {
			if len(in) > 0 {
				addRows(acc, L.wT, L.out, in)
			}
			for bi, ci := range L.cores {
				w.coreIn[ci] = int64(len(in))
				if L.fan != nil {
					f, n := L.fan[bi], int64(0)
					for _, i := range in {
						n += int64(f[i])
					}
					w.coreSyn[ci] = n
				}
			}
		} else {
			for bi, ci := range L.cores {
				c := &p.cores[ci]
				recv := L.recv[bi]
				seg := acc[c.start:c.end]
				n, syn := int64(0), int64(0)
				for _, i := range in {
					if recv[L.srcCore[i]] {
						o := int(i) * L.out
						add1(seg, L.wT[o+c.start:o+c.end])
						n++
						if L.fan != nil {
							syn += int64(L.fan[bi][i])
						}
					}
				}
				w.coreIn[ci] = n
				w.coreSyn[ci] = syn
			}
		}
		if L.biasAxon != nil {
			// the bias axon spikes at every step into every core
			add1(acc, L.biasAxon)
			for _, ci := range L.cores {
				w.coreIn[ci]++
				if L.fan != nil || L.sp != nil || L.ck != nil {
					w.coreSyn[ci] += int64(p.cores[ci].end - p.cores[ci].start)
				}
			}
		}
		if L.rT != nil {
			// V·s[t−1]: the layer's own spikes of the previous step,
			// delivered through its routes back into its cores
			w.recurrentInput(L, w.spk[li], acc)
		}
		// Neuron updates, core by core.
		bias, bias32 := L.bias, L.bias32
		if L.direct {
			bias, bias32 = w.bias0, w.bias032
		}
		n := 0
		var layerCounts Counts // the step's counts of the layer's cores
		for bi, ci := range L.cores {
			c := &p.cores[ci]
			had := w.coreIn[ci] > 0
			n0 := n
			var active int
			switch {
			case copied >= 0: // the copies spiking on this core, in order
				for n < copied && int(spk[n]) < c.end {
					n++
				}
				active = L.split.activeIdle[bi]
				if had {
					active = L.split.activeIn[bi]
				}
			case L.readout && p.net.maxRO:
				n, active = L.kernel.Step(w.u[li], w.v[li], acc, bias, bias32, had, spk, n, c.start, c.end, &w.paths)
				n = n0 // the largest threshold: a max-potential readout does not fire
				maxPotential(w.racc[c.start:c.end], w.v[li][c.start:c.end])
			case L.readout && !L.spiking:
				active = readoutCore(L, w.racc, acc, bias, had, c.start, c.end)
			case L.gk != nil:
				n, active = L.gk.StepGraded(w.u[li], w.v[li], acc, bias, bias32, had, spk, w.pay[li], n, c.start, c.end, &w.paths)
			default:
				n, active = L.kernel.Step(w.u[li], w.v[li], acc, bias, bias32, had, spk, n, c.start, c.end, &w.paths)
			}
			nsp := int64(n - n0)
			cnt := int64(c.end - c.start)
			syn := w.coreIn[ci] * cnt
			if L.fan != nil || L.sp != nil || L.ck != nil {
				syn = w.coreSyn[ci]
			}
			var graded int64
			if L.gradedIn { // graded spikes of the previous layer, each on every neuron of the core
				graded = w.coreGraded[ci] * cnt
			} else if L.graded { // the bias axon's ops are not graded
				graded = syn
				if L.biasAxon != nil {
					graded -= cnt
				}
			}
			cc := Counts{
				GradedSynapticOps: graded,
				SynapticOps:       syn,
				NeuronActive:      int64(active),
				NeuronIdle:        cnt - int64(active),
				Spikes:            nsp,
				HopsEW:            nsp * c.hopsEW,
				HopsNS:            nsp * c.hopsNS,
				ChipHops:          nsp * c.chipHops,
				SpikesLocal:       nsp * c.local,
				Messages:          nsp * int64(len(p.routesOut[ci])),
				SomaAccesses:      int64(active),
				SomaUpdates:       int64(active),
			}
			if w.somaEvery {
				cc.SomaAccesses = cnt
			}
			if L.gk != nil {
				cc.GradedSpikes, cc.GradedSpikePayload = nsp, payloadSum(w.pay[li][n0:n])
			}
			if L.graded {
				cc.GradedInputMessages = w.coreIn[ci]
				if L.biasAxon != nil {
					cc.GradedInputMessages--
				}
			}
			if w.tm != nil {
				var hostIn, hostSyn int64
				if li == 0 && !L.direct {
					hostIn, hostSyn = w.coreIn[ci], syn
				}
				w.tm.core(ci, cc.SomaAccesses, cc.SomaUpdates, n0, n, hostIn, hostSyn)
			}
			w.perCore[ci].Add(&cc)
			layerCounts.Add(&cc)
			t := float64(syn-graded)*lat.SynapticOp + float64(graded)*lat.GradedSynapticOp + float64(cc.NeuronActive)*lat.NeuronActive +
				float64(cc.NeuronIdle)*lat.NeuronIdle + float64(nsp)*lat.Spike
			stepMax = max(stepMax, t)
			if nsp > 0 {
				routeMax = max(routeMax, c.maxRouteLat)
			}
		}
		w.perStep[k].Add(&layerCounts)
		w.perLayer[L.model].Add(&layerCounts)
		spk = spk[:n]
		if L.readout && L.spiking {
			for k, j := range spk {
				if L.gk != nil {
					w.racc[j] += int64(w.pay[li][k])
				} else {
					w.racc[j]++
				}
			}
		}
		w.spk[li] = spk
		if w.tracing {
			w.traceSpikes(k, L, spk)
		}
	}
	if w.observe != nil {
		w.observe(k)
	}
	if p.tick > 0 {
		return p.tick
	}
	if w.tm != nil {
		return w.tm.end(p, w.spk)
	}
	return stepMax + routeMax + p.barrier
}

// somaOutside counts the soma work of layer li at step k, outside its
// valid steps: nothing, unless the target reads every mapped neuron every
// step; then every neuron is read, and updated where its potential or bias
// is non-zero.
func (w *chipWorker) somaOutside(li, k int) {
	if !w.somaEvery {
		return
	}
	p := w.p
	L := &p.layers[li]
	bias := L.bias
	if L.direct {
		bias = w.bias0
	}
	for _, ci := range L.cores {
		c := &p.cores[ci]
		cc := Counts{SomaAccesses: int64(c.end - c.start)}
		if len(bias) >= c.end {
			cc.SomaUpdates = int64(nonZeroState(w.u[li][c.start:c.end], w.v[li][c.start:c.end], bias[c.start:c.end]))
		}
		w.perCore[ci].Add(&cc)
		w.perStep[k].Add(&cc)
		w.perLayer[L.model].Add(&cc)
		if w.tm != nil {
			w.tm.core(ci, cc.SomaAccesses, cc.SomaUpdates, 0, 0, 0, 0)
		}
	}
}

func (w *chipWorker) traceSpikes(step int, L *chipLayer, spk []int32) {
	layer := L.model
	for _, j := range spk {
		w.trace = appendTraceLine(w.trace, w.sample, step, layer, L.modelIndex(int(j)))
	}
}

func appendTraceLine(b []byte, sample, step, layer, neuron int) []byte {
	b = strconv.AppendInt(b, int64(sample), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(step), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(layer), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(neuron), 10)
	return append(b, '\n')
}

// recurrentInput adds V·s[t−1] of recurrent layer L (in: its spikes of the
// previous step) to acc and to the cores' received spikes.
func (w *chipWorker) recurrentInput(L *chipLayer, in []int32, acc []int32) {
	p := w.p
	if L.selfFull {
		if len(in) > 0 {
			addRows(acc, L.rT, L.out, in)
		}
		for _, ci := range L.cores {
			w.coreIn[ci] += int64(len(in))
		}
		return
	}
	for bi, ci := range L.cores {
		c := &p.cores[ci]
		seg := acc[c.start:c.end]
		n := int64(0)
		for _, i := range in {
			if L.selfRecv[bi][L.selfCore[i]] {
				o := int(i) * L.out
				add1(seg, L.rT[o+c.start:o+c.end])
				n++
			}
		}
		w.coreIn[ci] += n
	}
}

// maxPotential keeps in racc the largest v of each readout compartment.
func maxPotential(racc []int64, v []int32) {
	v = v[:len(racc)]
	for j, x := range v {
		racc[j] = max(racc[j], int64(x))
	}
}

// eventSpikes appends to dst the inputs that spike at step k of an event
// sample x (T steps of n values, non-zero where an input spikes).
func eventSpikes(dst []int32, x []uint8, k, n int) []int32 {
	if (k+1)*n > len(x) {
		return dst
	}
	for i, v := range x[k*n : (k+1)*n] {
		if v != 0 {
			dst = append(dst, int32(i))
		}
	}
	return dst
}

// readoutCore accumulates the readout neurons [s,e):
// the kernel's ReadoutInput(input) + bias (CUBA input<<(6+e), linear leak
// input).
func readoutCore(L *chipLayer, racc []int64, acc []int32, bias []int64, had bool, s, e int) int {
	racc, acc, bias = racc[s:e], acc[s:e], bias[s:e]
	acc, bias = acc[:len(racc)], bias[:len(racc)]
	k := L.kernel
	active := 0
	for j := range racc {
		b := bias[j]
		if !had && b == 0 {
			continue
		}
		active++
		racc[j] += k.ReadoutInput(int64(acc[j])) + b
		acc[j] = 0
	}
	return active
}

// RateSpikes returns the input spikes the simulator feeds a rate-encoded
// model (ir.EncodingRate) for sample number sample (its index in the test
// split) with image x: for each of T steps, the indices of the inputs that
// spike, input i with probability clamp(x_i·scale, 0, 1) (scale 0 counts as
// 1). The draws come from a generator seeded by the sample index, so they
// are the same in every run, in the chip simulation and in the float
// reference.
func RateSpikes(sample int, x []uint8, scale float32, T int) [][]int32 {
	if scale == 0 {
		scale = 1
	}
	var g rateGen
	g.init(len(x))
	g.reset(sample, x, scale)
	out := make([][]int32, T)
	for t := range out {
		out[t] = g.next(nil)
	}
	return out
}

// IntegerInput returns what compile's integer evaluator (Integer.Run) takes
// for sample number sample with image x on model m: the pixels for a
// direct-current input, otherwise the T×N spike trains the simulator feeds
// (RateSpikes), 1 where input i spikes at step t. Tests compare the two
// sample by sample with it.
func IntegerInput(m *ir.Model, sample int, x []uint8) []float32 {
	if m.Input.Encoding == ir.EncodingDirect {
		in := make([]float32, len(x))
		for i, px := range x {
			in[i] = float32(px)
		}
		return in
	}
	if m.Input.Encoding == ir.EncodingEvents { // x is already T×N spikes
		in := make([]float32, len(x))
		for i, v := range x {
			if v != 0 {
				in[i] = 1
			}
		}
		return in
	}
	in := make([]float32, m.Timesteps*len(x))
	for t, spikes := range RateSpikes(sample, x, m.Input.Scale, m.Timesteps) {
		for _, i := range spikes {
			in[t*len(x)+int(i)] = 1
		}
	}
	return in
}

// rateGen draws the Bernoulli input spikes of rate-encoded samples from a
// generator seeded by the sample index, so every run and the float
// reference see the same spikes.
type rateGen struct {
	src rand.PCG
	r   *rand.Rand
	p   []float32
}

func (g *rateGen) init(n int) {
	g.r = rand.New(&g.src)
	g.p = make([]float32, n)
}

func (g *rateGen) reset(sample int, x []uint8, scale float32) {
	g.src.Seed(uint64(sample), 0x736e6e632d726174)
	for i, px := range x {
		g.p[i] = min(1, max(0, float32(px)*scale))
	}
}

// next appends the spiking inputs of the next step to dst.
func (g *rateGen) next(dst []int32) []int32 {
	for i, p := range g.p {
		if p > 0 && g.r.Float32() < p {
			dst = append(dst, int32(i))
		}
	}
	return dst
}
