package compile

import (
	"slices"

	"github.com/snnc/snnc/ir"
)

// Route-balanced order of a conv layer whose input needs no synapses.
//
// A conv layer fed by the host's current (the first layer without graded
// input: fold.go, onChipInput) has no input axons and no synaptic memory,
// so the only per-core limits on it are the compartments and the output
// routes to the next conv layer's cores, and its mapping order is free.
// A neuron of such a layer routes to every core of the next conv layer
// holding a position whose window holds its pixel, and that number (its
// reach) varies across the pixels: with the next layer cut into classes
// of rows (convorder.go), a pixel of a centre row reaches every core of
// the next layer, one of an edge row few. In position-major order the
// high-reach pixels come in long runs, and a core over such a run runs
// out of routes with compartments to spare; a core over low-reach pixels
// fills its compartments with routes to spare. The cores the layer needs
// are at least ⌈Σ reach · slots / routes per core⌉ and
// ⌈neurons / compartments⌉; an order in which every range of positions
// has the layer's average mix of reaches gets close to the larger of the
// two when cut greedily.
//
// routeBalancedOrder builds such an order from the next layer's cut: the
// units are the layer's (group, output position)s, each with its output
// channels of the group together (ConvOrder's units, so the simulator's
// kernel keeps one vector per position); a unit's weight is the sum of
// its neurons' reaches. Units of equal weight form a class, in ConvOrder;
// unit i of a class of n gets the key (i + ½)/n, and the order takes the
// units by key (ties: the heavier class first), which spreads every class
// evenly along the order: the units up to key t hold within ½ of n·t of
// each class of n units, so a range between two keys holds its share of
// every class to within one unit. The next layer's cut does not
// depend on this order (its own order and cut decide which of its cores a
// pixel reaches), so the partition tries it as one more candidate of the
// source layer for every cut of the next layer it tries (partition.go,
// the joint choice), and keeps it only where it takes fewer cores.

// routeBalancedName names the route-balanced order in the mapping report.
const routeBalancedName = "route-balanced"

// routeBalanced reports whether chain layer k is a conv layer whose
// input needs no synapses and whose next layer is a conv layer (its
// output routes depend on which of its neurons share a core).
func (s *state) routeBalanced(k int) bool {
	l := &s.m.Layers[s.chain[k]]
	return l.Kind == ir.KindConv2D && !s.onChipInput(k) && k+1 < len(s.chain) &&
		s.m.Layers[s.chain[k+1]].Kind == ir.KindConv2D
}

// routeBalancedOrder returns the route-balanced mapping order (see above)
// of chain layer k when the next layer is cut into ranges of the given
// sizes of its mapping order.
func (s *state) routeBalancedOrder(k int, sizes []int) convOrderCandidate {
	l := &s.m.Layers[s.chain[k]]
	saved := l.MapOrder
	l.MapOrder = nil // convTargets then numbers the neurons in ConvOrder
	reach := make([]int64, l.NumOutputs())
	s.convTargets(k, sizes, func(n, _ int) { reach[n]++ })
	l.MapOrder = saved
	g := geomOf(l)
	g.order = nil
	units := len(reach) / g.ocg
	weight := make([]int64, units)
	for n, r := range reach {
		weight[n/g.ocg] += r
	}
	classSize := map[int64]int{}
	for _, w := range weight {
		classSize[w]++
	}
	type keyed struct {
		num, den int64 // key (i + ½)/n as (2i + 1)/(2n)
		w        int64
		unit     int
	}
	keys := make([]keyed, units)
	seen := map[int64]int{}
	for u, w := range weight {
		i := seen[w]
		seen[w]++
		keys[u] = keyed{num: int64(2*i + 1), den: int64(2 * classSize[w]), w: w, unit: u}
	}
	slices.SortStableFunc(keys, func(a, b keyed) int {
		if d := a.num*b.den - b.num*a.den; d != 0 {
			if d < 0 {
				return -1
			}
			return 1
		}
		switch {
		case a.w > b.w:
			return -1
		case a.w < b.w:
			return 1
		}
		return a.unit - b.unit
	})
	order := make([]int32, 0, len(reach))
	for _, kk := range keys {
		for n := kk.unit * g.ocg; n < (kk.unit+1)*g.ocg; n++ {
			order = append(order, int32(g.chw(n)))
		}
	}
	return convOrderCandidate{name: routeBalancedName, order: order, align: []int{1}}
}
