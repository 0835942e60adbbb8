package sim

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
)

// Conv layers are executed from their kernel (see conv.go for the neuron
// order). convKernel holds the kernel once, in a scatter layout: for every
// input channel c, kernel row ky and column kx, the vector of the weights
// to the OutC/G output channels of c's group,
//
//	k[((c·KH + ky)·KW + kx)·(OutC/G) + c′] = W[g·(OutC/G)+c′][c − g·(InC/G)][ky][kx],
//
// so that a spike of input (c, iy, ix) adds, for every tap (ky, kx) with
// oy = (iy + ph − ky)/sh and ox = (ix + pw − kx)/sw integral and in range,
// one contiguous vector to the neurons of output position (oy, ox) of
// group g, which are contiguous in the mapping's order. A conv readout keeps
// the model's CHW order; its vectors are strided by OH·OW.
//
// A layer with its own mapping order (ir.Layer.MapOrder) may split a
// position's channels: the neurons of a position are then units, the
// maximal runs of its channels that are consecutive (and increasing) in
// the mapping's order, of unequal widths if so (channels 0–27 of a
// position in a row and 28–31 elsewhere: units of 28 and 4), and a spike
// adds one vector of weights per unit it reaches, as wide as the unit.
// The default order has one unit per position, OutC/G wide.

// convKernel is a Conv2D layer kept compact.
type convKernel struct {
	g       convGeometry
	icg, cg int // input and output channels per group
	cs, ps  int // neuron stride between output channels and positions
	npos    int // G·OH·OW output positions
	gstride int // neurons per group, cg·OH·OW
	maxTaps int
	// units (see above), nunit in all, at most maxUnits per position:
	// position p's are u in [unitPtr[p], unitPtr[p+1]); unit u starts at
	// neuron unitBase[u] and channel unitCh[u] of the group and is
	// unitW[u] channels wide. nil slices: the default order, unit u is
	// position u, cg channels from base(u).
	nunit, maxUnits                  int
	unitPtr, unitBase, unitCh, unitW []int32

	rowPtr   []int32 // input row iy: the (oy, ky) in row[rowPtr[iy]:rowPtr[iy+1]]
	rowO     []int32
	rowK     []int32
	colPtr   []int32 // input column ix: the (ox, kx)
	colO     []int32
	colK     []int32
	kf       []float32 // float kernel (scaled by the pooling in front, if any)
	convFlat int       // InC·IH·IW: the conv's inputs
	// tapList holds the taps (see taps) of every conv input m, in
	// tapList[tapPtr[m]:tapPtr[m+1]] (nil: a layer whose list would
	// exceed maxTapList; its taps are listed per spike)
	tapPtr, tapList []int32
	// inCHW maps an input of the simulator's order to the conv's input
	// (CHW index; nil: the same). With an average pooling in front (float
	// models), input i (the pooling's input, simulator order) instead feeds
	// the pooled values win[winPtr[i]:winPtr[i+1]] (CHW, increasing).
	inCHW  []int32
	winPtr []int32
	win    []int32
	multi  bool // some input feeds several pooled values
}

