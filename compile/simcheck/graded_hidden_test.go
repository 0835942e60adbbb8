package simcheck_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// multiSpikeDense is compile.RandomDense with every layer's neurons firing
// several spikes per step (ir.ResetSubtractMulti), inputs scaled to [0, 1].
func multiSpikeDense(sizes []int, T int, seed uint64) *ir.Model {
	m := compile.RandomDense(sizes, T, seed)
	m.Input.Scale = 1.0 / 255
	for i := range m.Layers {
		m.Layers[i].Neuron.Reset = ir.ResetSubtractMulti
	}
	return m
}

// TestSimulatorMatchesEvalIntegerGradedHidden: loihi2 models whose hidden
// layers send their spike counts as graded spikes (compile --graded-hidden)
// run on the chip simulator exactly as compile.Integer evaluates them:
// predictions, the readout, and per layer the graded spikes and the sum of
// their payloads, sample by sample; with graded input too, with a
// spike-count readout whose last layer sends counts, and on several cores
// per layer (partial routing).
func TestSimulatorMatchesEvalIntegerGradedHidden(t *testing.T) {
	tg, err := targets.Lookup("loihi2")
	require.NoError(t, err)
	const side, n = 8, 40
	set := randomImages(side, n, 7)
	for _, c := range []struct {
		name        string
		sizes       []int
		leak        float32
		readout     ir.ReadoutKind
		gradedInput bool
		weightBits  int
		blocks      bool // layer 2's weights block-diagonal: some cores get no route
	}{
		{"dense", []int{side * side, 48, 32, 10}, 0.9, ir.ReadoutMeanCurrent, false, 0, false},
		{"dense, graded input", []int{side * side, 48, 32, 10}, 0.5, ir.ReadoutMeanCurrent, true, 0, false},
		{"dense, spike-count readout", []int{side * side, 40, 10}, 1, ir.ReadoutSpikeCount, false, 0, false},
		{"dense, 4-bit weights", []int{side * side, 48, 10}, 0.9, ir.ReadoutMeanCurrent, false, 4, false},
		{"wide (several cores per layer)", []int{side * side, 1200, 300, 10}, 0.8, ir.ReadoutMeanCurrent, false, 0, false},
		{"wide, block-diagonal (partial routes)", []int{side * side, 3000, 300, 10}, 0.8, ir.ReadoutMeanCurrent, false, 0, true},
	} {
		m := multiSpikeDense(c.sizes, 6, 3)
		m.Readout.Kind = c.readout
		for i := range m.Layers {
			m.Layers[i].Neuron.Leak = c.leak
		}
		if c.blocks {
			l := &m.Layers[1]
			in, out := l.NumInputs(), l.NumOutputs()
			for j := 0; j < out; j++ {
				for i := 0; i < in; i++ {
					if i*2/in != j*2/out {
						l.Weights[j*in+i] = 0
					}
				}
			}
		}
		res, err := compile.Compile(m, tg, compile.Options{GradedHidden: true, GradedInput: c.gradedInput, WeightBits: c.weightBits})
		require.NoError(t, err, c.name)
		if c.blocks {
			require.Positive(t, dropZeroRoutes(res.Model, 0, 1), c.name)
		}
		st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Workers: 1, Reference: true})
		require.NoError(t, err, c.name)
		spikes, payload := matchGradedHidden(t, res.Model, set, st, c.name)
		t.Logf("%s: %d cores, %d graded spikes carrying %d spikes, agreement with float %d/%d", c.name,
			len(res.Model.Mapping.Cores), spikes, payload, st.Agreeing, n)
		// the test must see counts above 1, or it would not test payloads
		assert.Greater(t, payload, spikes, "%s: some neuron fires more than once per step", c.name)
		assert.Positive(t, st.Total.GradedSynapticOps, c.name)
	}
}

