package compile

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestScreenOrders: screenOrders keeps the first candidate whatever its
// estimate, drops candidates that fit nothing (-1), keeps those within
// orderScreenMargin cores of the best estimate and, with quarter, within
// a quarter of it if that is more, in the candidates' order.
func TestScreenOrders(t *testing.T) {
	names := func(cs []convOrderCandidate) []string {
		var n []string
		for _, c := range cs {
			n = append(n, c.name)
		}
		return n
	}
	est := map[string]int{"first": 60, "best": 40, "near": 40 + orderScreenMargin, "far": 40 + orderScreenMargin + 1, "quarter": 50, "none": -1}
	cands := []convOrderCandidate{{name: "first"}, {name: "far"}, {name: "best"}, {name: "none"}, {name: "near"}, {name: "quarter"}}
	estimate := func(c convOrderCandidate, _ int) int { return est[c.name] }
	// cut short: anything above most instead of an estimate above it
	// (also for those that fit nothing) keeps the same candidates
	limited := func(c convOrderCandidate, most int) int {
		if most > 0 && (est[c.name] > most || est[c.name] < 0) {
			return most + 1
		}
		return est[c.name]
	}
	for _, e := range []func(convOrderCandidate, int) int{estimate, limited} {
		est["first"] = 60
		assert.Equal(t, []string{"first", "best", "near"}, names(screenOrders(cands, false, e)))
		assert.Equal(t, []string{"first", "far", "best", "near", "quarter"}, names(screenOrders(cands, true, e)))
		est["first"] = -1
		assert.Equal(t, []string{"first", "best", "near"}, names(screenOrders(cands, false, e)), "the first is kept even if it fits nothing")
	}
}

// TestConvOrderNamePositionPermutation: an order taking ConvOrder's
// (group, position) units whole, in a shuffled order of the units, is a
// "position permutation"; swapping two channels inside a unit, or a unit
// split across two places, makes it a plain "permutation".
func TestConvOrderNamePositionPermutation(t *testing.T) {
	l := convLayer(2, 6, 6, 4, 3, 1, 0, 2, func(i int) float32 { return float32(i%7) - 3 })
	base := ConvOrder(l)
	ocg := 2 // 4 output channels in 2 groups
	units := len(base) / ocg
	rng := rand.New(rand.NewPCG(4, 9))
	perm := rng.Perm(units)
	shuffled := make([]int32, 0, len(base))
	for _, u := range perm {
		shuffled = append(shuffled, base[u*ocg:(u+1)*ocg]...)
	}
	l.MapOrder = shuffled
	assert.Equal(t, "position permutation", ConvOrderName(l))
	swapped := slices.Clone(shuffled)
	swapped[0], swapped[1] = swapped[1], swapped[0]
	l.MapOrder = swapped
	assert.Equal(t, "permutation", ConvOrderName(l))
	split := slices.Clone(shuffled)
	split[1], split[2] = split[2], split[1]
	l.MapOrder = split
	assert.Equal(t, "permutation", ConvOrderName(l))
}
