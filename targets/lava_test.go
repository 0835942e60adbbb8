package targets

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lavaStep is Lava's bit-accurate LIF update (PyLifModelBitAcc.run_spk in
// lava/proc/lif/models.py) written out as Lava writes it, with Lava's own
// parameters: du and dv in 0..4095 (u decays by du+1, its ds_offset; v by
// dv, dm_offset 0), a_in the synaptic input that Lava shifts left by 6,
// bias the scaled bias, vth the 17-bit threshold that Lava shifts left by 6.
func lavaStep(u, v *int64, aIn, bias, du, dv, vth int64) bool {
	const maxUV = 1 << 23
	decay := func(x, d int64) int64 { // np.sign(x·(4096−d)) · (|x·(4096−d)| >> 12)
		p := x * (4096 - d)
		if p < 0 {
			return -((-p) >> 12)
		}
		return p >> 12
	}
	cur := decay(*u, du+1) + aIn<<6
	wrapped := cur
	if cur > maxUV {
		wrapped = cur - 2*maxUV
	}
	if wrapped <= -maxUV {
		wrapped = cur + 2*maxUV
	}
	*u = wrapped
	*v = min(maxUV-1, max(-maxUV+1, decay(*v, dv)+*u+bias))
	if *v > vth<<6 {
		*v = 0
		return true
	}
	return false
}

// lavaTraceStep is one step of a hand-computed trace: the input (weight
// mantissa sum) and the bias, then u, v and the spike after the step.
type lavaTraceStep struct {
	in, bias int64
	u, v     int32
	spike    bool
}

// TestLoihiStepLavaTraces runs LoihiStep on traces computed by hand with
// Lava's update (du = DecayU − 1, dv = DecayV, act_shift 6): leak and
// integrate, rounding toward zero, bias, the 24-bit wrap of u on both
// sides, the clip of v on both sides, and the spike at the largest
// threshold. Each trace also runs through lavaStep.
func TestLoihiStepLavaTraces(t *testing.T) {
	const maxVth = 1<<17 - 1 // Lava's 17-bit vth: 131071<<6 = 8388544
	for _, tc := range []struct {
		name   string
		p      LoihiParams
		u0, v0 int32
		steps  []lavaTraceStep
	}{
		{"leak and integrate", LoihiParams{DecayU: 1024, DecayV: 256, WeightShift: 6, Vth: 10, PotentialBits: 24}, 0, 0,
			[]lavaTraceStep{
				// u = 0 + 5<<6 = 320; v = 0 + 320 = 320 ≤ 640
				{5, 0, 320, 320, false},
				// u = 320·3072>>12 + 3<<6 = 240 + 192 = 432; v = 320·3840>>12 + 432 = 300 + 432 = 732 > 640: spike
				{3, 0, 432, 0, true},
				// u = 432·3072>>12 = 324; v = 0 + 324
				{0, 0, 324, 324, false},
				// u = 324·3072>>12 − 4<<6 = 243 − 256 = −13; v = ⌊324·3840/4096⌋ − 13 = 303 − 13
				{-4, 0, -13, 290, false},
				// u = −(13·3072>>12) = −⌊9.75⌋ = −9 (toward zero); v = ⌊290·3840/4096⌋ − 9 = 271 − 9
				{0, 0, -9, 262, false},
			}},
		{"negative decay rounds toward zero", LoihiParams{DecayU: 2048, DecayV: 2048, WeightShift: 6, Vth: 10, PotentialBits: 24}, -4097, -4097,
			[]lavaTraceStep{
				// u = −(4097·2048>>12) = −⌊2048.5⌋ = −2048 (floor would give −2049); v = −2048 − 2048
				{0, 0, -2048, -4096, false},
			}},
		{"bias", LoihiParams{DecayU: 4096, DecayV: 0, WeightShift: 6, Vth: 10, PotentialBits: 24}, 0, 0,
			[]lavaTraceStep{
				{0, 300, 0, 300, false},   // v = 300
				{0, 300, 0, 600, false},   // v = 600 ≤ 640
				{0, 300, 0, 0, true},      // v = 900 > 640: spike
				{0, -300, 0, -300, false}, // v = −300
			}},
		{"u wraps past +2^23", LoihiParams{DecayU: 1, DecayV: 0, WeightShift: 6, Vth: maxVth, PotentialBits: 24}, 8388000, 0,
			[]lavaTraceStep{
				// 8388000·4095>>12 = 8385952; + 100<<6 = 8392352 > 2^23: − 2^24 = −8384864; v = −8384864
				{100, 0, -8384864, -8384864, false},
			}},
		{"u wraps past −2^23", LoihiParams{DecayU: 1, DecayV: 0, WeightShift: 6, Vth: maxVth, PotentialBits: 24}, -8388000, 0,
			[]lavaTraceStep{
				// −8385952 − 6400 = −8392352 ≤ −2^23: + 2^24 = 8384864; v = 8384864 ≤ 8388544
				{-100, 0, 8384864, 8384864, false},
			}},
		{"v clips at +2^23−1 and spikes at the largest threshold", LoihiParams{DecayU: 1, DecayV: 0, WeightShift: 6, Vth: maxVth, PotentialBits: 24}, 8388000, 8388000,
			[]lavaTraceStep{
				// u = 8385952; v = clip(8388000 + 8385952) = 8388607 > 8388544: spike
				{0, 0, 8385952, 0, true},
			}},
		{"v clips at −(2^23−1)", LoihiParams{DecayU: 1, DecayV: 0, WeightShift: 6, Vth: maxVth, PotentialBits: 24}, -8388000, -8388000,
			[]lavaTraceStep{
				// u = −8385952; v = clip(−8388000 − 8385952) = −8388607
				{0, 0, -8385952, -8388607, false},
				// u = −(8385952·4095>>12) = −8383904; v = clip(−8388607 − 8383904) = −8388607
				{0, 0, -8383904, -8388607, false},
			}},
		{"bias and u together saturate v", LoihiParams{DecayU: 4096, DecayV: 0, WeightShift: 7, Vth: maxVth, PotentialBits: 24}, 0, 8000000,
			[]lavaTraceStep{
				// WeightShift 7 (weight exponent 1): u = 1000<<7 = 128000; v = 8000000 + 128000 + 300000 → 8388607: spike
				{1000, 300000, 128000, 0, true},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, v := tc.u0, tc.v0
			lu, lv := int64(tc.u0), int64(tc.v0)
			e := int64(tc.p.WeightShift) - 6
			for k, st := range tc.steps {
				spike := LoihiStep(&tc.p, &u, &v, st.in, st.bias)
				assert.Equal(t, st.u, u, "step %d: u", k)
				assert.Equal(t, st.v, v, "step %d: v", k)
				assert.Equal(t, st.spike, spike, "step %d: spike", k)
				lspike := lavaStep(&lu, &lv, st.in<<e, st.bias, int64(tc.p.DecayU)-1, int64(tc.p.DecayV), int64(tc.p.Vth))
				assert.Equal(t, []any{int64(st.u), int64(st.v), st.spike}, []any{lu, lv, lspike}, "step %d: Lava", k)
			}
		})
	}
}

