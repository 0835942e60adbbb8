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
