package energy_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// randomSet is n random side×side test images (pixel values and labels
// uniform).
func randomSet(side, n int) *dataset.Set {
	set := &dataset.Set{Name: "random", Channels: 1, Rows: side, Cols: side, Classes: 10,
		Test: dataset.Split{N: n, Images: make([]uint8, n*side*side), Labels: make([]uint8, n)}}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range set.Test.Images {
		set.Test.Images[i] = uint8(rng.IntN(256))
	}
	for i := range set.Test.Labels {
		set.Test.Labels[i] = uint8(rng.IntN(10))
	}
	return set
}

// TestEvaluateAllTargets runs the whole pipeline on a float 784-16-10 model
// with direct input (it fits loihi, not truenorth) and checks each target
// against the stages run by hand: the seed's AC is the float reference's
// synaptic events, loihi's AC the chip simulator's synaptic operations of
// the model compile.Compile makes, and truenorth does not fit with every
// violation compile.Compile reports, the log naming the first and how many
// more there are.
func TestEvaluateAllTargets(t *testing.T) {
	const n = 12
	m := compile.RandomDense([]int{784, 16, 10}, 4, 1)
	m.Input.Scale = 1.0 / 255
	set := randomSet(28, n)
	var log []string
	rep, err := energy.Evaluate(context.Background(), &energy.Request{
		Model: m, Target: energy.AllTargets, Data: set,
		Log: func(format string, a ...any) { log = append(log, fmt.Sprintf(format, a...)) },
	})
	require.NoError(t, err)
	assert.Equal(t, "random", rep.Dataset)
	var names []string
	for _, tr := range rep.Targets {
		names = append(names, tr.Target)
	}
	require.Equal(t, append([]string{energy.SeedTarget}, targets.Names()...), names)

	ctx := context.Background()
	fst, err := sim.RunFloat(ctx, m, set, sim.Options{})
	require.NoError(t, err)
	seed := rep.Targets[0]
	assert.Equal(t, n, seed.Samples)
	assert.InDelta(t, float64(fst.Total.SynapticOps)/n, seed.AC, 1e-9)
	assert.Equal(t, float64(784*16+16*10), seed.ANNMAC)

	for _, tr := range rep.Targets[1:] {
		tg, err := targets.Lookup(tr.Target)
		require.NoError(t, err)
		res, cerr := compile.Compile(m, tg, compile.Options{})
		if cerr != nil {
			assert.Equal(t, cerr.Error(), tr.DoesNotFit, "%s: the report keeps every violation", tr.Target)
			var les compile.LimitErrors
			require.ErrorAs(t, cerr, &les)
			want := fmt.Sprintf("%s: does not fit: %s (and %d more)", tr.Target, les[0].Error(), len(les)-1)
			if len(les) == 1 {
				want = fmt.Sprintf("%s: does not fit: %s", tr.Target, les[0].Error())
			}
			assert.Contains(t, log, want)
			continue
		}
		assert.Empty(t, tr.DoesNotFit, tr.Target)
		st, err := sim.Run(ctx, res.Model, set, sim.Options{})
		require.NoError(t, err)
		assert.Equal(t, n, tr.Samples, tr.Target)
		assert.InDelta(t, float64(st.Total.SynapticOps)/n, tr.AC, 1e-9, tr.Target)
		assert.Equal(t, seed.ANNMAC, tr.ANNMAC, "%s: the float model's ANN", tr.Target)
		assert.Greater(t, tr.EnergyPerInference, 0.0, tr.Target)
	}
	for _, tr := range rep.Targets {
		if tr.Target == "truenorth" || strings.HasPrefix(tr.Target, "xylo") {
			assert.NotEmpty(t, tr.DoesNotFit, "direct input does not fit %s", tr.Target)
		}
	}
}

// TestEvaluateOneTargetDoesNotFit: asked for one target only, a model that
// does not fit it is an error that keeps the compiler's typed violations.
func TestEvaluateOneTargetDoesNotFit(t *testing.T) {
	m := compile.RandomDense([]int{784, 16, 10}, 4, 1)
	_, err := energy.Evaluate(context.Background(), &energy.Request{Model: m, Path: "m.snn", Target: "truenorth", Data: randomSet(28, 2)})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "m.snn does not fit truenorth: "), err.Error())
	var les compile.LimitErrors
	assert.ErrorAs(t, err, &les)
	var re *energy.RequestError
	assert.False(t, errors.As(err, &re), "not a request error")
}

