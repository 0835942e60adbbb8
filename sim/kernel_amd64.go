//go:build amd64 && !purego

package sim

import (
	"golang.org/x/sys/cpu"

	"github.com/snnc/snnc/targets"
)

// useAVX2 selects the AVX2 row kernels. They compute exactly what the
// portable loops compute (integer sums; float sums in the same order and
// with every product rounded, no fused multiply-add).
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// spikeLanes is lifAVX2's table of packed lanes (targets.SpikeLanes).
var spikeLanes = targets.SpikeLanes()

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

// add2fClearAVX2 adds acc[j] += a[j]+b[j] and sets a[j] = b[j] = 0 for
// j < len(acc)&^7.
//
//go:noescape
func add2fClearAVX2(acc, a, b []float32)

// lifAVX2 is the float LIF update of lifUpdate for 8 neurons at a time
// (mode&3 0: reset to zero, 1: by subtraction, 2: none; mode&4: skip
// groups of 8 neurons whose u, fired and c are all +0, which the update
// leaves so without a spike when γ is finite and ϑ > 0), with the same
// single-precision operations in the same order (no fused multiply-add).
// It updates u and fired[0:len(u)] (len(u) a multiple of 8), writes the
// indices of the neurons that spiked to spk (and may write anything past
// them in spk[:len(u)]) and returns their number.
//
//go:noescape
func lifAVX2(u, fired, c []float32, spk []int32, gamma, thr float32, mode int) int

// spansAVX2 is spanInput's delivery loop (spans.go): for each input i of
// in, its segments segs[ptr[i]:ptr[i+1]]: coreIn[core]++, coreSyn[core] +=
// syn, and the span w[off:off+hi−lo] added to acc[lo:hi], or the scatter
// list sw[off:off+syn] added to acc at dst[off:off+syn]. It checks no
// bounds: the layout must have passed spanLayout.check for acc and the
// inputs must be below len(ptr)−1.
//
//go:noescape
func spansAVX2(acc, in, ptr []int32, segs []segment, w []int16, dst []int32, sw []int16, coreIn, coreSyn []int64)

// addSpansFAVX2 is sparseRows.addF: for each input i of in, the segment
// spans[i] added to c (the span fsw[off:off+hi−lo] to c[lo:hi], or the
// list fw[off:off+syn] at dst[off:off+syn]), input after input, each sum
// rounded as the portable loop rounds it. It checks no bounds (see
// sparseRows.checkSpans).
//
//go:noescape
func addSpansFAVX2(c []float32, in []int32, spans []segment, fsw []float32, dst []int32, fw []float32)
