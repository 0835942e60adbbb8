package sim

import (
	"slices"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/stretchr/testify/require"
)

// copiesBySource reorders the splitter (layer 1) of trueNorthSparseModel
// as compile lays one out: the copies of each source together, sources in
// the simulator's order of the source layer (simIn: model index →
// simulator index; the consumer's synapses follow their copies).
func copiesBySource(m *ir.Model, simIn []int32) *ir.Model {
	split, q := &m.Layers[1], &m.Quantized.Layers[1]
	order := make([]int32, len(split.Cols)) // new copy → old copy
	for k := range order {
		order[k] = int32(k)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return int(simIn[split.Cols[a]] - simIn[split.Cols[b]]) })
	newOf := make([]int32, len(order))
	cols, w, qw := make([]int32, len(order)), make([]float32, len(order)), make([]int16, len(order))
	for k, o := range order {
		newOf[o] = int32(k)
		cols[k], w[k], qw[k] = split.Cols[o], split.Weights[o], q.Weights[o]
	}
	split.Cols, split.Weights, q.Weights = cols, w, qw
	for k, c := range m.Layers[2].Cols {
		m.Layers[2].Cols[k] = newOf[c]
	}
	return m
}

// TestSplitterCopy checks that a splitter laid out as compile does is
// simulated as copies of its sources' spikes, with the same spikes, traces,
// potentials, latency and counts (per core, step and layer, active and idle
// updates included) as running its synapses and kernel; and that the copy
// form is refused when the data does not prove it exact.
func TestSplitterCopy(t *testing.T) {
	m, set := trueNorthSparseModel()
	p, err := lowerChip(m)
	require.NoError(t, err)
	require.Nil(t, p.layers[1].split, "copies not in source order taken for copies")
	simIn := p.layers[1].inPerm
	if simIn == nil {
		simIn = make([]int32, p.layers[1].in)
		for i := range simIn {
			simIn[i] = int32(i)
		}
	}
	m = copiesBySource(m, simIn)
	pk, err := lowerChip(m)
	require.NoError(t, err)
	require.NotNil(t, pk.layers[1].split, "the splitter is not simulated as copies")
	for li := range pk.layers {
		if li != 1 {
			require.Nil(t, pk.layers[li].split, "layer %s taken for a splitter", pk.layers[li].name)
		}
	}
	pd, err := lowerChip(m)
	require.NoError(t, err)
	pd.layers[1].split = nil
	wk, wd := newChipWorker(pk), newChipWorker(pd)
	wk.tracing, wd.tracing = true, true
	copied := 0
	wk.observe = func(int) { copied += len(wk.spk[1]) }
	for s := 0; s < 20; s++ {
		x := set.Test.Image(s, set.ImageSize())
		ck, lk := wk.runSample(s, x)
		cd, ld := wd.runSample(s, x)
		require.Equal(t, cd, ck, "sample %d: prediction", s)
		require.Equal(t, ld, lk, "sample %d: latency", s)
		require.Equal(t, string(wd.trace), string(wk.trace), "sample %d: trace", s)
		require.Equal(t, wd.v, wk.v, "sample %d: potentials", s)
		require.Equal(t, wd.racc, wk.racc, "sample %d: readout", s)
	}
	require.Positive(t, copied, "the splitter never spiked")
	require.Equal(t, wd.perCore, wk.perCore, "per core")
	require.Equal(t, wd.perStep, wk.perStep, "per step")
	require.Equal(t, wd.perLayer, wk.perLayer, "per layer")
	require.Positive(t, wk.perLayer[1].NeuronIdle, "no idle splitter updates counted")

	// a copy whose weight is below the threshold does not copy every spike
	q := &m.Quantized.Layers[1]
	q.Weights[17] = 0
	p, err = lowerChip(m)
	require.NoError(t, err)
	require.Nil(t, p.layers[1].split, "a weight below the threshold taken for a copy")
	q.Weights[17] = 1
	q.Threshold = 2
	p, err = lowerChip(m)
	require.NoError(t, err)
	require.Nil(t, p.layers[1].split, "a threshold above the weights taken for a copy")
	q.Threshold = 1
	m.Quantized.Layers[1].Bias = make([]int32, len(q.Weights))
	m.Quantized.Layers[1].Bias[3] = 1
	p, err = lowerChip(m)
	require.NoError(t, err)
	require.Nil(t, p.layers[1].split, "a splitter with a bias taken for a copy")
}