// TestEvaluateEstimateReadsNoData: a planning estimate simulates nothing,
// so a missing data folder is not read.
func TestEvaluateEstimateReadsNoData(t *testing.T) {
	m := compile.RandomDense([]int{784, 16, 10}, 4, 1)
	rep, err := energy.Evaluate(context.Background(), &energy.Request{
		Model: m, Target: "loihi", Estimate: true, Rate: 0.1, DataDir: filepath.Join(t.TempDir(), "missing")})
	require.NoError(t, err)
	assert.True(t, rep.Estimate)
	assert.Empty(t, rep.Dataset)
	require.Len(t, rep.Targets, 1)
	// 0.1 spikes per neuron and step: 0.1·4·16 spikes of fc1 reach 10 synapses each.
	assert.InDelta(t, 0.1*4*16*10, rep.Targets[0].AC, 1e-9)
}

// TestEvaluateRequestErrors: every request the caller got wrong is a
// *RequestError naming the field, found before any simulation.
func TestEvaluateRequestErrors(t *testing.T) {
	float := compile.RandomDense([]int{784, 16, 10}, 4, 1)
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	res, err := compile.Compile(float, tg, compile.Options{})
	require.NoError(t, err)
	compiled := res.Model
	missing := filepath.Join(t.TempDir(), "missing.snn")
	for _, c := range []struct {
		desc  string
		req   energy.Request
		field string
		want  string
	}{
		{"no model", energy.Request{}, "Model", "no model"},
		{"unknown target", energy.Request{Path: missing, Target: "spinnaker"}, "Target", "valid: seed45nm, " + strings.Join(targets.Names(), ", ") + ", all)"},
		{"negative limit", energy.Request{Path: missing, Limit: -1}, "Limit", "limit -1"},
		{"rate above 1", energy.Request{Path: missing, Estimate: true, Rate: 1.5}, "Rate", "[0, 1]"},
		{"rate NaN", energy.Request{Model: float, Estimate: true, Rate: math.NaN()}, "Rate", "[0, 1]"},
		{"compiled for another target", energy.Request{Model: compiled, Path: "m.loihi.snn", Target: "truenorth"}, "Target", "m.loihi.snn is compiled for loihi"},
		{"energy model of another target", energy.Request{Model: float, Target: "truenorth", EnergyModel: "sanafe"}, "EnergyModel", "valid: merolla2014"},
	} {
		t.Run(c.desc, func(t *testing.T) {
			req := c.req
			_, err := energy.Evaluate(context.Background(), &req)
			var re *energy.RequestError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, c.field, re.Field)
			assert.Contains(t, err.Error(), c.want)
			assert.True(t, strings.HasPrefix(err.Error(), "energy: "))
		})
	}
	// A file that cannot be read is not the request's fault.
	_, err = energy.Evaluate(context.Background(), &energy.Request{Path: missing})
	require.Error(t, err)
	var re *energy.RequestError
	assert.False(t, errors.As(err, &re))
}

// TestEvaluateReadsPath: a model given by its path is read from the file.
func TestEvaluateReadsPath(t *testing.T) {
	m := compile.RandomDense([]int{784, 16, 10}, 4, 1)
	path := filepath.Join(t.TempDir(), "m.snn")
	require.NoError(t, ir.WriteFile(path, m))
	rep, err := energy.Evaluate(context.Background(), &energy.Request{Path: path, Target: energy.SeedTarget, Data: randomSet(28, 3)})
	require.NoError(t, err)
	assert.Equal(t, m.Name, rep.Model)
	require.Len(t, rep.Targets, 1)
	assert.Equal(t, 3, rep.Targets[0].Samples)
}

