package sim

// Row-addition kernels: a spike of input i adds row i of an In×Out
// transposed weight matrix into the accumulators of the target neurons.
// Spikes are taken four at a time so that each accumulator is loaded and
// stored once per four rows.

// addRows adds acc[j] += wT[i*out+j] for j < out and every i in idx.
// It panics if acc is shorter than out or an index is out of range.
func addRows(acc []int32, wT []int16, out int, idx []int32) {
	acc = acc[:out]
	for len(idx) >= 4 {
		i0, i1, i2, i3 := int(idx[0])*out, int(idx[1])*out, int(idx[2])*out, int(idx[3])*out
		add4(acc, wT[i0:i0+out], wT[i1:i1+out], wT[i2:i2+out], wT[i3:i3+out])
		idx = idx[4:]
	}
	switch len(idx) {
	case 3:
		i0, i1, i2 := int(idx[0])*out, int(idx[1])*out, int(idx[2])*out
		add3(acc, wT[i0:i0+out], wT[i1:i1+out], wT[i2:i2+out])
	case 2:
		i0, i1 := int(idx[0])*out, int(idx[1])*out
		add2(acc, wT[i0:i0+out], wT[i1:i1+out])
	case 1:
		i0 := int(idx[0]) * out
		add1(acc, wT[i0:i0+out])
	}
}

func add4(acc []int32, a, b, c, d []int16) {
	n := len(acc)
	a, b, c, d = a[:n], b[:n], c[:n], d[:n]
	j := 0
	if useAVX2 {
		add4AVX2(acc, a, b, c, d)
		j = n &^ 7
	}
	for ; j+4 <= n; j += 4 {
		s := acc[j : j+4 : j+4]
		aa, bb, cc, dd := a[j:j+4:j+4], b[j:j+4:j+4], c[j:j+4:j+4], d[j:j+4:j+4]
		s[0] += int32(aa[0]) + int32(bb[0]) + int32(cc[0]) + int32(dd[0])
		s[1] += int32(aa[1]) + int32(bb[1]) + int32(cc[1]) + int32(dd[1])
		s[2] += int32(aa[2]) + int32(bb[2]) + int32(cc[2]) + int32(dd[2])
		s[3] += int32(aa[3]) + int32(bb[3]) + int32(cc[3]) + int32(dd[3])
	}
	for ; j < n; j++ {
		acc[j] += int32(a[j]) + int32(b[j]) + int32(c[j]) + int32(d[j])
	}
}

func add3(acc []int32, a, b, c []int16) {
	if useAVX2 {
		add1(acc, a)
		add1(acc, b)
		add1(acc, c)
		return
	}
	n := len(acc)
	a, b, c = a[:n], b[:n], c[:n]
	for j := 0; j < n; j++ {
		acc[j] += int32(a[j]) + int32(b[j]) + int32(c[j])
	}
}

func add2(acc []int32, a, b []int16) {
	if useAVX2 {
		add1(acc, a)
		add1(acc, b)
		return
	}
	n := len(acc)
	a, b = a[:n], b[:n]
	for j := 0; j < n; j++ {
		acc[j] += int32(a[j]) + int32(b[j])
	}
}

func add1(acc []int32, a []int16) {
	n := len(acc)
	a = a[:n]
	j := 0
	if useAVX2 && n >= 8 {
		add1AVX2(acc, a)
		j = n &^ 7
	}
	for ; j < n; j++ {
		acc[j] += int32(a[j])
	}
}

// add1f adds acc[j] += a[j] (float32, one rounding per element).
func add1f(acc, a []float32) {
	a = a[:len(acc)]
	j := 0
	if useAVX2 && len(acc) >= 8 {
		add1fAVX2(acc, a)
		j = len(acc) &^ 7
	}
	for ; j < len(acc); j++ {
		acc[j] += a[j]
	}
}

// add2fClear adds acc[j] += a[j] + b[j] (float32: a+b rounded, then the
// sum) and clears a and b.
func add2fClear(acc, a, b []float32) {
	a, b = a[:len(acc)], b[:len(acc)]
	j := 0
	if useAVX2 && len(acc) >= 8 {
		add2fClearAVX2(acc, a, b)
		j = len(acc) &^ 7
	}
	for ; j < len(acc); j++ {
		acc[j] += a[j] + b[j]
		a[j], b[j] = 0, 0
	}
}

// addRowsF is addRows for float32 matrices (the float reference).
func addRowsF(acc []float32, wT []float32, out int, idx []int32) {
	acc = acc[:out]
	for len(idx) >= 4 {
		i0, i1, i2, i3 := int(idx[0])*out, int(idx[1])*out, int(idx[2])*out, int(idx[3])*out
		a, b, c, d := wT[i0:i0+out], wT[i1:i1+out], wT[i2:i2+out], wT[i3:i3+out]
		a, b, c, d = a[:len(acc)], b[:len(acc)], c[:len(acc)], d[:len(acc)]
		j := 0
		if useAVX2 {
			add4fAVX2(acc, a, b, c, d)
			j = len(acc) &^ 7
		}
		for ; j < len(acc); j++ {
			acc[j] += (a[j] + b[j]) + (c[j] + d[j])
		}
		idx = idx[4:]
	}
	for _, i := range idx {
		i0 := int(i) * out
		a := wT[i0 : i0+out]
		a = a[:len(acc)]
		for j := range acc {
			acc[j] += a[j]
		}
	}
}

// axpy computes y[j] += float32(a·x[j]), rounding every product (no fused
// multiply-add, so the host current is the same on every platform).
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	j := 0
	if useAVX2 {
		axpyNoFMAAVX2(a, x, y)
		j = len(y) &^ 7
	}
	for ; j+4 <= len(y); j += 4 {
		yy, xx := y[j:j+4:j+4], x[j:j+4:j+4]
		yy[0] += float32(a * xx[0])
		yy[1] += float32(a * xx[1])
		yy[2] += float32(a * xx[2])
		yy[3] += float32(a * xx[3])
	}
	for ; j < len(y); j++ {
		y[j] += float32(a * x[j])
	}
}

// hostCurrent computes the direct-current input of the first layer,
//
//	cur[j] = (Σ_i fw[i*out+j]·(x_i·scale)) + fb[j]
//
// summed over i in increasing order in float32 (zero inputs add nothing and
// are skipped).
func hostCurrent(cur, fw, fb []float32, x []uint8, scale float32) {
	out := len(cur)
	clear(cur)
	for i, px := range x {
		if px == 0 {
			continue
		}
		axpy(cur, float32(px)*scale, fw[i*out:(i+1)*out])
	}
	fb = fb[:out]
	for j := range cur {
		cur[j] += fb[j]
	}
}
