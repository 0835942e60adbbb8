package targets

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTrueNorthStepTraces checks TrueNorthStep against traces worked out by
// hand from the deterministic TrueNorth neuron (Merolla 2014 Table S2,
// Cassidy 2013): integrate, linear leak, threshold α with ≥, the three
// reset modes, the negative threshold β (saturation, κ = 1) and the 20-bit
// potential.
func TestTrueNorthStepTraces(t *testing.T) {
	cases := []struct {
		name   string
		p      TrueNorthParams
		input  []int64
		v      []int32
		spikes []bool
	}{
		{"integrate and fire, reset to 0", TrueNorthParams{Threshold: 5},
			[]int64{3, 3, 3, -10}, []int32{3, 0, 3, -7}, []bool{false, true, false, false}},
		{"fires at exactly α", TrueNorthParams{Threshold: 5},
			[]int64{5, 4, 1}, []int32{0, 4, 0}, []bool{true, false, true}},
		{"linear leak λ = 2", TrueNorthParams{Threshold: 5, Leak: 2},
			[]int64{4, 4, 4, 0, 0}, []int32{2, 4, 0, -2, -4}, []bool{false, false, true, false, false}},
		{"negative leak drives V up", TrueNorthParams{Threshold: 5, Leak: -3},
			[]int64{0, 0, 0}, []int32{3, 0, 3}, []bool{false, true, false}},
		{"reset to R = -4", TrueNorthParams{Threshold: 5, ResetValue: -4},
			[]int64{5, 9}, []int32{-4, -4}, []bool{true, true}},
		{"linear reset V −= α", TrueNorthParams{Threshold: 5, Reset: 1},
			[]int64{7, 0, 4, 12}, []int32{2, 2, 1, 8}, []bool{true, false, true, true}},
		{"no reset", TrueNorthParams{Threshold: 5, Reset: 2},
			[]int64{6, 0, -2}, []int32{6, 6, 4}, []bool{true, true, false}},
		{"negative threshold β = 3 saturates", TrueNorthParams{Threshold: 5, NegThreshold: 3},
			[]int64{-10, 1, -1, -1}, []int32{-3, -2, -3, -3}, []bool{false, false, false, false}},
		{"β applies after a reset below it", TrueNorthParams{Threshold: 5, NegThreshold: 2, ResetValue: -6},
			[]int64{5}, []int32{-2}, []bool{true}},
		{"20-bit potential saturates", TrueNorthParams{Threshold: 1 << 18, Reset: 2},
			[]int64{1 << 20, -(1 << 22), 0}, []int32{1<<19 - 1, -(1<<19 - 1), -(1<<19 - 1)}, []bool{true, false, false}},
	}
	for _, c := range cases {
		c.p.PotentialBits = 20
		var v int32
		for k, in := range c.input {
			s := TrueNorthStep(&c.p, &v, in)
			assert.Equal(t, c.spikes[k], s, "%s: tick %d spike", c.name, k)
			assert.Equal(t, c.v[k], v, "%s: tick %d V", c.name, k)
		}
	}
}
