package train

import (
	"context"
	"testing"
)

// BenchmarkTrainConvEpoch trains 28x28x1-16c5-p2-32c5-p2-10, T = 4, batch
// 128 on the first 2000 samples per iteration and reports samples/s and
// samples per CPU-second of training (without evaluation).
func BenchmarkTrainConvEpoch(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Arch = "28x28x1-16c5-p2-32c5-p2-10"
	cfg.LimitTrain = 2000
	cfg.Epochs = 1 << 20
	tr, err := NewTrainer(cfg, benchData(b))
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
	b.ReportMetric(samples/(cpuTime()-cpu0).Seconds(), "samples/cpu-s")
}
