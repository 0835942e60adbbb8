package compile

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

func loihi(t testing.TB) *targets.Target {
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	return tg
}

// checkBetweenPasses runs ir.Verify and, once the quantized section exists,
// Check after every pass.
func checkBetweenPasses(t testing.TB, tg *targets.Target) func(string, *ir.Model) error {
	return func(pass string, m *ir.Model) error {
		if err := ir.Verify(m); err != nil {
			return err
		}
		if m.Quantized != nil && (m.Mapping == nil || len(m.Mapping.Routes) > 0 || pass != "place") {
			return Check(m, tg)
		}
		return nil
	}
}

func TestPassTable(t *testing.T) {
	assert.Equal(t, []string{"fold", "limits", "quantize", "partition", "place", "route", "verify", "emit"}, Passes())
	assert.Equal(t, []string{"verify"}, OptionalPasses())
	// one line per pass, then one per splitter-plan variant
	var names []string
	variants := 0
	for _, line := range PassDocs() {
		if strings.HasPrefix(line, " ") {
			assert.Contains(t, line, "splitter plan: ")
			variants++
			continue
		}
		names = append(names, strings.Fields(line)[0])
	}
	assert.Equal(t, Passes(), names)
	assert.Equal(t, 4, variants, "quantize, partition, place and route have splitter-plan variants")
	_, err := Compile(RandomDense([]int{4, 3, 2}, 2, 1), loihi(t), Options{DumpAfter: "nope"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "quantize")
}

func TestDisablePasses(t *testing.T) {
	tg := loihi(t)
	m := RandomDense([]int{8, 6, 3}, 2, 1)
	var seen []string
	_, err := Compile(m, tg, Options{Disable: []string{"verify"}, AfterPass: func(p string, _ *ir.Model) error {
		seen = append(seen, p)
		return nil
	}})
	require.NoError(t, err)
	assert.NotContains(t, seen, "verify")
	assert.Len(t, seen, len(Passes())-1)
	_, err = Compile(m, tg, Options{Disable: []string{"quantize"}})
	assert.ErrorContains(t, err, "required")
	_, err = Compile(m, tg, Options{Disable: []string{"bogus"}})
	assert.ErrorContains(t, err, "unknown pass")
}

func TestCompileMNISTShape(t *testing.T) {
	tg := loihi(t)
	m := RandomDense([]int{784, 512, 512, 10}, 8, 1)
	var seen []string
	check := checkBetweenPasses(t, tg)
	res, err := Compile(m, tg, Options{AfterPass: func(p string, m *ir.Model) error {
		seen = append(seen, p)
		return check(p, m)
	}})
	require.NoError(t, err)
	assert.Equal(t, Passes(), seen)
	r := res.Report
	var buf bytes.Buffer
	r.WriteText(&buf)
	t.Log("\n" + buf.String())
	// the direct-current first layer has no synapses on chip: one core
	// holds its 512 compartments; 512 inputs: 230 neurons per core fit
	// the synaptic memory (512·2048 bits = 1 Mibit), so 3 cores
	assert.Equal(t, 5, r.LowerBoundCores)
	assert.Equal(t, 5, r.Cores)
	assert.Equal(t, 1, r.Chips)
	require.Len(t, r.Layers, 3)
	assert.True(t, r.Layers[0].HostInput)
	assert.Equal(t, 1, r.Layers[0].Cores)
	assert.Equal(t, "synaptic memory", r.Layers[1].Binding)
	assert.LessOrEqual(t, r.SpikeHops, r.GreedySpikeHops)
	assert.Nil(t, m.Quantized, "input model untouched")
	require.NoError(t, Check(res.Model, tg))
	require.NoError(t, ir.Verify(res.Model))
	// encode/decode round trip keeps the mapping
	b, err := ir.Encode(res.Model)
	require.NoError(t, err)
	back, err := ir.Decode(b)
	require.NoError(t, err)
	require.NoError(t, Check(back, tg))
}

func TestPartitionWithSpikeInput(t *testing.T) {
	tg := loihi(t)
	m := RandomDense([]int{784, 512, 512, 10}, 8, 2)
	m.Input.Encoding = ir.EncodingRate
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	r := res.Report
	// 784 inputs on chip now: at most 142 neurons per core (784·1344 bits
	// > 1 Mibit from 143 on) → 4 cores of 128; lower bound 4+3+1
	assert.Equal(t, 8, r.LowerBoundCores)
	assert.Equal(t, 4, r.Layers[0].Cores)
	assert.Equal(t, "synaptic memory", r.Layers[0].Binding)
	assert.Equal(t, 128, r.Layers[0].MaxNeuronsPerCore)
	assert.Equal(t, 3, r.Layers[1].Cores)
	var buf bytes.Buffer
	r.WriteText(&buf)
	t.Log("\n" + buf.String())
	assert.LessOrEqual(t, float64(r.Cores), 1.15*float64(r.LowerBoundCores))
	for _, c := range res.Model.Mapping.Cores {
		assert.LessOrEqual(t, c.SynapseBits, tg.Core.SynapseBits)
	}
}

func TestDumpAfter(t *testing.T) {
	tg := loihi(t)
	for _, p := range Passes() {
		var buf bytes.Buffer
		_, err := Compile(RandomDense([]int{20, 16, 4}, 4, 1), tg, Options{DumpAfter: p, Dump: &buf})
		require.NoError(t, err)
		out := buf.String()
		assert.True(t, strings.HasPrefix(out, "## after "+p+"\n"), out)
		assert.Equal(t, 1, strings.Count(out, "## after"))
		switch p {
		case "quantize":
			assert.Contains(t, out, "quantized for loihi")
		case "partition":
			assert.Contains(t, out, "partition: 2 pieces")
		case "route", "emit":
			assert.Contains(t, out, "route 0: core 0 -> core 1")
		}
	}
	var buf bytes.Buffer
	_, err := Compile(RandomDense([]int{20, 16, 4}, 4, 1), tg, Options{DumpAfter: "all", Dump: &buf})
	require.NoError(t, err)
	assert.Equal(t, len(Passes()), strings.Count(buf.String(), "## after"))
}

func TestPlacementDeterministicAndImproves(t *testing.T) {
	tg := loihi(t)
	m := RandomDense([]int{784, 1024, 1024, 512, 10}, 4, 3)
	m.Input.Encoding = ir.EncodingRate
	a, err := Compile(m, tg, Options{Seed: 7})
	require.NoError(t, err)
	b, err := Compile(m, tg, Options{Seed: 7})
	require.NoError(t, err)
	assert.Equal(t, a.Model.Mapping.Cores, b.Model.Mapping.Cores)
	g, err := Compile(m, tg, Options{PlaceIters: -1})
	require.NoError(t, err)
	t.Logf("cores %d (bound %d, %d chips), spike-hops greedy %.0f annealed %.0f",
		a.Report.Cores, a.Report.LowerBoundCores, a.Report.Chips, g.Report.SpikeHops, a.Report.SpikeHops)
	assert.Less(t, a.Report.SpikeHops, g.Report.SpikeHops)
	assert.Equal(t, g.Report.SpikeHops, a.Report.GreedySpikeHops)
	assert.LessOrEqual(t, float64(a.Report.Cores), 1.15*float64(a.Report.LowerBoundCores))
	require.NoError(t, Check(a.Model, tg))
}

func TestMultiChipAndChipCap(t *testing.T) {
	// a small chip of 4×4 cores (2×2 tiles) makes a small model multi-chip
	tg := loihi(t)
	tg.Chip.Cores, tg.Chip.MeshWidth, tg.Chip.MeshHeight = 16, 4, 4
	m := RandomDense([]int{784, 1024, 1024, 10}, 2, 4)
	m.Input.Encoding = ir.EncodingRate
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	assert.Greater(t, res.Report.Chips, 1)
	chips := map[int]bool{}
	for _, c := range res.Model.Mapping.Cores {
		chips[c.Chip] = true
	}
	assert.Len(t, chips, res.Report.Chips)

	_, err = Compile(m, tg, Options{Chips: 1})
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "chips", le.Limit)
	assert.Equal(t, int64(1), le.Have)
	assert.Equal(t, int64(res.Report.Chips), le.Need)
}

