package train

import (
	"fmt"
	"math"
	"strconv"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Convolutional TrueNorth networks, EEDN style (Esser et al. 2016): an
// image-shaped architecture such as 28x28x1-16c5s2-64c3g4-10 trains
//
//   - convolutions with shared OutC×(InC/G)×K×K kernels split into G
//     channel groups, so that a neuron's fan-in (InC/G)·K·K stays within
//     the target's Sources (each source takes a "+" and a "−" axon of a core); the
//     kernel is trinary per output channel (Δ_c = 0.7·mean|w_c|,
//     t = sign(w)·[|w| > Δ_c], scale k_c/Q), the bias per output channel is
//     on the 1/Q grid (±255/Q), and the neurons are the same IF neurons as
//     the dense layers' (γ = 1, ϑ = 1, reset to zero) with their own ASGL
//     width α;
//   - average pooling between layers, which averages spikes (float, no
//     neurons); the compiler folds it into the next layer, so a K×K conv
//     after P×P pooling reads (K·P)² inputs per channel and the fan-in
//     check counts those;
//   - optional grouped dense hidden layers (as in 784-1024-1024-10);
//   - the last entry is the number of classes: the host-side readout.

// tnTap is one synapse of a convolution's tap list: an output position
// and a kernel position ky·K+kx.
type tnTap struct{ pos, k int32 }

// trinaryConv is a grouped trinary convolution with IF neurons.
//
// Inside the network, image-shaped tensors are position-major (HWC:
// element (c, y, x) at (y·W+x)·C+c), so that the output channels of a
// group are contiguous; freeze writes the IR's CHW order. The
// weights (latent, effective, gradients, moments) are input-major:
// w[(ci·K²+ky·K+kx)·ocg+j] is the weight from input channel ci to the
// j-th output channel of ci's group (irWeights gives the IR's layout).
type trinaryConv struct {
	tnParams
	inC, inH, inW, outC, outH, outW int
	k, stride, pad, groups          int
	icg, ocg, kk                    int
	inPlane, outPlane               int
	// input position p reaches the outputs taps[tapAt[p]:tapAt[p+1]]
	tapAt []int32
	taps  []tnTap
	buf   []float32 // refresh's scratch
}

func newTNConv(in []int, outC, k, stride, pad, groups int) *trinaryConv {
	g := max(1, groups)
	L := &trinaryConv{inC: in[0], inH: in[1], inW: in[2], outC: outC, k: k, stride: stride, pad: pad, groups: g}
	L.outH = (L.inH+2*pad-k)/stride + 1
	L.outW = (L.inW+2*pad-k)/stride + 1
	L.icg, L.ocg, L.kk = L.inC/g, outC/g, k*k
	L.inPlane, L.outPlane = L.inH*L.inW, L.outH*L.outW
	L.tapAt = make([]int32, L.inPlane+1)
	for iy := 0; iy < L.inH; iy++ {
		for ix := 0; ix < L.inW; ix++ {
			for ky := 0; ky < k; ky++ {
				oy := iy + pad - ky
				if oy < 0 || oy%stride != 0 || oy/stride >= L.outH {
					continue
				}
				for kx := 0; kx < k; kx++ {
					ox := ix + pad - kx
					if ox < 0 || ox%stride != 0 || ox/stride >= L.outW {
						continue
					}
					L.taps = append(L.taps, tnTap{int32(oy/stride*L.outW + ox/stride), int32(ky*k + kx)})
				}
			}
			L.tapAt[iy*L.inW+ix+1] = int32(len(L.taps))
		}
	}
	L.buf = make([]float32, 2*L.icg*L.kk)
	return L
}

func (L *trinaryConv) InShape() []int  { return []int{L.inC, L.inH, L.inW} }
func (L *trinaryConv) OutShape() []int { return []int{L.outC, L.outH, L.outW} }

// layoutEntry names the layer in the checkpoints' layout (as the separate
// trainer did).
func (L *trinaryConv) layoutEntry() string {
	return fmt.Sprintf("tnConv %d→%d", L.inC*L.inPlane, L.outC*L.outPlane)
}

// fanIn is the number of inputs of one neuron.
func (L *trinaryConv) fanIn() int { return L.icg * L.kk }

// widx is the index of the weight from input channel cg of output channel
// oc's group at kernel position kp.
func (L *trinaryConv) widx(oc, cg, kp int) int {
	g, j := oc/L.ocg, oc%L.ocg
	return ((g*L.icg+cg)*L.kk+kp)*L.ocg + j
}

// irWeights returns x (laid out like the weights) in the IR's layout
// OutC×(InC/G)×K×K.
func (L *trinaryConv) irWeights(x []float32) []float32 {
	w := make([]float32, len(x))
	for oc := 0; oc < L.outC; oc++ {
		for cg := 0; cg < L.icg; cg++ {
			for kp := 0; kp < L.kk; kp++ {
				w[(oc*L.icg+cg)*L.kk+kp] = x[L.widx(oc, cg, kp)]
			}
		}
	}
	return w
}

// Init draws the kernels (uniform, ±1.5/√(0.15·fan-in)).
func (L *trinaryConv) Init(r *rng) {
	L.alloc("conv", L.outC*L.icg*L.kk, L.outC)
	a := float32(1.5 / math.Sqrt(0.15*float64(L.fanIn())))
	for i := range L.w.W {
		L.w.W[i] = a * (2*r.r.Float32() - 1)
	}
	L.Refresh(0)
}

// Refresh makes each output channel's kernel trinary with its own scale
// and rounds the biases to the 1/Q grid.
func (L *trinaryConv) Refresh(int) {
	n := L.icg * L.kk
	w, weff := L.buf[:n], L.buf[n:]
	for oc := 0; oc < L.outC; oc++ {
		for i := range w {
			w[i] = L.w.W[L.widx(oc, i/L.kk, i%L.kk)]
		}
		L.grid.trinary(w, weff)
		for i, v := range weff {
			L.weff[L.widx(oc, i/L.kk, i%L.kk)] = v
		}
	}
	L.grid.roundBias(L.b.W, L.beff)
}

// trinary sets weff to t·k/Q for the latent weights w of one neuron or
// channel: Δ = 0.7·mean|w|, t = sign(w)·[|w| > Δ], k = the mean of the
// kept |w| on the 1/Q grid, clamped to 1..max.
func (g trinaryGrid) trinary(w, weff []float32) {
	var sum float64
	for _, v := range w {
		sum += math.Abs(float64(v))
	}
	delta := 0.7 * sum / float64(len(w))
	var kept float64
	nk := 0
	for _, v := range w {
		if a := math.Abs(float64(v)); a > delta {
			kept += a
			nk++
		}
	}
	q := 1.0
	if nk > 0 {
		q = math.Max(1, math.Min(g.max, math.Round(kept/float64(nk)*g.q)))
	}
	a := float32(q / g.q)
	for i, v := range w {
		x := float64(v)
		switch {
		case x > delta && nk > 0:
			weff[i] = a
		case x < -delta && nk > 0:
			weff[i] = -a
		default:
			weff[i] = 0
		}
	}
}

// roundBias rounds the biases to the 1/Q grid, clamped to ±max/Q.
func (g trinaryGrid) roundBias(b, beff []float32) {
	for j, v := range b {
		beff[j] = float32(math.Max(-g.max, math.Min(g.max, math.Round(float64(v)*g.q))) / g.q)
		if beff[j] == 0 {
			beff[j] = 0 // not −0
		}
	}
}

// Forward writes the currents of samples [lo, hi) at every step,
// scattering only the non-zero inputs.
func (L *trinaryConv) Forward(in, out *Acts, lo, hi int) {
	oc := L.outC
	ocg, icg, kk := L.ocg, L.icg, L.kk
	for b := lo; b < hi; b++ {
		for t := 0; t < in.Steps; t++ {
			x, c := in.Row(b, t), out.Row(b, t)
			for o := 0; o < L.outPlane; o++ {
				copy(c[o*oc:(o+1)*oc], L.beff)
			}
			for p := 0; p < L.inPlane; p++ {
				xs := x[p*L.inC : (p+1)*L.inC]
				taps := L.taps[L.tapAt[p]:L.tapAt[p+1]]
				for ci, v := range xs {
					if v == 0 {
						continue
					}
					g := ci / icg
					wb := ci * kk
					for _, tp := range taps {
						row := L.weff[(wb+int(tp.k))*ocg:][:ocg]
						dst := c[int(tp.pos)*oc+g*ocg:][:ocg]
						for j, wv := range row {
							dst[j] += v * wv
						}
					}
				}
			}
		}
	}
}

// BackwardInput sets gIn = Wᵀ·gOut (see backwardByInput).
func (L *trinaryConv) BackwardInput(gOut, gIn, need *Acts, lo, hi int) {
	backwardByInput(L, gOut, gIn, need, lo, hi)
}

// inputGrad is (Wᵀ·g)_i at input i (position i/InC, channel i%InC): the
// taps of its position over its group's output channels.
func (L *trinaryConv) inputGrad(g []float32, i int) float32 {
	p, ci := i/L.inC, i%L.inC
	ocg := L.ocg
	gofs := (ci / L.icg) * ocg
	wb := ci * L.kk
	var a float32
	for _, tp := range L.taps[L.tapAt[p]:L.tapAt[p+1]] {
		gr := g[int(tp.pos)*L.outC+gofs:][:ocg]
		row := L.weff[(wb+int(tp.k))*ocg:][:ocg]
		for j, d := range gr {
			a += row[j] * d
		}
	}
	return a
}

// AccumGrad sets the weight and bias gradients of the batch (one block).
func (L *trinaryConv) AccumGrad(_ int, in, gOut *Acts, n int) []Span {
	accumParts(L, in, gOut, n, L.parts, L.w.G, L.b.G, L.sw, L.sb)
	return L.spans()
}

// addSample adds sample b's gradients at every step: the bias gradients
// and the weight gradients scattered from the non-zero inputs.
func (L *trinaryConv) addSample(b int, in, gOut *Acts, gw, gb []float32) {
	oc := L.outC
	ocg, icg, kk := L.ocg, L.icg, L.kk
	for t := 0; t < in.Steps; t++ {
		x, g := in.Row(b, t), gOut.Row(b, t)
		for o := 0; o < L.outPlane; o++ {
			for j, v := range g[o*oc : (o+1)*oc] {
				gb[j] += v
			}
		}
		for p := 0; p < L.inPlane; p++ {
			xs := x[p*L.inC : (p+1)*L.inC]
			taps := L.taps[L.tapAt[p]:L.tapAt[p+1]]
			for ci, v := range xs {
				if v == 0 {
					continue
				}
				gofs := (ci / icg) * ocg
				wb := ci * kk
				for _, tp := range taps {
					gr := g[int(tp.pos)*oc+gofs:][:ocg]
					grow := gw[(wb+int(tp.k))*ocg:][:ocg]
					for j, d := range gr {
						grow[j] += v * d
					}
				}
			}
		}
	}
}

// Freeze returns the layer as a grouped conv2d IR layer (weights ±k_c/Q
// per output channel, biases m_c/Q).
func (L *trinaryConv) Freeze() ir.Layer {
	groups := 0
	if L.groups > 1 {
		groups = L.groups
	}
	return ir.Layer{Name: L.name, Kind: ir.KindConv2D, InShape: L.InShape(), OutShape: L.OutShape(),
		Weights: L.irWeights(L.weff), Bias: append([]float32(nil), L.beff...),
		Kernel: [2]int{L.k, L.k}, Stride: [2]int{L.stride, L.stride}, Padding: [2]int{L.pad, L.pad}, Groups: groups}
}

// hwcPool is k×k average pooling (no padding) of spikes, on HWC tensors;
// it has no parameters and no neurons.
type hwcPool struct {
	name                               string
	c, inH, inW, outH, outW, k, stride int
	scale                              float32
	// window lists, output position by output position, the input
	// positions of its window: (output, input) element offsets of the
	// channel vectors
	window [][2]int32
}

func newTNPool(in []int, k, stride int) *hwcPool {
	P := &hwcPool{c: in[0], inH: in[1], inW: in[2], outH: (in[1]-k)/stride + 1, outW: (in[2]-k)/stride + 1, k: k, stride: stride,
		scale: 1 / float32(k*k)}
	for oy := 0; oy < P.outH; oy++ {
		for ox := 0; ox < P.outW; ox++ {
			for iy := oy * stride; iy < oy*stride+k; iy++ {
				for ix := ox * stride; ix < ox*stride+k; ix++ {
					P.window = append(P.window, [2]int32{int32((oy*P.outW + ox) * P.c), int32((iy*P.inW + ix) * P.c)})
				}
			}
		}
	}
	return P
}

func (P *hwcPool) Name() string                            { return P.name }
func (P *hwcPool) InShape() []int                          { return []int{P.c, P.inH, P.inW} }
func (P *hwcPool) OutShape() []int                         { return []int{P.c, P.outH, P.outW} }
func (P *hwcPool) HasNeurons() bool                        { return false }
func (P *hwcPool) Params() []*Param                        { return nil }
func (P *hwcPool) Init(*rng)                               {}
func (P *hwcPool) GradBlocks() int                         { return 0 }
func (P *hwcPool) AccumGrad(int, *Acts, *Acts, int) []Span { return nil }
func (P *hwcPool) Refresh(int)                             {}

// layoutEntry names the pooling in the checkpoints' layout (as the
// separate trainer did).
func (P *hwcPool) layoutEntry() string {
	return fmt.Sprintf("tnPool %d→%d", P.c*P.inH*P.inW, P.c*P.outH*P.outW)
}

// Forward averages each window of samples [lo, hi) at every step.
func (P *hwcPool) Forward(in, out *Acts, lo, hi int) {
	C := P.c
	for b := lo; b < hi; b++ {
		for t := 0; t < in.Steps; t++ {
			x, c := in.Row(b, t), out.Row(b, t)
			clear(c)
			for _, w := range P.window {
				dst := c[w[0]:][:C]
				for j, v := range x[w[1]:][:C] {
					dst[j] += v
				}
			}
			for j := range c {
				c[j] *= P.scale
			}
		}
	}
}

// BackwardInput spreads each output's gradient, scaled, over its window.
func (P *hwcPool) BackwardInput(gOut, gIn, _ *Acts, lo, hi int) {
	C := P.c
	for b := lo; b < hi; b++ {
		for t := 0; t < gOut.Steps; t++ {
			g, gx := gOut.Row(b, t), gIn.Row(b, t)
			clear(gx)
			for _, w := range P.window {
				dst := gx[w[1]:][:C]
				for j, v := range g[w[0]:][:C] {
					dst[j] += v * P.scale
				}
			}
		}
	}
}

// Freeze returns the pooling as an avgpool IR layer.
func (P *hwcPool) Freeze() ir.Layer {
	return ir.Layer{Name: P.name, Kind: ir.KindAvgPool, InShape: P.InShape(), OutShape: P.OutShape(),
		Kernel: [2]int{P.k, P.k}, Stride: [2]int{P.stride, P.stride}}
}

// newTrinaryArchNet builds the network of an image-shaped architecture
// (see ParseArch) inside lim: convolutions, average pooling and grouped
// dense hidden layers, the last layer being the host readout. It refuses,
// with a ConfigError naming the layer, any neuron that would read more than
// lim.Sources inputs, counting the inputs of a pooling folded into the next
// layer.
func newTrinaryArchNet(lim *targets.Training, target, s string, a *Arch, T int, seed uint64) (*Network, error) {
	if len(a.Input) != 3 {
		return nil, &ConfigError{"arch", fmt.Sprintf("%q: --target %s takes INPUT-HIDDEN…-CLASSES (784-1024-1024-10) or an image HxWxC with convolutions (28x28x1-16c5s2-64c3g4-10)", s, target)}
	}
	last := a.Layers[len(a.Layers)-1]
	if last.Kind != "dense" {
		return nil, &ConfigError{"arch", fmt.Sprintf("%q: the last entry must be the number of classes (the host readout)", s)}
	}
	c := newChipBuilder(lim, a.Input, T, seed)
	c.n.chip.fastNoise = true
	sources := lim.Sources
	// the pooling folded into the next layer: an element of the current
	// map covers side×side elements, spaced step apart, of the map below
	// the pooling (the input or the last neuron stage's output)
	side, step := 1, 1
	below := a.Input
	var nc, nd int
	for _, l := range a.Layers[:len(a.Layers)-1] {
		switch l.Kind {
		case "conv":
			nc++
			L := newTNConv(l.InShape, l.Out, l.Kernel, l.Stride, l.Padding, l.Groups)
			eh := min((l.Kernel-1)*step+side, below[1])
			ew := min((l.Kernel-1)*step+side, below[2])
			if fan := L.icg * eh * ew; fan > sources {
				what := fmt.Sprintf("%d input channel(s) × %d×%d", L.icg, l.Kernel, l.Kernel)
				if side > 1 {
					what = fmt.Sprintf("%d input channel(s) × %d×%d, the %d×%d kernel over the pooled map", L.icg, eh, ew, l.Kernel, l.Kernel)
				}
				return nil, &ConfigError{"arch", fmt.Sprintf("%q: layer conv%d: fan-in %d (%s) exceeds the %d sources of a %s neuron; %s",
					s, nc, fan, what, sources, target, suggestGroups(l, eh*ew, sources))}
			}
			c.conv(L)
			side, step, below = 1, 1, l.OutShape
		case "pool":
			c.pool(newTNPool(l.InShape, l.Kernel, l.Stride))
			side, step = side+(l.Kernel-1)*step, step*l.Stride
		case "dense":
			nd++
			var L *trinaryDense
			if len(c.n.Layers) == 0 {
				var err error
				if L, err = newTNPatchLayer(lim, a.Input, l.Out); err != nil {
					return nil, err
				}
			} else {
				in := shapeSize(l.InShape)
				M := min(sources/(side*side), in)
				if M < 1 {
					return nil, &ConfigError{"arch", fmt.Sprintf("%q: layer fc%d: one pooled input stands for %d×%d inputs, more than the %d sources of a %s neuron; pool less before it", s, nd, side, side, sources, target)}
				}
				L = newTNGroupedLayer(c.r.r, in, l.Out, M, lim.GroupNeurons)
			}
			c.dense(L)
			side, step, below = 1, 1, l.OutShape
		}
	}
	switch c.n.Layers[0].(type) {
	case *trinaryConv, *hwcPool:
		c.n.chip.inputHWC = true
	}
	if len(c.n.LogAlpha) == 0 {
		return nil, &ConfigError{"arch", fmt.Sprintf("%q: want at least one hidden layer with neurons before the readout", s)}
	}
	n := c.finish(shapeSize(c.n.Layers[len(c.n.Layers)-1].OutShape()), last.Out)
	n.Name = "snnc-" + target + "-" + s
	return n, nil
}

// suggestGroups names the fix for a convolution whose neurons read too
// many inputs (more than sources): the fewest groups that fit, or a
// smaller kernel.
func suggestGroups(l LayerSpec, area, sources int) string {
	inC := l.InShape[0]
	for g := max(2, l.Groups+1); g <= inC; g++ {
		if inC%g == 0 && l.Out%g == 0 && inC/g*area <= sources {
			name := strconv.Itoa(l.Out) + "c" + strconv.Itoa(l.Kernel)
			if l.Stride != 1 {
				name += "s" + strconv.Itoa(l.Stride)
			}
			if l.Padding != 0 {
				name += "p" + strconv.Itoa(l.Padding)
			}
			return fmt.Sprintf("split the channels into more groups, e.g. %sg%d", name, g)
		}
	}
	return "use more channel groups, a smaller kernel or less pooling before it"
}
