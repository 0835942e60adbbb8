package train

import (
	"math"
	"testing"

	"github.com/snnc/snnc/ir"
)

// centralDiff is the central finite difference of loss with respect to *v
// (restored afterwards).
func centralDiff(v *float64, loss func() float64) float64 {
	const eps = 1e-6
	old := *v
	*v = old + eps
	lp := loss()
	*v = old - eps
	lm := loss()
	*v = old
	return (lp - lm) / (2 * eps)
}

// checkLoss fails the test unless the fast implementation's loss equals the
// reference's.
func checkLoss(t *testing.T, fast, ref float64) {
	t.Helper()
	if math.Abs(ref-fast) > 1e-4*math.Max(1, ref) {
		t.Fatalf("loss: fast %v, reference %v", fast, ref)
	}
}

// fastStep runs the fast network's forward and backward passes on a batch
// and accumulates every layer's gradients; it returns the mean loss.
func fastStep(net *Network, ws *workspace, images []uint8, labels []uint8) float64 {
	B := len(labels)
	idx := make([]int, B)
	for i := range idx {
		idx[i] = i
	}
	copy(ws.labels, labels)
	net.loadInput(ws, images, idx, 0, B)
	net.forward(ws, 0, B)
	net.backward(ws, 0, B)
	for l, ly := range net.Layers {
		for k := 0; k < ly.GradBlocks(); k++ {
			ly.AccumGrad(k, ws.layerInput(l), ws.gCur[l], B)
		}
	}
	var loss float64
	for b := 0; b < B; b++ {
		loss += ws.loss[b]
	}
	return loss / float64(B)
}

// spikeMasks recovers, for the LIF stage after layer l (N neurons, width
// a), the Bernoulli masks the fast pass drew: 1 where the spike it passed on
// is Θ (always, for SG), 0 where it is H_α. It also counts the spikes and
// the potentials inside the surrogate window.
func spikeMasks(net *Network, ws *workspace, l, N int, a float32, B int) (masks [][]float64, spikes, inWindow int) {
	T := net.T
	masks = make([][]float64, B)
	for b := 0; b < B; b++ {
		masks[b] = make([]float64, T*N)
		for tt := 0; tt < T; tt++ {
			for i := 0; i < N; i++ {
				u := ws.u[l][(b*T+tt)*N+i]
				x := u - net.Threshold
				s := ws.in[l+1].Row(b, tt)[i]
				if net.Reset == ir.ResetSubtractMulti && x >= net.Threshold {
					// the further spikes of the step (temporal.go)
					s -= float32(min(ir.MaxSpikesPerStep, math.Floor(float64(u)/float64(net.Threshold)))) - 1
				}
				th := float32(0)
				if x >= 0 {
					th = 1
					spikes++
				}
				if x > -a/2 && x < a/2 {
					inWindow++
				}
				if net.Method == SG || s == th {
					masks[b][tt*N+i] = 1
				}
			}
		}
	}
	return masks, spikes, inWindow
}

// setInputs gives the reference the batch: one image per label, scaled to
// [0,1].
func (r *refNet) setInputs(images, labels []uint8) {
	size := len(images) / len(labels)
	for b, y := range labels {
		x := make([]float64, size)
		for i := range x {
			x[i] = float64(images[b*size+i]) / 255
		}
		r.x = append(r.x, x)
		r.y = append(r.y, int(y))
	}
}

// refNet is a float64 reference of the training network, written
// independently of the fast path: dense layers in Out×In layout, BPTT by
// finite differences only. The mixed activation is
//
//	ŝ = H_α(x) + off,  off = m·(Θ(x₀) − H_α₀(x₀)) frozen at the base point,
//
// whose derivatives are exactly the ones ASGL (and, with m ≡ 1, SG) uses.
type refNet struct {
	sizes  []int       // layer widths including input
	w      [][]float64 // w[l][o*in+i]
	b      [][]float64
	alpha  []float64
	T      int
	gamma  float64
	theta  float64
	x      [][]float64 // inputs per sample
	y      []int
	mask   [][][]float64 // mask[l][b][t*N+i] ∈ {0,1}
	off    [][][]float64 // frozen offsets, set by record
	record bool
	// delay[l] is layer l's synaptic delay: its current at step t is
	// W·s_in[t − delay] + b, W·0 + b before step delay
	delay []int
}

