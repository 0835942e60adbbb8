package targets

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

func TestEncodeBiases(t *testing.T) {
	b, e := EncodeBiases([]float32{1, -2, 0.5}, 10000, 13, 7)
	assert.Equal(t, int8(3), e)
	assert.Equal(t, []int32{1250, -2500, 625}, b)
}

// conformQuantize: the family's quantizer puts a random spiking layer's
// weights on its weight grid, its threshold in the data's bits, and gives
// the kernel parameters it accepts; a readout does not spike.
func conformQuantize(t *testing.T, tg *Target) {
	b := tg.Backend()
	bits := tg.Bits.WeightChoices[len(tg.Bits.WeightChoices)-1]
	step, wmax, err := b.WeightGrid(bits)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(3, 5))
	const in, out = 24, 6
	l := &ir.Layer{Name: "fc", Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{out},
		Weights: make([]float32, in*out), Bias: make([]float32, out), Neuron: ir.LIF{Leak: 1, Threshold: 1}}
	for i := range l.Weights {
		// each input one sign, present or not: two axon types fit
		// (TrueNorth)
		sign := float32(1 - 2*(i%in%2))
		l.Weights[i] = sign * float32(r.IntN(2)) * 0.25
	}
	for _, readout := range []bool{false, true} {
		ql, _, err := b.QuantizeLayer(&QuantizeRequest{Layer: l, WeightBits: bits, Timesteps: 4, Readout: readout, OnChipInput: true,
			PayloadScale: 1, PayloadMax: 1})
		require.NoError(t, err, "readout %v", readout)
		require.Len(t, ql.Weights, in*out)
		for _, w := range ql.Weights {
			require.Zero(t, int32(w)%step, "weight %d off the grid (step %d)", w, step)
			require.LessOrEqual(t, max(int32(w), -int32(w)), wmax)
		}
		assert.Less(t, int64(ql.Threshold), int64(1)<<tg.Bits.Threshold)
		assert.Positive(t, ql.Scale)
		_, err = b.Kernel(KernelParams{DecayU: ql.DecayU, DecayV: ql.DecayV, WeightExponent: ql.WeightExponent, Threshold: ql.Threshold,
			NegThreshold: ql.NegThreshold, Leak: ql.Leak, Reset: uint8(ql.Reset), PotentialBits: uint8(tg.Bits.Potential)})
		require.NoError(t, err, "the kernel takes what the quantizer gives")
	}
}
