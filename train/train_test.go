package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

var (
	dataOnce sync.Once
	dataSet  *dataset.Set
	dataErr  error
)

func testData(t testing.TB) *dataset.Set {
	dataOnce.Do(func() { dataSet, dataErr = dataset.Default() })
	require.NoError(t, dataErr)
	return dataSet
}

func smallConfig() Config {
	c := DefaultConfig()
	c.Arch = "784-48-32-10"
	c.Epochs = 2
	c.LimitTrain = 1024
	c.Batch = 64
	c.LR = 3e-3
	c.Seed = 7
	return c
}

func trainModel(t testing.TB, cfg Config) (*Trainer, []byte) {
	tr, err := NewTrainer(cfg, testData(t))
	require.NoError(t, err)
	for tr.Epoch < cfg.Epochs {
		_, err := tr.TrainEpoch(context.Background(), nil)
		require.NoError(t, err)
	}
	b, err := ir.Encode(Freeze(tr.Net, &ir.Provenance{Epochs: tr.Epoch, Seed: cfg.Seed}))
	require.NoError(t, err)
	return tr, b
}

func TestSameSeedSameBytes(t *testing.T) {
	cfg := smallConfig()
	_, a := trainModel(t, cfg)
	prev := runtime.GOMAXPROCS(1) // a different number of workers must not matter
	_, b := trainModel(t, cfg)
	runtime.GOMAXPROCS(prev)
	require.True(t, bytes.Equal(a, b), "same seed and settings gave different models")
	cfg.Seed++
	_, c := trainModel(t, cfg)
	require.False(t, bytes.Equal(a, c), "different seeds gave the same model")
}

func TestInputDropoutDeterministic(t *testing.T) {
	cfg := smallConfig()
	cfg.Epochs = 1
	_, plain := trainModel(t, cfg)
	cfg.InputDropout = 0.3
	tr, a := trainModel(t, cfg)
	_, b := trainModel(t, cfg)
	require.Equal(t, a, b)
	require.NotEqual(t, plain, a)
	require.Greater(t, tr.History[0].TestAcc, 0.3)
}

func TestSGDAndSGDeterministic(t *testing.T) {
	cfg := smallConfig()
	cfg.Method, cfg.Optimizer, cfg.LR, cfg.WeightDecay, cfg.Epochs = SG, OptSGD, 0.1, 5e-4, 1
	_, a := trainModel(t, cfg)
	_, b := trainModel(t, cfg)
	require.Equal(t, a, b)
}

func TestFrozenModelGivesTrainerAccuracy(t *testing.T) {
	cfg := smallConfig()
	tr, b := trainModel(t, cfg)
	want := tr.Evaluate(tr.Data.Test)
	require.Equal(t, tr.History[len(tr.History)-1].TestAcc, want)
	require.Greater(t, want, 0.5, "a small network trained on 640 samples should beat chance by far")
	m, err := ir.Decode(b)
	require.NoError(t, err)
	got, err := Evaluate(m, tr.Data.Test)
	require.NoError(t, err)
	require.Equal(t, want, got)
	// the frozen layout
	require.Equal(t, ir.EncodingDirect, m.Input.Encoding)
	require.InDelta(t, 1.0/255, m.Input.Scale, 1e-9)
	require.Equal(t, cfg.Timesteps, m.Timesteps)
	require.Len(t, m.Layers, 3)
	l := m.Layers[0]
	require.Equal(t, ir.KindDense, l.Kind)
	require.Equal(t, []int{784}, l.InShape)
	require.Equal(t, []int{48}, l.OutShape)
	d := tr.Net.Layers[0].(*Dense)
	require.Equal(t, d.w.W[5*48+3], l.Weights[3*784+5], "weights are Out×In row-major")
	require.Equal(t, ir.LIF{Leak: 0.5, Threshold: 0.5, Reset: ir.ResetZero}, l.Neuron)
}

func TestResumeEqualsUninterrupted(t *testing.T) {
	cfg := smallConfig()
	_, want := trainModel(t, cfg)
	path := filepath.Join(t.TempDir(), "m.ckpt")
	tr, err := NewTrainer(cfg, testData(t))
	require.NoError(t, err)
	_, err = tr.TrainEpoch(context.Background(), nil)
	require.NoError(t, err)
	require.NoError(t, tr.SaveCheckpoint(path))
	tr2, err := ResumeTrainer(path, cfg, testData(t))
	require.NoError(t, err)
	require.Equal(t, 1, tr2.Epoch)
	_, err = tr2.TrainEpoch(context.Background(), nil)
	require.NoError(t, err)
	got, err := ir.Encode(Freeze(tr2.Net, &ir.Provenance{Epochs: tr2.Epoch, Seed: cfg.Seed}))
	require.NoError(t, err)
	require.True(t, bytes.Equal(want, got), "resumed run differs from an uninterrupted one")

	other := cfg
	other.LR = 0.01
	_, err = ResumeTrainer(path, other, testData(t))
	require.ErrorIs(t, err, ErrCheckpointMismatch)
	otherData := *testData(t)
	otherData.Name = "other"
	_, err = ResumeTrainer(path, cfg, &otherData)
	require.ErrorIs(t, err, ErrCheckpointMismatch)
	_, err = ResumeTrainer(filepath.Join(t.TempDir(), "missing"), cfg, testData(t))
	require.Error(t, err)
}

