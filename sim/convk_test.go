package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
	"github.com/stretchr/testify/require"
)

// The old lowering of conv layers (dense In×Out matrices through
// ir.ConvTaps), kept for the tests only: the compact kernel path must give
// the same results, bit for bit.

// denseConvNet lowers the conv layers of p to dense matrices, as the
// simulator did before it kept kernels: transpose, compose the pooling in
// front, permute.
func denseConvNet(t testing.TB, p *netProgram) {
	for li := range p.layers {
		L := &p.layers[li]
		if L.ck == nil {
			continue
		}
		l := &p.m.Layers[L.model]
		fw, err := transpose(l, l.Weights, L.name, "weights")
		require.NoError(t, err)
		L.fw = fw
		if L.pool != nil {
			L.in = L.pool.NumInputs() // unpool sets it again
			L.fw, L.in = fw, l.NumInputs()
			L.unpool(L.pool)
		}
		L.fw = permute(L.fw, L.in, L.out, L.inPerm, L.outPerm)
		L.ck = nil
	}
}

// denseConvChip lowers the conv layers of a chip program to dense matrices
// with the per-core fan-out tables of the old simulator.
func denseConvChip(t testing.TB, p *chipProgram) {
	for li := range p.layers {
		L := &p.layers[li]
		if L.ck == nil {
			continue
		}
		l := &p.net.m.Layers[L.model]
		if !L.direct {
			wT, err := transpose(l, p.net.m.Quantized.Layers[L.model].Weights, L.name, "quantized weights")
			require.NoError(t, err)
			L.wT = permute(wT, L.in, L.out, L.inPerm, L.outPerm)
		}
		L.fan = denseConvFan(p, L)
		L.cq = nil
	}
	denseConvNet(t, p.net)
}

// denseConvFan is the old fan[b][i]: the synapses from input i to the
// neurons of local core b.
func denseConvFan(p *chipProgram, L *chipLayer) [][]int32 {
	l := &p.net.m.Layers[L.model]
	coreOf := make([]int32, L.out)
	for bi, ci := range L.cores {
		c := &p.cores[ci]
		for j := c.start; j < c.end; j++ {
			coreOf[j] = int32(bi)
		}
	}
	fan := make([][]int32, len(L.cores))
	for bi := range fan {
		fan[bi] = make([]int32, L.in)
	}
	ir.ConvTaps(l, func(i, o, _ int) {
		if L.outPerm != nil {
			o = int(L.outPerm[o])
		}
		if L.inPerm != nil {
			i = int(L.inPerm[i])
		}
		fan[coreOf[o]][i]++
	})
	return fan
}