// delayedInput is the input of a layer with synaptic delay d at step t: the
// previous layer's output of step t − d, or nil (zero) before step d.
func delayedInput(in [][]float64, t int, delay []int, l int) []float64 {
	d := 0
	if l < len(delay) {
		d = delay[l]
	}
	if t < d {
		return nil
	}
	return in[t-d]
}

func (r *refNet) loss() float64 {
	B := len(r.x)
	L := len(r.w)
	if r.record {
		r.off = make([][][]float64, L-1)
	}
	var total float64
	for b := 0; b < B; b++ {
		// s[t] of the current layer's input; the data input is constant
		in := make([][]float64, r.T)
		for t := range in {
			in[t] = r.x[b]
		}
		for l := 0; l < L; l++ {
			nIn, nOut := r.sizes[l], r.sizes[l+1]
			cur := make([][]float64, r.T)
			for t := 0; t < r.T; t++ {
				c := make([]float64, nOut)
				x := delayedInput(in, t, r.delay, l)
				for o := 0; o < nOut; o++ {
					c[o] = r.b[l][o]
					for i := 0; i < nIn && x != nil; i++ {
						c[o] += r.w[l][o*nIn+i] * x[i]
					}
				}
				cur[t] = c
			}
			if l == L-1 {
				var mx float64 = math.Inf(-1)
				lg := make([]float64, nOut)
				for o := range lg {
					for t := 0; t < r.T; t++ {
						lg[o] += cur[t][o]
					}
					lg[o] /= float64(r.T)
					mx = math.Max(mx, lg[o])
				}
				var z float64
				for _, v := range lg {
					z += math.Exp(v - mx)
				}
				total += -(lg[r.y[b]] - mx - math.Log(z))
				break
			}
			if r.record {
				if b == 0 {
					r.off[l] = make([][]float64, B)
				}
				r.off[l][b] = make([]float64, r.T*nOut)
			}
			a := r.alpha[l]
			u := make([]float64, nOut)
			s := make([]float64, nOut)
			out := make([][]float64, r.T)
			for t := 0; t < r.T; t++ {
				ns := make([]float64, nOut)
				for i := 0; i < nOut; i++ {
					u[i] = r.gamma*u[i]*(1-s[i]) + cur[t][i]
					x := u[i] - r.theta
					k := t*nOut + i
					ns[i] = asglSpike(x, a, r.mask[l][b][k], &r.off[l][b][k], r.record)
				}
				s = ns
				out[t] = ns
			}
			in = out
		}
	}
	return total / float64(B)
}

func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method Method
		p      float64
	}{
		{"asgl p=0.5", ASGL, 0.5},
		{"asgl p=0", ASGL, 0},
		{"sg", SG, 1},
	} {
		for _, mode := range []int{autoBackward, scatterOnly, gatherOnly} {
			t.Run(tc.name, func(t *testing.T) {
				backwardMode = mode
				defer func() { backwardMode = autoBackward }()
				checkGradients(t, tc.method, tc.p, "7-6-5-3")
			})
		}
	}
	// synaptic delays (delay.go): on a hidden layer and on the readout
	for _, arch := range []string{"7-6-5d2-3", "7-6-5-3d1", "7-6-5d1-3d2"} {
		t.Run(arch, func(t *testing.T) { checkGradients(t, ASGL, 0.5, arch) })
	}
}

