package compile

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// A bound on a whole conv layer's cores from how its channels' positions
// split among them ("list splitting" in the report). popCoreCap
// (convlb.go) bounds what one core can hold; this bounds what k cores can
// hold together, which is tighter when a channel is cheapest whole and
// every way of cutting it among few cores costs much more.
//
// The argument, for a layer stored with population axons whose
// convolution is, per channel, a stride-1 unpadded one (canonical form,
// below), on k cores:
//
//  1. Core j holds the set Q_co,j of channel co's positions; its distinct
//     lists hold at least Σ_co D(Q_co,j) entries (convlb.go, step 2), and
//     at most Σ_co kh·kw·|Q_co,j| ≤ kh·kw·n_j, n_j its neurons.
//  2. At index width w (one per core, convpop.go) a list of e entries
//     costs at least β(w)·e bits, β(w) = min over e' ≤ compartments of
//     AxonSynapseBits(e'·icg)/e', so core j holds at most
//     bits/β(w_j) entries; and it holds at most BaseLimit + 2^w − 1
//     neurons (its largest compartment c needs a stored index
//     c − (base mod BaseLimit) < 2^w), or, at width 0, one neuron per
//     position block of kh×kw (every list has one entry, so the core's
//     neurons have pairwise disjoint receptive fields) and fewer than
//     BaseLimit. Summing, Σ_co Σ_j D(Q_co,j) ≤ C_k, the most
//     Σ_j min(bits/β(w_j), kh·kw·neurons(w_j)) over widths whose neurons
//     add up to the layer's.
//  3. For a set Q of positions, D(Q) = Σ over the taps s of N_s(Q), the
//     number of distinct shapes (pixel multisets) holding s: a pixel
//     P = q + s sees q through s, and its shape holding s is fixed by
//     Q's positions in q + (s − K), K the kernel's taps. So N_s(Q) is the
//     number of distinct neighbourhoods (Q − q) ∩ (s − K) over q ∈ Q,
//     the grid's edge clipping them.
//  4. Every channel's split into k parts (a k-colouring of the position
//     grid) costs Σ_j D(Q_j) = Σ_s Σ_j N_s(Q_j) ≥ Σ_s m_s(k), m_s(k) the
//     least Σ_j N_s(Q_j) over all k-colourings. tapSplitMin finds m_s(k)
//     (or proves it at least a target) by branch and bound. If the
//     channels times Σ_s m_s(k) exceed C_k, k cores cannot hold the layer.
//
// Canonical form: no padding, one group, kernel a multiple of the stride,
// and every private channel's columns (popColumns) constant on the
// stride's blocks of taps and distinct between blocks — a conv layer, or
// a conv layer with an average pool folded in (the pool's taps share a
// column). Then a pixel sees a position through the block
// (⌊y/sh⌋ − oy, ⌊x/sw⌋ − ox), and its multiset is the shape of pixel
// (⌊y/sh⌋, ⌊x/sw⌋) in a stride-1 convolution with a (kh/sh)×(kw/sw)
// kernel (TestPatternSumPoolFolded, TestPatternSumIsTapSum). Other
// channels count 0 entries; other layers, and grids of more than 64
// positions or windows whose neighbourhoods need more than 64 bits, get
// no bound here. TestSplitBoundExhaustive checks the bound against every
// packing of tiny layers, TestTapSplitMinExhaustive tapSplitMin against
// every colouring of small grids, TestSplitEntries step 2 against the
// independent memory count.

// splitMaxExtra bounds how many cores past the other bounds the split
// bound tries to rule out.
const splitMaxExtra = 8

// splitNodeBudget bounds the branch-and-bound nodes of one per-tap search;
// a search that runs out proves nothing (the bound stays where it is).
// splitGrowth is a first guess at how many times more nodes a per-tap
// search takes per step of its target, and splitWorkCap the most
// predicted nodes of one plan (splitExceeds). A node costs about 8 times
// what it did before the lookahead (forcedAtLeast), and the searches
// need far fewer (300 times fewer on the MNIST net's conv2), so the
// budgets are an eighth of what they were: a search that cannot finish
// gives up in about the same time as before. splitLowBudget, the probe
// of step 2 whose running out ends an attempt, is a fortieth: the low
// targets of the MNIST net's conv2 take at most 23 k nodes, and on Loihi
// the futile attempt at 4 cores (its upper bounds alone do not rule it
// out) spent most of the bound's time at an eighth.
const (
	splitNodeBudget = 5_000_000
	splitLowBudget  = 100_000
	splitGrowth     = 3.5
	splitWorkCap    = 20e6
)

