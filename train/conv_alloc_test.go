package train

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConvKernelsAllocateNothing: after a warm-up, the conv and pooling
// kernels of a sample (forward, input gradient, weight gradient without
// the returned spans) allocate nothing, on the event kernels (8 output
// channels) and on the gathers (32, with AVX2).
func TestConvKernelsAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, outC := range []int{8, 32} {
		r := newRNG(1)
		c := NewConv2D("c", []int{4, 12, 12}, outC, 5, 1, 0)
		c.Init(r)
		p := NewAvgPool("p", []int{outC, 8, 8}, 2, 2, 0)
		const B, T = 2, 4
		x := newActs(B, T, 4*12*12, false)
		for i := range x.Val {
			if r.r.IntN(4) == 0 {
				x.Val[i] = 1
			}
		}
		y := newActs(B, T, outC*8*8, false)
		z := newActs(B, T, outC*4*4, false)
		g := newActs(B, T, outC*8*8, false)
		for i := range g.Val {
			g.Val[i] = r.uniform(-1, 1)
		}
		gi := newActs(B, T, 4*12*12, false)
		run := func() {
			c.Forward(x, y, 0, B)
			p.Forward(y, z, 0, B)
			p.BackwardInput(z, g, nil, 0, B)
			c.BackwardInput(g, gi, nil, 0, B)
			switch {
			case c.gathersRows():
				c.accumRows(0, c.inC, x, g, B)
			case c.gathersGrad():
				c.accumGather(0, c.inC, x, g, B)
			default:
				c.accumEvents(0, c.inC, x, g, B)
			}
		}
		run()
		require.Zero(t, testing.AllocsPerRun(20, run), "%d output channels", outC)
	}
}

// TestConvTrainingIndependentOfCores: the same seed gives the same bytes
// on one core and on two.
func TestConvTrainingIndependentOfCores(t *testing.T) {
	cfg := smallConfig()
	cfg.Arch, cfg.Epochs, cfg.LimitTrain = "28x28x1-4c5-p2-6c3s2p1-10", 1, 512
	old := runtime.GOMAXPROCS(1)
	_, one := trainModel(t, cfg)
	runtime.GOMAXPROCS(2)
	_, two := trainModel(t, cfg)
	runtime.GOMAXPROCS(old)
	require.Equal(t, one, two)
}
