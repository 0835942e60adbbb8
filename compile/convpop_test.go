package compile

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// convLayer is a Conv2D layer for the population-axon tests; w fills its
// weights (index → weight).
func convLayer(ic, h, w, oc, k, stride, pad, groups int, wt func(i int) float32) *ir.Layer {
	oh, ow := (h+2*pad-k)/stride+1, (w+2*pad-k)/stride+1
	l := &ir.Layer{Name: "conv", Kind: ir.KindConv2D, InShape: []int{ic, h, w}, OutShape: []int{oc, oh, ow}, Groups: groups,
		Weights: make([]float32, oc*ic/groups*k*k), Bias: make([]float32, oc),
		Kernel: [2]int{k, k}, Stride: [2]int{stride, stride}, Padding: [2]int{pad, pad},
		Neuron: ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}}
	for i := range l.Weights {
		l.Weights[i] = wt(i)
	}
	return l
}

// distinctLists is the number of distinct lists of the scan's core.
func distinctLists(p *popScan) int {
	n := 0
	for _, c := range p.cnt {
		if c > 0 {
			n++
		}
	}
	return n
}

// TestPopHandComputed: one input channel 6×6, a 3×3 kernel, 2 filters,
// stride 1, no padding: 4×4×2 = 32 neurons on one Loihi core (8-bit
// weights), n = (y·4 + x)·2 + c.
//
// Axons: every one of the 36 pixels reaches an output position: 36 axons
// (one population each: 1 input channel).
//
// Lists: pixel row iy reaches output rows oy ∈ [iy−2, iy] ∩ [0, 3] with
// taps ky = iy − oy:
//
//	iy = 0: {0} (ky 0)   iy = 1: {0,1} (ky 1,0)   iy = 2, 3: 3 rows (ky 2,1,0)
//	iy = 4: {2,3} (ky 2,1)   iy = 5: {3} (ky 2)
//
// so 5 row classes (A, B, C, D, E with 1, 2, 3, 2, 1 rows), columns alike:
// a pixel's list, relative to its base (its first reached compartment), is
// fixed by its (row class, column class) — relative index (Δy·4 + Δx)·2 + c
// with the taps of the classes — and with 18 distinct weights the 25
// classes are 25 distinct lists. Every base is < 32, so the index offset is
// 0 for all. The largest stored index is that of the C×C list, (2·4 + 2)·2
// + 1 = 21: 5 bits, rounded up to Loihi's narrowest width, 6. A synapse is
// 8 + 6 = 14 bits, a list of n ≤ 64 synapses one block of 10 + 14n bits
// rounded up to 64, with n = 2·rows·cols:
//
//	rows×cols  lists  n   bits each  total
//	1×1        4      2   64         256
//	1×2, 2×1   8      4   128        1024
//	1×3, 3×1   4      6   128        512
//	2×2        4      8   128        512
//	2×3, 3×2   4      12  192        768
//	3×3        1      18  320        320
//	           25                    3392
//
// With every weight equal all columns are one column: B and D (and A and
// E) coincide, leaving 3 row × 3 column shapes = 9 lists:
// 64 + 2·128 + 2·128 + 128 + 2·192 + 320 = 1408 bits.
func TestPopHandComputed(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	f := targets.SynapseFormat{WeightBits: 8}
	for _, tc := range []struct {
		name         string
		wt           func(i int) float32
		lists        int
		bits, maxIdx int64
	}{
		{"distinct weights", func(i int) float32 { return float32(i+1) / 32 }, 25, 3392, 21},
		{"equal weights", func(int) float32 { return 0.5 }, 9, 1408, 21},
	} {
		l := convLayer(1, 6, 6, 2, 3, 1, 0, 1, tc.wt)
		require.Equal(t, []int{2, 4, 4}, l.OutShape)
		costs := newConvCosts(loihi, f)
		axons, bits := costs.cost(l, 0, 32, false)
		assert.Equal(t, 36, axons, tc.name)
		assert.Equal(t, tc.bits, bits, tc.name)
		p := costs.scans[popScanKey{l, false}]
		assert.Equal(t, tc.lists, distinctLists(p), tc.name)
		assert.EqualValues(t, tc.maxIdx, p.maxIdx, tc.name)
		ax, bf := bruteConvCore(t, l, 0, 32, 8, loihi.Backend(), false)
		assert.Equal(t, axons, ax, tc.name)
		assert.Equal(t, bits, bf, tc.name)
	}
}

