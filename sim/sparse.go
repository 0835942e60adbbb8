package sim

import "github.com/snnc/snnc/ir"

// Sparse layers in the simulator.
//
// An ir.KindSparse layer lists its synapses by output neuron (RowStart,
// Cols). The simulator never expands it into an In×Out matrix: it keeps the
// synapses grouped by input (CSR by input, in the simulator's input order),
// so that a spike of input i touches exactly the synapses of i. Within an
// input the synapses are sorted by target neuron, so those of one core form
// a contiguous run (a segment, see chipLayer.seg*): a spike reaches a core
// along a route and adds its segment there (through the span layout of
// spans.go, built from these segments). Synaptic operations are one per
// synapse a spike reaches (zero weights included: the synapse is present),
// as for a conv layer's receptive fields. The neuron order of a Sparse layer
// is its own (mapping ranges, traces), with no permutation.

// sparseRows is a Sparse layer's synapses grouped by input.
type sparseRows struct {
	// ptr has In+1 offsets: input i's synapses are [ptr[i], ptr[i+1]).
	ptr []int32
	// dst is each synapse's target neuron, increasing within an input.
	dst []int32
	// src is each synapse's index in the model layer (Cols, Weights and
	// the quantized weights).
	src []int32
	// fw are the float weights.
	fw []float32
	// fspan[i] is input i's synapses for the float reference, as a span of
	// weights in fsw (zeros where there is no synapse, aligned to
	// groups of 8, see align8) or, when that would be mostly zeros, as its synapse
	// list (see spans.go; a span adds +0 to the neurons it has no synapse
	// to, which changes at most the sign of a zero sum, a difference no
	// comparison or spike decision sees).
	fspan []segment
	fsw   []float32
	// vec: addF runs addSpansFAVX2 (the machine has AVX2 and fspan
	// passed checkSpans).
	vec bool
}

// checkSpans reports whether every input of a layer of out neurons has
// one segment within fsw or the synapse lists: what addSpansFAVX2, which
// checks no bounds, relies on.
func (sp *sparseRows) checkSpans(out int) bool {
	if len(sp.fspan) != len(sp.ptr)-1 {
		return false
	}
	for i := range sp.fspan {
		if !sp.fspan[i].within(out, len(sp.fsw), sp.dst, len(sp.fw)) {
			return false
		}
	}
	return true
}

// checkSparse checks a Sparse layer's synapse lists (the float layer).
func checkSparse(l *ir.Layer, name string, in, out int) error {
	if len(l.RowStart) != out+1 {
		return modelErr("sparse layer %s: %d row offsets, want %d (outputs + 1)", name, len(l.RowStart), out+1)
	}
	if len(l.Cols) > maxSynapses {
		return modelErr("sparse layer %s: %d synapses are more than the simulator holds (%d)", name, len(l.Cols), int64(maxSynapses))
	}
	if l.RowStart[0] != 0 || int(l.RowStart[out]) != len(l.Cols) {
		return modelErr("sparse layer %s: row offsets run from %d to %d, want 0 to %d (the synapses)", name, l.RowStart[0], l.RowStart[out], len(l.Cols))
	}
	for n := 0; n < out; n++ {
		s, e := l.RowStart[n], l.RowStart[n+1]
		if e < s {
			return modelErr("sparse layer %s: row offsets decrease at neuron %d (%d → %d)", name, n, s, e)
		}
		if e-s >= maxFanIn {
			return modelErr("sparse layer %s: neuron %d has %d synapses; the simulator supports fewer than %d", name, n, e-s, maxFanIn)
		}
	}
	for k, c := range l.Cols {
		if c < 0 || int(c) >= in {
			return modelErr("sparse layer %s: synapse %d comes from input %d, the layer has %d inputs", name, k, c, in)
		}
	}
	if len(l.Weights) != len(l.Cols) {
		return modelErr("sparse layer %s: weights has %d values, want one per synapse (%d)", name, len(l.Weights), len(l.Cols))
	}
	return nil
}

// newSparseRows groups the synapses of a checked Sparse layer by input;
// inPerm moves the model's input indices to the simulator's (nil: none).
func newSparseRows(l *ir.Layer, in int, inPerm []int32) *sparseRows {
	n := len(l.Cols)
	sp := &sparseRows{ptr: make([]int32, in+1), dst: make([]int32, n), src: make([]int32, n), fw: make([]float32, n)}
	simIn := func(c int32) int32 {
		if inPerm != nil {
			return inPerm[c]
		}
		return c
	}
	for _, c := range l.Cols {
		sp.ptr[simIn(c)+1]++
	}
	for i := 0; i < in; i++ {
		sp.ptr[i+1] += sp.ptr[i]
	}
	next := append([]int32(nil), sp.ptr[:in]...)
	out := len(l.RowStart) - 1
	for o := 0; o < out; o++ {
		for k := l.RowStart[o]; k < l.RowStart[o+1]; k++ {
			i := simIn(l.Cols[k])
			p := next[i]
			next[i]++
			sp.dst[p], sp.src[p], sp.fw[p] = int32(o), k, l.Weights[k]
		}
	}
	sp.fspan = make([]segment, in)
	budget := spanBudget(n)
	var span []float32
	shared := newSpanStore(appendFloat32Bits)
	for i := range sp.fspan {
		s, e := sp.ptr[i], sp.ptr[i+1]
		g := segment{off: s, syn: e - s, scatter: true}
		if s < e && spanWorthIt(sp.dst[s:e], len(sp.fsw), budget) {
			g.lo, g.hi = align8(sp.dst[s], sp.dst[e-1]+1, int32(out))
			g.scatter = false
			span = append(span[:0], make([]float32, g.hi-g.lo)...)
			for k := s; k < e; k++ {
				span[sp.dst[k]-g.lo] = sp.fw[k]
			}
			sp.fsw, g.off = shared.store(sp.fsw, span)
		}
		sp.fspan[i] = g
	}
	sp.vec = useAVX2 && sp.checkSpans(out)
	return sp
}

