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
	tr, err := NewTrueNorthTrainer(cfg, data)
	require.NoError(t, err)
	var st TrueNorthStats
	for tr.Epoch < cfg.Epochs {
		st, err = tr.TrainEpoch(context.Background())
		require.NoError(t, err)
		t.Logf("%+v", st)
	}
	assert.True(t, st.Loss > 0 && !math.IsNaN(st.Loss))
	assert.Greater(t, st.TestAcc, 0.5, "well above chance after 2 epochs of 2000 samples")

	m := FreezeTrueNorth(tr.Net, &ir.Provenance{Method: ir.MethodASGL, Alphas: []float32{1, 1}})
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
				k := float64(w) * TNQ
				require.Equal(t, math.Round(k), k, "on the 1/%d grid", TNQ)
				require.LessOrEqual(t, math.Abs(k), float64(TNMaxWeight))
			}
			require.LessOrEqual(t, nnz, TNSources, "layer %d neuron %d: fan-in", li, j)
			b := float64(l.Bias[j]) * TNQ
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

func TestParseTrueNorthArch(t *testing.T) {
	in, hidden, classes, err := ParseTrueNorthArch("784-1024-512-10")
	require.NoError(t, err)
	assert.Equal(t, 784, in)
	assert.Equal(t, []int{1024, 512}, hidden)
	assert.Equal(t, 10, classes)
	for _, bad := range []string{"784-10", "28x28x1-16c5-10", "784-0-10"} {
		_, _, _, err := ParseTrueNorthArch(bad)
		assert.Error(t, err, bad)
	}
}
