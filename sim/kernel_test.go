package sim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

func BenchmarkLoihiCore(b *testing.B) {
	const n = 512
	r := rand.New(rand.NewPCG(1, 2))
	L := &chipLayer{netLayer: &netLayer{out: n}, du: 0, dv: 2048, shift: 7, vth: 3000 << 6, bits: 24, idleNoop: true}
	u, v, acc := make([]int32, n), make([]int32, n), make([]int32, n)
	bias := make([]int64, n)
	for j := range bias {
		bias[j] = int64(r.IntN(100000) - 30000)
	}
	in := make([]int32, n)
	for j := range in {
		in[j] = int32(r.IntN(64) - 32)
	}
	b32 := clampBias(make([]int32, n), bias)
	spk := make([]int32, n)
	var paths loihiPaths
	b.SetBytes(n) // "bytes" = neurons
	for b.Loop() {
		copy(acc, in)
		loihiCore(L, u, v, acc, bias, b32, true, spk, 0, 0, n, &paths)
	}
}

func BenchmarkAddRows(b *testing.B) {
	const in, out = 512, 512
	r := rand.New(rand.NewPCG(1, 2))
	wT := make([]int16, in*out)
	for i := range wT {
		wT[i] = int16(r.IntN(512) - 256)
	}
	idx := make([]int32, 0, in)
	for i := 0; i < in; i++ {
		if r.IntN(7) == 0 {
			idx = append(idx, int32(i))
		}
	}
	acc := make([]int32, out)
	b.SetBytes(int64(len(idx) * out)) // "bytes" = synaptic events
	for b.Loop() {
		addRows(acc, wT, out, idx)
	}
}

// TestKernels checks the row kernels (AVX2 where available; the portable
// loops with -tags purego) against plain loops, bit for bit, for lengths
// around the vector widths.
func TestKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for out := 1; out <= 70; out++ {
		in := 9
		wT := make([]int16, in*out)
		fT := make([]float32, in*out)
		for i := range wT {
			wT[i] = int16(r.Uint32())
			fT[i] = float32(r.NormFloat64())
		}
		for nspk := 0; nspk <= in; nspk++ {
			idx := make([]int32, nspk)
			for k := range idx {
				idx[k] = int32(r.IntN(in))
			}
			acc := make([]int32, out)
			facc := make([]float32, out)
			want := make([]int32, out)
			fwant := make([]float32, out)
			for j := range acc {
				acc[j] = int32(r.Uint32())
				want[j] = acc[j]
				facc[j] = float32(r.NormFloat64())
				fwant[j] = facc[j]
			}
			addRows(acc, wT, out, idx)
			addRowsF(facc, fT, out, idx)
			k := 0
			for ; k+4 <= nspk; k += 4 {
				for j := 0; j < out; j++ {
					want[j] += int32(wT[int(idx[k])*out+j]) + int32(wT[int(idx[k+1])*out+j]) + int32(wT[int(idx[k+2])*out+j]) + int32(wT[int(idx[k+3])*out+j])
					fwant[j] += (fT[int(idx[k])*out+j] + fT[int(idx[k+1])*out+j]) + (fT[int(idx[k+2])*out+j] + fT[int(idx[k+3])*out+j])
				}
			}
			for ; k < nspk; k++ {
				for j := 0; j < out; j++ {
					want[j] += int32(wT[int(idx[k])*out+j])
					fwant[j] += fT[int(idx[k])*out+j]
				}
			}
			if !slicesEqual(acc, want) || !slicesEqual(facc, fwant) {
				t.Fatalf("out %d, %d spikes: row kernels differ from plain loops", out, nspk)
			}
		}
		y := make([]float32, out)
		yw := make([]float32, out)
		a := float32(r.NormFloat64())
		for j := range y {
			y[j] = float32(r.NormFloat64())
			yw[j] = y[j]
		}
		axpy(y, a, fT[:out])
		for j := range yw {
			p := float32(a * fT[j])
			yw[j] = yw[j] + p
		}
		if !slicesEqual(y, yw) {
			t.Fatalf("out %d: axpy differs from a plain loop", out)
		}
	}
}

// TestLoihiAVX2MatchesPortable runs the AVX2 Loihi kernel and the portable
// 24-bit loop on the same random states, inputs and parameters, many next
// to the wrap of u, the clip of v and the ±2^25 bias clamp, and requires
// the same u, v, cleared accumulators and spikes.
func TestLoihiAVX2MatchesPortable(t *testing.T) {
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
		b32 := clampBias(make([]int32, n), bias)
		u2, v2, acc2 := slices.Clone(u), slices.Clone(v), slices.Clone(acc)
		spk, spk2 := make([]int32, n), make([]int32, n)
		base := int32(r.IntN(100))
		ns := loihi24AVX2(u, v, acc, b32, spk, base, int32(4096-du), int32(4096-dv), int32(vth), uint64(shift))
		// the portable loop indexes neurons from s: run it on a copy shifted by base
		pad := int(base)
		pu, pv, pacc := append(make([]int32, pad), u2...), append(make([]int32, pad), v2...), append(make([]int32, pad), acc2...)
		pb := append(make([]int64, pad), bias...)
		pspk := make([]int32, pad+n)
		ns2 := loihiDense24(pu, pv, pacc, pb, pspk, 0, pad, pad+n, 4096-du, 4096-dv, shift, vth)
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

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestConvLowering checks the dense form of a conv layer against the
// convolution written out.
func TestConvLowering(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for n := 0; n < 20; n++ {
		ic, ih, iw := 1+r.IntN(3), 3+r.IntN(5), 3+r.IntN(5)
		oc, kh, kw := 1+r.IntN(3), 1+r.IntN(3), 1+r.IntN(3)
		sh, sw, ph, pw := 1+r.IntN(2), 1+r.IntN(2), r.IntN(2), r.IntN(2)
		oh, ow := (ih+2*ph-kh)/sh+1, (iw+2*pw-kw)/sw+1
		l := &ir.Layer{Kind: ir.KindConv2D, InShape: []int{ic, ih, iw}, OutShape: []int{oc, oh, ow},
			Kernel: [2]int{kh, kw}, Stride: [2]int{sh, sw}, Padding: [2]int{ph, pw}}
		w := make([]int16, oc*ic*kh*kw)
		for i := range w {
			w[i] = int16(r.IntN(19) - 9)
		}
		wT, err := transpose(l, w, "conv", "weights")
		if err != nil {
			t.Fatal(err)
		}
		in, out := ic*ih*iw, oc*oh*ow
		x := make([]int32, in)
		for i := range x {
			x[i] = int32(r.IntN(7) - 3)
		}
		for o := 0; o < out; o++ {
			var got, want int32
			for i := 0; i < in; i++ {
				got += x[i] * int32(wT[i*out+o])
			}
			c, oy, ox := o/(oh*ow), o/ow%oh, o%ow
			for ci := 0; ci < ic; ci++ {
				for ky := 0; ky < kh; ky++ {
					for kx := 0; kx < kw; kx++ {
						y, xx := oy*sh-ph+ky, ox*sw-pw+kx
						if y >= 0 && y < ih && xx >= 0 && xx < iw {
							want += x[(ci*ih+y)*iw+xx] * int32(w[((c*ic+ci)*kh+ky)*kw+kx])
						}
					}
				}
			}
			if got != want {
				t.Fatalf("case %d output %d: dense form gives %d, convolution %d", n, o, got, want)
			}
		}
	}
}
