package sim

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
)

// Per-core synapse layout of sparse layers and TrueNorth dense layers.
//
// A spike of input i reaches a list of segments, one per core it is routed
// to and has synapses on. A core counts as input the spikes that reach its
// synapses (sparse layers) or every spike routed to it (dense layers, as a
// crossbar's axons: a routed core without set bits for an input keeps an
// empty segment, unless every spike reaches every core, see allIn). The list is precomputed when the
// model is lowered, with the routes already applied, so delivering a spike
// is a walk over its segments with no lookup of routes or core tables.
//
// A segment is either a span, a contiguous range of neurons [lo, hi) whose
// weights are stored contiguously (zeros where there is no synapse), added
// with the vector row kernel (add1), or a scatter list of synapses (target
// neuron, weight) when a span would hold too many zeros. A TrueNorth dense
// layer's crossbar row is its span: from the first to the last set bit on
// the core, read in place from the transposed matrix. Synaptic operations
// count the segment's synapses (a sparse layer's listed synapses, a
// crossbar's set bits), never the zeros a span adds.

// segment is one input's synapses on one core.
type segment struct {
	// lo, hi: the neurons a span covers; off: the offset of its first
	// weight in spanLayout.w, or of a scatter segment's first synapse in
	// spanLayout.dst and spanLayout.sw.
	lo, hi, off int32
	// syn is the number of synapses (synaptic operations per spike).
	syn int32
	// core is the index of the core in chipProgram.cores.
	core    int32
	scatter bool
}

// spanLayout is a layer's segments grouped by input: input i's are
// seg[ptr[i]:ptr[i+1]].
type spanLayout struct {
	ptr []int32
	seg []segment
	// w holds the spans' weights (a dense layer's transposed matrix, or
	// the spans of a sparse layer laid out one after the other).
	w []int16
	// dst and sw are the scatter segments' target neurons and weights.
	dst []int32
	sw  []int16
	// coreSyns counts the synapses of each local core.
	coreSyns []int64
	// one: every input has exactly one segment, seg[i] (ptr is not read).
	one bool
	// allIn: every spike reaches every core of the layer (a crossbar layer
	// fed by the host or with routes between all cores); segments without
	// synapses are left out and each core counts all the spikes as input.
	allIn bool
	// vec: spikes go through spansAVX2 (the machine has AVX2 and the
	// layout passed check).
	vec bool
}

// check reports whether every segment of the layout lies within its
// storage and within a layer of out neurons on ncores cores, and ptr
// indexes the segments: what spansAVX2, which checks no bounds, relies on.
func (lay *spanLayout) check(out, ncores int) bool {
	if len(lay.ptr) == 0 || lay.ptr[0] != 0 {
		return false
	}
	for i := 1; i < len(lay.ptr); i++ {
		if lay.ptr[i] < lay.ptr[i-1] || int(lay.ptr[i]) > len(lay.seg) {
			return false
		}
	}
	for _, g := range lay.seg {
		if g.core < 0 || int(g.core) >= ncores || !g.within(out, len(lay.w), lay.dst, len(lay.sw)) {
			return false
		}
	}
	return true
}

// within reports whether segment g lies within a layer of out neurons,
// span storage of nw weights, and the scatter lists dst (targets) and
// their nsw weights.
func (g *segment) within(out, nw int, dst []int32, nsw int) bool {
	if !g.scatter {
		return 0 <= g.lo && g.lo <= g.hi && int(g.hi) <= out && g.off >= 0 && int64(g.off)+int64(g.hi-g.lo) <= int64(nw)
	}
	if g.off < 0 || g.syn < 0 || int64(g.off)+int64(g.syn) > int64(min(len(dst), nsw)) {
		return false
	}
	for _, j := range dst[g.off : g.off+g.syn] {
		if j < 0 || int(j) >= out {
			return false
		}
	}
	return true
}

// setOne sets lay.one when every input has exactly one segment.
func (lay *spanLayout) setOne() {
	lay.one = len(lay.seg) == len(lay.ptr)-1
	for i := 0; lay.one && i+1 < len(lay.ptr); i++ {
		lay.one = lay.ptr[i+1] == int32(i+1)
	}
}

