package train

import (
	"fmt"
	"math"
	"testing"
)

// TestForwardGatherMatchesScatter checks the output-stationary gather
// against the event scatter bit for bit: the same fused multiply-adds in
// the same order per output, on inputs with a mix of zeros (both signs),
// pooled-spike values and arbitrary values, over kernel sizes, strides,
// paddings and odd output counts.
func TestForwardGatherMatchesScatter(t *testing.T) {
	if !useAVX2 {
		t.Skip("the gather is the AVX2 path")
	}
	r := newRNG(11)
	for _, g := range []struct{ inC, inH, inW, outC, k, s, pad int }{
		{16, 12, 12, 32, 5, 1, 0}, // the MNIST conv net's second layer
		{3, 7, 6, 32, 3, 2, 1},
		{5, 9, 7, 64, 3, 1, 1},
		{2, 8, 8, 32, 5, 1, 2},
		{1, 5, 5, 32, 5, 1, 0}, // one output
		{4, 10, 11, 32, 8, 1, 0},
		{3, 9, 9, 96, 4, 3, 2},
		{1, 28, 28, 16, 5, 1, 0}, // the first layer, 16 channels
		{4, 8, 7, 48, 3, 2, 1},
	} {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			c := NewConv2D("c", []int{g.inC, g.inH, g.inW}, g.outC, g.k, g.s, g.pad)
			c.Init(r)
			if !c.gathers() {
				t.Fatal("the gather does not apply")
			}
			const B, T = 3, 4
			x := newActs(B, T, c.inC*c.inPlane, false)
			fillMixedInputs(r, x.Val)
			for b := 0; b < T*x.N; b++ { // one all-zero step
				x.Val[b] = 0
			}
			want := newActs(B, T, c.outC*c.outPlane, false)
			got := newActs(B, T, c.outC*c.outPlane, false)
			c.forwardEvents(x, want, 0, B)
			c.forwardGather(x, got, 1, B)
			c.forwardGather(x, got, 0, 1)
			for i := range want.Val {
				if math.Float32bits(got.Val[i]) != math.Float32bits(want.Val[i]) {
					t.Fatalf("current %d: gather %v, scatter %v", i, got.Val[i], want.Val[i])
				}
			}
		})
	}
}

// convBenchInput is a batch of 16 samples, T = 4, of the MNIST conv
// net's second layer input: pooled spikes (multiples of 1/4), 30% non-zero
// (what training shows after an epoch).
func convBenchInput() (*Conv2D, *Acts, *Acts) {
	r := newRNG(3)
	c := NewConv2D("c", []int{16, 12, 12}, 32, 5, 1, 0)
	c.Init(r)
	const B, T = 16, 4
	x := newActs(B, T, c.inC*c.inPlane, false)
	for i := range x.Val {
		if r.r.IntN(10) < 3 {
			x.Val[i] = float32(1+r.r.IntN(4)) / 4
		}
	}
	return c, x, newActs(B, T, c.outC*c.outPlane, false)
}

