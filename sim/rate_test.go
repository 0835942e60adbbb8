package sim

import (
	"fmt"
	"math"
	"testing"
)

// TestRateSpikesStatistics tests the rate generator that the chip
// simulator, the float reference and the bit-exact reference all share,
// against its definition: input i spikes at each step with probability
// clamp(x_i·scale, 0, 1), independently across steps, inputs and samples,
// and the same spikes come back for the same sample. Every bound is 5
// standard deviations of the binomial count (a false failure has odds
// below 1 in a million per check).
func TestRateSpikesStatistics(t *testing.T) {
	const T, samples = 8, 400
	// pixel values and their spike probabilities at scale 1/255 (the
	// last two clamp) and at scale 1/128
	x := []uint8{0, 1, 26, 64, 128, 191, 230, 255}
	type acc struct{ n, both, nextBoth, pairs float64 }
	for _, scale := range []float32{1.0 / 255, 1.0 / 128} {
		counts := make([]acc, len(x))
		for s := 0; s < samples; s++ {
			trains := RateSpikes(s, x, scale, T)
			again := RateSpikes(s, x, scale, T)
			on := make([][]bool, T)
			for tt := range trains {
				if !slicesEqual(trains[tt], again[tt]) {
					t.Fatalf("sample %d step %d: a second call gives other spikes", s, tt)
				}
				on[tt] = make([]bool, len(x))
				for _, i := range trains[tt] {
					on[tt][i] = true
				}
			}
			for i := range x {
				for tt := 0; tt < T; tt++ {
					if on[tt][i] {
						counts[i].n++
					}
					if tt+1 < T {
						counts[i].pairs++
						if on[tt][i] && on[tt+1][i] {
							counts[i].nextBoth++
						}
					}
					// the next input at the same step
					if i+1 < len(x) && on[tt][i] && on[tt][i+1] {
						counts[i].both++
					}
				}
			}
		}
		N := float64(samples * T)
		prob := func(i int) float64 { return math.Min(1, float64(x[i])*float64(scale)) }
		within := func(what string, got, n, p float64) {
			t.Helper()
			sd := math.Sqrt(n * p * (1 - p))
			if math.Abs(got-n*p) > 5*sd+1e-9 {
				t.Errorf("scale %g: %s: %g, want %g ± %g", scale, what, got, n*p, 5*sd)
			}
		}
		for i := range x {
			p := prob(i)
			within(fmt.Sprintf("spikes of input %d", i), counts[i].n, N, p)
			within(fmt.Sprintf("spikes at consecutive steps of input %d", i), counts[i].nextBoth, counts[i].pairs, p*p)
			if i+1 < len(x) {
				within(fmt.Sprintf("joint spikes of inputs %d and %d", i, i+1), counts[i].both, N, p*prob(i+1))
			}
		}
	}
	// samples differ: two samples of a half-probability input agree on
	// about half of their steps
	x = make([]uint8, 64)
	for i := range x {
		x[i] = 128
	}
	a, b := RateSpikes(1, x, 1.0/256, T), RateSpikes(2, x, 1.0/256, T)
	same := 0.0
	for tt := 0; tt < T; tt++ {
		ona, onb := make([]bool, len(x)), make([]bool, len(x))
		for _, i := range a[tt] {
			ona[i] = true
		}
		for _, i := range b[tt] {
			onb[i] = true
		}
		for i := range x {
			if ona[i] == onb[i] {
				same++
			}
		}
	}
	n := float64(T * len(x))
	if sd := math.Sqrt(n / 4); math.Abs(same-n/2) > 5*sd {
		t.Errorf("samples 1 and 2 agree on %g of %g input steps, want about half", same, n)
	}
}
