package compile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// tnConv is one layer of a TrueNorth-style conv net: a convolution (out
// channels, kernel, stride, padding, groups) or, with pool > 0, a pool×pool
// average pooling.
type tnConv struct {
	out, k, stride, pad, groups int
	pool                        int
}

// tnConvModel builds a network shaped like snnc train --target truenorth's
// conv models: rate input of shape in, the given conv and pooling layers
// with trinary weights ±a_c/128 per output channel (a_c in 8..47, about a
// third of the taps zero unless dense), biases m_c/128 per channel, IF
// neurons (γ = 1, ϑ = 1, reset to zero), flatten and a dense readout of
// classes with weights n/128 (max |n| = 255, so the host readout's scale is
// a power of two and the integer readout is exact).
func tnConvModel(in []int, layers []tnConv, classes, T int, dense bool, seed uint64) *ir.Model {
	r := rand.New(rand.NewPCG(seed, 17))
	m := &ir.Model{Name: "tn-conv", Input: ir.Input{Shape: in, Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Timesteps: T, Readout: ir.Readout{Kind: ir.ReadoutMeanCurrent}}
	lif := ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}
	shape := in
	for i, c := range layers {
		if c.pool > 0 {
			out := []int{shape[0], shape[1] / c.pool, shape[2] / c.pool}
			m.Layers = append(m.Layers, ir.Layer{Name: "pool" + string(rune('1'+i)), Kind: ir.KindAvgPool, InShape: shape, OutShape: out,
				Kernel: [2]int{c.pool, c.pool}, Stride: [2]int{c.pool, c.pool}})
			shape = out
			continue
		}
		g := max(1, c.groups)
		oh := (shape[1]+2*c.pad-c.k)/c.stride + 1
		ow := (shape[2]+2*c.pad-c.k)/c.stride + 1
		l := ir.Layer{Name: "conv" + string(rune('1'+i)), Kind: ir.KindConv2D, InShape: shape, OutShape: []int{c.out, oh, ow},
			Kernel: [2]int{c.k, c.k}, Stride: [2]int{c.stride, c.stride}, Padding: [2]int{c.pad, c.pad}, Groups: c.groups,
			Weights: make([]float32, c.out*shape[0]/g*c.k*c.k), Bias: make([]float32, c.out), Neuron: lif}
		per := len(l.Weights) / c.out
		for o := 0; o < c.out; o++ {
			a := float32(8+r.IntN(40)) / 128
			for t := o * per; t < (o+1)*per; t++ {
				switch x := r.IntN(3); {
				case x == 0 || dense && x == 2:
					l.Weights[t] = a
				case x == 1:
					l.Weights[t] = -a
				}
			}
			l.Bias[o] = float32(r.IntN(41)-20) / 128
		}
		m.Layers = append(m.Layers, l)
		shape = l.OutShape
	}
	n := ir.ShapeSize(shape)
	m.Layers = append(m.Layers, ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: shape, OutShape: []int{n}})
	w := make([]float32, classes*n)
	for i := range w {
		w[i] = float32(r.IntN(201)-100) / 128
	}
	w[0] = 255.0 / 128
	b := make([]float32, classes)
	for i := range b {
		b[i] = float32(r.IntN(41)-20) / 128
	}
	m.Layers = append(m.Layers, ir.Layer{Name: "out", Kind: ir.KindDense, InShape: []int{n}, OutShape: []int{classes},
		Weights: w, Bias: b, Neuron: lif})
	return m
}

// neuronPositions returns, for layer li of a compiled TrueNorth model, the
// mapping position of each neuron (its index in the order core ranges
// count: ConvOrder for a conv layer other than the last, else its index).
func neuronPositions(m *ir.Model, li int) []int {
	l := &m.Layers[li]
	pos := make([]int, l.NumOutputs())
	for j := range pos {
		pos[j] = j
	}
	if l.Kind == ir.KindConv2D && li != len(m.Layers)-1 {
		for n, j := range ConvOrder(l) {
			pos[j] = n
		}
	}
	return pos
}