// randomConvFloat builds a random float model: an image input, an
// optional average pooling (overlapping or padded at times), a grouped,
// strided, padded conv, another optional pooling and conv, and a dense or
// (at times) conv readout.
func randomConvFloat(r *rand.Rand) (*ir.Model, *dataset.Set) {
	C, H, W := 1+r.IntN(4), 3+r.IntN(8), 3+r.IntN(8)
	m := &ir.Model{Name: "random-conv",
		Input:     ir.Input{Shape: []int{C, H, W}, Encoding: ir.Encoding(r.IntN(2)), Scale: []float32{1.0 / 255, 0.01}[r.IntN(2)]},
		Timesteps: 1 + r.IntN(5)}
	if r.IntN(3) == 0 {
		m.Readout.Kind = ir.ReadoutSpikeCount
	}
	randW := func(n int, s float64) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(r.NormFloat64() * s)
		}
		return w
	}
	shape := []int{C, H, W}
	lif := ir.LIF{Leak: 0.9, Threshold: 1, Reset: ir.ResetMode(r.IntN(3))}
	nConv := 1 + r.IntN(2)
	convReadout := r.IntN(4) == 0
	for c := 0; c < nConv; c++ {
		if r.IntN(2) == 0 && shape[1] >= 2 && shape[2] >= 2 {
			k := 1 + r.IntN(min(3, shape[1], shape[2]))
			st, pad := k, 0
			if r.IntN(3) == 0 { // overlapping and/or padded
				st, pad = max(1, k-1), r.IntN(k)
				pad = min(pad, k/2)
			}
			ph, pw := (shape[1]+2*pad-k)/st+1, (shape[2]+2*pad-k)/st+1
			if ph >= 1 && pw >= 1 {
				m.Layers = append(m.Layers, ir.Layer{Kind: ir.KindAvgPool, InShape: shape, OutShape: []int{shape[0], ph, pw},
					Kernel: [2]int{k, k}, Stride: [2]int{st, st}, Padding: [2]int{pad, pad}})
				shape = []int{shape[0], ph, pw}
			}
		}
		ic, ih, iw := shape[0], shape[1], shape[2]
		var divs []int
		for g := 1; g <= ic; g++ {
			if ic%g == 0 {
				divs = append(divs, g)
			}
		}
		g := divs[r.IntN(len(divs))]
		oc := g * (1 + r.IntN(3))
		k, st, pad := 1+r.IntN(3), 1+r.IntN(2), r.IntN(2)
		oh, ow := (ih+2*pad-k)/st+1, (iw+2*pad-k)/st+1
		if oh < 1 || ow < 1 {
			k, pad = 1, 0
			oh, ow = (ih-1)/st+1, (iw-1)/st+1
		}
		last := c == nConv-1 && convReadout
		if last {
			oc = g * (1 + r.IntN(2))
		}
		nw := oc * (ic / g) * k * k
		m.Layers = append(m.Layers, ir.Layer{Name: fmt.Sprintf("conv%d", c), Kind: ir.KindConv2D, InShape: shape, OutShape: []int{oc, oh, ow},
			Kernel: [2]int{k, k}, Stride: [2]int{st, st}, Padding: [2]int{pad, pad}, Groups: g,
			Weights: randW(nw, 1.5), Bias: randW(oc, 0.3), Neuron: lif})
		shape = []int{oc, oh, ow}
	}
	if !convReadout {
		in := ir.ShapeSize(shape)
		m.Layers = append(m.Layers, ir.Layer{Kind: ir.KindFlatten, InShape: shape, OutShape: []int{in}})
		out := 2 + r.IntN(4)
		m.Layers = append(m.Layers, ir.Layer{Name: "fc", Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{out},
			Weights: randW(in*out, 1), Bias: randW(out, 0.3), Neuron: lif})
	}
	set := &dataset.Set{Name: "random", Channels: C, Rows: H, Cols: W, Classes: 1}
	return m, withSamples(r, set, 3)
}

// TestConvKernelMatchesDense runs random conv models through the compact
// kernel path and the old dense lowering and requires identical
// predictions, traces and counts: float models (pooling in front of conv
// layers, conv readouts) and compiled ones (grouped conv, random
// multi-core mappings with missing routes).
func TestConvKernelMatchesDense(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	nets := 150
	if testing.Short() {
		nets = 40
	}
	var pooled, multi, convRO, chipConv, unequal int
	for n := 0; n < nets; n++ {
		m, set := randomConvFloat(r)
		pk, err := lowerFloat(m)
		require.NoError(t, err, "float net %d", n)
		pd, err := lowerFloat(m)
		require.NoError(t, err)
		for li := range pk.layers {
			if k := pk.layers[li].ck; k != nil {
				if k.winPtr != nil {
					pooled++
				}
				if k.multi {
					multi++
				}
				if pk.layers[li].readout {
					convRO++
				}
			}
		}
		denseConvNet(t, pd)
		wk, wd := newFloatWorker(pk), newFloatWorker(pd)
		wk.tracing, wd.tracing = true, true
		for s := 0; s < set.Test.N; s++ {
			x := set.Test.Image(s, set.ImageSize())
			require.Equal(t, wd.runSample(s, x, nil), wk.runSample(s, x, nil), "float net %d sample %d: prediction", n, s)
			require.Equal(t, string(wd.trace), string(wk.trace), "float net %d sample %d: trace", n, s)
			require.Equal(t, wd.u, wk.u, "float net %d sample %d: potentials", n, s)
			require.Equal(t, wd.racc, wk.racc, "float net %d sample %d: readout", n, s)
		}
		require.Equal(t, wd.perLayer, wk.perLayer, "float net %d: per layer", n)
		require.Equal(t, wd.perStep, wk.perStep, "float net %d: per step", n)
	}
	for _, target := range perCoreTargets() {
		for n := 0; n < nets; n++ {
			m, set := randomStructNetOrders(r, target, true)
			c, u := checkConvDenseChip(t, m, set, fmt.Sprintf("%s net %d", target, n))
			chipConv += c
			unequal += u
		}
	}
	t.Logf("%d pooled conv layers (%d overlapping), %d conv readouts, %d chip conv layers (%d with units of unequal widths)", pooled, multi, convRO, chipConv, unequal)
	require.Positive(t, pooled)
	require.Positive(t, multi)
	require.Positive(t, convRO)
	require.Positive(t, chipConv)
	require.Positive(t, unequal)
}

