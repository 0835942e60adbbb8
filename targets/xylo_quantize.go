package targets

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
)

// coreThresholdLimit is the largest threshold the Xylo quantizer aims for.
func coreThresholdLimit(l *RecurrentCoreLimits) float64 {
	return float64(int(1)<<(l.StateBits-1)-1) / 4
}

// QuantizeLayer (Xylo) lowers one layer of the recurrent core: weights
// on the layer's 8-bit grid (δ = max|w| / wmax), bit-shift decays, the
// threshold scaled by the weight shift; the last layer (the readout
// neurons) gets the largest threshold. See compile's recurrentcore.go.
func (x xylo) QuantizeLayer(r *QuantizeRequest) (ir.QuantLayer, string, error) {
	l := r.Layer
	lim := x.Limits()
	_, wmax, err := x.WeightGrid(r.WeightBits)
	if err != nil {
		return ir.QuantLayer{}, "", err
	}
	var mx float32
	for _, w := range [][]float32{l.Weights, l.Recurrent} {
		for _, v := range w {
			mx = max(mx, float32(math.Abs(float64(v))))
		}
	}
	delta := float64(mx) / float64(wmax)
	if !(delta > 0) || math.IsInf(delta, 0) {
		delta = 1
	}
	dashSyn, _ := ShiftDecay(l.Neuron.CurrentDecay, lim.MaxDash)
	dashMem, _ := ShiftDecay(l.Neuron.Leak, lim.MaxDash)
	beta := ShiftGamma(dashSyn)
	readout := r.Last
	sh := 0
	thr := int32(math.MaxInt16)
	if !readout {
		for sh < lim.MaxWeightShift && float64(l.Neuron.Threshold)*beta*math.Ldexp(1, sh+1)/delta <= coreThresholdLimit(lim) {
			sh++
		}
		thr = int32(max(1, min(math.MaxInt16, math.Round(float64(l.Neuron.Threshold)*beta*math.Ldexp(1, sh)/delta))))
	}
	enc := func(w []float32) ([]int16, int) {
		q := make([]int16, len(w))
		off := 0
		for i, v := range w {
			f := float64(v) / delta
			rf := math.Round(f)
			if math.Abs(f-rf) > 1e-3 {
				off++
			}
			q[i] = int16(max(-float64(wmax), min(float64(wmax), rf)))
		}
		return q, off
	}
	ql := ir.QuantLayer{WeightExponent: int8(sh), Scale: float32(beta * math.Ldexp(1, sh) / delta), Threshold: thr,
		DecayU: int32(dashSyn), DecayV: int32(dashMem), Reset: ir.ResetSubtractMulti}
	var off, off2 int
	ql.Weights, off = enc(l.Weights)
	if len(l.Recurrent) > 0 {
		ql.Recurrent, off2 = enc(l.Recurrent)
	}
	warn := ""
	if off+off2 > 0 {
		warn = fmt.Sprintf("%d weights are off the 8-bit grid of the layer (not trained with --target %s): rounded", off+off2, x.t.Name)
	}
	return ql, warn, nil
}
