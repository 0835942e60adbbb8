package compile

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
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

// feasibleConvCores returns, for every set of conv layer l's neurons
// (bit j of the index: mapping index j), whether some compartment order of
// it fits one core: compartments, input axons and synaptic memory (costs
// from bruteConvCoreLocal), and at most maxNeurons neurons (the output
// routes to a next layer of one core).
func feasibleConvCores(t *testing.T, l *ir.Layer, core targets.CoreLimits, maxNeurons, weightBits int, b targets.Backend, pop16 bool) []bool {
	n := l.NumOutputs()
	require.LessOrEqual(t, n, 12, "exhaustive search is for tiny layers")
	axonLimit := core.InputAxons
	if pop16 {
		axonLimit = min(axonLimit, popFormats(b).Pop16MaxAxons)
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
	feasible := make([]bool, 1<<n)
	for mask := 1; mask < len(feasible); mask++ {
		if bits.OnesCount(uint(mask)) > min(core.Neurons, maxNeurons) {
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
	return feasible
}

// fewestBlocks is the fewest feasible sets covering all len(feasible)−1
// bits (−1: none do).
func fewestBlocks(feasible []bool) int {
	const none = math.MaxInt32
	full := len(feasible) - 1
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
	if opt[full] == none {
		return -1
	}
	return opt[full]
}

// exhaustiveConvCores returns the fewest cores any packing of conv layer l
// takes under the core's compartment, input-axon and synaptic-memory
// limits (routes are left out: the tests give them room), over every
// partition of its neurons into cores and every compartment order on each
// core, and the fewest any partition into contiguous ranges of the mapping
// order takes (−1: none fits).
func exhaustiveConvCores(t *testing.T, l *ir.Layer, core targets.CoreLimits, weightBits int, b targets.Backend, pop16 bool) (anyPacking, contiguous int) {
	n := l.NumOutputs()
	feasible := feasibleConvCores(t, l, core, n, weightBits, b, pop16)
	// contiguous ranges [i, j) in mapping order, compartments in that order
	const none = math.MaxInt32
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
			local := make([]int, n)
			for x := range local {
				local[x] = -1
			}
			for c, x := range order {
				local[x] = c
			}
			axonLimit := core.InputAxons
			if pop16 {
				axonLimit = min(axonLimit, popFormats(b).Pop16MaxAxons)
			}
			if ax, bt := bruteConvCoreLocal(t, l, local, weightBits, b, pop16); ax <= axonLimit && bt <= core.SynapseBits {
				dp[j] = min(dp[j], dp[i]+1)
			}
		}
	}
	contiguous = -1
	if dp[n] != none {
		contiguous = dp[n]
	}
	return fewestBlocks(feasible), contiguous
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
// search, and the search catches a bound one core too large (it exceeds
// the optimum in some case). The compiler's own cores are the optimum over contiguous ranges
// of the mapping order (cutRanges searches layers this small exactly),
// which is logged with it. (The limits here rarely let list sharing bind:
// TestConvShareBoundExhaustive covers it.)
func TestConvLowerBoundExhaustive(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(19, 3))
	checked := 0
	var bounds []boundCheck
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
		b := loihi.Backend()
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
		bounds = append(bounds, boundCheck{name, lr.LowerBound, opt})
		assert.LessOrEqual(t, opt, contiguous, name)
		assert.Equal(t, contiguous, lr.Cores, "%s: the compiler's search is exact on layers this small", name)
		t.Logf("%s: bound %d by %s, optimum %d (contiguous %d), compiler %d", name, lr.LowerBound, lr.BoundBy, opt, contiguous, lr.Cores)
		checked++
	}
	require.GreaterOrEqual(t, checked, 40)
	assert.Empty(t, boundViolations(bounds, 0), "the bound exceeds the optimum")
	// the search can catch a bound that is too large: one more core
	// exceeds the optimum somewhere
	assert.NotEmpty(t, boundViolations(bounds, 1), "a bound one core larger is not caught")
}

// boundCheck is a layer's lower bound and the fewest cores it takes.
type boundCheck struct {
	name          string
	bound, fewest int
}

