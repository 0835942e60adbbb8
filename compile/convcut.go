package compile

import (
	"errors"
	"slices"
)

// Cutting a conv layer into ranges of its mapping order.
//
// On Loihi the synaptic memory of a range is not monotone in its length
// (see convpop.go: a list that grows into a copy of another stops costing),
// so the longest range from each start (greedy) is not always the fewest
// ranges: a shorter range can end where the next one shares more lists,
// at the start of a row of output positions, say. cutRanges searches
// breadth first: level k holds the ends that k ranges reach, and the next
// level the new ends one more range reaches from them. Keeping every end
// finds the optimum over contiguous ranges but sweeps from every neuron
// (94 s of CPU for 28x28x1-32c3p1-32c3p1-p2-64c3p1-64c3s2p1-10); the
// search keeps, per level, the furthest new end, the furthest at a
// position boundary (a multiple of the group's channels) and the furthest
// at a row boundary (a multiple of a row's neurons), beam of each. That
// takes the net above from 110 to 98 cores on Loihi (the exact search
// over contiguous ranges of its untrained model: conv2 28, conv3 32, conv4
// 12 cores, as here).
// Among cuts of as many ranges the search keeps the one whose ranges end
// at the coarsest alignments (position, then row boundaries): a range
// that splits a position's channels makes every source neuron in the
// position's window route to both cores (on the MNIST conv net's conv2,
// 6 cores either way, the aligned cut lets conv1 fit 10 cores, not 11).
// Layers of at most convCutExact neurons are searched exactly, which
// TestConvLowerBoundExhaustive checks against the exhaustive optimum over
// contiguous ranges.

// convCutBeam is the ends cutRanges keeps per level and alignment for conv
// layers with population axons, and convCutExact the size of layer up to
// which it keeps every end.
const (
	convCutBeam  = 1
	convCutExact = 64
)

// cutError is a start from which not even one neuron fits a core.
type cutError struct{ why string }

func (e *cutError) Error() string { return "compile: a single neuron does not fit a core: " + e.why }

// errCutLimit: cutRanges stopped because the layer needs more ranges than
// its limit (the caller needs only cuts below a count it already has).
var errCutLimit = errors.New("compile: the cut needs more ranges than its limit")

// cutRanges cuts neurons [0, out) into the fewest contiguous ranges it
// finds (see above), keeping per level, for each a in align, the beam
// furthest new ends that are multiples of a (align holds 1, so the
// furthest end reached is always kept and every level reaches new ends). sweep(start, ok) calls ok(c) for every length c of a
// range from start that fits a core and returns the longest and the limit
// the next longer range breaks ("" at the end of the layer). It returns
// the range lengths and, per limit, how many of the ranges it stops (the
// longest range from their start breaks it). With limit > 0 it returns
// errCutLimit as soon as limit ranges do not reach the end (the search
// is the same, only cut short: a cut it returns is the one it returns
// without a limit).
func cutRanges(out, beam, limit int, align []int, sweep func(start int, ok func(c int)) (int, string)) ([]int, map[string]int, error) {
	parent := make([]int32, out+1) // the start of the last range to each reached end
	for i := range parent {
		parent[i] = -1
	}
	why := make([]string, out+1) // per swept start: the limit its longest range stops at
	level := []int{0}
	parent[0] = 0
	var ends []int
	for ranges := 0; parent[out] < 0; ranges++ {
		if limit > 0 && ranges == limit {
			return nil, nil, errCutLimit
		}
		if len(level) == 0 {
			return nil, nil, &cutError{why: "no range reaches the end"}
		}
		ends = ends[:0]
		// an end reached from several starts keeps the first swept:
		// sweep the starts at the coarsest alignment first, so that among
		// cuts of as many ranges the one ending ranges at position and
		// row boundaries is kept (a range that splits a position makes
		// every source neuron of its window route to both cores)
		slices.SortStableFunc(level, func(x, y int) int { return alignRank(align, y) - alignRank(align, x) })
		for _, s := range level {
			c, w := sweep(s, func(c int) {
				if e := s + c; parent[e] < 0 {
					parent[e] = int32(s)
					ends = append(ends, e)
				}
			})
			if c == 0 {
				return nil, nil, &cutError{why: w}
			}
			why[s] = w
		}
		slices.Sort(ends)
		level = level[:0]
		for _, a := range align {
			kept := 0
			for i := len(ends) - 1; i >= 0 && kept < beam; i-- {
				if e := ends[i]; e%a == 0 {
					if !slices.Contains(level, e) {
						level = append(level, e)
					}
					kept++
				}
			}
		}
	}
	var sizes []int
	counted := map[string]int{}
	for e := out; e > 0; {
		s := int(parent[e])
		sizes = append(sizes, e-s)
		if why[s] != "" {
			counted[why[s]]++
		}
		e = s
	}
	slices.Reverse(sizes)
	return sizes, counted, nil
}

// alignRank is the number of alignments in align that e is a multiple of.
func alignRank(align []int, e int) int {
	n := 0
	for _, a := range align {
		if e%a == 0 {
			n++
		}
	}
	return n
}
