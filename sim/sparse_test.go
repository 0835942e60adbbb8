package sim

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// asSparse returns a copy of m with every dense layer listed as a sparse
// layer (every pair a synapse, rows in input order).
func asSparse(m *ir.Model) *ir.Model {
	c := *m
	c.Layers = append([]ir.Layer(nil), m.Layers...)
	if m.Quantized != nil {
		q := *m.Quantized
		q.Layers = append([]ir.QuantLayer(nil), m.Quantized.Layers...)
		c.Quantized = &q
	}
	for li := range c.Layers {
		l := &c.Layers[li]
		if l.Kind != ir.KindDense {
			continue
		}
		in, out := l.NumInputs(), l.NumOutputs()
		l.Kind = ir.KindSparse
		l.RowStart = make([]int32, out+1)
		l.Cols = make([]int32, 0, in*out)
		for o := 0; o < out; o++ {
			for i := 0; i < in; i++ {
				l.Cols = append(l.Cols, int32(i))
			}
			l.RowStart[o+1] = int32(len(l.Cols))
		}
	}
	return &c
}

// TestSparseMatchesDense: a dense network written as sparse layers (every
// pair listed) gives the same predictions, counts and trace, in the float
// reference (weights on a 1/8 grid, so float sums are exact in any order)
// and on the chip.
func TestSparseMatchesDense(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 12))
	for n := 0; n < 40; n++ {
		target := perCoreTargets()[n%len(perCoreTargets())]
		m, set := randomNet(r, target)
		for li := range m.Layers {
			for k, w := range m.Layers[li].Weights {
				m.Layers[li].Weights[k] = float32(int(w*8)) / 8
			}
			for k, b := range m.Layers[li].Bias {
				m.Layers[li].Bias[k] = float32(int(b*8)) / 8
			}
		}
		set = withSamples(r, set, 5)
		sp := asSparse(m)
		var traces [2]bytes.Buffer
		var stats [2]*Stats
		for k, mm := range []*ir.Model{m, sp} {
			st, err := Run(ctx, mm, set, Options{Workers: 1, Trace: &traces[k], Reference: true})
			require.NoError(t, err, "net %d", n)
			st.WallSeconds = 0
			stats[k] = st
		}
		if target == "truenorth" { // dense layers count set crossbar bits, sparse ones listed synapses
			for _, st := range stats {
				st.Total.SynapticOps = 0
				for _, cs := range [][]Counts{st.PerLayer, st.PerCore, st.PerStep} {
					for i := range cs {
						cs[i].SynapticOps = 0
					}
				}
			}
		}
		require.Equal(t, stats[0], stats[1], "net %d (%s): chip", n, target)
		require.Equal(t, traces[0].String(), traces[1].String(), "net %d: chip trace", n)
		float := func(mm *ir.Model) (*Stats, string) {
			f := *mm
			f.Quantized, f.Mapping = nil, nil
			var tr bytes.Buffer
			st, err := RunFloat(ctx, &f, set, Options{Workers: 1, Trace: &tr})
			require.NoError(t, err)
			st.WallSeconds = 0
			return st, tr.String()
		}
		fd, td := float(m)
		fs, ts := float(sp)
		require.Equal(t, fd, fs, "net %d: float", n)
		require.Equal(t, td, ts, "net %d: float trace", n)
	}
}

// tinySparse is tinyModel with its hidden layer as a sparse layer:
// neuron 0 ← input 0 (weight 1), neuron 1 ← inputs 1 and 0 (weights 1, 0).
func tinySparse(target string) (*ir.Model, func() *ir.Layer) {
	m, _ := tinyModel(target, 2)
	m.Input.Encoding = ir.EncodingRate
	l := &m.Layers[0]
	l.Kind = ir.KindSparse
	l.RowStart = []int32{0, 1, 3}
	l.Cols = []int32{0, 1, 0}
	l.Weights = []float32{1, 1, 0}
	m.Quantized.Layers[0].Weights = []int16{1, 1, 0}
	return m, func() *ir.Layer { return &m.Layers[0] }
}

