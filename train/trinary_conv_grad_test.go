package train

import (
	"math"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
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
// readout, spikes and resets over T steps, ASGL noise), a dense hidden
// layer after them, and the readout's, against finite differences of
// tnRef.
func TestTrueNorthConvGradients(t *testing.T) {
	for _, arch := range []string{"8x8x2-4c3p1g2-6c3s2p1g2-3", "8x8x2-4c3p1g2-p2-6c3s2p1g2-p2-3", "8x8x2-4c3p1g2-p2-20-3"} {
		t.Run(arch, func(t *testing.T) {
			a, err := ParseArch(arch)
			if err != nil {
				t.Fatal(err)
			}
			net, err := newTrinaryArchNet(trueNorthLimits(t), "truenorth", arch, a, 4, 3)
			if err != nil {
				t.Fatal(err)
			}
			checkTNGradients(t, net)
		})
	}
}

// TestTrueNorthDenseGradients does the same for the dense networks of
// newTrinaryDenseNet (--target truenorth with INPUT-HIDDEN…-CLASSES): the
// patch layer, a grouped hidden layer and the readout.
func TestTrueNorthDenseGradients(t *testing.T) {
	net, err := newTrinaryDenseNet(trueNorthLimits(t), "truenorth", []int{2, 8, 8}, []int{24, 70}, 3, 4, 5)
	if err != nil {
		t.Fatal(err)
	}
	checkTNGradients(t, net)
}

// checkTNGradients runs a batch of 3 random samples through net (2×8×8
// input, 3 classes) and compares every neuron layer's weight, bias and α
// gradients and the readout's with finite differences of tnRef.
func checkTNGradients(t *testing.T, net *Network) {
	const B = 3
	T, C, side := net.T, net.Input[0], net.Input[1]
	var neuronLayer []int
	for l, ly := range net.Layers {
		if k := net.lif[l]; k >= 0 {
			neuronLayer = append(neuronLayer, l)
			net.LogAlpha[k] = math.Log(0.8 + 0.3*float64(len(neuronLayer)))
			P := tnParamsOf(ly)
			for i := range P.b.W {
				P.b.W[i] = 0.1 - 0.15*float32(i%3)
			}
			ly.Refresh(0)
		}
	}
	r := newRNG(11)
	size := C * side * side
	split := dataset.Split{N: B, Images: make([]uint8, B*size), Labels: []uint8{0, 2, 1}}
	for i := range split.Images {
		if r.r.IntN(3) != 0 {
			split.Images[i] = uint8(r.r.IntN(256))
		}
	}
	fn := newBatchNet(net, B)
	loss, _ := fn.trainBatch(&split, size, []int{0, 1, 2}, 977, 0.5)
	ws := fn.ws
	ga := fn.alphaGrad()
	for l, ly := range net.Layers {
		if ly.GradBlocks() > 0 {
			ly.AccumGrad(0, ws.in[l], ws.gCur[l], B)
		}
	}
	ref := &tnRef{T: T}
	for _, y := range split.Labels {
		ref.y = append(ref.y, int(y))
	}
	m := Freeze(net, nil)
	ref.m = m
	for _, L := range m.Layers {
		ref.w = append(ref.w, f64s(L.Weights))
		ref.b = append(ref.b, f64s(L.Bias))
	}
	for _, l := range neuronLayer {
		ref.alpha = append(ref.alpha, math.Exp(net.LogAlpha[net.lif[l]]))
	}
	ref.mask = make([][][]float64, len(neuronLayer))
	// toIR maps a layer's output tensor (position-major after a
	// convolution or a pooling) to the IR's order
	toIR := func(v []float32, ly Layer) []float64 {
		out := make([]float64, len(v))
		for i, x := range v {
			out[irIndex(net, ly, i)] = float64(x)
		}
		return out
	}
	inWindow, spikes := 0, 0
	for b := 0; b < B; b++ {
		var xs [][]float64
		for tt := 0; tt < T; tt++ {
			xs = append(xs, toIR(ws.in[0].Row(b, tt), nil))
		}
		ref.x = append(ref.x, xs)
		for k, l := range neuronLayer {
			ly := net.Layers[l]
			N := shapeSize(ly.OutShape())
			mk := make([]float64, T*N)
			half := math.Exp(net.LogAlpha[k]) / 2
			for tt := 0; tt < T; tt++ {
				o := (b*T + tt) * N
				u, s := toIR(ws.u[l][o:o+N], ly), toIR(ws.in[l+1].Row(b, tt), ly)
				for i := range u {
					th := 0.0
					if u[i]-1 >= 0 {
						th = 1
						spikes++
					}
					if math.Abs(u[i]-1) < half {
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
	if inWindow < 40 || spikes < 40 {
		t.Fatalf("test network too quiet: %d in window, %d spikes", inWindow, spikes)
	}
	ref.record = true
	checkLoss(t, loss/B, ref.loss())
	ref.record = false
	fd := func(v *float64) float64 { return centralDiff(v, ref.loss) }
	check := func(what string, i int, got float32, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 2e-4+2e-3*math.Abs(want) {
			t.Errorf("%s[%d]: gradient %v, finite difference %v", what, i, got, want)
		}
	}
	// irGrad is the gradient of layer ly in the IR layer's weight order,
	// with connected marking the weights that exist (a dense layer's
	// groups leave the others out)
	irGrad := func(ly, below Layer, g []float32, in int) (grad []float32, connected []bool) {
		switch L := ly.(type) {
		case *trinaryConv:
			grad = L.irWeights(g)
			connected = make([]bool, len(grad))
			for i := range connected {
				connected[i] = true
			}
		case *trinaryDense:
			grad, connected = make([]float32, L.in*L.out), make([]bool, L.in*L.out)
			for gi := range L.groups {
				gr := &L.groups[gi]
				no := gr.o1 - gr.o0
				for k, i := range gr.src {
					ii := irIndex(net, below, int(i))
					for jj := 0; jj < no; jj++ {
						grad[(gr.o0+jj)*in+ii] = g[gr.off+k*no+jj]
						connected[(gr.o0+jj)*in+ii] = true
					}
				}
			}
		}
		return grad, connected
	}
	k := 0
	for l := range m.Layers[:len(m.Layers)-1] {
		if !m.Layers[l].HasNeurons() {
			continue
		}
		name, ly := m.Layers[l].Name, net.Layers[neuronLayer[k]]
		var below Layer
		if neuronLayer[k] > 0 {
			below = net.Layers[neuronLayer[k]-1]
		}
		P := tnParamsOf(ly)
		gw, connected := irGrad(ly, below, P.w.G, m.Layers[l].NumInputs())
		nonzero := 0
		for i := range ref.w[l] {
			if !connected[i] {
				continue
			}
			want := fd(&ref.w[l][i])
			if want != 0 {
				nonzero++
			}
			check(name+".w", i, gw[i], want)
		}
		if nonzero < 20 {
			t.Errorf("%s: only %d non-zero weight gradients", name, nonzero)
		}
		for i := range ref.b[l] {
			check(name+".b", i, P.b.G[i], fd(&ref.b[l][i]))
		}
		want := fd(&ref.alpha[k])
		if want == 0 {
			t.Errorf("alpha %d: zero finite difference", k)
		}
		// alphaGrad gives ∂L/∂ln α = α·∂L/∂α
		check("alpha", k, float32(ga[k]/ref.alpha[k]), want)
		k++
	}
	// the readout: Classes × the last hidden layer's outputs, in its order
	last := len(m.Layers) - 1
	R := net.Layers[len(net.Layers)-1].(*hostReadout)
	grw := make([]float32, 0, len(R.w.W))
	for c := 0; c < R.out; c++ {
		for _, v := range toIR(R.w.G[c*R.in:(c+1)*R.in], net.Layers[len(net.Layers)-2]) {
			grw = append(grw, float32(v))
		}
	}
	for i := range ref.w[last] {
		check("readout.w", i, grw[i], fd(&ref.w[last][i]))
	}
	for i := range ref.b[last] {
		check("readout.b", i, R.b.G[i], fd(&ref.b[last][i]))
	}
}

// tnParamsOf is the parameters of a trinary layer with neurons.
func tnParamsOf(ly Layer) *tnParams {
	switch L := ly.(type) {
	case *trinaryDense:
		return &L.tnParams
	case *trinaryConv:
		return &L.tnParams
	}
	panic("not a trinary layer with neurons")
}

// irIndex maps index i of the tensor out of layer ly (nil: the input) to
// the IR's order: position-major (HWC) after a convolution or a pooling, or
// for an image input that feeds one, channel-major in the IR.
func irIndex(net *Network, ly Layer, i int) int {
	c, hw := 1, 1
	switch L := ly.(type) {
	case *trinaryConv:
		c, hw = L.outC, L.outPlane
	case *hwcPool:
		c, hw = L.c, L.outH*L.outW
	case nil:
		if !net.chip.inputHWC {
			return i
		}
		c, hw = net.Input[0], net.Input[1]*net.Input[2]
	default:
		return i
	}
	return i%c*hw + i/c
}

func f64s(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}
