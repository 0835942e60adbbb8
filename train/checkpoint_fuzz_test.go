package train

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzResume feeds arbitrary bytes as a checkpoint file to ResumeTrainer
// and ResumeTrueNorthTrainer. Each must return an error prefixed "train: "
// or a trainer, never panic, and never get as far as readCheckpoint's
// recover(). A resumed trainer must save a checkpoint that resumes and
// saves to the same bytes. Seeds: real checkpoints of both kinds after one
// epoch, truncated and with flipped bytes.
func FuzzResume(f *testing.F) {
	data := tnTestData(f)
	data.Train = data.Train.Limit(64, data.ImageSize())
	cfg := DefaultConfig()
	cfg.Arch, cfg.Epochs, cfg.Batch, cfg.Seed = "784-6-10", 1, 32, 3
	tnCfg := tnTestConfig("784-16-10", 64)
	dir := f.TempDir()
	tr, err := NewTrainer(cfg, data)
	require.NoError(f, err)
	_, err = tr.TrainEpoch(context.Background(), nil)
	require.NoError(f, err)
	require.NoError(f, tr.SaveCheckpoint(filepath.Join(dir, "float.ckpt")))
	tn, err := NewTrueNorthTrainer(tnCfg, data)
	require.NoError(f, err)
	_, err = tn.TrainEpoch(context.Background())
	require.NoError(f, err)
	require.NoError(f, tn.SaveCheckpoint(filepath.Join(dir, "tn.ckpt")))
	for _, name := range []string{"float.ckpt", "tn.ckpt"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(f, err)
		f.Add(b)
		for _, n := range []int{0, 10, len(b) / 2, len(b) - 4, len(b) - 1} {
			f.Add(b[:n])
		}
		for _, i := range []int{5, 40, len(b) / 3, len(b) - 2} {
			c := bytes.Clone(b)
			c[i] ^= 0x5a
			f.Add(c)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "in.ckpt")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		before := checkpointPanics.Load()
		resumed := func(err error, save func(string) error, resume func(string) error) {
			t.Helper()
			if checkpointPanics.Load() != before {
				t.Fatalf("reading the checkpoint panicked and only recover() saved it: %v", err)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "train: ") {
					t.Fatalf("error without the package prefix: %v", err)
				}
				return
			}
			p1, p2 := filepath.Join(dir, "1.ckpt"), filepath.Join(dir, "2.ckpt")
			require.NoError(t, save(p1))
			require.NoError(t, resume(p1), "a saved checkpoint does not resume")
			require.NoError(t, save(p2))
			b1, _ := os.ReadFile(p1)
			b2, _ := os.ReadFile(p2)
			require.True(t, bytes.Equal(b1, b2), "save, resume and save again gives other bytes")
		}
		ft, err := ResumeTrainer(path, cfg, data)
		resumed(err, func(p string) error { return ft.SaveCheckpoint(p) },
			func(p string) (err error) { ft, err = ResumeTrainer(p, cfg, data); return err })
		tt, err := ResumeTrueNorthTrainer(path, tnCfg, data)
		resumed(err, func(p string) error { return tt.SaveCheckpoint(p) },
			func(p string) (err error) { tt, err = ResumeTrueNorthTrainer(p, tnCfg, data); return err })
	})
}
