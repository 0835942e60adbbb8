package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

// TestGradedHiddenNoAllocationPerSample: a loihi2 net whose hidden layers
// send graded spikes (quantized with ir.ResetSubtractMulti) simulates a
// sample without allocating, and sends counts above 1.
func TestGradedHiddenNoAllocationPerSample(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	graded, several := 0, int64(0)
	for range 20 {
		m, set := randomNet(r, "loihi2")
		var last int
		for i := range m.Layers {
			if m.Layers[i].HasNeurons() {
				m.Layers[i].Delay = 0
				last = i
			}
		}
		for i := range m.Layers[:last] {
			if m.Layers[i].HasNeurons() {
				m.Quantized.Layers[i].Reset = ir.ResetSubtractMulti
			}
		}
		p, err := lowerChip(m)
		require.NoError(t, err)
		for li := range p.layers {
			if p.layers[li].gk != nil {
				graded++
			}
		}
		cw := newChipWorker(p)
		x := set.Test.Image(0, set.ImageSize())
		cw.runSample(0, x) // warm up
		require.Zero(t, testing.AllocsPerRun(10, func() { cw.runSample(1, x) }))
		for _, c := range cw.perLayer {
			several += c.GradedSpikePayload - c.GradedSpikes
		}
	}
	require.Positive(t, graded, "layers sending graded spikes")
	require.Positive(t, several, "graded spikes carrying more than one spike")
}