// BenchmarkConvForward compares the output-stationary gather with the
// event scatter on the MNIST conv net's second layer.
func BenchmarkConvForward(b *testing.B) {
	c, x, y := convBenchInput()
	for _, k := range []struct {
		name string
		fn   func(in, out *Acts, lo, hi int)
	}{{"scatter", c.forwardEvents}, {"gather", c.forwardGather}} {
		b.Run(k.name, func(b *testing.B) {
			if k.name == "gather" && !c.gathers() {
				b.Skip("no AVX2")
			}
			for b.Loop() {
				k.fn(x, y, 0, x.Batch)
			}
			b.ReportMetric(float64(x.Batch*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// TestAccumGatherMatchesScatter checks the tap-stationary weight gradient
// against the event scatter bit for bit, over several samples (one with no
// error at all) and channel blocks.
func TestAccumGatherMatchesScatter(t *testing.T) {
	if !useAVX2 {
		t.Skip("the gather is the AVX2 path")
	}
	r := newRNG(12)
	for _, g := range []struct{ inC, inH, inW, outC, k, pad int }{
		{16, 12, 12, 32, 5, 0}, // the MNIST conv net's second layer
		{5, 9, 7, 64, 3, 1},
		{2, 8, 8, 32, 5, 2},
		{3, 5, 5, 32, 5, 0}, // one output
		{3, 4, 6, 96, 2, 0},
		{6, 8, 8, 16, 3, 1},
		{2, 7, 8, 48, 3, 0},
	} {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			c := NewConv2D("c", []int{g.inC, g.inH, g.inW}, g.outC, g.k, 1, g.pad)
			c.Init(r)
			if !c.gathersGrad() {
				t.Fatal("the gather does not apply")
			}
			const B, T = 4, 3
			x := newActs(B, T, c.inC*c.inPlane, false)
			fillMixedInputs(r, x.Val)
			gy := newActs(B, T, c.outC*c.outPlane, false)
			for i := range gy.Val[T*gy.N:] { // sample 0 without error
				if r.r.IntN(2) == 0 {
					gy.Val[T*gy.N+i] = r.uniform(-1, 1)
				}
			}
			for _, blk := range [][2]int{{0, c.inC}, {0, c.inC / 2}, {c.inC / 2, c.inC}} {
				start := make([]float32, len(c.w.G))
				for i := range start {
					start[i] = r.uniform(-1, 1)
				}
				copy(c.w.G, start)
				c.accumEvents(blk[0], blk[1], x, gy, B)
				want := append([]float32(nil), c.w.G...)
				copy(c.w.G, start)
				c.accumGather(blk[0], blk[1], x, gy, B)
				for i := range want {
					if math.Float32bits(c.w.G[i]) != math.Float32bits(want[i]) {
						t.Fatalf("channels %v, weight %d: gather %v, scatter %v", blk, i, c.w.G[i], want[i])
					}
				}
			}
		})
	}
}

// TestForwardGatherMatchesColumns checks the gather on a constant input
// (Steps 1, the direct-current first layer) against the im2col columns bit
// for bit: the same non-zero terms in the same order.
func TestForwardGatherMatchesColumns(t *testing.T) {
	if !useAVX2 {
		t.Skip("the gather is the AVX2 path")
	}
	r := newRNG(15)
	for _, g := range []struct{ inC, inH, inW, outC, k, s, pad int }{
		{1, 28, 28, 16, 5, 1, 0}, // the MNIST conv net's first layer
		{3, 9, 8, 32, 3, 1, 1},
		{2, 11, 10, 16, 5, 2, 2},
	} {
		c := NewConv2D("c", []int{g.inC, g.inH, g.inW}, g.outC, g.k, g.s, g.pad)
		c.Init(r)
		const B = 3
		x := newActs(B, 1, c.inC*c.inPlane, true)
		for i := range x.Val {
			if r.r.IntN(5) == 0 {
				x.Val[i] = float32(r.r.IntN(256)) / 255
			}
		}
		x.index(0, B)
		want := newActs(B, 1, c.outC*c.outPlane, false)
		got := newActs(B, 1, c.outC*c.outPlane, false)
		c.forwardColumns(x, want, 0, B)
		c.forwardGather(x, got, 0, B)
		for i := range want.Val {
			if math.Float32bits(got.Val[i]) != math.Float32bits(want.Val[i]) {
				t.Fatalf("%+v: current %d: gather %v, columns %v", g, i, got.Val[i], want.Val[i])
			}
		}
	}
}

// TestAccumRowsMatchesScatter checks the weight gradient from whole rows
// against the event scatter bit for bit, from a gradient of +0 (as
// AccumGrad starts it) over several samples, channel blocks, kernel sizes
// (one, two and three taps a pass) and paddings.
func TestAccumRowsMatchesScatter(t *testing.T) {
	if !useAVX2 {
		t.Skip("the rows are the AVX2 path")
	}
	r := newRNG(18)
	for _, g := range []struct{ inC, inH, inW, outC, k, pad int }{
		{16, 12, 12, 32, 5, 0}, // the MNIST conv net's second layer
		{5, 9, 7, 64, 3, 1},
		{2, 8, 8, 32, 5, 2},
		{3, 5, 5, 32, 5, 0},
		{3, 6, 13, 96, 4, 0},
		{2, 7, 8, 32, 1, 0},
		{2, 10, 11, 32, 2, 1},
	} {
		t.Run(fmt.Sprintf("%+v", g), func(t *testing.T) {
			c := NewConv2D("c", []int{g.inC, g.inH, g.inW}, g.outC, g.k, 1, g.pad)
			c.Init(r)
			if !c.gathersRows() {
				t.Fatal("the rows do not apply")
			}
			const B, T = 4, 3
			x := newActs(B, T, c.inC*c.inPlane, false)
			fillMixedInputs(r, x.Val)
			gy := newActs(B, T, c.outC*c.outPlane, false)
			for i := range gy.Val[T*gy.N:] { // sample 0 without error
				switch r.r.IntN(3) {
				case 0:
					gy.Val[T*gy.N+i] = r.uniform(-1, 1)
				case 1:
					gy.Val[T*gy.N+i] = float32(math.Copysign(0, -1))
				}
			}
			for _, blk := range [][2]int{{0, c.inC}, {0, c.inC / 2}, {c.inC / 2, c.inC}} {
				clear(c.w.G)
				c.accumEvents(blk[0], blk[1], x, gy, B)
				want := append([]float32(nil), c.w.G...)
				clear(c.w.G)
				c.accumRows(blk[0], blk[1], x, gy, B)
				for i := range want {
					if math.Float32bits(c.w.G[i]) != math.Float32bits(want[i]) {
						t.Fatalf("channels %v, weight %d: rows %v, scatter %v", blk, i, c.w.G[i], want[i])
					}
				}
			}
		})
	}
}

// fillMixedInputs sets each input, independently, to a graded spike
// (k/4), an analog value, a negative zero, or leaves it zero (half of
// them): the kinds of values the conv gathers must add as the scatter does.
func fillMixedInputs(r *rng, vals []float32) {
	for i := range vals {
		switch r.r.IntN(6) {
		case 0:
			vals[i] = float32(1+r.r.IntN(4)) / 4
		case 1:
			vals[i] = r.uniform(-2, 2)
		case 2:
			vals[i] = float32(math.Copysign(0, -1))
		}
	}
}

// TestListPlane checks listPlane (the AVX2 kernel for unpadded planes
// where available) against a plain listing: planes of widths 1 to 20, with
// and without padding, zeros of both signs, every prefix and entry, and
// entries after earlier ones (n > 0).
func TestListPlane(t *testing.T) {
	r := newRNG(5)
	negZero := float32(math.Copysign(0, -1))
	for w := 1; w <= 20; w++ {
		for h := 1; h <= 5; h++ {
			for pad := range 3 {
				x := make([]float32, w*h)
				for i := range x {
					switch r.r.IntN(4) {
					case 0:
						x[i] = negZero
					case 1:
						x[i] = float32(r.r.NormFloat64())
					case 2:
						x[i] = float32(1+r.r.IntN(4)) / 4
					}
				}
				const n, off, rowStep, colStep = 7, 100, 1000, 32
				wp, hp := w+2*pad, h+2*pad
				pc := make([]int32, hp*(wp+1))
				ents := make([]rowEntry, n+w*h+gatherRunMax)
				got := listPlane(x, w, pad, pc, ents, n, off, rowStep, colStep)
				k := int32(n)
				for iy := range hp {
					for ix := range wp + 1 {
						if p := pc[iy*(wp+1)+ix]; p != k {
							t.Fatalf("%d×%d pad %d: prefix (%d, %d) = %d, want %d", w, h, pad, iy, ix, p, k)
						}
						sy, sx := iy-pad, ix-pad
						if sy < 0 || sy >= h || sx < 0 || sx >= w || x[sy*w+sx] == 0 {
							continue
						}
						want := rowEntry{off: off + int32(iy)*rowStep + int32(ix)*colStep, val: x[sy*w+sx]}
						if ents[k] != want {
							t.Fatalf("%d×%d pad %d: entry %d = %+v, want %+v", w, h, pad, k, ents[k], want)
						}
						k++
					}
				}
				if got != k {
					t.Fatalf("%d×%d pad %d: returned %d, want %d", w, h, pad, got, k)
				}
			}
		}
	}
}