// checkConvDenseChip runs the compiled model m on set through the compact
// conv kernels and through the old dense lowering, on the chip and in the
// float reference, and requires identical predictions, latencies, traces,
// potentials, readouts and counts. It returns the number of conv layers
// and of those with units of unequal widths.
func checkConvDenseChip(t *testing.T, m *ir.Model, set *dataset.Set, name string) (convs, unequal int) {
	t.Helper()
	pk, err := lowerChip(m)
	require.NoError(t, err, name)
	pd, err := lowerChip(m)
	require.NoError(t, err, name)
	for li := range pk.layers {
		if k := pk.layers[li].ck; k != nil {
			convs++
			if slices.ContainsFunc(k.unitW, func(w int32) bool { return w != k.unitW[0] }) {
				unequal++
			}
		}
	}
	denseConvChip(t, pd)
	wk, wd := newChipWorker(pk), newChipWorker(pd)
	fk, fd := newFloatWorker(pk.net), newFloatWorker(pd.net)
	wk.tracing, wd.tracing, fk.tracing, fd.tracing = true, true, true, true
	for s := 0; s < set.Test.N; s++ {
		x := set.Test.Image(s, set.ImageSize())
		pk, lk := wk.runSample(s, x)
		pd, ld := wd.runSample(s, x)
		require.Equal(t, pd, pk, "%s sample %d: prediction", name, s)
		require.Equal(t, ld, lk, "%s sample %d: latency", name, s)
		require.Equal(t, string(wd.trace), string(wk.trace), "%s sample %d: trace", name, s)
		require.Equal(t, fd.runSample(s, x, nil), fk.runSample(s, x, nil), "%s sample %d: float prediction", name, s)
		require.Equal(t, string(fd.trace), string(fk.trace), "%s sample %d: float trace", name, s)
		require.Equal(t, fd.u, fk.u, "%s sample %d: float potentials", name, s)
		require.Equal(t, fd.racc, fk.racc, "%s sample %d: float readout", name, s)
		require.Equal(t, wd.v, wk.v, "%s sample %d: chip potentials", name, s)
		require.Equal(t, wd.racc, wk.racc, "%s sample %d: chip readout", name, s)
	}
	require.Equal(t, wd.perCore, wk.perCore, "%s: per core", name)
	require.Equal(t, wd.perStep, wk.perStep, "%s: per step", name)
	require.Equal(t, wd.perLayer, wk.perLayer, "%s: per layer", name)
	require.Equal(t, fd.perLayer, fk.perLayer, "%s: float per layer", name)
	return convs, unequal
}

