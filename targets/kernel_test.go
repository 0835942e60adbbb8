package targets

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// randomKernelParams draws parameters in every model's valid range (each
// model reads its own fields), with the edge values weighted up.
func randomKernelParams(r *rand.Rand, bits uint8) KernelParams {
	pick := func(xs ...int32) int32 { return xs[r.IntN(len(xs))] }
	lim := int32(1)<<(bits-1) - 1
	return KernelParams{
		DecayU:         pick(0, 4096, 1, 4095, int32(r.IntN(4097))),
		DecayV:         pick(0, 4096, 1, 4095, int32(r.IntN(4097))),
		WeightExponent: int8(r.IntN(15) - 6),
		Threshold:      pick(0, 1, int32(r.IntN(2000)), int32(r.Int64N(int64(lim)>>6+1))),
		NegThreshold:   pick(0, int32(r.IntN(1000)), int32(r.Int64N(int64(lim)+1))),
		Leak:           pick(0, int32(r.IntN(200)-100), int32(r.Int64N(int64(lim)+1))-lim/2),
		Reset:          uint8(r.IntN(3)),
		PotentialBits:  bits,
	}
}

// conformKernel: the kernel the simulator runs computes exactly the
// reference step, neuron by neuron, on random parameters, states, inputs
// and core ranges (the AVX2 path included where the CPU has it), and
// counts every neuron active when the core had input.
func conformKernel(t *testing.T, tg *Target) {
	b := tg.Backend()
	if b.Capabilities().RecurrentCore {
		t.Skip("runs as one population (RecurrentCore, tested in xylo_test.go), not per-layer kernels")
	}
	r := rand.New(rand.NewPCG(5, uint64(len(tg.Name))))
	const trials = 400
	refused := 0
	for trial := range trials {
		bits := uint8(tg.Bits.Potential)
		if trial%5 == 4 {
			bits = uint8(8 + r.IntN(25)) // other widths take the portable loop
		}
		kp := randomKernelParams(r, bits)
		k, err := b.Kernel(kp)
		if err != nil { // parameters outside this model's range
			refused++
			continue
		}
		ref, err := b.Kernel(kp)
		require.NoError(t, err)
		n := 1 + r.IntN(40)
		lim := int64(1)<<(bits-1) - 1
		u, v := make([]int32, n), make([]int32, n)
		for j := range u {
			if r.IntN(3) > 0 {
				u[j] = WrapSigned(r.Int64N(2*lim+1)-lim, bits)
				v[j] = int32(r.Int64N(2*lim+1) - lim)
			}
		}
		bias := make([]int64, n)
		for j := range bias {
			switch r.IntN(4) {
			case 0:
				bias[j] = r.Int64N(1<<27) - 1<<26 // beyond the ±2^25 clamp
			case 1:
				bias[j] = r.Int64N(2000) - 1000
			}
		}
		bias32 := ClampBias(make([]int32, n), bias)
		ru, rv := append([]int32(nil), u...), append([]int32(nil), v...)
		for step := range 6 {
			s := r.IntN(n)
			e := s + 1 + r.IntN(n-s)
			had := r.IntN(2) == 0
			acc := make([]int32, n)
			if had {
				for j := s; j < e; j++ {
					if r.IntN(2) == 0 {
						acc[j] = int32(r.IntN(1<<15) - 1<<14)
					}
				}
			}
			var want []int32
			for j := s; j < e; j++ {
				if ref.Reference(&ru[j], &rv[j], int64(acc[j]), bias[j]) {
					want = append(want, int32(j))
				}
			}
			spk := make([]int32, n+1)
			var paths KernelPaths
			got, active := k.Step(u, v, acc, bias, bias32, had, spk, 1, s, e, &paths)
			where := fmt.Sprintf("%s trial %d step %d %+v [%d,%d) had %v", tg.Name, trial, step, kp, s, e, had)
			require.Equal(t, int64(e-s), paths.Vector+paths.Dense+paths.Sparse, "every neuron counted once: "+where)
			require.Equal(t, want, append([]int32(nil), spk[1:got]...), where)
			require.Equal(t, rv, v, where)
			require.Equal(t, ru, u, where) // a model without u leaves it alone
			require.Equal(t, make([]int32, n), acc, "acc cleared: "+where)
			require.LessOrEqual(t, active, e-s, where)
			if had {
				require.Equal(t, e-s, active, where)
			}
		}
	}
	require.Less(t, refused, trials*2/3, "the kernel refuses most parameters")
}

