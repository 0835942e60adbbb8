package compile

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

// The MNIST conv net's conv2 with pool1 folded (16×24×24 → 32×8×8, kernel
// 10, stride 2, each weight repeated over a 2×2 block) and the same layer
// unfolded (16×12×12 → 32×8×8, kernel 5): input pixels 2k and 2k+1 see the
// same positions through taps that share a column, so both give every set
// of output positions the same D (minPatternSums) — the 8×8-grid, 5×5-window
// problem that popCoreCap cannot enumerate.
func mnistConv2Pair(rng *rand.Rand) (folded, plain *convGeom, foldedLabel, plainLabel []int32) {
	f, w5 := mnistPooledConv2(rng)
	p := convLayer(16, 12, 12, 32, 5, 1, 0, 1, func(i int) float32 { return w5[i] })
	label := func(g *convGeom, l0 []int32) []int32 { // output channel 0's taps, relabelled
		kk := g.kh * g.kw
		ids := map[int32]int32{}
		lab := make([]int32, kk)
		for t := range kk {
			id, ok := ids[l0[t]]
			if !ok {
				id = int32(len(ids))
				ids[l0[t]] = id
			}
			lab[t] = id
		}
		return lab
	}
	gf, gp := geomOf(f), geomOf(p)
	return &gf, &gp, label(&gf, popColumns(f, &gf)), label(&gp, popColumns(p, &gp))
}

// mnistPooledConv2 is the MNIST conv net's conv2 with pool1 folded, random
// weights w5 (32×16×5×5) repeated over 2×2 blocks and divided by 4.
func mnistPooledConv2(rng *rand.Rand) (folded *ir.Layer, w5 []float32) {
	w5 = make([]float32, 32*16*25)
	for i := range w5 {
		w5[i] = float32(rng.NormFloat64() / 20)
	}
	return convLayer(16, 24, 24, 32, 10, 2, 0, 1, func(i int) float32 {
		x, y, oc := i%10, i/10%10, i/100
		return w5[(oc*5+y/2)*5+x/2] / 4
	}), w5
}

// TestPatternSumPoolFolded checks the reduction above on random sets.
func TestPatternSumPoolFolded(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 17))
	gf, gp, lf, lp := mnistConv2Pair(rng)
	require.Equal(t, 25, int(slicesMax(lf))+1, "pool-folded kernel: 25 distinct columns per channel")
	cf, cp := newPatternCounter(gf, lf), newPatternCounter(gp, lp)
	for range 200 {
		mask := rng.Uint64() & rng.Uint64()
		df, kf := cf.distinct(mask)
		dp, kp := cp.distinct(mask)
		require.Equal(t, dp, df)
		require.Equal(t, kp, kf)
	}
	whole, _ := cp.distinct(math.MaxUint64)
	require.EqualValues(t, 625, whole, "all 64 positions: 9 row × 9 column clippings, (1+2+3+4+5+4+3+2+1)²")
}

func slicesMax(s []int32) int32 {
	m := s[0]
	for _, v := range s {
		m = max(m, v)
	}
	return m
}

// BenchmarkConvShareSearch is evidence, not a bound. A core's synaptic
// memory for conv2 above is at least β·Σ over its channels of D(its
// positions of the channel) (convlb.go); so if every way of splitting a
// channel's 64 positions among cores cost Σ D ≥ 625 entries, conv2 would
// need ≥ ⌈32·625·240 bits / 1 Mbit⌉ = 5 Loihi cores, and the net's bound
// would be 9 + 5 + 1 = 15. Whether that holds is open: the 8×8 grid is far
// beyond enumeration, and D is neither monotone nor subadditive. This
// searches for a cheaper split by simulated annealing and reports the
// cheapest found (min-split-D, against 625 for the whole grid, which the
// stride-5 row classes and the partition into sets of positions at least 5
// apart also reach), and the least D(Q)/|Q| found for a single set
// (min-D-per-position; sets of positions 5 apart give 25/4). Run:
// go test -run '^$' -bench ConvShareSearch -benchtime 1x ./compile/
func BenchmarkConvShareSearch(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 23))
	_, gp, _, lp := mnistConv2Pair(rng)
	pc := newPatternCounter(gp, lp)
	D := func(m uint64) float64 {
		d, _ := pc.distinct(m)
		return float64(d)
	}
	// positions pairwise at least 5 apart (Chebyshev) in one part: every
	// window sees one of them, so the part costs D = 25 (greedy, raster order)
	far := make([]int, 64)
	var farMasks []uint64
	for i := range 64 {
		far[i] = -1
		for j, m := range farMasks {
			ok := true
			for r := m; r != 0 && ok; r &= r - 1 {
				k := bits.TrailingZeros64(r)
				ok = max(abs(k/8-i/8), abs(k%8-i%8)) >= 5
			}
			if ok {
				farMasks[j] |= 1 << i
				far[i] = j
				break
			}
		}
		if far[i] < 0 {
			far[i] = len(farMasks)
			farMasks = append(farMasks, 1<<i)
		}
	}
	farSum := 0.0
	for _, m := range farMasks {
		farSum += D(m)
	}
	const iters = 60000
	for range b.N {
		best := math.Inf(1)
		for _, parts := range []int{2, 3, 5, 9, 16, 25} {
			part := make([]int, 64)
			mask := make([]uint64, parts)
			for i := range part {
				part[i] = rng.IntN(parts)
				mask[part[i]] |= 1 << i
			}
			cost := make([]float64, parts)
			total := 0.0
			for j := range parts {
				cost[j] = D(mask[j])
				total += cost[j]
			}
			for it := range iters {
				temp := 30 * math.Pow(0.05/30, float64(it)/iters)
				i, to := rng.IntN(64), rng.IntN(parts)
				from := part[i]
				if from == to {
					continue
				}
				mf, mt := mask[from]&^(1<<i), mask[to]|1<<i
				cf, ct := D(mf), D(mt)
				delta := cf + ct - cost[from] - cost[to]
				if delta <= 0 || rng.Float64() < math.Exp(-delta/temp) {
					mask[from], mask[to], cost[from], cost[to], part[i] = mf, mt, cf, ct, to
					total += delta
					best = min(best, total)
				}
			}
		}
		ratio := math.Inf(1)
		for try := range 4 {
			q := rng.Uint64()
			if try == 0 {
				q = farMasks[0] // {0,5}×{0,5}: D = 25 over 4 positions
			}
			cur := D(q) / float64(bits.OnesCount64(q))
			ratio = min(ratio, cur)
			for it := range iters {
				temp := 2 * math.Pow(0.005/2, float64(it)/iters)
				n := q ^ 1<<rng.IntN(64)
				if n == 0 {
					continue
				}
				v := D(n) / float64(bits.OnesCount64(n))
				if v <= cur || rng.Float64() < math.Exp(-(v-cur)/temp) {
					q, cur = n, v
					ratio = min(ratio, cur)
				}
			}
		}
		b.ReportMetric(D(math.MaxUint64), "whole-D")
		b.ReportMetric(farSum, "far-split-D")
		b.ReportMetric(float64(len(farMasks)), "far-parts")
		b.ReportMetric(best, "min-split-D")
		b.ReportMetric(ratio, "min-D-per-position")
	}
}
