package train

// Synaptic delays (Network.Delays, ir.Layer.Delay, the "dN" suffix of an
// architecture token): the input of layer l with delay d at step t is the
// previous stage's output of step t − d, zero before step d,
//
//	c[t] = W·s_in[t − d] + b          (s_in[t − d] = 0 for t < d)
//
// so the bias still enters at every step. The network feeds such a layer a
// delayed copy of its input (din, built by delayActs before Forward) and
// trains it on that copy (AccumGrad), so ∂L/∂W = Σ_t ∂L/∂c[t]·s_in[t − d]ᵀ
// and ∂L/∂b = Σ_t ∂L/∂c[t]. The input gradient is the layer's, shifted
// back: ∂L/∂s_in[t] = Wᵀ·∂L/∂c[t + d] for t + d < T, else 0
// (undelayActs). The copy carries no spike patterns (Acts.Ones), so a
// delayed dense layer runs its per-step loop.

// hasDelays reports whether a layer of a has a synaptic delay.
func (a *Arch) hasDelays() bool {
	for _, l := range a.Layers {
		if l.Delay > 0 {
			return true
		}
	}
	return false
}

// delay is the synaptic delay of layer l's input in steps.
func (n *Network) delay(l int) int {
	if l < len(n.Delays) {
		return n.Delays[l]
	}
	return 0
}

// delayWorkspace allocates the delayed inputs and their gradients of the
// layers with a delay.
func (n *Network) delayWorkspace(ws *workspace, batch int) {
	L := len(n.Layers)
	ws.din, ws.gdin = make([]*Acts, L), make([]*Acts, L)
	for l := range n.Layers {
		if n.delay(l) == 0 {
			continue
		}
		in := ws.in[l]
		ws.din[l] = newActs(batch, n.T, in.N, in.Sparse)
		ws.gdin[l] = newActs(batch, ws.gCur[l].Steps, in.N, false)
	}
}

// delayedInput is layer l's input for samples [lo, hi): ws.in[l], or for a
// layer with a delay its delayed copy.
func (n *Network) delayedInput(ws *workspace, l, lo, hi int) *Acts {
	d := n.delay(l)
	if d == 0 {
		return ws.in[l]
	}
	delayActs(ws.din[l], ws.in[l], d, lo, hi)
	return ws.din[l]
}

// layerInput is the input layer l's forward pass saw (after
// delayedInput): ws.in[l], or its delayed copy.
func (ws *workspace) layerInput(l int) *Acts {
	if ws.din[l] != nil {
		return ws.din[l]
	}
	return ws.in[l]
}

// delayActs sets dst (T steps) to src delayed by d steps for samples
// [lo, hi): dst[t] = src[t − d], zero for t < d (src may be constant over
// time, Steps 1).
func delayActs(dst, src *Acts, d, lo, hi int) {
	T, N := dst.Steps, dst.N
	for b := lo; b < hi; b++ {
		for t := 0; t < T; t++ {
			row := dst.Row(b, t)
			k := b*T + t
			if t < d {
				clear(row)
				if dst.Sparse {
					dst.Cnt[k] = 0
				}
				continue
			}
			copy(row, src.Row(b, t-d))
			if dst.Sparse {
				act := src.Active(b, t-d)
				copy(dst.Idx[k*N:], act)
				dst.Cnt[k] = int32(len(act))
			}
		}
	}
}

// undelayActs sets dst (T steps) to the gradient src with respect to a
// delayed input, moved back to the undelayed one for samples [lo, hi):
// dst[t] = src[t + d] for t + d < T, else 0 (src may have Steps 1, the same
// gradient at every step).
func undelayActs(dst, src *Acts, d, lo, hi int) {
	T := dst.Steps
	for b := lo; b < hi; b++ {
		for t := 0; t < T; t++ {
			if t+d < T {
				copy(dst.Row(b, t), src.Row(b, t+d))
			} else {
				clear(dst.Row(b, t))
			}
		}
	}
}
