package train

import "testing"

// BenchmarkTrainConvEpoch trains 28x28x1-16c5-p2-32c5-p2-10, T = 4, batch
// 128 on the first 2000 samples per iteration and reports samples/s and
// samples per CPU-second of training (without evaluation).
func BenchmarkTrainConvEpoch(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Arch = "28x28x1-16c5-p2-32c5-p2-10"
	cfg.LimitTrain = 2000
	benchEpochs(b, cfg, benchData(b))
}
