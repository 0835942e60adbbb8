//go:build !amd64 || purego

package sim

const useAVX2 = false

func add4AVX2(acc []int32, a, b, c, d []int16) { panic("sim: no AVX2") }
func add1AVX2(acc []int32, a []int16)          { panic("sim: no AVX2") }
func add4fAVX2(acc, a, b, c, d []float32)      { panic("sim: no AVX2") }
func axpyNoFMAAVX2(a float32, x, y []float32)  { panic("sim: no AVX2") }
