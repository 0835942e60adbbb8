package train

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/snnc/snnc/ir/dataset"
)

// benchData is $SNNC_BENCH_DATA (e.g. /work/shared/data/mnist) or the
// embedded subset.
func benchData(b *testing.B) *dataset.Set {
	if dir := os.Getenv("SNNC_BENCH_DATA"); dir != "" {
		d, err := dataset.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	return testData(b)
}

// BenchmarkTrainEpoch trains 784-512-512-10, T = 4, batch 128 for one epoch
// per iteration (the first 6000 samples; set SNNC_BENCH_DATA to use another
// dataset) and reports samples/s of training (without evaluation).
func BenchmarkTrainEpoch(b *testing.B) {
	for _, m := range []Method{ASGL, SG} {
		b.Run(m.String(), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Method = m
			cfg.LimitTrain = 6000
			benchEpochs(b, cfg, benchData(b))
		})
	}
}

// benchEpochs trains one epoch of cfg on data per iteration (the learning
// rate kept up) and reports samples/s and samples per CPU-second of
// training, without evaluation.
func benchEpochs(b *testing.B, cfg Config, data *dataset.Set) {
	cfg.Epochs = 1 << 20 // keep the learning rate up
	tr, err := NewTrainer(cfg, data)
	if err != nil {
		b.Fatal(err)
	}
	tr.SkipEval = true
	var samples, secs float64
	cpu0 := cpuTime()
	for b.Loop() {
		st, err := tr.TrainEpoch(context.Background(), nil)
		if err != nil {
			b.Fatal(err)
		}
		samples += float64(tr.TrainSamples())
		secs += st.TrainSeconds
	}
	b.ReportMetric(samples/secs, "samples/s")
	// throughput per CPU-second: stable when other processes compete for
	// the cores
	b.ReportMetric(samples/(cpuTime()-cpu0).Seconds(), "samples/cpu-s")
}

// BenchmarkEvaluate measures Θ-only inference over the test split.
func BenchmarkEvaluate(b *testing.B) {
	cfg := DefaultConfig()
	tr, err := NewTrainer(cfg, benchData(b))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for b.Loop() {
		tr.Evaluate(tr.Data.Test)
		n += tr.Data.Test.N
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "samples/s")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkTrainStep repeats one training step (forward, backward,
// update) on one batch of 128 after one epoch on the default data.
func BenchmarkTrainStep(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Epochs = 1 << 20
	tr, err := NewTrainer(cfg, testData(b))
	if err != nil {
		b.Fatal(err)
	}
	tr.SkipEval = true
	if _, err := tr.TrainEpoch(context.Background(), nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		tr.trainBatch(tr.perm[:cfg.Batch], 1e-3)
	}
	b.ReportMetric(float64(cfg.Batch*b.N)/b.Elapsed().Seconds(), "samples/s")
}