// boundViolations lists the checks whose bound plus extra exceeds the
// fewest cores.
func boundViolations(cs []boundCheck, extra int) []string {
	var bad []string
	for _, c := range cs {
		if c.bound+extra > c.fewest {
			bad = append(bad, fmt.Sprintf("%s: bound %d+%d > fewest %d", c.name, c.bound, extra, c.fewest))
		}
	}
	return bad
}

// TestPopScanAnyOrder: popScan.addNeuron gives the axons and bits of the
// independent count (bruteConvCoreLocal) for random sets of a layer's
// neurons in random compartment orders, both axon kinds.
func TestPopScanAnyOrder(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	b := loihi.Backend()
	rng := rand.New(rand.NewPCG(7, 19))
	for i := range 30 {
		k := 1 + rng.IntN(4)
		groups := 1 + rng.IntN(2)
		m := tinyConvModel(rng, groups*(1+rng.IntN(3)), k+rng.IntN(6), groups*(1+rng.IntN(3)), k, 1+rng.IntN(2), rng.IntN(k), groups, i%2 == 0)
		l := &m.Layers[0]
		n := l.NumOutputs()
		for _, p16 := range []bool{false, true} {
			scan := newPopScan(l, b, 8, p16)
			order := rng.Perm(n)[:1+rng.IntN(n)]
			scan.reset(0)
			local := make([]int, n)
			for j := range local {
				local[j] = -1
			}
			for c, j := range order {
				scan.addNeuron(j, false)
				local[j] = c
			}
			ax, bits := bruteConvCoreLocal(t, l, local, 8, b, p16)
			assert.Equal(t, ax, scan.axons, "case %d pop16 %v", i, p16)
			assert.Equal(t, bits, scan.bits(), "case %d pop16 %v", i, p16)
		}
	}
}

// greedyPack cuts the neurons of conv layer l (mapping indices, in the
// given order, which is also the compartment order on each core) into
// runs, each the longest prefix of the rest that fits a core's
// compartments, input axons and synaptic memory (memory is not monotone
// in the length: every length up to a core's compartments is tried, as
// the compiler's sweep does), and returns each neuron's core.
func greedyPack(tb testing.TB, l *ir.Layer, order []int, core targets.CoreLimits, b targets.Backend, pop16 bool) []int {
	axonLimit := core.InputAxons
	if pop16 {
		axonLimit = min(axonLimit, popFormats(b).Pop16MaxAxons)
	}
	scan := newPopScan(l, b, 8, pop16)
	coreOf := make([]int, len(order))
	for c, start := 0, 0; start < len(order); c++ {
		scan.reset(0)
		best := 0
		for i := start; i < min(len(order), start+core.Neurons); i++ {
			scan.addNeuron(order[i], false)
			if scan.axons > axonLimit {
				break // axons only grow
			}
			if scan.bits() <= core.SynapseBits {
				best = i + 1 - start
			}
		}
		if best == 0 {
			tb.Fatalf("neuron %d alone does not fit a core", order[start])
		}
		for _, n := range order[start : start+best] {
			coreOf[n] = c
		}
		start += best
	}
	return coreOf
}

// BenchmarkConvPackings measures what the candidate neuron orders give
// with a greedy cut on Loihi for the second conv
// layer of the MNIST conv net 28x28x1-16c5-p2-32c5-p2-10 (pool1 folded:
// 16×24×24 → 32×8×8, kernel 10, stride 2) and of
// 28x28x1-32c3p1-32c3p1-p2-64c3p1-64c3s2p1-10 (32×28×28 → 32×28×28,
// kernel 3, padding 1), both fed by pop16 axons: the layer cut greedily in
// each order, and the cores its source layer (conv1, current input) then
// needs under the compartment and output-route limits, cut greedily in
// position-major order. Orders: the compiler's candidates
// (convOrderCandidates: position-major, channel blocks, strided position
// classes (y mod r, x mod r), strided row classes (y mod r), square
// tiles and row classes ⌈KH/SH⌉ apart column-interleaved), of which
// partition keeps the best per layer with its own search (and there a
// source fed by the host's current takes its route-balanced order,
// convbalance.go, not position-major). Run:
// go test -run XXX -bench ConvPackings -benchtime 1x -v ./compile/
func BenchmarkConvPackings(b *testing.B) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(b, err)
	rng := rand.New(rand.NewPCG(28, 5))
	mnist, _ := mnistPooledConv2(rng)
	deep := convLayer(32, 28, 28, 32, 3, 1, 1, 1, func(int) float32 { return float32(rng.NormFloat64() / 20) })
	for range b.N {
		for _, l := range []*ir.Layer{mnist, deep} {
			convPackings(b, l, loihi)
		}
	}
}