// TestConvUnequalUnits runs networks whose conv layers split a position's
// channels into units of unequal widths (conv1: 3+1 channels, conv2:
// 5+2+1, each block laid out over the positions in a random order, as the
// row-class orders of compile/convorder.go lay out 28+4) on every per-core
// target, on random multi-core mappings, with rate, direct and graded
// input, and requires the chip simulator to match the simple reference
// (checkExact) and, without graded input, the compact kernels, chip and
// float, to match the dense lowering.
func TestConvUnequalUnits(t *testing.T) {
	nets := 12
	if testing.Short() {
		nets = 4
	}
	var graded, conv1Spans, routed int
	for _, target := range perCoreTargets() {
		tgt, err := targets.Lookup(target)
		require.NoError(t, err)
		r := rand.New(rand.NewPCG(19, uint64(len(target))))
		for n := 0; n < nets; n++ {
			m, set := unequalUnitsNet(r, tgt, n)
			name := fmt.Sprintf("%s net %d", target, n)
			p, err := lowerChip(m)
			require.NoError(t, err, name)
			for li, want := range [][]int32{{3, 1}, {5, 2, 1}} {
				k := p.layers[li].ck
				require.NotNil(t, k, "%s: layer %d is not a conv kernel", name, li)
				require.Equal(t, len(want), k.maxUnits, name)
				for pos := 0; pos < k.npos; pos++ {
					u0, u1 := k.unitPtr[pos], k.unitPtr[pos+1]
					require.Equal(t, want, k.unitW[u0:u1], "%s layer %d position %d: unit widths", name, li, pos)
				}
			}
			if p.layers[0].graded {
				graded++
			}
			if p.layers[0].spans != nil {
				conv1Spans++
			}
			if !p.layers[1].full && p.layers[1].spans == nil {
				routed++
			}
			checkExact(t, m, set, n)
			if !p.layers[0].graded { // the dense lowering counts graded input to every neuron of a dense layer
				checkConvDenseChip(t, m, set, name)
			}
		}
	}
	t.Logf("%d nets with graded input, %d with conv1 as spans, %d with conv2 through routes (convInput)", graded, conv1Spans, routed)
	require.Positive(t, graded, "no net with graded input")
	require.Positive(t, conv1Spans, "no first conv layer laid out as spans")
	require.Positive(t, routed, "no conv layer fed through routes")
}

