package targets

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConformance is the suite every target passes.
func TestConformance(t *testing.T) {
	names := AllNames()
	require.NotEmpty(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			tg, err := Lookup(name)
			require.NoError(t, err)
			t.Run("data", func(t *testing.T) { conformData(t, tg) })
			t.Run("memory", func(t *testing.T) { conformMemory(t, tg) })
			t.Run("weights", func(t *testing.T) { conformWeights(t, tg) })
			t.Run("neuron", func(t *testing.T) { conformNeuron(t, tg) })
			t.Run("hops", func(t *testing.T) { conformHops(t, tg) })
			t.Run("backend", func(t *testing.T) { conformBackend(t, tg) })
			t.Run("kernel", func(t *testing.T) { conformKernel(t, tg) })
			t.Run("quantize", func(t *testing.T) { conformQuantize(t, tg) })
		})
	}
}

func conformData(t *testing.T, tg *Target) {
	assert.NotEmpty(t, tg.Name)
	assert.NotEmpty(t, tg.Description)
	assert.Contains(t, []string{"multiplicative", "linear"}, tg.Leak)
	assert.NotPanics(t, func() { tg.Backend() })
	c := tg.Core
	for what, v := range map[string]int64{
		"neurons": int64(c.Neurons), "input_axons": int64(c.InputAxons), "output_routes": int64(c.OutputRoutes),
		"synapse_bits": c.SynapseBits, "synapse_formats": int64(c.SynapseFormats),
		"chip.cores": int64(tg.Chip.Cores), "mesh_width": int64(tg.Chip.MeshWidth), "mesh_height": int64(tg.Chip.MeshHeight),
		"tile_width": int64(tg.Chip.TileWidth), "tile_height": int64(tg.Chip.TileHeight), "max_chips": int64(tg.Chip.MaxChips),
		"bits.weight": int64(tg.Bits.Weight), "bits.threshold": int64(tg.Bits.Threshold), "bits.potential": int64(tg.Bits.Potential),
		"block_synapses": int64(tg.SynapseMemory.BlockSynapses), "word_bits": int64(tg.SynapseMemory.WordBits),
	} {
		assert.Positive(t, v, "limit %s must be positive", what)
	}
	assert.GreaterOrEqual(t, c.FanIn, 0)
	assert.GreaterOrEqual(t, c.FanOut, 0)
	assert.GreaterOrEqual(t, c.AxonTypes, 0)
	assert.Equal(t, tg.Chip.Cores, tg.Chip.MeshWidth*tg.Chip.MeshHeight, "mesh must hold the chip's cores")
	assert.Zero(t, tg.Chip.MeshWidth%tg.Chip.TileWidth, "tiles must divide the mesh")
	assert.Zero(t, tg.Chip.MeshHeight%tg.Chip.TileHeight, "tiles must divide the mesh")
	assert.GreaterOrEqual(t, tg.Chip.ChipHops, 0)
	assert.LessOrEqual(t, tg.Bits.WeightExpMin, tg.Bits.WeightExpMax)
	assert.True(t, tg.HasWeightBits(tg.Bits.Weight) || tg.Bits.Weight >= maxInts(tg.Bits.WeightChoices),
		"default weight width must be a choice or the field width")
	assert.NotEmpty(t, tg.Bits.WeightChoices)
	assert.LessOrEqual(t, tg.Bits.Potential, 32)

	keys := map[string]bool{}
	for _, s := range tg.Sources {
		assert.NotEmpty(t, s.Key)
		assert.NotEmpty(t, s.Citation)
		keys[s.Key] = true
	}
	require.NotEmpty(t, tg.Energy, "a target needs an energy model")
	for _, e := range tg.Energy {
		assert.NotEmpty(t, e.Name)
		assert.NotEmpty(t, e.Sources, "energy model %s needs sources", e.Name)
		for _, k := range e.Sources {
			assert.True(t, keys[k], "energy model %s cites unknown source %q", e.Name, k)
		}
		assert.Positive(t, e.Joules.SynapticOp, "energy model %s: synaptic op", e.Name)
		assert.GreaterOrEqual(t, e.Joules.HopEW, 0.0)
		assert.GreaterOrEqual(t, e.Joules.HopNS, 0.0)
		m, err := tg.EnergyModelNamed(e.Name)
		require.NoError(t, err)
		assert.Equal(t, e.Name, m.Name)
	}
	assert.NotEmpty(t, tg.LatencySources)
	for _, k := range tg.LatencySources {
		assert.True(t, keys[k], "latency cites unknown source %q", k)
	}
	_, err := tg.EnergyModelNamed("no-such-model")
	assert.Error(t, err)
}

