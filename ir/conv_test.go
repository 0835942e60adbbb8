package ir

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestConvTaps counts the taps of a 3×3, padding-1 convolution over a 3×3
// image by hand: the centre output sees 9 inputs, edges 6, corners 4.
func TestConvTaps(t *testing.T) {
	l := &Layer{Kind: KindConv2D, InShape: []int{1, 3, 3}, OutShape: []int{2, 3, 3},
		Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}}
	perOut := make([]int, 18)
	maxW := 0
	ConvTaps(l, func(in, out, w int) {
		if in < 0 || in >= 9 {
			t.Fatalf("input index %d out of range", in)
		}
		perOut[out]++
		maxW = max(maxW, w)
	})
	want := []int{4, 6, 4, 6, 9, 6, 4, 6, 4}
	for c := 0; c < 2; c++ {
		for k, n := range want {
			if perOut[c*9+k] != n {
				t.Errorf("output %d: %d taps, want %d", c*9+k, perOut[c*9+k], n)
			}
		}
	}
	if maxW != 2*9-1 {
		t.Errorf("largest weight index %d, want 17", maxW)
	}
}

// TestConvTapsByHand lists the synapses of output channel 1 of a grouped
// (2 groups), strided (2) and padded (1) 2×2 convolution over a 2×3×3
// input, worked out by hand: output (1,oy,ox) reads input rows
// 2·oy−1+ky and columns 2·ox−1+kx of channel 1 only, kernel entry
// w = ((1·1+0)·2+ky)·2+kx = 4+2ky+kx.
func TestConvTapsByHand(t *testing.T) {
	l := &Layer{Kind: KindConv2D, InShape: []int{2, 3, 3}, OutShape: []int{2, 2, 2},
		Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Groups: 2}
	var got [][3]int
	ConvTaps(l, func(in, out, w int) {
		if out >= 4 {
			got = append(got, [3]int{in, out, w})
		}
	})
	want := [][3]int{
		{9, 4, 7},              // out (1,0,0): only in (1,0,0) through k(1,1)
		{10, 5, 6}, {11, 5, 7}, // out (1,0,1): in (1,0,1) k(1,0), in (1,0,2) k(1,1)
		{12, 6, 5}, {15, 6, 7}, // out (1,1,0): in (1,1,0) k(0,1), in (1,2,0) k(1,1)
		{13, 7, 4}, {14, 7, 5}, {16, 7, 6}, {17, 7, 7}, // out (1,1,1): the 2×2 window at (1,1)
	}
	if !slices.Equal(sortTaps(got), sortTaps(want)) {
		t.Errorf("taps of output channel 1:\n got %v\nwant %v", sortTaps(got), sortTaps(want))
	}
}

// TestConvTapsScatter compares ConvTaps with the convolution written the
// other way round, from each input pixel and kernel entry to the output it
// reaches (oy = (iy + pad − ky)/stride when that divides), on random
// layers: groups, strides, padding, non-square kernels and images.
func TestConvTapsScatter(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 5))
	for n := 0; n < 300; n++ {
		g := 1 + r.IntN(3)
		ic, oc := g*(1+r.IntN(3)), g*(1+r.IntN(3))
		kh, kw := 1+r.IntN(4), 1+r.IntN(4)
		sh, sw := 1+r.IntN(3), 1+r.IntN(3)
		ph, pw := r.IntN(kh), r.IntN(kw)
		ih, iw := kh+r.IntN(7), kw+r.IntN(7)
		oh, ow := (ih+2*ph-kh)/sh+1, (iw+2*pw-kw)/sw+1
		l := &Layer{Kind: KindConv2D, InShape: []int{ic, ih, iw}, OutShape: []int{oc, oh, ow},
			Kernel: [2]int{kh, kw}, Stride: [2]int{sh, sw}, Padding: [2]int{ph, pw}, Groups: g}
		var got, want [][3]int
		ConvTaps(l, func(in, out, w int) { got = append(got, [3]int{in, out, w}) })
		icg, ocg := ic/g, oc/g
		for ci := 0; ci < ic; ci++ {
			grp := ci / icg
			for iy := 0; iy < ih; iy++ {
				for ix := 0; ix < iw; ix++ {
					for ky := 0; ky < kh; ky++ {
						for kx := 0; kx < kw; kx++ {
							ny, nx := iy+ph-ky, ix+pw-kx
							if ny < 0 || nx < 0 || ny%sh != 0 || nx%sw != 0 || ny/sh >= oh || nx/sw >= ow {
								continue
							}
							for co := grp * ocg; co < (grp+1)*ocg; co++ {
								w := ((co*icg+ci%icg)*kh+ky)*kw + kx
								want = append(want, [3]int{(ci*ih+iy)*iw + ix, (co*oh+ny/sh)*ow + nx/sw, w})
							}
						}
					}
				}
			}
		}
		if len(got) != len(want) || !slices.Equal(sortTaps(got), sortTaps(want)) {
			t.Fatalf("layer %d (%+v): ConvTaps gives %d taps, the scatter form %d, or different ones", n, l, len(got), len(want))
		}
	}
}

func sortTaps(x [][3]int) [][3]int {
	y := slices.Clone(x)
	slices.SortFunc(y, func(a, b [3]int) int {
		for i := range a {
			if a[i] != b[i] {
				return a[i] - b[i]
			}
		}
		return 0
	})
	return y
}