// TestLimitErrors has one case per limit.
func TestLimitErrors(t *testing.T) {
	base := func(t *testing.T) *targets.Target { return loihi(t) }
	cases := []struct {
		name   string
		target func(*testing.T) *targets.Target
		model  func() *ir.Model
		limit  string
		layer  int
		need   int64
		have   int64
		msg    []string
	}{
		{
			name: "fan-in above a core's input axons", target: base,
			model: func() *ir.Model { return rateModel(RandomDense([]int{5000, 8, 4}, 2, 1)) },
			limit: "input axons per neuron", layer: 0, need: 5000, have: 4096,
			msg: []string{"layer 0 (fc1)", "5000 input axons", "4096", "retrain a smaller network"},
		},
		{
			name: "one neuron's synapses exceed a core's synaptic memory",
			target: func(t *testing.T) *targets.Target {
				tg := loihi(t)
				tg.Core.SynapseBits = 64 * 100
				return tg
			},
			model: func() *ir.Model { return rateModel(RandomDense([]int{200, 8, 4}, 2, 1)) },
			limit: "synaptic memory", layer: 0, need: 200 * 64, have: 6400,
			msg: []string{"200 input synapses need 12800 bits", "6400"},
		},
		{
			name: "one neuron's output routes",
			target: func(t *testing.T) *targets.Target {
				tg := loihi(t)
				tg.Core.OutputRoutes = 2
				tg.Core.Neurons = 4
				return tg
			},
			model: func() *ir.Model { return RandomDense([]int{8, 8, 16, 4}, 2, 1) },
			limit: "output routes per neuron", layer: 0, need: 4, have: 2,
		},
		{
			name: "fan-out beyond one target",
			target: func(t *testing.T) *targets.Target {
				tg := loihi(t)
				tg.Core.FanOut = 1
				tg.Core.Neurons = 256
				return tg
			},
			model: func() *ir.Model { return RandomDense([]int{8, 8, 512, 4}, 2, 1) },
			limit: "fan-out", layer: 0, need: 2, have: 1, msg: []string{"splitter"},
		},
		{
			name: "more distinct weights than axon types",
			target: func(t *testing.T) *targets.Target {
				tg := loihi(t)
				tg.Core.AxonTypes = 4
				return tg
			},
			model: func() *ir.Model { return rateModel(RandomDense([]int{10, 8, 4}, 2, 1)) },
			limit: "axon types", layer: 0, need: 10, have: 4,
		},
		{
			name: "multiplicative leak on a linear-leak chip",
			target: func(t *testing.T) *targets.Target {
				tg := loihi(t)
				tg.Leak = "linear"
				return tg
			},
			model: func() *ir.Model { return RandomDense([]int{10, 8, 4}, 2, 1) },
			limit: "multiplicative leak", layer: 0, need: 1, have: 0, msg: []string{"γ = 0.9"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Compile(c.model(), c.target(t), Options{})
			require.Error(t, err)
			var le *LimitError
			require.ErrorAs(t, err, &le, "%v", err)
			assert.Equal(t, c.limit, le.Limit, "%v", err)
			assert.Equal(t, c.layer, le.Layer)
			assert.Equal(t, c.need, le.Need)
			assert.Equal(t, c.have, le.Have)
			for _, s := range c.msg {
				assert.Contains(t, le.Error(), s)
			}
		})
	}
}

