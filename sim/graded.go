package sim

import (
	"math"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Graded input (compile.Options.GradedInput): a direct-current input whose
// values go to the chip as graded spikes. Each step, every input i with a
// non-zero payload
//
//	p_i = targets.GradedPayload(x_i, Input.Scale, InputPayloadScale, InputPayloadBits)
//
// sends one graded spike to the first layer's cores its synapses reach,
// and each synapse adds q_ji·p_i to its neuron's sum. The payloads are the
// same every step, so the sum Σ_i q_ji·p_i is computed once per sample
// (resetGraded) and added each step (gradedInput); the counts are those of
// the chip doing it every step: per core and step, one graded synaptic op
// per synapse reached and one message per input reaching the core.
// The quantizer keeps the sum within int32 (targets.GradedSpikes.SumBits),
// and compile's Integer does the same arithmetic in int64.

// checkGraded reads the graded-input fields of the first layer.
func checkGraded(L *chipLayer, ql *ir.QuantLayer) error {
	ps := float64(ql.InputPayloadScale)
	if !(ps >= 1) || math.IsInf(ps, 0) || ql.InputPayloadBits < 2 || ql.InputPayloadBits > ir.MaxPayloadBits {
		return modelErr("layer %s: graded input with payload scale %v and %d-bit payloads, want a scale ≥ 1 and 2..%d bits", L.name, ql.InputPayloadScale, ql.InputPayloadBits, ir.MaxPayloadBits)
	}
	L.payloadBits, L.payloadScale = int(ql.InputPayloadBits), ql.InputPayloadScale
	return nil
}

// resetGraded computes the first layer's graded synaptic sum for image x
// and the per-core counts of one step. It allocates nothing.
func (w *chipWorker) resetGraded(L *chipLayer, x []uint8) {
	p := w.p
	clear(w.gSum)
	clear(w.gCoreIn)
	clear(w.gCoreSyn)
	for b := range w.gCoreSeen {
		w.gCoreSeen[b] = -1
	}
	sum := w.gSum
	out := L.out
	for i, px := range x {
		pay := targets.GradedPayload(float32(px), p.net.scale, L.payloadScale, L.payloadBits)
		if pay == 0 {
			continue
		}
		if L.sp != nil { // a sparse layer: its listed synapses, core by core
			k := L.sp.ptr[i]
			for q := L.segPtr[i]; q < L.segPtr[i+1]; q++ {
				b, start := L.segCore[q], k
				for ; k < L.segEnd[q]; k++ {
					sum[L.sp.dst[k]] += int32(L.spw[k]) * pay
				}
				w.gCoreIn[b]++
				w.gCoreSyn[b] += int64(k - start)
			}
			continue
		}
		if L.ck == nil {
			for j, q := range L.wT[i*out : (i+1)*out] {
				sum[j] += int32(q) * pay
			}
			for b, ci := range L.cores {
				w.gCoreIn[b]++
				w.gCoreSyn[b] += int64(p.cores[ci].end - p.cores[ci].start)
			}
			continue
		}
		k, q := L.ck, L.cq
		t := k.tapsOf(k.input(int32(i)), w.conv[0].taps[:0])
		for r := 0; r+2 < len(t); r += 3 {
			n0, k0 := int(t[r]), int(t[r+1])
			for c, wq := range q.kq[k0 : k0+k.width(t[r+2])] {
				j := n0 + c*k.cs
				sum[j] += int32(wq) * pay
				b := q.coreOf[j]
				w.gCoreSyn[b]++
				if w.gCoreSeen[b] != int32(i) {
					w.gCoreSeen[b] = int32(i)
					w.gCoreIn[b]++
				}
			}
		}
	}
}

// gradedInput adds the first layer's graded input of one step.
func (w *chipWorker) gradedInput(L *chipLayer, acc []int32) {
	copy(acc, w.gSum)
	for b, ci := range L.cores {
		w.coreIn[ci], w.coreSyn[ci] = w.gCoreIn[b], w.gCoreSyn[b]
	}
}
