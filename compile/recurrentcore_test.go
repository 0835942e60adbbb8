package compile

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

func xyloTarget(t *testing.T, name string) *targets.Target {
	tg, err := targets.Lookup(name)
	require.NoError(t, err)
	return tg
}

func TestRecurrentCoreCompiles(t *testing.T) {
	m := RandomRecurrentCore(16, 64, 8, 20, 1)
	res, err := Compile(m, xyloTarget(t, "xylo-audio2"), Options{AfterPass: checkBetweenPasses(t, xyloTarget(t, "xylo-audio2"))})
	require.NoError(t, err)
	cm := res.Model
	require.NoError(t, ir.Verify(cm))
	mp := cm.Mapping
	require.Len(t, mp.Cores, 2)
	assert.Equal(t, 64, mp.Cores[0].NeuronCount)
	assert.Equal(t, 8, mp.Cores[1].NeuronCount)
	assert.Len(t, mp.Routes, 2, "hidden → hidden and hidden → readout")
	assert.Empty(t, res.Report.Warnings, "weights on the trained grid are exact")
	spec, err := RecurrentCoreSpec(cm)
	require.NoError(t, err)
	// the float weights are k·Δ with |k| ≤ 127 and Δ = max|w|/127: the
	// chip's weights are the k themselves
	l := &m.Layers[0]
	var mx float32
	for _, w := range append(append([]float32(nil), l.Weights...), l.Recurrent...) {
		mx = max(mx, abs32(w))
	}
	delta := mx / 127
	for j := 0; j < 64; j++ {
		for i := 0; i < 16; i++ {
			assert.Equal(t, int16(roundF(l.Weights[j*16+i]/delta)), spec.WIn[i*64+j])
		}
	}
	// ϑ·β_c·2^sh/Δ ≤ 32767/4 with the largest shift
	q := cm.Quantized.Layers[0]
	beta := targets.ShiftGamma(int(q.DecayU))
	assert.Equal(t, int32(roundF(float32(float64(l.Neuron.Threshold)*beta*float64(int(1)<<q.WeightExponent)/float64(delta)))), q.Threshold)
	assert.LessOrEqual(t, float64(q.Threshold), 32767.0/4+0.5)
	assert.Greater(t, float64(q.Threshold), 32767.0/8-0.5, "the largest shift that fits")
	assert.Equal(t, int32(2), q.DecayU, "β_c = 0.75 is dash 2")
	assert.Equal(t, int32(3), q.DecayV, "γ = 0.875 is dash 3")
	_, err = xyloTarget(t, "xylo-audio2").Backend().(targets.RecurrentCoreBackend).NewCore(spec)
	require.NoError(t, err)
}

func roundF(x float32) float32 {
	if x < 0 {
		return -roundF(-x)
	}
	return float32(int64(x + 0.5))
}

// TestRecurrentCoreRefusesLoihiModel: a Loihi-sized model is refused with
// one line per broken rule, each naming the rule, the need and the limit,
// and the retraining remedy.
func TestRecurrentCoreRefusesLoihiModel(t *testing.T) {
	m := RandomDense([]int{784, 512, 512, 10}, 4, 1)
	_, err := Compile(m, xyloTarget(t, "xylo-audio2"), Options{})
	require.Error(t, err)
	var les LimitErrors
	require.True(t, errors.As(err, &les))
	rules := map[string]*LimitError{}
	for _, le := range les {
		rules[le.Limit] = le
		assert.Contains(t, le.Error(), "retrain with snnc train --target xylo-audio2")
	}
	for rule, nh := range map[string][2]int64{
		"input channels": {784, 16}, "output neurons": {10, 8}, "one hidden population": {2, 1},
		"hidden neurons": {1024, 1000}, "event input": {1, 0}, "outputs come from neurons": {1, 0}, "subtractive reset": {1, 0},
	} {
		le := rules[rule]
		if assert.NotNil(t, le, "rule %q in %v", rule, err) {
			assert.Equal(t, nh, [2]int64{le.Need, le.Have}, rule)
		}
	}
	assert.Equal(t, len(les), strings.Count(err.Error(), "\n")+1, "one line per rule")
}

// TestRecurrentCoreOffGridWarns: a model not trained on the 8-bit grid
// compiles with a warning saying how many weights were rounded.
func TestRecurrentCoreOffGridWarns(t *testing.T) {
	m := RandomRecurrentCore(16, 32, 8, 10, 2)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range m.Layers[0].Weights {
		m.Layers[0].Weights[i] *= 1 + 0.01*float32(r.Float64())
	}
	res, err := Compile(m, xyloTarget(t, "xylo-imu"), Options{})
	require.NoError(t, err)
	require.Len(t, res.Report.Warnings, 1)
	assert.Contains(t, res.Report.Warnings[0], "off the 8-bit grid")
}
