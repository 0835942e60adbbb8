package train

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"reflect"
	"sync/atomic"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

const checkpointMagic = "snnc-train-checkpoint-v1"

// checkpoint is everything needed to continue a run exactly: the settings,
// the parameters with their optimiser state, α with its optimiser state, the
// random generator and the history.
type checkpoint struct {
	Magic    string
	Dataset  string
	Config   Config
	Epoch    int
	Params   []ckParam
	LogAlpha []float64
	AlphaOpt scalarAdam
	OptStep  int
	RNG      []byte
	History  []EpochStats
}

type ckParam struct {
	Name    string
	W, M, V []float32
}

// SaveCheckpoint writes the trainer's state to path atomically.
func (tr *Trainer) SaveCheckpoint(path string) error {
	st, err := tr.rng.state()
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	ck := checkpoint{Magic: checkpointMagic, Dataset: tr.Data.Name, Config: tr.Cfg, Epoch: tr.Epoch, LogAlpha: tr.Net.LogAlpha,
		AlphaOpt: tr.alphaOpt, OptStep: tr.opt.step, RNG: st, History: tr.History}
	for _, ly := range tr.Net.Layers {
		for _, p := range ly.Params() {
			ck.Params = append(ck.Params, ckParam{p.Name, p.W, p.M, p.V})
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&ck); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return ir.WriteFileAtomic(path, buf.Bytes(), 0o644)
}

// ErrCheckpointMismatch is wrapped when a checkpoint was made with other
// settings than the ones given to resume it.
var ErrCheckpointMismatch = errors.New("checkpoint was made with different settings")

// ResumeTrainer builds a trainer for cfg and data and restores the state
// saved in the checkpoint at path. Every setting except Epochs must equal
// the checkpoint's.
func ResumeTrainer(path string, cfg Config, data *dataset.Set) (*Trainer, error) {
	var ck checkpoint
	if _, err := readCheckpoint(path, checkpointMagic, &ck); err != nil {
		return nil, err
	}
	if err := checkSettings(path, ck.Dataset, ck.Config, data.Name, cfg); err != nil {
		return nil, err
	}
	tr, err := NewTrainer(cfg, data)
	if err != nil {
		return nil, err
	}
	i := 0
	for _, ly := range tr.Net.Layers {
		for _, p := range ly.Params() {
			if i >= len(ck.Params) || ck.Params[i].Name != p.Name || len(ck.Params[i].W) != len(p.W) ||
				len(ck.Params[i].M) != len(p.M) || len(ck.Params[i].V) != len(p.V) {
				return nil, fmt.Errorf("train: resume %s: parameters do not match the architecture", path)
			}
			copy(p.W, ck.Params[i].W)
			copy(p.M, ck.Params[i].M)
			copy(p.V, ck.Params[i].V)
			i++
		}
		if d, ok := ly.(*Dense); ok {
			d.refreshAll()
		}
	}
	if len(ck.LogAlpha) != len(tr.Net.LogAlpha) {
		return nil, fmt.Errorf("train: resume %s: %d widths for %d layers", path, len(ck.LogAlpha), len(tr.Net.LogAlpha))
	}
	copy(tr.Net.LogAlpha, ck.LogAlpha)
	tr.alphaOpt = ck.AlphaOpt
	tr.opt.step = ck.OptStep
	if err := tr.rng.setState(ck.RNG); err != nil {
		return nil, fmt.Errorf("train: resume %s: %w", path, err)
	}
	tr.Epoch, tr.History = ck.Epoch, ck.History
	return tr, nil
}

// checkpointKinds names the checkpoints by their magic string.
var checkpointKinds = map[string]string{
	checkpointMagic:   "a float training checkpoint (snnc train without --target)",
	tnCheckpointMagic: "a TrueNorth training checkpoint (snnc train --target truenorth)",
}

// checkpointPanics counts the panics readCheckpoint recovered from, so
// that FuzzResume fails on one.
var checkpointPanics atomic.Int64

// readCheckpoint reads the checkpoint at path into ck (a pointer to the
// gob-encoded struct whose first field is Magic) and checks that it is of
// the kind magic names. A checkpoint of the other kind is an error wrapping
// ErrCheckpointMismatch; an unreadable or damaged one is an error too,
// never a panic. It returns the file's bytes.
func readCheckpoint(path, magic string, ck any) (b []byte, err error) {
	b, err = os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("train: resume: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			checkpointPanics.Add(1)
			b, err = nil, fmt.Errorf("train: resume: %s is damaged: %v", path, r)
		}
	}()
	var head struct{ Magic string }
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&head); err != nil || checkpointKinds[head.Magic] == "" {
		for m := range checkpointKinds {
			if err != nil && bytes.Contains(b, []byte(m)) {
				return nil, fmt.Errorf("train: resume: %s is damaged (truncated or overwritten): %w", path, err)
			}
		}
		return nil, fmt.Errorf("train: resume: %s is not a training checkpoint", path)
	}
	if head.Magic != magic {
		return nil, fmt.Errorf("train: resume %s: %w: it is %s, not %s", path, ErrCheckpointMismatch, checkpointKinds[head.Magic], checkpointKinds[magic])
	}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(ck); err != nil {
		return nil, fmt.Errorf("train: resume: %s is damaged: %w", path, err)
	}
	return b, nil
}

// checkSettings compares the dataset name and settings a checkpoint was
// made with to the ones given to resume it: all but Epochs must be equal
// (an empty and a nil Milestones are).
func checkSettings(path, ckDataset string, ckCfg Config, dataset string, cfg Config) error {
	want, got := ckCfg, cfg
	want.Epochs, got.Epochs = 0, 0
	if len(want.Milestones) == 0 {
		want.Milestones = nil
	}
	if len(got.Milestones) == 0 {
		got.Milestones = nil
	}
	if ckDataset != dataset {
		return fmt.Errorf("train: resume %s: %w: dataset %s (checkpoint) vs %s", path, ErrCheckpointMismatch, ckDataset, dataset)
	}
	if !reflect.DeepEqual(want, got) {
		return fmt.Errorf("train: resume %s: %w: %s", path, ErrCheckpointMismatch, configDiff(ckCfg, cfg))
	}
	return nil
}

func configDiff(a, b Config) string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	s := ""
	for i := 0; i < va.NumField(); i++ {
		if va.Type().Field(i).Name == "Epochs" {
			continue
		}
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			if s != "" {
				s += ", "
			}
			s += fmt.Sprintf("%s %v (checkpoint) vs %v", va.Type().Field(i).Name, va.Field(i).Interface(), vb.Field(i).Interface())
		}
	}
	return s
}
