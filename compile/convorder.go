package compile

import (
	"fmt"
	"slices"

	"github.com/snnc/snnc/ir"
)

// Mapping orders of conv layers (issue 19).
//
// A core holds a contiguous range of its layer's mapping order, so the
// order decides which neurons share a core, and with population axons
// (convpop.go) how many synapse lists they share. Position-major
// (ConvOrder) puts neighbouring positions together: their receptive
// fields overlap, which saves axons, but every pixel of a block is seen
// through a different set of taps, so a core stores many lists. Positions
// far apart (a strided class: y ≡ ry, x ≡ rx mod r) have disjoint or
// regularly overlapping windows: every pixel of the class's union is seen
// through the same few patterns, and the lists coincide. On the MNIST conv
// net's conv2 (pool folded, kernel 10, stride 2) the stride-4 classes give
// 8 cores where position-major gives 14 (BenchmarkConvPackings), and
// column-interleaved row classes with a channel split 6 (below).
//
// On a target with population axons (Capabilities.PopulationAxons) the
// compiler tries, for every conv layer with on-chip input, the candidate
// orders below and keeps the one giving the fewest cores for the layer
// plus its source layer (which pays the output routes to the layer's
// cores), both cut by partitionConv, the source in the best of its own
// candidate orders (a joint choice over the pair: on
// 28x28x1-32c3p1-32c3p1-p2-64c3p1-64c3s2p1-10 conv3 in channel blocks of
// 16 takes 16 cores where position-major takes 34, and conv2 38 where it
// took 28: 92 → 87 cores on Loihi; staggering conv3's cut across its
// channel blocks then takes conv2 to 37, convstagger.go); ties keep the earlier candidate, so
// position-major wins unless another order is strictly better. The chosen
// order is stored in the compiled model (ir.Layer.MapOrder; none for
// position-major) and read by every consumer: the costs (popScan), routes
// (convTargets), Check and the simulator. A conv layer fed by the host's
// current has no input synapses, so none of these matter for it: its
// candidate is the route-balanced order (convbalance.go).
//
// Candidates, each a sequence of the group's output positions taken for
// a block of b consecutive output channels of the group at a time
// (channel blocks outermost, then positions, then the b channels), group
// by group:
//
//   - position-major with channel blocks of OutC/G / 2 and / 4,
//   - strided position classes, r = 2 … 5: the positions with
//     (y mod r, x mod r) = (ry, rx), class by class, each in raster order
//     (blocks of all the group's channels and of half),
//   - strided row classes, r = 2 … 5: whole rows with y mod r = ry,
//   - square tiles of 2×2 and 4×4 positions, tile by tile,
//   - strided row classes with d = ⌈KH/SH⌉, column-interleaved: the rows
//     of a class are d apart, so no window holds two of them and their
//     lists coincide; taking the class's positions column by column (for
//     x, for y in the class) keeps both rows' lists in one block of
//     BaseLimit compartment bases (the index offset is part of a list's
//     identity, convpop.go), which raster order does not. Also with the
//     last OutC/G / 8 channels (at least one) split off, position-major
//     after the others: a class of all the channels may just not fit a
//     core where one of all but a few does, and the few left over, across
//     all positions, share lists as a channel block does. On the MNIST conv
//     net's conv2 (d = 5: classes of rows {0, 5}, {1, 6}, {2, 7}, {3},
//     {4}) the split by 4 gives 6 cores: the three pairs of rows × 28
//     channels (448 neurons, 1,008,000 bits with random weights, where 32 take
//     1,152,000 of a core's 1,048,576), rows 3 and 4 × 28 channels and
//     the last 4 channels at all 64 positions.

// orderScreenMargin is how many cores above the best screening estimate
// a candidate order may be and still get the full search (partition; a
// quarter of the estimate if that is more).
const orderScreenMargin = 2

// convOrderCandidate is a candidate mapping order of a conv layer: order
// is the CHW index at each mapping position (nil: ConvOrder), align the
// range lengths cutRanges favours (multiples of a position's channels
// and of a row of the order's units).
type convOrderCandidate struct {
	name  string
	order []int32
	align []int
}