func rateModel(m *ir.Model) *ir.Model {
	m.Input.Encoding = ir.EncodingRate
	return m
}

func TestTrueNorthRefusesPlainModel(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	m := RandomDense([]int{784, 512, 512, 10}, 8, 1)
	m.Input.Encoding = ir.EncodingRate
	_, err = Compile(m, tg, Options{WeightBits: 9})
	require.Error(t, err)
	msg := err.Error()
	t.Log(msg)
	for _, s := range []string{
		"layer 0 (fc1): fan-in: a neuron needs 784 input axons, a truenorth core has 256",
		"layer 1 (fc2): fan-in: a neuron needs 512 input axons",
		"axon types",
		"trinary weights",
		"leak γ = 0.9 is multiplicative",
		"retrain with snnc train --target truenorth",
	} {
		assert.Contains(t, msg, s)
	}
	// fan-out is the compiler's business (splitters) and the readout is
	// host-side, so neither is blamed
	assert.NotContains(t, msg, "fan-out")
	assert.NotContains(t, msg, "fc3")
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 0, le.Layer)
	assert.Equal(t, "input axons per neuron", le.Limit)
	assert.Equal(t, int64(784), le.Need)
	assert.Equal(t, int64(256), le.Have)

	// the default direct-current input is refused too, with its own reason
	_, err = Compile(RandomDense([]int{784, 512, 512, 10}, 8, 1), tg, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "direct-current input")

	// a model inside TrueNorth's limits compiles
	_, err = Compile(trueNorthModel([]int{64, 32, 10}, 4, 1), tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
}

