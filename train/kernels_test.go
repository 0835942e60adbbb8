package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestAxpyMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 3, 7, 8, 9, 31, 32, 33, 70, 512} {
		x := make([]float32, n)
		y1 := make([]float32, n+2)
		for i := range x {
			x[i] = r.Float32() - 0.5
		}
		for i := range y1 {
			y1[i] = r.Float32()
		}
		y2 := append([]float32(nil), y1...)
		axpy(0.75, x, y1)
		axpyGeneric(0.75, x, y2)
		for i := range y1 {
			d := y1[i] - y2[i]
			if d > 1e-6 || d < -1e-6 {
				t.Fatalf("n=%d i=%d: %v vs %v", n, i, y1[i], y2[i])
			}
		}
	}
}

func BenchmarkAxpy512(b *testing.B) {
	x := make([]float32, 512)
	y := make([]float32, 512)
	b.SetBytes(512 * 4)
	for b.Loop() {
		axpy(0.5, x, y)
	}
}

func TestDotMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 5, 8, 13, 32, 45, 512} {
		x, y := make([]float32, n), make([]float32, n)
		var want float64
		for i := range x {
			x[i], y[i] = r.Float32()-0.5, r.Float32()-0.5
			want += float64(x[i]) * float64(y[i])
		}
		for _, got := range []float32{dot(x, y), dotGeneric(x, y)} {
			if d := float64(got) - want; d > 1e-5 || d < -1e-5 {
				t.Fatalf("n=%d: dot %v, want %v", n, got, want)
			}
		}
	}
}

// TestPatchKernelsMatchGeneric: the AVX2 patch kernels against the portable
// loops on grids with negative and positive strides.
func TestPatchKernelsMatchGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 5, 8, 16, 32, 40, 64} {
		for _, g := range []struct{ rows, cols, xrs, xcs, yrs, ycs int }{
			{1, 1, 0, 0, 0, 0}, {3, 4, 5, 1, 4, 1}, {5, 5, -5, -1, 8, 1}, {2, 3, 7, -2, -9, 3},
		} {
			x := make([]float32, 200*n)
			y1 := make([]float32, 200*n)
			for i := range x {
				x[i] = r.Float32() - 0.5
			}
			for i := range y1 {
				y1[i] = r.Float32() - 0.5
			}
			xp := patch{off: 100 * n, rs: g.xrs * n, cs: g.xcs * n}
			yp := patch{off: 100 * n, rs: g.yrs * n, cs: g.ycs * n}
			y2 := append([]float32(nil), y1...)
			ev := []patchEvent{{xoff: int32(xp.off), yoff: int32(yp.off), rows: int32(g.rows), cols: int32(g.cols), a: 0.75}}
			patchAxpyEvents(ev, x, xp, y1, yp, n)
			patchAxpyGeneric(0.75, x, xp, y2, yp, g.rows, g.cols, n)
			for i := range y1 {
				if d := y1[i] - y2[i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("axpy n=%d %+v i=%d: %v vs %v", n, g, i, y1[i], y2[i])
				}
			}
			a, b := patchDot(x, xp, y1, yp, g.rows, g.cols, n), patchDotGeneric(x, xp, y1, yp, g.rows, g.cols, n)
			if d := a - b; d > 1e-4 || d < -1e-4 {
				t.Fatalf("dot n=%d %+v: %v vs %v", n, g, a, b)
			}
		}
	}
}

// TestPatchDots8MatchesPatchDot: the eight-channel gather against eight
// single patch dot products.
func TestPatchDots8MatchesPatchDot(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{3, 8, 16, 32, 40} {
		for _, g := range []struct{ rows, cols, xrs, xcs, yrs, ycs, xc8 int }{
			{1, 1, 0, 0, 0, 0, 1}, {3, 4, 5, 1, 4, 1, 25}, {5, 5, -5, -1, 8, 1, 25}, {2, 3, -7, -2, 9, 3, 30},
		} {
			x := make([]float32, 400*n)
			y := make([]float32, 200*n)
			for i := range x {
				x[i] = r.Float32() - 0.5
			}
			for i := range y {
				y[i] = r.Float32() - 0.5
			}
			xp := patch{off: 100 * n, rs: g.xrs * n, cs: g.xcs * n}
			yp := patch{off: 100 * n, rs: g.yrs * n, cs: g.ycs * n}
			var out [8]float32
			patchDots8(x, xp, g.xc8*n, y, yp, g.rows, g.cols, n, &out)
			for c := range out {
				q := xp
				q.off += c * g.xc8 * n
				want := patchDotGeneric(x, q, y, yp, g.rows, g.cols, n)
				if d := out[c] - want; d > 1e-4 || d < -1e-4 {
					t.Fatalf("n=%d %+v channel %d: %v, want %v", n, g, c, out[c], want)
				}
			}
		}
	}
}