// unequalUnitsNet builds a compiled model for tgt: a 2×6×6 image input,
// conv1 (4 channels, 3×3, padding 1) in blocks of 3+1 channels, conv2 (8
// channels, 3×3, padding 1, nothing from conv1's channel 3) in blocks of
// 5+2+1, and a dense readout of 10, on a random mapping without routes
// from conv1's cores of channel 3 alone, with random test images. Odd nets take direct
// input, graded if tgt has graded spikes.
func unequalUnitsNet(r *rand.Rand, tgt *targets.Target, n int) (*ir.Model, *dataset.Set) {
	m := &ir.Model{
		Name:      "unequal-units",
		Input:     ir.Input{Shape: []int{2, 6, 6}, Encoding: ir.Encoding(n % 2), Scale: 1.0 / 255},
		Timesteps: 2 + r.IntN(4),
		Quantized: &ir.Quantized{Target: tgt.Name, WeightBits: 8},
	}
	lif := ir.LIF{Leak: 0.9, Threshold: 1}
	shape := []int{2, 6, 6}
	for c, widths := range [][]int{{3, 1}, {5, 2, 1}} {
		oc := 0
		for _, w := range widths {
			oc += w
		}
		l := ir.Layer{Name: fmt.Sprintf("conv%d", c+1), Kind: ir.KindConv2D, InShape: shape, OutShape: []int{oc, 6, 6},
			Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1},
			Weights: make([]float32, oc*shape[0]*9), Bias: make([]float32, oc), Neuron: lif}
		for i := range l.Weights {
			l.Weights[i] = float32(r.NormFloat64())
		}
		l.MapOrder = blockMapOrder(r, &l, widths)
		m.Layers = append(m.Layers, l)
		m.Quantized.Layers = append(m.Quantized.Layers, randomQuant(r, tgt.Name, len(l.Weights), l.NumOutputs(), false))
		shape = l.OutShape
	}
	in := ir.ShapeSize(shape)
	m.Layers = append(m.Layers,
		ir.Layer{Name: "flat", Kind: ir.KindFlatten, InShape: shape, OutShape: []int{in}},
		ir.Layer{Name: "fc", Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{10}, Weights: make([]float32, in*10), Bias: make([]float32, 10), Neuron: lif})
	m.Quantized.Layers = append(m.Quantized.Layers, ir.QuantLayer{}, randomQuant(r, tgt.Name, in*10, 10, false))
	if tgt.Backend().Capabilities().GradedSpikes && m.Input.Encoding == ir.EncodingDirect {
		m.Quantized.Layers[0].InputPayloadBits = uint8(tgt.GradedSpikes.PayloadBits)
		m.Quantized.Layers[0].InputPayloadScale = []float32{255, 1, 1000}[n%3]
	}
	m.Mapping = randomMapping(r, m, tgt)
	// conv2 reads nothing from conv1's channel 3: no routes from the cores
	// that hold only that channel, so conv2's spikes go through routes
	// (convInput) rather than to every core
	c1, ql2 := &m.Layers[0], &m.Quantized.Layers[1]
	for o := 0; o < 8; o++ {
		for t := range 9 {
			ql2.Weights[(o*4+3)*9+t] = 0
			m.Layers[1].Weights[(o*4+3)*9+t] = 0
		}
	}
	routes := m.Mapping.Routes[:0]
	for _, rt := range m.Mapping.Routes {
		c := m.Mapping.Cores[rt.From]
		ch3 := c.Layer == 0
		for j := c.NeuronStart; j < c.NeuronStart+c.NeuronCount && ch3; j++ {
			ch3 = c1.MapOrder[j]/36 == 3
		}
		if !ch3 {
			routes = append(routes, rt)
		}
	}
	m.Mapping.Routes = routes
	set := &dataset.Set{Name: "random", Channels: 2, Rows: 6, Cols: 6, Classes: 1}
	return m, withSamples(r, set, exactSamples)
}

// TestConvNoAllocation checks that conv layers allocate nothing per sample,
// in the chip simulator and the float reference.
func TestConvNoAllocation(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 0; n < 10; n++ {
		m, set := randomStructNetOrders(r, perCoreTargets()[n%len(perCoreTargets())], true)
		p, err := lowerChip(m)
		require.NoError(t, err)
		x := set.Test.Image(0, set.ImageSize())
		cw, fw := newChipWorker(p), newFloatWorker(p.net)
		cw.runSample(0, x)
		fw.runSample(0, x, nil)
		require.Zero(t, testing.AllocsPerRun(5, func() { cw.runSample(1, x) }), "net %d chip", n)
		require.Zero(t, testing.AllocsPerRun(5, func() { fw.runSample(1, x, nil) }), "net %d float", n)
		fm, fset := randomConvFloat(r)
		fp, err := lowerFloat(fm)
		require.NoError(t, err)
		fx := fset.Test.Image(0, fset.ImageSize())
		fw = newFloatWorker(fp)
		fw.runSample(0, fx, nil)
		require.Zero(t, testing.AllocsPerRun(5, func() { fw.runSample(1, fx, nil) }), "float net %d", n)
	}
}

