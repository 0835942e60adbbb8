package train

import (
	"testing"
	"time"
)

// BenchmarkTrainConvEpoch trains 28x28x1-16c5-p2-32c5-p2-10, T = 4, batch
// 128 on the first 2000 samples per iteration and reports samples/s and
// samples per CPU-second of training (without evaluation).
func BenchmarkTrainConvEpoch(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Arch = "28x28x1-16c5-p2-32c5-p2-10"
	cfg.LimitTrain = 2000
	benchEpochs(b, cfg, benchData(b))
}

// BenchmarkTrainConvPhases splits a training step of the conv net of
// BenchmarkTrainConvEpoch into its two parallel phases and reports the
// wall time per batch of 128 of each: forward and backward over the
// samples (trainBatch), and the weight gradients with the optimiser
// (applyStep). Where a speed-up has to come from.
func BenchmarkTrainConvPhases(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Arch = "28x28x1-16c5-p2-32c5-p2-10"
	cfg.LimitTrain = 2000
	cfg.Epochs = 1 << 20 // keep the learning rate up
	tr, err := NewTrainer(cfg, benchData(b))
	if err != nil {
		b.Fatal(err)
	}
	tr.SkipEval = true
	if _, err := tr.TrainEpoch(b.Context(), nil); err != nil {
		b.Fatal(err)
	}
	var fwdBwd, apply time.Duration
	steps := tr.StepsPerEpoch() - 1 // whole batches only
	for b.Loop() {
		for s := range steps {
			idx := tr.perm[s*cfg.Batch : (s+1)*cfg.Batch]
			t0 := time.Now()
			tr.net.trainBatch(&tr.train, 0, idx, uint64(s), tr.p)
			t1 := time.Now()
			tr.alphaOpt.update(tr.net.logAlpha(), tr.net.alphaGrad(), cfg.AlphaLR)
			tr.opt.begin(cfg.LR)
			tr.net.applyStep(tr.opt)
			fwdBwd += t1.Sub(t0)
			apply += time.Since(t1)
		}
	}
	batches := float64(b.N * steps)
	b.ReportMetric(fwdBwd.Seconds()*1e3/batches, "fwdbwd-ms/batch")
	b.ReportMetric(apply.Seconds()*1e3/batches, "apply-ms/batch")
}
