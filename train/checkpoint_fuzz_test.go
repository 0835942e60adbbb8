package train

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir/dataset"
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

// FuzzResume: whatever bytes a checkpoint file holds, resuming (as a float
// and as a trinary run) returns an error prefixed "train: " or a trainer,
// never a panic, nor one recovered inside; a resumed trainer saves a
// checkpoint that resumes and saves to the same bytes. Seeds: real
// checkpoints of both networks after one epoch, and their payloads.
func FuzzResume(f *testing.F) {
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
				tr, err := ResumeTrainer(p, cfg, data)
				if err != nil {
					if !strings.HasPrefix(err.Error(), "train: ") {
						t.Fatalf("error without the package prefix: %v", err)
					}
					continue
				}
				if tr.Epoch != len(tr.History) {
					t.Fatalf("resumed epoch %d with %d epochs of history", tr.Epoch, len(tr.History))
				}
				saveResumeSave(t, tr, cfg, data)
			}
		}
		if n := recoveredPanics.Load() - before; n > 0 {
			t.Fatalf("%d panic(s) recovered while reading the checkpoint", n)
		}
	})
}

// saveResumeSave saves tr, resumes the saved checkpoint and saves again:
// the two files must be equal.
func saveResumeSave(t *testing.T, tr *Trainer, cfg Config, data *dataset.Set) {
	t.Helper()
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "1.ckpt"), filepath.Join(dir, "2.ckpt")
	if err := tr.SaveCheckpoint(p1); err != nil {
		t.Fatal(err)
	}
	again, err := ResumeTrainer(p1, cfg, data)
	if err != nil {
		t.Fatalf("a saved checkpoint does not resume: %v", err)
	}
	if err := again.SaveCheckpoint(p2); err != nil {
		t.Fatal(err)
	}
	b1, _ := os.ReadFile(p1)
	b2, _ := os.ReadFile(p2)
	if !bytes.Equal(b1, b2) {
		t.Fatal("save, resume and save again gives other bytes")
	}
}
