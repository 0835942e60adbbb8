//go:build amd64 && !purego

package train

import "golang.org/x/sys/cpu"

var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// useMixAVX2: mixWindowAVX2 also needs BMI2 (PDEP, BZHI, SHLX) and POPCNT.
var useMixAVX2 = useAVX2 && cpu.X86.HasBMI2 && cpu.X86.HasPOPCNT

// axpyAVX2 computes y += a·x with len(y) == len(x) ≥ 1.
//
//go:noescape
func axpyAVX2(a float32, x, y []float32)

// dotAVX2 returns Σ x[i]·y[i] with len(y) == len(x) ≥ 1.
//
//go:noescape
func dotAVX2(x, y []float32) float32

// patchDotAVX2 is patchDot on pointers with strides in floats; n is a
// positive multiple of 8 and the grids lie inside their slices.
//
//go:noescape
func patchDotAVX2(x *float32, xrs, xcs int, y *float32, yrs, ycs, rows, cols, n int) float32

// patchDots8AVX2 is patchDots8 on pointers with strides and n in bytes;
// n is a positive multiple of 32 and the grids lie inside their slices.
//
//go:noescape
func patchDots8AVX2(x *float32, xc8, xrs, xcs int, y *float32, yrs, ycs, rows, cols, nbytes int, out *[8]float32)

// lifStepAVX2 is lifStep for n (a positive multiple of 8) neurons; with
// first set, up and sp are not read.
//
//go:noescape
func lifStepAVX2(u, up, sp, c *float32, n int, gamma, theta float32, halfBits uint32, first int, sv *float32, spk, win *uint8)

// lifBackAVX2 is lifBack for n (a positive multiple of 8) neurons.
//
//go:noescape
func lifBackAVX2(u, sv, gs, gun, gc *float32, n int, gamma, theta, inva float32, halfBits uint32, sum int, lanes *[8]float32)

// patchAxpyEventsAVX2 is patchAxpyEvents on pointers with strides and n in
// bytes; n is a positive multiple of 32, every event has rows, cols ≥ 1
// and its grids lie inside their slices.
//
//go:noescape
func patchAxpyEventsAVX2(ev *patchEvent, nev int, x *float32, xrs, xcs int, y *float32, yrs, ycs, nbytes int)

// gatherPairAVX2 computes the currents of two outputs of a convolution
// from their row-list runs (see gatherArgs); every run's 64 bytes and
// every list's end lie inside their slices.
//
//go:noescape
func gatherPairAVX2(a *gatherArgs)

// transpose8AVX2 writes the rows×cols matrix at src as its transpose at
// dst; rows and cols are positive multiples of 8.
//
//go:noescape
func transpose8AVX2(dst, src *float32, rows, cols int)

// spread2AVX2 writes scale·src[i] to elements 2i and 2i+1 of dst0 and dst1
// for i < n, a positive multiple of 4.
//
//go:noescape
func spread2AVX2(dst0, dst1, src *float32, n int, scale float32)

// gatherPair16AVX2 is gatherPairAVX2 for OutC a multiple of 16 (chunks of
// 16 channels).
//
//go:noescape
func gatherPair16AVX2(a *gatherArgs)

// pool2AVX2 is AvgPool.pool2 for one row of n windows (a positive multiple
// of 4) from input rows r0 and r1.
//
//go:noescape
func pool2AVX2(y, r0, r1 *float32, n int, scale float32)

// rowsGatherAVX2 adds x[i]·w[i·n:][:n] to y[:n] for the listed i in
// order; 8 ≤ n ≤ 16, mask[j] = −1 for j < n, 0 after.
//
//go:noescape
func rowsGatherAVX2(y, w *float32, n int, x *float32, idx *int32, cnt int, mask *[16]int32)

// rowsScatterAVX2 adds x[i]·e[:n] to dst[i·n:][:n] for the listed i in
// order; 8 ≤ n ≤ 16, mask as for rowsGatherAVX2.
//
//go:noescape
func rowsScatterAVX2(dst, e *float32, n int, x *float32, idx *int32, cnt int, mask *[16]int32)

// tapsAVX2 adds the weight gradient of one to three taps of a convolution
// over the ranges of a sample's row lists (see tapArgs).
//
//go:noescape
func tapsAVX2(a *tapArgs)

// mixWindowAVX2 is mixWindow for the first nwords 64-neuron words (u and
// sv hold at least 64·nwords values), with the constants k and the mask
// stream's state *st.
//
//go:noescape
func mixWindowAVX2(win, spk *uint8, u, sv *float32, nwords int, k *mixConsts, st *uint64)

// useListAVX2: listPlaneAVX2 also needs POPCNT.
var useListAVX2 = useAVX2 && cpu.X86.HasPOPCNT

// listPlaneAVX2 is listPlane without padding for a plane of h rows of w
// values at x (pc holds h·(w+1) prefixes): it writes the entries of the
// non-zero values from e on, eight whole entries per eight values (e has
// room for w·h + 8), and returns their number; base is listPlane's n.
//
//go:noescape
func listPlaneAVX2(x *float32, w, h int, pc *int32, e *rowEntry, base, off, rowStep, colStep int32, tab *listTables) int
