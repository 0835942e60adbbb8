package train

import (
	"math"
	"testing"

	"github.com/snnc/snnc/ir"
)

// tnRef is a float64 reference of a convolutional TrueNorth network,
// written from its frozen IR model (ir.ConvTaps, pooling windows) and
// independent of the trainer's tap lists and layouts. The spike function is
// ASGL's mixed activation ŝ = H_α(x) + m·(Θ(x₀) − H_α(x₀)) with the offset
// frozen at the base point, and the reset factor (1 − ŝ) is frozen too, as
// the trainer detaches the reset.
type tnRef struct {
	m      *ir.Model
	w, b   [][]float64 // per IR layer (nil without parameters)
	alpha  []float64   // per neuron layer
	T      int
	x      [][][]float64 // [sample][t] input spikes (CHW)
	y      []int
	mask   [][][]float64 // [neuron layer][sample][t·N+i]
	off    [][][]float64
	sb     [][][]float64 // frozen ŝ for the reset
	record bool
}

func (r *tnRef) loss() float64 {
	m := r.m
	B := len(r.x)
	nl := len(r.alpha)
	if r.record {
		r.off, r.sb = make([][][]float64, nl), make([][][]float64, nl)
		for k := range r.off {
			r.off[k], r.sb[k] = make([][]float64, B), make([][]float64, B)
		}
	}
	var total float64
	for b := 0; b < B; b++ {
		us := make([][]float64, len(m.Layers))
		logits := make([]float64, m.Layers[len(m.Layers)-1].NumOutputs())
		for t := 0; t < r.T; t++ {
			x := r.x[b][t]
			k := 0
			for l := range m.Layers {
				L := &m.Layers[l]
				out := refLayer(L, r.w[l], r.b[l], x)
				if !L.HasNeurons() {
					x = out
					continue
				}
				if l == len(m.Layers)-1 {
					for o, v := range out {
						logits[o] += v / float64(r.T)
					}
					break
				}
				N := len(out)
				if r.record && t == 0 {
					r.off[k][b], r.sb[k][b] = make([]float64, r.T*N), make([]float64, r.T*N)
				}
				if us[l] == nil {
					us[l] = make([]float64, N)
				}
				a := r.alpha[k]
				s := make([]float64, N)
				for i := range out {
					if t > 0 {
						us[l][i] *= 1 - r.sb[k][b][(t-1)*N+i]
					}
					us[l][i] += out[i]
					xv := us[l][i] - 1
					h := math.Min(1, math.Max(0, xv/a+0.5))
					if r.record {
						th := 0.0
						if xv >= 0 {
							th = 1
						}
						r.off[k][b][t*N+i] = r.mask[k][b][t*N+i] * (th - h)
						r.sb[k][b][t*N+i] = h + r.off[k][b][t*N+i]
					}
					s[i] = h + r.off[k][b][t*N+i]
				}
				x = s
				k++
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

// TestTrueNorthConvGradients checks the convolutions' weight, bias and α
// gradients (groups, stride 2, padding, pooling between and before the
// readout, spikes and resets over T steps, ASGL noise) against finite
// differences of tnRef.
func TestTrueNorthConvGradients(t *testing.T) {
	for _, arch := range []string{"8x8x2-4c3p1g2-6c3s2p1g2-3", "8x8x2-4c3p1g2-p2-6c3s2p1g2-p2-3"} {
		t.Run(arch, func(t *testing.T) { checkTNConvGradients(t, arch) })
	}
}

func checkTNConvGradients(t *testing.T, arch string) {
	const B, T, side, C = 3, 4, 8, 2
	a, err := ParseArch(arch)
	if err != nil {
		t.Fatal(err)
	}
	net, err := newTrinaryArchNet(trueNorthLimits(t), "truenorth", arch, a, T, 3)
	if err != nil {
		t.Fatal(err)
	}
	var convs []*tnConv
	var neuronStage []int
	for l, st := range net.stages {
		if L, ok := st.(*tnConv); ok {
			convs = append(convs, L)
			neuronStage = append(neuronStage, l)
			net.LogAlpha[L.lif] = math.Log(0.8 + 0.3*float64(len(convs)))
			for i := range L.b.W {
				L.b.W[i] = 0.1 - 0.15*float32(i%3)
			}
			L.refresh()
		}
	}
	r := newRNG(11)
	images := make([]uint8, B*C*side*side)
	for i := range images {
		if r.r.IntN(3) != 0 {
			images[i] = uint8(r.r.IntN(256))
		}
	}
	labels := []int{0, 2, 1}
	w := net.newWork(false)
	ref := &tnRef{T: T, y: labels}
	m := net.freeze(nil)
	ref.m = m
	for _, L := range m.Layers {
		ref.w = append(ref.w, f64s(L.Weights))
		ref.b = append(ref.b, f64s(L.Bias))
	}
	for _, L := range convs {
		ref.alpha = append(ref.alpha, math.Exp(net.LogAlpha[L.lif]))
	}
	ref.mask = make([][][]float64, len(convs))
	chw := func(v []float32, shape []int) []float64 {
		c, hw := shape[0], shape[1]*shape[2]
		out := make([]float64, len(v))
		for i, x := range v {
			out[i%c*hw+i/c] = float64(x)
		}
		return out
	}
	inWindow, spikes := 0, 0
	var loss float64
	for b := 0; b < B; b++ {
		net.sample(w, images[b*C*side*side:(b+1)*C*side*side], labels[b], true, 0.5, 1.0/B, uint64(b+1)*977)
		var xs [][]float64
		for tt := 0; tt < T; tt++ {
			xs = append(xs, chw(w.x0[tt], []int{C, side, side}))
		}
		ref.x = append(ref.x, xs)
		for k, L := range convs {
			l := neuronStage[k]
			shape := []int{L.outC, L.outH, L.outW}
			N := L.outC * L.outPlane
			mk := make([]float64, T*N)
			half := float32(math.Exp(net.LogAlpha[L.lif]) / 2)
			for tt := 0; tt < T; tt++ {
				u, s := chw(w.u[l][tt], shape), chw(w.s[l][tt], shape)
				for i := range u {
					th := 0.0
					if u[i]-1 >= 0 {
						th = 1
						spikes++
					}
					if math.Abs(u[i]-1) < float64(half) {
						inWindow++
					}
					if s[i] == th {
						mk[tt*N+i] = 1
					}
				}
			}
			ref.mask[k] = append(ref.mask[k], mk)
		}
	}
	loss = w.loss / B
	if inWindow < 40 || spikes < 40 {
		t.Fatalf("test network too quiet: %d in window, %d spikes", inWindow, spikes)
	}
	ref.record = true
	checkLoss(t, loss, ref.loss())
	ref.record = false
	fd := func(v *float64) float64 { return centralDiff(v, ref.loss) }
	check := func(what string, i int, got float32, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 2e-4+2e-3*math.Abs(want) {
			t.Errorf("%s[%d]: gradient %v, finite difference %v", what, i, got, want)
		}
	}
	nonzero := 0
	k := 0
	for l := range m.Layers {
		if m.Layers[l].Kind != ir.KindConv2D {
			continue
		}
		L, st := convs[k], neuronStage[k]
		gw := L.irWeights(w.gw[st])
		for i := range ref.w[l] {
			want := fd(&ref.w[l][i])
			if want != 0 {
				nonzero++
			}
			check(m.Layers[l].Name+".w", i, gw[i], want)
		}
		for i := range ref.b[l] {
			check(m.Layers[l].Name+".b", i, w.gb[st][i], fd(&ref.b[l][i]))
		}
		want := fd(&ref.alpha[k])
		if want == 0 {
			t.Errorf("alpha %d: zero finite difference", k)
		}
		check("alpha", k, float32(w.ga[st]), want)
		k++
	}
	if nonzero < 60 {
		t.Errorf("only %d non-zero conv weight gradients", nonzero)
	}
}

func f64s(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}
