package train

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// checkpointMagic names the one checkpoint format, of every network the
// Trainer trains.
const checkpointMagic = "snnc-train-checkpoint-v2"

// earlierCheckpoints are the magic strings of the formats before v2 (one
// per network), which this version does not resume.
var earlierCheckpoints = []string{"snnc-train-checkpoint-v1", "snnc-truenorth-checkpoint-v1"}

// checkpoint is everything needed to continue a run exactly: the settings,
// the layers' layout, the parameters with their optimiser state, ln α with
// its optimiser state, the random generator and the history. Derived
// copies of the parameters (the trinary layers' effective weights, the
// dense layers' transposes) are recomputed. On disk the gob encoding is
// followed by its CRC-32C (4 bytes, big-endian).
type checkpoint struct {
	Magic    string
	Dataset  string
	Config   Config
	Epoch    int
	Layout   []string
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

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// recoveredPanics counts the panics readCheckpoint turned into errors; the
// fuzzer fails on any.
var recoveredPanics atomic.Int64

// SaveCheckpoint writes the trainer's state to path atomically. Call it
// between epochs (not while TrainEpoch runs).
func (tr *Trainer) SaveCheckpoint(path string) error {
	st, err := tr.rng.state()
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	ck := checkpoint{Magic: checkpointMagic, Dataset: tr.Data.Name, Config: tr.Cfg, Epoch: tr.Epoch, Layout: tr.net.layout(),
		LogAlpha: tr.net.logAlpha(), AlphaOpt: tr.alphaOpt, OptStep: tr.opt.step, RNG: st, History: tr.History}
	for _, p := range tr.net.params() {
		ck.Params = append(ck.Params, ckParam{p.Name, p.W, p.M, p.V})
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&ck); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	b := binary.BigEndian.AppendUint32(buf.Bytes(), crc32.Checksum(buf.Bytes(), crc32c))
	return ir.WriteFileAtomic(path, b, 0o644)
}

// ErrCheckpointMismatch is wrapped when a checkpoint was made with other
// settings than the ones given to resume it.
var ErrCheckpointMismatch = errors.New("checkpoint was made with different settings")

// ResumeTrainer builds a trainer for cfg and data and restores the state
// saved in the checkpoint at path, so that the remaining epochs give the
// same bytes as an uninterrupted run (on the same machine). Every setting
// except Epochs must equal the checkpoint's (an error wrapping
// ErrCheckpointMismatch otherwise), the target and its limits included.
func ResumeTrainer(path string, cfg Config, data *dataset.Set) (*Trainer, error) {
	var ck checkpoint
	if err := readCheckpoint(path, &ck); err != nil {
		return nil, err
	}
	if err := checkSettings(path, ck.Dataset, ck.Config, data.Name, cfg); err != nil {
		return nil, err
	}
	tr, err := NewTrainer(cfg, data)
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("train: resume %s: %s", path, fmt.Sprintf(format, a...))
	}
	if want := tr.net.layout(); !slices.Equal(ck.Layout, want) {
		return nil, bad("the layers [%s] differ from the ones built for these settings [%s] (a checkpoint of another snnc version?)",
			strings.Join(ck.Layout, "; "), strings.Join(want, "; "))
	}
	ps := tr.net.params()
	if len(ck.Params) != len(ps) {
		return nil, bad("%d parameters for the architecture's %d", len(ck.Params), len(ps))
	}
	for i, p := range ps {
		c := &ck.Params[i]
		if c.Name != p.Name || len(c.W) != len(p.W) || len(c.M) != len(p.M) || len(c.V) != len(p.V) {
			return nil, bad("parameter %d (%s, %d values) does not match the architecture's %s (%d values)", i+1, c.Name, len(c.W), p.Name, len(p.W))
		}
	}
	for i, p := range ps {
		copy(p.W, ck.Params[i].W)
		copy(p.M, ck.Params[i].M)
		copy(p.V, ck.Params[i].V)
	}
	tr.net.refreshAll()
	la := tr.net.logAlpha()
	if len(ck.LogAlpha) != len(la) {
		return nil, bad("%d widths for %d layers", len(ck.LogAlpha), len(la))
	}
	copy(la, ck.LogAlpha)
	if a := ck.AlphaOpt; len(a.M) != len(a.V) || (len(a.M) != 0 && len(a.M) != len(la)) || a.Step < 0 {
		return nil, bad("the widths' optimiser state (%d and %d moments, step %d) does not match %d layers", len(a.M), len(a.V), a.Step, len(la))
	}
	if ck.OptStep < 0 || ck.Epoch < 0 || len(ck.History) != ck.Epoch {
		return nil, bad("epoch %d with %d epochs of history and optimiser step %d", ck.Epoch, len(ck.History), ck.OptStep)
	}
	tr.alphaOpt = ck.AlphaOpt
	tr.opt.step = ck.OptStep
	if err := tr.rng.setState(ck.RNG); err != nil {
		return nil, bad("random state: %v", err)
	}
	tr.Epoch, tr.History = ck.Epoch, ck.History
	return tr, nil
}

// readCheckpoint reads the checkpoint at path into ck. An unreadable,
// damaged (checksum), foreign or earlier-format file is an error, never a
// panic.
func readCheckpoint(path string, ck *checkpoint) (err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("train: resume: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			recoveredPanics.Add(1)
			err = fmt.Errorf("train: resume: %s is damaged: %v", path, r)
		}
	}()
	var head struct{ Magic string }
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&head); err != nil {
		for _, m := range append(earlierCheckpoints, checkpointMagic) {
			if bytes.Contains(b, []byte(m)) {
				return fmt.Errorf("train: resume: %s is damaged (truncated or overwritten): %w", path, err)
			}
		}
		return fmt.Errorf("train: resume: %s is not a training checkpoint", path)
	}
	if slices.Contains(earlierCheckpoints, head.Magic) {
		return fmt.Errorf("train: resume: %s is a checkpoint of an earlier snnc (%s); train again without --resume", path, head.Magic)
	}
	if head.Magic != checkpointMagic {
		return fmt.Errorf("train: resume: %s is not a training checkpoint", path)
	}
	if len(b) < 4 || binary.BigEndian.Uint32(b[len(b)-4:]) != crc32.Checksum(b[:len(b)-4], crc32c) {
		return fmt.Errorf("train: resume: %s is damaged (truncated or overwritten: checksum mismatch)", path)
	}
	if err := gob.NewDecoder(bytes.NewReader(b[:len(b)-4])).Decode(ck); err != nil {
		return fmt.Errorf("train: resume: %s is damaged: %w", path, err)
	}
	return nil
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
		fa, fb := va.Field(i).Interface(), vb.Field(i).Interface()
		if !reflect.DeepEqual(fa, fb) {
			if s != "" {
				s += ", "
			}
			if va.Type().Field(i).Name == "Limits" {
				fa, fb = limitsName(a), limitsName(b)
			}
			s += fmt.Sprintf("%s %v (checkpoint) vs %v", va.Type().Field(i).Name, fa, fb)
		}
	}
	return s
}

// limitsName describes c.Limits in a mismatch message.
func limitsName(c Config) string {
	if c.Limits == nil {
		return "none (float network)"
	}
	return fmt.Sprintf("%s's training section %+v", c.Target, *c.Limits)
}
