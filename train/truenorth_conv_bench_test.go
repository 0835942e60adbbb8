package train

import (
	"context"
	"testing"

	"github.com/snnc/snnc/ir/dataset"
)

// BenchmarkTrueNorthConvEpoch trains 28x28x1-16c5s2-64c3g4-10 (T = 8) on
// 1000 samples of the embedded subset per iteration.
func BenchmarkTrueNorthConvEpoch(b *testing.B) {
	data, err := dataset.Default()
	if err != nil {
		b.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Arch, cfg.Timesteps, cfg.LimitTrain, cfg.Epochs = "28x28x1-16c5s2-64c3g4-10", 8, 1000, 1
	data.Test = data.Test.Limit(1, data.ImageSize())
	tr, err := NewTrueNorthTrainer(cfg, data)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		tr.Epoch = 0
		st, err := tr.TrainEpoch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(1000/st.TrainSeconds, "samples/s")
	}
}
