package train

import (
	"context"
	"testing"

	"github.com/snnc/snnc/ir/dataset"
)

// BenchmarkTrueNorthEpoch trains inside TrueNorth's limits (T = 8) on 1000
// samples of the embedded subset per iteration: the default grouped dense
// network 784-1024-1024-10 and the grouped convolutions
// 28x28x1-16c5s2-64c3g4-10.
func BenchmarkTrueNorthEpoch(b *testing.B) {
	for _, bc := range []struct{ name, arch string }{
		{"dense", "784-1024-1024-10"},
		{"conv", "28x28x1-16c5s2-64c3g4-10"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			data, err := dataset.Default()
			if err != nil {
				b.Fatal(err)
			}
			cfg := onTrueNorth(b, DefaultConfig())
			cfg.Arch, cfg.Timesteps, cfg.LimitTrain, cfg.Epochs = bc.arch, 8, 1000, 1
			tr, err := NewTrainer(cfg, data)
			if err != nil {
				b.Fatal(err)
			}
			tr.SkipEval = true
			var samples, secs float64
			cpu0 := cpuTime()
			for b.Loop() {
				tr.Epoch = 0
				st, err := tr.TrainEpoch(context.Background(), nil)
				if err != nil {
					b.Fatal(err)
				}
				samples += float64(tr.TrainSamples())
				secs += st.TrainSeconds
			}
			b.ReportMetric(samples/secs, "samples/s")
			b.ReportMetric(samples/(cpuTime()-cpu0).Seconds(), "samples/cpu-s")
		})
	}
}