// checkTNMapping checks a compiled TrueNorth model by brute force: every
// core within 256 neurons and 256 (input, sign) axons (its recorded count
// at least what its neurons use), every layer's cores covering its neurons
// once, the lower bound not above the cores, and every on-chip neuron that
// feeds an on-chip layer targeting one core.
func checkTNMapping(t *testing.T, cm *ir.Model) {
	t.Helper()
	mp := cm.Mapping
	q := cm.Quantized
	require.LessOrEqual(t, mp.LowerBoundCores, len(mp.Cores))
	coreOf := map[int][]int{} // layer → core of each neuron (model index)
	for c, core := range mp.Cores {
		l := &cm.Layers[core.Layer]
		if coreOf[core.Layer] == nil {
			coreOf[core.Layer] = make([]int, l.NumOutputs())
			for j := range coreOf[core.Layer] {
				coreOf[core.Layer][j] = -1
			}
		}
		pos := neuronPositions(cm, core.Layer)
		inCore := map[int]bool{}
		for j, p := range pos {
			if p >= core.NeuronStart && p < core.NeuronStart+core.NeuronCount {
				require.Equal(t, -1, coreOf[core.Layer][j], "neuron %d of layer %d on two cores", j, core.Layer)
				coreOf[core.Layer][j] = c
				inCore[j] = true
			}
		}
		assert.LessOrEqual(t, core.NeuronCount, 256, "core %d", c)
		assert.LessOrEqual(t, core.InputAxons, 256, "core %d", c)
		if core.Layer == len(cm.Layers)-1 {
			continue // host readout
		}
		axons := map[[2]int]bool{}
		ir.EachSynapse(l, func(i, j, w int) {
			if x := q.Layers[core.Layer].Weights[w]; x != 0 && inCore[j] {
				sign := 0
				if x < 0 {
					sign = 1
				}
				axons[[2]int{i, sign}] = true
			}
		})
		assert.LessOrEqual(t, len(axons), core.InputAxons, "core %d: (input, sign) axons", c)
	}
	var chain []int
	for li := range cm.Layers {
		if cm.Layers[li].HasNeurons() {
			chain = append(chain, li)
			for j, c := range coreOf[li] {
				require.GreaterOrEqual(t, c, 0, "layer %d neuron %d on no core", li, j)
			}
		}
	}
	for k := 0; k+2 < len(chain); k++ { // the last layer is the host readout
		next := chain[k+1]
		targets := map[int]map[int]bool{}
		ir.EachSynapse(&cm.Layers[next], func(i, j, w int) {
			if q.Layers[next].Weights[w] == 0 {
				return
			}
			if targets[i] == nil {
				targets[i] = map[int]bool{}
			}
			targets[i][coreOf[next][j]] = true
		})
		for i, ts := range targets {
			require.Len(t, ts, 1, "layer %d neuron %d targets %d cores of layer %d", chain[k], i, len(ts), next)
		}
	}
}

// TestTrueNorthConvExact compiles small TrueNorth-style conv nets (grouped
// convolutions, pooling between convs and before the readout) and checks
// the mapping and that the integer model is the float one: same spikes in
// every original layer, the readout exactly Scale × the float readout, the
// same predictions.
func TestTrueNorthConvExact(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	for _, c := range []struct {
		name   string
		layers []tnConv
		names  []string
	}{
		{"conv-conv-pool", []tnConv{{out: 8, k: 3, stride: 1}, {out: 16, k: 3, stride: 1, groups: 4}, {pool: 2}},
			[]string{"conv1", "conv1.flatten", "conv1.split", "conv2", "flatten", "out"}},
		{"conv-pool-conv-pool", []tnConv{{out: 8, k: 3, stride: 1, pad: 1}, {pool: 2}, {out: 16, k: 3, stride: 1, pad: 1, groups: 4}, {pool: 2}},
			[]string{"conv1", "conv1.flatten", "conv1.split", "conv3", "flatten", "out"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := tnConvModel([]int{1, 12, 12}, c.layers, 10, 8, false, 1)
			require.NoError(t, ir.Verify(m))
			res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
			require.NoError(t, err)
			var buf bytes.Buffer
			res.Report.WriteText(&buf)
			t.Log("\n" + buf.String())
			assert.Empty(t, res.Report.Warnings)
			cm := res.Model
			var names []string
			for _, l := range cm.Layers {
				names = append(names, l.Name)
			}
			require.Equal(t, c.names, names)
			assert.Equal(t, ir.KindConv2D, cm.Layers[0].Kind, "the first layer keeps its kernels")
			assert.Equal(t, ir.KindSparse, cm.Layers[2].Kind, "splitters are sparse")
			assert.Equal(t, ir.KindSparse, cm.Layers[3].Kind, "the consumer reads the copies")
			assert.Equal(t, ir.KindDense, cm.Layers[5].Kind)
			sp := &cm.Layers[2]
			for n := 0; n < sp.NumOutputs(); n++ {
				require.Equal(t, int32(1), sp.RowStart[n+1]-sp.RowStart[n], "splitter %d has one synapse", n)
				require.Equal(t, float32(1), sp.Weights[n])
			}
			checkTNMapping(t, cm)

			// the float model (with its pooling) and the integer one
			ev, err := NewInteger(cm)
			require.NoError(t, err)
			sc := float64(cm.Quantized.Layers[len(cm.Layers)-1].Scale)
			rng := rand.New(rand.NewPCG(5, 6))
			N := 144
			var fired int64
			for s := 0; s < 24; s++ {
				x := spikeTrains(rng, m.Timesteps*N, 3)
				fp, fout, fspikes := evalFloat(m, x)
				r, err := ev.Run(x)
				require.NoError(t, err)
				require.Equal(t, fp, r.Pred, "sample %d", s)
				for k := range fout {
					require.Equal(t, fout[k]*sc, float64(r.Out[k]), "sample %d class %d", s, k)
				}
				require.Equal(t, fspikes[0], r.Spikes[0], "conv1 spikes")
				require.Equal(t, fspikes[0] > 0, r.Spikes[1] > 0, "splitters copy")
				require.Equal(t, fspikes[1], r.Spikes[2], "conv2 spikes")
				fired += r.Spikes[2]
			}
			assert.Positive(t, fired)
		})
	}
}