// TestLIFStepMatchesGeneric: the AVX2 LIF step against the portable loop,
// bit for bit, on both kinds of step and a length that leaves a tail.
func TestLIFStepMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const n = 77
	vec := func() []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 2*r.Float32() - 0.5
		}
		return v
	}
	c, up, sp := vec(), vec(), make([]float32, n)
	for i := range sp {
		sp[i] = float32(r.IntN(2))
	}
	half := math.Float32bits(0.3)
	for _, first := range []bool{true, false} {
		u1, u2, s1, s2 := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		k1, k2, w1, w2 := make([]uint8, 10), make([]uint8, 10), make([]uint8, 10), make([]uint8, 10)
		var pu, ps []float32
		if !first {
			pu, ps = up, sp
		}
		lifStep(u1, pu, ps, c, 0.5, 0.5, half, s1, k1, w1)
		lifStepGeneric(u2, pu, ps, c, 0.5, 0.5, half, s2, k2, w2, 0)
		for i := 0; i < n; i++ {
			if math.Float32bits(u1[i]) != math.Float32bits(u2[i]) || s1[i] != s2[i] {
				t.Fatalf("first=%v neuron %d: u %v/%v, s %v/%v", first, i, u1[i], u2[i], s1[i], s2[i])
			}
			x := float64(u2[i]) - 0.5
			if want := x >= 0; (k1[i/8]>>(i%8)&1 == 1) != want || (k2[i/8]>>(i%8)&1 == 1) != want {
				t.Fatalf("first=%v neuron %d: spike bit wrong (x = %v)", first, i, x)
			}
			if want := math.Abs(float64(u2[i]-0.5)) < 0.3; (w1[i/8]>>(i%8)&1 == 1) != want {
				t.Fatalf("first=%v neuron %d: window bit wrong", first, i)
			}
		}
		if k1[9] != k2[9] || w1[9] != w2[9] {
			t.Fatalf("tail bytes differ")
		}
	}
}

// TestListBitsMatchesLoop: the word-at-a-time bit listing against a plain
// loop over every neuron, on bitmaps of every density and ragged lengths.
func TestListBitsMatchesLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, nbytes := range []int{0, 1, 7, 8, 9, 15, 16, 17, 64, 1152} {
		for _, density := range []float64{0, 0.05, 0.5, 1} {
			m := make([]uint8, nbytes)
			var want []int32
			for i := 0; i < 8*nbytes; i++ {
				if r.Float64() < density {
					m[i/8] |= 1 << (i % 8)
					want = append(want, int32(i))
				}
			}
			idx := make([]int32, 8*nbytes)
			c := listBits(m, idx)
			if c != len(want) {
				t.Fatalf("%d bytes, density %v: %d bits listed, want %d", nbytes, density, c, len(want))
			}
			for k, i := range want {
				if idx[k] != i {
					t.Fatalf("%d bytes, density %v: idx[%d] = %d, want %d", nbytes, density, k, idx[k], i)
				}
			}
		}
	}
}

// TestLIFBackMatchesGeneric: the AVX2 LIF backward step against the
// portable loop, bit for bit (values, error currents in both modes and the
// eight ∂L/∂α lanes), on a length that leaves a tail.
func TestLIFBackMatchesGeneric(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const n = 83
	vec := func() []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = 2*r.Float32() - 0.5
		}
		return v
	}
	u, gs, gun0, gc0 := vec(), vec(), vec(), vec()
	sv := make([]float32, n)
	for i := range sv {
		sv[i] = float32(r.IntN(2))
	}
	half := math.Float32bits(0.4)
	for _, sum := range []bool{false, true} {
		gun1, gun2 := append([]float32(nil), gun0...), append([]float32(nil), gun0...)
		gc1, gc2 := append([]float32(nil), gc0...), append([]float32(nil), gc0...)
		var l1, l2 [8]float32
		lifBack(u, sv, gs, gun1, gc1, 0.5, 0.5, 1.25, half, sum, &l1)
		lifBackGeneric(u, sv, gs, gun2, gc2, 0.5, 0.5, 1.25, half, sum, &l2, 0)
		inWindow := 0
		for i := 0; i < n; i++ {
			if math.Float32bits(gun1[i]) != math.Float32bits(gun2[i]) || math.Float32bits(gc1[i]) != math.Float32bits(gc2[i]) {
				t.Fatalf("sum=%v neuron %d: gun %v/%v, gc %v/%v", sum, i, gun1[i], gun2[i], gc1[i], gc2[i])
			}
			if math.Abs(float64(u[i]-0.5)) < 0.4 {
				inWindow++
			}
		}
		if l1 != l2 {
			t.Fatalf("sum=%v: lanes %v vs %v", sum, l1, l2)
		}
		if inWindow == 0 || inWindow == n {
			t.Fatalf("the test vectors should fall both inside and outside the window (%d of %d inside)", inWindow, n)
		}
	}
}