// newConvKernel builds the compact form of conv layer l with float weights
// w; readout keeps the model's neuron order. pool, if not nil, is an
// average pooling in front of the layer; inPerm moves the model's input
// indices (the pooling's, if any) to the simulator's.
func newConvKernel(l *ir.Layer, name string, readout bool, pool *ir.Layer, inPerm []int32) (*convKernel, error) {
	g, err := convGeom(l, name)
	if err != nil {
		return nil, err
	}
	k := &convKernel{g: g, icg: g.ic / g.groups, cg: g.oc / g.groups}
	if g.ic*g.ih*g.iw != l.NumInputs() || int64(g.oc)*int64(g.oh)*int64(g.ow) > math.MaxInt32 || int64(g.ic)*int64(g.ih)*int64(g.iw) > math.MaxInt32 {
		return nil, modelErr("conv layer %s: shapes %v → %v", name, l.InShape, l.OutShape)
	}
	if k.icg*g.kh*g.kw >= maxFanIn {
		return nil, modelErr("conv layer %s: %d synapses per neuron; the simulator supports fewer than %d", name, k.icg*g.kh*g.kw, maxFanIn)
	}
	if len(l.Weights) != g.oc*k.icg*g.kh*g.kw {
		return nil, modelErr("layer %s: weights has %d values, want %d×%d×%d×%d", name, len(l.Weights), g.oc, k.icg, g.kh, g.kw)
	}
	k.npos = g.groups * g.oh * g.ow
	k.gstride = k.cg * g.oh * g.ow
	k.cs, k.ps = 1, k.cg
	if readout {
		k.cs, k.ps = g.oh*g.ow, 1
	}
	k.rowPtr, k.rowO, k.rowK = axisTaps(g.ih, g.oh, g.kh, g.sh, g.ph)
	k.colPtr, k.colO, k.colK = axisTaps(g.iw, g.ow, g.kw, g.sw, g.pw)
	mr, mc := 0, 0
	for i := 0; i < g.ih; i++ {
		mr = max(mr, int(k.rowPtr[i+1]-k.rowPtr[i]))
	}
	for i := 0; i < g.iw; i++ {
		mc = max(mc, int(k.colPtr[i+1]-k.colPtr[i]))
	}
	k.maxTaps = mr * mc
	k.nunit, k.maxUnits = k.npos, 1
	if !readout && len(l.MapOrder) > 0 {
		if err := k.orderUnits(l.MapOrder); err != nil {
			return nil, modelErr("conv layer %s: %v", name, err)
		}
	}
	k.convFlat = g.ic * g.ih * g.iw
	k.listTaps()
	scale := float32(1)
	n := k.convFlat
	if pool != nil {
		scale = 1 / float32(pool.Kernel[0]*pool.Kernel[1])
		n = pool.NumInputs()
	}
	k.kf = scatterKernel(k, l.Weights, func(w float32) float32 {
		if pool != nil {
			return w * scale // as the dense composition: 0 + w·(1/(KH·KW))
		}
		return w
	})
	var inv []int32 // simulator input → model input
	if inPerm != nil {
		inv = make([]int32, n)
		for m, s := range inPerm {
			inv[s] = int32(m)
		}
	}
	if pool == nil {
		k.inCHW = inv
		return k, nil
	}
	k.winPtr = make([]int32, n+1)
	sim := func(i int) int {
		if inPerm != nil {
			return int(inPerm[i])
		}
		return i
	}
	poolWindows(pool, func(i, _ int) { k.winPtr[sim(i)+1]++ })
	for i := 0; i < n; i++ {
		k.multi = k.multi || k.winPtr[i+1] > 1
		k.winPtr[i+1] += k.winPtr[i]
	}
	k.win = make([]int32, k.winPtr[n])
	next := append([]int32(nil), k.winPtr[:n]...)
	poolWindows(pool, func(i, o int) { // o increases
		s := sim(i)
		k.win[next[s]] = int32(o)
		next[s]++
	})
	return k, nil
}

// axisTaps lists, for each input coordinate i < n along one axis, the
// output coordinates o < on and kernel offsets t with o·s − p + t = i.
func axisTaps(n, on, kn, s, p int) (ptr, o, t []int32) {
	ptr = make([]int32, n+1)
	for i := 0; i < n; i++ {
		for kk := 0; kk < kn; kk++ {
			x := i + p - kk
			if x >= 0 && x%s == 0 && x/s < on {
				o = append(o, int32(x/s))
				t = append(t, int32(kk))
			}
		}
		ptr[i+1] = int32(len(o))
	}
	return ptr, o, t
}

// scatterKernel returns the layer's weights w (OutC×(InC/G)×KH×KW) in the
// scatter layout, each passed through f.
func scatterKernel[T int16 | float32](k *convKernel, w []T, f func(T) T) []T {
	g := k.g
	out := make([]T, len(w))
	for c := 0; c < g.oc; c++ {
		grp, c2 := c/k.cg, c%k.cg
		for cl := 0; cl < k.icg; cl++ {
			ci := grp*k.icg + cl
			for ky := 0; ky < g.kh; ky++ {
				for kx := 0; kx < g.kw; kx++ {
					out[((ci*g.kh+ky)*g.kw+kx)*k.cg+c2] = f(w[((c*k.icg+cl)*g.kh+ky)*g.kw+kx])
				}
			}
		}
	}
	return out
}