// TestLargeConvNoExpansion lowers a conv layer whose expanded matrix would
// hold far more than maxSynapses and runs a sample.
func TestLargeConvNoExpansion(t *testing.T) {
	C, H, W, OC := 16, 128, 128, 32
	m := &ir.Model{Input: ir.Input{Shape: []int{C, H, W}, Encoding: ir.EncodingRate, Scale: 1.0 / 255}, Timesteps: 2}
	w := make([]float32, OC*C*9)
	for i := range w {
		w[i] = 0.01 * float32(i%7-3)
	}
	m.Layers = []ir.Layer{
		{Kind: ir.KindConv2D, InShape: []int{C, H, W}, OutShape: []int{OC, H, W}, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1},
			Weights: w, Neuron: ir.LIF{Leak: 1, Threshold: 1}},
		{Kind: ir.KindConv2D, InShape: []int{OC, H, W}, OutShape: []int{2, H / 2, W / 2}, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2},
			Weights: make([]float32, 2*OC*4), Neuron: ir.LIF{Leak: 1, Threshold: 1}},
	}
	require.Greater(t, int64(C*H*W)*int64(OC*H*W), int64(maxSynapses))
	set := withSamples(rand.New(rand.NewPCG(1, 1)), &dataset.Set{Name: "big", Channels: C, Rows: H, Cols: W, Classes: 2}, 1)
	st, err := RunFloat(context.Background(), m, set, Options{Workers: 1})
	require.NoError(t, err)
	require.Positive(t, st.Total.SynapticOps)
}

// BenchmarkSimulateConv runs the float reference of an MNIST conv model
// (28×28 → 16c5 p2 → 32c3 s2 p1 g2 → dense 10, T = 4, direct input, hidden
// layers calibrated to about 15% firing), and, if present, the compiled
// conv model $SNNC_CONV_MODEL (chip, with and without the float
// reference, first 1000 samples).
func BenchmarkSimulateConv(b *testing.B) {
	set := loadMNIST(b)
	r := rand.New(rand.NewPCG(9, 9))
	randW := func(n int, sd float64) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(r.NormFloat64() * sd)
		}
		return w
	}
	lif := ir.LIF{Leak: 0.9, Threshold: 1}
	m := &ir.Model{Name: "conv", Input: ir.Input{Shape: []int{1, 28, 28}, Encoding: ir.EncodingDirect, Scale: 1.0 / 255}, Timesteps: 4,
		Layers: []ir.Layer{
			{Name: "conv1", Kind: ir.KindConv2D, InShape: []int{1, 28, 28}, OutShape: []int{16, 28, 28}, Kernel: [2]int{5, 5}, Stride: [2]int{1, 1}, Padding: [2]int{2, 2},
				Weights: randW(16*25, 0.2), Bias: randW(16, 0.05), Neuron: lif},
			{Name: "conv2", Kind: ir.KindConv2D, InShape: []int{16, 28, 28}, OutShape: []int{32, 14, 14}, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Padding: [2]int{1, 1},
				Groups: 2, Weights: randW(32*8*9, 0.12), Bias: randW(32, 0.05), Neuron: lif},
			{Kind: ir.KindFlatten, InShape: []int{32, 14, 14}, OutShape: []int{32 * 14 * 14}},
			{Name: "fc", Kind: ir.KindDense, InShape: []int{32 * 14 * 14}, OutShape: []int{10}, Weights: randW(10*32*14*14, 0.02), Bias: randW(10, 0.05), Neuron: lif},
		}}
	calibrate(b, m, set, 0.15)
	run := func(b *testing.B, m *ir.Model, limit int, ref bool) {
		var st *Stats
		cpu0 := cpuSeconds()
		for b.Loop() {
			var err error
			st, err = Run(context.Background(), m, set, Options{Limit: limit, Reference: ref})
			if err != nil {
				b.Fatal(err)
			}
		}
		cpu := (cpuSeconds() - cpu0) / float64(b.N)
		b.ReportMetric(float64(st.Total.SynapticOps)/cpu, "events/cpu-s")
		b.ReportMetric(st.EventsPerSecond(), "events/s")
		b.ReportMetric(float64(st.Total.SynapticOps)/float64(st.Samples), "synops/sample")
	}
	b.Run("float", func(b *testing.B) { run(b, m, 1000, false) })
	if path := os.Getenv("SNNC_CONV_MODEL"); path != "" {
		cm, err := ir.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("chip", func(b *testing.B) { run(b, cm, 1000, false) })
		b.Run("chip+reference", func(b *testing.B) { run(b, cm, 1000, true) })
	}
}
