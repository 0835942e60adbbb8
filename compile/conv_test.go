package compile

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// pmIndex is the mapping index of CHW index j of a conv layer's output:
// in the layer's MapOrder if it has one, else group-major,
// position-major (see ConvOrder).
func pmIndex(l *ir.Layer, j int) int {
	if l.Kind != ir.KindConv2D {
		return j
	}
	if len(l.MapOrder) > 0 { // an order of the layer's own: its inverse
		inv, ok := mapOrderInverse[&l.MapOrder[0]]
		if !ok || len(inv) != len(l.MapOrder) {
			inv = make([]int, len(l.MapOrder))
			for n, x := range l.MapOrder {
				inv[x] = n
			}
			mapOrderInverse[&l.MapOrder[0]] = inv
		}
		return inv[j]
	}
	C, P := l.OutShape[0], l.OutShape[1]*l.OutShape[2]
	G := l.NumGroups()
	c, p := j/P, j%P
	return ((c/(C/G))*P+p)*(C/G) + c%(C/G)
}

// mapOrderInverse caches the inverse of the MapOrders pmIndex has seen,
// by their first element (tests of this package do not run in parallel).
var mapOrderInverse = map[*int32][]int{}

// bfList is one synapse of a population list: compartment (local index on
// the core), population (input channel within the group) and weight.
type bfList struct {
	local, pop int
	w          float32
}

// bruteConvCore recomputes, independently of the compiler's incremental
// scan, the input axons and synaptic memory of the Loihi core holding
// neurons [start, start+count) of conv layer l (mapping order), from
// ir.ConvTaps: one axon per (group, input pixel) with a synapse on the
// core; its list holds (population, compartment − base, weight) with base
// the smallest compartment it reaches (pop16: rounded down to a multiple of
// 4), split into the axon offset base mod
// 256 and the index offset added to the stored indices; identical lists
// are stored once; every synapse stores an index of the width the core's
// largest stored index needs (0, or 6…12 bits).
func bruteConvCore(t *testing.T, l *ir.Layer, start, count int, weightBits int, b targets.Backend, pop16 bool) (int, int64) {
	local := make([]int, l.NumOutputs())
	for n := range local {
		local[n] = n - start
		if n < start || n >= start+count {
			local[n] = -1
		}
	}
	return bruteConvCoreLocal(t, l, local, weightBits, b, pop16)
}

// bruteConvCoreLocal is bruteConvCore for any set of the layer's neurons
// in any compartment order: local[n] is the compartment of the neuron at
// mapping index n on the core, −1 if it is not on the core.
func bruteConvCoreLocal(t *testing.T, l *ir.Layer, local []int, weightBits int, b targets.Backend, pop16 bool) (int, int64) {
	G := l.NumGroups()
	icg := l.InShape[0] / G
	HW := l.InShape[1] * l.InShape[2]
	lists := map[int][]bfList{}
	ir.ConvTaps(l, func(i, j, w int) {
		n := local[pmIndex(l, j)]
		if n < 0 {
			return
		}
		ci, pix := i/HW, i%HW
		k := (ci/icg)*HW + pix
		lists[k] = append(lists[k], bfList{n, ci % icg, l.Weights[w]})
	})
	distinct := map[string]int{}
	maxIdx := 0
	for _, es := range lists {
		base := es[0].local
		for _, e := range es {
			base = min(base, e.local)
		}
		if pop16 {
			base -= base % 4
		}
		off := base - base%256
		sort.Slice(es, func(x, y int) bool {
			if es[x].pop != es[y].pop {
				return es[x].pop < es[y].pop
			}
			return es[x].local < es[y].local
		})
		perPop := map[int]int{}
		var key strings.Builder
		fmt.Fprintf(&key, "%d|", off)
		for _, e := range es {
			perPop[e.pop]++
			fmt.Fprintf(&key, "%d,%d,%g;", e.pop, e.local-base+off, float64(e.w)+0)
			maxIdx = max(maxIdx, e.local-base+off)
		}
		require.Len(t, perPop, icg, "every population of a list has synapses")
		for _, c := range perPop {
			require.Equal(t, len(es)/icg, c, "every population of a list has the same synapses")
		}
		distinct[key.String()] = len(es)
	}
	width := 0
	if maxIdx > 0 {
		need := bits.Len(uint(maxIdx))
		for _, w := range []int{6, 7, 8, 9, 10, 11, 12} {
			if w >= need {
				width = w
				break
			}
		}
		require.NotZero(t, width, "index %d fits 12 bits", maxIdx)
	}
	var total int64
	for _, n := range distinct {
		total += b.AxonSynapseBits(n, targets.SynapseFormat{WeightBits: weightBits, Sparse: width > 0, IndexBits: width})
	}
	return len(lists), total
}

