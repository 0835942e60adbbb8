package train

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/crc32"
	"slices"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// tnCheckpointMagic differs from checkpointMagic: a TrueNorth checkpoint
// cannot be resumed as a float one, nor the other way round.
const tnCheckpointMagic = "snnc-truenorth-checkpoint-v1"

// tnCheckpoint is everything needed to continue a TrueNorth run exactly:
// the settings, every stage's latent parameters with their Adam moments and
// ln α with its Adam moments, the readout with its moments, the optimiser
// step, the trainer's random generator, the epoch and the history. The
// effective (trinary, 9-bit) weights are recomputed from the latent ones;
// the grouped layers' source lists are rebuilt from the seed and checked
// against the stored ones. On disk the gob encoding is followed by its
// CRC-32C (4 bytes, big-endian).
type tnCheckpoint struct {
	Magic   string
	Dataset string
	Config  Config
	Epoch   int
	Stages  []tnCkStage
	Readout tnCkReadout
	OptStep int
	RNG     []byte
	History []TrueNorthStats
}

// tnCkStage is one stage: its kind ("dense", "conv" or "pool"), sizes, the
// dense layer's group sources and, for a stage with neurons, its parameters.
type tnCkStage struct {
	Kind                 string
	In, Out              int
	Sources              [][]int32
	W, B, MW, VW, MB, VB []float32
	LogA, MA, VA         float64
}

type tnCkReadout struct {
	W, B, MW, VW, MB, VB []float32
}

var crc32c = crc32.MakeTable(crc32.Castagnoli)

func tnStageKind(st tnStage) string {
	switch st.(type) {
	case *tnLayer:
		return "dense"
	case *tnConv:
		return "conv"
	case *tnPool:
		return "pool"
	}
	return fmt.Sprintf("%T", st)
}

// SaveCheckpoint writes the trainer's state to path atomically. Call it
// between epochs (not while TrainEpoch runs).
func (tr *TrueNorthTrainer) SaveCheckpoint(path string) error {
	st, err := tr.pcg.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	n := tr.Net
	ck := tnCheckpoint{Magic: tnCheckpointMagic, Dataset: tr.Data.Name, Config: tr.Cfg, Epoch: tr.Epoch,
		Readout: tnCkReadout{W: n.rw, B: n.rb, MW: n.mrw, VW: n.vrw, MB: n.mrb, VB: n.vrb},
		OptStep: n.step, RNG: st, History: tr.History}
	for _, s := range n.stages {
		in, out := s.sizes()
		cs := tnCkStage{Kind: tnStageKind(s), In: in, Out: out}
		if L, ok := s.(*tnLayer); ok {
			for _, g := range L.groups {
				cs.Sources = append(cs.Sources, g.src)
			}
		}
		if P := s.par(); P != nil {
			cs.W, cs.B, cs.MW, cs.VW, cs.MB, cs.VB = P.w, P.b, P.mw, P.vw, P.mb, P.vb
			cs.LogA, cs.MA, cs.VA = P.logA, P.ma, P.va
		}
		ck.Stages = append(ck.Stages, cs)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&ck); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	b := binary.BigEndian.AppendUint32(buf.Bytes(), crc32.Checksum(buf.Bytes(), crc32c))
	return ir.WriteFileAtomic(path, b, 0o644)
}

// ResumeTrueNorthTrainer builds a TrueNorth trainer for cfg and data and
// restores the state saved in the checkpoint at path, so that the
// remaining epochs give the same bytes as an uninterrupted run (on the same
// machine). Every setting except Epochs must equal the checkpoint's (an
// error wrapping ErrCheckpointMismatch otherwise, as for a float
// checkpoint).
func ResumeTrueNorthTrainer(path string, cfg Config, data *dataset.Set) (*TrueNorthTrainer, error) {
	var ck tnCheckpoint
	b, err := readCheckpoint(path, tnCheckpointMagic, &ck)
	if err != nil {
		return nil, err
	}
	if len(b) < 4 || binary.BigEndian.Uint32(b[len(b)-4:]) != crc32.Checksum(b[:len(b)-4], crc32c) {
		return nil, fmt.Errorf("train: resume: %s is damaged (checksum mismatch)", path)
	}
	if err := checkSettings(path, ck.Dataset, ck.Config, data.Name, cfg); err != nil {
		return nil, err
	}
	tr, err := NewTrueNorthTrainer(cfg, data)
	if err != nil {
		return nil, err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("train: resume %s: %s", path, fmt.Sprintf(format, a...))
	}
	n := tr.Net
	if len(ck.Stages) != len(n.stages) {
		return nil, bad("%d stages for the architecture's %d", len(ck.Stages), len(n.stages))
	}
	for i, s := range n.stages {
		cs := &ck.Stages[i]
		in, out := s.sizes()
		if cs.Kind != tnStageKind(s) || cs.In != in || cs.Out != out {
			return nil, bad("stage %d is a %s %d→%d, the architecture's a %s %d→%d", i+1, cs.Kind, cs.In, cs.Out, tnStageKind(s), in, out)
		}
		if L, ok := s.(*tnLayer); ok {
			if len(cs.Sources) != len(L.groups) {
				return nil, bad("stage %d has %d groups, the architecture %d", i+1, len(cs.Sources), len(L.groups))
			}
			for gi, g := range L.groups {
				if !slices.Equal(cs.Sources[gi], g.src) {
					return nil, bad("stage %d, group %d: the sources differ from the ones built for seed %d (a checkpoint of another snnc version?)", i+1, gi+1, cfg.Seed)
				}
			}
		}
		P := s.par()
		if P == nil {
			if cs.W != nil || cs.B != nil {
				return nil, bad("stage %d (pooling) has parameters", i+1)
			}
			continue
		}
		if !copyAll([][]float32{P.w, P.mw, P.vw, P.b, P.mb, P.vb}, [][]float32{cs.W, cs.MW, cs.VW, cs.B, cs.MB, cs.VB}) {
			return nil, bad("stage %d: parameters do not match the architecture", i+1)
		}
		P.logA, P.ma, P.va = cs.LogA, cs.MA, cs.VA
		s.refresh()
	}
	r := &ck.Readout
	if !copyAll([][]float32{n.rw, n.mrw, n.vrw, n.rb, n.mrb, n.vrb}, [][]float32{r.W, r.MW, r.VW, r.B, r.MB, r.VB}) {
		return nil, bad("readout parameters do not match the architecture")
	}
	if ck.OptStep < 0 || ck.Epoch < 0 || len(ck.History) != ck.Epoch {
		return nil, bad("epoch %d with %d epochs of history and optimiser step %d", ck.Epoch, len(ck.History), ck.OptStep)
	}
	n.step = ck.OptStep
	if err := tr.pcg.UnmarshalBinary(ck.RNG); err != nil {
		return nil, bad("random state: %v", err)
	}
	tr.Epoch, tr.History = ck.Epoch, ck.History
	return tr, nil
}

// copyAll copies src[k] into dst[k] for every k if every pair has the same
// length, and reports whether it did.
func copyAll(dst, src [][]float32) bool {
	for k := range dst {
		if len(dst[k]) != len(src[k]) {
			return false
		}
	}
	for k := range dst {
		copy(dst[k], src[k])
	}
	return true
}