func TestSparseAndGroupedErrors(t *testing.T) {
	ctx := context.Background()
	_, set := tinyModel("loihi", 2)
	cases := []struct {
		name string
		edit func(m *ir.Model, l *ir.Layer)
		msg  string
	}{
		{"row offsets length", func(m *ir.Model, l *ir.Layer) { l.RowStart = l.RowStart[:2] }, "2 row offsets, want 3"},
		{"row offsets decrease", func(m *ir.Model, l *ir.Layer) { l.RowStart = []int32{0, 3, 3}; l.RowStart[1] = 4 }, "row offsets decrease at neuron 1"},
		{"row offsets start", func(m *ir.Model, l *ir.Layer) { l.RowStart[0] = -1 }, "row offsets run from -1 to 3"},
		{"row offsets end", func(m *ir.Model, l *ir.Layer) { l.RowStart[2] = 2 }, "row offsets run from 0 to 2, want 0 to 3"},
		{"row offsets past the synapses", func(m *ir.Model, l *ir.Layer) { l.RowStart[1] = 9 }, "row offsets decrease at neuron 1 (9 → 3)"},
		{"input out of range", func(m *ir.Model, l *ir.Layer) { l.Cols[2] = 2 }, "synapse 2 comes from input 2, the layer has 2 inputs"},
		{"negative input", func(m *ir.Model, l *ir.Layer) { l.Cols[0] = -1 }, "synapse 0 comes from input -1"},
		{"float weights", func(m *ir.Model, l *ir.Layer) { l.Weights = l.Weights[:2] }, "weights has 2 values, want one per synapse (3)"},
		{"quantized weights", func(m *ir.Model, l *ir.Layer) {
			m.Quantized.Layers[0].Weights = m.Quantized.Layers[0].Weights[:2]
		}, "quantized weights has 2 values, want one per synapse (3)"},
		{"bias", func(m *ir.Model, l *ir.Layer) { m.Quantized.Layers[0].Bias = []int32{1, 2, 3} }, "bias has 3 values, want 2"},
		{"missing route", func(m *ir.Model, l *ir.Layer) {
			// the readout as a sparse layer on two cores: neuron 1 has no
			// route from core 0 and a synapse from it
			o := &m.Layers[1]
			o.Kind, o.OutShape, o.RowStart, o.Cols, o.Weights, o.Bias = ir.KindSparse, []int{2}, []int32{0, 1, 2}, []int32{0, 1}, []float32{1, 1}, nil
			m.Quantized.Layers[1].Weights = []int16{3, 5}
			m.Mapping.Cores[1].NeuronCount = 1
			m.Mapping.Cores = append(m.Mapping.Cores, ir.Core{X: 3, Layer: 1, NeuronStart: 1, NeuronCount: 1})
		}, "no route from core 0 (layer 0 (h)) to core 2 (layer 1 (o)), but neuron 1 has a synapse from neuron 1"},
		{"sparse after pooling", func(m *ir.Model, l *ir.Layer) {
			m.Input.Shape = []int{1, 2, 1}
			m.Layers = append([]ir.Layer{{Kind: ir.KindAvgPool, InShape: []int{1, 2, 1}, OutShape: []int{1, 2, 1}, Kernel: [2]int{1, 1}}}, m.Layers...)
			m.Quantized.Layers = append([]ir.QuantLayer{{}}, m.Quantized.Layers...)
			for i := range m.Mapping.Cores {
				m.Mapping.Cores[i].Layer++
			}
		}, "sparse layer after average pooling"},
		{"truenorth axon types", func(m *ir.Model, l *ir.Layer) {
			q := &m.Quantized.Layers[0]
			q.Weights = []int16{1, 2, 0}
			q.AxonTypes = []uint8{0, 1}
			q.TypeWeights = []int16{1, 0, 0, 0, 0, 3, 0, 0}
		}, "weight from input 1 to neuron 1 is 2, but the neuron's weight for axon type 1 is 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			target := "loihi"
			if strings.HasPrefix(c.name, "truenorth") {
				target = "truenorth"
			}
			m, l := tinySparse(target)
			if target == "truenorth" {
				m.Mapping.MeshWidth, m.Mapping.MeshHeight = 64, 64
			}
			_, err := Run(ctx, m, set, Options{})
			require.NoError(t, err, "unedited")
			c.edit(m, l())
			setHops(m)
			_, err = Run(ctx, m, set, Options{})
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrModel), "%v", err)
			assert.Contains(t, err.Error(), c.msg)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
	conv := []struct {
		name string
		edit func(l *ir.Layer, q *ir.QuantLayer)
		msg  string
	}{
		{"groups do not divide", func(l *ir.Layer, q *ir.QuantLayer) { l.Groups = 3 }, "3 groups do not divide 2 input and 4 output channels"},
		{"negative groups", func(l *ir.Layer, q *ir.QuantLayer) { l.Groups = -2 }, "-2 groups"},
		{"grouped weights", func(l *ir.Layer, q *ir.QuantLayer) { l.Weights = make([]float32, 4*2*9) }, "weights has 72 values, want 4×1×3×3"},
		{"grouped quantized weights", func(l *ir.Layer, q *ir.QuantLayer) { q.Weights = q.Weights[:3] }, "quantized weights has 3 values, want 4×1×3×3"},
	}
	for _, c := range conv {
		t.Run(c.name, func(t *testing.T) {
			m, cset := groupedModel()
			_, err := Run(ctx, m, cset, Options{})
			require.NoError(t, err, "unedited")
			c.edit(&m.Layers[0], &m.Quantized.Layers[0])
			_, err = Run(ctx, m, cset, Options{})
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrModel), "%v", err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

// TestCorruptSparseNoPanic corrupts the synapse lists of random sparse
// networks: lowering returns an error or a runnable program, never panics.
func TestCorruptSparseNoPanic(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	errs := 0
	for n := 0; n < 300; n++ {
		m, set := randomStructNet(r, perCoreTargets()[n%len(perCoreTargets())])
		var sparse []int
		for li := range m.Layers {
			if m.Layers[li].Kind == ir.KindSparse {
				sparse = append(sparse, li)
			}
		}
		if len(sparse) == 0 {
			continue
		}
		li := sparse[r.IntN(len(sparse))]
		l, q := &m.Layers[li], &m.Quantized.Layers[li]
		bad := []int32{-1, 1 << 30, -1 << 31, int32(len(l.Cols) + 1), int32(l.NumInputs())}[r.IntN(5)]
		switch r.IntN(5) {
		case 0:
			l.RowStart[r.IntN(len(l.RowStart))] = bad
		case 1:
			if len(l.Cols) > 0 {
				l.Cols[r.IntN(len(l.Cols))] = bad
			}
		case 2:
			l.RowStart = l.RowStart[:r.IntN(len(l.RowStart))]
		case 3:
			q.Weights = q.Weights[:r.IntN(len(q.Weights)+1)]
			l.Cols = append(l.Cols, 0)
		case 4:
			l.Cols = l.Cols[:r.IntN(len(l.Cols)+1)]
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("net %d: panic %v", n, p)
				}
			}()
			_, err := Run(context.Background(), m, set, Options{Workers: 1})
			if err != nil {
				require.True(t, errors.Is(err, ErrModel), "net %d: %v", n, err)
				errs++
			}
		}()
	}
	t.Logf("%d corrupted networks rejected", errs)
	require.Positive(t, errs)
}

// groupedModel is a rate-input 2×4×4 image → conv 4c3 p1 with 2 groups →
// dense readout of 2 on Loihi, one core per layer.
func groupedModel() (*ir.Model, *dataset.Set) {
	conv := ir.Layer{Name: "conv", Kind: ir.KindConv2D, InShape: []int{2, 4, 4}, OutShape: []int{4, 4, 4},
		Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, Groups: 2,
		Weights: make([]float32, 4*1*9), Bias: make([]float32, 4), Neuron: ir.LIF{Leak: 1, Threshold: 1}}
	fc := ir.Layer{Name: "fc", Kind: ir.KindDense, InShape: []int{64}, OutShape: []int{2}, Weights: make([]float32, 128), Bias: make([]float32, 2)}
	m := &ir.Model{Input: ir.Input{Shape: []int{2, 4, 4}, Encoding: ir.EncodingRate, Scale: 1.0 / 255}, Timesteps: 2,
		Layers: []ir.Layer{conv, fc},
		Quantized: &ir.Quantized{Target: "loihi", Layers: []ir.QuantLayer{
			{Weights: make([]int16, 36), Threshold: 1, DecayU: 4096},
			{Weights: make([]int16, 128), DecayU: 4096},
		}},
		Mapping: &ir.Mapping{Target: "loihi", Chips: 1, MeshWidth: 16, MeshHeight: 8,
			Cores:  []ir.Core{{Layer: 0, NeuronCount: 64}, {X: 1, Layer: 1, NeuronCount: 2}},
			Routes: []ir.Route{{From: 0, To: 1, Axons: 64}}},
	}
	setHops(m)
	set := &dataset.Set{Name: "grouped", Channels: 2, Rows: 4, Cols: 4, Classes: 2,
		Test: dataset.Split{N: 1, Images: make([]uint8, 32), Labels: []uint8{0}}}
	return m, set
}

// TestNoAllocationSparse: a sample of a network with sparse and grouped
// conv layers allocates nothing, on the chip and in the float reference.
func TestNoAllocationSparse(t *testing.T) {
	tn, tnSet := trueNorthSparseModel()
	r := rand.New(rand.NewPCG(9, 9))
	type net struct {
		m   *ir.Model
		set *dataset.Set
	}
	nets := []net{{tn, tnSet}}
	for _, target := range perCoreTargets() {
		m, set := randomStructNet(r, target)
		nets = append(nets, net{m, set})
	}
	for i, n := range nets {
		p, err := lowerChip(n.m)
		require.NoError(t, err)
		cw, fw := newChipWorker(p), newFloatWorker(p.net)
		x := n.set.Test.Image(0, n.set.ImageSize())
		cw.runSample(0, x) // warm up
		fw.runSample(0, x, nil)
		assert.Zero(t, testing.AllocsPerRun(5, func() { cw.runSample(1, x) }), "net %d chip", i)
		assert.Zero(t, testing.AllocsPerRun(5, func() { fw.runSample(1, x, nil) }), "net %d float", i)
	}
}

// TestConvSpans checks that a conv chip layer every spike reaches on every
// core (here the first layer, fed by the host's rate spikes) delivered
// through spans (convSpans) gives the same potentials, spikes, traces,
// latency and counts (per core, step and layer) as convInput, its kernel
// vectors tap by tap, in the default mapping order and in one that splits
// each position's channels into units (a channel-major map order).
func TestConvSpans(t *testing.T) {
	for _, order := range []string{"default", "channel-major"} {
		m, set := trueNorthSparseModel()
		if order == "channel-major" {
			l := &m.Layers[0]
			l.MapOrder = make([]int32, l.NumOutputs())
			for j := range l.MapOrder {
				l.MapOrder[j] = int32(j) // CHW: a position's channels apart
			}
		}
		ps, err := lowerChip(m)
		require.NoError(t, err, order)
		require.NotNil(t, ps.layers[0].spans, "%s: the first conv layer is not laid out as spans", order)
		if k := ps.layers[0].ck; order == "channel-major" {
			require.Equal(t, k.cg, k.maxUnits, "the map order keeps some of a position's channels together")
		}
		spans, scatter := 0, 0
		for _, g := range ps.layers[0].spans.seg {
			if g.scatter {
				scatter++
			} else {
				spans++
			}
		}
		require.Positive(t, spans+scatter, order)
		pc, err := lowerChip(m)
		require.NoError(t, err)
		pc.layers[0].spans = nil
		spikes := 0
		requireSameChipRuns(t, pc, ps, set, 30, func(w *chipWorker, _ int) { spikes += len(w.spk[0]) })
		require.Positive(t, spikes, "%s: the conv layer never spiked", order)
		t.Logf("%s order: %d spans, %d scatter lists", order, spans, scatter)

		// a direct first layer has no synapses on chip; a sparse layer
		// is no conv layer
		ps.layers[0].direct = true
		require.Nil(t, ps.convSpans(0), "a direct layer laid out as conv spans")
		require.Nil(t, ps.convSpans(2), "a sparse layer laid out as conv spans")
	}
}