// fanOut returns the number of synapses of each input.
func (sp *sparseRows) fanOut() []int32 {
	f := make([]int32, len(sp.ptr)-1)
	for i := range f {
		f[i] = sp.ptr[i+1] - sp.ptr[i]
	}
	return f
}

// addF adds the float weights of the synapses of the inputs in idx to c,
// input after input.
func (sp *sparseRows) addF(c []float32, idx []int32) {
	dst, fw, fsw, fspan := sp.dst, sp.fw, sp.fsw, sp.fspan
	if sp.vec {
		addSpansFAVX2(c, idx, fspan, fsw, dst, fw)
		return
	}
	for _, i := range idx {
		g := fspan[i]
		if !g.scatter {
			add1f(c[g.lo:g.hi], fsw[g.off:g.off+g.hi-g.lo])
			continue
		}
		d, w := dst[g.off:g.off+g.syn], fw[g.off:g.off+g.syn]
		w = w[:len(d)]
		for k, j := range d {
			c[j] += w[k]
		}
	}
}

// hostCurrentSparse is hostCurrent for a Sparse first layer: per neuron the
// products of its synapses, summed over inputs in increasing order, then
// the bias.
func hostCurrentSparse(cur []float32, sp *sparseRows, fb []float32, x []uint8, scale float32) {
	clear(cur)
	for i, px := range x {
		if px == 0 {
			continue
		}
		a := float32(px) * scale
		s, e := sp.ptr[i], sp.ptr[i+1]
		d, w := sp.dst[s:e], sp.fw[s:e]
		w = w[:len(d)]
		for k, j := range d {
			cur[j] += float32(a * w[k])
		}
	}
	fb = fb[:len(cur)]
	for j := range cur {
		cur[j] += fb[j]
	}
}

// layerHostCurrent computes the first layer's direct current (see
// hostCurrent).
func layerHostCurrent(cur []float32, L *netLayer, x []uint8, scale float32, s *convScratch) {
	if L.ck != nil {
		L.ck.hostCurrentConv(cur, L.fb, x, scale, s)
		return
	}
	if L.sp != nil {
		hostCurrentSparse(cur, L.sp, L.fb, x, scale)
		return
	}
	hostCurrent(cur, L.fw, L.fb, x, scale)
}

// sparseCores splits each input's synapses of a Sparse chip layer into one
// segment per core (the cores must be mapped), counts each core's synapses,
// and checks that every non-zero synapse between cores of consecutive
// layers has a route.
func (p *chipProgram) sparseCores(li int) error {
	L := &p.layers[li]
	sp := L.sp
	coreOf := make([]int32, L.out)
	for bi, ci := range L.cores {
		c := &p.cores[ci]
		for j := c.start; j < c.end; j++ {
			coreOf[j] = int32(bi)
		}
	}
	in := len(sp.ptr) - 1
	L.segPtr = make([]int32, in+1)
	L.segCore, L.segEnd = L.segCore[:0], L.segEnd[:0]
	L.coreSyns = make([]int64, len(L.cores))
	for i := 0; i < in; i++ {
		s, e := sp.ptr[i], sp.ptr[i+1]
		for k := s; k < e; {
			b := coreOf[sp.dst[k]]
			q := k + 1
			for q < e && coreOf[sp.dst[q]] == b {
				q++
			}
			if li > 0 && !L.full && L.spw != nil && !L.recv[b][L.srcCore[i]] {
				for r := k; r < q; r++ {
					if L.spw[r] != 0 {
						a := p.layers[li-1].cores[L.srcCore[i]]
						return modelErr("mapping: no route from core %d (layer %s) to core %d (layer %s), but neuron %d has a synapse from neuron %d",
							a, p.layers[li-1].name, L.cores[b], L.name, sp.dst[r], p.layers[li-1].modelIndex(i))
					}
				}
			}
			L.segCore = append(L.segCore, b)
			L.segEnd = append(L.segEnd, q)
			L.coreSyns[b] += int64(q - k)
			k = q
		}
		L.segPtr[i+1] = int32(len(L.segEnd))
	}
	return nil
}