// trueNorthModel is a random model inside TrueNorth's limits, as training
// with --target truenorth makes them: γ = 1, spike input, and weights
// w_ij = v_j[G_i]·c_ij with axon type G_i = i mod 4, four values v_j per
// neuron and a binary crossbar c (density ½).
func trueNorthModel(sizes []int, T int, seed uint64) *ir.Model {
	m := RandomDense(sizes, T, seed)
	m.Input.Encoding = ir.EncodingRate
	rng := rand.New(rand.NewPCG(seed, 77))
	for li := range m.Layers {
		l := &m.Layers[li]
		l.Neuron.Leak = 1
		in, out := l.NumInputs(), l.NumOutputs()
		for j := 0; j < out; j++ {
			var v [4]float32
			for g := range v {
				v[g] = float32(rng.IntN(17)-8) / 16
			}
			for i := 0; i < in; i++ {
				w := float32(0)
				if rng.IntN(2) == 0 {
					w = v[i%4]
				}
				l.Weights[j*in+i] = w
			}
			l.Bias[j] = float32(rng.IntN(9)-4) / 32
		}
	}
	return m
}

func TestTrueNorthCompiles(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	m := trueNorthModel([]int{256, 200, 100, 10}, 8, 2)
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	var buf bytes.Buffer
	res.Report.WriteText(&buf)
	t.Log("\n" + buf.String())
	assert.Equal(t, 3, res.Report.Cores)
	assert.Equal(t, 3, res.Report.LowerBoundCores)
	for _, li := range []int{0, 1, 2} {
		ql := res.Model.Quantized.Layers[li]
		in := m.Layers[li].NumInputs()
		for j := 0; j < m.Layers[li].NumOutputs(); j++ {
			for i := 0; i < in; i++ {
				if w := ql.Weights[j*in+i]; w != 0 {
					require.Equal(t, w, ql.TypeWeights[4*j+int(ql.AxonTypes[i])], "layer %d neuron %d input %d", li, j, i)
				}
			}
		}
		if li < 2 {
			assert.InDelta(t, float64(ql.Threshold), float64(m.Layers[li].Neuron.Threshold)*float64(ql.Scale), 1e-3)
		}
	}
	// integer vs float, spike input
	ev, err := NewInteger(res.Model)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(4, 4))
	agree := 0
	const n = 200
	for s := 0; s < n; s++ {
		x := spikeTrains(rng, 8*256, 4)
		fp, _, _ := evalFloat(res.Model, x)
		r, err := ev.Run(x)
		require.NoError(t, err)
		if fp == r.Pred {
			agree++
		}
	}
	t.Logf("truenorth agreement %d/%d", agree, n)
	assert.GreaterOrEqual(t, agree, n*95/100)

	// weights that no 4-type assignment expresses are refused
	bad := trueNorthModel([]int{16, 8, 4}, 2, 3)
	for i := range bad.Layers[0].Weights {
		bad.Layers[0].Weights[i] = float32(i%5+1) / 8 // 5 values cycling across inputs and neurons
	}
	_, err = Compile(bad, tg, Options{})
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "axon types", le.Limit)
}

