package targets

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// xyloNet is a network that maps onto the part: in inputs, a recurrent
// hidden layer of h neurons (dense W and V, bit-shift decays, subtractive
// reset, no bias) and a dense readout of out neurons read by their
// potentials.
func xyloNet(in, h, out int) *Network {
	fill := func(n int) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = 0.01 * float32(i%7+1)
		}
		return w
	}
	return &Network{Inputs: in, Encoding: "events", Readout: "max-potential", Layers: []NetworkLayer{
		{Name: "rec", Kind: "recurrent", In: in, Out: h, Weights: fill(h * in), Recurrent: fill(h * h), Bias: make([]float32, h),
			Neurons: true, Leak: 0.875, CurrentDecay: 0.75, SubtractReset: true, MultiSpike: true},
		{Name: "out", Kind: "dense", In: h, Out: out, Weights: fill(out * h), Bias: make([]float32, out),
			Neurons: true, Leak: 0.9375, CurrentDecay: 0.5},
	}}
}

func rules(t *testing.T, name string, n *Network) []RuleViolation {
	tg, err := Lookup(name)
	require.NoError(t, err)
	return tg.Backend().(RecurrentCoreBackend).DesignRules(n)
}

func ruleNames(vs []RuleViolation) []string {
	var s []string
	for _, v := range vs {
		s = append(s, v.Rule)
	}
	return s
}