// taps appends to t, for the conv input with CHW index m, three values per
// unit it reaches: the unit's first neuron, the offset of its kernel
// vector and the unit index (the default order: the position index
// (g·OH + oy)·OW + ox); the vector is width(unit) weights.
func (k *convKernel) taps(m int32, t []int32) []int32 {
	g := &k.g
	hw := int32(g.ih * g.iw)
	c := m / hw
	r := m - c*hw
	iy := r / int32(g.iw)
	ix := r - iy*int32(g.iw)
	grp := c / int32(k.icg)
	gb := grp * int32(k.gstride)
	pb := grp * int32(g.oh*g.ow)
	ow, kh, kw, cg, ps := int32(g.ow), int32(g.kh), int32(g.kw), int32(k.cg), int32(k.ps)
	c0, c1 := k.colPtr[ix], k.colPtr[ix+1]
	colO, colK := k.colO[c0:c1], k.colK[c0:c1]
	colK = colK[:len(colO)]
	if k.unitPtr != nil {
		for a := k.rowPtr[iy]; a < k.rowPtr[iy+1]; a++ {
			oy, ky := k.rowO[a], k.rowK[a]
			kr := (c*kh + ky) * kw
			for b, ox := range colO {
				p := pb + oy*ow + ox
				k0 := (kr + colK[b]) * cg
				for u := k.unitPtr[p]; u < k.unitPtr[p+1]; u++ {
					t = append(t, k.unitBase[u], k0+k.unitCh[u], u)
				}
			}
		}
		return t
	}
	for a := k.rowPtr[iy]; a < k.rowPtr[iy+1]; a++ {
		oy, ky := k.rowO[a], k.rowK[a]
		kr := (c*kh + ky) * kw
		for b, ox := range colO {
			q := oy*ow + ox
			t = append(t, gb+q*ps, (kr+colK[b])*cg, pb+q)
		}
	}
	return t
}

// maxTapList bounds the int32s of a conv layer's list of taps (16 MB).
const maxTapList = 1 << 22

// listTaps lists the taps of every conv input once (tapList), unless the
// list would exceed maxTapList.
func (k *convKernel) listTaps() {
	ptr := make([]int32, k.convFlat+1)
	var list []int32
	for m := range k.convFlat {
		list = k.taps(int32(m), list)
		if len(list) > maxTapList {
			return
		}
		ptr[m+1] = int32(len(list))
	}
	k.tapPtr, k.tapList = ptr, list
}

// tapsOf returns the taps of conv input m: its part of the list, or, for
// a layer without one, the taps appended to t.
func (k *convKernel) tapsOf(m int32, t []int32) []int32 {
	if k.tapPtr != nil {
		return k.tapList[k.tapPtr[m]:k.tapPtr[m+1]]
	}
	return k.taps(m, t)
}

// orderUnits sets the units of a layer with mapping order order
// (order[n]: the CHW index at mapping position n, a permutation, which
// ir.Verify checks; checked again here): each position's maximal runs of
// channels at consecutive, increasing mapping positions.
func (k *convKernel) orderUnits(order []int32) error {
	g := &k.g
	hw := g.oh * g.ow
	n := g.oc * hw
	if len(order) != n {
		return fmt.Errorf("map_order has %d values, want %d", len(order), n)
	}
	at := make([]int32, n) // canonical index (position·cg + channel) → mapping position
	seen := make([]bool, n)
	for m, j := range order {
		if j < 0 || int(j) >= n || seen[j] {
			return fmt.Errorf("map_order is not a permutation of the %d neurons (entry %d)", n, m)
		}
		seen[j] = true
		c, r := int(j)/hw, int(j)%hw
		at[((c/k.cg)*hw+r)*k.cg+c%k.cg] = int32(m)
	}
	k.unitPtr = make([]int32, k.npos+1)
	k.maxUnits = 0
	for p := 0; p < k.npos; p++ {
		ch := at[p*k.cg : (p+1)*k.cg]
		for c := 0; c < k.cg; {
			e := c + 1
			for e < k.cg && ch[e] == ch[e-1]+1 {
				e++
			}
			k.unitBase = append(k.unitBase, ch[c])
			k.unitCh = append(k.unitCh, int32(c))
			k.unitW = append(k.unitW, int32(e-c))
			c = e
		}
		k.unitPtr[p+1] = int32(len(k.unitBase))
		k.maxUnits = max(k.maxUnits, int(k.unitPtr[p+1]-k.unitPtr[p]))
	}
	k.nunit = len(k.unitBase)
	k.maxTaps *= k.maxUnits
	return nil
}