func TestUnsupported(t *testing.T) {
	tg := loihi(t)
	m := RandomDense([]int{4, 3, 2}, 2, 1)
	m.Layers[0].Neuron.Reset = ir.ResetSubtract
	_, err := Compile(m, tg, Options{})
	assert.ErrorContains(t, err, "reset mode")
	_, err = Compile(RandomDense([]int{4, 3, 2}, 2, 1), tg, Options{WeightBits: 7})
	assert.ErrorContains(t, err, "no 7-bit weights")
}

// evalFloat is the float model of ir.Model in float64 (dense, conv and
// sparse layers with neurons; average pooling and flatten between them).
func evalFloat(m *ir.Model, x []float32) (int, []float64, []int64) {
	T := m.Timesteps
	var layers []*ir.Layer
	for i := range m.Layers {
		if m.Layers[i].HasNeurons() {
			layers = append(layers, &m.Layers[i])
		}
	}
	u := make([][]float64, len(layers))
	s := make([][]bool, len(layers))
	for k, l := range layers {
		u[k] = make([]float64, l.NumOutputs())
		s[k] = make([]bool, l.NumOutputs())
	}
	last := layers[len(layers)-1]
	acc := make([]float64, last.NumOutputs())
	counts := make([]float64, last.NumOutputs())
	spikes := make([]int64, len(layers))
	nIn := ir.ShapeSize(m.Input.Shape)
	direct := m.Input.Encoding == ir.EncodingDirect
	for t := 0; t < T; t++ {
		in := make([]float64, nIn)
		for i := range in {
			if direct {
				in[i] = float64(x[i])
			} else if x[t*nIn+i] != 0 {
				in[i] = 1
			}
		}
		k := -1
		for li := range m.Layers {
			l := &m.Layers[li]
			ni, no := l.NumInputs(), l.NumOutputs()
			next := make([]float64, no)
			switch l.Kind {
			case ir.KindFlatten:
				continue
			case ir.KindAvgPool:
				C, H, W := l.InShape[0], l.InShape[1], l.InShape[2]
				OH, OW := l.OutShape[1], l.OutShape[2]
				for c := 0; c < C; c++ {
					for y := 0; y < OH; y++ {
						for xx := 0; xx < OW; xx++ {
							var sum float64
							for dy := 0; dy < l.Kernel[0]; dy++ {
								for dx := 0; dx < l.Kernel[1]; dx++ {
									sum += in[(c*H+y*l.Stride[0]+dy)*W+xx*l.Stride[1]+dx]
								}
							}
							next[(c*OH+y)*OW+xx] = sum / float64(l.Kernel[0]*l.Kernel[1])
						}
					}
				}
				in = next
				continue
			}
			k++
			cur := make([]float64, no)
			if l.Kind == ir.KindDense {
				for j := 0; j < no; j++ {
					for i := 0; i < ni; i++ {
						cur[j] += float64(l.Weights[j*ni+i]) * in[i]
					}
				}
			} else {
				ir.EachSynapse(l, func(i, j, w int) { cur[j] += float64(l.Weights[w]) * in[i] })
			}
			for j := 0; j < no; j++ {
				c := float64(neuronBias(l, l.Bias, j)) + cur[j]
				if k == len(layers)-1 && m.Readout.Kind == ir.ReadoutMeanCurrent {
					acc[j] += c
					continue
				}
				keep := 1.0
				if s[k][j] {
					keep = 0
				}
				u[k][j] = float64(l.Neuron.Leak)*u[k][j]*keep + c
				s[k][j] = u[k][j] >= float64(l.Neuron.Threshold)
				if s[k][j] {
					next[j] = 1
					spikes[k]++
					if k == len(layers)-1 {
						counts[j]++
					}
				}
			}
			in = next
		}
	}
	if m.Readout.Kind == ir.ReadoutSpikeCount {
		acc = counts
	}
	pred := 0
	for j := range acc {
		if acc[j] > acc[pred] {
			pred = j
		}
	}
	return pred, acc, spikes
}