// TestLoihiStepLavaEdge is the one place where LoihiStep departs from Lava
// (see its doc): decay(u) + input<<6 landing exactly on ±2^23.
func TestLoihiStepLavaEdge(t *testing.T) {
	p := LoihiParams{DecayU: 1, DecayV: 0, WeightShift: 6, Vth: 10, PotentialBits: 24}
	for _, tc := range []struct {
		u0, in int64
	}{
		{8384255, 100},   // 8384255·4095>>12 = 8382208; + 6400 = 8388608 = 2^23
		{-8384255, -100}, // −8382208 − 6400 = −2^23
	} {
		u, v := int32(tc.u0), int32(0)
		spike := LoihiStep(&p, &u, &v, tc.in, 0)
		// two's complement: 2^23 wraps to −2^23, −2^23 stays; v = −2^23
		// clips to −(2^23−1)
		assert.Equal(t, int32(-1<<23), u, "u0 %d", tc.u0)
		assert.Equal(t, int32(-(1<<23 - 1)), v)
		assert.False(t, spike)
		// Lava: u = +2^23 both times, v clips to 2^23−1 and spikes
		lu, lv := tc.u0, int64(0)
		lspike := lavaStep(&lu, &lv, tc.in, 0, 0, 0, 10)
		assert.Equal(t, int64(1<<23), lu)
		assert.True(t, lspike)
	}
}

// TestLoihiStepMatchesLava compares LoihiStep with lavaStep on random
// states, inputs and parameters in Lava's ranges (16-bit a_in, 13-bit bias
// mantissa with a 3-bit exponent), many of them next to the wrap and the
// clip. They must agree wherever u does not land exactly on ±2^23.
func TestLoihiStepMatchesLava(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	const lim = 1<<23 - 1
	near := func() int64 { // anywhere, or within 2^16 of an edge
		if r.IntN(2) == 0 {
			return r.Int64N(2*lim+1) - lim
		}
		x := lim - r.Int64N(1<<16)
		if r.IntN(2) == 0 {
			x = -x
		}
		return x
	}
	edges, wraps, clips := 0, 0, 0
	for n := 0; n < 100000; n++ {
		p := LoihiParams{DecayU: 1 + r.Int32N(4096), DecayV: r.Int32N(4096), WeightShift: 6, Vth: r.Int32N(1 << 17), PotentialBits: 24}
		if r.IntN(4) == 0 {
			p.DecayU = 1 + r.Int32N(8) // slow decay: u stays near the edge
		}
		u, v := int32(near()), int32(near())
		in := int64(int16(r.Uint32()))
		bias := int64(r.Int32N(1<<13)-1<<12) << r.IntN(8)
		lu, lv := int64(u), int64(v)
		pre := int64(LoihiDecay(u, p.DecayU)) + in<<6
		spike := LoihiStep(&p, &u, &v, in, bias)
		lspike := lavaStep(&lu, &lv, in, bias, int64(p.DecayU)-1, int64(p.DecayV), int64(p.Vth))
		if pre == 1<<23 || pre == -1<<23 {
			edges++
			continue
		}
		if pre > lim || pre < -lim {
			wraps++
		}
		if lv == lim || lv == -lim {
			clips++
		}
		require.Equal(t, []any{lu, lv, lspike}, []any{int64(u), int64(v), spike}, "case %d", n)
	}
	t.Logf("%d wraps, %d clips, %d exact edges skipped", wraps, clips, edges)
	assert.Positive(t, wraps)
	assert.Positive(t, clips)
}