// splitCanon is the canonical stride-1 form of a conv layer (see above).
type splitCanon struct {
	oh, ow, kh, kw int
	channels       int // private channels in canonical form
}

// splitCanonOf returns l's canonical form, if it has one.
func splitCanonOf(l *ir.Layer, g *convGeom) (splitCanon, bool) {
	if g.ph != 0 || g.pw != 0 || g.groups != 1 || g.kh%g.sh != 0 || g.kw%g.sw != 0 {
		return splitCanon{}, false
	}
	c := splitCanon{oh: g.oh, ow: g.ow, kh: g.kh / g.sh, kw: g.kw / g.sw}
	if c.oh*c.ow > 64 || c.oh*c.ow < 1 || (c.kh-1)*c.ow+c.kw > 64 || (c.kw-1)*c.oh+c.kh > 64 {
		return splitCanon{}, false // a neighbourhood's bits (tapSearch) must fit 64, either way round
	}
	col := popColumns(l, g)
	private := privateChannels(g, col)
	kk := g.kh * g.kw
	for o := range g.oc {
		if !private[o] {
			continue
		}
		ok := true
		block := map[int32]int{} // column → its block
		for ky := 0; ky < g.kh && ok; ky++ {
			for kx := 0; kx < g.kw && ok; kx++ {
				id := col[o*kk+ky*g.kw+kx]
				ok = id == col[o*kk+(ky/g.sh*g.sh)*g.kw+kx/g.sw*g.sw]
				b := (ky/g.sh)*c.kw + kx/g.sw
				if w, seen := block[id]; seen && w != b {
					ok = false
				}
				block[id] = b
			}
		}
		if ok {
			c.channels++
		}
	}
	return c, c.channels > 0
}

// popSplitCores returns the fewest cores, at least from, that the split
// argument (see above) does not rule out for conv layer l stored with
// population axons: from itself when it rules nothing out or does not
// apply.
func popSplitCores(l *ir.Layer, b targets.Backend, weightBits int, core targets.CoreLimits, from int) int {
	g := geomOf(l)
	c, ok := splitCanonOf(l, &g)
	if !ok || from < 1 {
		return from
	}
	taps := c.kh * c.kw
	neurons := l.NumOutputs()
	widths := splitWidths(b, weightBits, l, &g, &c, core)
	for k := from; k < from+splitMaxExtra; k++ {
		capacity, feasible := splitCapacity(widths, k, neurons)
		if !feasible {
			continue // k cores cannot even hold the neurons at any width
		}
		need := capacity/int64(c.channels) + 1 // a channel's entries that rule k out
		if need > int64(taps*c.oh*c.ow) || !splitExceeds(&c, k, need) {
			return k
		}
	}
	return from + splitMaxExtra
}

// splitWidth is what one core can hold at one index width (step 2).
type splitWidth struct {
	entries int64 // Σ_co D over the core's neurons, at most
	neurons int
}

// splitWidths returns splitWidth for each of the family's index widths.
func splitWidths(b targets.Backend, weightBits int, l *ir.Layer, g *convGeom, c *splitCanon, core targets.CoreLimits) []splitWidth {
	pf := popFormats(b)
	f := delayFormat(targets.SynapseFormat{WeightBits: weightBits}, l)
	taps := int64(c.kh * c.kw)
	var ws []splitWidth
	for _, w := range pf.IndexWidths {
		f.Sparse, f.IndexBits = w > 0, w
		cost := func(e int) int64 { return b.AxonSynapseBits(e*g.icg, f) }
		var sw splitWidth
		if w == 0 {
			blocks := ceilDiv(int64(c.oh), int64(c.kh)) * ceilDiv(int64(c.ow), int64(c.kw))
			sw.neurons = int(min(int64(core.Neurons), int64(pf.BaseLimit), blocks))
			sw.entries = core.SynapseBits / max(1, cost(1))
		} else {
			sw.neurons = int(min(int64(core.Neurons), int64(pf.BaseLimit)+int64(1)<<w-1))
			best := 1 // e minimising cost(e)/e
			for e := 2; e <= core.Neurons; e++ {
				if cost(e)*int64(best) < cost(best)*int64(e) {
					best = e
				}
			}
			sw.entries = core.SynapseBits * int64(best) / max(1, cost(best))
		}
		sw.entries = min(sw.entries, taps*int64(sw.neurons))
		ws = append(ws, sw)
	}
	return ws
}

