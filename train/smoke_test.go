package train

import (
	"context"
	"os"
	"testing"

	"github.com/snnc/snnc/ir/dataset"
)

func TestSmokeManual(t *testing.T) {
	if os.Getenv("SNNC_SMOKE") == "" {
		t.Skip()
	}
	d, err := dataset.LoadOrDefault(os.Getenv("SNNC_DATA"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Epochs = 3
	tr, err := NewTrainer(cfg, d)
	if err != nil {
		t.Fatal(err)
	}
	for e := 0; e < cfg.Epochs; e++ {
		st, err := tr.TrainEpoch(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%+v", st)
	}
}