// convOrderCandidates returns the candidate orders of conv layer l,
// position-major (ConvOrder, order nil) first.
func convOrderCandidates(l *ir.Layer) []convOrderCandidate {
	g := geomOf(l)
	g.order = nil
	P := g.oh * g.ow
	cands := []convOrderCandidate{{name: "position-major", align: []int{1, g.ocg, g.ocg * g.ow}}}
	// add adds the candidate taking, group by group, the first ocg − tail
	// channels in blocks of block by pos, then the last tail channels
	// position-major (raster positions, all tail channels of a position
	// together).
	add := func(name string, pos []int, block, row, tail int) {
		head := g.ocg - tail
		if block < 1 || head < block || head%block != 0 || tail < 0 || len(pos) != P {
			return
		}
		order := make([]int32, 0, g.oc*P)
		for gi := range g.groups {
			for cb := 0; cb < head; cb += block {
				for _, p := range pos {
					for c := cb; c < cb+block; c++ {
						order = append(order, int32((gi*g.ocg+c)*P+p))
					}
				}
			}
			for p := range P {
				for c := head; c < g.ocg; c++ {
					order = append(order, int32((gi*g.ocg+c)*P+p))
				}
			}
		}
		if block == g.ocg && slices.Equal(order, ConvOrder(l)) {
			return
		}
		for _, c := range cands {
			if slices.Equal(c.order, order) {
				return
			}
		}
		cands = append(cands, convOrderCandidate{name: name, order: order, align: []int{1, block, block * max(1, row)}})
	}
	raster := make([]int, P)
	for p := range raster {
		raster[p] = p
	}
	for _, d := range []int{2, 4} {
		if g.ocg%d == 0 && g.ocg/d > 1 {
			add(fmt.Sprintf("position-major, channel blocks of %d", g.ocg/d), raster, g.ocg/d, g.ow, 0)
		}
	}
	for r := 2; r <= 5; r++ {
		if r >= g.oh && r >= g.ow {
			break
		}
		var pos []int
		for ry := range r {
			for rx := range r {
				for y := ry; y < g.oh; y += r {
					for x := rx; x < g.ow; x += r {
						pos = append(pos, y*g.ow+x)
					}
				}
			}
		}
		row := (g.ow + r - 1) / r
		add(fmt.Sprintf("stride-%d position classes", r), pos, g.ocg, row, 0)
		if g.ocg%2 == 0 && g.ocg > 1 {
			add(fmt.Sprintf("stride-%d position classes, channel blocks of %d", r, g.ocg/2), pos, g.ocg/2, row, 0)
		}
	}
	for r := 2; r <= 5 && r < g.oh; r++ {
		var pos []int
		for ry := range r {
			for y := ry; y < g.oh; y += r {
				for x := range g.ow {
					pos = append(pos, y*g.ow+x)
				}
			}
		}
		add(fmt.Sprintf("stride-%d row classes", r), pos, g.ocg, g.ow, 0)
	}
	for _, ts := range []int{2, 4} {
		if ts >= g.oh && ts >= g.ow {
			continue
		}
		var pos []int
		for ty := 0; ty < g.oh; ty += ts {
			for tx := 0; tx < g.ow; tx += ts {
				for y := ty; y < min(g.oh, ty+ts); y++ {
					for x := tx; x < min(g.ow, tx+ts); x++ {
						pos = append(pos, y*g.ow+x)
					}
				}
			}
		}
		add(fmt.Sprintf("%d×%d tiles", ts, ts), pos, g.ocg, ts*ts, 0)
	}
	// rows d = ⌈KH/SH⌉ apart read disjoint input rows: interleaving them
	// column by column keeps the lists of a class's rows, which coincide,
	// in one block of compartment bases
	if d := ceilDivInt(g.kh, g.sh); d >= 2 && d < g.oh {
		var pos []int
		for ry := range d {
			for x := range g.ow {
				for y := ry; y < g.oh; y += d {
					pos = append(pos, y*g.ow+x)
				}
			}
		}
		name := fmt.Sprintf("stride-%d row classes, column-interleaved", d)
		add(name, pos, g.ocg, g.ow, 0)
		if tail := max(1, g.ocg/8); g.ocg > 1 {
			last := fmt.Sprintf("last %d channels", tail)
			if tail == 1 {
				last = "last channel"
			}
			add(fmt.Sprintf("%s, %s position-major", name, last), pos, g.ocg-tail, g.ow, tail)
		}
	}
	return cands
}

// ConvOrderNames lists the names of conv layer l's candidate mapping
// orders (Options.ConvOrder), position-major first.
func ConvOrderNames(l *ir.Layer) []string {
	var names []string
	for _, c := range convOrderCandidates(l) {
		names = append(names, c.name)
	}
	return names
}

// ConvOrderName names the mapping order of conv layer l: "position-major"
// without an order of its own, the name of the candidate it equals (see
// above), "position permutation" for an order that keeps each position's
// channels of a group together in channel order (the route-balanced order
// of a layer fed by the host's current, convbalance.go, which depends on
// the next layer's cut and so cannot be named from the layer alone), else
// "permutation".
func ConvOrderName(l *ir.Layer) string {
	if len(l.MapOrder) == 0 {
		return "position-major"
	}
	if l.Kind != ir.KindConv2D || len(l.OutShape) != 3 || len(l.InShape) != 3 {
		return "permutation"
	}
	for _, c := range convOrderCandidates(l) {
		if c.order != nil && slices.Equal(c.order, l.MapOrder) {
			return c.name
		}
	}
	if slices.Equal(ConvOrder(l), l.MapOrder) {
		return "position-major"
	}
	if positionPermutation(l) {
		return "position permutation"
	}
	return "permutation"
}

// positionPermutation reports whether conv layer l's MapOrder takes the
// (group, position) units of ConvOrder whole and in channel order, in any
// order of the units.
func positionPermutation(l *ir.Layer) bool {
	g := geomOf(l)
	if len(l.MapOrder) != g.oc*g.oh*g.ow {
		return false
	}
	for b := 0; b < len(l.MapOrder); b += g.ocg {
		first := g.canon(b)
		if first%g.ocg != 0 {
			return false
		}
		for c := 1; c < g.ocg; c++ {
			if g.canon(b+c) != first+c {
				return false
			}
		}
	}
	return true
}