// splitCapacity returns C_k (step 2): the most Σ entries over k cores'
// widths whose neurons add up to at least the layer's, and false if no
// widths do.
func splitCapacity(ws []splitWidth, k, neurons int) (int64, bool) {
	// dp[n]: the most entries of the cores so far holding n neurons (n
	// capped at the layer's), −1 unreachable
	dp := make([]int64, neurons+1)
	for i := range dp {
		dp[i] = -1
	}
	dp[0] = 0
	next := make([]int64, neurons+1)
	for range k {
		for i := range next {
			next[i] = -1
		}
		for n, v := range dp {
			if v < 0 {
				continue
			}
			for _, w := range ws {
				m := min(neurons, n+w.neurons)
				next[m] = max(next[m], v+w.entries)
			}
		}
		dp, next = next, dp
	}
	return dp[neurons], dp[neurons] >= 0
}

// splitExceeds reports whether Σ over c's taps of m_s(k) ≥ need is
// proven. Taps whose windows are reflections of each other have the same
// m_s(k), so the work is per class of taps:
//
//  1. A local search per class finds a colouring, whose count bounds
//     m_s(k) from above; if those bounds sum below need, nothing can be
//     proven.
//  2. Every class is searched with a target a little below the average
//     need/taps, then one higher; the nodes they took estimate what
//     higher targets cost (each class grows at its own rate per step). If
//     a first one takes more than splitLowBudget nodes, higher targets
//     are out of reach.
//  3. While the proven sum falls short, the targets are raised, each step
//     on the class where it is predicted cheapest per tap, until the
//     planned sum reaches need; the plan is searched in parallel and
//     replanned from what it proves. A plan predicted to cost more than
//     splitWorkCap nodes is not tried, nor one after the searches have
//     taken that many.
func splitExceeds(c *splitCanon, k int, need int64) bool {
	key := splitKey{*c, k, need}
	if r, ok := splitCache.Load(key); ok {
		return r.(bool)
	}
	r := splitSearch(c, k, need)
	splitCache.Store(key, r)
	return r
}

type splitKey struct {
	c    splitCanon
	k    int
	need int64
}

// splitCache holds this process's splitExceeds answers (a compilation
// asks for the same layer's bound once per candidate order).
var splitCache sync.Map // splitKey → bool