// matchGradedHidden checks the simulator's predictions, total spikes and,
// per layer, spikes and graded payloads against compile.Integer on every
// test sample, and returns the graded spikes and their payload sum.
func matchGradedHidden(t *testing.T, m *ir.Model, set *dataset.Set, st *sim.Stats, label string) (spikes, payload int64) {
	t.Helper()
	matchInteger(t, m, set, st, label)
	ev, err := compile.NewInteger(m)
	require.NoError(t, err)
	size := set.ImageSize()
	perLayer := map[int][2]int64{}
	for s := 0; s < set.Test.N; s++ {
		r, err := ev.Run(sim.IntegerInput(m, s, set.Test.Images[s*size:(s+1)*size]))
		require.NoError(t, err)
		k := 0
		for li := range m.Layers {
			if !m.Layers[li].HasNeurons() {
				continue
			}
			v := perLayer[li]
			v[0] += r.Spikes[k]
			v[1] += r.GradedPayload[k]
			perLayer[li] = v
			k++
		}
	}
	for li, v := range perLayer {
		got := st.PerLayer[li]
		assert.Equal(t, v[0], got.Spikes, "%s layer %d: spikes", label, li)
		assert.Equal(t, v[1], got.GradedSpikePayload, "%s layer %d: graded payloads", label, li)
		if v[1] > 0 {
			assert.Equal(t, v[0], got.GradedSpikes, "%s layer %d: graded spikes", label, li)
		}
		spikes += got.GradedSpikes
		payload += v[1]
	}
	return spikes, payload
}

// TestGradedHiddenRefusals: a several-spike layer is a LimitError naming
// the layer on targets with binary spikes and on loihi2 without the flag;
// the refusals the simulator and compile.Integer would otherwise meet
// (graded spikes into conv or through a delay, recurrence) are LimitErrors
// too.
func TestGradedHiddenRefusals(t *testing.T) {
	for _, c := range []struct {
		target string
		opts   compile.Options
		edit   func(m *ir.Model)
		limit  string
	}{
		{"loihi", compile.Options{}, nil, "spikes per step"},
		{"loihi", compile.Options{GradedHidden: true}, nil, "spikes per step"},
		{"truenorth", compile.Options{GradedHidden: true}, nil, "spikes per step"},
		{"loihi2", compile.Options{}, nil, "spikes per step"},
		{"loihi2", compile.Options{GradedHidden: true}, func(m *ir.Model) { m.Layers[1].Delay = 2 }, "graded spikes with synaptic delay"},
	} {
		m := multiSpikeDense([]int{16, 12, 8, 4}, 4, 1)
		if c.edit != nil {
			c.edit(m)
		}
		tg, err := targets.Lookup(c.target)
		require.NoError(t, err)
		_, err = compile.Compile(m, tg, c.opts)
		var le *compile.LimitError
		require.True(t, errors.As(err, &le), "%s %+v: %v", c.target, c.opts, err)
		assert.Equal(t, c.limit, le.Limit, "%s: %v", c.target, err)
		assert.Equal(t, 0, le.Layer, "%s: %v", c.target, err)
		assert.Contains(t, err.Error(), "fc1", c.target)
	}
	// several-spike recurrent layer
	m := compile.RandomTemporal(8, []int{9, 6}, []bool{true, false}, 3, 4, 0, ir.ReadoutMeanCurrent, 5)
	for i := range m.Layers {
		m.Layers[i].Neuron.Reset = ir.ResetSubtractMulti
	}
	tg, err := targets.Lookup("loihi2")
	require.NoError(t, err)
	_, err = compile.Compile(m, tg, compile.Options{GradedHidden: true})
	var le *compile.LimitError
	require.True(t, errors.As(err, &le), fmt.Sprint(err))
	assert.Equal(t, "graded recurrent spikes", le.Limit)
}

// dropZeroRoutes removes the routes from the cores of layer a to those of
// layer b (= a+1) whose quantized weights between them are all zero (the
// compiler keeps every route of a dense layer), so that the simulator
// takes its per-core delivery path; it returns how many it removed.
func dropZeroRoutes(m *ir.Model, a, b int) int {
	mp, ql := m.Mapping, &m.Quantized.Layers[b]
	in := m.Layers[b].NumInputs()
	zero := func(from, to *ir.Core) bool {
		for j := to.NeuronStart; j < to.NeuronStart+to.NeuronCount; j++ {
			for i := from.NeuronStart; i < from.NeuronStart+from.NeuronCount; i++ {
				if ql.Weights[j*in+i] != 0 {
					return false
				}
			}
		}
		return true
	}
	kept := mp.Routes[:0]
	dropped := 0
	for _, r := range mp.Routes {
		from, to := &mp.Cores[r.From], &mp.Cores[r.To]
		if from.Layer == a && to.Layer == b && zero(from, to) {
			dropped++
			continue
		}
		kept = append(kept, r)
	}
	mp.Routes = kept
	return dropped
}