// randomConvModel is a small conv model for the brute-force checks: conv1
// (3×3, padding 1) on a c0×side×side input, then conv2 with the given
// geometry, flatten and a dense readout of 10. With small weights they are
// drawn from {−1, 0, 1}/4 (many equal columns), otherwise N(0, 1/fan-in).
func randomConvModel(rng *rand.Rand, c0, side, c1, c2, k, stride, pad, groups int, rate, small bool) *ir.Model {
	m := &ir.Model{Name: "bf-conv", Input: ir.Input{Shape: []int{c0, side, side}, Encoding: ir.EncodingDirect, Scale: 1},
		Timesteps: 2, Readout: ir.Readout{Kind: ir.ReadoutMeanCurrent}, Provenance: &ir.Provenance{Method: ir.MethodNone}}
	if rate {
		m.Input.Encoding = ir.EncodingRate
	}
	lif := ir.LIF{Leak: 0.9, Threshold: 1, Reset: ir.ResetZero}
	fill := func(w []float32, fan int) {
		for i := range w {
			if small {
				w[i] = float32(rng.IntN(3)-1) / 4
			} else {
				w[i] = float32(rng.NormFloat64() / math.Sqrt(float64(fan)))
			}
		}
	}
	conv := func(name string, in []int, oc, k, s, p, g int) ir.Layer {
		oh, ow := (in[1]+2*p-k)/s+1, (in[2]+2*p-k)/s+1
		l := ir.Layer{Name: name, Kind: ir.KindConv2D, InShape: in, OutShape: []int{oc, oh, ow}, Groups: g,
			Weights: make([]float32, oc*in[0]/g*k*k), Bias: make([]float32, oc),
			Kernel: [2]int{k, k}, Stride: [2]int{s, s}, Padding: [2]int{p, p}, Neuron: lif}
		fill(l.Weights, in[0]/g*k*k)
		return l
	}
	l1 := conv("conv1", []int{c0, side, side}, c1, 3, 1, 1, 1)
	l2 := conv("conv2", l1.OutShape, c2, k, stride, pad, groups)
	n := ir.ShapeSize(l2.OutShape)
	fl := ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: l2.OutShape, OutShape: []int{n}}
	fc := ir.Layer{Name: "fc1", Kind: ir.KindDense, InShape: []int{n}, OutShape: []int{10},
		Weights: make([]float32, 10*n), Bias: make([]float32, 10), Neuron: lif}
	fill(fc.Weights, n)
	m.Layers = []ir.Layer{l1, l2, fl, fc}
	return m
}

