package compile

import (
	"math/bits"
	"math/rand/v2"
	"slices"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// A per-core lower bound for conv layers stored with population axons
// (convpop.go): the most neurons of the layer one core can hold, from how
// far its synapse lists can be shared (popCoreCap). The layer then needs
// ⌈neurons/cap⌉ cores ("list sharing" in the report), and a neuron of its
// source layer at input pixel P reaches at least ⌈reach(P)/cap⌉ of its
// cores, reach(P) the layer's neurons whose receptive field holds P
// (popReachRoutes, which raises the source's output-route bound).
//
// The argument. Take any core holding a set S of the layer's neurons, in
// any compartment order, with either axon kind. Call a column private to
// output channel co when no other output channel uses the same column id
// (popColumns: bit-identical weight vectors over the group's input
// channels) at a tap some position sees; call co private when all its used
// taps' columns are. Pixel P's list holds, for each core neuron (q, co)
// whose receptive field holds P, one entry (compartment, column of the tap
// through which q sees P).
//
//  1. Two pixels share a stored list only if the lists are identical, so
//     only if their multisets of columns are equal; restricted to the
//     columns of a private channel co, pixel P's multiset M_co(P) depends
//     only on the positions Q_co of co's neurons on the core (not on the
//     compartment layout or the other channels).
//  2. Private channels' column sets are disjoint, so every distinct list L
//     has |L| ≥ Σ_co |L ∩ cols(co)|, and each distinct nonempty value of
//     M_co appears in some distinct list: Σ_{distinct L} |L| ≥ Σ_co D_co(Q_co),
//     D_co(Q) = Σ over the distinct nonempty multisets M_co(P) over the
//     pixels P of their sizes.
//  3. A list of e entries costs AxonSynapseBits(e·icg) at the core's index
//     width. If some stored index is not 0 the width is at least the
//     narrowest nonzero one, and the cost is at least β·e, β = min over
//     e' ≤ compartments of AxonSynapseBits(e'·icg)/e' at that width: so
//     β·Σ_co D_co(Q_co) ≤ the core's synapse bits. Every list costs at
//     least AxonSynapseBits(icg) too, and there are at least n_co(Q_co)
//     of them, n_co the number of distinct nonempty M_co. Hence, with
//     h_co(m) = min over |Q| = m of D_co(Q) and n_co(m) likewise, the core
//     holds at most the knapsack optimum max Σ_co m_co subject to
//     Σ_co h_co(m_co) ≤ bits/β and n_co(m_co) ≤ bits/AxonSynapseBits(icg)
//     (non-private channels count with all their positions, at no cost).
//  4. If every stored index is 0 (width 0), every list has one entry (its
//     entries are distinct compartments at relative index 0) and every
//     base is below the base limit: the core's neurons of one group have
//     pairwise disjoint receptive fields (so at most one per position) and
//     compartments below BaseLimit.
//
// The cap is the larger of the two cases, at most the compartments.
// h_co and n_co are computed exactly by enumerating every set of
// positions, so the bound is only attempted for layers with few output
// positions (about 12 for a 3×3 kernel, popCapMaxWork) and every window
// inside the input somewhere (a neuron without synapses needs no list);
// other layers get the compartments. (min D over the position sets of an
// 8×8 grid is out of reach of enumeration, and no provable closed form of
// it is known here: D is not monotone in the set, and restricting it to a
// half-plane of positions can raise it.) Multisets are compared by a
// 64-bit hash of their contents; a collision could only merge two
// distinct multisets, which lowers D and n, so the bound stays valid.
// TestConvShareBoundExhaustive checks the cap and the bound against every
// packing of tiny layers, including cases where they bind, and
// TestConvRouteBoundExhaustive the route bound.
//
// Why it stays loose on the MNIST conv nets: a channel with all its
// positions on one core is the cheapest way to store it (its interior
// pixels share one list), and with pooling folded into the next conv layer
// the four stride-parity classes of pixels use the same columns, so their
// lists coincide too: 28x28x1-16c5-p2-32c5-p2-10's conv2 (random weights)
// packs channel-major into 7 Loihi cores of about 5 whole channels each
// (TestConvBoundCeilings), so no bound on that layer alone can exceed 7,
// whatever h is. The conv layers of 28x28x1-32c3p1-32c3p1-p2-64c3p1-
// 64c3s2p1-10 pack channel-major at their compartment bound (25, 13 and
// 4 cores), so no per-layer bound can raise that net's bound at all: what
// separates the compiler's cores from it there is the packing and the
// coupling between a layer's packing and its source's output routes (a
// channel-major layer is reached by every source neuron from every core).

// popCapMaxWork bounds the work of enumerating every set of a layer's
// output positions in popCoreCap: 2^positions × (position-pixel
// incidences + 8·pixels).
const popCapMaxWork = 1e7

// popCoreCap returns the most neurons of conv layer l (on-chip input,
// population axons) one core can hold under the core's compartments and
// synaptic memory (see above).
func popCoreCap(l *ir.Layer, b targets.Backend, weightBits int, core targets.CoreLimits) int {
	g := geomOf(l)
	if !g.enumerable() || core.Neurons <= 1 {
		return core.Neurons
	}
	for p := range g.oh * g.ow {
		if ky0, ky1, kx0, kx1 := g.window(p/g.ow, p%g.ow); ky0 >= ky1 || kx0 >= kx1 {
			return core.Neurons
		}
	}
	pf := popFormats(b)
	f := delayFormat(targets.SynapseFormat{WeightBits: weightBits}, l)
	// case 3: some stored index is not 0
	capA := core.Neurons
	if len(pf.IndexWidths) > 1 {
		f.Sparse, f.IndexBits = true, pf.IndexWidths[1]
		cost := func(e int) int64 { return b.AxonSynapseBits(e*g.icg, f) }
		best := 1 // e* minimising cost(e)/e
		for e := 2; e <= core.Neurons; e++ {
			if cost(e)*int64(best) < cost(best)*int64(e) {
				best = e
			}
		}
		entries := core.SynapseBits * int64(best) / max(1, cost(best))
		lists := core.SynapseBits / max(1, cost(1))
		capA = min(capA, popKnapsack(l, &g, entries, lists))
	}
	// case 4: every stored index is 0
	capB := min(core.Neurons, int(pf.BaseLimit), g.groups*disjointWindows(&g))
	return max(capA, capB)
}

// popKnapsack returns max Σ_co m_co over the layer's output channels
// subject to Σ_co h_co(m_co) ≤ entries and n_co(m_co) ≤ lists for every
// private channel (see above).
func popKnapsack(l *ir.Layer, g *convGeom, entries, lists int64) int {
	P := g.oh * g.ow
	kk := g.kh * g.kw
	col := popColumns(l, g)
	private := privateChannels(g, col)
	free := 0        // neurons of non-private channels
	var hs [][]int64 // h_co of the private channels (−1: m positions take too many lists)
	cache := map[string][]int64{}
	label := make([]int32, kk)
	for o := range g.oc {
		if !private[o] {
			free += P
			continue
		}
		// the channel's taps relabelled by first occurrence: h depends
		// only on which of its taps share a column
		ids := map[int32]int32{}
		key := make([]byte, 0, 2*kk)
		for t := range kk {
			id, ok := ids[col[o*kk+t]]
			if !ok {
				id = int32(len(ids))
				ids[col[o*kk+t]] = id
			}
			label[t] = id
			key = append(key, byte(id), byte(id>>8))
		}
		h, ok := cache[string(key)]
		if !ok {
			var n []int64
			h, n = minPatternSums(g, label)
			for m := range h {
				if n[m] > lists {
					h[m] = -1
				}
			}
			cache[string(key)] = h
		}
		hs = append(hs, h)
	}
	// dp[c]: the most neurons of the private channels so far at cost c
	total := int64(0)
	for _, h := range hs {
		if h[P] < 0 {
			total = entries + 1
			break
		}
		total += h[P]
	}
	if total <= entries {
		return free + len(hs)*P
	}
	dp := make([]int, entries+1)
	for c := range dp {
		dp[c] = -1
	}
	dp[0] = 0
	next := make([]int, len(dp))
	for _, h := range hs {
		copy(next, dp)
		for c, v := range dp {
			if v < 0 {
				continue
			}
			for m := 1; m <= P; m++ {
				if nc := int64(c) + h[m]; h[m] >= 0 && nc <= entries {
					next[nc] = max(next[nc], v+m)
				}
			}
		}
		dp, next = next, dp
	}
	return free + slices.Max(dp)
}

// privateChannels reports, per output channel of g, whether it is private
// (see above): no other channel uses the column (col, popColumns) of any
// of its taps that some output position sees.
func privateChannels(g *convGeom, col []int32) []bool {
	kk := g.kh * g.kw
	used := make([]bool, kk)
	for p := range g.oh * g.ow {
		ky0, ky1, kx0, kx1 := g.window(p/g.ow, p%g.ow)
		for ky := ky0; ky < ky1; ky++ {
			for kx := kx0; kx < kx1; kx++ {
				used[ky*g.kw+kx] = true
			}
		}
	}
	owner := map[int32]int{}
	for o := range g.oc {
		for t, u := range used {
			if !u {
				continue
			}
			id := col[o*kk+t]
			if w, ok := owner[id]; !ok {
				owner[id] = o
			} else if w != o {
				owner[id] = -1
			}
		}
	}
	private := make([]bool, g.oc)
	for o := range g.oc {
		private[o] = true
		for t, u := range used {
			private[o] = private[o] && (!u || owner[col[o*kk+t]] == o)
		}
	}
	return private
}

// minPatternSums returns h[m] = min over the sets Q of m output positions
// of D(Q): the sum, over the distinct nonempty multisets of the labels
// (label[t]: a channel's column at tap t, relabelled) through which the
// positions of Q are seen from each input pixel, of their sizes; and
// n[m], the fewest distinct nonempty multisets of such a set.
func minPatternSums(g *convGeom, label []int32) (h, n []int64) {
	P := g.oh * g.ow
	pc := newPatternCounter(g, label)
	h, n = make([]int64, P+1), make([]int64, P+1)
	for m := 1; m <= P; m++ {
		h[m], n[m] = -1, -1
	}
	for mask := uint64(1); mask < 1<<P; mask++ {
		d, k := pc.distinct(mask)
		m := bits.OnesCount64(mask)
		if h[m] < 0 || d < h[m] {
			h[m] = d
		}
		if n[m] < 0 || k < n[m] {
			n[m] = k
		}
	}
	return h, n
}

// patternCounter computes D(Q) and the number of distinct nonempty
// multisets (see minPatternSums) of sets Q of a conv layer's output
// positions, given as bit masks (at most 64 positions).
type patternCounter struct {
	seen [][]patternSight // per input pixel: the (position, label) pairs that see it
	hash []uint64         // per label: a random 64-bit key; a multiset is the sum of its keys
	pats []patternKey
}

type patternSight struct{ pos, lab int32 }

type patternKey struct {
	sum  uint64
	size int64
}

func newPatternCounter(g *convGeom, label []int32) *patternCounter {
	pc := &patternCounter{seen: make([][]patternSight, g.ih*g.iw)}
	for p := range g.oh * g.ow {
		oy, ox := p/g.ow, p%g.ow
		ky0, ky1, kx0, kx1 := g.window(oy, ox)
		for ky := ky0; ky < ky1; ky++ {
			for kx := kx0; kx < kx1; kx++ {
				pix := (oy*g.sh-g.ph+ky)*g.iw + ox*g.sw - g.pw + kx
				pc.seen[pix] = append(pc.seen[pix], patternSight{int32(p), label[ky*g.kw+kx]})
			}
		}
	}
	rng := rand.New(rand.NewPCG(19, 61))
	pc.hash = make([]uint64, g.kh*g.kw)
	for i := range pc.hash {
		pc.hash[i] = rng.Uint64()
	}
	pc.pats = make([]patternKey, 0, len(pc.seen))
	return pc
}

// distinct returns D of the positions in mask and the number of distinct
// nonempty multisets.
func (pc *patternCounter) distinct(mask uint64) (d, k int64) {
	pats := pc.pats[:0]
	for _, ss := range pc.seen {
		var pt patternKey
		for _, s := range ss {
			if mask>>s.pos&1 == 1 {
				pt.sum += pc.hash[s.lab]
				pt.size++
			}
		}
		if pt.size > 0 {
			pats = append(pats, pt)
		}
	}
	slices.SortFunc(pats, func(a, b patternKey) int {
		if a.sum != b.sum {
			if a.sum < b.sum {
				return -1
			}
			return 1
		}
		return int(a.size - b.size)
	})
	for i, pt := range pats {
		if i == 0 || pt != pats[i-1] {
			d += pt.size
			k++
		}
	}
	pc.pats = pats
	return d, k
}

// enumerable reports whether popCoreCap may enumerate every set of g's
// output positions (popCapMaxWork).
func (g *convGeom) enumerable() bool {
	P := g.oh * g.ow
	if P > 24 {
		return false
	}
	work := 8 * g.ih * g.iw
	for p := range P {
		ky0, ky1, kx0, kx1 := g.window(p/g.ow, p%g.ow)
		work += (ky1 - ky0) * (kx1 - kx0)
	}
	return float64(work)*float64(uint64(1)<<P) <= popCapMaxWork
}

// disjointWindows returns the most output positions of g whose receptive
// fields (clipped to the input) are pairwise disjoint (g is enumerable).
func disjointWindows(g *convGeom) int {
	P := g.oh * g.ow
	type rect struct{ y0, y1, x0, x1 int }
	rs := make([]rect, P)
	for p := range P {
		oy, ox := p/g.ow, p%g.ow
		ky0, ky1, kx0, kx1 := g.window(oy, ox)
		rs[p] = rect{oy*g.sh - g.ph + ky0, oy*g.sh - g.ph + ky1, ox*g.sw - g.pw + kx0, ox*g.sw - g.pw + kx1}
	}
	clash := make([]uint32, P) // positions whose windows overlap p's
	for p := range P {
		for q := range P {
			a, c := rs[p], rs[q]
			if p != q && a.y0 < c.y1 && c.y0 < a.y1 && a.x0 < c.x1 && c.x0 < a.x1 {
				clash[p] |= 1 << q
			}
		}
	}
	best := 0
	for mask := uint32(1); mask < 1<<P; mask++ {
		ok := true
		for r := mask; r != 0 && ok; r &= r - 1 {
			ok = clash[bits.TrailingZeros32(r)]&mask == 0
		}
		if ok {
			best = max(best, bits.OnesCount32(mask))
		}
	}
	return best
}

// popReachRoutes returns Σ over the neurons of the source of conv layer
// next (the layer's input, CHW) of ⌈reach/cap⌉, reach the neurons of next
// whose receptive field holds the neuron's pixel: the fewest of next's
// cores, each holding at most cap neurons, that the source's spikes must
// reach (see above).
func popReachRoutes(next *ir.Layer, cap int) int64 {
	g := geomOf(next)
	var n int64
	for _, r := range g.layerFan() {
		n += ceilDiv(int64(r), int64(max(1, cap)))
	}
	return n * int64(g.ic)
}

// convReachRoutes is popReachRoutes for chain layer k, whose next layer is
// a conv layer: with the next layer's popCoreCap when it is stored with
// population axons, its compartments otherwise.
func (s *state) convReachRoutes(k int) int64 {
	next := &s.m.Layers[s.chain[k+1]]
	cap := s.t.Core.Neurons
	if s.popLayer(k + 1) {
		cap = s.popCap(k + 1)
	}
	return popReachRoutes(next, cap)
}

// popCap is popCoreCap of chain layer k, computed once per compilation.
func (s *state) popCap(k int) int {
	if s.coreCaps == nil {
		s.coreCaps = map[int]int{}
	}
	c, ok := s.coreCaps[k]
	if !ok {
		c = popCoreCap(&s.m.Layers[s.chain[k]], s.b, s.weightBits, s.t.Core)
		s.coreCaps[k] = c
	}
	return c
}
