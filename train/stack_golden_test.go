package train

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

var update = flag.Bool("update", false, "rewrite testdata/stack.sha256")

// goldenRuns are the training runs TestTrainStackGolden hashes: the
// TrueNorth dense and conv architectures of snnc train --target truenorth
// (at T = 8, its default) and the float MLP and conv of snnc train, on the
// embedded MNIST subset with few samples. The TrueNorth runs are hashed with
// one and with two cores: their gradients are summed per worker, one worker
// per core, so the bytes depend on the core count (as they always have).
var goldenRuns = []struct {
	name      string
	truenorth bool
	arch      string
	T, limit  int
	epochs    int
	procs     []int
}{
	{"tn-dense", true, "784-1024-1024-10", 8, 160, 2, []int{1, 2}},
	{"tn-dense-small", true, "784-96-64-10", 4, 256, 2, []int{1, 2, 3}},
	{"tn-conv", true, "28x28x1-16c5s2-64c3g4-10", 8, 96, 2, []int{1, 2}},
	{"tn-conv-pool", true, "28x28x1-8c3-p2-16c3g4-p2-32-10", 4, 96, 1, []int{2}},
	{"float-mlp", false, "784-512-512-10", 4, 512, 2, []int{2}},
	{"float-conv", false, "28x28x1-16c5-p2-32c5-p2-10", 4, 64, 1, []int{2}},
}

// TestTrainStackGolden trains every golden run and compares the SHA-256 of
// the frozen model and of the checkpoint (its wall-clock figures zeroed)
// with testdata/stack.sha256. The file was written by the separate
// TrueNorth trainer before it became options of the one stack: a
// refactoring keeps these bytes; a change that means to change them
// refreshes the file with -update (and with -tags purego -update for
// the portable kernels' file) and says why in its commit.
func TestTrainStackGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("trains several small networks")
	}
	data := tnTestData(t)
	var lines []string
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, run := range goldenRuns {
		for _, procs := range run.procs {
			runtime.GOMAXPROCS(procs)
			cfg := DefaultConfig()
			if run.truenorth {
				cfg = onTrueNorth(t, cfg)
				cfg.Decay, cfg.LR = 1, 3e-3
			}
			cfg.Arch, cfg.Timesteps, cfg.LimitTrain, cfg.Epochs, cfg.Batch, cfg.Seed = run.arch, run.T, run.limit, run.epochs, 32, 3
			tr, err := NewTrainer(cfg, data)
			require.NoError(t, err, run.name)
			for tr.Epoch < cfg.Epochs {
				_, err := tr.TrainEpoch(context.Background(), nil)
				require.NoError(t, err, run.name)
			}
			last := tr.History[len(tr.History)-1]
			m := tr.Freeze(&ir.Provenance{Method: ir.MethodASGL, Dataset: data.Name, Epochs: tr.Epoch, Seed: cfg.Seed,
				TestAccuracy: float32(last.TestAcc), NoiseP: float32(last.P)})
			b, err := ir.Encode(m)
			require.NoError(t, err)
			ck := checkpointBytes(t, tr)
			name := fmt.Sprintf("%s/procs%d", run.name, procs)
			lines = append(lines, fmt.Sprintf("%s model %x", name, sha256.Sum256(b)), fmt.Sprintf("%s checkpoint %x", name, sha256.Sum256(ck)))
			t.Logf("%s: test accuracy %.3f, loss %.6f", name, last.TestAcc, last.Loss)
		}
	}
	got := strings.Join(lines, "\n") + "\n"
	// The float networks' bytes depend on the kernels: the AVX2/FMA ones
	// and the portable Go loops (-tags purego, or a CPU without AVX2 and
	// FMA) add in another order. Each set has its file.
	path := filepath.Join("testdata", "stack.sha256")
	if !useAVX2 {
		path = filepath.Join("testdata", "stack-portable.sha256")
	}
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./train -run TestTrainStackGolden -update")
	assert.Equal(t, string(want), got, "trained models or checkpoints changed")
}

// checkpointBytes saves tr's checkpoint and returns its gob encoding with
// the wall-clock figures of the history zeroed (the rest is deterministic).
func checkpointBytes(t *testing.T, tr *Trainer) []byte {
	path := filepath.Join(t.TempDir(), "m.ckpt")
	require.NoError(t, tr.SaveCheckpoint(path))
	var ck checkpoint
	require.NoError(t, readCheckpoint(path, &ck))
	for i := range ck.History {
		h := &ck.History[i]
		h.SamplesPerSec, h.TrainSeconds, h.EvalSeconds = 0, 0, 0
	}
	var buf bytes.Buffer
	require.NoError(t, gob.NewEncoder(&buf).Encode(&ck))
	return buf.Bytes()
}
