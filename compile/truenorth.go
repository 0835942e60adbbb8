package compile

import (
	"fmt"
	"math"
	"slices"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// quantizeTrueNorth lowers one layer of a model that passed TrueNorth's
// limits (γ = 1, fan-in ≤ 256, spike input) to TrueNorth's deterministic
// neuron (targets.TrueNorthStep):
//
//	V ← clip20(V + Σ_i w_ij·s_i + Bias_j − Leak);  spike when V ≥ α, then V ← 0
//
// with w_ij = round(W_ji·S) in the signed 9-bit range, α = Threshold = ϑ·S
// exactly (S = α/ϑ with α = ⌊ϑ·255/max|W|⌋, so TrueNorth's ≥ is the model's
// ≥), Bias_j = round(b_j·S) (the per-neuron leak of the chip, 9-bit), Leak
// 0, reset to 0. The readout layer is the accumulator acc_j += input_j +
// Bias_j.
//
// Every input axon gets one of the 4 axon types and every neuron 4 type
// weights, so that w_ij = TypeWeights[4j+AxonTypes[i]] wherever w_ij ≠ 0:
// a greedy best-fit assignment takes the inputs with the most synapses
// first and puts each on the compatible type (its non-zero weights agree
// with the type's weights on every neuron) that agrees on the most neurons.
// A layer for which no assignment is found is refused with a LimitError on
// "axon types" (the search is greedy: a model trained with fixed types, as
// snnc train --target truenorth does, always passes).
func (s *state) quantizeTrueNorth(k int, li int, l *ir.Layer) (ir.QuantLayer, string, error) {
	t := s.t
	in, out := l.NumInputs(), l.NumOutputs()
	step, wmax, err := s.b.WeightGrid(s.weightBits)
	if err != nil {
		return ir.QuantLayer{}, "", err
	}
	st := weightStats(l)
	sc := 1.0
	if st.maxAbs > 0 {
		sc = float64(wmax) / float64(st.maxAbs)
	}
	ql := ir.QuantLayer{Reset: tnReset(l)}
	if s.isReadout(k) {
		ql.Threshold = int32(1)<<t.Bits.Threshold - 1
		ql.Reset = ir.ResetNone
	} else {
		theta := float64(l.Neuron.Threshold)
		alpha := max(1, math.Floor(theta*sc))
		alpha = min(alpha, float64(int64(1)<<t.Bits.Threshold-1))
		sc = alpha / theta
		ql.Threshold = int32(alpha)
	}
	ql.Scale = float32(sc)
	ql.Weights = make([]int16, len(l.Weights))
	parallelRows(out, func(j0, j1 int) {
		targets.EncodeWeights(ql.Weights[j0*in:j1*in], l.Weights[j0*in:j1*in], float32(sc), step, wmax)
	})
	bmax := float64(int64(1)<<(t.Bits.Bias-1) - 1)
	ql.Bias = make([]int32, out)
	for j, b := range l.Bias {
		ql.Bias[j] = int32(max(-bmax, min(bmax, math.Round(float64(b)*sc))))
	}
	types := max(1, t.Core.AxonTypes)
	ql.AxonTypes = make([]uint8, in)
	ql.TypeWeights = make([]int16, types*out)
	// inputs with the most synapses first: they define the types best
	order := make([]int, in)
	nnz := make([]int, in)
	for i := range order {
		order[i] = i
		for j := 0; j < out; j++ {
			if ql.Weights[j*in+i] != 0 {
				nnz[i]++
			}
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return nnz[b] - nnz[a] })
	set := make([]int, types) // type weights defined per type
	for _, i := range order {
		// best fit: the compatible type agreeing on the most neurons, then
		// the one with the fewest weights defined so far
		g, bestScore := -1, -1
		for G := 0; G < types; G++ {
			ok, score := true, 0
			for j := 0; j < out && ok; j++ {
				w, tw := ql.Weights[j*in+i], ql.TypeWeights[j*types+G]
				switch {
				case w == 0 || tw == 0:
				case tw == w:
					score++
				default:
					ok = false
				}
			}
			if ok && (score > bestScore || score == bestScore && set[G] < set[g]) {
				g, bestScore = G, score
			}
		}
		if g < 0 {
			return ql, "", &LimitError{Layer: li, LayerName: l.Name, Limit: "axon types", Need: int64(types + 1), Have: int64(types),
				Unit: "axon types", Target: t.Name,
				Detail: fmt.Sprintf("axon types: input %d's weights match none of the %d axon types the other inputs define (each neuron has one weight per type)", i, types),
				Hint:   "retrain with snnc train --target " + t.Name}
		}
		ql.AxonTypes[i] = uint8(g)
		for j := 0; j < out; j++ {
			if w := ql.Weights[j*in+i]; w != 0 && ql.TypeWeights[j*types+g] == 0 {
				ql.TypeWeights[j*types+g] = w
				set[g]++
			}
		}
	}
	return ql, "", nil
}

// tnReset is the TrueNorth reset mode of a spiking layer: reset to zero
// (mode 0), or the linear reset V −= α (mode 1) for ir.ResetSubtract,
// which with γ = 1 is the float model's u[t] = u[t−1] − ϑ·s[t−1] + c[t].
func tnReset(l *ir.Layer) ir.ResetMode {
	if l.Neuron.Reset == ir.ResetSubtract {
		return ir.ResetSubtract
	}
	return ir.ResetZero
}