// spikeTrains is n binary inputs (the evaluator's spike trains), each 1 with
// probability 1/oneIn.
func spikeTrains(rng *rand.Rand, n, oneIn int) []float32 {
	x := make([]float32, n)
	for i := range x {
		if rng.IntN(oneIn) == 0 {
			x[i] = 1
		}
	}
	return x
}

// TestQuantizedAgreesWithFloat compiles random networks and compares the
// integer evaluation with the input float model sample by sample.
func TestQuantizedAgreesWithFloat(t *testing.T) {
	tg := loihi(t)
	for _, c := range []struct {
		sizes      []int
		T          int
		leak       float32
		bits       int
		spikeCount bool
	}{
		{[]int{64, 48, 32, 10}, 8, 0.9, 8, false},
		{[]int{64, 48, 10}, 16, 0.9, 8, true},
		{[]int{100, 64, 10}, 16, 0.5, 8, false},
		{[]int{100, 64, 10}, 8, 1, 8, false},
		{[]int{50, 40, 10}, 8, 0.8, 6, false},
	} {
		m := RandomDense(c.sizes, c.T, 11)
		for i := range m.Layers {
			m.Layers[i].Neuron.Leak = c.leak
		}
		if c.spikeCount {
			m.Readout.Kind = ir.ReadoutSpikeCount
		}
		res, err := Compile(m, tg, Options{WeightBits: c.bits, AfterPass: checkBetweenPasses(t, tg)})
		require.NoError(t, err)
		ev, err := NewInteger(res.Model)
		require.NoError(t, err)
		rng := rand.New(rand.NewPCG(5, 6))
		const n = 300
		agree, fired := 0, int64(0)
		var relSpikeErr float64
		for s := 0; s < n; s++ {
			x := make([]float32, c.sizes[0])
			for i := range x {
				x[i] = rng.Float32()
			}
			fp, _, fs := evalFloat(m, x) // the input model, not the compiled model's float layers
			r, err := ev.Run(x)
			require.NoError(t, err)
			if r.Pred == fp {
				agree++
			}
			for k := range fs {
				fired += fs[k]
				relSpikeErr += math.Abs(float64(fs[k] - r.Spikes[k]))
			}
		}
		rate := float64(agree) / n
		t.Logf("%v T=%d γ=%g %d-bit spike-count=%v: agreement %.1f%%, spikes %d, |Δspikes| %.2f%%", c.sizes, c.T, c.leak, c.bits, c.spikeCount, 100*rate, fired, 100*relSpikeErr/float64(fired))
		assert.Positive(t, fired, "the random network should spike")
		want := 0.95
		if c.bits < 8 {
			want = 0.85
		}
		assert.GreaterOrEqual(t, rate, want)
	}
}

