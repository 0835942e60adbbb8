package compile

import (
	"slices"

	"github.com/snnc/snnc/ir"
)

// Staggering the cut of a conv layer for its source's routes.
//
// A neuron of the source layer (chain layer k−1) sends one route to every
// core of conv layer k holding a neuron whose window holds its pixel:
// its reach is the number of layer-k cores whose input axons include its
// (group, pixel). A source core is limited by its compartments and
// synaptic memory and by the sum of its neurons' reaches, so what costs
// is not only the total reach but where it piles up: a source core over
// pixels of high reach runs out of routes with compartments and memory to
// spare. When layer k is cut in channel blocks (convorder.go) every block
// is cut alike, so all the blocks' boundaries fall on the same rows, where
// the reach is twice the number of blocks. On
// 28x28x1-32c3p1-32c3p1-p2-64c3p1-64c3s2p1-10 (Loihi) conv3, in four
// channel blocks of 16, is cut in every block at rows 3.7, 7 and 10, so a
// conv2 pixel next to those rows reaches 8 conv3 cores and a conv2 core
// there holds 512 neurons (routes), against 896 (memory) elsewhere: 38
// conv2 cores where conv2's routes alone need 35.25.
//
// staggerCut looks for a cut of layer k with as many cores whose blocks'
// boundaries fall on different rows:
//
//   - proxy cuts: windows of staggerWindow consecutive ranges are re-cut
//     over the same neurons into as many ranges that fit (partitionConv's
//     sweep, so every limit is the same), by dynamic programming over cut
//     points at multiples of the order's position alignment, minimising
//     the growth of Σ over the source's (group, pixel)s of max(T, reach),
//     with the reach of the ranges outside the window fixed. T is the
//     reach above which routes, not compartments and memory, fill a source
//     core (route limit / (slots · the source's neurons per core without
//     routes)): reach below T is free, above it costs route slots. The
//     re-cut is tried for a few T (staggerThresholds);
//   - exact pass: from each proxy cut, one window at a time takes what
//     another proxy cut (or the original cut) has there, where that fits;
//     the source's cores are counted by cutting it (eval, the source in
//     position-major order) and the first cut that lowers them is
//     returned (at most staggerEvals cuts of the source).
//
// partition then cuts the source against the staggered cut in the order
// and axon kind it chose against the original one, and keeps the
// staggered cut only if the source and its own source take fewer cores
// then (choose), so it never costs cores. On the net above the staggered
// conv3 cut takes conv2 from 38 to 37 cores (87 → 86 in all; Loihi 2 82
// → 81); the search costs about 1 s of CPU of the compile's 6 (the sweeps
// of the proxy cuts are shared through sweepCache, a cut of the source
// takes about 25 ms).

// staggerWindow is the number of consecutive ranges staggerCut re-cuts at
// a time, and staggerPasses how many times it sweeps the windows over the
// cut.
const (
	staggerWindow = 4
	staggerPasses = 3
)