// TestEvaluateCancelled: an interrupted evaluation returns the context's
// error (snnc exits 130), not a "does not fit" row or error.
func TestEvaluateCancelled(t *testing.T) {
	m := compile.RandomDense([]int{784, 16, 10}, 4, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, target := range []string{energy.AllTargets, "truenorth"} {
		_, err := energy.Evaluate(ctx, &energy.Request{Model: m, Target: target, Data: randomSet(28, 4)})
		assert.ErrorIs(t, err, context.Canceled, target)
	}
}

// TestEvaluateWeightBitsTimestepsReference: WeightBits is the compile's
// precision, Timesteps runs the compiled network (the same weights) for
// another T, and Reference adds the float reference's accuracy and the
// agreement; each equals the stages run by hand.
func TestEvaluateWeightBitsTimestepsReference(t *testing.T) {
	const n = 10
	m := compile.RandomDense([]int{784, 16, 10}, 4, 3)
	m.Input.Scale = 1.0 / 255
	set := randomSet(28, n)
	rep, err := energy.Evaluate(context.Background(), &energy.Request{
		Model: m, Target: "loihi", Data: set, WeightBits: 4, Timesteps: 2, Reference: true,
	})
	require.NoError(t, err)
	require.Len(t, rep.Targets, 1)
	got := rep.Targets[0]
	assert.Equal(t, 2, rep.Timesteps)

	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	res, err := compile.Compile(m, tg, compile.Options{WeightBits: 4})
	require.NoError(t, err)
	require.Equal(t, 4, res.Model.Quantized.WeightBits)
	cm := sim.WithTimesteps(res.Model, 2)
	require.Equal(t, 4, res.Model.Timesteps, "the compiled model is not changed")
	st, err := sim.Run(context.Background(), cm, set, sim.Options{Reference: true})
	require.NoError(t, err)
	want, err := energy.Chip(cm, energy.FromStats(st), tg, &tg.Energy[0])
	require.NoError(t, err)
	assert.Equal(t, want.EnergyPerInference, got.EnergyPerInference)
	assert.Equal(t, want.Latency, got.Latency)
	assert.Equal(t, want.Steps, got.Steps)
	require.NotNil(t, got.Agreement)
	assert.Equal(t, st.Agreement(), *got.Agreement)
	assert.Equal(t, st.ReferenceAccuracy(), *got.ReferenceAccuracy)

	// Without Reference, no agreement.
	rep, err = energy.Evaluate(context.Background(), &energy.Request{Model: m, Target: "loihi", Data: set})
	require.NoError(t, err)
	assert.Nil(t, rep.Targets[0].Agreement)

	for _, bad := range []energy.Request{{Model: m, WeightBits: -1}, {Model: m, Timesteps: -3}} {
		_, err := energy.Evaluate(context.Background(), &bad)
		var re *energy.RequestError
		assert.True(t, errors.As(err, &re), "%v", err)
	}
}

// TestGradedInputEnergy: with graded input on loihi2 the first layer's
// synaptic ops are graded (priced at graded_synaptic_op), there are no host
// MACs, and the synaptic energy is exactly the two prices times the counts;
// without it the host's MACs are back.
func TestGradedInputEnergy(t *testing.T) {
	m := compile.RandomDense([]int{64, 32, 10}, 4, 3)
	m.Input.Scale = 1.0 / 255
	set := randomSet(8, 20)
	tg, err := targets.Lookup("loihi2")
	require.NoError(t, err)
	j := tg.Energy[0].Joules
	require.Greater(t, j.GradedSynapticOp, j.SynapticOp)
	graded, err := energy.Evaluate(context.Background(), &energy.Request{Model: m, Target: "loihi2", Data: set, GradedInput: true})
	require.NoError(t, err)
	plain, err := energy.Evaluate(context.Background(), &energy.Request{Model: m, Target: "loihi2", Data: set})
	require.NoError(t, err)
	g, p := graded.Targets[0], plain.Targets[0]
	require.Positive(t, g.Ops.GradedSynapticOps)
	assert.Zero(t, g.Ops.HostMACs)
	assert.Zero(t, p.Ops.GradedSynapticOps)
	assert.Positive(t, p.Ops.HostMACs)
	want := (g.Ops.SynapticOps-g.Ops.GradedSynapticOps)*j.SynapticOp + g.Ops.GradedSynapticOps*j.GradedSynapticOp
	assert.InDelta(t, want, g.Energy.Synaptic, 1e-9*want)
	assert.Greater(t, g.Ops.SynapticOps, p.Ops.SynapticOps, "the first layer's synapses are on chip")
	assert.True(t, slices.ContainsFunc(g.Notes, func(n string) bool { return strings.HasPrefix(n, "graded input: ") }), "%v", g.Notes)

	_, err = energy.Evaluate(context.Background(), &energy.Request{Model: m, Target: "loihi", Data: set, GradedInput: true})
	var re *energy.RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "GradedInput", re.Field)
}