// TestPopSharesLargeConv: a stride-1 conv on a large input (8×64×64, 4
// filters 3×3, padding 1: a full core of 1024 neurons holds 4 output rows)
// stores far less on a core than one list per (channel, pixel) axon would
// (at least 5× less: interior pixels share one list per 256-compartment
// index-offset bucket), has 8× fewer axons, and agrees with the
// brute-force count, index offsets ≥ 256 included.
func TestPopSharesLargeConv(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(3, 4))
	l := convLayer(8, 64, 64, 4, 3, 1, 1, 1, func(int) float32 { return float32(rng.NormFloat64()) })
	f := targets.SynapseFormat{WeightBits: 8}
	costs := newConvCosts(loihi, f)
	g := geomOf(l)
	for _, start := range []int{0, 7*1024 + 100, 16384 - 1024} {
		axons, bits := costs.cost(l, start, 1024, false)
		oldAxons, oldBits := g.cost(start, 1024, loihi.Backend(), f, make([]int32, g.ih*g.iw))
		t.Logf("neurons %d+1024: population %d axons %d bits (%d lists), per axon %d axons %d bits",
			start, axons, bits, distinctLists(costs.scans[popScanKey{l, false}]), oldAxons, oldBits)
		assert.Equal(t, oldAxons, 8*axons)
		assert.Less(t, 5*bits, oldBits)
		ax, bf := bruteConvCore(t, l, start, 1024, 8, loihi.Backend(), false)
		assert.Equal(t, ax, axons)
		assert.Equal(t, bf, bits)
	}
}

// TestPop16HandComputed: the layer of TestPopHandComputed (1 channel 6×6,
// 3×3 kernel, 2 filters, 32 neurons n = (y·4 + x)·2 + c on one core) fed
// by pop16 axons, whose compartment bases must be multiples of 4.
//
// A pixel's first reached compartment is (oy0·4 + ox0)·2 for its first
// output position (oy0, ox0): ≡ 2·ox0 (mod 4), so the pixels of columns
// ix = 3 and 5 (ox0 = ix − 2 = 1, 3) get the base 2 below it and store
// every index 2 higher; columns 0, 1, 2, 4 (ox0 = 0, 0, 0, 2) keep theirs.
// Column class C (3 columns, ix = 2 and 3) splits into C+0 and C+2; E
// (ix = 5) is shifted but alone.
//
// Distinct weights: 5 row classes × 6 column classes = 30 lists, the 25
// of pop32 (3392 bits) plus C+2 with every row class: 2·rows·3 synapses
// for rows 1, 2, 3, 2, 1 = 6, 12, 18, 12, 6 → 128 + 192 + 320 + 192 + 128
// = 960 bits: 4352. The largest stored index is C×C+2's 21 + 2 = 23
// (still 6 bits).
//
// Equal weights: pop32 has 3 row × 3 column shapes (A = E, B = D), 1408
// bits; pop16 keeps B = D but C+2 and E+2 (1 column, residue 2) differ
// from C and A: 3 × 5 = 15 lists, + C+2 × 3 row shapes (6, 12, 18
// synapses: 128 + 192 + 320) + E+2 × 3 (2, 4, 6: 64 + 128 + 128) = 1408 +
// 640 + 320 = 2368 bits.
func TestPop16HandComputed(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	f := targets.SynapseFormat{WeightBits: 8}
	for _, tc := range []struct {
		name         string
		wt           func(i int) float32
		lists        int
		bits, maxIdx int64
	}{
		{"distinct weights", func(i int) float32 { return float32(i+1) / 32 }, 30, 4352, 23},
		{"equal weights", func(int) float32 { return 0.5 }, 15, 2368, 23},
	} {
		l := convLayer(1, 6, 6, 2, 3, 1, 0, 1, tc.wt)
		require.True(t, pop16Allowed(loihi.Backend(), l))
		costs := newConvCosts(loihi, f)
		axons, bits := costs.cost(l, 0, 32, true)
		assert.Equal(t, 36, axons, tc.name)
		assert.Equal(t, tc.bits, bits, tc.name)
		p := costs.scans[popScanKey{l, true}]
		assert.Equal(t, tc.lists, distinctLists(p), tc.name)
		assert.EqualValues(t, tc.maxIdx, p.maxIdx, tc.name)
		for k, b := range p.base {
			assert.Zero(t, b%4, "%s: pixel %d base %d", tc.name, k, b)
		}
		ax, bf := bruteConvCore(t, l, 0, 32, 8, loihi.Backend(), true)
		assert.Equal(t, axons, ax, tc.name)
		assert.Equal(t, bits, bf, tc.name)
	}
	// 33 input channels: too many atoms for pop16
	assert.False(t, pop16Allowed(loihi.Backend(), convLayer(33, 6, 6, 2, 3, 1, 0, 1, func(int) float32 { return 1 })))
}

// TestPopTableMatchesMap: popTable answers as a Go map does through
// inserts (past several growths), look-ups of present and absent keys and
// resets, including the wrap of its generation stamp.
func TestPopTableMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 7))
	tab, ref := newPopTable(), map[uint64]int32{}
	for round := range 40 {
		if round == 20 {
			tab.gen = math.MaxUint32 // the next reset wraps
		}
		tab.reset()
		clear(ref)
		for i := range 1 + rng.IntN(3000) {
			key := rng.Uint64() >> rng.UintN(64) // small keys collide often
			id, ok := tab.get(key)
			want, wantOK := ref[key]
			require.Equal(t, wantOK, ok, "round %d op %d: key %d present", round, i, key)
			require.Equal(t, want, id, "round %d op %d: key %d", round, i, key)
			if !ok {
				tab.set(key, int32(i))
				ref[key] = int32(i)
			}
		}
		require.Equal(t, len(ref), tab.n, "round %d", round)
	}
}