// TestCUBAAVX2MatchesPortable runs the AVX2 CUBA kernel and the portable
// 24-bit loop on the same random states, inputs and parameters, many next
// to the wrap of u, the clip of v and the ±2^25 bias clamp, and requires
// the same u, v, cleared accumulators and spikes.
func TestCUBAAVX2MatchesPortable(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernel on this machine or build (purego)")
	}
	r := rand.New(rand.NewPCG(8, 9))
	const lim = 1<<23 - 1
	edge := func() int32 {
		switch r.IntN(3) {
		case 0:
			return int32(r.IntN(2*lim+1) - lim)
		case 1:
			return int32(lim - r.IntN(1<<12))
		default:
			return -int32(lim - r.IntN(1<<12))
		}
	}
	spikes, wraps := 0, 0
	for trial := 0; trial < 3000; trial++ {
		n := 8 * (1 + r.IntN(8))
		du := int64([]int{0, 1, 2048, 4095, 4096, r.IntN(4097)}[r.IntN(6)])
		dv := int64([]int{0, 1, 2048, 4095, 4096, r.IntN(4097)}[r.IntN(6)])
		shift := uint8(6 + r.IntN(8))
		vth := int64(r.IntN(1<<17)) << 6
		u, v, acc := make([]int32, n), make([]int32, n), make([]int32, n)
		bias := make([]int64, n)
		for j := range u {
			u[j], v[j] = edge(), edge()
			acc[j] = int32(r.IntN(1<<12) - 1<<11)
			if r.IntN(8) == 0 {
				acc[j] = int32(r.IntN(1<<20) - 1<<19)
			}
			switch r.IntN(4) {
			case 0:
				bias[j] = int64(r.IntN(1<<27) - 1<<26) // beyond the ±2^25 clamp
			case 1:
				bias[j] = int64(r.IntN(1 << 10))
			}
		}
		b32 := ClampBias(make([]int32, n), bias)
		u2, v2, acc2 := slices.Clone(u), slices.Clone(v), slices.Clone(acc)
		spk, spk2 := make([]int32, n), make([]int32, n)
		base := int32(r.IntN(100))
		ns := cuba24AVX2(u, v, acc, b32, spk, base, int32(4096-du), int32(4096-dv), int32(vth), uint64(shift))
		// the portable loop indexes neurons from s: run it on a copy shifted by base
		pad := int(base)
		pu, pv, pacc := append(make([]int32, pad), u2...), append(make([]int32, pad), v2...), append(make([]int32, pad), acc2...)
		pb := append(make([]int64, pad), bias...)
		pspk := make([]int32, pad+n)
		ns2 := cubaDense24(pu, pv, pacc, pb, pspk, 0, pad, pad+n, 4096-du, 4096-dv, shift, vth)
		copy(spk2, pspk[:ns2])
		if !slices.Equal(u, pu[pad:]) || !slices.Equal(v, pv[pad:]) || !slices.Equal(acc, pacc[pad:]) ||
			ns != ns2 || !slices.Equal(spk[:ns], spk2[:ns2]) {
			t.Fatalf("trial %d (n %d, du %d, dv %d, shift %d, vth %d): AVX2 and portable loops differ", trial, n, du, dv, shift, vth)
		}
		spikes += ns
		for j := range u2 {
			if x := int64(u2[j])*(4096-du)>>12 + int64(acc2[j])<<shift; x > lim || x < -lim-1 {
				wraps++
			}
		}
	}
	t.Logf("%d spikes, about %d wraps", spikes, wraps)
	require.Positive(t, spikes)
	require.Positive(t, wraps)
}

// BenchmarkKernel runs each target's kernel over a core of 512 neurons
// with input ("bytes" = neurons).
func BenchmarkKernel(b *testing.B) {
	const n = 512
	for _, name := range AllNames() {
		b.Run(name, func(b *testing.B) {
			tg, err := Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			k, err := tg.Backend().Kernel(KernelParams{DecayU: 4096, DecayV: 2048, WeightExponent: 1, Threshold: 3000, Leak: 1, PotentialBits: uint8(tg.Bits.Potential)})
			if err != nil {
				b.Fatal(err)
			}
			u, v, acc := make([]int32, n), make([]int32, n), make([]int32, n)
			bias := make([]int64, n)
			for j := range bias {
				bias[j] = int64(r.IntN(100000) - 30000)
			}
			in := make([]int32, n)
			for j := range in {
				in[j] = int32(r.IntN(64) - 32)
			}
			b32 := ClampBias(make([]int32, n), bias)
			spk := make([]int32, n)
			var paths KernelPaths
			b.SetBytes(n)
			for b.Loop() {
				copy(acc, in)
				k.Step(u, v, acc, bias, b32, true, spk, 0, 0, n, &paths)
			}
		})
	}
}