// TestConvCoresBruteForce compiles conv models onto small cores and checks
// every core of the conv layers with on-chip input against a brute-force
// count over all synapses (bruteConvCore), the per-core limits (output
// routes at 2 slots per pop32 route into a conv layer), that the cut takes
// no more cores than the greedy one (the longest range that fits from each
// start; without synapses on chip every cut is that longest range), the routes (exactly the core pairs a synapse connects,
// with the number of source neurons) and the lower bound: RandomConv with
// one and two groups (pooling folded into the second conv layer, so its
// kernel has equal columns), and random geometries (kernel, stride,
// padding, groups, spike or current input, weights with many equal
// columns).
func TestConvCoresBruteForce(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	type tcase struct {
		name string
		m    *ir.Model
		tg   targets.Target
	}
	var cases []tcase
	small := func(neurons, axons int, bits int64, routes int) targets.Target {
		tg := *loihi
		tg.Core.Neurons, tg.Core.InputAxons, tg.Core.SynapseBits, tg.Core.OutputRoutes = neurons, axons, bits, routes
		return tg
	}
	for _, c := range [][2]int{{1, 1}, {2, 1}, {1, 2}, {2, 2}} {
		s2, groups := c[0], c[1]
		m := RandomConv(16, s2, 4, 3, 3)
		if groups > 1 {
			l := &m.Layers[2]
			l.Groups = groups
			l.Weights = l.Weights[:len(l.Weights)/groups]
			require.NoError(t, ir.Verify(m))
		}
		cases = append(cases, tcase{fmt.Sprintf("RandomConv s2 %d groups %d", s2, groups), m, small(64, 500, 30_000, 300)})
	}
	rng := rand.New(rand.NewPCG(5, 9))
	for i := range 20 {
		c1 := []int{2, 4, 6, 8}[rng.IntN(4)]
		groups := []int{1, 2}[rng.IntN(2)]
		c2 := groups * (1 + rng.IntN(4))
		k := 1 + rng.IntN(5)
		stride := 1 + rng.IntN(2)
		pad := rng.IntN(k)
		side := 5 + rng.IntN(6)
		m := randomConvModel(rng, 1+rng.IntN(2), side, c1, c2, k, stride, pad, groups, i%2 == 0, i%3 == 0)
		require.NoError(t, ir.Verify(m), "case %d", i)
		// the dense readout needs 64 bits per input for one neuron
		mem := max([]int64{5_000, 10_000, 20_000, 150_000}[rng.IntN(4)], 64*int64(m.Layers[1].NumOutputs()))
		tg := small(16+rng.IntN(112), max(400, m.Layers[1].NumOutputs()), mem, 200)
		name := fmt.Sprintf("random %d: %dx%dx%d c1 %d c2 %d k %d s %d p %d g %d", i, m.Input.Shape[0], side, side, c1, c2, k, stride, pad, groups)
		cases = append(cases, tcase{name, m, tg})
	}
	ordered := 0 // conv layers the compiler gave an order of their own
	for _, tc := range cases {
		tg := tc.tg
		res, err := Compile(tc.m, &tg, Options{PlaceIters: 200})
		require.NoError(t, err, tc.name)
		cm := res.Model
		for i := range cm.Layers {
			if len(cm.Layers[i].MapOrder) > 0 {
				ordered++
			}
		}
		mp := cm.Mapping
		wb := cm.Quantized.WeightBits
		b := tg.Backend()
		coreOf := map[[2]int]int{} // (layer, mapping index) → core
		for c, core := range mp.Cores {
			for n := core.NeuronStart; n < core.NeuronStart+core.NeuronCount; n++ {
				coreOf[[2]int{core.Layer, n}] = c
			}
		}
		var chain []int
		for i := range cm.Layers {
			if cm.Layers[i].HasNeurons() {
				chain = append(chain, i)
			}
		}
		wantRoutes := map[[2]int]map[int]bool{}
		targetsOf := map[[2]int]map[int]bool{} // (layer, mapping index) → cores of the next layer reached
		for k, li := range chain {
			l := &cm.Layers[li]
			synapse := func(i, j int) {
				c := coreOf[[2]int{li, pmIndex(l, j)}]
				if k > 0 {
					prev := &cm.Layers[chain[k-1]]
					src := [2]int{chain[k-1], pmIndex(prev, i)}
					from := coreOf[src]
					if wantRoutes[[2]int{from, c}] == nil {
						wantRoutes[[2]int{from, c}] = map[int]bool{}
					}
					wantRoutes[[2]int{from, c}][i] = true
					if targetsOf[src] == nil {
						targetsOf[src] = map[int]bool{}
					}
					targetsOf[src][c] = true
				}
			}
			if l.Kind == ir.KindConv2D {
				convTaps(l, func(i, j, _ int) { synapse(i, j) })
			} else {
				for j := 0; j < l.NumOutputs(); j++ {
					for i := 0; i < l.NumInputs(); i++ {
						synapse(i, j)
					}
				}
			}
		}
		for k, li := range chain {
			l := &cm.Layers[li]
			if l.Kind != ir.KindConv2D {
				continue
			}
			onChip := k > 0 || cm.Input.Encoding != ir.EncodingDirect
			// the axon kinds the report gives: checked against the
			// chip's rules, then every figure recomputed for them
			kind := func(li int) int {
				for _, lr := range res.Report.Layers {
					if lr.Index == li {
						return lr.AxonKind
					}
				}
				return 0
			}
			pop16 := kind(li) == 16
			if onChip {
				require.Contains(t, []int{16, 32}, kind(li), "%s layer %d", tc.name, li)
			}
			if pop16 {
				require.LessOrEqual(t, l.InShape[0]/l.NumGroups(), 32, "%s: pop16 has at most 32 atoms", tc.name)
			}
			slots := 1
			if k+1 < len(chain) && cm.Layers[chain[k+1]].Kind == ir.KindConv2D {
				slots = 2
				if kind(chain[k+1]) == 16 {
					slots = 1
				}
			}
			axonLimit := tg.Core.InputAxons
			if pop16 {
				axonLimit = min(axonLimit, 1024)
			}
			routes := func(start, count int) int {
				r := 0
				for n := start; n < start+count; n++ {
					r += len(targetsOf[[2]int{li, n}])
				}
				return r * slots
			}
			for c, core := range mp.Cores {
				if core.Layer != li {
					continue
				}
				assert.LessOrEqual(t, core.NeuronCount, tg.Core.Neurons)
				assert.LessOrEqual(t, core.OutputRoutes*slots, tg.Core.OutputRoutes, "%s core %d slots", tc.name, c)
				assert.Equal(t, routes(core.NeuronStart, core.NeuronCount)/slots, core.OutputRoutes, "%s core %d routes", tc.name, c)
				fits := func(count int) bool {
					if count > tg.Core.Neurons || routes(core.NeuronStart, count) > tg.Core.OutputRoutes {
						return false
					}
					if !onChip {
						return true
					}
					ax, bits := bruteConvCore(t, l, core.NeuronStart, count, wb, b, pop16)
					return ax <= axonLimit && bits <= tg.Core.SynapseBits
				}
				if onChip {
					ax, bits := bruteConvCore(t, l, core.NeuronStart, core.NeuronCount, wb, b, pop16)
					assert.Equal(t, ax, core.InputAxons, "%s core %d axons", tc.name, c)
					assert.Equal(t, bits, core.SynapseBits, "%s core %d bits", tc.name, c)
					assert.LessOrEqual(t, core.InputAxons, axonLimit)
					assert.LessOrEqual(t, core.SynapseBits, tg.Core.SynapseBits)
				} else {
					assert.Zero(t, core.InputAxons)
					assert.Zero(t, core.SynapseBits)
				}
				// without synapses on chip every limit is monotone and the
				// compiler keeps the longest range from each start
				for n := core.NeuronCount + 1; !onChip && n <= min(tg.Core.Neurons, l.NumOutputs()-core.NeuronStart); n++ {
					if fits(n) {
						t.Errorf("%s core %d: %d neurons from %d fit, the compiler cut at %d", tc.name, c, n, core.NeuronStart, core.NeuronCount)
						break
					}
				}
			}
			if onChip { // the compiler's search never takes more cores than the greedy cut
				greedy := 0
				for start := 0; start < l.NumOutputs(); greedy++ {
					longest := 0
					for n := 1; n <= min(tg.Core.Neurons, l.NumOutputs()-start); n++ {
						if ax, bits := bruteConvCore(t, l, start, n, wb, b, pop16); ax <= axonLimit && bits <= tg.Core.SynapseBits &&
							routes(start, n) <= tg.Core.OutputRoutes {
							longest = n
						}
					}
					require.Positive(t, longest, "%s: a neuron from %d fits", tc.name, start)
					start += longest
				}
				cores := 0
				for _, core := range mp.Cores {
					if core.Layer == li {
						cores++
					}
				}
				assert.LessOrEqual(t, cores, greedy, "%s layer %d: more cores than the greedy cut", tc.name, li)
			}
		}
		got := map[[2]int]int{}
		for _, r := range mp.Routes {
			got[[2]int{r.From, r.To}] = r.Axons
		}
		require.Equal(t, len(wantRoutes), len(got), "%s: routes", tc.name)
		for pq, src := range wantRoutes {
			assert.Equal(t, len(src), got[pq], "%s route %v", tc.name, pq)
		}
		assert.LessOrEqual(t, mp.LowerBoundCores, len(mp.Cores), tc.name)
		for _, lr := range res.Report.Layers {
			assert.LessOrEqual(t, lr.LowerBound, lr.Cores, "%s layer %s", tc.name, lr.Name)
			t.Logf("%s: %s %d cores (bound %d), %s, pop%d, %s", tc.name, lr.Name, lr.Cores, lr.LowerBound, lr.Binding, lr.AxonKind, lr.MapOrder)
		}
	}
	t.Logf("%d conv layers in an order of their own", ordered)
	require.Positive(t, ordered, "no case exercises a mapping order other than position-major")
}

