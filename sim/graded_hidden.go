package sim

import (
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Graded hidden spikes (compile.Options.GradedHidden). A layer of neurons
// that fire several spikes per step (ir.ResetSubtractMulti) on a family
// with graded spikes sends, per step, one graded spike per firing neuron
// whose payload is its spike count (targets.GradedKernel; on Loihi 2
// targets.Loihi2StepCount):
//
//	s_j = min(⌊v_j/ϑ⌋, ir.MaxSpikesPerStep)  where v_j ≥ ϑ,  v_j ← v_j − s_j·ϑ
//
// Each synapse of the next layer that the spike reaches adds q_kj·s_j to
// its neuron's sum (int32, as Lava's Dense accumulates graded input; the
// quantizer bounds the sum for payloads up to ir.MaxSpikesPerStep), and the
// weight exponent then applies as for binary spikes. Counts: the graded
// spike is one spike and one message per route, as a binary spike;
// Counts.GradedSpikes counts them and Counts.GradedSpikePayload the spikes
// they stand for (Σ s_j); every synaptic op of the receiving layer is a
// graded synaptic op. compile's Integer does the same arithmetic in int64.

// gradedKernel returns the kernel of a layer lowered with reset mode ql's
// as a targets.GradedKernel when the layer sends graded spikes (nil when it
// sends binary ones), or an error when the model asks for several spikes
// per step of a family whose kernel cannot send them.
func gradedKernel(L *chipLayer, ql *ir.QuantLayer, target string) (targets.GradedKernel, error) {
	if ql.Reset != ir.ResetSubtractMulti {
		return nil, nil
	}
	gk, ok := L.kernel.(targets.GradedKernel)
	if !ok {
		return nil, modelErr("layer %s: several spikes per step (reset %s), but %s's neurons send binary spikes", L.name, ql.Reset, target)
	}
	return gk, nil
}

// checkGradedHidden checks the layers that receive graded spikes from a
// hidden layer: dense layers fed without a synaptic delay, and no
// recurrent layer sending graded spikes to itself (compile refuses the
// rest).
func (p *chipProgram) checkGradedHidden() error {
	for li := range p.layers {
		L := &p.layers[li]
		if L.gk != nil && L.rT != nil {
			return modelErr("layer %s: a recurrent layer that sends graded spikes to itself", L.name)
		}
		if li == 0 || p.layers[li-1].gk == nil {
			continue
		}
		if L.ck != nil || L.sp != nil || L.spans != nil || L.delay > 0 || L.wT == nil {
			return modelErr("layer %s: graded spikes from layer %s reach only a dense layer without a synaptic delay", L.name, p.layers[li-1].name)
		}
		L.gradedIn = true
	}
	return nil
}

// gradedHiddenInput adds to acc the graded spikes of the previous layer
// (neurons in, payloads pay) and counts the spikes each core receives.
func (w *chipWorker) gradedHiddenInput(L *chipLayer, acc []int32, in, pay []int32) {
	p := w.p
	pay = pay[:len(in)]
	if L.full {
		for k, i := range in {
			o := int(i) * L.out
			addScaled(acc[:L.out], L.wT[o:o+L.out], pay[k])
		}
		for _, ci := range L.cores {
			w.coreIn[ci], w.coreGraded[ci] = int64(len(in)), int64(len(in))
		}
		return
	}
	for bi, ci := range L.cores {
		c := &p.cores[ci]
		recv := L.recv[bi]
		seg := acc[c.start:c.end]
		n := int64(0)
		for k, i := range in {
			if recv[L.srcCore[i]] {
				o := int(i) * L.out
				addScaled(seg, L.wT[o+c.start:o+c.end], pay[k])
				n++
			}
		}
		w.coreIn[ci], w.coreGraded[ci] = n, n
	}
}

// addScaled adds acc[j] += a[j]·p (int32, wrapping as the chip's sum).
func addScaled(acc []int32, a []int16, p int32) {
	if p == 1 {
		add1(acc, a)
		return
	}
	a = a[:len(acc)]
	for j, w := range a {
		acc[j] += int32(w) * p
	}
}

// payloadSum is Σ pay (the spikes a layer's graded spikes stand for).
func payloadSum(pay []int32) int64 {
	s := int64(0)
	for _, x := range pay {
		s += int64(x)
	}
	return s
}
