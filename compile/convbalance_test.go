package compile

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// mnistConvNet is an untrained 28x28x1-16c5-p2-32c5-p2-10 (the MNIST conv
// net of issue 19) with N(0, 1/fan-in) weights: direct-current input,
// conv1 16×24×24, pool1 (folded into conv2 by the compiler: kernel 10,
// stride 2), conv2 32×8×8, pool2 (folded into the readout), a dense
// readout of 10.
func mnistConvNet(seed uint64) *ir.Model {
	rng := rand.New(rand.NewPCG(seed, 17))
	lif := ir.LIF{Leak: 0.9, Threshold: 1, Reset: ir.ResetZero}
	fill := func(w []float32, fanIn int) []float32 {
		for i := range w {
			w[i] = float32(rng.NormFloat64() / math.Sqrt(float64(fanIn)))
		}
		return w
	}
	conv := func(name string, in []int, oc int) ir.Layer {
		return ir.Layer{Name: name, Kind: ir.KindConv2D, InShape: in, OutShape: []int{oc, in[1] - 4, in[2] - 4},
			Weights: fill(make([]float32, oc*in[0]*25), in[0]*25), Bias: make([]float32, oc),
			Kernel: [2]int{5, 5}, Stride: [2]int{1, 1}, Neuron: lif}
	}
	pool := func(name string, in []int) ir.Layer {
		return ir.Layer{Name: name, Kind: ir.KindAvgPool, InShape: in, OutShape: []int{in[0], in[1] / 2, in[2] / 2},
			Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}
	}
	c1 := conv("conv1", []int{1, 28, 28}, 16)
	p1 := pool("pool1", c1.OutShape)
	c2 := conv("conv2", p1.OutShape, 32)
	p2 := pool("pool2", c2.OutShape)
	n := ir.ShapeSize(p2.OutShape)
	fl := ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: p2.OutShape, OutShape: []int{n}}
	fc := ir.Layer{Name: "fc1", Kind: ir.KindDense, InShape: []int{n}, OutShape: []int{10},
		Weights: fill(make([]float32, 10*n), n), Bias: make([]float32, 10), Neuron: lif}
	return &ir.Model{
		Name:       "mnist-conv",
		Input:      ir.Input{Shape: []int{1, 28, 28}, Encoding: ir.EncodingDirect, Scale: 1},
		Timesteps:  4,
		Readout:    ir.Readout{Kind: ir.ReadoutMeanCurrent},
		Provenance: &ir.Provenance{Method: ir.MethodNone, Seed: seed},
		Layers:     []ir.Layer{c1, p1, c2, p2, fl, fc},
	}
}

// TestMNISTConvPacking: on Loihi and Loihi 2 the MNIST conv net packs
// conv2 into 6 cores (column-interleaved classes of rows 5 apart, the
// last 4 channels position-major: 22 → 17 cores in all on Loihi) and
// conv1, fed by the host's current, into as few cores as its output
// routes to those 6 allow: in its route-balanced order every core but
// the last runs within one neuron's routes of the limit, so conv1 takes
// exactly ⌈its routes / routes per core⌉ (or its compartments' bound if
// that is larger), which on Loihi in position-major order it does not
// (11 cores for 10; Loihi 2's cores take more neurons and routes, and
// position-major meets the bound there too). conv1's order keeps each position's 16 channels together (the
// simulator's kernel vectors). Compiled with the verify pass (Check).
func TestMNISTConvPacking(t *testing.T) {
	for _, name := range []string{"loihi", "loihi2"} {
		t.Run(name, func(t *testing.T) {
			tg, err := targets.Lookup(name)
			require.NoError(t, err)
			res, err := Compile(mnistConvNet(1), tg, Options{PlaceIters: -1})
			require.NoError(t, err)
			rep := res.Report
			for _, l := range rep.Layers {
				t.Logf("%-6s %3d cores (bound %2d) %s", l.Name, l.Cores, l.LowerBound, l.MapOrder)
			}
			require.Len(t, rep.Layers, 3)
			conv1, conv2 := rep.Layers[0], rep.Layers[1]
			assert.LessOrEqual(t, conv2.Cores, 6, "conv2")
			assert.LessOrEqual(t, rep.Cores, 17, "cores in all")
			if name == "loihi" { // on Loihi 2 position-major meets the bound too
				assert.Equal(t, "route-balanced", conv1.MapOrder)
			}
			assert.Equal(t, 16, conv2.AxonKind, "conv2 fed by pop16 axons: 1 output slot per route")

			var routes int64
			for _, c := range res.Model.Mapping.Cores {
				if c.Layer == 0 {
					routes += int64(c.OutputRoutes)
				}
			}
			want := max(ceilDiv(9216, int64(tg.Core.Neurons)), ceilDiv(routes, int64(tg.Core.OutputRoutes)))
			assert.Equal(t, int(want), conv1.Cores, "conv1: %d routes", routes)

			order := res.Model.Layers[0].MapOrder
			if name != "loihi" && len(order) == 0 {
				return
			}
			require.Len(t, order, 9216)
			for u := 0; u < 576; u++ { // 24×24 positions of 16 channels
				p := int(order[16*u]) % 576
				for c := range 16 {
					require.Equal(t, int32(c*576+p), order[16*u+c], "unit %d", u)
				}
			}
		})
	}
}
