//go:build !amd64 || purego

package train

const useAVX2 = false

func axpyAVX2(a float32, x, y []float32) { axpyGeneric(a, x, y) }
