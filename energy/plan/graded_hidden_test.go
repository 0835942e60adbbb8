package plan

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// TestGradedHiddenPoints: a model whose hidden layer fires several spikes
// per step fits loihi2 with graded spikes on (its counts as graded spikes,
// the pixels as graded input), with the figures of compiling with
// --graded-input --graded-hidden and simulating by hand; off, and on
// loihi, it does not fit, and the binding limit says why.
func TestGradedHiddenPoints(t *testing.T) {
	m := compile.RandomDense([]int{784, 48, 10}, 4, 7)
	m.Input.Scale = 1.0 / 255
	m.Layers[0].Neuron.Reset = ir.ResetSubtractMulti
	s := Settings{Targets: []string{"loihi", "loihi2"}, WeightBits: []int{0}, Timesteps: []int{0},
		Graded: []bool{false, true}, Data: embeddedSet(t), Limit: testLimit, Jobs: 1}
	res, err := Run(context.Background(), m, s)
	require.NoError(t, err)
	require.Len(t, res.Points, 4)
	for i := range res.Points {
		p := &res.Points[i]
		if p.Target != "loihi2" || !p.Graded {
			if p.Target == "loihi" && p.Graded {
				assert.Contains(t, p.NotApplicable, "binary spikes only", p.Label())
				continue
			}
			assert.Contains(t, p.DoesNotFit, "spikes per step", p.Label())
			assert.True(t, strings.Contains(strings.Join(p.Limits, "\n"), "fc1"), p.Label())
			continue
		}
		require.True(t, p.Fits(), "%s: %s %s", p.Label(), p.NotApplicable, p.DoesNotFit)
		tg, err := targets.Lookup("loihi2")
		require.NoError(t, err)
		cr, err := compile.Compile(m, tg, compile.Options{GradedInput: true, GradedHidden: true})
		require.NoError(t, err)
		st, err := sim.Run(context.Background(), cr.Model, s.Data, sim.Options{Limit: testLimit, Reference: true})
		require.NoError(t, err)
		require.Positive(t, st.Total.GradedSpikes)
		want, err := energy.Chip(cr.Model, energy.FromStats(st), tg, &tg.Energy[0])
		require.NoError(t, err)
		assert.Equal(t, st.Accuracy(), *p.Accuracy)
		assert.Equal(t, st.Agreement(), *p.Agreement)
		assert.Equal(t, want.EnergyPerInference, p.EnergyPerInference)
		assert.Equal(t, cr.Report.Cores, p.Cores)
	}
}
