//go:build amd64 && !purego

package sim

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 row kernels. They compute exactly what the
// portable loops compute (integer sums; float sums in the same order and
// with every product rounded, no fused multiply-add).
var useAVX2 = cpu.X86.HasAVX2

// add4AVX2 adds acc[j] += a[j]+b[j]+c[j]+d[j] for j < len(acc)&^7.
//
//go:noescape
func add4AVX2(acc []int32, a, b, c, d []int16)

// add1AVX2 adds acc[j] += a[j] for j < len(acc)&^7.
//
//go:noescape
func add1AVX2(acc []int32, a []int16)

// add4fAVX2 adds acc[j] += (a[j]+b[j]) + (c[j]+d[j]) for j < len(acc)&^7.
//
//go:noescape
func add4fAVX2(acc, a, b, c, d []float32)

// axpyNoFMAAVX2 adds y[j] += float32(a·x[j]) for j < len(y)&^7.
//
//go:noescape
func axpyNoFMAAVX2(a float32, x, y []float32)

// add1fAVX2 adds acc[j] += a[j] for j < len(acc)&^7.
//
//go:noescape
func add1fAVX2(acc, a []float32)

// lifAVX2 is the float LIF update of lifUpdate for 8 neurons at a time
// (mode 0: reset to zero, 1: by subtraction, 2: none), with the same
// single-precision operations in the same order (no fused multiply-add).
// It updates u and fired[0:len(u)] (len(u) a multiple of 8), writes the
// indices of the neurons that spiked to spk and returns their number.
//
//go:noescape
func lifAVX2(u, fired, c []float32, spk []int32, gamma, thr float32, mode int) int
