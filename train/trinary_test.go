package train

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// TestTrueNorthTraining trains a small grouped trinary network for two short
// epochs on the embedded MNIST subset and checks that the frozen model is
// inside TrueNorth's limits and compiles for it.
func TestTrueNorthTraining(t *testing.T) {
	data, err := dataset.Default()
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.Arch, cfg.Timesteps, cfg.Epochs, cfg.LimitTrain, cfg.LR, cfg.Batch = "784-48-64-10", 3, 2, 2000, 3e-3, 32
	tr, err := NewTrainer(onTrueNorth(t, cfg), data)
	require.NoError(t, err)
	var st EpochStats
	for tr.Epoch < cfg.Epochs {
		st, err = tr.TrainEpoch(context.Background(), nil)
		require.NoError(t, err)
		t.Logf("%+v", st)
	}
	assert.True(t, st.Loss > 0 && !math.IsNaN(st.Loss))
	assert.Greater(t, st.TestAcc, 0.5, "well above chance after 2 epochs of 2000 samples")

	m := tr.Freeze(&ir.Provenance{Method: ir.MethodASGL, Alphas: []float32{1, 1}})
	lim := trueNorthLimits(t)
	q := float64(lim.ScaleUnits)
	require.NoError(t, ir.Verify(m))
	requireSimAgreesTrueNorth(t, tr, m)
	assert.Equal(t, "truenorth", m.Provenance.Target)
	assert.Equal(t, ir.EncodingRate, m.Input.Encoding)
	for li, l := range m.Layers {
		if !l.HasNeurons() || li == len(m.Layers)-1 {
			continue
		}
		assert.Equal(t, float32(1), l.Neuron.Leak, "IF neurons")
		in := l.NumInputs()
		for j := 0; j < l.NumOutputs(); j++ {
			nnz := 0
			var a float32
			for _, w := range l.Weights[j*in : (j+1)*in] {
				if w == 0 {
					continue
				}
				nnz++
				if a == 0 {
					a = float32(math.Abs(float64(w)))
				}
				require.Equal(t, a, float32(math.Abs(float64(w))), "layer %d neuron %d: trinary", li, j)
				k := float64(w) * q
				require.Equal(t, math.Round(k), k, "on the 1/%v grid", q)
				require.LessOrEqual(t, math.Abs(k), float64(lim.MaxWeight))
			}
			require.LessOrEqual(t, nnz, lim.Sources, "layer %d neuron %d: fan-in", li, j)
			b := float64(l.Bias[j]) * q
			require.Equal(t, math.Round(b), b)
		}
	}
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	assert.Empty(t, res.Report.Warnings, "the trained grid is represented exactly")
	assert.GreaterOrEqual(t, res.Report.Cores, res.Report.LowerBoundCores)
}

// trueNorthLimits is the training section of targets/data/truenorth.json.
func trueNorthLimits(t testing.TB) *targets.Training {
	tg, err := targets.LookupTraining("truenorth")
	require.NoError(t, err)
	return tg.Training
}

// onTrueNorth is cfg inside TrueNorth's training limits.
func onTrueNorth(t testing.TB, cfg Config) Config {
	cfg.Target, cfg.Limits = "truenorth", trueNorthLimits(t)
	return cfg
}

func TestParseDenseSizes(t *testing.T) {
	in, hidden, classes, err := parseDenseSizes("784-1024-512-10", "truenorth")
	require.NoError(t, err)
	assert.Equal(t, 784, in)
	assert.Equal(t, []int{1024, 512}, hidden)
	assert.Equal(t, 10, classes)
	for _, bad := range []string{"784-10", "28x28x1-16c5-10", "784-0-10"} {
		_, _, _, err := parseDenseSizes(bad, "truenorth")
		assert.Error(t, err, bad)
	}
}

// TestLimitsShapeTheLayers: the layers take their grid, weight range,
// fan-in and group size from Config.Limits, not from constants: a section
// with other figures than TrueNorth's gives a model inside those.
func TestLimitsShapeTheLayers(t *testing.T) {
	lim := *trueNorthLimits(t)
	lim.ScaleUnits, lim.MaxWeight, lim.Sources, lim.GroupNeurons, lim.Patch = 64, 31, 40, 16, 6
	cfg := DefaultConfig()
	cfg.Arch, cfg.Timesteps, cfg.Epochs, cfg.LimitTrain, cfg.LR, cfg.Batch = "784-64-48-10", 2, 1, 256, 3e-3, 32
	cfg.Target, cfg.Limits = "test-chip", &lim
	tr, err := NewTrainer(cfg, tnTinyData(t, 256, 50))
	require.NoError(t, err)
	_, err = tr.TrainEpoch(context.Background(), nil)
	require.NoError(t, err)
	m := tr.Freeze(&ir.Provenance{})
	require.NoError(t, ir.Verify(m))
	assert.Equal(t, "test-chip", m.Provenance.Target)
	assert.Equal(t, "snnc-test-chip-784-64-48-10", m.Name)
	q := float64(lim.ScaleUnits)
	var hidden []ir.Layer
	for _, l := range m.Layers {
		if l.Kind == ir.KindDense {
			hidden = append(hidden, l)
		}
	}
	require.Len(t, hidden, 3)
	maxNNZ := make([]int, 2)
	for li, l := range hidden[:2] {
		in := l.NumInputs()
		for j := 0; j < l.NumOutputs(); j++ {
			nnz := 0
			for _, w := range l.Weights[j*in : (j+1)*in] {
				if w != 0 {
					nnz++
					k := float64(w) * q
					require.Equal(t, math.Round(k), k, "layer %d: on the 1/%v grid", li, q)
					require.LessOrEqual(t, math.Abs(k), float64(lim.MaxWeight))
				}
			}
			maxNNZ[li] = max(maxNNZ[li], nnz)
			b := float64(l.Bias[j]) * q
			require.Equal(t, math.Round(b), b)
			require.LessOrEqual(t, math.Abs(b), float64(lim.MaxWeight))
		}
	}
	// the first layer reads 6×6 patches, the second groups of 40 sources
	assert.LessOrEqual(t, maxNNZ[0], 36)
	assert.LessOrEqual(t, maxNNZ[1], lim.Sources)
	// groups of 16 neurons: 48/16 = 3 groups, each with its own sources
	g := tr.Net.Layers[1].(*trinaryDense).groups
	assert.Len(t, g, 3)
	for _, gr := range g {
		assert.Len(t, gr.src, lim.Sources)
	}
}

// TestLimitsValidated: a training section out of range is a ConfigError,
// not a panic or a network without sources.
func TestLimitsValidated(t *testing.T) {
	lim := *trueNorthLimits(t)
	lim.Patch = 0
	cfg := DefaultConfig()
	cfg.Target, cfg.Limits = "bad-chip", &lim
	_, err := NewTrainer(cfg, tnTinyData(t, 10, 10))
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "target", ce.Field)
	assert.Contains(t, ce.Msg, "bad-chip's training section: field training.patch: must be in 1..1024, got 0")
}
