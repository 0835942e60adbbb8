package compile

import (
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/targets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStaggerWindowCutOptimal: the dynamic programme of staggerWindowCut
// finds the cheapest cut of a window into w ranges that fit, against
// every such cut enumerated, on a small conv layer with a core of a few
// neurons and random reaches of its input pixels.
func TestStaggerWindowCutOptimal(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 19))
	l := convLayer(2, 8, 8, 4, 3, 1, 1, 1, func(int) float32 { return float32(rng.NormFloat64()) })
	g := geomOf(l)
	scan := newPopScan(l, loihi.Backend(), 8, false)
	const maxLen = 24 // compartments of the test's core
	sweep := func(start, end int, ok func(c int)) (int, string) {
		scan.reset(start)
		best := 0
		for c := 1; c <= min(maxLen, end-start); c++ {
			scan.add()
			if scan.axons <= 20 { // a small axon limit, so that many cuts do not fit
				best = c
				ok(c)
			}
		}
		return best, ""
	}
	sc := &sweepCache{scan: scan, sweep: sweep, recs: map[[2]int]*sweepRec{}}
	unit := g.ocg
	found := 0
	for trial := range 20 {
		reach := make([]int32, g.groups*g.ih*g.iw)
		for i := range reach {
			reach[i] = int32(rng.IntN(6))
		}
		tMilli := int64(1000 + rng.IntN(3000))
		cost := func(r int32) int64 { return max(tMilli, 1000*int64(r+1)) - max(tMilli, 1000*int64(r)) }
		s0 := unit * rng.IntN(8)
		w := 2 + rng.IntN(3)
		e0 := s0 + unit*(w*3+rng.IntN(w*2))
		// brute force: every cut of [s0, e0) into w ranges at multiples of unit
		want := int64(-1)
		var rec func(p, left int, acc int64)
		rec = func(p, left int, acc int64) {
			if left == 0 {
				if p == e0 && (want < 0 || acc < want) {
					want = acc
				}
				return
			}
			for c := unit; p+c <= e0; c += unit {
				keys := sc.touched(p, c)
				if keys == nil {
					continue // does not fit
				}
				var k int64
				for _, a := range keys {
					k += cost(reach[a])
				}
				rec(p+c, left-1, acc+k)
			}
		}
		rec(s0, w, 0)
		got := staggerWindowCut(s0, e0, w, unit, reach, cost, sc)
		if want < 0 {
			assert.Nil(t, got, "trial %d: no cut fits", trial)
			continue
		}
		require.NotNil(t, got, "trial %d", trial)
		found++
		assert.Equal(t, want, got.cost, "trial %d: [%d, %d) in %d ranges", trial, s0, e0, w)
		sum := 0
		for _, c := range got.sizes {
			sum += c
			assert.Zero(t, c%unit)
		}
		assert.Equal(t, e0-s0, sum)
	}
	assert.GreaterOrEqual(t, found, 10, "most windows have a cut that fits")
}

// TestDeepConvNetStagger: on Loihi the staggered conv3 cut
// (convstagger.go) takes the deep conv net of issue 19 from 87 to 86
// cores (conv2 38 → 37), and never costs cores; both compiles pass the
// verify pass (Check).
func TestDeepConvNetStagger(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 66k-neuron conv net twice (about 12 s of CPU)")
	}
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	cores := func(off bool) map[string]int {
		noStagger = off
		defer func() { noStagger = false }()
		res, err := Compile(deepConvNet(3), loihi, Options{PlaceIters: -1})
		require.NoError(t, err)
		c := map[string]int{"total": res.Report.Cores}
		for _, l := range res.Report.Layers {
			c[l.Name] = l.Cores
		}
		return c
	}
	off, on := cores(true), cores(false)
	t.Logf("without staggering %v, with %v", off, on)
	assert.Less(t, on["total"], off["total"])
	assert.Less(t, on["conv2"], off["conv2"])
	assert.Equal(t, off["conv3"], on["conv3"], "the staggered cut has as many cores")
}
