package targets

import (
	"fmt"
	"math/rand/v2"
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
			got, active := k.Step(u, v, acc, bias, bias32, had, spk, 1, s, e)
			where := fmt.Sprintf("%s trial %d step %d %+v [%d,%d) had %v", tg.Name, trial, step, kp, s, e, had)
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
			b.SetBytes(n)
			for b.Loop() {
				copy(acc, in)
				k.Step(u, v, acc, bias, b32, true, spk, 0, 0, n)
			}
		})
	}
}
