package train

import (
	"bytes"
	"context"
	"encoding/gob"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// tnTestData is the embedded subset with a 200-sample test split (the
// evaluation after every epoch dominates otherwise).
func tnTestData(t testing.TB) *dataset.Set {
	d := *testData(t)
	d.Test = d.Test.Limit(200, d.ImageSize())
	return &d
}

func tnTestConfig(t testing.TB, arch string, limit int) Config {
	cfg := onTrueNorth(t, DefaultConfig())
	cfg.Arch, cfg.Timesteps, cfg.Epochs, cfg.LimitTrain, cfg.LR, cfg.Batch, cfg.Seed = arch, 2, 2, limit, 3e-3, 32, 5
	cfg.Decay = 1
	return cfg
}

func tnFrozen(t testing.TB, tr *Trainer) []byte {
	b, err := ir.Encode(tr.Freeze(&ir.Provenance{Epochs: tr.Epoch, Seed: tr.Cfg.Seed}))
	require.NoError(t, err)
	return b
}

// TestTrueNorthResumeEqualsUninterrupted: two epochs straight and one
// epoch, a checkpoint, a trainer built from it and one more epoch give the
// same frozen model, for a grouped dense and a convolutional network.
func TestTrueNorthResumeEqualsUninterrupted(t *testing.T) {
	for _, tc := range []struct {
		arch  string
		limit int
	}{
		{"784-48-64-10", 192},
		{"28x28x1-8c5s2-16c3g4-10", 96},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			data := tnTestData(t)
			cfg := tnTestConfig(t, tc.arch, tc.limit)
			ctx := context.Background()
			straight, err := NewTrainer(cfg, data)
			require.NoError(t, err)
			for straight.Epoch < cfg.Epochs {
				_, err := straight.TrainEpoch(ctx, nil)
				require.NoError(t, err)
			}
			want := tnFrozen(t, straight)

			path := filepath.Join(t.TempDir(), "m.snn.ckpt")
			first, err := NewTrainer(cfg, data)
			require.NoError(t, err)
			_, err = first.TrainEpoch(ctx, nil)
			require.NoError(t, err)
			require.NoError(t, first.SaveCheckpoint(path))

			tr, err := ResumeTrainer(path, cfg, data)
			require.NoError(t, err)
			require.Equal(t, 1, tr.Epoch)
			require.Len(t, tr.History, 1)
			require.Equal(t, first.History[0].Loss, tr.History[0].Loss)
			require.Equal(t, tnFrozen(t, first), tnFrozen(t, tr), "the checkpoint restores the model")
			_, err = tr.TrainEpoch(ctx, nil)
			require.NoError(t, err)
			require.True(t, bytes.Equal(want, tnFrozen(t, tr)), "resumed run differs from an uninterrupted one")
			require.Equal(t, straight.History[1].Loss, tr.History[1].Loss)
			require.Equal(t, straight.History[1].TestAcc, tr.History[1].TestAcc)
			require.Equal(t, straight.Alphas(), tr.Alphas())
		})
	}
}

// TestTrueNorthCheckpointErrors: other settings, the other trainer's
// checkpoints and damaged files are errors, not panics.
func TestTrueNorthCheckpointErrors(t *testing.T) {
	data := tnTestData(t)
	cfg := tnTestConfig(t, "784-48-64-10", 64)
	dir := t.TempDir()
	path := filepath.Join(dir, "tn.ckpt")
	tr, err := NewTrainer(cfg, data)
	require.NoError(t, err)
	_, err = tr.TrainEpoch(context.Background(), nil)
	require.NoError(t, err)
	require.NoError(t, tr.SaveCheckpoint(path))

	// only the number of epochs may change
	more := cfg
	more.Epochs = 5
	_, err = ResumeTrainer(path, more, data)
	require.NoError(t, err)
	for name, change := range map[string]func(c *Config){
		"LR":        func(c *Config) { c.LR = 0.01 },
		"Arch":      func(c *Config) { c.Arch = "784-48-128-10" },
		"Seed":      func(c *Config) { c.Seed = 6 },
		"Timesteps": func(c *Config) { c.Timesteps = 3 },
	} {
		other := cfg
		change(&other)
		_, err := ResumeTrainer(path, other, data)
		require.ErrorIs(t, err, ErrCheckpointMismatch, name)
		require.ErrorContains(t, err, name)
	}
	otherData := *data
	otherData.Name = "other"
	_, err = ResumeTrainer(path, cfg, &otherData)
	require.ErrorIs(t, err, ErrCheckpointMismatch)

	// a TrueNorth checkpoint is not a float one and vice versa
	_, err = ResumeTrainer(path, smallConfig(), data)
	require.ErrorIs(t, err, ErrCheckpointMismatch)
	require.ErrorContains(t, err, "Target truenorth (checkpoint) vs ,")
	require.ErrorContains(t, err, "Limits truenorth's training section")
	fcfg := smallConfig()
	ftr, err := NewTrainer(fcfg, data)
	require.NoError(t, err)
	fpath := filepath.Join(dir, "float.ckpt")
	require.NoError(t, ftr.SaveCheckpoint(fpath))
	_, err = ResumeTrainer(fpath, onTrueNorth(t, fcfg), data)
	require.ErrorIs(t, err, ErrCheckpointMismatch)
	require.ErrorContains(t, err, "Limits none (float network) (checkpoint) vs truenorth's training section")

	// a checkpoint of an earlier format (one per trainer) is named as such
	for _, magic := range earlierCheckpoints {
		var buf bytes.Buffer
		require.NoError(t, gob.NewEncoder(&buf).Encode(struct{ Magic string }{magic}))
		p := filepath.Join(dir, "old.ckpt")
		require.NoError(t, os.WriteFile(p, buf.Bytes(), 0o644))
		_, err = ResumeTrainer(p, cfg, data)
		require.ErrorContains(t, err, "a checkpoint of an earlier snnc ("+magic+"); train again without --resume")
	}

	// missing, empty, truncated, corrupted or foreign files
	_, err = ResumeTrainer(filepath.Join(dir, "missing"), cfg, data)
	require.Error(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	flip := func(i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x10
		return c
	}
	for name, c := range map[string][]byte{
		"empty":       nil,
		"garbage":     []byte("this is not a checkpoint at all"),
		"model":       tnFrozen(t, tr),
		"head":        b[:40],
		"half":        b[:len(b)/2],
		"no checksum": b[:len(b)-4],
		"last byte":   b[:len(b)-1],
		"flip middle": flip(len(b) / 2),
		"flip end":    flip(len(b) - 10),
		"flip start":  flip(30),
	} {
		p := filepath.Join(dir, "bad.ckpt")
		require.NoError(t, os.WriteFile(p, c, 0o644))
		require.NotPanics(t, func() {
			_, err = ResumeTrainer(p, cfg, data)
		}, name)
		require.Error(t, err, name)
		require.NotPanics(t, func() {
			_, err = ResumeTrainer(p, fcfg, data)
		}, name)
		require.Error(t, err, name)
	}
}