func convPackings(b *testing.B, l *ir.Layer, loihi *targets.Target) {
	g := geomOf(l)
	P, C := g.oh*g.ow, g.oc
	type order struct {
		name string
		n    []int
	}
	// the compiler's candidate orders (convorder.go), as mapping indices
	// of ConvOrder, n = position·C + channel (one group)
	var orders []order
	for _, c := range convOrderCandidates(l) {
		n := make([]int, C*P)
		for k := range n {
			n[k] = k
			if c.order != nil {
				j := int(c.order[k])
				n[k] = (j%P)*C + j/P
			}
		}
		orders = append(orders, order{c.name, n})
	}
	core := loihi.Core
	beh := loihi.Backend()
	b.Logf("%v → %v, kernel %v stride %v padding %v", l.InShape, l.OutShape, l.Kernel, l.Stride, l.Padding)
	for _, o := range orders {
		coreOf := greedyPack(b, l, o.n, core, beh, true)
		cores := slices.Max(coreOf) + 1
		// a source neuron at pixel (iy, ix): the layer's cores it reaches
		reach := make([]int, g.ih*g.iw)
		for iy := 0; iy < g.ih; iy++ {
			for ix := 0; ix < g.iw; ix++ {
				seen := map[int]bool{}
				for oy := 0; oy < g.oh; oy++ {
					for ox := 0; ox < g.ow; ox++ {
						if ky, kx := iy-oy*g.sh+g.ph, ix-ox*g.sw+g.pw; ky >= 0 && ky < g.kh && kx >= 0 && kx < g.kw {
							for c := range C {
								seen[coreOf[(oy*g.ow+ox)*C+c]] = true
							}
						}
					}
				}
				reach[iy*g.iw+ix] = len(seen)
			}
		}
		src, count, routes := 1, 0, 0
		for p := range reach {
			for range g.ic { // the source's channels at the pixel; pop16: 1 slot a route
				if count+1 > core.Neurons || routes+reach[p] > core.OutputRoutes {
					src, count, routes = src+1, 0, 0
				}
				count, routes = count+1, routes+reach[p]
			}
		}
		b.Logf("%-48s layer %2d cores, source %2d cores, both %2d", o.name, cores, src, cores+src)
	}
}

// tinyConvChain is conv A (direct-current input, so it has no synapses on
// chip) feeding conv B (population axons), flatten and a 2-neuron dense
// readout.
func tinyConvChain(rng *rand.Rand, side, ca, cb, k, stride, pad, groups int) *ir.Model {
	m := tinyConvModel(rng, 1, side, ca, 1, 1, 0, 1, false)
	m.Input.Encoding = ir.EncodingDirect
	a := m.Layers[0]
	a.Name = "convA"
	b := convLayer(ca, a.OutShape[1], a.OutShape[2], cb, k, stride, pad, groups, func(int) float32 { return float32(rng.NormFloat64()) })
	b.Name, b.Neuron = "convB", a.Neuron
	n := b.NumOutputs()
	fl := ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: b.OutShape, OutShape: []int{n}}
	fc := m.Layers[2]
	fc.InShape, fc.Weights = []int{n}, make([]float32, 2*n)
	for i := range fc.Weights {
		fc.Weights[i] = float32(rng.NormFloat64())
	}
	m.Layers = []ir.Layer{a, *b, fl, fc}
	return m
}

