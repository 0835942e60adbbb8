//go:build amd64 && !purego

package targets

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 form of the CUBA kernel. It computes exactly
// what the portable loop computes (see TestCUBAKernel).
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasPOPCNT

// spikeLanes is linearLeakAVX2's table of packed lanes (SpikeLanes).
var spikeLanes = SpikeLanes()

// cuba24AVX2 is cubaDense24 for 8 neurons at a time, in 32-bit lanes:
// the decay sgn(x)·((|x|·d)>>12) is computed exactly as
// sgn(x)·((|x|>>12)·d + ((|x|&4095)·d)>>12), the 24-bit wrap of u modulo
// 2^32, and the bias comes clamped to ±2^25 (see ClampBias). It updates u,
// v and acc[0:len(u)] (len(u) a multiple of 8), writes the indices base+j
// of the neurons that spiked to spk and returns their number.
//
//go:noescape
func cuba24AVX2(u, v, acc, bias, spk []int32, base, du, dv, vth int32, sh uint64) int

// linearLeakAVX2 is linearLeakLoop for 8 neurons at a time, in 32-bit
// lanes with the parameters q (see linearLeak32: the accumulator clamped to
// ±q.accLim, the bias given as int32). It updates v and acc[0:len(v)]
// (len(v) a multiple of 8), writes the indices base+j of the neurons that
// spiked to spk (and may write anything past them in spk[:len(v)]) and
// returns their number.
//
//go:noescape
func linearLeakAVX2(v, acc, bias, spk []int32, base int32, q *linearLeak32) int