// TestMixWindowMatchesLoop: ASGL's branch-free mixing against the plain
// loop over the listed window (one draw per window neuron, in order), bit
// for bit, for noise probabilities 0, ½ and 1 and ragged lengths.
func TestMixWindowMatchesLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{5, 64, 77, 130, 57, 1000, 9216} {
		for _, p := range []float64{0, 0.5, 1, 0.9} {
			nb := (n + 7) / 8
			u, sv := make([]float32, n), make([]float32, n)
			win, spk := make([]uint8, nb), make([]uint8, nb)
			for i := range u {
				u[i] = 2*r.Float32() - 0.5
				sv[i] = float32(r.IntN(2))
				if sv[i] == 1 {
					spk[i/8] |= 1 << (i % 8)
				}
				if r.IntN(3) == 0 {
					win[i/8] |= 1 << (i % 8)
				}
			}
			sv2, spk2 := append([]float32(nil), sv...), append([]uint8(nil), spk...)
			thr := pThreshold(p)
			mr1, mr2 := newMaskRNG(99, n), newMaskRNG(99, n)
			mixWindow(win, spk, u, sv, 0.5, 1.5, thr, &mr1)
			idx := make([]int32, n)
			for _, i := range idx[:listBits(win, idx)] {
				if mr2.next()>>32 >= thr {
					sv2[i] = (u[i]-0.5)*1.5 + 0.5
					spk2[i/8] |= 1 << (i % 8)
				}
			}
			for i := range sv {
				if math.Float32bits(sv[i]) != math.Float32bits(sv2[i]) {
					t.Fatalf("n=%d p=%v neuron %d: %v, want %v", n, p, i, sv[i], sv2[i])
				}
			}
			for j := range spk {
				if spk[j] != spk2[j] {
					t.Fatalf("n=%d p=%v byte %d: spikes %08b, want %08b", n, p, j, spk[j], spk2[j])
				}
			}
			if mr1 != mr2 {
				t.Fatalf("n=%d p=%v: the mask stream advanced differently", n, p)
			}
		}
	}
}

// TestPatchAxpyEventsMatchesOneCallPerEvent: a list of events in one call
// against one call per event (bit for bit: the same sums in the same
// order, events overlapping in y included), and against the portable loop
// within rounding; a grid leaving its slice panics before anything is
// written.
func TestPatchAxpyEventsMatchesOneCallPerEvent(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{3, 8, 32, 40} {
		xs := patch{rs: -5 * n, cs: -n}
		ys := patch{rs: 8 * n, cs: n}
		x := make([]float32, 60*n)
		y0 := make([]float32, 60*n)
		for i := range x {
			x[i] = r.Float32() - 0.5
		}
		for i := range y0 {
			y0[i] = r.Float32() - 0.5
		}
		var evs []patchEvent
		for range 20 {
			rows, cols := 1+r.IntN(3), 1+r.IntN(3)
			// x runs backwards from its offset, y forwards
			xo := (rows-1)*5*n + (cols-1)*n + r.IntN(60-(rows-1)*5-(cols-1))*n
			yo := r.IntN(60-(rows-1)*8-(cols-1)) * n
			evs = append(evs, patchEvent{xoff: int32(xo), yoff: int32(yo), rows: int32(rows), cols: int32(cols), a: r.Float32() - 0.5})
		}
		y1, y2, y3 := append([]float32(nil), y0...), append([]float32(nil), y0...), append([]float32(nil), y0...)
		patchAxpyEvents(evs, x, xs, y1, ys, n)
		for k, e := range evs {
			patchAxpyEvents(evs[k:k+1], x, xs, y2, ys, n)
			xp, yp := xs, ys
			xp.off, yp.off = int(e.xoff), int(e.yoff)
			patchAxpyGeneric(e.a, x, xp, y3, yp, int(e.rows), int(e.cols), n)
		}
		for i := range y1 {
			if math.Float32bits(y1[i]) != math.Float32bits(y2[i]) {
				t.Fatalf("n=%d i=%d: %v, one call per event %v", n, i, y1[i], y2[i])
			}
			if d := y1[i] - y3[i]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("n=%d i=%d: %v, portable loop %v", n, i, y1[i], y3[i])
			}
		}
		bad := append(evs, patchEvent{xoff: 0, yoff: 0, rows: 2, cols: 1, a: 1}) // x's row 2 runs below 0
		y4 := append([]float32(nil), y0...)
		func() {
			defer func() {
				if recover() == nil {
					t.Fatalf("n=%d: a grid outside x did not panic", n)
				}
			}()
			patchAxpyEvents(bad, x, xs, y4, ys, n)
		}()
		for i := range y4 {
			if y4[i] != y0[i] {
				t.Fatalf("n=%d: y written before the panic", n)
			}
		}
	}
}