// TestDesignRules breaks one rule at a time and requires exactly that rule
// with the need and the limit computed by hand (or by brute force over the
// matrices, for fan-out and reach).
func TestDesignRules(t *testing.T) {
	assert.Empty(t, rules(t, "xylo-audio2", xyloNet(16, 64, 8)), "16-64r-8 fits XyloAudio 2")
	assert.Empty(t, rules(t, "xylo-audio3", xyloNet(16, 128, 32)), "16-128r-32 fits XyloAudio 3")
	type want struct {
		rule       string
		layer      int
		need, have int64
	}
	for _, c := range []struct {
		name, target string
		net          func() *Network
		want         want
	}{
		{"17 inputs", "xylo-audio2", func() *Network { return xyloNet(17, 64, 8) }, want{"input channels", -1, 17, 16}},
		{"9 outputs", "xylo-audio2", func() *Network { return xyloNet(16, 64, 9) }, want{"output neurons", 1, 9, 8}},
		{"33 outputs on audio3", "xylo-audio3", func() *Network { return xyloNet(16, 100, 33) }, want{"output neurons", 1, 33, 32}},
		{"1001 hidden, fan-out within 1024", "xylo-audio3", func() *Network {
			n := xyloNet(16, 993, 8)
			n.Layers[0].Weights = make([]float32, 993*16) // inputs reach only neuron 0
			n.Layers[0].Weights[0] = 1
			n.Layers[1].Weights = make([]float32, 8*993)
			n.Layers[1].Weights[0] = 1
			return n
		}, want{"hidden neurons", 0, 993, 992}},
		{"fan-out 65", "xylo-audio2", func() *Network { return xyloNet(16, 65, 8) }, want{"fan-out", 0, 65, 64}},
		{"fan-out of one sparse column", "xylo-audio2", func() *Network {
			n := xyloNet(16, 100, 8)
			V := make([]float32, 100*100)
			for o := 0; o < 70; o++ { // neuron 3 targets 70 neurons
				V[o*100+3] = 0.5
			}
			V[5*100+9] = 1
			n.Layers[0].Recurrent = V
			return n
		}, want{"fan-out", 0, 70, 64}},
		{"inputs beyond the first 128", "xylo-imu", func() *Network {
			n := xyloNet(16, 200, 8)
			n.Layers[0].Weights = make([]float32, 200*16)
			n.Layers[0].Weights[150*16+3] = 1 // input 3 → hidden 150
			n.Layers[1].Weights = make([]float32, 8*200)
			n.Layers[1].Weights[2*200+7] = 1 // hidden 7 → output 2
			return n
		}, want{"inputs reach the first hidden neurons", 0, 151, 128}},
		{"outputs beyond the first 128", "xylo-imu", func() *Network {
			n := xyloNet(16, 200, 8)
			n.Layers[0].Weights = make([]float32, 200*16)
			n.Layers[0].Weights[0] = 1
			n.Layers[1].Weights = make([]float32, 8*200)
			n.Layers[1].Weights[4*200+199] = 1 // hidden 199 → output 4
			return n
		}, want{"outputs read the first hidden neurons", 1, 200, 128}},
		{"bias", "xylo-audio2", func() *Network {
			n := xyloNet(16, 64, 8)
			n.Layers[0].Bias[3], n.Layers[0].Bias[9] = 0.1, -0.2
			return n
		}, want{"no bias", 0, 2, 0}},
		{"leak 0.95", "xylo-audio2", func() *Network { n := xyloNet(16, 64, 8); n.Layers[0].Leak = 0.95; return n }, want{"bit-shift decays", 0, 1, 0}},
		{"no current decay", "xylo-audio2", func() *Network { n := xyloNet(16, 64, 8); n.Layers[1].CurrentDecay = 0; return n }, want{"bit-shift decays", 1, 1, 0}},
		{"reset to zero", "xylo-audio2", func() *Network {
			n := xyloNet(16, 64, 8)
			n.Layers[0].SubtractReset, n.Layers[0].MultiSpike = false, false
			return n
		}, want{"subtractive reset", 0, 1, 0}},
		{"one spike per step", "xylo-audio2", func() *Network { n := xyloNet(16, 64, 8); n.Layers[0].MultiSpike = false; return n }, want{"several spikes per step", 0, 31, 1}},
		{"recurrent outputs", "xylo-audio2", func() *Network {
			n := xyloNet(16, 64, 8)
			n.Layers[1].Kind, n.Layers[1].Recurrent = "recurrent", make([]float32, 64)
			return n
		}, want{"output neurons are not recurrent", 1, 0, 0}},
		{"mean-current readout", "xylo-audio2", func() *Network { n := xyloNet(16, 64, 8); n.Readout = "mean-current"; return n }, want{"outputs come from neurons", 1, 1, 0}},
		{"direct input", "xylo-audio2", func() *Network { n := xyloNet(16, 64, 8); n.Encoding = "direct"; return n }, want{"event input", -1, 1, 0}},
		{"one neuron layer", "xylo-audio2", func() *Network { n := xyloNet(16, 8, 8); n.Layers = n.Layers[1:]; n.Layers[0].In = 16; return n }, want{"at least two neuron layers", -1, 2, 1}},
		{"two hidden layers", "xylo-audio2", func() *Network {
			n := xyloNet(16, 32, 8)
			h2 := NetworkLayer{Name: "h2", Kind: "dense", In: 32, Out: 32, Weights: make([]float32, 32*32), Bias: make([]float32, 32),
				Neurons: true, Leak: 0.5, CurrentDecay: 0.5, SubtractReset: true, MultiSpike: true}
			n.Layers = []NetworkLayer{n.Layers[0], h2, n.Layers[1]}
			n.Layers[2].In = 32
			return n
		}, want{"one hidden population", 1, 2, 1}},
		{"pooling first", "xylo-audio2", func() *Network {
			n := xyloNet(16, 64, 8)
			n.Layers = append([]NetworkLayer{{Name: "pool", Kind: "avgpool", In: 16, Out: 16}}, n.Layers...)
			return n
		}, want{"first module is a weight", 0, 1, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			vs := rules(t, c.target, c.net())
			var got *RuleViolation
			for i := range vs {
				if vs[i].Rule == c.want.rule {
					got = &vs[i]
				}
			}
			require.NotNil(t, got, "want %q, got %v", c.want.rule, ruleNames(vs))
			assert.Equal(t, c.want, want{got.Rule, got.Layer, got.Need, got.Have}, got.Detail)
			assert.Contains(t, got.Detail, c.want.rule)
			if c.name != "pooling first" { // the pooling layer also breaks the dense-only rule
				assert.Len(t, vs, 1, "one rule broken: %v", ruleNames(vs))
			}
		})
	}
	// a pooling layer feeding a weight matrix: two weights in a row
	n := xyloNet(16, 64, 8)
	n.Layers = append(n.Layers[:1], append([]NetworkLayer{{Name: "pool", Kind: "avgpool", In: 64, Out: 64}}, n.Layers[1:]...)...)
	assert.Contains(t, ruleNames(rules(t, "xylo-audio2", n)), "no two weight layers in a row")
}

// TestDesignRuleFanOutBruteForce compares the fan-out rule with a count
// over random sparse matrices.
func TestDesignRuleFanOutBruteForce(t *testing.T) {
	for seed := range 20 {
		n := xyloNet(16, 90, 8)
		V := make([]float32, 90*90)
		worst := 0
		for j := 0; j < 90; j++ {
			c := 0
			for o := 0; o < 90; o++ {
				if (o*31+j*17+seed*7)%(2+seed%5) == 0 {
					V[o*90+j] = 1
					c++
				}
			}
			worst = max(worst, c)
		}
		n.Layers[0].Recurrent = V
		vs := rules(t, "xylo-audio2", n)
		if worst > 64 {
			require.Len(t, vs, 1, fmt.Sprint(seed))
			assert.Equal(t, int64(worst), vs[0].Need)
		} else {
			assert.Empty(t, vs)
		}
	}
}