// staggerCut returns a cut of chain layer k (a conv layer with population
// axons, cut into sizes with the sweep's limits: see convSweep's
// arguments) into as many ranges for which eval (the source's cores; an
// evaluation may return any value ≥ limit > 0 instead of its count)
// is lower than for sizes, or nil if it finds none.
func (s *state) staggerCut(k int, l *ir.Layer, sizes []int, pNext int, routes []int64, pop16 bool, slots int64, eval func(sizes []int, limit int) int) []int {
	if len(sizes) < 2 {
		return nil
	}
	sweep, scan := s.convSweep(k, l, pNext, routes, pop16, slots)
	if scan == nil {
		return nil
	}
	g := geomOf(l)
	unit := 1
	if a := s.convAlign[k]; len(a) > 1 {
		unit = a[1]
	} else if a == nil {
		unit = g.ocg
	}
	w := min(staggerWindow, len(sizes))
	// T: the reach above which a source neuron's routes, not its
	// compartments and memory, fill its core: the route limit over the
	// slots of a route and the source's neurons per core without routes
	perCore := s.sourceCoreNeurons(k - 1)
	t0 := int64(s.t.Core.OutputRoutes) * 1000 / (int64(s.routeSlots(k-1)) * int64(perCore))
	sc := &sweepCache{scan: scan, sweep: sweep, recs: map[[2]int]*sweepRec{}}
	var cuts [][]int
	for _, pct := range staggerThresholds {
		if c := staggerProxyCut(sizes, w, unit, t0*pct/100, g.groups*g.ih*g.iw, sc); c != nil {
			cuts = append(cuts, c)
		}
	}
	if len(cuts) == 0 {
		return nil
	}
	// exact pass: from each cut, let one window at a time take what
	// another cut (or the original) has at that window, keeping a change
	// if the source then takes fewer cores (eval); at most staggerEvals
	// evaluations
	bestEval := eval(sizes, 0)
	var best []int
	evals := 1
	try := func(c []int) bool {
		if evals >= staggerEvals {
			return false
		}
		evals++
		e := eval(c, bestEval)
		if e < bestEval {
			best, bestEval = slices.Clone(c), e
			return true
		}
		return false
	}
	all := append([][]int{sizes}, cuts...)
	for _, c := range cuts {
		if try(c) {
			return best
		}
		for i := 0; i+w <= len(c); i += w {
			var seen [][]int
			for _, o := range all {
				pat := o[i : i+w]
				if slices.Equal(pat, c[i:i+w]) || slices.ContainsFunc(seen, func(x []int) bool { return slices.Equal(x, pat) }) {
					continue
				}
				seen = append(seen, pat)
				t := slices.Clone(c)
				copy(t[i:], pat)
				if cutFits(t[:i+w], i, sweep) && try(t) {
					return best
				}
			}
		}
	}
	return best
}

// cutFits reports whether ranges i… of sizes fit a core (sweep).
func cutFits(sizes []int, i int, sweep sweepFunc) bool {
	p := 0
	for _, c := range sizes[:i] {
		p += c
	}
	for _, c := range sizes[i:] {
		found := false
		sweep(p, p+c, func(n int) { found = found || n == c })
		if !found {
			return false
		}
		p += c
	}
	return true
}

// staggerEvals bounds the source cuts staggerCut evaluates.
const staggerEvals = 24

// noStagger turns staggerCut off (tests compare with and without).
var noStagger bool

// staggerThresholds are the thresholds staggerProxyCut is run with, in
// percent of the estimate T.
var staggerThresholds = []int64{100, 75, 125, 150}

// staggerProxyCut re-cuts windows of w ranges of sizes to lower the proxy
// (see above) with threshold tMilli/1000; nil if it changes nothing.
func staggerProxyCut(sizes []int, w, unit int, tMilli int64, keys int, sc *sweepCache) []int {
	touchCost := func(r int32) int64 { // 1000·(max(T, r+1) − max(T, r))
		return max(tMilli, 1000*int64(r+1)) - max(tMilli, 1000*int64(r))
	}
	reach := make([]int32, keys)
	// touched[i]: the (group, pixel)s range i reads
	touched := make([][]int32, len(sizes))
	read := sc.touched
	starts := make([]int, len(sizes)+1)
	for i, c := range sizes {
		starts[i+1] = starts[i] + c
		touched[i] = read(starts[i], c)
		for _, a := range touched[i] {
			reach[a]++
		}
	}
	out := slices.Clone(sizes)
	changed := false
	for range staggerPasses {
		for i := 0; i+w <= len(out); i += w {
			s0, e0 := starts[i], starts[i+w]
			cur := int64(0)
			for j := i; j < i+w; j++ {
				for _, a := range touched[j] {
					reach[a]--
				}
			}
			for j := i; j < i+w; j++ {
				for _, a := range touched[j] {
					cur += touchCost(reach[a])
				}
			}
			cut := staggerWindowCut(s0, e0, w, unit, reach, touchCost, sc)
			if cut != nil && cut.cost < cur {
				p := s0
				for j, c := range cut.sizes {
					out[i+j] = c
					starts[i+j] = p
					touched[i+j] = read(p, c)
					p += c
				}
				changed = true
			}
			for j := i; j < i+w; j++ {
				for _, a := range touched[j] {
					reach[a]++
				}
			}
		}
	}
	if !changed {
		return nil
	}
	return out
}

// sweepRec is one sweep of staggerCut's layer from a start up to an end:
// the lengths c that fit, in increasing order, and for each the number of
// (group, pixel)s the range of length c reads, which are keys[:reads[i]].
type sweepRec struct {
	lengths, reads []int32
	keys           []int32
}