func TestNonZeroListsNonZeroValues(t *testing.T) {
	x := []float32{0, 1, float32(math.Copysign(0, -1)), -2, 0, 0.5, float32(math.NaN()), 0}
	idx := make([]int32, len(x))
	got := nonZero(x, idx)
	want := []int32{1, 3, 5, 6}
	if len(got) != len(want) {
		t.Fatalf("nonZero = %v, want %v", got, want)
	}
	for k := range want {
		if got[k] != want[k] {
			t.Fatalf("nonZero = %v, want %v", got, want)
		}
	}
}

// TestTransposeIntoIsTheTranspose checks the blocked AVX2 transpose and the
// portable loop on sizes with and without whole 8×8 blocks.
func TestTransposeIntoIsTheTranspose(t *testing.T) {
	for _, sz := range [][2]int{{8, 8}, {64, 32}, {32, 64}, {16, 24}, {5, 7}, {8, 12}, {1, 9}} {
		rows, cols := sz[0], sz[1]
		src := make([]float32, rows*cols)
		for i := range src {
			src[i] = float32(i) + 0.5
		}
		dst := make([]float32, rows*cols+1)
		dst[rows*cols] = -1
		transposeInto(dst, src, rows, cols)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				if dst[c*rows+r] != src[r*cols+c] {
					t.Fatalf("%d×%d: dst[%d][%d] = %v, want %v", rows, cols, c, r, dst[c*rows+r], src[r*cols+c])
				}
			}
		}
		if dst[rows*cols] != -1 {
			t.Fatalf("%d×%d: wrote past the end", rows, cols)
		}
	}
}

// TestPool2MatchesLoop checks the AVX2 2×2 pool row against the loop bit
// for bit, on spike values, arbitrary values and signed zeros.
func TestPool2MatchesLoop(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	r := newRNG(16)
	for _, n := range []int{4, 12, 32} {
		r0, r1 := make([]float32, 2*n), make([]float32, 2*n)
		for i := range r0 {
			for _, row := range [][]float32{r0, r1} {
				switch r.r.IntN(5) {
				case 0:
					row[i] = 1
				case 1:
					row[i] = r.uniform(-3, 3)
				case 2:
					row[i] = float32(math.Copysign(0, -1))
				}
			}
		}
		r0[0], r0[1], r1[0], r1[1] = float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1)), float32(math.Copysign(0, -1))
		got := make([]float32, n)
		pool2AVX2(&got[0], &r0[0], &r1[0], n, 0.25)
		for i := range got {
			var s float32
			s += r0[2*i]
			s += r0[2*i+1]
			s += r1[2*i]
			s += r1[2*i+1]
			if want := s * 0.25; math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("n %d, window %d: %v, want %v", n, i, got[i], want)
			}
		}
	}
}

// TestRowsKernelsMatchAxpy checks the narrow-row kernels against one axpy
// per listed input, bit for bit, for every row width they take.
func TestRowsKernelsMatchAxpy(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2")
	}
	r := newRNG(17)
	for n := 8; n <= 16; n++ {
		const rows = 40
		w := make([]float32, rows*n)
		x := make([]float32, rows)
		for i := range w {
			w[i] = r.uniform(-1, 1)
		}
		var idx []int32
		for i := range x {
			if r.r.IntN(3) > 0 {
				x[i] = r.uniform(-2, 2)
				idx = append(idx, int32(i))
			}
		}
		y, want := make([]float32, n+3), make([]float32, n+3)
		for i := range y {
			y[i] = r.uniform(-1, 1)
		}
		copy(want, y)
		for _, i := range idx {
			axpy(x[i], w[int(i)*n:(int(i)+1)*n], want[:n])
		}
		rowsGather(y, w, n, x, idx, laneMask(n))
		e := make([]float32, n)
		for i := range e {
			e[i] = r.uniform(-1, 1)
		}
		g := append([]float32(nil), w...)
		wantG := append([]float32(nil), w...)
		for _, i := range idx {
			axpy(x[i], e, wantG[int(i)*n:(int(i)+1)*n])
		}
		rowsScatter(g, e, n, x, idx, laneMask(n))
		for i := range want {
			if math.Float32bits(y[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d: gather y[%d] = %v, want %v", n, i, y[i], want[i])
			}
		}
		for i := range wantG {
			if math.Float32bits(g[i]) != math.Float32bits(wantG[i]) {
				t.Fatalf("n %d: scatter g[%d] = %v, want %v", n, i, g[i], wantG[i])
			}
		}
	}
}