func TestAlphaTravels(t *testing.T) {
	// With the default α learning rate a width of 10 must come down far
	// within one short epoch (ASGL), and stay put for SG.
	cfg := smallConfig()
	cfg.Alpha, cfg.Epochs, cfg.LimitTrain = 10, 1, 1280
	tr, _ := trainModel(t, cfg)
	for _, a := range tr.Net.Alphas() {
		require.Less(t, a, 8.0)
	}
	cfg.Method = SG
	tr, _ = trainModel(t, cfg)
	for _, a := range tr.Net.Alphas() {
		require.Equal(t, 10.0, math.Round(a*1e9)/1e9)
	}
}

func TestBadSettings(t *testing.T) {
	d := testData(t)
	for _, tc := range []struct {
		desc string
		edit func(*Config)
	}{
		{"zero alpha", func(c *Config) { c.Alpha = 0 }},
		{"negative alpha", func(c *Config) { c.Alpha = -1 }},
		{"NaN alpha", func(c *Config) { c.Alpha = math.NaN() }},
		{"zero timesteps", func(c *Config) { c.Timesteps = 0 }},
		{"p above 1", func(c *Config) { c.P = 1.5 }},
		{"p below 0", func(c *Config) { c.P = -0.1 }},
		{"zero batch", func(c *Config) { c.Batch = 0 }},
		{"input dropout 1", func(c *Config) { c.InputDropout = 1 }},
		{"bad optimizer", func(c *Config) { c.Optimizer = "rmsprop" }},
		{"zero lr", func(c *Config) { c.LR = 0 }},
		{"decreasing milestones", func(c *Config) { c.Milestones = []int{3, 2} }},
		{"bad arch", func(c *Config) { c.Arch = "784-abc-10" }},
	} {
		t.Run(tc.desc, func(t *testing.T) {
			c := smallConfig()
			tc.edit(&c)
			_, err := NewTrainer(c, d)
			var ce *ConfigError
			if tc.desc == "bad arch" {
				require.Error(t, err)
				return
			}
			require.ErrorAs(t, err, &ce)
		})
	}
	c := smallConfig()
	c.Arch = "100-10"
	_, err := NewTrainer(c, d)
	require.ErrorContains(t, err, "takes 100 inputs")
	c.Arch = "784-5"
	_, err = NewTrainer(c, d)
	require.ErrorContains(t, err, "10 classes")
}

func TestNaNLossIsOneError(t *testing.T) {
	cfg := smallConfig()
	cfg.Optimizer, cfg.LR, cfg.Epochs = OptSGD, 1e30, 3
	tr, err := NewTrainer(cfg, testData(t))
	require.NoError(t, err)
	for tr.Epoch < cfg.Epochs {
		if _, err = tr.TrainEpoch(context.Background(), nil); err != nil {
			break
		}
	}
	require.ErrorIs(t, err, ErrNaN)
}

func TestCancelStopsTraining(t *testing.T) {
	tr, err := NewTrainer(smallConfig(), testData(t))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tr.TrainEpoch(ctx, nil)
	require.True(t, errors.Is(err, context.Canceled))
	require.Equal(t, 0, tr.Epoch)
}

func TestNoisePSchedule(t *testing.T) {
	c := DefaultConfig()
	c.P, c.Zeta, c.Milestones = 0.6, 0.5, []int{2, 4}
	require.InDelta(t, 0.6, c.NoiseP(0), 1e-12)
	require.InDelta(t, 0.6, c.NoiseP(1), 1e-12)
	require.InDelta(t, 0.8, c.NoiseP(2), 1e-12)
	require.InDelta(t, 0.9, c.NoiseP(4), 1e-12)
}

func TestParseArch(t *testing.T) {
	a, err := ParseArch("784-512-512-10")
	require.NoError(t, err)
	require.Equal(t, []int{784}, a.Input)
	require.Len(t, a.Layers, 3)
	a, err = ParseArch("28x28x1-100-10")
	require.NoError(t, err)
	require.Equal(t, []int{1, 28, 28}, a.Input)
	a, err = ParseArch("28x28x1-16c5-p2-32c3s1p1-p2-10")
	require.NoError(t, err)
	kinds := []string{}
	for _, l := range a.Layers {
		kinds = append(kinds, l.Kind)
	}
	require.Equal(t, []string{"conv", "pool", "conv", "pool", "flatten", "dense"}, kinds)
	require.Equal(t, []int{16, 24, 24}, a.Layers[0].OutShape)
	require.Equal(t, []int{32, 12, 12}, a.Layers[2].OutShape)
	require.Equal(t, []int{32 * 6 * 6}, a.Layers[4].OutShape)
	for _, bad := range []string{"", "784", "784-0-10", "784--10", "x-10", "784-16c5-10", "28x28x1-16c30-10", "28x28x1-p2", "28x28x1-16q5-10", "28x28x1-8c5s2-10c3s2"} {
		_, err := ParseArch(bad)
		require.Error(t, err, bad)
	}
}

func TestImageShapedInputFreezesWithFlatten(t *testing.T) {
	cfg := smallConfig()
	cfg.Arch, cfg.Epochs = "28x28x1-32-10", 1
	tr, b := trainModel(t, cfg)
	m, err := ir.Decode(b)
	require.NoError(t, err)
	require.Equal(t, []int{1, 28, 28}, m.Input.Shape)
	require.Equal(t, ir.KindFlatten, m.Layers[0].Kind)
	got, err := Evaluate(m, tr.Data.Test)
	require.NoError(t, err)
	require.Equal(t, tr.History[0].TestAcc, got)
}
