package train

// Kernels on float32 slices. The amd64 build uses AVX2/FMA assembly when the
// CPU has it; every other build uses the portable loops below.

// axpy computes y += a·x. len(y) must be at least len(x).
func axpy(a float32, x, y []float32) {
	if len(x) == 0 {
		return
	}
	_ = y[len(x)-1]
	if useAVX2 && len(x) >= 8 {
		axpyAVX2(a, x, y[:len(x)])
		return
	}
	axpyGeneric(a, x, y)
}

func axpyGeneric(a float32, x, y []float32) {
	y = y[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(x); i++ {
		y[i] += a * x[i]
	}
}

// add computes y += x.
func add(x, y []float32) { axpy(1, x, y) }

// dot returns Σ x[i]·y[i]. len(y) must be at least len(x).
func dot(x, y []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	_ = y[len(x)-1]
	if useAVX2 && len(x) >= 8 {
		return dotAVX2(x, y[:len(x)])
	}
	return dotGeneric(x, y)
}

func dotGeneric(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// patch describes a rows×cols grid of n-float vectors inside a slice: vector
// (i, j) starts at off + i·rs + j·cs (strides in floats, either sign). The
// convolution kernels walk a receptive field with it: one row per kernel
// row, one column per kernel column.
type patch struct {
	off, rs, cs int
}

// extent returns the lowest and one past the highest index the patch
// touches.
func (p patch) extent(rows, cols, n int) (lo, hi int) {
	lo, hi = p.off, p.off+n
	if d := (rows - 1) * p.rs; d < 0 {
		lo += d
	} else {
		hi += d
	}
	if d := (cols - 1) * p.cs; d < 0 {
		lo += d
	} else {
		hi += d
	}
	return lo, hi
}

func (p patch) check(s []float32, rows, cols, n int) {
	if lo, hi := p.extent(rows, cols, n); lo < 0 || hi > len(s) {
		panic("train: patch out of range")
	}
}

// patchAxpyGeneric adds a·x(i, j) to y(i, j) for every vector of a
// rows×cols grid of n-float vectors (see patch): the portable loop of one
// patch event.
func patchAxpyGeneric(a float32, x []float32, xp patch, y []float32, yp patch, rows, cols, n int) {
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			xo, yo := xp.off+i*xp.rs+j*xp.cs, yp.off+i*yp.rs+j*yp.cs
			axpyGeneric(a, x[xo:xo+n], y[yo:yo+n])
		}
	}
}

// patchDot returns Σ over a rows×cols grid of n-float vectors of
// x(i, j)·y(i, j) (see patch). It panics if a grid leaves its slice.
func patchDot(x []float32, xp patch, y []float32, yp patch, rows, cols, n int) float32 {
	if rows <= 0 || cols <= 0 || n <= 0 {
		return 0
	}
	xp.check(x, rows, cols, n)
	yp.check(y, rows, cols, n)
	if useAVX2 && n%8 == 0 {
		return patchDotAVX2(&x[xp.off], xp.rs, xp.cs, &y[yp.off], yp.rs, yp.cs, rows, cols, n)
	}
	return patchDotGeneric(x, xp, y, yp, rows, cols, n)
}

func patchDotGeneric(x []float32, xp patch, y []float32, yp patch, rows, cols, n int) float32 {
	var s float32
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			xo, yo := xp.off+i*xp.rs+j*xp.cs, yp.off+i*yp.rs+j*yp.cs
			s += dotGeneric(x[xo:xo+n], y[yo:yo+n])
		}
	}
	return s
}