// convScratch is a worker's scratch space for one conv layer.
type convScratch struct {
	taps []int32
	// float: two partial sums (tA, tB) of four spikes, as the dense
	// kernel adds (a+b)+(c+d); s is one input's summed weights through an
	// overlapping pooling; the touched positions of each.
	tA, tB, s      []float32
	mark, sMark    []bool
	touched, sTouc []int32
	// chip: spikes per source core
	srcCnt []int64
}

func newConvScratch(k *convKernel, out int, float bool) *convScratch {
	s := &convScratch{taps: make([]int32, 0, 3*k.maxTaps)}
	if float {
		s.tA, s.tB = make([]float32, out), make([]float32, out)
		s.mark, s.touched = make([]bool, k.nunit), make([]int32, 0, k.nunit)
		if k.multi {
			s.s, s.sMark, s.sTouc = make([]float32, out), make([]bool, k.nunit), make([]int32, 0, k.nunit)
		}
	}
	return s
}

// input returns the conv input (CHW) of simulator input i without pooling.
func (k *convKernel) input(i int32) int32 {
	if k.inCHW != nil {
		return k.inCHW[i]
	}
	return i
}

// scatterF adds the kernel taps of conv input m, times a (a = 1: the
// weights themselves), to dst; mark, if not nil, records the positions.
func (k *convKernel) scatterF(dst []float32, m int32, a float32, s *convScratch, mark []bool, touched *[]int32) {
	t := k.tapsOf(m, s.taps[:0])
	cs := k.cs
	for q := 0; q+2 < len(t); q += 3 {
		n0, k0, cg := int(t[q]), int(t[q+1]), k.width(t[q+2])
		kv := k.kf[k0 : k0+cg]
		switch {
		case cs == 1 && a == 1:
			add1f(dst[n0:n0+cg], kv)
		case cs == 1:
			axpy(dst[n0:n0+cg], a, kv)
		default:
			for c, w := range kv {
				if a != 1 {
					w = float32(a * w)
				}
				dst[n0+c*cs] += w
			}
		}
		if mark != nil {
			if p := t[q+2]; !mark[p] {
				mark[p] = true
				*touched = append(*touched, p)
			}
		}
	}
}

// base is the first neuron of unit p (the default order: of position p).
func (k *convKernel) base(p int32) int {
	if k.unitPtr != nil {
		return int(k.unitBase[p])
	}
	hw := int32(k.g.oh * k.g.ow)
	grp := p / hw
	return int(grp)*k.gstride + int(p-grp*hw)*k.ps
}

// width is the channels of unit u (the default order: all the group's).
func (k *convKernel) width(u int32) int {
	if k.unitPtr != nil {
		return int(k.unitW[u])
	}
	return k.cg
}

// contribF adds the float weights of simulator input i, times a, to dst
// (recording the positions in mark and touched if mark is not nil).
func (k *convKernel) contribF(dst []float32, i int32, a float32, s *convScratch, mark []bool, touched *[]int32) {
	if k.winPtr == nil {
		k.scatterF(dst, k.input(i), a, s, mark, touched)
		return
	}
	w0, w1 := k.winPtr[i], k.winPtr[i+1]
	if w1-w0 == 1 {
		k.scatterF(dst, k.win[w0], a, s, mark, touched)
		return
	}
	if w1 == w0 {
		return
	}
	// several pooled values: their summed weights first (as composed)
	for q := w0; q < w1; q++ {
		k.scatterF(s.s, k.win[q], 1, s, s.sMark, &s.sTouc)
	}
	for _, p := range s.sTouc {
		s.sMark[p] = false
		n0 := k.base(p)
		for c := range k.width(p) {
			j := n0 + c*k.cs
			w := s.s[j]
			s.s[j] = 0
			if a != 1 {
				w = float32(a * w)
			}
			dst[j] += w
		}
		if mark != nil && !mark[p] {
			mark[p] = true
			*touched = append(*touched, p)
		}
	}
	s.sTouc = s.sTouc[:0]
}