// maxSpanZeros bounds the zeros a span may add per synapse it holds; a
// sparser segment is a scatter list. A vector add of 16 int16 weights costs
// about one scalar read-modify-write.
const maxSpanZeros = 4

// spanWorthIt reports whether the synapses to the increasing targets dst
// (not empty) are better added as a span: no target twice (a span holds
// one weight per neuron), at most maxSpanZeros zeros per synapse (and up
// to 14 for its alignment), and room left in the layer's span storage,
// which already holds used weights and is bounded by spanBudget.
func spanWorthIt(dst []int32, used, budget int) bool {
	for k := 1; k < len(dst); k++ {
		if dst[k] == dst[k-1] {
			return false
		}
	}
	w := int64(dst[len(dst)-1] - dst[0] + 1)
	return w <= int64(maxSpanZeros+1)*int64(len(dst)) && int64(used)+w+14 <= int64(budget) // + 14: align8
}

// spanBudget bounds the span storage of a layer with n synapses: three
// weights per synapse (a scatter list takes three int16 words per synapse),
// and never beyond what an int32 offset reaches.
func spanBudget(n int) int {
	return int(min(3*int64(n)+1024, math.MaxInt32))
}

// sparseSpans lays out a Sparse chip layer (sparseCores has split its
// synapses per core and checked the routes).
func (p *chipProgram) sparseSpans(li int) *spanLayout {
	L := &p.layers[li]
	sp := L.sp
	in := len(sp.ptr) - 1
	lay := &spanLayout{ptr: make([]int32, in+1), coreSyns: L.coreSyns}
	all := L.full || L.recv == nil
	b := newSpanBuilder(lay, L.out, len(sp.dst))
	for i := 0; i < in; i++ {
		s := sp.ptr[i]
		for q := L.segPtr[i]; q < L.segPtr[i+1]; q++ {
			c, e := L.segCore[q], L.segEnd[q]
			if !all && !L.recv[c][L.srcCore[i]] {
				// no route: the synapses are zero (sparseCores checked)
				s = e
				continue
			}
			b.add(sp.dst[s:e], L.spw[s:e], int32(L.cores[c]))
			s = e
		}
		lay.ptr[i+1] = int32(len(lay.seg))
	}
	lay.setOne()
	lay.vec = useAVX2 && lay.check(L.out, len(p.cores))
	return lay
}

// spanBuilder appends segments to a layout.
type spanBuilder struct {
	lay    *spanLayout
	out    int32
	budget int
	span   []int16
	shared *spanStore[int16]
}

// newSpanBuilder builds the segments of lay, a layer of out neurons with
// n synapses.
func newSpanBuilder(lay *spanLayout, out, n int) *spanBuilder {
	return &spanBuilder{lay: lay, out: int32(out), budget: spanBudget(n), shared: newSpanStore(appendInt16Bits)}
}

// add appends the segment of the synapses to the increasing targets dst
// (not empty) with the weights w on core: a span when it is worth it (see
// spanWorthIt), else a scatter list.
func (b *spanBuilder) add(dst []int32, w []int16, core int32) {
	lay := b.lay
	w = w[:len(dst)]
	g := segment{syn: int32(len(dst)), core: core}
	if spanWorthIt(dst, len(lay.w), b.budget) {
		lo, hi := align8(dst[0], dst[len(dst)-1]+1, b.out)
		g.lo, g.hi = lo, hi
		b.span = append(b.span[:0], make([]int16, hi-lo)...)
		for k, j := range dst {
			b.span[j-lo] = w[k]
		}
		lay.w, g.off = b.shared.store(lay.w, b.span)
	} else {
		g.scatter, g.off = true, int32(len(lay.dst))
		lay.dst = append(lay.dst, dst...)
		lay.sw = append(lay.sw, w...)
	}
	lay.seg = append(lay.seg, g)
}

// maxConvSpanSynapses bounds the synapses of a conv layer laid out as
// spans (convSpans); a larger layer keeps convInput.
const maxConvSpanSynapses = 1 << 24

