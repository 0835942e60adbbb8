package train

import (
	"fmt"
	"math"
	"testing"

	"github.com/snnc/snnc/ir"
)

// refTemporal is a float64 reference of a temporal network, written
// plainly and independently of the trainer: per sample and step it
// evaluates Eq. 19 as written, layer after layer, and its gradients are
// finite differences only. Layer l has W[l] (Out×In), b[l] and, if
// recurrent, V[l] (Out×Out); the spike function is as refNet's:
// ŝ = H_α(x) + off, off frozen at the base point.
type refTemporal struct {
	sizes    []int
	w, b, v  [][]float64
	alpha    []float64
	T        int
	gamma    float64
	theta    float64
	beta     float64
	subtract bool
	// detach: the reset uses the spikes of the base point as constants
	// (recorded in spk with off), so finite differences see no derivative
	// through it
	detach bool
	// multi: ir.ResetSubtractMulti; a neuron at u ≥ 2ϑ adds the further
	// spikes min(⌊u/ϑ⌋, 31) − 1 to ŝ, recorded at the base point in extra
	// (they pass no gradient); extras counts such neuron-steps
	multi   bool
	extra   [][][]float64
	extras  int
	spk     [][][]float64
	readout ir.ReadoutKind
	delay   []int // per layer, as refNet's
	x       [][]float64
	y       []int
	mask    [][][]float64
	off     [][][]float64
	record  bool
}

func (r *refTemporal) loss() float64 {
	B := len(r.x)
	L := len(r.w)
	spiking := L - 1
	if r.readout == ir.ReadoutSpikeCount {
		spiking = L
	}
	if r.record {
		r.off = make([][][]float64, spiking)
		r.spk = make([][][]float64, spiking)
		r.extra = make([][][]float64, spiking)
		r.extras = 0
		for l := range r.off {
			r.off[l] = make([][]float64, B)
			r.spk[l] = make([][]float64, B)
			r.extra[l] = make([][]float64, B)
		}
	}
	var total float64
	for b := 0; b < B; b++ {
		in := make([][]float64, r.T)
		for t := range in {
			in[t] = r.x[b]
		}
		var logits []float64
		for l := 0; l < L; l++ {
			nIn, nOut := r.sizes[l], r.sizes[l+1]
			// the input current W·s_in[t] + b of every step
			cin := make([][]float64, r.T)
			for t := 0; t < r.T; t++ {
				cin[t] = make([]float64, nOut)
				x := delayedInput(in, t, r.delay, l)
				for o := 0; o < nOut; o++ {
					cin[t][o] = r.b[l][o]
					for i := 0; i < nIn && x != nil; i++ {
						cin[t][o] += r.w[l][o*nIn+i] * x[i]
					}
				}
			}
			if l == L-1 && r.readout != ir.ReadoutSpikeCount {
				logits = make([]float64, nOut)
				if r.readout == ir.ReadoutMeanCurrent {
					for o := range logits {
						for t := 0; t < r.T; t++ {
							logits[o] += cin[t][o] / float64(r.T)
						}
					}
					break
				}
				for o := range logits {
					c, u := 0.0, 0.0
					for t := 0; t < r.T; t++ {
						c = r.beta*c + cin[t][o]
						u = r.gamma*u + c
						if t == 0 || u > logits[o] {
							logits[o] = u
						}
					}
					// the training logit: κ·max_t u (maxPotentialScale)
					logits[o] *= (1 - r.beta) * (1 - r.gamma)
				}
				break
			}
			if r.record {
				r.off[l][b] = make([]float64, r.T*nOut)
				r.spk[l][b] = make([]float64, r.T*nOut)
				r.extra[l][b] = make([]float64, r.T*nOut)
			}
			c := make([]float64, nOut)
			u := make([]float64, nOut)
			prev := make([]float64, nOut) // ŝ[t−1]
			out := make([][]float64, r.T)
			for t := 0; t < r.T; t++ {
				s := make([]float64, nOut)
				for i := 0; i < nOut; i++ {
					rec := 0.0
					if r.v[l] != nil {
						for j := 0; j < nOut; j++ {
							rec += r.v[l][i*nOut+j] * prev[j]
						}
					}
					c[i] = r.beta*c[i] + cin[t][i] + rec
					reset := prev[i]
					if r.detach && t > 0 {
						reset = r.spk[l][b][(t-1)*nOut+i]
					}
					if r.subtract {
						u[i] = r.gamma*(u[i]-r.theta*reset) + c[i]
					} else {
						u[i] = r.gamma*u[i]*(1-reset) + c[i]
					}
					x := u[i] - r.theta
					k := t*nOut + i
					s[i] = asglSpike(x, r.alpha[l], r.mask[l][b][k], &r.off[l][b][k], r.record)
					if r.multi {
						if r.record && u[i] >= 2*r.theta {
							r.extra[l][b][k] = math.Min(ir.MaxSpikesPerStep, math.Floor(u[i]/r.theta)) - 1
							r.extras++
						}
						s[i] += r.extra[l][b][k]
					}
					if r.record {
						r.spk[l][b][k] = s[i]
					}
				}
				prev = s
				out[t] = s
			}
			in = out
			if l == L-1 { // spike count
				logits = make([]float64, nOut)
				for t := 0; t < r.T; t++ {
					for o := range logits {
						logits[o] += out[t][o]
					}
				}
			}
		}
		mx := math.Inf(-1)
		for _, v := range logits {
			mx = math.Max(mx, v)
		}
		var z float64
		for _, v := range logits {
			z += math.Exp(v - mx)
		}
		total += -(logits[r.y[b]] - mx - math.Log(z))
	}
	return total / float64(B)
}