// splitSearch is splitExceeds without its cache.
func splitSearch(c *splitCanon, k int, need int64) bool {
	taps := c.kh * c.kw
	type tapClass struct {
		win             tapWindow
		mult            int
		ub, target, got int
		plan            int
		nodes           int64   // of its last search
		growth          float64 // nodes per step of target, from its last two searches
		out             bool    // a search ran out of its budget: try it no more
	}
	var cls []*tapClass
	seen := map[tapWindow]*tapClass{}
	for s := range taps {
		w := tapWindowOf(c, s/c.kw, s%c.kw, k)
		if tc, ok := seen[w]; ok {
			tc.mult++
			continue
		}
		tc := &tapClass{win: w, mult: 1}
		seen[w] = tc
		cls = append(cls, tc)
	}
	// 1: upper bounds
	ubSum := int64(0)
	parallelFor(len(cls), func(i int) { cls[i].ub = tapSplitUpper(cls[i].win) })
	for _, tc := range cls {
		ubSum += int64(tc.mult * tc.ub)
	}
	if ubSum < need {
		return false
	}
	// run searches every class at its plan and records what they prove
	// run searches every class of todo at its plan and records what they
	// prove. With stopAll, one search out of budget stops the others
	// (their answers are then not needed); otherwise each runs on its own,
	// so that what a batch proves does not depend on timing.
	spent := int64(0)
	run := func(todo []*tapClass, budget int64, stopAll bool) {
		res := make([]tapResult, len(todo))
		var shared atomic.Bool
		parallelFor(len(todo), func(i int) {
			stop := &shared
			if !stopAll {
				stop = new(atomic.Bool)
			}
			res[i] = tapSplitMinCached(todo[i].win, todo[i].plan, budget, stop)
		})
		for i, tc := range todo {
			if tc.nodes > 0 && tc.plan > tc.target {
				step := math.Pow(float64(res[i].nodes)/float64(tc.nodes), 1/float64(tc.plan-tc.target))
				tc.growth = min(8, max(1.5, step))
			}
			tc.nodes = res[i].nodes
			spent += res[i].nodes
			if !res[i].ok {
				tc.out = true
				tc.plan = tc.target
				continue
			}
			tc.target, tc.got = tc.plan, res[i].v
		}
	}
	proven := func() int64 {
		sum := int64(0)
		for _, tc := range cls {
			sum += int64(tc.mult * tc.got)
		}
		return sum
	}
	// 2: low targets, and one higher for the growth
	low := max(1, int(need/int64(taps))-2)
	for _, tc := range cls {
		tc.plan, tc.growth = min(low, tc.ub), splitGrowth
	}
	for pass := range 2 {
		var todo []*tapClass
		for _, tc := range cls {
			if pass == 0 || (tc.got == tc.target && tc.target < tc.ub) {
				tc.plan = min(tc.target+pass, tc.ub)
				if pass == 0 {
					tc.plan = min(low, tc.ub)
				}
				todo = append(todo, tc)
			}
		}
		if pass == 0 {
			run(todo, splitLowBudget, true)
			for _, tc := range cls {
				if tc.out {
					return false // even a low target is out of reach
				}
			}
		} else {
			run(todo, splitNodeBudget, false)
		}
	}
	// 3: plans
	for round := 0; proven() < need && round < 4 && spent < splitWorkCap; round++ {
		planned, work := proven(), 0.0
		cost := func(tc *tapClass, target int) float64 {
			return float64(max(1, tc.nodes)) * math.Pow(tc.growth, float64(target-tc.target))
		}
		for planned < need {
			var next *tapClass
			for _, tc := range cls {
				if tc.out || tc.got < tc.target || tc.plan >= tc.ub {
					continue // out of budget, m_s(k) found, or at its upper bound
				}
				if next == nil || cost(tc, tc.plan+1)/float64(tc.mult) < cost(next, next.plan+1)/float64(next.mult) {
					next = tc
				}
			}
			if next == nil {
				return false
			}
			next.plan++
			planned += int64(next.mult)
		}
		var todo []*tapClass
		for _, tc := range cls {
			if tc.plan > tc.target {
				todo = append(todo, tc)
				work += cost(tc, tc.plan)
			}
		}
		if work > splitWorkCap {
			return false
		}
		run(todo, splitNodeBudget, false)
	}
	return proven() >= need
}