// TestConvRouteBoundExhaustive proves the lower bounds of two chained conv
// layers on tiny cases with tight output routes: over every packing of B
// (any neurons per core, any compartment order, both axon kinds, at most
// as many neurons per core as its routes to the one-core readout allow)
// and, for each, the fewest cores A then needs (any neurons per core, its
// routes the B cores each neuron reaches × the axon kind's slots), the
// bound of each layer never exceeds the fewest cores it takes in any
// packing of both (and a bound one core larger would, for each layer in
// some case), and the compiler's cores are at least the optimum. Every
// other case has a tight linearMemory, so that B's list-sharing cap binds
// and A's route bound counts ⌈reach/cap⌉ > 1 routes for some neurons; a
// bound one core larger is caught among those cases too.
func TestConvRouteBoundExhaustive(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	beh := loihi.Backend()
	rng := rand.New(rand.NewPCG(19, 7))
	checked := 0
	var boundsA, boundsB, reach []boundCheck
	for i := 0; checked < 60 && i < 900; i++ {
		side, ca := 2+rng.IntN(2), 1+rng.IntN(2) // A: 1×1 kernel, ca×side×side
		k := 1 + rng.IntN(side)
		groups := 1 + rng.IntN(ca)
		cb := groups * (1 + rng.IntN(2))
		m := tinyConvChain(rng, side, ca, cb, k, 1+rng.IntN(2), rng.IntN(k), groups)
		a, b := &m.Layers[0], &m.Layers[1]
		na, nb := a.NumOutputs(), b.NumOutputs()
		if na > 10 || nb > 7 || nb < 2 || ir.Verify(m) != nil {
			continue
		}
		_, bits1 := popNeuronNeed(b, beh, 8)
		tg := *loihi
		tg.Core.Neurons = 2 + rng.IntN(3)
		tg.Core.InputAxons = 64
		tg.Core.SynapseBits = max(64*int64(nb), bits1+rng.Int64N(3*bits1+1))
		if i%2 == 1 { // tighter: B's list sharing binds, and with it A's routes
			tg = linearMemory(tg)
			_, bits1 = popNeuronNeed(b, tg.Backend(), 8)
			tg.Core.SynapseBits = bits1 + rng.Int64N(2*bits1+1)
		}
		tg.Core.OutputRoutes = 2 + rng.IntN(8)
		res, err := Compile(m, &tg, Options{PlaceIters: -1})
		if err != nil {
			continue
		}
		rep := map[string]LayerReport{}
		for _, lr := range res.Report.Layers {
			rep[lr.Name] = lr
		}
		if rep["fc"].Cores != 1 {
			continue
		}
		// B neurons (mapping index) each A neuron (mapping index) feeds
		feeds := make([][]int, na)
		ir.ConvTaps(b, func(in, out, _ int) { feeds[pmIndex(a, in)] = append(feeds[pmIndex(a, in)], pmIndex(b, out)) })
		minA, minB, minTotal := -1, -1, -1
		for _, p16 := range []bool{false, true} {
			slots := popSlots(beh, p16)
			feasB := feasibleConvCores(t, b, tg.Core, tg.Core.OutputRoutes, res.Model.Quantized.WeightBits, tg.Backend(), p16)
			coreOf := make([]int, nb)
			feasA := make([]bool, 1<<na)
			// every partition of B into feasible cores: the lowest
			// unplaced neuron's core is chosen among the feasible sets
			var walk func(left, cores int)
			walk = func(left, cores int) {
				if left != 0 {
					low := left & -left
					rest := left &^ low
					for sub := rest; ; sub = (sub - 1) & rest {
						if block := sub | low; feasB[block] {
							for j := range nb {
								if block>>j&1 == 1 {
									coreOf[j] = cores
								}
							}
							walk(left&^block, cores+1)
						}
						if sub == 0 {
							break
						}
					}
					return
				}
				routes := make([]int, na)
				for x, fs := range feeds {
					seen := map[int]bool{}
					for _, y := range fs {
						seen[coreOf[y]] = true
					}
					routes[x] = len(seen) * slots
				}
				for mask := 1; mask < len(feasA); mask++ {
					r := 0
					for x := range na {
						if mask>>x&1 == 1 {
							r += routes[x]
						}
					}
					feasA[mask] = bits.OnesCount(uint(mask)) <= tg.Core.Neurons && r <= tg.Core.OutputRoutes
				}
				coresA := fewestBlocks(feasA)
				if coresA < 0 {
					return
				}
				upd := func(best *int, v int) {
					if *best < 0 || v < *best {
						*best = v
					}
				}
				upd(&minA, coresA)
				upd(&minB, cores)
				upd(&minTotal, coresA+cores)
			}
			walk(1<<nb-1, 0)
		}
		name := fmt.Sprintf("case %d: %v → %v → %v, core %d neurons %d bits %d routes", i, a.InShape, a.OutShape, b.OutShape,
			tg.Core.Neurons, tg.Core.SynapseBits, tg.Core.OutputRoutes)
		require.Positive(t, minTotal, "%s: the compiled packing is one of those searched", name)
		la, lb := rep["convA"], rep["convB"]
		boundsA = append(boundsA, boundCheck{name + " convA", la.LowerBound, minA})
		if la.BoundBy == "output routes" && int64(la.LowerBound) > ceilDiv(int64(na), int64(tg.Core.OutputRoutes)) {
			reach = append(reach, boundCheck{name + " convA", la.LowerBound, minA}) // above one route per neuron
		}
		boundsB = append(boundsB, boundCheck{name + " convB", lb.LowerBound, minB})
		assert.LessOrEqual(t, minTotal, la.Cores+lb.Cores, name)
		t.Logf("%s: A bound %d fewest %d, B bound %d fewest %d; optimum A+B %d, compiler %d+%d",
			name, la.LowerBound, minA, lb.LowerBound, minB, minTotal, la.Cores, lb.Cores)
		checked++
	}
	require.GreaterOrEqual(t, checked, 60)
	assert.Empty(t, boundViolations(boundsA, 0), "convA's bound exceeds its fewest cores")
	assert.Empty(t, boundViolations(boundsB, 0), "convB's bound exceeds its fewest cores")
	assert.NotEmpty(t, boundViolations(boundsA, 1), "a convA bound one core larger is not caught")
	assert.NotEmpty(t, boundViolations(boundsB, 1), "a convB bound one core larger is not caught")
	t.Logf("%d cases where convA's route bound counts more than one route per neuron (⌈reach/cap⌉)", len(reach))
	assert.NotEmpty(t, reach, "the route bound never counts more than one route per neuron")
	assert.NotEmpty(t, boundViolations(reach, 1), "a convA route bound one core larger is not caught")
}

