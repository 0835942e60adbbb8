package energy

import "github.com/snnc/snnc/ir"

// UseANN sets the ANN baseline of a chip report from the float model m the
// compiled model was made from: the compiler folds average pooling into the
// next layer (a 5×5 convolution after 2×2 pooling becomes a 10×10 one with
// stride 2), which is exact for the spiking network but is not the
// same-shape ANN of seed Eq. 21. Per-layer ANN MACs are matched by layer
// name (a folded layer keeps its consumer's name); the ratio is
// recomputed.
func UseANN(t *TargetReport, m *ir.Model) error {
	per, total, err := ANNMACs(m)
	if err != nil {
		return err
	}
	byName := map[string]int64{}
	for i := range m.Layers {
		byName[m.Layers[i].Name] += per[i]
	}
	t.ANNMAC = float64(total)
	t.ANNEnergy = float64(total) * Seed45nm.MAC
	for i := range t.PerLayer {
		if v, ok := byName[t.PerLayer[i].Name]; ok {
			t.PerLayer[i].ANNMAC = float64(v)
		}
	}
	if t.ANNEnergy > 0 {
		t.Ratio = t.EnergyPerInference / t.ANNEnergy
	}
	return nil
}
