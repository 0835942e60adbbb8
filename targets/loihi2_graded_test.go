package targets

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

// TestLoihi2StepCount checks the several-spike neuron against the reset
// written out independently: the same step with a threshold it cannot
// reach gives the potential before the reset; then s = min(⌊v/ϑ⌋, 31)
// spikes with ϑ = Vth·64 + 1 where v > Vth·64, and v − s·ϑ.
func TestLoihi2StepCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[int32]int{}
	for range 20000 {
		p := Loihi2LIF{Du: rng.Int32N(4096), Dv: rng.Int32N(4096), BiasMant: rng.Int32N(1<<12) - 1<<11,
			Vth: rng.Int32N(1 << rng.IntN(17)), SubtractReset: true, MultiSpike: true}
		s := Loihi2State{U: rng.Int32N(1<<24) - 1<<23, V: rng.Int32N(1<<24) - 1<<23}
		a := rng.Int32N(1<<17) - 1<<16
		free := p
		free.Vth = 1 << 17 // v ≤ 2^23 − 1 < Vth·64 = 2^23: no spike, no reset
		pre := s
		require.False(t, Loihi2Step(&free, &pre, a))
		theta := p.Vth<<6 + 1
		want, wantV := int32(0), pre.V
		if pre.V >= theta {
			want = min(pre.V/theta, ir.MaxSpikesPerStep)
			wantV = pre.V - want*theta
		}
		got := s
		n := Loihi2StepCount(&p, &got, a)
		require.Equal(t, want, n, "%+v %+v a=%d", p, s, a)
		require.Equal(t, wantV, got.V)
		require.Equal(t, pre.U, got.U)
		counts[min(n, 2)]++
		// without MultiSpike: one spike and one ϑ
		one := p
		one.MultiSpike = false
		got1 := s
		if n1 := Loihi2StepCount(&one, &got1, a); n > 0 {
			require.Equal(t, int32(1), n1)
			require.Equal(t, pre.V-theta, got1.V)
		} else {
			require.Zero(t, n1)
		}
	}
	// every branch is reached: no spike, one, several
	assert.Positive(t, counts[0])
	assert.Positive(t, counts[1])
	assert.Positive(t, counts[2])
}

// TestLoihi2GradedKernel: Reset 3 (ir.ResetSubtractMulti) gives a
// GradedKernel whose StepGraded writes, for every neuron, the count its
// ReferenceCount gives; Loihi 1's kernels are not GradedKernels.
func TestLoihi2GradedKernel(t *testing.T) {
	b := lookupLoihi2(t).Backend()
	k, err := b.Kernel(KernelParams{DecayU: 4096, DecayV: 300, WeightExponent: 0, Threshold: 50, Reset: uint8(ir.ResetSubtractMulti), PotentialBits: Loihi2StateBits})
	require.NoError(t, err)
	gk, ok := k.(GradedKernel)
	require.True(t, ok)
	plain, err := b.Kernel(KernelParams{DecayU: 4096, DecayV: 300, Threshold: 50, Reset: 1, PotentialBits: Loihi2StateBits})
	require.NoError(t, err)
	_, ok = plain.(GradedKernel)
	assert.False(t, ok, "a subtract-reset layer sends binary spikes")
	l1, err := Lookup("loihi")
	require.NoError(t, err)
	k1, err := l1.Backend().Kernel(KernelParams{DecayU: 4096, DecayV: 300, Threshold: 50, Reset: uint8(ir.ResetSubtractMulti), PotentialBits: 24})
	if err == nil {
		_, ok = k1.(GradedKernel)
		assert.False(t, ok, "loihi has binary spikes only")
	}

	rng := rand.New(rand.NewPCG(3, 4))
	const n = 200
	u, v, acc := make([]int32, n), make([]int32, n), make([]int32, n)
	ru, rv := make([]int32, n), make([]int32, n)
	bias := make([]int64, n)
	spk, pay := make([]int32, n), make([]int32, n)
	var paths KernelPaths
	several := 0
	for step := range 50 {
		for j := range acc {
			acc[j] = rng.Int32N(1<<10) - 1<<8
			if step%7 == 0 {
				acc[j] = 0
			}
		}
		want := make([]int32, n)
		for j := range want {
			want[j] = gk.ReferenceCount(&ru[j], &rv[j], int64(acc[j]), bias[j])
		}
		had := step%7 != 0
		cnt, _ := gk.StepGraded(u, v, acc, bias, nil, had, spk, pay, 0, 0, n, &paths)
		got := make([]int32, n)
		for i := range cnt {
			got[spk[i]] = pay[i]
			if pay[i] > 1 {
				several++
			}
		}
		require.Equal(t, want, got, "step %d", step)
		require.Equal(t, ru, u)
		require.Equal(t, rv, v)
	}
	assert.Positive(t, several, "counts above 1 are reached")
}
