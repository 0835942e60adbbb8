package energy_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// TestConvModelEnergy: for a conv model with pooling, N_MAC of the ANN is
// the exact conv formula summed over the float model's layers (pooling and
// flatten 0), the seed's N_AC is the float reference's synaptic events, and
// the Loihi report's AC is the chip simulator's synaptic operations (true
// fan-out), with the ANN baseline taken from the float model although the
// compiler folded the pooling.
func TestConvModelEnergy(t *testing.T) {
	const side, n = 16, 10
	m := compile.RandomConv(side, 1, 4, 3, 2)
	m.Input.Scale = 1.0 / 255
	want := int64(0)
	for _, l := range m.Layers {
		switch l.Kind {
		case ir.KindConv2D:
			want += int64(l.OutShape[0]*l.OutShape[1]*l.OutShape[2]) * int64(l.InShape[0]*l.Kernel[0]*l.Kernel[1])
		case ir.KindDense:
			want += int64(l.NumInputs() * l.NumOutputs())
		}
	}
	// conv1 4·16·16·9 + conv2 6·8·8·36 + fc 10·96
	require.Equal(t, int64(4*16*16*9+6*8*8*36+10*96), want)
	_, total, err := energy.ANNMACs(m)
	require.NoError(t, err)
	assert.Equal(t, want, total)

	set := randomSet(side, n)
	ctx := context.Background()
	fst, err := sim.RunFloat(ctx, m, set, sim.Options{})
	require.NoError(t, err)
	seed, err := energy.Seed(m, energy.FromStats(fst), energy.Seed45nm)
	require.NoError(t, err)
	assert.InDelta(t, float64(fst.Total.SynapticOps)/n, seed.AC, 1e-9, "seed N_AC = float synaptic events")
	assert.Equal(t, float64(want), seed.ANNMAC)

	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	res, err := compile.Compile(m, tg, compile.Options{})
	require.NoError(t, err)
	st, err := sim.Run(ctx, res.Model, set, sim.Options{})
	require.NoError(t, err)
	em, err := tg.EnergyModelNamed("davies2018")
	require.NoError(t, err)
	rep, err := energy.Chip(res.Model, energy.FromStats(st), tg, em)
	require.NoError(t, err)
	assert.Greater(t, rep.ANNMAC, float64(want), "the folded layers are larger")
	require.NoError(t, energy.UseANN(rep, m))
	assert.Equal(t, float64(want), rep.ANNMAC)
	assert.InDelta(t, rep.EnergyPerInference/(float64(want)*energy.Seed45nm.MAC), rep.Ratio, 1e-12)
	assert.InDelta(t, float64(st.Total.SynapticOps)/n, rep.AC, 1e-9, "AC = simulator's synaptic ops")
	assert.Positive(t, rep.AC)
}
