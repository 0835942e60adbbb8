//go:build !amd64 || purego

package targets

const useAVX2 = false

func cuba24AVX2(u, v, acc, bias, spk []int32, base, du, dv, vth int32, sh uint64) int {
	panic("targets: no AVX2")
}