// addConvF adds the float synaptic input of the spikes in idx to acc in
// exactly the order and grouping of addRowsF on the expanded matrix: four
// spikes at a time as (a+b)+(c+d), the rest one by one.
func (k *convKernel) addConvF(acc []float32, idx []int32, s *convScratch) {
	for len(idx) >= 4 {
		k.contribF(s.tA, idx[0], 1, s, s.mark, &s.touched)
		k.contribF(s.tA, idx[1], 1, s, s.mark, &s.touched)
		k.contribF(s.tB, idx[2], 1, s, s.mark, &s.touched)
		k.contribF(s.tB, idx[3], 1, s, s.mark, &s.touched)
		for _, p := range s.touched {
			s.mark[p] = false
			n0, cg := k.base(p), k.width(p)
			if k.cs == 1 {
				add2fClear(acc[n0:n0+cg], s.tA[n0:n0+cg], s.tB[n0:n0+cg])
				continue
			}
			for c := range cg {
				j := n0 + c*k.cs
				acc[j] += s.tA[j] + s.tB[j]
				s.tA[j], s.tB[j] = 0, 0
			}
		}
		s.touched = s.touched[:0]
		idx = idx[4:]
	}
	for _, i := range idx {
		k.contribF(acc, i, 1, s, nil, nil)
	}
}

// hostCurrentConv is hostCurrent for a conv first layer: per neuron the
// rounded products of its taps, summed over inputs in increasing order,
// then the bias.
func (k *convKernel) hostCurrentConv(cur, fb []float32, x []uint8, scale float32, s *convScratch) {
	clear(cur)
	for i, px := range x {
		if px == 0 {
			continue
		}
		k.contribF(cur, int32(i), float32(px)*scale, s, nil, nil)
	}
	fb = fb[:len(cur)]
	for j := range cur {
		cur[j] += fb[j]
	}
}

// convFanOut returns the number of synapses of each conv input (CHW) of k.
func (k *convKernel) fanOut() []int32 {
	f := make([]int32, k.convFlat)
	hw := k.g.ih * k.g.iw
	for m := range f {
		r := m % hw
		iy, ix := r/k.g.iw, r%k.g.iw
		f[m] = (k.rowPtr[iy+1] - k.rowPtr[iy]) * (k.colPtr[ix+1] - k.colPtr[ix]) * int32(k.cg)
	}
	return f
}

// chipConv is the chip side of a conv layer: the quantized kernel (scatter
// layout), the local core of every neuron and of every output position
// (−1 when its neurons are on several cores), the local cores that receive
// from each core of the previous layer, and each core's synapses.
type chipConv struct {
	kq      []int16
	coreOf  []int32
	posCore []int32
	// segments of the positions on several cores (mapping order):
	// position p's are seg[segPtr[p]:segPtr[p+1]], each a local core, the
	// offset of its first channel and the channels on it
	segPtr   []int32
	seg      []convSeg
	recvFrom [][]int32
	coreTaps []int64
}

type convSeg struct{ b, off, n int32 }

// convInput delivers the spikes in to a conv chip layer: each spike adds
// the kernel vectors of its taps on every core it reaches along a route.
// coreIn counts the spikes that reach a core, coreSyn the synapses they
// meet there (one per tap and output channel).
func (w *chipWorker) convInput(L *chipLayer, li int, acc []int32, in []int32) {
	k, q := L.ck, L.cq
	s := w.conv[li]
	all := li == 0 || L.full
	for _, ci := range L.cores {
		w.coreIn[ci], w.coreSyn[ci] = 0, 0
		if all {
			w.coreIn[ci] = int64(len(in))
		}
	}
	if !all {
		for _, i := range in {
			s.srcCnt[L.srcCore[i]]++
		}
		for a, n := range s.srcCnt {
			if n == 0 {
				continue
			}
			for _, b := range q.recvFrom[a] {
				w.coreIn[L.cores[b]] += n
			}
			s.srcCnt[a] = 0
		}
	}
	cs := k.cs
	for _, i := range in {
		var a int32
		if !all {
			a = L.srcCore[i]
		}
		t := k.tapsOf(k.input(i), s.taps[:0])
		for r := 0; r+2 < len(t); r += 3 {
			n0, k0, cg := int(t[r]), int(t[r+1]), k.width(t[r+2])
			kv := q.kq[k0 : k0+cg]
			if b := q.posCore[t[r+2]]; b >= 0 {
				if !all && !L.recv[b][a] {
					continue
				}
				if cs == 1 {
					d := acc[n0 : n0+cg]
					if len(d) >= 8 && useAVX2 {
						add1(d, kv)
					} else {
						d = d[:len(kv)]
						for c, x := range kv {
							d[c] += int32(x)
						}
					}
				} else {
					for c, x := range kv {
						acc[n0+c*cs] += int32(x)
					}
				}
				w.coreSyn[L.cores[b]] += int64(cg)
				continue
			}
			if cs == 1 {
				p := t[r+2]
				for _, sg := range q.seg[q.segPtr[p]:q.segPtr[p+1]] {
					if !all && !L.recv[sg.b][a] {
						continue
					}
					d, kk := acc[n0+int(sg.off):n0+int(sg.off+sg.n)], kv[sg.off:sg.off+sg.n]
					d = d[:len(kk)]
					for c, x := range kk {
						d[c] += int32(x)
					}
					w.coreSyn[L.cores[sg.b]] += int64(sg.n)
				}
				continue
			}
			for c, x := range kv {
				j := n0 + c*cs
				b := q.coreOf[j]
				if all || L.recv[b][a] {
					acc[j] += int32(x)
					w.coreSyn[L.cores[b]]++
				}
			}
		}
	}
}

