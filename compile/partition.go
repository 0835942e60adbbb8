package compile

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/snnc/snnc/ir"

	"github.com/snnc/snnc/targets"
)

// partition splits every layer into contiguous pieces of neurons, one per
// core, under all per-core limits at once:
//
//	compartments     count ≤ Core.Neurons
//	input axons      In ≤ Core.InputAxons (dense: every input drives every neuron;
//	                 recurrent dense: In + Out, the layer's own neurons too)
//	synaptic memory  axons·AxonSynapseBits(count) ≤ Core.SynapseBits
//	output routes    count·(cores of the next layer)·slots ≤ Core.OutputRoutes
//	                 (recurrent: + count·(cores of the layer itself))
//	                 (slots: 2 per pop32 axon, 1 per pop16 axon into a Loihi
//	                 conv layer, else 1; see convpop.go for the choice)
//	synapse formats  1 per core (one layer, one precision and exponent)
//
// The largest count satisfying them all gives the fewest pieces of the layer,
// which are then balanced. Output routes couple a layer to the next one's
// core count, so layers are partitioned from last to first; every layer uses
// as few cores as it can, which also loosens the previous layer's routes.
//
// The lower bound of a layer is the largest, over the limits, of
// ⌈need/have⌉ with need counted for the whole layer (synaptic memory at the
// target's MinAxonSynapseBits, output routes against the next layer's lower
// bound).
func partition(s *state) error {
	t, m := s.t, s.m
	n := len(s.chain)
	f := targets.SynapseFormat{WeightBits: s.weightBits}
	counts := make([]int, n)
	s.lower = make([]int, n)
	s.binding = make([]string, n)
	s.boundBy = make([]string, n)
	s.pop16 = make([]bool, n)
	s.orderName = make([]string, n)
	s.convAlign = make([][]int, n)
	convSizes := make([][]int, n)       // piece sizes of conv layers (see partitionConv)
	convRouteSums := make([][]int64, n) // exact output routes of a conv layer before a conv layer
	// part partitions chain layer k given the next layer's cut nx (its
	// count, lower bound and conv piece sizes), with the layer fed by pop16
	// axons if pop16 and its routes taking slots output-axon slots each.
	// limit > 0: a conv layer's cut of more than limit cores is of no use
	// to the caller and gives errCutLimit (cutRanges stops early).
	part := func(k int, pop16 bool, slots int64, nx layerPart, limit int) (layerPart, error) {
		li := s.chain[k]
		l := &m.Layers[li]
		out := l.NumOutputs()
		onChip := s.onChipInput(k)
		slotsLB := int64(s.routeSlotsLB(k))
		pNext, lbNext := 0, 0
		if k+1 < n {
			pNext, lbNext = nx.count, nx.lower
		}
		if l.Kind == ir.KindConv2D {
			var routes []int64
			if k+1 < n && nx.sizes != nil {
				routes = s.convRoutes(k, nx.sizes)
			}
			sizes, lb, why, err := s.partitionConv(k, l, pNext, lbNext, routes, pop16, slots, slotsLB, limit)
			if err != nil {
				return layerPart{}, err
			}
			return layerPart{count: len(sizes), lower: int(lb.cores), boundBy: lb.by, binding: why, sizes: sizes, routeSums: routes, pop16: pop16}, nil
		}
		// a recurrent layer's cores also take the layer's own neurons as
		// input axons, and its neurons route to every core of the layer
		axons := s.layerAxons(k)
		mem := func(c int) int64 {
			if !onChip {
				return 0
			}
			return denseAxonBits(s.b, l, axons, c, f, false) // delay.go
		}
		routes := func(c int) int64 {
			r := int64(pNext) * slots
			if s.isRecurrent(k) {
				r += ceilDiv(int64(out), int64(c))
			}
			return int64(c) * r
		}
		fail := func(c int) string {
			switch {
			case c > t.Core.Neurons:
				return "compartments"
			case mem(c) > t.Core.SynapseBits:
				return "synaptic memory"
			case routes(c) > int64(t.Core.OutputRoutes):
				return "output routes"
			}
			return ""
		}
		if why := fail(1); why != "" {
			e := &LimitError{Layer: li, LayerName: l.Name, Limit: why, Target: t.Name}
			switch why {
			case "synaptic memory":
				e.Need, e.Have, e.Unit = mem(1), t.Core.SynapseBits, "bits per neuron"
			case "output routes":
				e.Need, e.Have, e.Unit = routes(1), int64(t.Core.OutputRoutes), "output-axon slots per neuron"
			default:
				e.Need, e.Have, e.Unit = 1, int64(t.Core.Neurons), "compartments"
			}
			return layerPart{}, e
		}
		// largest c in [1, min(Neurons, out)] that fits (fail is monotone)
		lo, hi := 1, min(t.Core.Neurons, out)
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if fail(mid) == "" {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		r := layerPart{count: (out + lo - 1) / lo}
		switch {
		case lo == out:
			r.binding = "none (one core)"
		default:
			r.binding = fail(lo + 1)
		}
		// lower bound
		lb := newLowerBound(ceilDiv(int64(out), int64(t.Core.Neurons)))
		if onChip {
			lb.atLeast(ceilDiv(int64(axons), int64(t.Core.InputAxons)), "input axons")
			lb.atLeast(ceilDiv(denseAxonBits(s.b, l, axons, out, f, true), t.Core.SynapseBits), "synaptic memory")
		}
		own := int64(0) // a recurrent neuron routes to at least one core of its layer
		if s.isRecurrent(k) {
			own = 1
		}
		lb.atLeast(ceilDiv(int64(out)*(int64(lbNext)*slotsLB+own), int64(t.Core.OutputRoutes)), "output routes")
		r.lower, r.boundBy = int(lb.cores), lb.by
		return r, nil
	}
	// prevCores is the fewest cores chain layer k−1 takes over its own axon
	// kinds and, for a conv layer with population axons, its candidate
	// mapping orders (screened by screenOrders) when layer k is cut as r (0
	// for k = 0, -1 if it fits none). Choosing layer k's order against
	// the source's best order, not its current one, is the joint choice
	// over the pair: the source's routes depend on both orders (see
	// convorder.go). The source's order is left as it was; choose picks
	// it when its turn comes. limit > 0: the caller needs the fewest only
	// if below limit; else prevCores returns limit when that many or more.
	// Cuts that cannot beat the best so far stop early (errCutLimit).
	prevCores := func(k int, r layerPart, limit int) int {
		if k == 0 {
			return 0
		}
		src := &m.Layers[s.chain[k-1]]
		slots := int64(1)
		if s.popNext(k - 1) {
			slots = int64(popSlots(s.b, r.pop16))
		}
		kinds := []bool{false}
		if s.popLayer(k-1) && pop16Allowed(s.b, src) {
			kinds = append(kinds, true)
		}
		cands := []convOrderCandidate{{order: src.MapOrder, align: s.convAlign[k-1]}}
		if s.popLayer(k-1) && s.opts.ConvOrder == "" {
			cands = screenOrders(convOrderCandidates(src), false, func(c convOrderCandidate, most int) int {
				src.MapOrder, s.convAlign[k-1] = c.order, c.align
				s.quickCut = true
				defer func() { s.quickCut = false }()
				q, err := part(k-1, kinds[len(kinds)-1], slots, r, most)
				if errors.Is(err, errCutLimit) {
					return most + 1
				}
				if err != nil {
					return -1
				}
				return q.count
			})
		}
		if s.routeBalanced(k-1) && r.sizes != nil { // convbalance.go
			cands = append(cands, s.routeBalancedOrder(k-1, r.sizes))
		}
		saveOrder, saveAlign := src.MapOrder, s.convAlign[k-1]
		defer func() { src.MapOrder, s.convAlign[k-1] = saveOrder, saveAlign }()
		best, limited := -1, false
		for _, c := range cands {
			src.MapOrder, s.convAlign[k-1] = c.order, c.align
			for _, p16 := range kinds {
				most := limit - 1 // a cut of interest has at most most cores
				if best >= 0 && (most < 0 || best-1 < most) {
					most = best - 1
				}
				if most == 0 {
					limited = true
					continue
				}
				q, err := part(k-1, p16, slots, r, max(most, 0))
				if errors.Is(err, errCutLimit) {
					limited = true
				} else if err == nil && (best < 0 || q.count < best) {
					best = q.count
				}
			}
		}
		if best < 0 && limited {
			return limit
		}
		return best
	}
	// sourceLowerBound is a lower bound on the cores chain layer k−1 takes
	// when layer k (a conv layer) is cut as r: its compartments, and the
	// output routes its neurons need to r's cores (every core of layer
	// k−1 within the route limit).
	sourceLowerBound := func(k int, r layerPart) int {
		src := &m.Layers[s.chain[k-1]]
		lb := ceilDiv(int64(src.NumOutputs()), int64(t.Core.Neurons))
		if r.sizes != nil {
			slots := int64(1)
			if s.popNext(k - 1) {
				slots = int64(popSlots(s.b, r.pop16))
			}
			routes := s.convRoutes(k-1, r.sizes)
			lb = max(lb, ceilDiv(routes[len(routes)-1]*slots, int64(t.Core.OutputRoutes)))
		}
		return int(lb)
	}
	// choose cuts chain layer k for every candidate mapping order (a conv
	// layer with population axons, see convorder.go; else its own order)
	// and population axon kind (pop16 if allowed, see convpop.go) and
	// keeps the cut giving the fewest cores for the layer and its source
	// layer (the first candidate, pop32, on a tie); it leaves the chosen
	// order on the layer.
	choose := func(k int, slots int64, nx layerPart, alt []int) (layerPart, bool, error) {
		l := &m.Layers[s.chain[k]]
		pop := s.popLayer(k)
		cands := []convOrderCandidate{{}}
		if pop {
			cands = convOrderCandidates(l)
		}
		if s.opts.ConvOrder != "" && pop { // the named order only
			named := convOrderCandidate{name: "position-major"}
			for _, c := range convOrderCandidates(l) {
				if c.name == s.opts.ConvOrder {
					named = c
				}
			}
			cands = []convOrderCandidate{named}
		}
		if s.routeBalanced(k) && nx.sizes != nil { // convbalance.go
			cands = append(cands, s.routeBalancedOrder(k, nx.sizes))
		}
		kinds := []bool{false}
		if pop && pop16Allowed(s.b, l) {
			kinds = append(kinds, true)
		}
		type trial struct {
			c   convOrderCandidate
			p16 bool
		}
		var trials []trial
		for _, c := range cands {
			for _, p16 := range kinds {
				trials = append(trials, trial{c, p16})
			}
		}
		if len(cands) > 1 {
			// screen: a greedy cut of every candidate (s.quickCut), fed by
			// the last axon kind (pop16 where allowed: fewer output slots
			// for the source), plus the source's lower bound
			kept := screenOrders(cands, true, func(c convOrderCandidate, most int) int {
				l.MapOrder, s.convAlign[k] = c.order, c.align
				s.quickCut = true
				defer func() { s.quickCut = false }()
				r, err := part(k, kinds[len(kinds)-1], slots, nx, most)
				if errors.Is(err, errCutLimit) {
					return most + 1
				}
				if err != nil {
					return -1
				}
				if k > 0 {
					return r.count + sourceLowerBound(k, r)
				}
				return r.count
			})
			trials = trials[:0]
			for _, c := range kept {
				for _, p16 := range kinds {
					trials = append(trials, trial{c, p16})
				}
			}
		}
		var best layerPart
		var bestCand convOrderCandidate
		bestMiss, bestTotal := 2, 0 // bestMiss: 1 if the source fits no cut, 2 if no cut yet
		var firstErr error
		for _, tr := range trials {
			l.MapOrder, s.convAlign[k] = tr.c.order, tr.c.align
			limit := 0 // with a best cut, only fewer cores in all can win
			if bestMiss == 0 {
				limit = bestTotal - 1
				if limit < 1 {
					continue
				}
			}
			r, err := part(k, tr.p16, slots, nx, limit)
			if errors.Is(err, errCutLimit) {
				continue // cannot beat the best
			}
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			if bestMiss == 0 && k > 0 && r.count+sourceLowerBound(k, r) >= bestTotal {
				continue // cannot beat the best (a tie keeps the earlier)
			}
			miss, total := 0, r.count
			if len(trials) > 1 {
				prevLimit := 0
				if bestMiss == 0 {
					prevLimit = bestTotal - r.count
				}
				if pc := prevCores(k, r, prevLimit); pc < 0 {
					miss = 1
				} else {
					total += pc
				}
			}
			if miss < bestMiss || (miss == bestMiss && total < bestTotal) {
				best, bestCand, bestMiss, bestTotal = r, tr.c, miss, total
			}
		}
		l.MapOrder, s.convAlign[k] = bestCand.order, bestCand.align
		if bestMiss == 2 {
			return layerPart{}, false, firstErr
		}
		// alt, the next layer's staggered cut (convstagger.go), with this
		// layer in its chosen order and axon kind: kept if this layer and
		// its source then take fewer cores
		usedAlt := false
		if alt != nil && bestMiss == 0 {
			nxAlt := nx
			nxAlt.sizes = alt
			if r, err := part(k, best.pop16, slots, nxAlt, bestTotal); err == nil {
				total := r.count
				pc := 0
				if k > 0 && len(trials) > 1 {
					pc = prevCores(k, r, bestTotal-r.count)
				}
				if pc >= 0 {
					total += pc
				}
				if pc >= 0 && total < bestTotal {
					best, bestTotal, usedAlt = r, total, true
				}
			}
		}
		if l.Kind == ir.KindConv2D {
			s.orderName[k] = "position-major"
			if bestCand.order != nil {
				s.orderName[k] = bestCand.name
			}
		}
		if s.opts.ConvOrder != "" && pop && bestCand.order != nil {
			s.namedOrder = true
		}
		return best, usedAlt, nil
	}
	var next layerPart
	var alt []int // the staggered cut of chain layer k+1 (convstagger.go)
	for k := n - 1; k >= 0; k-- {
		r, usedAlt, err := choose(k, int64(s.routeSlots(k)), next, alt)
		if err != nil {
			return err
		}
		if usedAlt {
			convSizes[k+1] = alt
		}
		counts[k], s.lower[k], s.boundBy[k], s.binding[k], s.pop16[k] = r.count, r.lower, r.boundBy, r.binding, r.pop16
		convSizes[k], convRouteSums[k] = r.sizes, r.routeSums
		alt = nil
		if k > 0 && s.popLayer(k) && r.sizes != nil && s.opts.ConvOrder == "" && !noStagger {
			// eval: the source's cores when layer k is cut into sizes, the
			// source in position-major order (its first candidate) and
			// its last axon kind; math.MaxInt if not below limit > 0
			eval := func(sizes []int, limit int) int {
				src := &m.Layers[s.chain[k-1]]
				p16 := s.popLayer(k-1) && pop16Allowed(s.b, src)
				saveOrder, saveAlign := src.MapOrder, s.convAlign[k-1]
				src.MapOrder, s.convAlign[k-1] = nil, nil
				defer func() { src.MapOrder, s.convAlign[k-1] = saveOrder, saveAlign }()
				most := 0
				if limit > 0 {
					most = limit - 1
					if most == 0 {
						return math.MaxInt
					}
				}
				q, err := part(k-1, p16, int64(s.routeSlots(k-1)), layerPart{count: r.count, sizes: sizes, pop16: r.pop16}, most)
				if err != nil {
					return math.MaxInt
				}
				return q.count
			}
			alt = s.staggerCut(k, &m.Layers[s.chain[k]], r.sizes, next.count, r.routeSums, r.pop16, int64(s.routeSlots(k)), eval)
		}
		next = r
	}
	if o := s.opts.ConvOrder; o != "" && o != "position-major" && !s.namedOrder {
		var names []string
		for k := range s.chain {
			if s.popLayer(k) {
				for _, c := range convOrderCandidates(&m.Layers[s.chain[k]]) {
					if !slices.Contains(names, c.name) {
						names = append(names, c.name)
					}
				}
			}
		}
		return fmt.Errorf("compile: no conv layer on %s has a mapping order %q (the layers' orders: %s)", t.Name, o, strings.Join(names, "; "))
	}
	s.pieces = s.pieces[:0]
	s.layerPieces = make([][2]int, n)
	costs := newConvCosts(t, f)
	for k, li := range s.chain {
		l := &m.Layers[li]
		out := l.NumOutputs()
		P := counts[k]
		pNext := 0
		if k+1 < n {
			pNext = counts[k+1]
		}
		first := len(s.pieces)
		start := 0
		for p := 0; p < P; p++ {
			c := out / P
			if p < out%P {
				c++
			}
			if convSizes[k] != nil {
				c = convSizes[k][p]
			}
			pc := piece{chain: k, start: start, count: c, routes: c * pNext}
			if s.isRecurrent(k) {
				pc.routes += c * P // to every core of its own layer
			}
			if r := convRouteSums[k]; r != nil {
				pc.routes = int(r[start+c] - r[start])
			}
			if convSizes[k] != nil {
				if s.onChipInput(k) {
					pc.axons, pc.bits = costs.cost(l, start, c, s.pop16[k])
					if m.Quantized.Layers[li].BiasAxon() { // temporal.go
						pc.axons++
						pc.bits += s.b.AxonSynapseBits(c, f)
					}
				}
			} else if s.onChipInput(k) {
				pc.axons = s.layerAxons(k)
				pc.bits = denseAxonBits(s.b, l, pc.axons, c, f, false)
			}
			s.pieces = append(s.pieces, pc)
			start += c
		}
		s.layerPieces[k] = [2]int{first, len(s.pieces)}
		if start != out {
			panic(fmt.Sprintf("compile: partition of layer %d covers %d of %d neurons", li, start, out))
		}
	}
	return nil
}

// layerPart is the cut of one chain layer: its cores, lower bound and the
// limit that gives it, binding limit, conv piece sizes and exact route
// prefix sums (conv layer before a conv layer), and whether it is fed by
// pop16 axons.
type layerPart struct {
	count, lower     int
	boundBy, binding string
	sizes            []int
	routeSums        []int64
	pop16            bool
}

// lowerBound is a layer's lower bound on cores, the largest of
// ⌈need/have⌉ over the limits, and the limit that gives it (the first of
// equal ones).
type lowerBound struct {
	cores int64
	by    string
}

// newLowerBound starts a bound at the compartments' ⌈neurons/compartments⌉.
func newLowerBound(compartments int64) lowerBound {
	return lowerBound{cores: compartments, by: "compartments"}
}

// atLeast raises the bound to cores (from limit) if that is larger.
func (b *lowerBound) atLeast(cores int64, limit string) {
	if cores > b.cores {
		b.cores, b.by = cores, limit
	}
}

func ceilDiv(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

// screenOrders returns the candidate orders worth a full search: the
// first (position-major, always kept) and those whose screening estimate
// (a greedy cut; -1 if it fits nothing) is within orderScreenMargin cores
// of the best estimate (or, if quarter, a quarter of it if that is more),
// in the candidates' order. choose screens with the quarter; prevCores,
// which runs once per trial of the next layer, without.
//
// estimate(c, most) may return any value above most instead of its
// estimate when that is above most > 0: most is the largest estimate that
// can still be kept given the best so far (the margin only shrinks with
// the best), so the kept candidates are the same.
func screenOrders(cands []convOrderCandidate, quarter bool, estimate func(c convOrderCandidate, most int) int) []convOrderCandidate {
	marginOf := func(minEst int) int {
		if quarter {
			return max(orderScreenMargin, minEst/4)
		}
		return orderScreenMargin
	}
	est := make([]int, len(cands))
	minEst := -1
	for i, c := range cands {
		most := 0
		if minEst >= 0 {
			most = minEst + marginOf(minEst)
		}
		est[i] = estimate(c, most)
		if est[i] >= 0 && (minEst < 0 || est[i] < minEst) {
			minEst = est[i]
		}
	}
	margin := marginOf(minEst)
	var kept []convOrderCandidate
	for i, c := range cands {
		if i == 0 || (est[i] >= 0 && est[i] <= minEst+margin) {
			kept = append(kept, c)
		}
	}
	return kept
}