// TestLinearLeakAVX2MatchesPortable runs the AVX2 linear-leak kernel and
// the portable loop on the same random potentials, inputs and parameters
// (every reset mode, with and without a floor, accumulators far beyond the
// kernel's ±2^26 clamp, biases at ±2^25, potentials at the clip, groups of
// idle neurons the kernel skips), and
// requires the same potentials, cleared accumulators and spikes.
func TestLinearLeakAVX2MatchesPortable(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernel on this machine or build (purego)")
	}
	r := rand.New(rand.NewPCG(10, 11))
	spikes, clamped, clipped, idle := 0, 0, 0, 0
	nonZero := func(x int32) bool { return x != 0 }
	for trial := 0; trial < 3000; trial++ {
		bits := uint8([]int{9, 20, 24}[r.IntN(3)])
		lim := int64(1)<<(bits-1) - 1
		p := TrueNorthParams{PotentialBits: bits, Reset: uint8(r.IntN(3)),
			Leak: int32(r.IntN(1<<(bits-2)) - 1<<(bits-3)), Threshold: int32(r.Int64N(2*lim) - lim/2)}
		switch r.IntN(6) {
		case 0:
			p.Leak = int32([]int{-1 << 24, 1 << 24, 0}[r.IntN(3)])
		case 1:
			p.Leak = 0
		}
		if r.IntN(2) == 0 {
			p.NegThreshold = int32(r.Int64N(2 * lim))
		}
		n := 8 * (1 + r.IntN(8))
		v, acc, bias := make([]int32, n), make([]int32, n), make([]int64, n)
		for j := range v {
			v[j] = int32(r.Int64N(2*lim+1) - lim)
			if r.IntN(4) == 0 {
				v[j] = int32([]int64{lim, -lim}[r.IntN(2)])
			}
			switch r.IntN(4) {
			case 0:
				acc[j] = int32(r.Uint32()) // any int32
			case 1:
				acc[j] = int32(r.IntN(1<<28) - 1<<27)
			default:
				acc[j] = int32(r.IntN(1<<12) - 1<<11)
			}
			if a := int64(acc[j]); a > 1<<26 || a < -1<<26 {
				clamped++
			}
			switch r.IntN(4) {
			case 0:
				bias[j] = []int64{1 << 25, -1 << 25}[r.IntN(2)]
			case 1:
				bias[j] = int64(r.IntN(1<<12) - 1<<11)
			}
			if x := int64(v[j]) + int64(acc[j]) + bias[j] - int64(p.Leak); x > lim || x < -lim {
				clipped++
			}
		}
		if trial%3 == 0 {
			// idle groups: 8 neurons with zero potential, input and bias
			for g := 0; g < n; g += 8 {
				if r.IntN(2) == 0 {
					clear(v[g : g+8])
					clear(acc[g : g+8])
					clear(bias[g : g+8])
					if r.IntN(3) == 0 { // all but one value zero
						k := g + r.IntN(8)
						switch x := int32(1 + r.IntN(100)); r.IntN(3) {
						case 0:
							v[k] = x
						case 1:
							acc[k] = x
						default:
							bias[k] = int64(x)
						}
					}
				}
			}
		}
		q := newLinearLeakMasks(p)
		q32, ok := q.vector32(bits)
		require.True(t, ok, "trial %d: parameters %+v should have an exact 32-bit form", trial, p)
		b32 := ClampBias(make([]int32, n), bias)
		if q32.idle != 0 {
			for g := 0; g < n; g += 8 {
				if !slices.ContainsFunc(v[g:g+8], nonZero) && !slices.ContainsFunc(acc[g:g+8], nonZero) && !slices.ContainsFunc(b32[g:g+8], nonZero) {
					idle++
				}
			}
		}
		v2, acc2 := slices.Clone(v), slices.Clone(acc)
		base := r.IntN(100)
		spk, spk2 := make([]int32, n), make([]int32, n)
		ns := linearLeakAVX2(v, acc, b32, spk, int32(base), &q32)
		ns2 := linearLeakLoop(&q, v2, acc2, bias, spk2, 0, base)
		if !slices.Equal(v, v2) || !slices.Equal(acc, acc2) || ns != ns2 || !slices.Equal(spk[:ns], spk2[:ns2]) {
			t.Fatalf("trial %d (%+v): AVX2 and portable loops differ", trial, p)
		}
		spikes += ns
	}
	t.Logf("%d spikes, %d clamped accumulators, %d clipped sums, %d idle groups skipped", spikes, clamped, clipped, idle)
	require.Positive(t, idle)
	require.Positive(t, spikes)
	require.Positive(t, clamped)
	require.Positive(t, clipped)
}