// tapSplitUpper returns the count of a colouring for window w found by a
// short local search (deterministic) from the best of a few periodic
// colourings (stripes of rows, of columns and of both diagonals, the
// colour the row, column, or their sum or difference mod colours): an
// upper bound on m_s(k).
func tapSplitUpper(w tapWindow) int {
	s := newTapSearch(w, 1)
	rng := rand.New(rand.NewPCG(uint64(w.rows*w.cols), uint64(w.colors)))
	colour := make([]int, s.n)
	masks := make([]uint64, w.colors)
	buf := make([]uint64, 0, s.n)
	count := func(i int) int {
		buf = buf[:0]
		for m := masks[i]; m != 0; m &= m - 1 {
			q := bits.TrailingZeros64(m)
			if nb := s.neighbourhood(masks[i], s.win[q], q); !slices.Contains(buf, nb) {
				buf = append(buf, nb)
			}
		}
		return len(buf)
	}
	counts := make([]int, w.colors)
	total := -1
	paint := func(f func(r, c int) int) int {
		clear(masks)
		for q := range colour {
			colour[q] = f(q/w.cols, q%w.cols) % w.colors
			masks[colour[q]] |= 1 << uint(q)
		}
		t := 0
		for i := range counts {
			counts[i] = count(i)
			t += counts[i]
		}
		return t
	}
	stripes := []func(r, c int) int{
		func(r, c int) int { return r },
		func(r, c int) int { return c },
		func(r, c int) int { return r + c },
		func(r, c int) int { return r - c + w.colors*w.cols },
	}
	var start func(r, c int) int
	for _, f := range stripes {
		if t := paint(f); total < 0 || t < total {
			total, start = t, f
		}
	}
	total = paint(start)
	best := total
	const iters = 10000
	for it := range iters {
		temp := 0.6 * math.Pow(0.05, float64(it)/iters)
		q, b := rng.IntN(s.n), rng.IntN(w.colors)
		a := colour[q]
		if a == b {
			continue
		}
		masks[a] &^= 1 << uint(q)
		masks[b] |= 1 << uint(q)
		ca, cb := count(a), count(b)
		delta := ca + cb - counts[a] - counts[b]
		if delta <= 0 || rng.Float64() < math.Exp(-float64(delta)/temp) {
			colour[q], counts[a], counts[b] = b, ca, cb
			total += delta
			best = min(best, total)
		} else {
			masks[b] &^= 1 << uint(q)
			masks[a] |= 1 << uint(q)
		}
	}
	return best
}