// linearMemory is t with a synaptic memory without blocks (one synapse a
// block, no header, 1-bit words): a list costs exactly its synapses' bits,
// so that block rounding does not hide the list-sharing bound on tiny
// layers.
func linearMemory(t targets.Target) targets.Target {
	t.SynapseMemory.BlockSynapses, t.SynapseMemory.BlockHeaderBits, t.SynapseMemory.WordBits = 1, 0, 1
	return t
}

// shareCases calls fn with random tiny conv layers (weights drawn from a
// normal distribution, so columns are private, or pooled: each 2×2 block
// of taps one column, as a folded average pooling makes them) and a
// Loihi-like core whose synaptic memory holds between one neuron's lists
// and a few times that, compartments for up to 4 neurons and room for
// every neuron in axons and routes; every other case uses linearMemory. fn reports whether it
// used the case.
func shareCases(t *testing.T, want int, fn func(name string, m *ir.Model, tg *targets.Target) bool) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(19, 11))
	done := 0
	for i := 0; done < want && i < 40*want; i++ {
		k := 2 + rng.IntN(3)
		stride := 1 + rng.IntN(2)
		pad := rng.IntN(2)
		groups := 1 + rng.IntN(2)
		ic := groups * (1 + rng.IntN(2))
		oc := groups * (1 + rng.IntN(2))
		side := k + rng.IntN(3)
		pooled := i%3 == 0
		m := tinyConvModel(rng, ic, side, oc, k, stride, pad, groups, false)
		l := &m.Layers[0]
		if pooled {
			shareAcrossPool(l)
		}
		n := l.NumOutputs()
		if n < 3 || n > 9 || ir.Verify(m) != nil {
			continue
		}
		tg := *loihi
		if i%2 == 1 {
			tg = linearMemory(tg)
		}
		_, bits1 := popNeuronNeed(l, tg.Backend(), 8)
		tg.Core.Neurons = min(n, 4) // the search tries every order of a core's neurons
		tg.Core.InputAxons = 1 << 12
		tg.Core.OutputRoutes = 1 << 20
		tg.Core.SynapseBits = bits1 + rng.Int64N(3*bits1+1)
		name := fmt.Sprintf("case %d: %dx%dx%d → %v k %d s %d p %d g %d pooled %v linear %v, %d bits",
			i, ic, side, side, l.OutShape, k, stride, pad, groups, pooled, i%2 == 1, tg.Core.SynapseBits)
		if fn(name, m, &tg) {
			done++
		}
	}
	require.Equal(t, want, done)
}

