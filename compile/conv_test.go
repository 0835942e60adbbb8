package compile

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// pmIndex is the mapping index (group-major, position-major, see
// ConvOrder) of CHW index j of a conv layer's output.
func pmIndex(l *ir.Layer, j int) int {
	if l.Kind != ir.KindConv2D {
		return j
	}
	C, P := l.OutShape[0], l.OutShape[1]*l.OutShape[2]
	G := l.NumGroups()
	c, p := j/P, j%P
	return ((c/(C/G))*P+p)*(C/G) + c%(C/G)
}

// TestConvCoresBruteForce compiles a conv model onto small cores and checks
// every core of the conv layers against a brute-force count over all
// synapses: input axons (distinct inputs), synaptic memory (one list per
// axon with one synapse per reached neuron), the per-core limits, and the
// routes (exactly the core pairs a synapse connects, with the number of
// source neurons); with one and two groups in the second conv layer.
func TestConvCoresBruteForce(t *testing.T) {
	loihi, err := targets.Lookup("loihi")
	require.NoError(t, err)
	tg := *loihi
	tg.Core.Neurons, tg.Core.InputAxons, tg.Core.SynapseBits, tg.Core.OutputRoutes = 64, 500, 40_000, 300
	for _, c := range [][2]int{{1, 1}, {2, 1}, {1, 2}, {2, 2}} {
		s2, groups := c[0], c[1]
		m := RandomConv(16, s2, 4, 3, 3)
		if groups > 1 {
			l := &m.Layers[2]
			l.Groups = groups
			l.Weights = l.Weights[:len(l.Weights)/groups]
			require.NoError(t, ir.Verify(m))
		}
		res, err := Compile(m, &tg, Options{})
		require.NoError(t, err)
		cm := res.Model
		mp := cm.Mapping
		f := targets.SynapseFormat{WeightBits: cm.Quantized.WeightBits}
		b := tg.Behavior()
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
		for k, li := range chain {
			l := &cm.Layers[li]
			if l.Kind != ir.KindConv2D && k == 0 {
				continue
			}
			reach := map[int]map[int]int{} // core → input → neurons reached
			synapse := func(i, j int) {
				c := coreOf[[2]int{li, pmIndex(l, j)}]
				if reach[c] == nil {
					reach[c] = map[int]int{}
				}
				reach[c][i]++
				if k > 0 {
					prev := &cm.Layers[chain[k-1]]
					from := coreOf[[2]int{chain[k-1], pmIndex(prev, i)}]
					if wantRoutes[[2]int{from, c}] == nil {
						wantRoutes[[2]int{from, c}] = map[int]bool{}
					}
					wantRoutes[[2]int{from, c}][i] = true
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
			if k == 0 || l.Kind != ir.KindConv2D {
				continue // host input; dense cores are checked by Check
			}
			for c, core := range mp.Cores {
				if core.Layer != li {
					continue
				}
				var bits int64
				for _, nn := range reach[c] {
					bits += b.AxonSynapseBits(nn, f)
				}
				assert.Equal(t, len(reach[c]), core.InputAxons, "s2 %d groups %d core %d axons", s2, groups, c)
				assert.Equal(t, bits, core.SynapseBits, "s2 %d groups %d core %d bits", s2, groups, c)
				assert.LessOrEqual(t, core.InputAxons, tg.Core.InputAxons)
				assert.LessOrEqual(t, core.SynapseBits, tg.Core.SynapseBits)
				assert.LessOrEqual(t, core.NeuronCount, tg.Core.Neurons)
				assert.LessOrEqual(t, core.OutputRoutes, tg.Core.OutputRoutes)
			}
		}
		got := map[[2]int]int{}
		for _, r := range mp.Routes {
			got[[2]int{r.From, r.To}] = r.Axons
		}
		require.Equal(t, len(wantRoutes), len(got), "s2 %d groups %d: routes", s2, groups)
		for pq, src := range wantRoutes {
			assert.Equal(t, len(src), got[pq], "s2 %d groups %d route %v", s2, groups, pq)
		}
		assert.LessOrEqual(t, mp.LowerBoundCores, len(mp.Cores))
		convCores := 0
		for _, core := range mp.Cores {
			if cm.Layers[core.Layer].Kind == ir.KindConv2D {
				convCores++
			}
		}
		assert.Greater(t, convCores, 6, "s2 %d groups %d: conv layers on several cores", s2, groups)
	}
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
