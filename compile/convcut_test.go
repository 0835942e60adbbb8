package compile

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCutRanges: on random tables of which range lengths fit from each
// start (not monotone: lengths that fit with gaps between them, as
// synaptic memory gives), cutRanges keeping every end finds the fewest
// ranges a dynamic program over all cuts finds, with beam 1 it is the
// greedy cut (the longest from each start), and its cuts use only lengths
// that fit.
func TestCutRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	greedyWorse := 0
	for i := range 300 {
		out := 1 + rng.IntN(40)
		maxLen := 1 + rng.IntN(8)
		fit := make([][]bool, out) // fit[s][c]: [s, s+c) fits
		for s := range fit {
			fit[s] = make([]bool, maxLen+1)
			fit[s][1] = true
			for c := 2; c <= min(maxLen, out-s); c++ {
				fit[s][c] = rng.IntN(3) > 0
			}
		}
		sweep := func(s int, ok func(int)) (int, string) {
			best := 0
			for c := 1; c <= min(maxLen, out-s); c++ {
				if fit[s][c] {
					best = c
					ok(c)
				}
			}
			return best, "memory"
		}
		const none = 1 << 30
		opt := make([]int, out+1)
		for j := 1; j <= out; j++ {
			opt[j] = none
			for c := 1; c <= min(j, maxLen); c++ {
				if fit[j-c][c] && opt[j-c] != none {
					opt[j] = min(opt[j], opt[j-c]+1)
				}
			}
		}
		greedy := 0
		for s := 0; s < out; greedy++ {
			c, _ := sweep(s, func(int) {})
			s += c
		}
		check := func(sizes []int) {
			s := 0
			for _, c := range sizes {
				require.True(t, fit[s][c], "case %d: [%d, %d) does not fit", i, s, s+c)
				s += c
			}
			require.Equal(t, out, s, "case %d", i)
		}
		exact, counted, err := cutRanges(out, out, 0, []int{1}, sweep)
		require.NoError(t, err)
		check(exact)
		assert.Equal(t, opt[out], len(exact), "case %d: exact search", i)
		n := 0
		for _, c := range counted {
			n += c
		}
		assert.LessOrEqual(t, n, len(exact), "case %d: binding limits counted once per range", i)
		g, _, err := cutRanges(out, 1, 0, []int{1}, sweep)
		require.NoError(t, err)
		check(g)
		assert.Equal(t, greedy, len(g), "case %d: beam 1 is greedy", i)
		aligned, _, err := cutRanges(out, 1, 0, []int{1, 2, 4}, sweep)
		require.NoError(t, err)
		check(aligned)
		assert.LessOrEqual(t, opt[out], len(aligned), "case %d", i)
		// a limit cuts the search short, never changes the cut
		atLimit, _, err := cutRanges(out, 1, len(aligned), []int{1, 2, 4}, sweep)
		require.NoError(t, err, "case %d: limit = ranges", i)
		assert.Equal(t, aligned, atLimit, "case %d: limit = ranges", i)
		_, _, err = cutRanges(out, 1, len(aligned)-1, []int{1, 2, 4}, sweep)
		if len(aligned) > 1 {
			assert.ErrorIs(t, err, errCutLimit, "case %d: limit = ranges − 1", i)
		}
		if greedy > opt[out] {
			greedyWorse++
		}
	}
	assert.Positive(t, greedyWorse, "the tables must include cases the greedy cut loses")
	t.Logf("greedy takes more ranges than the optimum in %d of 300 tables", greedyWorse)
}

// TestCutRangesRefusesAnUnfittableNeuron: a start from which no length
// fits is an error naming the limit.
func TestCutRangesRefusesAnUnfittableNeuron(t *testing.T) {
	_, _, err := cutRanges(3, 3, 0, []int{1}, func(s int, ok func(int)) (int, string) {
		if s == 1 {
			return 0, "input axons"
		}
		ok(1)
		return 1, "compartments"
	})
	var ce *cutError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "input axons", ce.why)
}