// TestPoolingRefusals: pooling the chip cannot do and that cannot be
// folded is refused with the layer and the reason; a real-valued conv
// model is refused on truenorth with the limits it breaks.
func TestPoolingRefusals(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	m := RandomConv(16, 1, 4, 3, 1)
	m.Layers[1].Stride = [2]int{1, 1}
	m.Layers[1].OutShape = []int{4, 15, 15}
	m.Layers[2].InShape = []int{4, 15, 15}
	m.Layers[2].OutShape = []int{6, 15, 15}
	m.Layers[3].InShape = []int{6, 15, 15}
	m.Layers[3].OutShape = []int{6, 7, 7}
	m.Layers[4].InShape = []int{6, 7, 7}
	m.Layers[4].OutShape = []int{294}
	m.Layers[5].InShape = []int{294}
	m.Layers[5].Weights = make([]float32, 2940)
	require.NoError(t, ir.Verify(m))
	_, err = Compile(m, loihi, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pool1")
	assert.Contains(t, err.Error(), "non-overlapping")

	tn, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	_, err = Compile(RandomConv(16, 1, 4, 3, 1), tn, Options{})
	require.Error(t, err)
	for _, want := range []string{"layer 0 (conv1): direct-current input", "layer 1 (conv2): axon types: neuron 9 (channel 0 at 1,1)",
		"leak γ = 0.9 is multiplicative"} {
		assert.Contains(t, err.Error(), want)
	}
}
