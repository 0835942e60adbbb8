package ir

import "testing"

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