// parallelFor runs fn(0) … fn(n−1) on up to GOMAXPROCS goroutines, each
// taking the next index when it is free: a handful of searches of very
// unequal cost (targets.ParallelRows cuts fixed contiguous chunks and runs
// fewer than 64 items serially).
func parallelFor(n int, fn func(int)) {
	var wg sync.WaitGroup
	var next atomic.Int64
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// tapWindow is one tap's search problem in its normalized orientation:
// the grid, the window's row and column offsets, and the colours.
type tapWindow struct {
	rows, cols, r0, r1, c0, c1, colors int
}

// tapWindowOf returns the window of tap (ty, tx) of c's kernel (offsets
// s − K: rows ty−(kh−1) … ty, columns likewise), reflected so that more of
// it lies above and to the left (the search knows that part of a
// neighbourhood first), and for a square grid transposed so that the
// longer past extent is in rows: the grid's reflections and transposition
// leave m_s(k) unchanged.
func tapWindowOf(c *splitCanon, ty, tx, colors int) tapWindow {
	w := tapWindow{c.oh, c.ow, ty - (c.kh - 1), ty, tx - (c.kw - 1), tx, colors}
	if w.r1 > -w.r0 {
		w.r0, w.r1 = -w.r1, -w.r0
	}
	if w.c1 > -w.c0 {
		w.c0, w.c1 = -w.c1, -w.c0
	}
	if w.rows == w.cols && -w.c0 > -w.r0 {
		w.r0, w.r1, w.c0, w.c1 = w.c0, w.c1, w.r0, w.r1
	}
	return w
}

// tapResult is a per-tap search's outcome: the least count found, at most
// its target (m_s(k) itself, or min(target, m_s(k)), when ok), whether it
// ended within its node budget, and the nodes it took.
type tapResult struct {
	v     int
	ok    bool
	nodes int64
}

type tapKey struct {
	win    tapWindow
	target int
	budget int64
}

// tapCache holds this process's per-tap searches: they depend only on
// the window, the target and the budget.
var tapCache sync.Map // tapKey → tapResult

// tapSplitMinCached is tapSplitMin with a process-wide cache. When stop
// is set (by another search of the same batch running out of budget),
// the search ends early, out of budget, and is not cached.
func tapSplitMinCached(w tapWindow, target int, budget int64, stop *atomic.Bool) tapResult {
	key := tapKey{w, target, budget}
	if r, ok := tapCache.Load(key); ok {
		return r.(tapResult)
	}
	r := tapSplitMin(w, target, budget, stop)
	if !r.ok {
		stop.Store(true)
	}
	if r.ok || r.nodes >= budget {
		tapCache.Store(key, r)
	}
	return r
}

// tapSplitMin returns min(target, m), m the least Σ over the colours of
// the number of distinct neighbourhoods (Q_i − q) ∩ W, q ∈ Q_i, over
// every colouring of w's rows×cols grid (at most 64 cells) with at most
// w.colors colours, W the window of row offsets r0…r1 and column offsets
// c0…c1 (r0, c0 ≤ 0 ≤ r1, c1; at most 64 cells); whether the search
// ended within budget nodes, or was stopped early by stop (if either, the
// count is only that of the best colouring found, an upper bound on m);
// and the nodes it took.
//
// Cells are coloured in raster order, colours in order of first use. A
// point's neighbourhood on the window's past offsets (rows above, and its
// own row to the left) is known when it is coloured; the whole one when
// the window's last cell is. Distinct past parts are distinct
// neighbourhoods, and within one past part every distinct whole one
// found so far is another: the count of those, lb, is a lower bound on
// every completion, which prunes the search at the best total found
// (starting at target). A lookahead (forcedAtLeast) adds to it the points
// not yet coloured that must bring new neighbourhoods.
func tapSplitMin(w tapWindow, target int, budget int64, stop *atomic.Bool) tapResult {
	s := newTapSearch(w, target)
	s.budget, s.stop = budget, stop
	s.search(0, -1)
	return tapResult{s.best, s.nodes < s.budget, s.nodes} // a stop cuts budget to nodes
}

type tapSearch struct {
	n, colors int
	// per cell q: the grid cells of its window and of the window's past
	// part, and the shift that moves the window's corner to bit 0 (right
	// when ≥ 0), so that a neighbourhood's bits do not depend on q
	win, winPast []uint64
	shift        []int
	final        [][]int8 // per cell: the points whose window it completes
	masks        []uint64 // per colour: its cells
	color        []int8
	slot         []int16  // per point: its past class, colour·maxClass + index
	past         []uint64 // per class slot: its past neighbourhood
	fulls        []uint64 // per class slot: maxFull whole neighbourhoods
	nfull        []int16  // per class slot
	nclass       []int    // per colour
	maxClass     int
	maxFull      int
	undo         []int16 // the class slots that gained a whole neighbourhood, in order
	stop         *atomic.Bool
	cols         int
	// mirror: the window is symmetric under reflecting columns, so is the
	// count, and a colouring whose first row, reflected and its colours
	// renamed in order of first use, comes first need not be searched
	mirror bool
	// lookahead (forcedAtLeast): per cell, the offsets of its
	// neighbourhood known before any cell is coloured (those off the
	// grid, absent, and its own, present); the past offsets; its own
	// offset; per point found forced, its known offsets and its
	// neighbourhoods' known bits per colour; the point last found forced
	// when one was enough (tried first next time: it often still is)
	known0        []uint64
	pastRel, self uint64
	lookKnown     []uint64
	lookNbr       []uint64
	hint          int
	lb, best      int
	nodes         int64
	budget        int64
}

func newTapSearch(w tapWindow, target int) *tapSearch {
	rows, cols := w.rows, w.cols
	n := rows * cols
	s := &tapSearch{n: n, cols: cols, colors: w.colors, best: target, maxClass: target + 1, maxFull: target + n + 1}
	s.mirror = w.c0 == -w.c1
	s.win, s.winPast, s.shift = make([]uint64, n), make([]uint64, n), make([]int, n)
	s.final = make([][]int8, n)
	s.known0 = make([]uint64, n)
	relFull := uint64(0)
	for dr := w.r0; dr <= w.r1; dr++ {
		for dc := w.c0; dc <= w.c1; dc++ {
			b := uint64(1) << uint((dr-w.r0)*cols+dc-w.c0)
			relFull |= b
			if dr < 0 || (dr == 0 && dc <= 0) {
				s.pastRel |= b
			}
			if dr == 0 && dc == 0 {
				s.self = b
			}
		}
	}
	s.lookKnown = make([]uint64, n)
	s.lookNbr = make([]uint64, n*w.colors)
	for q := range n {
		r, c := q/cols, q%cols
		for dr := w.r0; dr <= w.r1; dr++ {
			for dc := w.c0; dc <= w.c1; dc++ {
				if rr, cc := r+dr, c+dc; rr >= 0 && rr < rows && cc >= 0 && cc < cols {
					s.win[q] |= 1 << uint(rr*cols+cc)
					if dr < 0 || (dr == 0 && dc <= 0) {
						s.winPast[q] |= 1 << uint(rr*cols+cc)
					}
				}
			}
		}
		s.shift[q] = q + w.r0*cols + w.c0
		s.known0[q] = relFull&^s.neighbourhood(^uint64(0), s.win[q], q) | s.self
		last := min(r+w.r1, rows-1)*cols + min(c+w.c1, cols-1)
		s.final[last] = append(s.final[last], int8(q))
	}
	s.masks = make([]uint64, w.colors)
	s.color = make([]int8, n)
	s.slot = make([]int16, n)
	s.past = make([]uint64, w.colors*s.maxClass)
	s.fulls = make([]uint64, w.colors*s.maxClass*s.maxFull)
	s.nfull = make([]int16, w.colors*s.maxClass)
	s.nclass = make([]int, w.colors)
	s.undo = make([]int16, 0, n*n)
	return s
}

// neighbourhood returns q's neighbourhood in the cells of mask m within
// window cells win: bit (row offset − r0)·cols + (column offset − c0) for
// each (splitCanonOf keeps them within 64 bits).
func (s *tapSearch) neighbourhood(m, win uint64, q int) uint64 {
	if sh := s.shift[q]; sh >= 0 {
		return (m & win) >> uint(sh)
	} else {
		return (m & win) << uint(-sh)
	}
}

func (s *tapSearch) search(q, maxColour int) {
	s.nodes++
	if q == s.n {
		s.best = s.lb // every point's neighbourhood is whole: lb is the count
		return
	}
	if q == s.cols && s.mirror && s.mirroredFirstRowSmaller() {
		return // the mirror image of every completion is searched from a smaller first row
	}
	for ci := range min(maxColour+2, s.colors) {
		s.masks[ci] |= 1 << uint(q)
		s.color[q] = int8(ci)
		oldLB, oldTop := s.lb, len(s.undo)
		// q's past class
		pp := s.neighbourhood(s.masks[ci], s.winPast[q], q)
		first := ci * s.maxClass
		n := s.nclass[ci]
		k := 0
		for k < n && s.past[first+k] != pp {
			k++
		}
		if k == n {
			s.past[first+k] = pp
			s.nfull[first+k] = 0
			s.nclass[ci]++
			s.lb++
		}
		s.slot[q] = int16(first + k)
		// the points whose windows q completes
		for _, p8 := range s.final[q] {
			p := int(p8)
			full := s.neighbourhood(s.masks[s.color[p]], s.win[p], p)
			sl := int(s.slot[p])
			fs := s.fulls[sl*s.maxFull : sl*s.maxFull+int(s.nfull[sl])]
			if !slices.Contains(fs, full) {
				if len(fs) > 0 {
					s.lb++
				}
				s.fulls[sl*s.maxFull+len(fs)] = full
				s.nfull[sl]++
				s.undo = append(s.undo, int16(sl))
			}
		}
		if s.nodes&4095 == 0 && s.stop.Load() {
			s.budget = s.nodes
		}
		if s.lb < s.best && s.nodes < s.budget && !s.forcedAtLeast(q, max(maxColour, ci)+1, s.best-s.lb) {
			s.search(q+1, max(maxColour, ci))
		}
		for _, sl := range s.undo[oldTop:] {
			s.nfull[sl]--
		}
		s.undo = s.undo[:oldTop]
		s.nclass[ci] = n
		s.lb = oldLB
		s.masks[ci] &^= 1 << uint(q)
	}
}

// mirroredFirstRowSmaller reports whether the first row, reflected and
// its colours renamed in order of first use, is lexicographically smaller
// than the first row itself (which is in that form already).
func (s *tapSearch) mirroredFirstRowSmaller() bool {
	var rename [64]int8
	for i := range s.colors {
		rename[i] = -1
	}
	next := int8(0)
	for i := range s.cols {
		c := s.color[s.cols-1-i]
		if rename[c] < 0 {
			rename[c] = next
			next++
		}
		if m, o := rename[c], s.color[i]; m != o {
			return m < o
		}
	}
	return false
}

// forcedAtLeast reports whether some need points after q are forced and
// pairwise apart (below), with cells 0…q coloured, colours 0…used−1 used:
// then no completion counts less than s.lb + need.
//
// Witnesses. Every completion has, per colour c, s.lb_c distinct
// neighbourhoods of points of c (s.lb = Σ_c s.lb_c): per past class of
// c, its recorded whole neighbourhoods, or if it has none, the whole
// neighbourhood of its first point (the class's past part fixes one).
//
// Known bits. For a point p not yet coloured, some bits of its
// neighbourhood are the same in every completion in which p has colour
// c: those of coloured cells (set iff the cell has colour c), those of
// offsets off the grid (never set), and p's own offset (always set).
// known is the set of those offsets, nc[c] p's bits there.
//
// Forced. p is forced if for every colour c its neighbourhood there is
// none of c's witnesses: each class of c either has a past part that
// differs from nc[c] on a known past bit, or has recorded whole
// neighbourhoods that all differ from nc[c] on a known bit. (A class
// with no recorded whole neighbourhood and a past part that agrees
// could hold p for free. An unused colour has no witnesses.) A forced
// point's neighbourhood is then a new one in its colour: +1.
//
// Apart. Two forced points p, p' add 2 if in every colour c their
// neighbourhoods differ: nc[c] and nc'[c] differ on a bit both know.
// Then their new neighbourhoods differ whenever they take the same
// colour. With an unused colour left, both could take it and differ on
// no known bit, so need > 1 is then not tried. need points forced and
// pairwise apart bring need new distinct neighbourhoods, each one
// counted in its colour besides that colour's witnesses. The points are
// taken greedily in raster order (a larger set may exist; the bound is
// only weaker for missing it).
//
// TestTapSplitMinExhaustive checks the search with it against every
// colouring of small grids, and fails when any of the three conditions
// is dropped.
func (s *tapSearch) forcedAtLeast(q, used, need int) bool {
	if need > 1 && used < s.colors {
		return false // two points may share a fresh colour, unseen
	}
	coloured := ^uint64(0)
	if q < 63 {
		coloured = 1<<uint(q+1) - 1
	}
	if need == 1 && s.hint > q && s.forced(s.hint, coloured, used, 0) {
		return true
	}
	members := 0
	for p := q + 1; p < s.n; p++ {
		if !s.forced(p, coloured, used, members) {
			continue
		}
		if need == 1 {
			s.hint = p
			return true
		}
		kp, np := s.lookKnown[members], s.lookNbr[members*s.colors:]
		distinct := true
		for m := 0; m < members && distinct; m++ {
			nm := s.lookNbr[m*s.colors:]
			both := kp & s.lookKnown[m]
			for c := range used {
				if (np[c]^nm[c])&both == 0 {
					distinct = false // p and m may share colour c and neighbourhood
					break
				}
			}
		}
		if distinct {
			members++
			if members >= need {
				return true
			}
		}
	}
	return false
}

// forced reports whether point p is forced (forcedAtLeast), coloured the
// cells coloured so far and colours 0…used−1 used, leaving its known
// offsets and its bits there per colour in lookahead slot at.
func (s *tapSearch) forced(p int, coloured uint64, used, at int) bool {
	known := s.neighbourhood(coloured, s.win[p], p) | s.known0[p]
	knownPast := known & s.pastRel
	slot := s.lookNbr[at*s.colors:]
	s.lookKnown[at] = known
	for c := range used {
		nc := s.neighbourhood(s.masks[c], s.win[p], p) | s.self
		slot[c] = nc
		ncPast := nc & knownPast
		first := c * s.maxClass
		for k, past := range s.past[first : first+s.nclass[c]] {
			if past&knownPast != ncPast {
				continue
			}
			sl := first + k
			nf := int(s.nfull[sl])
			if nf == 0 {
				return false
			}
			for _, f := range s.fulls[sl*s.maxFull : sl*s.maxFull+nf] {
				if (f^nc)&known == 0 {
					return false
				}
			}
		}
	}
	return true
}
