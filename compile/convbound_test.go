package compile

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// tinyConvModel is a one-conv-layer model fed by spikes (rate input, so
// the conv layer's input is on chip) with a 2-neuron dense readout.
func tinyConvModel(rng *rand.Rand, ic, side, oc, k, stride, pad, groups int, small bool) *ir.Model {
	m := &ir.Model{Name: "tiny-conv", Input: ir.Input{Shape: []int{ic, side, side}, Encoding: ir.EncodingRate, Scale: 1},
		Timesteps: 2, Readout: ir.Readout{Kind: ir.ReadoutMeanCurrent}, Provenance: &ir.Provenance{Method: ir.MethodNone}}
	lif := ir.LIF{Leak: 0.9, Threshold: 1, Reset: ir.ResetZero}
	weight := func() float32 {
		if small {
			return float32(rng.IntN(2)+1) / 4 // few values: many equal columns
		}
		return float32(rng.NormFloat64())
	}
	conv := convLayer(ic, side, side, oc, k, stride, pad, groups, func(int) float32 { return weight() })
	conv.Neuron = lif
	n := conv.NumOutputs()
	fl := ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: conv.OutShape, OutShape: []int{n}}
	fc := ir.Layer{Name: "fc", Kind: ir.KindDense, InShape: []int{n}, OutShape: []int{2},
		Weights: make([]float32, 2*n), Bias: make([]float32, 2), Neuron: lif}
	for i := range fc.Weights {
		fc.Weights[i] = weight()
	}
	m.Layers = []ir.Layer{*conv, fl, fc}
	return m
}

// exhaustiveConvCores returns the fewest cores any packing of conv layer l
// takes under the core's compartment, input-axon and synaptic-memory
// limits (routes are left out: the tests give them room), over every
// partition of its neurons into cores and every compartment order on each
// core (costs from bruteConvCoreLocal), and the fewest any partition into
// contiguous ranges of the mapping order takes (−1: none fits).
func exhaustiveConvCores(t *testing.T, l *ir.Layer, core targets.CoreLimits, weightBits int, b targets.Behavior, pop16 bool) (anyPacking, contiguous int) {
	n := l.NumOutputs()
	require.LessOrEqual(t, n, 12, "exhaustive search is for tiny layers")
	axonLimit := core.InputAxons
	if pop16 {
		axonLimit = min(axonLimit, pop16MaxAxons)
	}
	local := make([]int, n)
	fits := func(order []int) bool {
		for i := range local {
			local[i] = -1
		}
		for c, j := range order {
			local[j] = c
		}
		ax, bt := bruteConvCoreLocal(t, l, local, weightBits, b, pop16)
		return ax <= axonLimit && bt <= core.SynapseBits
	}
	// feasible[mask]: some compartment order of the neurons in mask fits
	full := 1<<n - 1
	feasible := make([]bool, full+1)
	for mask := 1; mask <= full; mask++ {
		if bits.OnesCount(uint(mask)) > core.Neurons {
			continue
		}
		var members []int
		for j := range n {
			if mask>>j&1 == 1 {
				members = append(members, j)
			}
		}
		feasible[mask] = anyPermutation(members, fits)
	}
	// opt[mask]: fewest feasible blocks covering mask (the block holding
	// mask's lowest neuron is chosen first)
	const none = math.MaxInt32
	opt := make([]int, full+1)
	for mask := 1; mask <= full; mask++ {
		opt[mask] = none
		low := mask & -mask
		rest := mask &^ low
		for sub := rest; ; sub = (sub - 1) & rest {
			if block := sub | low; feasible[block] && opt[mask&^block] != none {
				opt[mask] = min(opt[mask], opt[mask&^block]+1)
			}
			if sub == 0 {
				break
			}
		}
	}
	anyPacking, contiguous = -1, -1
	if opt[full] != none {
		anyPacking = opt[full]
	}
	// contiguous ranges [i, j) in mapping order, compartments in that order
	dp := make([]int, n+1)
	for j := 1; j <= n; j++ {
		dp[j] = none
		for i := max(0, j-core.Neurons); i < j; i++ {
			if dp[i] == none {
				continue
			}
			order := make([]int, 0, j-i)
			for k := i; k < j; k++ {
				order = append(order, k)
			}
			if fits(order) {
				dp[j] = min(dp[j], dp[i]+1)
			}
		}
	}
	if dp[n] != none {
		contiguous = dp[n]
	}
	return anyPacking, contiguous
}

