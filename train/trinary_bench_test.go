package train

import (
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
			cfg.Arch, cfg.Timesteps, cfg.LimitTrain = bc.arch, 8, 1000
			benchEpochs(b, cfg, data)
		})
	}
}
