package compile

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// layerBits is the synaptic memory of layer li's cores.
func layerBits(r *Result, li int) (b int64) {
	for _, c := range r.Model.Mapping.Cores {
		if c.Layer == li {
			b += c.SynapseBits
		}
	}
	return b
}

// TestSynapticDelayLimits: loihi2 takes delays up to 62 steps (lava-dl
// netx) and stores a delay field per synapse (more synaptic memory);
// longer delays and families without delays are refused with a
// LimitError naming the layer and the numbers.
func TestSynapticDelayLimits(t *testing.T) {
	tg := loihi2(t)
	m := RandomDense([]int{300, 200, 10}, 4, 2)
	plain, err := Compile(m, tg, Options{})
	require.NoError(t, err)
	m.Layers[1].Delay = 62
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	assert.Greater(t, layerBits(res, 1), layerBits(plain, 1), "delays cost DelayBits per synapse")

	m.Layers[1].Delay = 63
	_, err = Compile(m, tg, Options{})
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "synaptic delay", le.Limit)
	assert.Equal(t, int64(63), le.Need)
	assert.Equal(t, int64(62), le.Have)
	assert.Equal(t, "fc2", le.LayerName)

	m.Layers[1].Delay = 1
	for _, name := range []string{"loihi", "truenorth", "xylo-audio2"} {
		other, err := targets.Lookup(name)
		require.NoError(t, err)
		_, err = Compile(m, other, Options{})
		require.ErrorAs(t, err, &le, name)
		assert.Equal(t, "synaptic delay", le.Limit, name)
		assert.Equal(t, int64(0), le.Have, name)
		assert.Contains(t, err.Error(), "synaptic delay", name)
		// The delay is reported with the model's other violations
		// (this dense float model breaks more of each chip's limits),
		// not alone.
		var les LimitErrors
		require.ErrorAs(t, err, &les, name)
		if name != "loihi" {
			assert.Greater(t, len(les), 1, "%s: %v", name, err)
		}
	}
}

// TestDelayFieldOnInputAxonsOnly: in a delayed recurrent current-based
// layer only the layer's input axons store the delay field; the axons of
// its own (recurrent, undelayed) spikes and its bias axon use a format
// without it.
func TestDelayFieldOnInputAxonsOnly(t *testing.T) {
	tg := loihi2(t)
	m := RandomTemporal(40, []int{50, 30}, []bool{false, true}, 6, 8, 0.5, ir.ReadoutMaxPotential, 1)
	m.Layers[1].Delay = 4
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	require.True(t, res.Model.Quantized.Layers[1].BiasAxon())
	b := tg.Backend()
	f := targets.SynapseFormat{WeightBits: res.Model.Quantized.WeightBits}
	fd := f
	fd.Delays = true
	want := 50*b.AxonSynapseBits(30, fd) + (30+1)*b.AxonSynapseBits(30, f) // 50 inputs; 30 recurrent + 1 bias axons
	assert.Equal(t, want, layerBits(res, 1))
}

// TestConvDelays: a delay on a conv layer fed by population axons compiles
// for loihi2; every synapse of its stored lists then carries the delay
// field (SynapseMemory.DelayBits, 6 bits: targets/data/loihi2.json), so the
// layer's cores hold more bits than without the delay, and the verify pass
// (run between passes here) recomputes each core's bits with the field.
// A delay beyond 62 steps on a conv layer is refused as on a dense one.
func TestConvDelays(t *testing.T) {
	tg := loihi2(t)
	const conv2 = 2 // conv1, pool1, conv2, pool2, flatten, fc1
	m := RandomConv(16, 1, 4, 3, 1)
	require.Equal(t, ir.KindConv2D, m.Layers[conv2].Kind)
	plain, err := Compile(m, tg, Options{})
	require.NoError(t, err)
	m.Layers[conv2].Delay = 7
	res, err := Compile(m, tg, Options{AfterPass: checkBetweenPasses(t, tg)})
	require.NoError(t, err)
	li := -1 // conv2's index in the compiled model (pooling folded)
	for i := range res.Model.Layers {
		if res.Model.Layers[i].Name == "conv2" {
			li = i
		}
	}
	require.GreaterOrEqual(t, li, 0)
	assert.Equal(t, uint8(7), res.Model.Layers[li].Delay)
	assert.Greater(t, layerBits(res, li), layerBits(plain, li), "the population lists store a delay per synapse")

	// one core's lists (popScan, as partition and verify cost them) with
	// and without the delay field: the same lists, each synapse 6 bits
	// wider
	l := res.Model.Layers[li]
	scan := func(delay uint8) *popScan {
		l.Delay = delay
		p := newPopScan(&l, tg.Backend(), 8, false)
		p.reset(0)
		for range l.NumOutputs() {
			p.add()
		}
		return p
	}
	with, without := scan(7), scan(0)
	assert.True(t, with.syn.Delays)
	assert.False(t, without.syn.Delays)
	assert.Equal(t, without.axons, with.axons)
	assert.Greater(t, with.bits(), without.bits())

	m.Layers[conv2].Delay = 63
	_, err = Compile(m, tg, Options{})
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "conv2", le.LayerName)
	assert.Equal(t, int64(62), le.Have)
}
