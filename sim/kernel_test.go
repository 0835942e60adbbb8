package sim

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

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
		// add2fClear: y += (a + b), a and b cleared
		fa, fb := append([]float32(nil), fT[:out]...), append([]float32(nil), fT[len(fT)-out:]...)
		for j := range yw {
			s := fa[j] + fb[j]
			yw[j] = yw[j] + s
		}
		add2fClear(y, fa, fb)
		if !slicesEqual(y, yw) || slices.ContainsFunc(fa, func(x float32) bool { return x != 0 }) || slices.ContainsFunc(fb, func(x float32) bool { return x != 0 }) {
			t.Fatalf("out %d: add2fClear differs from a plain loop", out)
		}
	}
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

// TestLifAVX2MatchesPortable runs the AVX2 float LIF kernel on groups of 8
// neurons and the portable loop neuron by neuron on the same potentials,
// currents (signed zeros, NaN and infinities among them, groups of idle
// neurons the kernel skips) and parameters (infinite or NaN γ, ϑ ≤ 0), in
// every reset mode, and requires the same bits of every potential, the
// same fired flags and the same spikes.
func TestLifAVX2MatchesPortable(t *testing.T) {
	if !useAVX2 {
		t.Skip("no AVX2 kernel on this machine or build (purego)")
	}
	r := rand.New(rand.NewPCG(12, 13))
	odd := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))}
	val := func() float32 {
		if r.IntN(10) == 0 {
			return odd[r.IntN(len(odd))]
		}
		return float32(r.NormFloat64())
	}
	spikes, idle := 0, 0
	for trial := 0; trial < 2000; trial++ {
		L := &netLayer{leak: []float32{1, 0.5, float32(r.Float64()), float32(math.Inf(1)), float32(math.NaN())}[r.IntN(5)],
			thr:   []float32{float32(r.Float64() * 2), 0, -0.5}[min(2, r.IntN(5))],
			reset: []ir.ResetMode{ir.ResetZero, ir.ResetSubtract, ir.ResetNone}[r.IntN(3)]}
		n := 8 * (1 + r.IntN(8))
		u, fired, c := make([]float32, n), make([]float32, n), make([]float32, n)
		for j := range u {
			u[j], c[j], fired[j] = val(), val(), float32(r.IntN(2))
		}
		// idle groups (u, fired, c all +0), or all but one value +0
		for g := 0; g < n; g += 8 {
			if r.IntN(3) > 0 {
				continue
			}
			clear(u[g : g+8])
			clear(fired[g : g+8])
			clear(c[g : g+8])
			if r.IntN(3) == 0 {
				x := []float32{float32(math.Copysign(0, -1)), 1, float32(r.NormFloat64())}[r.IntN(3)]
				[][]float32{u, fired, c}[r.IntN(3)][g+r.IntN(8)] = x
			} else if lifMode(L)&4 != 0 {
				idle++
			}
		}
		u2, fired2 := slices.Clone(u), slices.Clone(fired)
		spk := make([]int32, n)
		ns := lifAVX2(u, fired, c, spk, L.leak, L.thr, lifMode(L))
		spk2 := []int32{}
		one := make([]int32, 1)
		for j := range u2 {
			if k, _ := lifUpdate(L, u2[j:j+1], fired2[j:j+1], c[j:j+1], one, true); k == 1 {
				spk2 = append(spk2, int32(j))
			}
		}
		for j := range u {
			// NaN payloads may differ between the vector and scalar
			// instructions; any NaN matches any NaN, every other value
			// (signed zeros included) bit for bit.
			sameU := math.Float32bits(u[j]) == math.Float32bits(u2[j]) || (u[j] != u[j] && u2[j] != u2[j])
			if !sameU || fired[j] != fired2[j] {
				t.Fatalf("trial %d (%+v), neuron %d: AVX2 u %v fired %v, portable u %v fired %v", trial, *L, j, u[j], fired[j], u2[j], fired2[j])
			}
		}
		require.Equal(t, spk2, spk[:ns:ns], "trial %d", trial)
		spikes += ns
	}
	t.Logf("%d spikes, %d idle groups skipped", spikes, idle)
	require.Positive(t, spikes)
	require.Positive(t, idle)
}
