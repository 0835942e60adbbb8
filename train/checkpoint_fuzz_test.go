package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/snnc/snnc/train/dataset"
)

// fuzzSet is a tiny in-memory dataset of 6×6 images and 3 classes.
func fuzzSet() *dataset.Set {
	const side, n = 6, 8
	img := make([]uint8, n*side*side)
	for i := range img {
		img[i] = uint8(i * 37)
	}
	lab := []uint8{0, 1, 2, 0, 1, 2, 0, 1}
	return &dataset.Set{Name: "fuzz", Channels: 1, Rows: side, Cols: side, Classes: 3,
		Train: dataset.Split{N: n, Images: img, Labels: lab}, Test: dataset.Split{N: n, Images: img, Labels: lab}}
}

// fuzzConfigs are a float and a trinary configuration on fuzzSet.
func fuzzConfigs(t testing.TB) []Config {
	f := DefaultConfig()
	f.Arch, f.Timesteps, f.Epochs, f.Batch = "36-5-3", 2, 1, 4
	tn := onTrueNorth(t, f)
	tn.Arch = "6x6x1-2c3-3"
	return []Config{f, tn}
}

// FuzzResumeTrainer: whatever bytes a checkpoint file holds, resuming
// returns a trainer or an error, never a panic (nor one recovered inside).
func FuzzResumeTrainer(f *testing.F) {
	data := fuzzSet()
	cfgs := fuzzConfigs(f)
	dir := f.TempDir()
	for i, cfg := range cfgs {
		tr, err := NewTrainer(cfg, data)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := tr.TrainEpoch(context.Background(), nil); err != nil {
			f.Fatal(err)
		}
		p := filepath.Join(dir, "seed"+itoa(i)+".ckpt")
		if err := tr.SaveCheckpoint(p); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)-4]) // the payload alone
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "x.ckpt")
		before := recoveredPanics.Load()
		// the bytes as they are, and with a valid checksum appended, so
		// that the decoding behind the checksum is reached too
		for _, file := range [][]byte{b, binary.BigEndian.AppendUint32(bytes.Clone(b), crc32.Checksum(b, crc32c))} {
			if err := os.WriteFile(p, file, 0o644); err != nil {
				t.Fatal(err)
			}
			for _, cfg := range cfgs {
				if tr, err := ResumeTrainer(p, cfg, data); err == nil && tr.Epoch != len(tr.History) {
					t.Fatalf("resumed epoch %d with %d epochs of history", tr.Epoch, len(tr.History))
				}
			}
		}
		if n := recoveredPanics.Load() - before; n > 0 {
			t.Fatalf("%d panic(s) recovered while reading the checkpoint", n)
		}
	})
}
