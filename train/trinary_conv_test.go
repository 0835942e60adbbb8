package train

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

func TestParseArchGroups(t *testing.T) {
	for _, tc := range []struct {
		arch                    string
		out, k, s, p, g, layers int
	}{
		{"28x28x1-32c3g1-10", 32, 3, 1, 0, 1, 3},
		{"28x28x4-32c3g4-10", 32, 3, 1, 0, 4, 3},
		{"28x28x1-16c5s2-10", 16, 5, 2, 0, 0, 3},
		{"28x28x8-32c3s1p1g4-10", 32, 3, 1, 1, 4, 3},
		{"28x28x8-32c3s2g2-10", 32, 3, 2, 0, 2, 3},
		{"28x28x8-32c3p1g8-10", 32, 3, 1, 1, 8, 3},
	} {
		a, err := ParseArch(tc.arch)
		require.NoError(t, err, tc.arch)
		require.Len(t, a.Layers, tc.layers, tc.arch)
		l := a.Layers[0]
		assert.Equal(t, []int{tc.out, tc.k, tc.s, tc.p, tc.g}, []int{l.Out, l.Kernel, l.Stride, l.Padding, l.Groups}, tc.arch)
	}
	for _, tc := range []struct{ arch, want string }{
		{"28x28x1-32c3g4-10", `layer "32c3g4": 4 groups must divide both the 1 input and the 32 output channels`},
		{"28x28x4-30c3g4-10", `layer "30c3g4": 4 groups must divide both the 4 input and the 30 output channels`},
		{"28x28x4-32c3g0-10", `layer "32c3g0": groups must be positive`},
		{"28x28x4-32c3g2s1-10", `layer "32c3g2s1": want`},
	} {
		_, err := ParseArch(tc.arch)
		require.Error(t, err, tc.arch)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestGeneralTrainerRefusesGroups(t *testing.T) {
	data, err := dataset.Default()
	require.NoError(t, err)
	cfg := DefaultConfig()
	cfg.Arch = "28x28x1-8c3-16c3g2-10"
	require.NoError(t, cfg.Validate(), "the syntax is valid")
	_, err = NewTrainer(cfg, data)
	var ce *ConfigError
	require.True(t, errors.As(err, &ce), "%v", err)
	assert.Equal(t, "arch", ce.Field)
	assert.Contains(t, ce.Msg, "conv2")
	assert.Contains(t, ce.Msg, "groups: only with --target truenorth")
	assert.Panics(t, func() {
		a, _ := ParseArch(cfg.Arch)
		NewNetwork(a, 2, 0.5, 0.5, ASGL, 1, newRNG(1))
	})
}

func TestTrueNorthFanInRefused(t *testing.T) {
	data, err := dataset.Default()
	require.NoError(t, err)
	for _, tc := range []struct{ arch, want string }{
		{"28x28x1-16c5s2-64c3-10", `layer conv2: fan-in 144 (16 input channel(s) × 3×3) exceeds the 128 sources`},
		{"28x28x1-16c5s2-64c3-10", "e.g. 64c3g2"},
		// a 3×3 kernel after 2×2 pooling reads 6×6 inputs per channel
		{"28x28x1-16c5-p2-32c3g2-10", "layer conv2: fan-in 288 (8 input channel(s) × 6×6, the 3×3 kernel over the pooled map)"},
		{"28x28x1-16c5-p2-32c3g2-10", "e.g. 32c3g8"},
		{"28x28x1-16c12-10", "layer conv1: fan-in 144"},
	} {
		cfg := DefaultConfig()
		cfg.Arch = tc.arch
		_, err := NewTrainer(onTrueNorth(t, cfg), data)
		var ce *ConfigError
		require.True(t, errors.As(err, &ce), "%s: %v", tc.arch, err)
		assert.Contains(t, ce.Msg, tc.want)
		assert.NotContains(t, ce.Msg, "\n")
	}
	// the same layers fit with groups, and pooling before the readout is
	// host-side
	for _, arch := range []string{"28x28x1-16c5s2-64c3g2-10", "28x28x1-16c5-p2-32c3g8-p2-10"} {
		cfg := DefaultConfig()
		cfg.Arch = arch
		_, err := NewTrainer(onTrueNorth(t, cfg), data)
		assert.NoError(t, err, arch)
	}
}

// tnTinyData is the embedded subset cut down to n training and m test
// samples.
func tnTinyData(t testing.TB, n, m int) *dataset.Set {
	data, err := dataset.Default()
	require.NoError(t, err)
	data.Train = data.Train.Limit(n, data.ImageSize())
	data.Test = data.Test.Limit(m, data.ImageSize())
	return data
}

func trainTN(t testing.TB, arch string, data *dataset.Set, T, epochs int) *Trainer {
	cfg := DefaultConfig()
	cfg.Arch, cfg.Timesteps, cfg.Epochs, cfg.LR, cfg.Batch = arch, T, epochs, 3e-3, 32
	tr, err := NewTrainer(onTrueNorth(t, cfg), data)
	require.NoError(t, err)
	for tr.Epoch < cfg.Epochs {
		st, err := tr.TrainEpoch(context.Background(), nil)
		require.NoError(t, err)
		t.Logf("%s: %+v", arch, st)
	}
	return tr
}

// TestTrueNorthConvFreeze trains small convolutional TrueNorth networks
// briefly, checks the frozen model's layers and constraints, and checks
// that an independent Θ-only forward pass of the IR model (ir.ConvTaps,
// rate-coded input from the trainer's evaluation seeds) predicts exactly
// what the trainer's evaluation predicts.
func TestTrueNorthConvFreeze(t *testing.T) {
	data := tnTinyData(t, 400, 120)
	for _, tc := range []struct {
		arch  string
		kinds []ir.LayerKind
	}{
		{"28x28x1-8c5s2-p2-16c3g4-32-10", []ir.LayerKind{ir.KindConv2D, ir.KindAvgPool, ir.KindConv2D, ir.KindFlatten, ir.KindDense, ir.KindDense}},
		{"28x28x1-8c5s2-16c3p1g2-p2-10", []ir.LayerKind{ir.KindConv2D, ir.KindConv2D, ir.KindAvgPool, ir.KindFlatten, ir.KindDense}},
	} {
		t.Run(tc.arch, func(t *testing.T) {
			tr := trainTN(t, tc.arch, data, 4, 1)
			m := tr.Freeze(&ir.Provenance{Method: ir.MethodASGL})
			require.NoError(t, ir.Verify(m))
			assert.Equal(t, "snnc-truenorth-"+tc.arch, m.Name)
			assert.Equal(t, "truenorth", m.Provenance.Target)
			assert.Equal(t, ir.EncodingRate, m.Input.Encoding)
			assert.Equal(t, float32(1.0/255), m.Input.Scale)
			var kinds []ir.LayerKind
			for _, l := range m.Layers {
				kinds = append(kinds, l.Kind)
			}
			require.Equal(t, tc.kinds, kinds)
			lim := trueNorthLimits(t)
			q := float64(lim.ScaleUnits)
			for _, l := range m.Layers {
				if l.Kind != ir.KindConv2D {
					continue
				}
				assert.Equal(t, ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}, l.Neuron)
				per := len(l.Weights) / l.OutShape[0]
				for c := 0; c < l.OutShape[0]; c++ {
					var a float64
					for _, w := range l.Weights[c*per : (c+1)*per] {
						if w == 0 {
							continue
						}
						if a == 0 {
							a = math.Abs(float64(w))
						}
						require.Equal(t, a, math.Abs(float64(w)), "%s channel %d: trinary", l.Name, c)
						k := float64(w) * q
						require.Equal(t, math.Round(k), k)
						require.LessOrEqual(t, math.Abs(k), float64(lim.MaxWeight))
					}
					b := float64(l.Bias[c]) * q
					require.Equal(t, math.Round(b), b)
					require.LessOrEqual(t, math.Abs(b), float64(lim.MaxWeight))
				}
			}
			preds := trainerPredictions(tr, data.Test)
			size := data.ImageSize()
			agree, correct := 0, 0
			classes := map[int]bool{}
			for i := 0; i < data.Test.N; i++ {
				img := data.Test.Images[i*size : (i+1)*size]
				want := irPredict(m, img, uint64(i))
				if want == preds[i] {
					agree++
				}
				classes[want] = true
				if want == int(data.Test.Labels[i]) {
					correct++
				}
			}
			assert.Equal(t, data.Test.N, agree, "the IR model predicts what the trainer predicts")
			assert.InDelta(t, tr.Evaluate(data.Test), float64(correct)/float64(data.Test.N), 1e-9)
			assert.GreaterOrEqual(t, len(classes), 3, "not a constant prediction")
		})
	}
}

// irPredict runs the float IR model m Θ-only on img with the trainer's
// rate coding: a fresh PCG(seed, "rates") draw per non-zero pixel per step
// in CHW order.
func irPredict(m *ir.Model, img []uint8, seed uint64) int {
	r := rand.New(rand.NewPCG(seed, 0x7261746573))
	T := m.Timesteps
	n := len(m.Layers)
	u := make([][]float64, n)
	s := make([][]float64, n)
	for l := range m.Layers {
		u[l] = make([]float64, m.Layers[l].NumOutputs())
		s[l] = make([]float64, m.Layers[l].NumOutputs())
	}
	logits := make([]float64, m.Layers[n-1].NumOutputs())
	for t := 0; t < T; t++ {
		x := make([]float64, len(img))
		for i, px := range img {
			if px != 0 && r.Float32()*255 < float32(px) {
				x[i] = 1
			}
		}
		for l := range m.Layers {
			L := &m.Layers[l]
			out := refLayer(L, f64s(L.Weights), f64s(L.Bias), x)
			if !L.HasNeurons() {
				x = out
				continue
			}
			if l == n-1 {
				for o, v := range out {
					logits[o] += v / float64(T)
				}
				break
			}
			for j, c := range out {
				u[l][j] = u[l][j]*(1-s[l][j]) + c
				s[l][j] = 0
				if u[l][j] >= float64(L.Neuron.Threshold) {
					s[l][j] = 1
				}
			}
			x = append([]float64(nil), s[l]...)
		}
	}
	best := 0
	for k, v := range logits {
		if v > logits[best] {
			best = k
		}
	}
	return best
}

// TestTrueNorthConvDeterministic: the same seed gives the same bytes.
func TestTrueNorthConvDeterministic(t *testing.T) {
	data := tnTinyData(t, 200, 50)
	var enc [][]byte
	for range 2 {
		tr := trainTN(t, "28x28x1-8c5s2-16c3g4-10", data, 3, 1)
		b, err := ir.Encode(tr.Freeze(&ir.Provenance{Method: ir.MethodASGL, Seed: 1}))
		require.NoError(t, err)
		enc = append(enc, b)
	}
	assert.True(t, bytes.Equal(enc[0], enc[1]), "same seed, same bytes")
	m, err := ir.Decode(enc[0])
	require.NoError(t, err)
	assert.Equal(t, 4, m.Layers[1].Groups, "groups survive encoding")
}

// refLayer is an independent float64 reference of one IR layer of a
// TrueNorth conv net: a flatten or average pooling of x, or the current
// W·x + b of a conv2d (ir.ConvTaps, per-channel bias) or dense layer with
// the weights w and biases b given in the IR layout.
func refLayer(L *ir.Layer, w, b, x []float64) []float64 {
	out := make([]float64, L.NumOutputs())
	switch L.Kind {
	case ir.KindFlatten:
		copy(out, x)
	case ir.KindAvgPool:
		C, H, W := L.InShape[0], L.InShape[1], L.InShape[2]
		oh, ow := L.OutShape[1], L.OutShape[2]
		k, st := L.Kernel[0], L.Stride[0]
		for c := 0; c < C; c++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var a float64
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							a += x[(c*H+oy*st+ky)*W+ox*st+kx]
						}
					}
					out[(c*oh+oy)*ow+ox] = a / float64(k*k)
				}
			}
		}
	case ir.KindConv2D:
		plane := L.OutShape[1] * L.OutShape[2]
		for o := range out {
			out[o] = b[o/plane]
		}
		ir.ConvTaps(L, func(in, o, k int) { out[o] += w[k] * x[in] })
	case ir.KindDense:
		in := L.NumInputs()
		for o := range out {
			a := b[o]
			for i, v := range x {
				a += w[o*in+i] * v
			}
			out[o] = a
		}
	}
	return out
}