func checkGradients(t *testing.T, method Method, p float64, archStr string) {
	const B, T = 3, 4
	arch, err := ParseArch(archStr)
	if err != nil {
		t.Fatal(err)
	}
	r := newRNG(3)
	net := NewNetwork(arch, T, 0.6, 0.5, method, 1.2, r)
	net.LogAlpha[1] = math.Log(0.9)
	// larger weights so that neurons spike, reset and sit in the window
	for _, ly := range net.Layers {
		d := ly.(*Dense)
		for i := range d.w.W {
			d.w.W[i] *= 2.5
		}
		for i := range d.b.W {
			d.b.W[i] = d.b.W[i]*2 + 0.2
		}
		d.refreshAll()
	}
	images := make([]uint8, B*7)
	for i := range images {
		if r.r.IntN(4) != 0 {
			images[i] = uint8(r.r.IntN(256))
		}
	}
	labels := []uint8{0, 2, 1}

	ws := gradWorkspace(net, B, p, 99)
	fastLoss := fastStep(net, ws, images, labels)

	// reference with the same parameters and masks
	ref := &refNet{sizes: []int{7, 6, 5, 3}, T: T, gamma: 0.6, theta: 0.5, delay: net.Delays}
	for _, ly := range net.Layers {
		d := ly.(*Dense)
		w := make([]float64, d.in*d.out)
		for o := 0; o < d.out; o++ {
			for i := 0; i < d.in; i++ {
				w[o*d.in+i] = float64(d.w.W[i*d.out+o])
			}
		}
		bb := make([]float64, d.out)
		for o := range bb {
			bb[o] = float64(d.b.W[o])
		}
		ref.w, ref.b = append(ref.w, w), append(ref.b, bb)
	}
	ref.alpha = net.Alphas()
	ref.setInputs(images, labels)
	inWindow, spikes := 0, 0
	for k, l := range []int{0, 1} {
		ml, sp, iw := spikeMasks(net, ws, l, ref.sizes[k+1], float32(ref.alpha[k]), B)
		ref.mask = append(ref.mask, ml)
		spikes, inWindow = spikes+sp, inWindow+iw
	}
	if inWindow < 10 || spikes < 5 {
		t.Fatalf("test network too quiet: %d in window, %d spikes", inWindow, spikes)
	}
	ref.record = true
	checkLoss(t, fastLoss, ref.loss())
	ref.record = false
	fd := func(v *float64) float64 { return centralDiff(v, ref.loss) }
	check := func(what string, got float32, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 2e-4+2e-3*math.Abs(want) {
			t.Errorf("%s: gradient %v, finite difference %v", what, got, want)
		}
	}
	nonzero := 0
	for l, ly := range net.Layers {
		d := ly.(*Dense)
		for o := 0; o < d.out; o++ {
			for i := 0; i < d.in; i++ {
				want := fd(&ref.w[l][o*d.in+i])
				if want != 0 {
					nonzero++
				}
				check(d.name+".w", d.w.G[i*d.out+o], want)
			}
			check(d.name+".b", d.b.G[o], fd(&ref.b[l][o]))
		}
	}
	if nonzero < 20 {
		t.Errorf("only %d non-zero weight gradients", nonzero)
	}
	if method == ASGL {
		checkAlphaGrads(t, ws, ref.alpha, B, fd, func(_ int, got float32, want float64) { check("alpha", got, want) })
	}
}

// gradWorkspace is a training workspace for a gradient check: n samples,
// noise mask with probability p and the given seed, and the widths α of
// net.LogAlpha.
func gradWorkspace(net *Network, n int, p float64, seed uint64) *workspace {
	ws := net.newWorkspace(n)
	ws.train, ws.n, ws.maskP, ws.maskSeed = true, n, pThreshold(p), seed
	for _, la := range net.LogAlpha {
		ws.alphas = append(ws.alphas, float32(math.Exp(la)))
		ws.invAlphas = append(ws.invAlphas, float32(math.Exp(-la)))
	}
	return ws
}

// asglSpike is the references' ASGL activation of x = u − ϑ with width α:
// H_α(x) = clip(x/α + 1/2, 0, 1) plus the stop-gradient offset m·(Θ(x) − H_α(x)).
// With record the offset is computed from the noise mask m and stored in
// *off; otherwise the stored offset is reused, so finite differences see
// the same mixed activation.
func asglSpike(x, alpha, mask float64, off *float64, record bool) float64 {
	h := math.Min(1, math.Max(0, x/alpha+0.5))
	if record {
		th := 0.0
		if x >= 0 {
			th = 1
		}
		*off = mask * (th - h)
	}
	return h + *off
}

// checkAlphaGrads compares each surrogate width's gradient, ∂L/∂α summed
// over the B samples of ws, with the finite difference fd of the loss in
// the reference's α[k]; check reports a mismatch for width k.
func checkAlphaGrads(t *testing.T, ws *workspace, alpha []float64, B int, fd func(*float64) float64, check func(k int, got float32, want float64)) {
	t.Helper()
	for k := range alpha {
		var g float64
		for b := 0; b < B; b++ {
			g += ws.galpha[b*len(alpha)+k]
		}
		want := fd(&alpha[k])
		if want == 0 {
			t.Errorf("alpha %d: zero finite difference", k)
		}
		check(k, float32(g), want)
	}
}