// convCores builds the chip side of conv layer li (the cores must be
// mapped) and checks that every non-zero synapse between cores of
// consecutive layers has a route.
func (p *chipProgram) convCores(li int, qw []int16) error {
	L := &p.layers[li]
	k := L.ck
	q := &chipConv{}
	if qw != nil { // nil: a direct first layer, without synapses on chip
		q.kq = scatterKernel(k, qw, func(x int16) int16 { return x })
	}
	q.coreOf = make([]int32, L.out)
	for bi, ci := range L.cores {
		c := &p.cores[ci]
		for j := c.start; j < c.end; j++ {
			q.coreOf[j] = int32(bi)
		}
	}
	q.posCore = make([]int32, k.nunit) // per unit (see taps)
	for pp := range q.posCore {
		n0 := k.base(int32(pp))
		b := q.coreOf[n0]
		for c := 1; c < k.width(int32(pp)); c++ {
			if q.coreOf[n0+c*k.cs] != b {
				b = -1
				break
			}
		}
		q.posCore[pp] = b
	}
	if k.cs == 1 {
		q.segPtr = make([]int32, k.nunit+1)
		for pp, b := range q.posCore {
			if b < 0 {
				n0, cg := k.base(int32(pp)), k.width(int32(pp))
				for c := 0; c < cg; {
					e := c + 1
					for e < cg && q.coreOf[n0+e] == q.coreOf[n0+c] {
						e++
					}
					q.seg = append(q.seg, convSeg{q.coreOf[n0+c], int32(c), int32(e - c)})
					c = e
				}
			}
			q.segPtr[pp+1] = int32(len(q.seg))
		}
	}
	q.coreTaps = make([]int64, len(L.cores))
	if li > 0 {
		P := &p.layers[li-1]
		q.recvFrom = make([][]int32, len(P.cores))
		for b := range L.cores {
			for a := range P.cores {
				if L.recv[b][a] {
					q.recvFrom[a] = append(q.recvFrom[a], int32(b))
				}
			}
		}
	}
	l := &p.net.m.Layers[L.model]
	// the first missing route in the order of the dense check: local core
	// b, source core a, then input, then neuron
	type miss struct{ b, a, i, j int }
	var bad *miss
	ir.ConvTaps(l, func(i, o, kk int) {
		if L.outPerm != nil {
			o = int(L.outPerm[o])
		}
		if L.inPerm != nil {
			i = int(L.inPerm[i])
		}
		b := int(q.coreOf[o])
		q.coreTaps[b]++
		if li == 0 || L.full || qw == nil || qw[kk] == 0 {
			return
		}
		a := int(L.srcCore[i])
		if L.recv[b][a] {
			return
		}
		m := miss{b, a, i, o}
		if bad == nil || m.b < bad.b || (m.b == bad.b && (m.a < bad.a || (m.a == bad.a && (m.i < bad.i || (m.i == bad.i && m.j < bad.j))))) {
			bad = &m
		}
	})
	if bad != nil {
		P := &p.layers[li-1]
		return modelErr("mapping: no route from core %d (layer %s) to core %d (layer %s), but neuron %d has a synapse from neuron %d", P.cores[bad.a], P.name, L.cores[bad.b], L.name, bad.j, bad.i)
	}
	L.cq = q
	return nil
}
