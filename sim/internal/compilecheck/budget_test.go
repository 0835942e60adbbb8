package compilecheck_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/events/eventset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// TestAgreementBudget splits the float↔chip disagreement of a trained
// model into its causes. It runs only when SNNC_BUDGET_MODEL names a float
// model (SNNC_BUDGET_DATA: its event data, default spoken; SNNC_BUDGET_TARGET:
// default loihi):
//
//	SNNC_BUDGET_MODEL=rec.snn go test -run TestAgreementBudget -v ./sim/internal/compilecheck
//
// It prints the agreement with the float model of: the chip; the float
// model with the chip's integer weights scaled back (weight rounding alone,
// float arithmetic); the chip with that dequantized model (integer
// arithmetic alone); and the float model with every weight multiplied by
// 1 + ε·N(0,1) (how sensitive the network is to small weight changes).
func TestAgreementBudget(t *testing.T) {
	path := os.Getenv("SNNC_BUDGET_MODEL")
	if path == "" {
		t.Skip("set SNNC_BUDGET_MODEL to a float model file")
	}
	data, target := os.Getenv("SNNC_BUDGET_DATA"), os.Getenv("SNNC_BUDGET_TARGET")
	if data == "" {
		data = eventset.Spoken
	}
	if target == "" {
		target = "loihi"
	}
	m, err := ir.ReadFile(path)
	require.NoError(t, err)
	set, err := eventset.LoadOrImages(data, m.Timesteps, 0)
	require.NoError(t, err)
	tg, err := targets.Lookup(target)
	require.NoError(t, err)
	ctx := context.Background()
	flt, err := sim.RunFloat(ctx, m, set, sim.Options{})
	require.NoError(t, err)
	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	chip, err := sim.Run(ctx, res.Model, set, sim.Options{})
	require.NoError(t, err)
	dq, err := sim.RunFloat(ctx, dequantized(m, res.Model.Quantized), set, sim.Options{})
	require.NoError(t, err)
	t.Logf("%s on %s, %d samples: float %d correct, chip %d", path, target, flt.Samples, flt.Correct, chip.Correct)
	t.Logf("agreement with the float model: chip %.3f, dequantized float %.3f; chip with the dequantized float %.3f",
		agreement(chip.Predictions, flt.Predictions), agreement(dq.Predictions, flt.Predictions), agreement(chip.Predictions, dq.Predictions))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, eps := range []float64{1e-4, 1e-3, 4e-3} {
		pm := *m
		pm.Layers = append([]ir.Layer(nil), m.Layers...)
		noisy := func(w []float32) []float32 {
			out := make([]float32, len(w))
			for k, x := range w {
				out[k] = x * float32(1+eps*rng.NormFloat64())
			}
			return out
		}
		for i := range pm.Layers {
			l := &pm.Layers[i]
			l.Weights, l.Recurrent, l.Bias = noisy(l.Weights), noisy(l.Recurrent), noisy(l.Bias)
		}
		st, err := sim.RunFloat(ctx, &pm, set, sim.Options{})
		require.NoError(t, err)
		t.Logf("float model with relative weight noise ε = %s: agreement %.3f", strconv.FormatFloat(eps, 'g', -1, 64), agreement(st.Predictions, flt.Predictions))
	}
}