// shareAcrossPool makes conv layer l's kernel constant on 2×2 blocks of
// taps, as an average pool folded into it makes it.
func shareAcrossPool(l *ir.Layer) {
	g := geomOf(l)
	for o := range g.oc {
		for c := range g.icg {
			for ky := range g.kh {
				for kx := range g.kw {
					l.Weights[((o*g.icg+c)*g.kh+ky)*g.kw+kx] = l.Weights[((o*g.icg+c)*g.kh+ky/2*2)*g.kw+kx/2*2]
				}
			}
		}
	}
}

// TestConvShareBoundExhaustive proves the list-sharing bound (convlb.go)
// on the tiny layers of shareCases, by exhaustive search over every set of
// neurons, every compartment order and both axon kinds:
//
//   - popCoreCap: no set of more neurons than the cap fits one core, and
//     in some cases one of exactly the cap does (a cap one neuron smaller
//     would be caught);
//   - the compile report's bound never exceeds the fewest cores of any
//     packing, "list sharing" binds in many cases, and a list-sharing
//     bound one core larger exceeds the optimum in some case.
func TestConvShareBoundExhaustive(t *testing.T) {
	var bounds, sharing []boundCheck
	tight, below := 0, 0
	shareCases(t, 25, func(name string, m *ir.Model, tg *targets.Target) bool {
		l := &m.Layers[0]
		b := tg.Backend()
		most, opt := 0, -1
		for _, p16 := range []bool{false, true} {
			feasible := feasibleConvCores(t, l, tg.Core, l.NumOutputs(), 8, b, p16)
			for mask, ok := range feasible {
				if ok {
					most = max(most, bits.OnesCount(uint(mask)))
				}
			}
			if a := fewestBlocks(feasible); a >= 0 && (opt < 0 || a < opt) {
				opt = a
			}
		}
		c := popCoreCap(l, b, 8, tg.Core)
		assert.LessOrEqual(t, most, c, "%s: a core holds more than the cap", name)
		if most == c {
			tight++
		}
		if c < tg.Core.Neurons {
			below++
		}
		res, err := Compile(m, tg, Options{PlaceIters: -1})
		if err != nil {
			t.Logf("%s: cap %d, most on a core %d (of %d); not compiled: %v", name, c, most, l.NumOutputs(), err)
			return true // a limit the search leaves out (the readout) broke
		}
		require.Equal(t, 8, res.Model.Quantized.WeightBits)
		lr := res.Report.Layers[0]
		require.Equal(t, l.Name, lr.Name)
		require.Positive(t, opt, name)
		bc := boundCheck{name, lr.LowerBound, opt}
		bounds = append(bounds, bc)
		if lr.BoundBy == "list sharing" {
			sharing = append(sharing, bc)
		}
		t.Logf("%s: cap %d, most on a core %d (of %d); bound %d by %s, optimum %d, compiler %d",
			name, c, most, l.NumOutputs(), lr.LowerBound, lr.BoundBy, opt, lr.Cores)
		return true
	})
	assert.Positive(t, tight, "the cap is never reached: a cap one smaller is not caught")
	assert.GreaterOrEqual(t, below, 10, "the cap is rarely below the compartments")
	assert.Empty(t, boundViolations(bounds, 0), "the bound exceeds the optimum")
	assert.GreaterOrEqual(t, len(sharing), 5, "list sharing rarely binds")
	assert.NotEmpty(t, boundViolations(sharing, 1), "a list-sharing bound one core larger is not caught")
}

