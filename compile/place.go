package compile

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/snnc/snnc/ir"
)

// place assigns every piece to a core (chip, x, y), minimising the spike
// traffic × hops between pieces:
//
//	cost = Σ_{a→b} rate(a)·count(a)·hops(a, b)
//
// over all pairs of pieces of consecutive layers (dense layers connect every
// piece of a layer to every piece of the next), with rate the layer's
// expected spikes per neuron per step (Options.FiringRates, else 1). It
// uses as few chips as hold the pieces (Options.Chips caps them).
//
// The start is greedy: pieces in layer order along a serpentine path over
// the tiles, so consecutive layers sit side by side. Simulated annealing then
// moves a piece to another core or swaps two pieces (a seeded PCG makes it
// deterministic), mixing local moves (within a few tiles) with global ones,
// and the better of the start and the annealed placement is kept.
func place(s *state) error { return placePieces(s, newAdjacency) }

// placeSplitter is the place pass on the splitter plan: the traffic
// between pieces is the plan's links (see tnAdjacency).
func placeSplitter(s *state) error { return placePieces(s, (*state).tnAdjacency) }

// placePieces places s.pieces with the traffic adjacency(s) between them.
func placePieces(s *state, adjacency func(*state) *adjacency) error {
	t := s.t
	N := len(s.pieces)
	perChip := t.Chip.Cores
	chips := int((int64(N) + int64(perChip) - 1) / int64(perChip))
	capChips := t.Chip.MaxChips
	if s.opts.Chips > 0 {
		capChips = min(s.opts.Chips, capChips)
	}
	if chips > capChips {
		return &LimitError{Layer: -1, Limit: "chips", Need: int64(chips), Have: int64(capChips), Unit: "chips", Target: t.Name,
			Detail: fmt.Sprintf("chips: the model needs %d cores (lower bound %d), %d chips of %d cores, but at most %d chips are allowed",
				N, sum(s.lower), chips, perChip, capChips)}
	}
	s.chips = chips
	g := newGeometry(s, chips)
	adj := adjacency(s)

	// greedy start
	order := g.serpentine()
	slot := make([]int32, N)
	occ := make([]int32, len(g.chip))
	for i := range occ {
		occ[i] = -1
	}
	for p := 0; p < N; p++ {
		slot[p] = int32(order[p])
		occ[order[p]] = int32(p)
	}
	s.greedyCost = adj.cost(g, slot)
	best := append([]int32(nil), slot...)
	bestCost := s.greedyCost

	iters := s.opts.PlaceIters
	if iters == 0 {
		iters = min(400_000, max(20_000, 300*N))
	}
	if iters > 0 && N > 1 {
		rng := rand.New(rand.NewPCG(s.opts.Seed, 0x9e3779b97f4a7c15))
		anneal(g, adj, slot, occ, iters, rng)
		if c := adj.cost(g, slot); c < bestCost {
			best, bestCost = slot, c
		}
	}
	s.placeCost = bestCost
	s.slot = make([]int, N)
	cores := make([]ir.Core, N)
	for p := range s.pieces {
		pc := &s.pieces[p]
		sl := int(best[p])
		s.slot[p] = sl
		cores[p] = ir.Core{Chip: int(g.chip[sl]), X: int(g.x[sl]), Y: int(g.y[sl]), Layer: s.chain[pc.chain],
			NeuronStart: pc.start, NeuronCount: pc.count, InputAxons: pc.axons, SynapseBits: pc.bits, OutputRoutes: pc.routes}
	}
	s.m.Mapping = &ir.Mapping{Target: t.Name, Chips: chips, MeshWidth: t.Chip.MeshWidth, MeshHeight: t.Chip.MeshHeight,
		Cores: cores, LowerBoundCores: sum(s.lower)}
	return nil
}

// geometry holds the coordinates of every core slot of the chips.
type geometry struct {
	chip, x, y, tx, ty []int16
	chipHops           int
	w, h, tw, th       int
}

func newGeometry(s *state, chips int) *geometry {
	c := s.t.Chip
	n := chips * c.Cores
	g := &geometry{chip: make([]int16, n), x: make([]int16, n), y: make([]int16, n), tx: make([]int16, n), ty: make([]int16, n),
		chipHops: c.ChipHops, w: c.MeshWidth, h: c.MeshHeight, tw: max(1, c.TileWidth), th: max(1, c.TileHeight)}
	for sl := 0; sl < n; sl++ {
		ch, r := sl/c.Cores, sl%c.Cores
		x, y := r%c.MeshWidth, r/c.MeshWidth
		g.chip[sl], g.x[sl], g.y[sl] = int16(ch), int16(x), int16(y)
		g.tx[sl], g.ty[sl] = int16(x/g.tw), int16(y/g.th)
	}
	return g
}

func (g *geometry) slotOf(chip, x, y int) int { return chip*g.w*g.h + y*g.w + x }

// hops is targets.Target.Hops on slots.
func (g *geometry) hops(a, b int32) int {
	d := abs(int(g.tx[a])-int(g.tx[b])) + abs(int(g.ty[a])-int(g.ty[b]))
	if g.chip[a] != g.chip[b] {
		d += g.chipHops * abs(int(g.chip[a])-int(g.chip[b]))
	}
	return d
}