// anyPermutation reports whether fn accepts some ordering of xs (Heap's
// algorithm; xs is permuted in place).
func anyPermutation(xs []int, fn func([]int) bool) bool {
	c := make([]int, len(xs))
	if fn(xs) {
		return true
	}
	for i := 0; i < len(xs); {
		if c[i] < i {
			if i%2 == 0 {
				xs[0], xs[i] = xs[i], xs[0]
			} else {
				xs[c[i]], xs[i] = xs[i], xs[c[i]]
			}
			if fn(xs) {
				return true
			}
			c[i]++
			i = 0
		} else {
			c[i] = 0
			i++
		}
	}
	return false
}

// TestConvLowerBoundExhaustive proves the conv layer's lower bound on tiny
// layers: for random geometries (kernel, stride, padding, groups, weights
// with and without equal columns) and tight random core limits, the
// bound the compile report gives never exceeds the true optimum, the
// fewest cores over every packing (any neurons on a core, in any
// compartment order, both population axon kinds) found by exhaustive
// search. The compiler's own cores are at least the optimum over
// contiguous ranges (a check of the search), which is logged with it.
func TestConvLowerBoundExhaustive(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(19, 3))
	checked := 0
	for i := 0; checked < 40 && i < 400; i++ {
		k := 1 + rng.IntN(3)
		stride := 1 + rng.IntN(2)
		pad := rng.IntN(k)
		groups := 1 + rng.IntN(2)
		ic := groups * (1 + rng.IntN(2))
		oc := groups * (1 + rng.IntN(2))
		side := k + rng.IntN(3)
		m := tinyConvModel(rng, ic, side, oc, k, stride, pad, groups, i%2 == 0)
		l := &m.Layers[0]
		n := l.NumOutputs()
		if n < 3 || n > 9 || ir.Verify(m) != nil {
			continue
		}
		b := loihi.Behavior()
		// limits around what one neuron needs, so that they bind
		ax1, bits1 := popNeuronNeed(l, b, 8)
		tg := *loihi
		tg.Core.Neurons = 2 + rng.IntN(3)
		tg.Core.InputAxons = max(n, int(ax1)+rng.IntN(int(ax1)+2))
		tg.Core.SynapseBits = max(64*int64(n), bits1+rng.Int64N(3*bits1+1))
		tg.Core.OutputRoutes = 1 << 20
		res, err := Compile(m, &tg, Options{PlaceIters: -1})
		if err != nil {
			continue // a limit the search leaves out (the readout) broke
		}
		var lr *LayerReport
		for x := range res.Report.Layers {
			if res.Report.Layers[x].Name == l.Name {
				lr = &res.Report.Layers[x]
			}
		}
		require.NotNil(t, lr)
		opt, contiguous := -1, -1
		for _, p16 := range []bool{false, true} {
			a, c := exhaustiveConvCores(t, l, tg.Core, res.Model.Quantized.WeightBits, b, p16)
			if a >= 0 && (opt < 0 || a < opt) {
				opt = a
			}
			if c >= 0 && (contiguous < 0 || c < contiguous) {
				contiguous = c
			}
		}
		name := fmt.Sprintf("case %d: %dx%dx%d → %v k %d s %d p %d g %d, core %d neurons %d axons %d bits",
			i, ic, side, side, l.OutShape, k, stride, pad, groups, tg.Core.Neurons, tg.Core.InputAxons, tg.Core.SynapseBits)
		require.Positive(t, opt, name)
		require.Positive(t, contiguous, name)
		assert.LessOrEqual(t, lr.LowerBound, opt, "%s: the bound exceeds the optimum", name)
		assert.LessOrEqual(t, opt, contiguous, name)
		assert.LessOrEqual(t, contiguous, lr.Cores, name)
		t.Logf("%s: bound %d, optimum %d (contiguous %d), compiler %d", name, lr.LowerBound, opt, contiguous, lr.Cores)
		checked++
	}
	require.GreaterOrEqual(t, checked, 40)
}