// convSpans lays out a conv chip layer that every spike reaches on every
// core (the first layer, or routes between all cores) as segments, as a
// sparse layer's: each input's synapses (every tap of every channel, zero
// weights included, as convInput counts them) sorted by neuron and cut per
// core. A spike then adds a few wide spans instead of one kernel vector
// per tap (a 5×5 stride-2 kernel over 16 channels: three rows of three
// positions, each row 48 neurons in a row), with the same sums (integers)
// and counts: every core counts every spike as input (allIn) and the
// synapses it meets there. It returns nil for the other conv layers.
func (p *chipProgram) convSpans(li int) *spanLayout {
	L := &p.layers[li]
	k, q := L.ck, L.cq
	if k == nil || q == nil || q.kq == nil || L.direct || L.graded || !(li == 0 || L.full) ||
		int64(L.out)*int64(k.g.kh*k.g.kw*k.icg) > maxConvSpanSynapses {
		return nil
	}
	lay := &spanLayout{ptr: make([]int32, L.in+1), coreSyns: make([]int64, len(L.cores)), allIn: true}
	b := newSpanBuilder(lay, L.out, L.out*k.g.kh*k.g.kw*k.icg)
	var taps []int32
	type synapse struct {
		j int32
		w int16
	}
	var syn []synapse
	var dst []int32
	var w []int16
	for i := 0; i < L.in; i++ {
		taps = k.tapsOf(k.input(int32(i)), taps[:0])
		syn = syn[:0]
		for r := 0; r+2 < len(taps); r += 3 {
			n0, k0 := taps[r], taps[r+1]
			for c := range int32(k.width(taps[r+2])) { // a unit (see taps)
				syn = append(syn, synapse{n0 + c*int32(k.cs), q.kq[k0+c]})
			}
		}
		slices.SortFunc(syn, func(a, b synapse) int { return cmp.Compare(a.j, b.j) })
		for s := 0; s < len(syn); {
			c := q.coreOf[syn[s].j]
			e := s + 1
			for e < len(syn) && q.coreOf[syn[e].j] == c {
				e++
			}
			dst, w = dst[:0], w[:0]
			for _, x := range syn[s:e] {
				dst, w = append(dst, x.j), append(w, x.w)
			}
			b.add(dst, w, int32(L.cores[c]))
			lay.coreSyns[c] += int64(e - s)
			s = e
		}
		lay.ptr[i+1] = int32(len(lay.seg))
	}
	lay.setOne()
	lay.vec = useAVX2 && lay.check(L.out, len(p.cores))
	return lay
}

// spanStore appends spans of weights to a layer's span storage, storing
// each distinct span once: spans with the same weights share their
// storage. A conv layer rewritten as a sparse layer (TrueNorth) repeats
// the same kernel taps at every output position, so its spans shrink from
// one per input to one per distinct tap vector, and the weights a spike
// reads stay in cache. Sharing changes no sum: a span is only read.
type spanStore[T int16 | float32] struct {
	seen map[string]int32
	key  []byte
	bits func([]byte, T) []byte
}

func newSpanStore[T int16 | float32](bits func([]byte, T) []byte) *spanStore[T] {
	return &spanStore[T]{seen: make(map[string]int32), bits: bits}
}

// store returns w with span appended, unless w already holds the same
// weights (bit for bit) at an offset store returned before, and the
// offset of span in w.
func (s *spanStore[T]) store(w, span []T) ([]T, int32) {
	s.key = s.key[:0]
	for _, x := range span {
		s.key = s.bits(s.key, x)
	}
	if off, ok := s.seen[string(s.key)]; ok {
		return w, off
	}
	off := int32(len(w))
	s.seen[string(s.key)] = off
	return append(w, span...), off
}

func appendInt16Bits(b []byte, x int16) []byte { return binary.LittleEndian.AppendUint16(b, uint16(x)) }

func appendFloat32Bits(b []byte, x float32) []byte {
	return binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
}

