package compile

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

func loihi2(t testing.TB) *targets.Target {
	t.Helper()
	tg, err := targets.Lookup("loihi2")
	require.NoError(t, err)
	return tg
}

// TestGradedInputReadoutByHand: a one-layer readout fed by graded input
// accumulates exactly T·((Σ_i q_ji·p_i) >> −e or << e, then << 6) + T·bias,
// computed here by hand from the quantized section.
func TestGradedInputReadoutByHand(t *testing.T) {
	tg := loihi2(t)
	m := RandomDense([]int{20, 5}, 3, 4)
	m.Input.Scale = 1.0 / 255
	res, err := Compile(m, tg, Options{GradedInput: true, AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	ql := res.Model.Quantized.Layers[0]
	require.Equal(t, uint8(24), ql.InputPayloadBits)
	require.Equal(t, float32(255), ql.InputPayloadScale, "raw 8-bit inputs go exactly")
	ev, err := NewInteger(res.Model)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	for s := 0; s < 20; s++ {
		x := make([]float32, 20)
		for i := range x {
			if rng.IntN(3) > 0 {
				x[i] = float32(rng.IntN(256))
			}
		}
		r, err := ev.Run(x)
		require.NoError(t, err)
		for j := 0; j < 5; j++ {
			var sum int64
			for i := range x {
				sum += int64(ql.Weights[j*20+i]) * int64(x[i]) // p_i = x_i exactly
			}
			a := targets.Loihi2Activation(sum, int(ql.WeightExponent))
			bias := int64(ql.Bias[j]) << ql.BiasExponent
			assert.Equal(t, 3*(int64(a)<<6+bias), r.Out[j], "sample %d neuron %d", s, j)
		}
	}
}

// TestGradedInputAgreesWithFloat: with graded input the on-chip first
// layer (8-bit payloads, weights scaled by 1/P) still agrees with the
// float model, dense and conv.
func TestGradedInputAgreesWithFloat(t *testing.T) {
	tg := loihi2(t)
	for _, c := range []struct {
		name string
		m    *ir.Model
	}{
		{"dense", RandomDense([]int{64, 48, 10}, 8, 11)},
		{"conv", RandomConv(12, 1, 4, 3, 1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Compile(c.m, tg, Options{GradedInput: true, AfterPass: checkBetweenPasses(t, tg)})
			require.NoError(t, err)
			require.False(t, res.Report.Layers[0].HostInput, "the first layer's synapses are on chip")
			assert.True(t, slicesContain(res.Report.Notes, "graded input"), "notes: %v", res.Report.Notes)
			host, err := Compile(c.m, tg, Options{})
			require.NoError(t, err)
			const n = 200
			agreement := func(cm *ir.Model) (float64, int64) {
				ev, err := NewInteger(cm)
				require.NoError(t, err)
				rng := rand.New(rand.NewPCG(5, 6))
				agree, fired := 0, int64(0)
				for s := 0; s < n; s++ {
					x := make([]float32, c.m.Layers[0].NumInputs())
					for i := range x {
						x[i] = float32(rng.IntN(256)) / 255 // exact 8-bit payloads at P = 255
					}
					fp, _, _ := evalFloat(c.m, x)
					r, err := ev.Run(x)
					require.NoError(t, err)
					if r.Pred == fp {
						agree++
					}
					for _, k := range r.Spikes {
						fired += k
					}
				}
				return float64(agree) / n, fired
			}
			graded, fired := agreement(res.Model)
			hostBias, _ := agreement(host.Model)
			t.Logf("%s: agreement with the float model %.1f%% graded, %.1f%% host bias; %d spikes", c.name, 100*graded, 100*hostBias, fired)
			assert.Positive(t, fired)
			assert.GreaterOrEqual(t, graded, min(0.9, hostBias-0.03))
		})
	}
}

// TestGradedInputRefused: families without graded spikes and inputs that
// are not a direct current refuse the option with one clear error.
func TestGradedInputRefused(t *testing.T) {
	for _, name := range []string{"loihi", "truenorth"} {
		tg, err := targets.Lookup(name)
		require.NoError(t, err)
		_, err = Compile(RandomDense([]int{16, 8, 4}, 2, 1), tg, Options{GradedInput: true})
		var le *LimitError
		require.ErrorAs(t, err, &le, name)
		assert.Equal(t, "graded spikes", le.Limit)
		assert.Contains(t, err.Error(), name+" has binary spikes only (graded spikes: loihi2)")
	}
	m := rateModel(RandomDense([]int{16, 8, 4}, 2, 1))
	_, err := Compile(m, loihi2(t), Options{GradedInput: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rate-encoded")
}

func slicesContain(xs []string, sub string) bool {
	for _, x := range xs {
		if strings.Contains(x, sub) {
			return true
		}
	}
	return false
}