// TestQuantizedExact: weights on the 8-bit grid, γ = 1/2 and binary input
// make the integer network reproduce the input float model spike for spike,
// prediction for prediction.
func TestQuantizedExact(t *testing.T) {
	tg := loihi(t)
	m := RandomDense([]int{40, 30, 20, 5}, 6, 3)
	m.Input.Encoding = ir.EncodingRate
	for li := range m.Layers {
		l := &m.Layers[li]
		l.Neuron.Leak = 0.5
		for i, w := range l.Weights {
			l.Weights[i] = float32(math.Round(float64(w)*16)) / 16 // multiples of 1/16, |w| < 127/16
		}
		for j := range l.Bias {
			l.Bias[j] = 0
		}
		l.Weights[0] = 127.0 / 16 // pins the scale: mantissa = w·32
	}
	res, err := Compile(m, tg, Options{})
	require.NoError(t, err)
	ev, err := NewInteger(res.Model)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 1))
	for s := 0; s < 100; s++ {
		x := spikeTrains(rng, 6*40, 3)
		fp, facc, fs := evalFloat(m, x) // the input model
		r, err := ev.Run(x)
		require.NoError(t, err)
		require.Equal(t, fs[:2], r.Spikes[:2], "sample %d", s)
		sc := float64(res.Model.Quantized.Layers[2].Scale)
		for j := range facc {
			assert.InDelta(t, facc[j]*sc, float64(r.Out[j]), 1e-6*math.Abs(facc[j]*sc)+1, "readout %d", j)
		}
		assert.Equal(t, fp, r.Pred)
	}
}

func TestQuantizeThresholdExact(t *testing.T) {
	tg := loihi(t)
	m := RandomDense([]int{30, 20, 4}, 4, 9)
	m.Layers[0].Neuron.Threshold = 0.37
	res, err := Compile(m, tg, Options{})
	require.NoError(t, err)
	for _, li := range []int{0} {
		ql := res.Model.Quantized.Layers[li]
		theta := float64(m.Layers[li].Neuron.Threshold)
		// ϑ·Scale = Vth·64 + 1: the chip's v > Vth·64 is the model's u ≥ ϑ
		assert.InDelta(t, float64(ql.Threshold)*64+1, theta*float64(ql.Scale), 0.05, "exact up to float32 Scale")
		assert.Equal(t, int32(4096), ql.DecayU)
		assert.Equal(t, int32(math.Round(4096*0.1)), ql.DecayV)
		assert.LessOrEqual(t, theta*float64(ql.Scale), float64(int(1)<<(23-targets.HeadroomBits)))
	}
	ro := res.Model.Quantized.Layers[1]
	assert.Equal(t, int32(0), ro.DecayV)
	assert.Equal(t, int32(1<<17-1), ro.Threshold)
	assert.Nil(t, res.Model.Quantized.Layers[0].Bias, "direct-current layer: bias computed on the host")
}

func TestLargeFanInRefused(t *testing.T) {
	// layer sizes of the 784-8192-8192-4096-10 example, with narrow
	// layers elsewhere so the test stays small: the 8192-input layer is refused
	m := RandomDense([]int{784, 8192, 16, 10}, 2, 1)
	_, err := Compile(m, loihi(t), Options{})
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "input axons per neuron", le.Limit)
	assert.Equal(t, 1, le.Layer)
	assert.Equal(t, int64(8192), le.Need)
	assert.Equal(t, int64(4096), le.Have)
}

func TestFlattenInput(t *testing.T) {
	tg := loihi(t)
	m := RandomDense([]int{64, 20, 10}, 4, 1)
	m.Input.Shape = []int{1, 8, 8}
	flat := ir.Layer{Name: "flat", Kind: ir.KindFlatten, InShape: []int{1, 8, 8}, OutShape: []int{64}}
	m.Layers = append([]ir.Layer{flat}, m.Layers...)
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Report.Layers[0].Index)
	assert.Empty(t, res.Model.Quantized.Layers[0].Weights)
	x := make([]float32, 64)
	for i := range x {
		x[i] = float32(i%7) / 7
	}
	fp, _, _ := evalFloat(res.Model, x)
	ip, _, err := EvalInteger(res.Model, x)
	require.NoError(t, err)
	assert.Equal(t, fp, ip)
}

