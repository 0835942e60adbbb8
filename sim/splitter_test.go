package sim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
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

// splitterBySource returns trueNorthSparseModel (its splitter's copies in
// the order of conv2's positions, model) and the same model with the
// copies in source order as compile lays them out (bySource).
func splitterBySource(t *testing.T) (model, bySource *ir.Model, set *dataset.Set) {
	model, set = trueNorthSparseModel()
	p, err := lowerFloat(model)
	require.NoError(t, err)
	simIn := p.layers[1].inPerm
	if simIn == nil {
		simIn = make([]int32, p.layers[1].in)
		for i := range simIn {
			simIn[i] = int32(i)
		}
	}
	bySource, _ = trueNorthSparseModel()
	return model, copiesBySource(bySource, simIn), set
}

// requireSameChipRuns runs samples 0…n−1 of set on chip programs want and
// got and requires the same predictions, latencies, traces, potentials,
// readouts, and in the end counts per core, step and layer; it returns
// got's worker (observe, if set, is called after its steps).
func requireSameChipRuns(t *testing.T, want, got *chipProgram, set *dataset.Set, n int, observe func(w *chipWorker, step int)) *chipWorker {
	t.Helper()
	wg, ww := newChipWorker(got), newChipWorker(want)
	wg.tracing, ww.tracing = true, true
	if observe != nil {
		wg.observe = func(k int) { observe(wg, k) }
	}
	for s := 0; s < n; s++ {
		x := set.Test.Image(s, set.ImageSize())
		cg, lg := wg.runSample(s, x)
		cw, lw := ww.runSample(s, x)
		require.Equal(t, cw, cg, "sample %d: prediction", s)
		require.Equal(t, lw, lg, "sample %d: latency", s)
		require.Equal(t, string(ww.trace), string(wg.trace), "sample %d: trace", s)
		require.Equal(t, ww.v, wg.v, "sample %d: potentials", s)
		require.Equal(t, ww.racc, wg.racc, "sample %d: readout", s)
	}
	require.Equal(t, ww.perCore, wg.perCore, "per core")
	require.Equal(t, ww.perStep, wg.perStep, "per step")
	require.Equal(t, ww.perLayer, wg.perLayer, "per layer")
	return wg
}