// TestConvBoundCeilings checks the conv layers' lower bound on layers of
// real size against packings built here, independently of the compiler's
// partition: the conv layers of 28x28x1-16c5-p2-32c5-p2-10 (conv2, pool1
// folded) and of 28x28x1-32c3p1-32c3p1-p2-64c3p1-64c3s2p1-10 (conv2,
// conv3 with pool folded, conv4), random weights, cut greedily in
// channel-major order (each core holds whole channels at every position,
// the cheapest way to store a channel's lists), either axon kind. The
// bound (compartments, popLowerBound and popCoreCap, as partitionConv
// counts them) never exceeds those packings' cores; the log shows how far
// apart they are, which is as high as any per-layer bound of these layers
// could ever go.
func TestConvBoundCeilings(t *testing.T) {
	for _, name := range []string{"loihi", "loihi2"} {
		tg, err := targets.Lookup(name)
		require.NoError(t, err)
		convBoundCeilings(t, tg)
	}
}

func convBoundCeilings(t *testing.T, loihi *targets.Target) {
	b := loihi.Backend()
	rng := rand.New(rand.NewPCG(28, 7))
	pooled := func(ic, side, oc, k, stride, pad int) *ir.Layer { // pool 2 folded into a k×k conv
		w := make([]float32, oc*ic*k*k)
		for i := range w {
			w[i] = float32(rng.NormFloat64() / 20)
		}
		return convLayer(ic, side, side, oc, 2*k, 2*stride, 2*pad, 1, func(i int) float32 {
			x, y, rest := i%(2*k), i/(2*k)%(2*k), i/(4*k*k)
			return w[(rest*k+y/2)*k+x/2] / 4
		})
	}
	random := func(ic, side, oc, k, stride, pad int) *ir.Layer {
		return convLayer(ic, side, side, oc, k, stride, pad, 1, func(int) float32 { return float32(rng.NormFloat64() / 20) })
	}
	layers := []struct {
		name string
		l    *ir.Layer
	}{
		{"16c5-p2-32c5 conv2", pooled(16, 24, 32, 5, 1, 0)},
		{"32c3p1-32c3p1 conv2", random(32, 28, 32, 3, 1, 1)},
		{"p2-64c3p1 conv3", pooled(32, 28, 64, 3, 1, 1)},
		{"64c3s2p1 conv4", random(64, 14, 64, 3, 2, 1)},
	}
	for _, c := range layers {
		l := c.l
		g := geomOf(l)
		out := l.NumOutputs()
		axons, bits := popLowerBound(l, b, 8)
		bound := max(ceilDiv(int64(out), int64(loihi.Core.Neurons)), ceilDiv(axons, int64(loihi.Core.InputAxons)),
			ceilDiv(bits, loihi.Core.SynapseBits), ceilDiv(int64(out), int64(popCoreCap(l, b, 8, loihi.Core))))
		order := make([]int, 0, out) // channel-major: n = position·OutC + channel
		for co := range g.oc {
			for p := range g.oh * g.ow {
				order = append(order, p*g.oc+co)
			}
		}
		cores := -1
		for _, p16 := range []bool{false, true} {
			if p16 && !pop16Allowed(b, l) {
				continue
			}
			coreOf := greedyPack(t, l, order, loihi.Core, b, p16)
			if n := slices.Max(coreOf) + 1; cores < 0 || n < cores {
				cores = n
			}
		}
		assert.LessOrEqual(t, bound, int64(cores), c.name)
		t.Logf("%s %-20s %v → %v: bound %d, channel-major packing %d cores (%d neurons)", loihi.Name, c.name, l.InShape, l.OutShape, bound, cores, out)
	}
}
