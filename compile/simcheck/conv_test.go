package simcheck_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// fanOut counts, by brute force over every synapse of layer next (conv or
// dense), the synapses leaving each of its inputs.
func fanOut(next *ir.Layer) []int64 {
	fan := make([]int64, next.NumInputs())
	if next.Kind == ir.KindDense {
		for i := range fan {
			fan[i] = int64(next.NumOutputs())
		}
		return fan
	}
	ic, ih, iw := next.InShape[0], next.InShape[1], next.InShape[2]
	oc, oh, ow := next.OutShape[0], next.OutShape[1], next.OutShape[2]
	for o := 0; o < oc*oh*ow; o++ {
		oy, ox := o/ow%oh, o%ow
		for c := 0; c < ic; c++ {
			for ky := 0; ky < next.Kernel[0]; ky++ {
				for kx := 0; kx < next.Kernel[1]; kx++ {
					y := oy*next.Stride[0] - next.Padding[0] + ky
					x := ox*next.Stride[1] - next.Padding[1] + kx
					if y >= 0 && y < ih && x >= 0 && x < iw {
						fan[(c*ih+y)*iw+x]++
					}
				}
			}
		}
	}
	return fan
}

// TestSimulatorMatchesEvalIntegerConv compiles a conv model (strided and
// padded convolutions, both poolings folded) onto small cores, in the
// order the compiler chooses and in named orders of the second conv layer
// (compile.Options.ConvOrder), checks the chip simulator against the
// integer evaluator sample by sample, and checks its synaptic operations
// against the true fan-out of every traced spike.
func TestSimulatorMatchesEvalIntegerConv(t *testing.T) {
	for _, order := range []string{"", "stride-2 position classes", "position-major, channel blocks of 3", "2×2 tiles",
		"stride-3 row classes, channel blocks of 3", "stride-2 position classes, channel blocks of 3"} {
		t.Run(order, func(t *testing.T) { simulatorMatchesConv(t, order) })
	}
}

// TestSimulatorMatchesEvalIntegerConvPacked: the same in the
// column-interleaved row-class orders of conv2 (kernel 6, stride 2 after
// the fold: classes of rows 3 apart), with and without the last channel
// split off, and with conv1 (direct-current input) in its route-balanced
// order, which output routes few enough to bind make the compiler choose.
func TestSimulatorMatchesEvalIntegerConvPacked(t *testing.T) {
	for _, order := range []string{"stride-3 row classes, column-interleaved",
		"stride-3 row classes, column-interleaved, last channel position-major", ""} {
		t.Run(order, func(t *testing.T) { simulatorMatchesConv(t, order, 1) })
	}
}

func simulatorMatchesConv(t *testing.T, order string, s2s ...int) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	tg := *loihi
	tg.Core.Neurons, tg.Core.InputAxons = 50, 400
	if len(s2s) == 0 {
		s2s = []int{1, 2}
	} else {
		tg.Core.OutputRoutes = 120
	}
	const side, n = 16, 25
	set := &dataset.Set{Name: "random", Channels: 1, Rows: side, Cols: side, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)}}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range set.Test.Images {
		set.Test.Images[i] = uint8(rng.IntN(256))
	}
	for _, s2 := range s2s {
		m := compile.RandomConv(side, s2, 6, 3, uint64(s2))
		m.Input.Scale = 1.0 / 255
		res, err := compile.Compile(m, &tg, compile.Options{ConvOrder: order})
		if order == "stride-3 row classes, channel blocks of 3" { // no such candidate: refused
			require.ErrorContains(t, err, "no conv layer on loihi has a mapping order")
			return
		}
		require.NoError(t, err)
		cm := res.Model
		require.Greater(t, len(cm.Mapping.Cores), 10, "the conv layers are cut into many cores")
		if order != "" { // conv2, the second layer after the pooling is folded
			require.Equal(t, ir.KindConv2D, cm.Layers[1].Kind)
			require.NotEmpty(t, cm.Layers[1].MapOrder, "conv2 in %s", order)
			assert.Equal(t, order, compile.ConvOrderName(&cm.Layers[1]))
		}
		t.Logf("s2 %d: %d cores; conv1 %q, conv2 %q", s2, res.Report.Cores, res.Report.Layers[0].MapOrder, res.Report.Layers[1].MapOrder)
		if order == "" && tg.Core.OutputRoutes != loihi.Core.OutputRoutes {
			require.Equal(t, "route-balanced", res.Report.Layers[0].MapOrder, "conv1, bound by its output routes")
			require.NotEmpty(t, cm.Layers[0].MapOrder, "conv1's order is stored")
		}
		var trace bytes.Buffer
		st, err := sim.Run(context.Background(), cm, set, sim.Options{Workers: 2, Trace: &trace})
		require.NoError(t, err)
		assert.Positive(t, matchInteger(t, cm, set, st, fmt.Sprintf("s2 %d", s2)))

		// folding the pooling is exact for the float model: the float
		// reference of the folded layers equals the original's (whose
		// pooling the simulator composes itself)
		orig, err := sim.Run(context.Background(), m, set, sim.Options{Workers: 2})
		require.NoError(t, err)
		fm := *cm
		fm.Quantized, fm.Mapping = nil, nil
		folded, err := sim.Run(context.Background(), &fm, set, sim.Options{Workers: 2})
		require.NoError(t, err)
		assert.Equal(t, orig.Predictions, folded.Predictions, "s2 %d: float predictions", s2)
		assert.Equal(t, orig.Total.Spikes, folded.Total.Spikes, "s2 %d: float spikes", s2)
		assert.Equal(t, orig.Total.SynapticOps, folded.Total.SynapticOps, "s2 %d: float synaptic ops", s2)

		// synaptic operations = Σ over spikes of their fan-out
		var chain []int
		for i := range cm.Layers {
			if cm.Layers[i].HasNeurons() {
				chain = append(chain, i)
			}
		}
		next := map[int]int{}
		fans := map[int][]int64{}
		for k := 0; k+1 < len(chain); k++ {
			next[chain[k]] = chain[k+1]
			fans[chain[k]] = fanOut(&cm.Layers[chain[k+1]])
		}
		want := map[int]int64{}
		sc := bufio.NewScanner(&trace)
		sc.Scan() // header
		for sc.Scan() {
			f := strings.Split(sc.Text(), ",")
			layer, _ := strconv.Atoi(f[2])
			neuron, _ := strconv.Atoi(f[3])
			if nl, ok := next[layer]; ok {
				want[nl] += fans[layer][neuron]
			}
		}
		for _, li := range chain[1:] {
			assert.Equal(t, want[li], st.PerLayer[li].SynapticOps, "s2 %d layer %d: synaptic ops", s2, li)
			assert.Positive(t, want[li])
		}
		// host MACs: the first conv layer's receptive fields, once per sample
		first := &cm.Layers[chain[0]]
		var macs int64
		for _, f := range fanOut(first) {
			macs += f
		}
		assert.Equal(t, macs*n, st.Total.HostMACs, "s2 %d: host MACs", s2)
	}
}