// TestSplitterCopy checks that a splitter laid out as compile does is
// simulated as copies of its sources' spikes, with the same spikes, traces,
// potentials, latency and counts (per core, step and layer, active and idle
// updates included) as running its synapses and kernel; and that the copy
// form is refused when the data does not prove it exact.
func TestSplitterCopy(t *testing.T) {
	byPosition, m, set := splitterBySource(t)
	p, err := lowerChip(byPosition)
	require.NoError(t, err)
	require.Nil(t, p.layers[1].split, "copies not in source order taken for copies")
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
	copied := 0
	wk := requireSameChipRuns(t, pd, pk, set, 20, func(w *chipWorker, _ int) { copied += len(w.spk[1]) })
	require.Positive(t, copied, "the splitter never spiked")
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

// TestFloatSplitterCopy checks that the float reference of a splitter laid
// out as compile does is simulated as copies of its sources' spikes, with
// the same predictions, readout, traces and counts (per step and layer,
// active and idle updates included) as its neuron loop; that a copy layer
// falling back to the neuron loop mid-sample (an input not increasing)
// resumes from the state its spikes stand for; and that the copy form is
// refused when the float data does not prove it exact.
func TestFloatSplitterCopy(t *testing.T) {
	byPosition, m, set := splitterBySource(t)
	p, err := lowerFloat(byPosition)
	require.NoError(t, err)
	require.Nil(t, p.layers[1].copy, "copies not in source order taken for copies")
	pk, err := lowerFloat(m)
	require.NoError(t, err)
	require.NotNil(t, pk.layers[1].copy, "the splitter is not simulated as copies")
	for li := range pk.layers {
		if li != 1 {
			require.Nil(t, pk.layers[li].copy, "layer %s taken for a splitter", pk.layers[li].name)
		}
	}
	pd, err := lowerFloat(m)
	require.NoError(t, err)
	pd.layers[1].copy = nil
	// wf falls back to the neuron loop at a different step of each sample
	wk, wd, wf := newFloatWorker(pk), newFloatWorker(pd), newFloatWorker(pk)
	wk.tracing, wd.tracing, wf.tracing = true, true, true
	copied, fellBack := 0, 0
	wk.observe = func(int) { copied += len(wk.spk[1]) }
	for s := 0; s < 20; s++ {
		x := set.Test.Image(s, set.ImageSize())
		wf.observe = func(step int) {
			if step == s%m.Timesteps && len(wf.spk[1]) > 0 {
				wf.neuronLoop[1] = true
				pk.layers[1].copy.restore(wf.u[1], wf.fired[1], wf.spk[1])
				fellBack++
			}
		}
		ck, cd, cf := wk.runSample(s, x, nil), wd.runSample(s, x, nil), wf.runSample(s, x, nil)
		require.Equal(t, cd, ck, "sample %d: prediction", s)
		require.Equal(t, cd, cf, "sample %d: prediction after the fallback", s)
		require.Equal(t, string(wd.trace), string(wk.trace), "sample %d: trace", s)
		require.Equal(t, string(wd.trace), string(wf.trace), "sample %d: trace after the fallback", s)
		require.Equal(t, wd.racc, wk.racc, "sample %d: readout", s)
		require.Equal(t, wd.racc, wf.racc, "sample %d: readout after the fallback", s)
		require.Equal(t, wd.u[2], wk.u[2], "sample %d: potentials of the splitter's consumer", s)
	}
	require.Positive(t, copied, "the splitter never spiked")
	require.Positive(t, fellBack, "no fallback tried")
	for _, w := range []*floatWorker{wk, wf} {
		require.Equal(t, wd.perStep, w.perStep, "per step")
		require.Equal(t, wd.perLayer, w.perLayer, "per layer")
	}
	require.Positive(t, wk.perLayer[1].NeuronActive, "no active splitter updates counted")
	require.Equal(t, -1, writeCopies(pk.layers[1].sp.ptr, []int32{3, 2}, make([]int32, pk.layers[1].out)), "inputs out of order copied")

	// refusals: a weight below the threshold, a bias, a neuron with two
	// synapses, subtractive reset with a weight above the threshold
	refused := func(why string, edit func(l *ir.Layer)) {
		t.Helper()
		mm := *m
		mm.Layers = append([]ir.Layer(nil), m.Layers...)
		l := &mm.Layers[1]
		l.Weights, l.Bias = append([]float32(nil), l.Weights...), append([]float32(nil), l.Bias...)
		l.Cols, l.RowStart = append([]int32(nil), l.Cols...), append([]int32(nil), l.RowStart...)
		edit(l)
		p, err := lowerFloat(&mm)
		require.NoError(t, err, why)
		require.Nil(t, p.layers[1].copy, why)
	}
	refused("a weight below the threshold taken for a copy", func(l *ir.Layer) { l.Weights[17] = 0.5 })
	refused("a splitter with a bias taken for a copy", func(l *ir.Layer) {
		l.Bias = make([]float32, l.NumOutputs())
		l.Bias[3] = 0.25
	})
	refused("a neuron with two synapses taken for a copy", func(l *ir.Layer) {
		// neuron 0 takes neuron 1's synapse too; neuron 1 has none
		l.RowStart[1] = 2
	})
	refused("a weight above the threshold with subtractive reset taken for a copy", func(l *ir.Layer) {
		l.Neuron.Reset = ir.ResetSubtract
		l.Weights[5] = 1.5
	})
	refused("a leaky splitter whose state does not return to rest", func(l *ir.Layer) {
		l.Neuron.Reset = ir.ResetNone
	})
}

// TestFloatSplitterCopyQuietSteps checks the counts of a float copy layer
// at steps without input after steps with spikes (its neurons at fired
// are active, the others idle): a small net whose rate input is often
// silent, source → splitter (two copies per source) → readout.
func TestFloatSplitterCopyQuietSteps(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	const in, copies = 6, 2
	src := ir.Layer{Name: "src", Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{in},
		Weights: make([]float32, in*in), Bias: make([]float32, in), Neuron: ir.LIF{Leak: 1, Threshold: 1}}
	split := ir.Layer{Name: "src.split", Kind: ir.KindSparse, InShape: []int{in}, OutShape: []int{in * copies},
		RowStart: make([]int32, in*copies+1), Bias: make([]float32, in*copies), Neuron: ir.LIF{Leak: 0.5, Threshold: 1}}
	out := ir.Layer{Name: "out", Kind: ir.KindDense, InShape: []int{in * copies}, OutShape: []int{3},
		Weights: make([]float32, 3*in*copies), Bias: make([]float32, 3)}
	for i := 0; i < in; i++ {
		src.Weights[i*in+i] = 1
		for c := 0; c < copies; c++ {
			k := i*copies + c
			split.Cols = append(split.Cols, int32(i))
			split.Weights = append(split.Weights, []float32{1, 1.25}[c]) // u₁ depends on the weight
			split.RowStart[k+1] = int32(k + 1)
		}
	}
	for k := range out.Weights {
		out.Weights[k] = float32(r.IntN(9)-4) / 4
	}
	m := &ir.Model{Name: "quiet", Input: ir.Input{Shape: []int{in}, Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Timesteps: 12, Layers: []ir.Layer{src, split, out}}
	const samples = 40
	set := &dataset.Set{Name: "random", Channels: 1, Rows: 1, Cols: in, Classes: 3,
		Test: dataset.Split{N: samples, Images: make([]uint8, samples*in), Labels: make([]uint8, samples)}}
	for i := range set.Test.Images {
		set.Test.Images[i] = uint8(r.IntN(60))
	}
	pk, err := lowerFloat(m)
	require.NoError(t, err)
	require.NotNil(t, pk.layers[1].copy, "the splitter is not simulated as copies")
	pd, err := lowerFloat(m)
	require.NoError(t, err)
	pd.layers[1].copy = nil
	// wf falls back to the neuron loop at a different step of each sample:
	// the restored state decides the counts of the quiet steps that follow
	wk, wd, wf := newFloatWorker(pk), newFloatWorker(pd), newFloatWorker(pk)
	wk.tracing, wd.tracing = true, true
	quietAfterSpikes, fired := 0, 0 // fired: the splitter's spikes at the previous step
	wd.observe = func(step int) {
		if step == 0 {
			fired = 0
		}
		if len(wd.spk[0]) == 0 && fired > 0 {
			quietAfterSpikes++
		}
		fired = len(wd.spk[1])
	}
	for s := 0; s < samples; s++ {
		x := set.Test.Image(s, set.ImageSize())
		wf.observe = func(step int) {
			if step == s%m.Timesteps {
				wf.neuronLoop[1] = true
				pk.layers[1].copy.restore(wf.u[1], wf.fired[1], wf.spk[1])
			}
		}
		cd := wd.runSample(s, x, nil)
		require.Equal(t, cd, wk.runSample(s, x, nil), "sample %d: prediction", s)
		require.Equal(t, cd, wf.runSample(s, x, nil), "sample %d: prediction after the fallback", s)
		require.Equal(t, string(wd.trace), string(wk.trace), "sample %d: trace", s)
		require.Equal(t, wd.racc, wk.racc, "sample %d: readout", s)
	}
	require.Positive(t, quietAfterSpikes, "no step without input after a spike")
	for _, w := range []*floatWorker{wk, wf} {
		require.Equal(t, wd.perStep, w.perStep, "per step")
		require.Equal(t, wd.perLayer, w.perLayer, "per layer")
	}
}

// TestWriteCopies compares writeCopies with the plain loop on random copy
// counts (0 to 12 per input, so that the 8-store path and the loop both
// run, up to the end of the buffer).
func TestWriteCopies(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 300; trial++ {
		in := 1 + r.IntN(40)
		ptr := make([]int32, in+1)
		for i := range in {
			ptr[i+1] = ptr[i] + int32(r.IntN(13))
		}
		spikes, want := []int32{}, []int32{}
		for i := range int32(in) {
			if r.IntN(2) == 0 {
				spikes = append(spikes, i)
				for j := ptr[i]; j < ptr[i+1]; j++ {
					want = append(want, j)
				}
			}
		}
		spk := make([]int32, ptr[in])
		n := writeCopies(ptr, spikes, spk)
		require.Equal(t, len(want), n, "trial %d", trial)
		require.Equal(t, want, spk[:n:n], "trial %d", trial)
	}
}