// crossbarSpans lays out a TrueNorth dense layer: for each input and
// routed core, the span from the first to the last set crossbar bit, read
// in place from the transposed matrix (fan: see crossbarFan).
func (p *chipProgram) crossbarSpans(li int, fan [][]int32) *spanLayout {
	L := &p.layers[li]
	lay := &spanLayout{ptr: make([]int32, L.in+1), w: L.wT, coreSyns: make([]int64, len(L.cores)), allIn: li == 0 || L.full}
	routed := func(b, i int) bool { return lay.allIn || L.recv[b][L.srcCore[i]] }
	for i := 0; i < L.in; i++ {
		row := L.wT[i*L.out : (i+1)*L.out]
		for bi, ci := range L.cores {
			if !routed(bi, i) {
				continue // mapCores checked that these weights are zero
			}
			c := &p.cores[ci]
			lo, hi := c.start, c.start
			for j := c.start; j < c.end; j++ {
				if row[j] != 0 {
					if hi == c.start {
						lo = j
					}
					hi = j + 1
				}
			}
			if hi == lo && lay.allIn {
				continue
			}
			if hi > lo {
				l32, h32 := pad8(int32(lo), int32(hi), int32(c.start), int32(c.end))
				lo, hi = int(l32), int(h32)
			}
			off := i*L.out + lo
			lay.seg = append(lay.seg, segment{lo: int32(lo), hi: int32(hi), off: int32(off), syn: fan[bi][i], core: int32(ci)})
			lay.coreSyns[bi] += int64(fan[bi][i])
		}
		lay.ptr[i+1] = int32(len(lay.seg))
	}
	lay.setOne()
	lay.vec = useAVX2 && lay.check(L.out, len(p.cores))
	return lay
}

// align8 widens the span [lo, hi) to whole groups of 8 neurons, [8a, 8b),
// within [0, max). The vector kernels add 8 at a time; spans that start on
// the same grid overlap only in whole groups, so one spike's load of a
// group finds the previous spike's store of that group whole (a store
// that half overlaps a later load stalls it).
func align8(lo, hi, max int32) (int32, int32) {
	return lo &^ 7, min32(max, (hi+7)&^7)
}

// pad8 widens the span [lo, hi) within [min, max) to a multiple of 8
// neurons where it can (the vector kernel adds 8 at a time; the added
// weights are zeros), first upwards, then downwards.
func pad8(lo, hi, min, max int32) (int32, int32) {
	w := (hi - lo + 7) &^ 7
	hi = min32(max, lo+w)
	lo = max32(min, hi-w)
	return lo, hi
}

func min32(a, b int32) int32 {
	if a < b {
		return a
	}
	return b
}

func max32(a, b int32) int32 {
	if a > b {
		return a
	}
	return b
}

// spanInput delivers the spikes in through a layer's segments. coreIn
// counts the spikes that reach a core, coreSyn the synapses they meet there.
func (w *chipWorker) spanInput(L *chipLayer, acc []int32, in []int32) {
	for _, ci := range L.cores {
		w.coreIn[ci], w.coreSyn[ci] = 0, 0
	}
	lay := L.spans
	ptr, segs, wt, dst, sw := lay.ptr, lay.seg, lay.w, lay.dst, lay.sw
	coreIn, coreSyn := w.coreIn, w.coreSyn
	one := lay.one
	portable := in
	if lay.vec {
		spansAVX2(acc, in, ptr, segs, wt, dst, sw, coreIn, coreSyn)
		portable = nil
	}
	for _, i := range portable {
		q0, q1 := i, i+1
		if !one {
			q0, q1 = ptr[i], ptr[i+1]
		}
		for _, g := range segs[q0:q1] {
			coreIn[g.core]++
			coreSyn[g.core] += int64(g.syn)
			if !g.scatter {
				add1(acc[g.lo:g.hi], wt[g.off:g.off+g.hi-g.lo])
				continue
			}
			d, ww := dst[g.off:g.off+g.syn], sw[g.off:g.off+g.syn]
			ww = ww[:len(d)]
			for k, j := range d {
				acc[j] += int32(ww[k])
			}
		}
	}
	if lay.allIn {
		for _, ci := range L.cores {
			coreIn[ci] = int64(len(in))
		}
	}
}