// serpentine lists all slots along a path that visits tile columns in
// turn, going down one column and up the next, the cores of a tile
// together, chip after chip.
func (g *geometry) serpentine() []int {
	var order []int
	chips := len(g.chip) / (g.w * g.h)
	tcols, trows := g.w/g.tw, g.h/g.th
	for ch := 0; ch < chips; ch++ {
		for tc := 0; tc < tcols; tc++ {
			for r := 0; r < trows; r++ {
				tr := r
				if tc%2 == 1 {
					tr = trows - 1 - r
				}
				for dy := 0; dy < g.th; dy++ {
					for dx := 0; dx < g.tw; dx++ {
						order = append(order, g.slotOf(ch, tc*g.tw+dx, tr*g.th+dy))
					}
				}
			}
		}
	}
	return order
}

// adjacency is the traffic graph between pieces in CSR form (both
// directions, so a piece sees all its edges).
type adjacency struct {
	start []int32
	to    []int32
	w     []float32
}

func newAdjacency(s *state) *adjacency {
	N := len(s.pieces)
	deg := make([]int32, N+1)
	edges := make([][]edge, len(s.chain))
	for k := 0; k < len(s.chain); k++ {
		if k+1 < len(s.chain) {
			edges[k] = s.layerEdges(k)
		}
		for _, e := range s.recurrentEdges(k) {
			if e.p != e.q { // a piece's routes to itself cost no hops
				edges[k] = append(edges[k], e)
			}
		}
		for _, e := range edges[k] {
			deg[e.p]++
			deg[e.q]++
		}
	}
	adj := &adjacency{start: make([]int32, N+1)}
	for p := 0; p < N; p++ {
		adj.start[p+1] = adj.start[p] + deg[p]
	}
	total := adj.start[N]
	adj.to = make([]int32, total)
	adj.w = make([]float32, total)
	fill := append([]int32(nil), adj.start[:N]...)
	for k := 0; k < len(s.chain); k++ {
		rate := s.rate(k)
		for _, e := range edges[k] {
			w := float32(rate * float64(e.axons))
			p, q := e.p, e.q
			adj.to[fill[p]], adj.w[fill[p]] = int32(q), w
			fill[p]++
			adj.to[fill[q]], adj.w[fill[q]] = int32(p), w
			fill[q]++
		}
	}
	return adj
}

// rate is the expected spikes per neuron per step of chain layer k.
func (s *state) rate(k int) float64 {
	li := s.chain[k]
	if li < len(s.opts.FiringRates) && s.opts.FiringRates[li] >= 0 {
		return s.opts.FiringRates[li]
	}
	return 1
}

func (adj *adjacency) cost(g *geometry, slot []int32) float64 {
	var c float64
	for p := range slot {
		for e := adj.start[p]; e < adj.start[p+1]; e++ {
			if q := adj.to[e]; int(q) > p {
				c += float64(adj.w[e]) * float64(g.hops(slot[p], slot[q]))
			}
		}
	}
	return c
}

// delta is the cost change of moving piece p to slot to (whose occupant q,
// or -1, moves to p's slot).
func (adj *adjacency) delta(g *geometry, slot []int32, p, q int32, to int32) float64 {
	from := slot[p]
	var d float64
	for e := adj.start[p]; e < adj.start[p+1]; e++ {
		o := adj.to[e]
		if o == q {
			continue
		}
		so := slot[o]
		d += float64(adj.w[e]) * float64(g.hops(to, so)-g.hops(from, so))
	}
	if q >= 0 {
		for e := adj.start[q]; e < adj.start[q+1]; e++ {
			o := adj.to[e]
			if o == p {
				continue
			}
			so := slot[o]
			d += float64(adj.w[e]) * float64(g.hops(from, so)-g.hops(to, so))
		}
	}
	return d
}

// anneal improves slot/occ in place by simulated annealing.
func anneal(g *geometry, adj *adjacency, slot, occ []int32, iters int, rng *rand.Rand) {
	N, S := len(slot), len(occ)
	propose := func(local bool) (int32, int32, int32) {
		p := int32(rng.IntN(N))
		var to int32
		if local {
			from := slot[p]
			x := int(g.x[from]) + rng.IntN(5*g.tw) - 2*g.tw
			y := int(g.y[from]) + rng.IntN(5*g.th) - 2*g.th
			x = max(0, min(g.w-1, x))
			y = max(0, min(g.h-1, y))
			to = int32(g.slotOf(int(g.chip[from]), x, y))
		} else {
			to = int32(rng.IntN(S))
		}
		return p, occ[to], to
	}
	// initial temperature: mean uphill step of random proposals
	var up float64
	nup := 0
	for i := 0; i < 200; i++ {
		p, q, to := propose(i%2 == 0)
		if d := adj.delta(g, slot, p, q, to); d > 0 {
			up += d
			nup++
		}
	}
	if nup == 0 {
		return
	}
	t0 := up / float64(nup)
	tEnd := t0 * 1e-4
	for i := 0; i < iters; i++ {
		temp := t0 * math.Pow(tEnd/t0, float64(i)/float64(iters))
		p, q, to := propose(rng.IntN(2) == 0)
		from := slot[p]
		if to == from {
			continue
		}
		d := adj.delta(g, slot, p, q, to)
		if d <= 0 || rng.Float64() < math.Exp(-d/temp) {
			slot[p], occ[to] = to, p
			occ[from] = q
			if q >= 0 {
				slot[q] = from
			}
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