func TestTemporalGradientsMatchFiniteDifferences(t *testing.T) {
	for _, reset := range []ir.ResetMode{ir.ResetZero, ir.ResetSubtract, ir.ResetSubtractMulti} {
		for _, readout := range []ir.ReadoutKind{ir.ReadoutMeanCurrent, ir.ReadoutMaxPotential, ir.ReadoutSpikeCount} {
			for _, m := range []struct {
				method Method
				p      float64
			}{{ASGL, 0.5}, {SG, 1}} {
				if reset == ir.ResetSubtractMulti && readout == ir.ReadoutSpikeCount {
					// up to 31 spikes per step saturate the test network's
					// spike-count logits: no gradient reaches V
					continue
				}
				name := fmt.Sprintf("%v/%v/%v", reset, readout, m.method)
				t.Run(name, func(t *testing.T) {
					checkTemporalGradients(t, "7-6r-5-3", 0.7, reset, readout, m.method, m.p, 9, false)
				})
			}
		}
	}
	// the reset detached from the gradient (Temporal.DetachReset)
	for _, reset := range []ir.ResetMode{ir.ResetZero, ir.ResetSubtract} {
		for _, readout := range []ir.ReadoutKind{ir.ReadoutMeanCurrent, ir.ReadoutMaxPotential} {
			t.Run(fmt.Sprintf("detach/%v/%v", reset, readout), func(t *testing.T) {
				checkTemporalGradients(t, "7-6r-5-3", 0.7, reset, readout, ASGL, 0.5, 9, true)
			})
		}
	}
	// the seed's neuron through the temporal path (β_c = 0, no recurrence)
	t.Run("beta0", func(t *testing.T) {
		checkTemporalGradients(t, "7-6-5-3", 0, ir.ResetSubtract, ir.ReadoutMeanCurrent, ASGL, 0.5, 5, false)
	})
	// synaptic delays (delay.go) into a recurrent layer and the readout
	for _, arch := range []string{"7-6-5rd2-3", "7-6-5rd2-3d3", "7-6-5-3d3", "7-6-5r-3d2", "7-6-5r-3d1"} {
		for _, readout := range []ir.ReadoutKind{ir.ReadoutMeanCurrent, ir.ReadoutMaxPotential, ir.ReadoutSpikeCount} {
			t.Run(fmt.Sprintf("delays/%s/%v", arch, readout), func(t *testing.T) {
				checkTemporalGradients(t, arch, 0.7, ir.ResetSubtract, readout, ASGL, 0.5, 9, false)
			})
		}
	}
	// several spikes per step in the feed-forward Θ net of direct input
	// (snnc train --reset subtract-multi on images, compiled as graded
	// spikes on loihi2)
	for _, m := range []Method{ASGL, SG} {
		t.Run(fmt.Sprintf("multi-beta0/%v", m), func(t *testing.T) {
			checkTemporalGradients(t, "7-6-5-3", 0, ir.ResetSubtractMulti, ir.ReadoutMeanCurrent, m, 0.5, 5, false)
		})
	}
}