// TestTrueNorthConvLimits: a conv layer whose neurons see too many inputs
// (one group over 64 channels) is refused with the layer, the limit, the
// need and the have; with 4 groups it compiles.
func TestTrueNorthConvLimits(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	m := tnConvModel([]int{64, 6, 6}, []tnConv{{out: 8, k: 3, stride: 1, pad: 1}}, 10, 4, true, 2)
	_, err = Compile(m, tg, Options{})
	require.Error(t, err)
	t.Log(err)
	var le *LimitError
	require.True(t, errors.As(err, &le))
	assert.Equal(t, 0, le.Layer)
	assert.Equal(t, "conv1", le.LayerName)
	assert.Equal(t, "input axons per neuron", le.Limit)
	assert.Equal(t, int64(64*9), le.Need)
	assert.Equal(t, int64(256), le.Have)
	assert.Contains(t, err.Error(), "layer 0 (conv1): fan-in: a neuron needs 576 input axons, a truenorth core has 256")
	assert.Equal(t, 1, strings.Count(err.Error(), "compile: layer"))

	m = tnConvModel([]int{64, 6, 6}, []tnConv{{out: 8, k: 3, stride: 1, pad: 1, groups: 4}}, 10, 4, true, 2)
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	checkTNMapping(t, res.Model)
}

// TestSparseRefusedOnLoihi: a sparse layer is refused on loihi with one
// line naming the layer.
func TestSparseRefusedOnLoihi(t *testing.T) {
	m := RandomDense([]int{4, 3, 2}, 2, 1)
	l := &m.Layers[0]
	l.Kind, l.RowStart, l.Cols, l.Weights = ir.KindSparse, []int32{0, 1, 2, 3}, []int32{0, 1, 2}, []float32{1, 1, 1}
	require.NoError(t, ir.Verify(m))
	_, err := Compile(m, loihi(t), Options{})
	require.Error(t, err)
	assert.Equal(t, "compile: layer 0 (fc1): sparse layers are compiled for truenorth only, not loihi (use a dense or conv2d layer)", err.Error())
}

// tnConvLarge is the realistic TrueNorth conv model of the benchmark:
// 28×28×1 → 16c5s2 → 64c3g4 → 10.
func tnConvLarge() *ir.Model {
	return tnConvModel([]int{1, 28, 28}, []tnConv{{out: 16, k: 5, stride: 2}, {out: 64, k: 3, stride: 1, groups: 4}}, 10, 8, false, 3)
}

// BenchmarkTrueNorthConv compiles the 28×28×1 → 16c5s2 → 64c3g4 → 10 model
// (random trinary weights) for TrueNorth and reports chip cores, the lower
// bound and the splitter neurons (run: go test -run XXX -bench
// TrueNorthConv ./compile/).
func BenchmarkTrueNorthConv(b *testing.B) {
	tg, err := targets.Lookup("truenorth")
	if err != nil {
		b.Fatal(err)
	}
	m := tnConvLarge()
	var res *Result
	for b.Loop() {
		if res, err = Compile(m, tg, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	r := res.Report
	split := 0
	for _, l := range res.Model.Layers {
		if strings.HasSuffix(l.Name, ".split") {
			split += l.NumOutputs()
		}
	}
	// the last core stands for the host readout
	b.ReportMetric(float64(r.Cores-1), "chip-cores")
	b.ReportMetric(float64(r.LowerBoundCores-1), "chip-bound")
	b.ReportMetric(float64(split), "splitters")
	var buf bytes.Buffer
	r.WriteText(&buf)
	b.Log("\n" + buf.String())
}

// TestTrueNorthConvLarge compiles the benchmark's model once and checks
// its mapping (go test -run TrueNorthConvLarge -v ./compile/ prints the
// report).
func TestTrueNorthConvLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	res, err := Compile(tnConvLarge(), tg, Options{})
	require.NoError(t, err)
	var buf bytes.Buffer
	res.Report.WriteText(&buf)
	t.Log("\n" + buf.String())
	checkTNMapping(t, res.Model)
}

// TestSplitterPlanVisible: the splitter plan's pass variants are named in
// the dump, and a family without splitters runs the generic passes.
func TestSplitterPlanVisible(t *testing.T) {
	m := tnConvModel([]int{1, 12, 12}, []tnConv{{out: 8, k: 3, stride: 1}, {out: 16, k: 3, stride: 1, groups: 4}, {pool: 2}}, 10, 8, false, 1)
	for _, name := range targets.Names() {
		tg, err := targets.Lookup(name)
		require.NoError(t, err)
		var buf bytes.Buffer
		_, err = Compile(m, tg, Options{DumpAfter: "all", Dump: &buf})
		out := buf.String()
		if tg.Backend().Capabilities().Splitters {
			require.NoError(t, err)
			for _, p := range []string{"quantize", "partition", "place", "route"} {
				assert.Contains(t, out, "## after "+p+" (splitter plan)\n", name)
			}
			assert.Contains(t, out, "## after verify\n")
		} else {
			assert.NotContains(t, out, "splitter plan", name)
		}
	}
}