// conformBackend checks that a backend's neuron model and capabilities
// agree with its data file: the leak the data names is the model's, a
// splitter family has a fan-out limit and typed axons to plan for, and
// IFNeuron runs the model's reference step (checked in conformNeuron).
func conformBackend(t *testing.T, tg *Target) {
	b := tg.Backend()
	switch b.NeuronModel() {
	case NeuronCUBA, NeuronLavaCUBA:
		assert.Equal(t, "multiplicative", tg.Leak)
	case NeuronLinearLeak:
		assert.Equal(t, "linear", tg.Leak)
	default:
		t.Fatalf("unknown neuron model %v", b.NeuronModel())
	}
	assert.NotContains(t, b.NeuronModel().String(), "NeuronModel(")
	c := b.Capabilities()
	if c.Splitters {
		assert.Positive(t, tg.Core.FanOut, "a splitter family limits fan-out")
		assert.Positive(t, tg.Core.AxonTypes, "the splitter plan maps weights to axon types")
		assert.False(t, tg.HostBias, "the splitter plan feeds the input as spikes")
	}
	if c.PopulationAxons {
		assert.Zero(t, tg.Core.FanOut, "population axons fan out to every core of a layer")
	}
	assert.Contains(t, Families(), tg.Family)
}

func maxInts(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

func conformMemory(t *testing.T, tg *Target) {
	b := tg.Backend()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, bits := range tg.Bits.WeightChoices {
		for _, sparse := range []bool{false, true} {
			f := SynapseFormat{WeightBits: bits, Sparse: sparse}
			assert.Zero(t, b.AxonSynapseBits(0, f))
			prev := int64(0)
			for n := 1; n <= 2*max(tg.Core.Neurons, 1024); n++ {
				c := b.AxonSynapseBits(n, f)
				if !assert.GreaterOrEqual(t, c, prev, "cost must be monotone (n=%d, %+v)", n, f) {
					return
				}
				lb := b.MinAxonSynapseBits(n, f)
				if !assert.LessOrEqual(t, lb, c, "lower bound above cost (n=%d)", n) {
					return
				}
				prev = c
			}
			// the lower bound holds for random splits
			for i := 0; i < 2000; i++ {
				n := 1 + rng.IntN(4*tg.Core.Neurons)
				total, left := int64(0), n
				for left > 0 {
					k := 1 + rng.IntN(left)
					total += b.AxonSynapseBits(k, f)
					left -= k
				}
				if !assert.LessOrEqual(t, b.MinAxonSynapseBits(n, f), total, "lower bound broken by a split of %d", n) {
					return
				}
			}
		}
	}
	// a core's cost is the sum over its axons
	f := SynapseFormat{WeightBits: tg.Bits.WeightChoices[len(tg.Bits.WeightChoices)-1]}
	assert.Equal(t, b.AxonSynapseBits(3, f)+b.AxonSynapseBits(70, f), CoreSynapseBits(b, []int{3, 0, 70}, f))
	// one synapse fits in one core
	assert.LessOrEqual(t, b.AxonSynapseBits(1, SynapseFormat{WeightBits: tg.Bits.WeightChoices[0]}), tg.Core.SynapseBits)
}

func conformWeights(t *testing.T, tg *Target) {
	b := tg.Backend()
	ok := 0
	for _, bits := range tg.Bits.WeightChoices {
		step, mx, err := b.WeightGrid(bits)
		if err != nil {
			continue
		}
		ok++
		assert.Positive(t, step)
		assert.Positive(t, mx)
		assert.Zero(t, mx%step)
		assert.Less(t, mx, int32(1)<<(tg.Bits.Weight+1), "weights fit the weight field")
		// encoding is monotone, saturates and is exact on the grid
		w := []float32{-1e9, -3.4, -1, 0, 0.49, 1, 2.5, 1e9}
		q := make([]int16, len(w))
		EncodeWeights(q, w, float32(step), step, mx)
		for i := 1; i < len(q); i++ {
			assert.LessOrEqual(t, q[i-1], q[i])
		}
		assert.Equal(t, int16(-mx), q[0])
		assert.Equal(t, int16(mx), q[len(q)-1])
		assert.Equal(t, int16(0), q[3])
		assert.Equal(t, int16(step), q[5])
	}
	assert.Positive(t, ok, "at least one usable weight precision")
	_, _, err := b.WeightGrid(99)
	assert.Error(t, err)
}

func conformNeuron(t *testing.T, tg *Target) {
	b := tg.Backend()
	for _, thr := range []int64{1, 2, 63, 64, 65, 100, 1000, 4097} {
		// zero input never fires and keeps zero state
		n := b.IFNeuron(thr)
		for i := 0; i < 10; i++ {
			assert.False(t, n.Step(0))
			assert.Zero(t, n.Potential())
		}
		// constant input x fires first at step ceil(thr/x), then resets
		for _, x := range []int64{1, 3, 64, thr, thr + 1} {
			n := b.IFNeuron(thr)
			want := int((thr + x - 1) / x)
			first := 0
			for i := 1; i <= want+1 && first == 0; i++ {
				if n.Step(x) {
					first = i
					assert.Zero(t, n.Potential(), "reset to zero")
				}
			}
			assert.Equal(t, want, first, "threshold %d input %d", thr, x)
		}
		// fires on reaching the threshold exactly (≥), not one below
		n = b.IFNeuron(thr)
		if thr > 1 {
			assert.False(t, n.Step(thr-1))
			assert.True(t, n.Step(1))
		}
	}
	// Loihi-style update properties on the shared definitions
	p := LoihiParams{DecayU: 4096, DecayV: 2048, WeightShift: 6, Vth: 10, PotentialBits: 24}
	var u, v int32
	LoihiStep(&p, &u, &v, 5, 0)
	assert.Equal(t, int32(5<<6), u)
	LoihiStep(&p, &u, &v, 0, 0)
	assert.Zero(t, u, "DecayU 4096 clears u")
	assert.Equal(t, int32(5<<6)/2, v, "DecayV 2048 halves v")
	assert.Equal(t, int32(-3), LoihiDecay(-7, 2048), "decay rounds toward zero")
	assert.Equal(t, int32(-(1<<23 - 1)), ClipSigned(-1<<40, 24))
	assert.Equal(t, int32(-1<<23), WrapSigned(1<<23, 24))
}

func conformHops(t *testing.T, tg *Target) {
	assert.Zero(t, tg.Hops(0, 0, 0, 0, 0, 0))
	w, h := tg.Chip.MeshWidth, tg.Chip.MeshHeight
	d := tg.Hops(0, 0, 0, 0, w-1, h-1)
	assert.Equal(t, (w-1)/tg.Chip.TileWidth+(h-1)/tg.Chip.TileHeight, d)
	assert.Equal(t, tg.Hops(0, 1, 2, 1, 3, 4), tg.Hops(1, 3, 4, 0, 1, 2), "symmetric")
	assert.Equal(t, tg.Chip.ChipHops, tg.Hops(0, 0, 0, 1, 0, 0))
}

func TestLoihiMemoryFigures(t *testing.T) {
	tg, err := Lookup("loihi")
	require.NoError(t, err)
	b := tg.Backend()
	f := SynapseFormat{WeightBits: 8}
	assert.Equal(t, int64(576), b.AxonSynapseBits(64, f), "64·8+10 = 522 bits → 9 words")
	assert.Equal(t, int64(576+64), b.AxonSynapseBits(65, f))
	// a dense 8-bit core holds about 116 k synapses
	assert.InDelta(t, 116508, tg.Core.SynapseBits/(576/64), 1)
	step, mx, err := b.WeightGrid(8)
	require.NoError(t, err)
	assert.Equal(t, int32(2), step)
	assert.Equal(t, int32(254), mx)
	step, mx, _ = b.WeightGrid(4)
	assert.Equal(t, int32(32), step)
	assert.Equal(t, int32(224), mx)
	_, _, err = b.WeightGrid(1)
	assert.Error(t, err)
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("spinnaker")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "loihi")
	assert.Contains(t, err.Error(), "truenorth")
}