// sweepCache sweeps each (start, end) once (the proxy cuts of every
// threshold and pass sweep the same windows).
type sweepCache struct {
	scan  *popScan
	sweep sweepFunc
	recs  map[[2]int]*sweepRec
}

func (sc *sweepCache) get(start, end int) *sweepRec {
	if r, ok := sc.recs[[2]int{start, end}]; ok {
		return r
	}
	r := &sweepRec{}
	sc.sweep(start, end, func(c int) {
		r.lengths = append(r.lengths, int32(c))
		r.reads = append(r.reads, int32(len(sc.scan.touched)))
	})
	if n := len(r.reads); n > 0 {
		r.keys = slices.Clone(sc.scan.touched[:r.reads[n-1]])
	}
	sc.recs[[2]int{start, end}] = r
	return r
}

// touched returns the (group, pixel)s the range [start, start+c) reads
// (c a length that fits).
func (sc *sweepCache) touched(start, c int) []int32 {
	r := sc.get(start, start+c)
	i, ok := slices.BinarySearch(r.lengths, int32(c))
	if !ok {
		return nil
	}
	return r.keys[:r.reads[i]]
}

// windowCut is a cut of a window into ranges and its proxy cost.
type windowCut struct {
	sizes []int
	cost  int64
}

// staggerWindowCut cuts neurons [s0, e0) into exactly w ranges that fit
// (sweep), with boundaries at multiples of unit, minimising Σ over the
// ranges of Σ over the (group, pixel)s each reads of 2·reach + 1; nil if
// no such cut exists.
func staggerWindowCut(s0, e0, w, unit int, reach []int32, touchCost func(int32) int64, sc *sweepCache) *windowCut {
	// the cut points: s0, the multiples of unit inside, e0
	pts := []int{s0}
	for p := (s0/unit + 1) * unit; p < e0; p += unit {
		pts = append(pts, p)
	}
	pts = append(pts, e0)
	idx := map[int]int{}
	for i, p := range pts {
		idx[p] = i
	}
	const inf = int64(1) << 62
	m := len(pts)
	best := make([][]int64, w+1) // best[j][b]: j ranges from s0 to pts[b]
	from := make([][]int32, w+1)
	for j := range best {
		best[j] = make([]int64, m)
		from[j] = make([]int32, m)
		for b := range best[j] {
			best[j][b] = inf
		}
	}
	best[0][0] = 0
	for a := 0; a < m-1; a++ {
		reachable := false
		for j := 0; j < w; j++ {
			reachable = reachable || best[j][a] < inf
		}
		if !reachable {
			continue
		}
		start := pts[a]
		rec := sc.get(start, e0)
		var cost int64
		seen := int32(0)
		for i, c := range rec.lengths {
			for _, t := range rec.keys[seen:rec.reads[i]] {
				cost += touchCost(reach[t])
			}
			seen = rec.reads[i]
			b, ok := idx[start+int(c)]
			if !ok {
				continue
			}
			for j := 0; j < w; j++ {
				if best[j][a] < inf && best[j][a]+cost < best[j+1][b] {
					best[j+1][b] = best[j][a] + cost
					from[j+1][b] = int32(a)
				}
			}
		}
	}
	if best[w][m-1] >= inf {
		return nil
	}
	sizes := make([]int, w)
	for j, b := w, m-1; j > 0; j-- {
		a := int(from[j][b])
		sizes[j-1] = pts[b] - pts[a]
		b = a
	}
	return &windowCut{sizes: sizes, cost: best[w][m-1]}
}

// sourceCoreNeurons is the mean neurons per core of chain layer k cut
// greedily under its compartments and, with on-chip input, its axons and
// memory, without output routes.
func (s *state) sourceCoreNeurons(k int) int {
	l := &s.m.Layers[s.chain[k]]
	out := l.NumOutputs()
	if l.Kind != ir.KindConv2D || !s.popLayer(k) {
		return min(out, s.t.Core.Neurons)
	}
	sweep, _ := s.convSweep(k, l, 0, nil, pop16Allowed(s.b, l), 1)
	cores := 0
	for start := 0; start < out; cores++ {
		c, _ := sweep(start, out, func(int) {})
		if c == 0 {
			return s.t.Core.Neurons
		}
		start += c
	}
	return max(1, out/cores)
}
