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