// TestPartitionProperties compiles random layer sizes on randomly shrunk
// targets and checks every result against the target (Check) and the
// lower bound.
func TestPartitionProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	compiled := 0
	for it := 0; it < 25; it++ {
		tg := loihi(t)
		tg.Core.Neurons = 8 + rng.IntN(300)
		tg.Core.InputAxons = 300 + rng.IntN(800)
		tg.Core.OutputRoutes = 64 + rng.IntN(400)
		tg.Core.SynapseBits = int64(20_000 + rng.IntN(200_000))
		tg.Chip.Cores, tg.Chip.MeshWidth, tg.Chip.MeshHeight = 16, 4, 4
		n := 2 + rng.IntN(3)
		sizes := []int{1 + rng.IntN(300)}
		for k := 0; k < n; k++ {
			sizes = append(sizes, 1+rng.IntN(400))
		}
		m := RandomDense(sizes, 2, uint64(it))
		if rng.IntN(2) == 0 {
			m.Input.Encoding = ir.EncodingRate
		}
		res, err := Compile(m, tg, Options{WeightBits: []int{2, 4, 8}[rng.IntN(3)], AfterPass: checkBetweenPasses(t, tg)})
		if err != nil {
			var le *LimitError
			require.ErrorAs(t, err, &le, "sizes %v: %v", sizes, err)
			continue
		}
		compiled++
		r := res.Report
		assert.GreaterOrEqual(t, r.Cores, r.LowerBoundCores)
		for k, l := range r.Layers {
			assert.GreaterOrEqual(t, l.Cores, l.LowerBound, "sizes %v layer %d", sizes, k)
		}
	}
	t.Logf("%d of 25 compiled, the rest broke a limit", compiled)
	assert.Greater(t, compiled, 10)
}

// TestQuantizedConvExact: a Loihi conv net (pooling folded into the next
// layer) whose weights, after folding, sit on the 8-bit grid, with γ = 1/2,
// no bias and binary input, reproduces the input float model exactly:
// every prediction and every layer's spike count.
func TestQuantizedConvExact(t *testing.T) {
	tg := loihi(t)
	const side, T = 8, 4
	m := RandomConv(side, 1, T, 2, 4)
	m.Input.Encoding = ir.EncodingRate
	for li := range m.Layers {
		l := &m.Layers[li]
		if !l.HasNeurons() {
			continue
		}
		l.Neuron.Leak = 0.5
		// after a 2×2 pooling the fold divides by 4: multiples of 1/4 become
		// multiples of 1/16 and the pinned 127/4 becomes 127/16
		step := 16.0
		if li > 0 {
			step = 4
		}
		for i, w := range l.Weights {
			l.Weights[i] = float32(max(-126, min(126, math.Round(float64(w)*step))) / step)
		}
		clear(l.Bias)
		l.Weights[len(l.Weights)/2] = float32(127 / step) // pins the scale
	}
	res, err := Compile(m, tg, Options{})
	require.NoError(t, err)
	ev, err := NewInteger(res.Model)
	require.NoError(t, err)
	sc := float64(res.Model.Quantized.Layers[len(res.Model.Layers)-1].Scale)
	rng := rand.New(rand.NewPCG(3, 3))
	var fired int64
	preds := map[int]bool{}
	for s := 0; s < 60; s++ {
		x := spikeTrains(rng, T*side*side, 3)
		fp, facc, fs := evalFloat(m, x)
		r, err := ev.Run(x)
		require.NoError(t, err)
		require.Equal(t, fs, r.Spikes, "sample %d: spikes per layer", s)
		require.Equal(t, fp, r.Pred, "sample %d", s)
		for j := range facc {
			require.Equal(t, facc[j]*sc, float64(r.Out[j]), "sample %d: readout %d", s, j)
		}
		fired += fs[0] + fs[1]
		preds[fp] = true
	}
	assert.Positive(t, fired)
	assert.Greater(t, len(preds), 2, "the readout should not always pick one class")
}