func checkTemporalGradients(t *testing.T, archStr string, beta float64, reset ir.ResetMode, readout ir.ReadoutKind, method Method, p float64, T int, detach bool) {
	const B = 3
	arch, err := ParseArch(archStr)
	if err != nil {
		t.Fatal(err)
	}
	r := newRNG(5)
	const gamma, theta = 0.6, 0.5
	net := NewNetwork(arch, T, gamma, theta, method, 1.2, r, Temporal{CurrentDecay: float32(beta), Reset: reset, Readout: readout, DetachReset: detach})
	if !net.temporal() {
		t.Fatal("not a temporal network")
	}
	for k := range net.LogAlpha {
		net.LogAlpha[k] = math.Log(1.2 - 0.2*float64(k))
	}
	// weights that make neurons spike, reset and sit in the window
	dense := func(ly Layer) *Dense {
		if rd, ok := ly.(*RecurrentDense); ok {
			return rd.Dense
		}
		return ly.(*Dense)
	}
	// a delayed layer's first steps see its bias alone: spread the biases,
	// else (0 after normaliseTemporalInit, + 0.1) every neuron starts at
	// x = 0.1 − ϑ = −0.4, the edge of a window of width 0.8, where the
	// finite differences straddle the surrogate's kink
	spread := float32(0)
	for _, d := range net.Delays {
		if d > 0 {
			spread = 0.013
		}
	}
	for _, ly := range net.Layers {
		d := dense(ly)
		for i := range d.w.W {
			d.w.W[i] *= 2
		}
		for i := range d.b.W {
			d.b.W[i] = d.b.W[i] + 0.1 + spread*float32(i+1)
		}
		if rd, ok := ly.(*RecurrentDense); ok {
			for i := range rd.v.W {
				rd.v.W[i] *= 1.5
			}
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
	ws := gradWorkspace(net, B, p, 77)
	for l, ly := range net.Layers {
		if rd, ok := ly.(*RecurrentDense); ok {
			rd.own = ws.in[l+1]
		}
	}
	fastLoss := fastStep(net, ws, images, labels)

	ref := &refTemporal{sizes: []int{arch.InputSize()}, T: T, gamma: gamma, theta: theta, beta: beta,
		subtract: reset == ir.ResetSubtract || reset == ir.ResetSubtractMulti, multi: reset == ir.ResetSubtractMulti, detach: detach, readout: readout,
		delay: net.Delays}
	for _, ly := range net.Layers {
		fl := ly.Freeze() // Out×In layout, as the reference wants
		ref.sizes = append(ref.sizes, fl.NumOutputs())
		ref.w = append(ref.w, f64s(fl.Weights))
		ref.b = append(ref.b, f64s(fl.Bias))
		var v []float64
		if fl.Recurrent != nil {
			v = f64s(fl.Recurrent)
		}
		ref.v = append(ref.v, v)
	}
	ref.alpha = net.Alphas()
	ref.setInputs(images, labels)
	spikes, inWindow := 0, 0
	for l := range net.Layers {
		if net.lif[l] < 0 {
			continue
		}
		ml, sp, iw := spikeMasks(net, ws, l, ref.sizes[l+1], float32(ref.alpha[l]), B)
		ref.mask = append(ref.mask, ml)
		spikes, inWindow = spikes+sp, inWindow+iw
	}
	if inWindow < 10 || spikes < 10 {
		t.Fatalf("test network too quiet: %d in window, %d spikes", inWindow, spikes)
	}
	ref.record = true
	checkLoss(t, fastLoss, ref.loss())
	ref.record = false
	if ref.multi && ref.extras < 5 {
		t.Fatalf("test network fires several spikes per step in %d neuron-steps only", ref.extras)
	}
	fd := func(v *float64) float64 { return centralDiff(v, ref.loss) }
	bad := 0
	check := func(what string, got float32, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 2e-4+2e-3*math.Abs(want) {
			if bad++; bad <= 10 {
				t.Errorf("%s: gradient %v, finite difference %v", what, got, want)
			}
		}
	}
	nonzero, nonzeroV := 0, 0
	for l, ly := range net.Layers {
		d := dense(ly)
		for o := 0; o < d.out; o++ {
			for i := 0; i < d.in; i++ {
				want := fd(&ref.w[l][o*d.in+i])
				if want != 0 {
					nonzero++
				}
				check(fmt.Sprintf("%s.w[%d][%d]", d.name, o, i), d.w.G[i*d.out+o], want)
			}
			check(fmt.Sprintf("%s.b[%d]", d.name, o), d.b.G[o], fd(&ref.b[l][o]))
		}
		if rd, ok := ly.(*RecurrentDense); ok {
			N := d.out
			for o := 0; o < N; o++ {
				for j := 0; j < N; j++ {
					want := fd(&ref.v[l][o*N+j])
					if want != 0 {
						nonzeroV++
					}
					check(fmt.Sprintf("%s.v[%d][%d]", d.name, o, j), rd.v.G[j*N+o], want)
				}
			}
			if nonzeroV < 5 {
				t.Errorf("only %d non-zero recurrent gradients", nonzeroV)
			}
		}
	}
	if nonzero < 20 {
		t.Errorf("only %d non-zero weight gradients", nonzero)
	}
	if method == ASGL {
		checkAlphaGrads(t, ws, ref.alpha, B, fd, func(k int, got float32, want float64) { check(fmt.Sprintf("alpha %d", k), got, want) })
	}
}

// setInputs gives the reference the batch, scaled to [0,1].
func (r *refTemporal) setInputs(images, labels []uint8) {
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
