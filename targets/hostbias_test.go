package targets

import (
	"math"
	"testing"
)

// TestHostBias: rounding half away from zero, the ±2^40 clamp for huge and
// infinite currents, and NaN as 0 (a plain int64 conversion of ±Inf or NaN
// is platform-defined, which once made the simulator and compile's
// evaluator disagree on a fuzzed model).
func TestHostBias(t *testing.T) {
	inf := float32(math.Inf(1))
	cases := []struct {
		c     float32
		scale float64
		want  int64
	}{
		{0.5, 1, 1}, {-0.5, 1, -1}, {1.49, 2, 3}, {-2.25, 2, -5}, {3, 0, 0},
		{1e30, 1e30, 1 << 40}, {-1e30, 1e30, -(1 << 40)},
		{inf, 1, 1 << 40}, {-inf, 1, -(1 << 40)}, {float32(math.NaN()), 1, 0},
	}
	for _, c := range cases {
		if got := HostBias(c.c, c.scale); got != c.want {
			t.Errorf("HostBias(%v, %v) = %d, want %d", c.c, c.scale, got, c.want)
		}
	}
}