// patchDots8 sets out[c] to patchDot of x shifted by c·xc8 floats (8
// parallel grids in x, e.g. the kernel taps of 8 input channels) with the
// one grid in y, for c = 0 … 7: each y vector is loaded once for the 8.
func patchDots8(x []float32, xp patch, xc8 int, y []float32, yp patch, rows, cols, n int, out *[8]float32) {
	if rows <= 0 || cols <= 0 || n <= 0 {
		*out = [8]float32{}
		return
	}
	xp.check(x, rows, cols, n)
	last := xp
	last.off += 7 * xc8
	last.check(x, rows, cols, n)
	yp.check(y, rows, cols, n)
	if useAVX2 && n%8 == 0 && xc8 >= 0 {
		patchDots8AVX2(&x[xp.off], 4*xc8, 4*xp.rs, 4*xp.cs, &y[yp.off], 4*yp.rs, 4*yp.cs, rows, cols, 4*n, out)
		return
	}
	for c := range out {
		q := xp
		q.off += c * xc8
		out[c] = patchDotGeneric(x, q, y, yp, rows, cols, n)
	}
}

// patchEvent is one patchAxpy of a list (see patchAxpyEvents): a·x(i, j)
// added to y(i, j) over a rows×cols grid whose first vectors start at
// x[xoff] and y[yoff].
type patchEvent struct {
	xoff, yoff int32
	rows, cols int32
	a          float32
	_          int32 // 24 bytes, the layout patchAxpyEventsAVX2 reads
}

// patchAxpyEvents applies the events in order, all with the strides of
// xs and ys (their off fields unused) and n-float vectors: one call for
// what would be len(evs) calls of patchAxpy, with the same sums in the
// same order. Every event must have rows, cols ≥ 1. It panics if a grid
// leaves its slice.
func patchAxpyEvents(evs []patchEvent, x []float32, xs patch, y []float32, ys patch, n int) {
	if len(evs) == 0 || n <= 0 {
		return
	}
	for _, e := range evs {
		if e.rows <= 0 || e.cols <= 0 {
			panic("train: patch event without a grid")
		}
		xs.off, ys.off = int(e.xoff), int(e.yoff)
		xs.check(x, int(e.rows), int(e.cols), n)
		ys.check(y, int(e.rows), int(e.cols), n)
	}
	if useAVX2 && n%8 == 0 {
		patchAxpyEventsAVX2(&evs[0], len(evs), &x[0], 4*xs.rs, 4*xs.cs, &y[0], 4*ys.rs, 4*ys.cs, 4*n)
		return
	}
	for _, e := range evs {
		xs.off, ys.off = int(e.xoff), int(e.yoff)
		patchAxpyGeneric(e.a, x, xs, y, ys, int(e.rows), int(e.cols), n)
	}
}

// narrowRows reports whether rowsGather and rowsScatter take the AVX2
// kernels for rows of n floats: 8 ≤ n ≤ 16, where axpy's fused
// multiply-adds are theirs (below 8 axpy takes the portable loop).
func narrowRows(n int) bool { return useAVX2 && n >= 8 && n <= 16 }

// laneMask returns the mask of the narrow-row kernels for n floats.
func laneMask(n int) *[16]int32 {
	var m [16]int32
	for j := 0; j < n && j < 16; j++ {
		m[j] = -1
	}
	return &m
}

// rowsGather adds x[i]·w[i·n:][:n] to y[:n] for every i of idx in order:
// what one axpy per listed input does, in one call. narrowRows(n) must
// hold; it panics if a row or an index leaves its slice.
func rowsGather(y, w []float32, n int, x []float32, idx []int32, mask *[16]int32) {
	_ = y[n-1]
	for _, i := range idx {
		_, _ = x[i], w[(int(i)+1)*n-1]
	}
	if len(idx) == 0 {
		return
	}
	rowsGatherAVX2(&y[0], &w[0], n, &x[0], &idx[0], len(idx), mask)
}

// rowsScatter adds x[i]·e[:n] to g[i·n:][:n] for every i of idx in order:
// one axpy per listed input, in one call. narrowRows(n) must hold; it
// panics if a row or an index leaves its slice.
func rowsScatter(g, e []float32, n int, x []float32, idx []int32, mask *[16]int32) {
	_ = e[n-1]
	for _, i := range idx {
		_, _ = x[i], g[(int(i)+1)*n-1]
	}
	if len(idx) == 0 {
		return
	}
	rowsScatterAVX2(&g[0], &e[0], n, &x[0], &idx[0], len(idx), mask)
}
