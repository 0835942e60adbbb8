//go:build !amd64 || purego

package sim

const useAVX2 = false

func add4AVX2(acc []int32, a, b, c, d []int16) { panic("sim: no AVX2") }
func add1AVX2(acc []int32, a []int16)          { panic("sim: no AVX2") }
func add4fAVX2(acc, a, b, c, d []float32)      { panic("sim: no AVX2") }
func axpyNoFMAAVX2(a float32, x, y []float32)  { panic("sim: no AVX2") }

func add1fAVX2(acc, a []float32) { panic("sim: no AVX2") }

func add2fClearAVX2(acc, a, b []float32) { panic("sim: no AVX2") }

func lifAVX2(u, fired, c []float32, spk []int32, gamma, thr float32, mode int) int {
	panic("sim: no AVX2")
}

func spansAVX2(acc, in, ptr []int32, segs []segment, w []int16, dst []int32, sw []int16, coreIn, coreSyn []int64) {
	panic("sim: no AVX2")
}

func addSpansFAVX2(c []float32, in []int32, spans []segment, fsw []float32, dst []int32, fw []float32) {
	panic("sim: no AVX2")
}
