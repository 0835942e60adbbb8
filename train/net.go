package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// Method is the training method.
type Method int

const (
	// ASGL is Adaptive Smoothing Gradient Learning (learnable α, noise p).
	ASGL Method = iota
	// SG is the rectangular surrogate gradient with fixed α.
	SG
)

func (m Method) String() string {
	if m == SG {
		return "sg"
	}
	return "asgl"
}

// Network is a feed-forward LIF network: Layers in order, LIF neurons after
// every layer with neurons except the last, whose mean current over T is
// the readout.
type Network struct {
	Layers []Layer
	// T is the number of time steps.
	T int
	// Leak is γ, Threshold is ϑ.
	Leak, Threshold float32
	// Method selects the training spike function.
	Method Method
	// LogAlpha is ln α per LIF stage (in layer order).
	LogAlpha []float64
	// Input is the input shape ([N] or [C,H,W]); InputScale multiplies raw
	// input bytes (1/255).
	Input      []int
	InputScale float32
	// CurrentDecay is β_c of every layer with neurons (0: the seed's
	// neuron, whose current is its input alone); Reset is the reset mode of
	// the spiking layers (zero or subtract); Readout how the prediction is
	// read. See temporal.go.
	CurrentDecay float32
	Reset        ir.ResetMode
	Readout      ir.ReadoutKind
	// DetachReset: BPTT treats the spike in the reset term as a constant
	// (temporal networks only; see Temporal.DetachReset).
	DetachReset bool
	// Events marks event input: each sample is T steps of input spikes
	// (0 or 1 bytes, step-major) that the first layer's synapses take at
	// their step (ir.EncodingEvents), instead of one image fed as a
	// constant current.
	Events bool
	// Rate marks rate-coded input (ir.EncodingRate, chip options only):
	// pixel/255 is the probability of an input spike at each step.
	Rate bool
	// Name, if set, is the frozen model's name (else snnc-ARCH).
	Name string
	// Delays is the synaptic delay of each layer's input in steps (nil or
	// 0: none; ir.Layer.Delay, delay.go).
	Delays []int

	lif []int // LIF stage index per layer, −1 if none
	// chip, for a network trained inside a chip's limits, makes the
	// neurons IF neurons with per-sample noise streams and takes the
	// batch's sums in parts (trinary.go); nil for the float network.
	chip *chipOptions
}

// NewNetwork builds a randomly initialised network for arch. It panics if
// a convolution has groups (NewTrainer refuses them with a ConfigError:
// only the TrueNorth trainer trains grouped convolutions).
//
// The optional temporal options (at most one) set the current decay, the
// reset and the readout (see temporal.go); without them the network is the
// seed's.
func NewNetwork(a *Arch, T int, leak, threshold float32, method Method, alpha float64, r *rng, temporal ...Temporal) *Network {
	if err := a.noGroups(""); err != nil {
		panic(err)
	}
	n := &Network{T: T, Leak: leak, Threshold: threshold, Method: method, Input: a.Input, InputScale: 1.0 / 255}
	for _, o := range temporal {
		n.CurrentDecay, n.Reset, n.Readout, n.DetachReset = o.CurrentDecay, o.Reset, o.Readout, o.DetachReset
	}
	var nd, nc, np int
	for _, s := range a.Layers {
		var ly Layer
		switch s.Kind {
		case "dense":
			nd++
			ly = NewDense("fc"+itoa(nd), shapeSize(s.InShape), s.Out)
		case "recurrent":
			nd++
			ly = NewRecurrentDense("rec"+itoa(nd), shapeSize(s.InShape), s.Out)
		case "conv":
			nc++
			ly = NewConv2D("conv"+itoa(nc), s.InShape, s.Out, s.Kernel, s.Stride, s.Padding)
		case "pool":
			np++
			ly = NewAvgPool("pool"+itoa(np), s.InShape, s.Kernel, s.Stride, s.Padding)
		case "flatten":
			ly = NewFlatten("flatten", s.InShape)
		}
		ly.Init(r)
		n.Layers = append(n.Layers, ly)
		n.Delays = append(n.Delays, s.Delay)
	}
	n.setup()
	if n.temporal() {
		n.normaliseTemporalInit()
	}
	for range n.numLIF() {
		n.LogAlpha = append(n.LogAlpha, math.Log(alpha))
	}
	return n
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func (n *Network) setup() {
	n.lif = make([]int, len(n.Layers))
	k := 0
	for l, ly := range n.Layers {
		n.lif[l] = -1
		if ly.HasNeurons() && (l < len(n.Layers)-1 || n.Readout == ir.ReadoutSpikeCount) {
			n.lif[l] = k
			k++
		}
	}
}

func (n *Network) numLIF() int {
	k := 0
	for _, v := range n.lif {
		if v >= 0 {
			k++
		}
	}
	return k
}

// Alphas returns α per LIF stage.
func (n *Network) Alphas() []float64 {
	a := make([]float64, len(n.LogAlpha))
	for i, v := range n.LogAlpha {
		a[i] = math.Exp(v)
	}
	return a
}

// Classes is the number of outputs.
func (n *Network) Classes() int {
	o := n.Layers[len(n.Layers)-1].OutShape()
	return o[len(o)-1]
}

func (n *Network) inputSize() int {
	s := 1
	for _, d := range n.Input {
		s *= d
	}
	return s
}

// workspace holds every buffer of one batch, allocated once.
type workspace struct {
	cap    int
	in     []*Acts // in[l]: input of layer l; in[0] is the data
	cur    []*Acts // currents of layer l
	u      [][]float32
	gIn    []*Acts // ∂L/∂in[l] (l ≥ 1)
	gCur   []*Acts // ∂L/∂cur[l]
	gun    [][]float32
	win    []*Acts // neurons inside the surrogate window, per LIF layer
	loss   []float64
	pred   []int32
	galpha []float64 // per sample × LIF stage
	labels []uint8
	n      int
	// training state for the batch
	train     bool
	maskSeed  uint64
	maskP     uint64
	dropP     float32  // input dropout: probability of dropping a pixel
	dropThr   uint64   // threshold on 32 random bits for keeping it
	aug       *augment // training-time augmentation, nil for none
	smooth    float64  // label smoothing ε
	alphas    []float32
	invAlphas []float32
	// temporal networks (temporal.go): per LIF layer and sample, the
	// running synaptic current, its error and the recurrent error Vᵀ·∂L/∂c;
	// per sample, the readout's scratch and the steps of its maxima
	csyn, gcs, grec [][]float32
	rbuf            []float32
	tmax            []int32
	// networks inside a chip's limits: each sample's stream (rate-coded
	// input, then noise masks) and the noise probability
	pcg    []*rand.PCG
	rand   []*rand.Rand
	noiseP float64
	// winScratch: per IF layer without a window list, one step's
	// scratch per sample
	winScratch [][]int32
	// delayed layers (delay.go): din[l] is layer l's input delayed,
	// gdin[l] ∂L/∂din[l] (nil for layers without a delay)
	din, gdin []*Acts
}

func (n *Network) newWorkspace(batch int) *workspace {
	L := len(n.Layers)
	ws := &workspace{cap: batch, in: make([]*Acts, L+1), cur: make([]*Acts, L), u: make([][]float32, L),
		gIn: make([]*Acts, L+1), gCur: make([]*Acts, L), gun: make([][]float32, L), win: make([]*Acts, L),
		loss: make([]float64, batch), pred: make([]int32, batch), labels: make([]uint8, batch),
		galpha: make([]float64, batch*len(n.LogAlpha))}
	temporal := n.temporal()
	inSteps := 1
	if n.Events || n.Rate {
		inSteps = n.T
	}
	chip := n.chip != nil
	ws.in[0] = newActs(batch, inSteps, n.inputSize(), !chip)
	if chip {
		for range batch {
			p := rand.NewPCG(0, 0)
			ws.pcg, ws.rand = append(ws.pcg, p), append(ws.rand, rand.New(p))
		}
	}
	ws.csyn, ws.gcs, ws.grec = make([][]float32, L), make([][]float32, L), make([][]float32, L)
	ws.winScratch = make([][]int32, L)
	for l, ly := range n.Layers {
		out := shapeSize(ly.OutShape())
		steps := ws.in[l].Steps
		if R, ok := ly.(*hostReadout); ok {
			steps = 1 // the current averaged over T
			R.reserve(batch)
		}
		if _, ok := ly.(*Flatten); ok {
			ws.cur[l] = ws.in[l] // same memory layout: pass the buffers through
		} else {
			ws.cur[l] = newActs(batch, steps, out, false)
		}
		last := l == L-1
		switch {
		case last && n.lif[l] < 0:
			gsteps := 1
			if n.Readout == ir.ReadoutMaxPotential {
				gsteps = n.T
				ws.rbuf = make([]float32, batch*3*out)
				ws.tmax = make([]int32, batch*out)
			}
			ws.gCur[l] = newActs(batch, gsteps, out, false)
		case n.lif[l] >= 0:
			if chip {
				// the IF neurons integrate their current in place
				ws.u[l] = ws.cur[l].Val
			} else {
				ws.u[l] = make([]float32, batch*n.T*out)
			}
			ws.in[l+1] = newActs(batch, n.T, out, !chip && n.spikesListed(l))
			// spike patterns only for a dense layer above (through a flatten)
			if n.T <= maxPatternSteps && !temporal && !chip && n.denseAbove(l) {
				ws.in[l+1].Ones = make([]uint8, batch*out)
				ws.in[l+1].Analog = make([]uint8, batch*out)
			}
			if temporal || chip {
				// the error currents differ per step even for a constant input
				ws.gCur[l] = newActs(batch, n.T, out, false)
			}
			if temporal {
				ws.csyn[l], ws.gcs[l], ws.grec[l] = make([]float32, batch*out), make([]float32, batch*out), make([]float32, batch*out)
			} else {
				ws.gCur[l] = newActs(batch, steps, out, false)
			}
			if steps > 1 && !temporal && !chip {
				ws.gCur[l].Sum = make([]float32, batch*out)
			}
			if last {
				ws.gIn[L] = newActs(batch, n.T, out, false)
			}
			switch {
			case chip && l+1 == L-1:
				// the readout above needs no window: one step's scratch
				ws.winScratch[l] = make([]int32, batch*out)
			default:
				ws.gun[l] = make([]float32, batch*out)
				if temporal || chip || n.windowListed(l) {
					ws.win[l] = &Acts{N: out, Steps: n.T, Batch: batch, Sparse: true,
						Idx: make([]int32, batch*n.T*out), Cnt: make([]int32, batch*n.T)}
				}
			}
		default:
			ws.in[l+1] = ws.cur[l]
		}
	}
	for l := L - 1; l >= 1; l-- {
		if _, ok := n.Layers[l].(*Flatten); ok {
			ws.gIn[l] = ws.gCur[l]
		} else if n.delay(l) > 0 {
			ws.gIn[l] = newActs(batch, n.T, shapeSize(n.Layers[l].InShape()), false)
		} else {
			ws.gIn[l] = newActs(batch, ws.gCur[l].Steps, shapeSize(n.Layers[l].InShape()), false)
		}
		switch {
		case n.lif[l-1] < 0:
			ws.gCur[l-1] = ws.gIn[l]
		case chip && ws.gIn[l].Steps == n.T:
			// ifBackward turns ∂L/∂ŝ into ∂L/∂c element by element: in place
			ws.gCur[l-1] = ws.gIn[l]
		}
	}
	n.delayWorkspace(ws, batch)
	return ws
}

// windowListed reports whether the float network's LIF layer l lists its
// surrogate window (ws.win[l]): only a dense layer directly above uses the
// list (to compute its input gradient only where it is needed).
func (n *Network) windowListed(l int) bool {
	if l+1 >= len(n.Layers) {
		return false
	}
	_, ok := n.Layers[l+1].(*Dense)
	return ok
}

// spikesListed reports whether the float network's LIF layer l lists its
// spikes (Acts.Sparse): not for a tiling pool directly above (not
// temporal, no delay), which sums its windows from the values as fast as
// from the lists.
func (n *Network) spikesListed(l int) bool {
	if l+1 >= len(n.Layers) || n.temporal() || n.delay(l+1) > 0 {
		return true
	}
	p, ok := n.Layers[l+1].(*AvgPool)
	return !ok || !p.tiles
}

// denseAbove reports whether the first layer above layer l that is not a
// flatten is a dense layer (the one consumer of spike patterns).
func (n *Network) denseAbove(l int) bool {
	for _, ly := range n.Layers[l+1:] {
		if _, ok := ly.(*Flatten); ok {
			continue
		}
		_, ok := ly.(*Dense)
		return ok
	}
	return false
}

func shapeSize(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

// loadInput fills ws.in[0] for samples [lo, hi) from raw bytes.
func (n *Network) loadInput(ws *workspace, images []uint8, idx []int, lo, hi int) {
	a := ws.in[0]
	if n.Events {
		n.loadEvents(ws, images, idx, lo, hi)
		return
	}
	if n.Rate {
		n.loadRate(ws, images, idx, lo, hi)
		return
	}
	sz := a.N
	for b := lo; b < hi; b++ {
		src := images[idx[b]*sz : (idx[b]+1)*sz]
		row := a.Val[b*sz : (b+1)*sz]
		act := a.Idx[b*sz : (b+1)*sz]
		var c int
		if ws.train && ws.aug != nil {
			mr := newMaskRNG(ws.maskSeed^0x2545f4914f6cdd1d, b)
			c = ws.aug.load(row, act, src, n.InputScale, &mr)
		} else {
			for i, p := range src {
				if p != 0 {
					row[i] = float32(p) * n.InputScale
					act[c] = int32(i)
					c++
				} else {
					row[i] = 0
				}
			}
		}
		a.Cnt[b] = int32(c)
		if ws.train && ws.dropP > 0 {
			// input dropout: keep each non-zero pixel with probability
			// 1 − dropP and scale it by 1/(1 − dropP) (its own random stream)
			mr := newMaskRNG(ws.maskSeed^0xd50b5a8c3f6e1247, b)
			scale := 1 / (1 - ws.dropP)
			kept := 0
			for _, i := range act[:c] {
				if mr.next()>>32 < ws.dropThr {
					row[i] *= scale
					act[kept] = i
					kept++
				} else {
					row[i] = 0
				}
			}
			a.Cnt[b] = int32(kept)
		}
	}
}

// loadEvents fills ws.in[0] for samples [lo, hi) from T steps of binned
// input spikes per sample.
func (n *Network) loadEvents(ws *workspace, spikes []uint8, idx []int, lo, hi int) {
	a := ws.in[0]
	sz := a.N * a.Steps
	for b := lo; b < hi; b++ {
		src := spikes[idx[b]*sz : (idx[b]+1)*sz]
		for t := 0; t < a.Steps; t++ {
			k := b*a.Steps + t
			row := a.Val[k*a.N : (k+1)*a.N]
			act := a.Idx[k*a.N : (k+1)*a.N]
			c := 0
			for i, p := range src[t*a.N : (t+1)*a.N] {
				row[i] = float32(p)
				if p != 0 {
					act[c] = int32(i)
					c++
				}
			}
			a.Cnt[k] = int32(c)
		}
	}
}

// forward runs samples [lo, hi) through the network (Θ only unless
// ws.train) and records loss and prediction.
func (n *Network) forward(ws *workspace, lo, hi int) {
	L := len(n.Layers)
	temporal := n.temporal()
	for l, ly := range n.Layers {
		ly.Forward(n.delayedInput(ws, l, lo, hi), ws.cur[l], lo, hi)
		if k := n.lif[l]; k >= 0 {
			switch {
			case n.chip != nil:
				n.ifForward(ws, l, k, lo, hi)
			case temporal:
				n.lifForwardTemporal(ws, l, k, lo, hi)
			default:
				n.lifForward(ws, l, k, lo, hi)
			}
		}
	}
	// readout and loss
	out := ws.cur[L-1]
	C := out.N
	var logits [64]float64
	lg := logits[:0]
	if C > len(logits) {
		lg = make([]float64, C)
	}
	lg = lg[:C]
	inv := 1 / float64(out.Steps)
	switch n.Readout {
	case ir.ReadoutMaxPotential:
		inv = n.maxPotentialScale()
	case ir.ReadoutSpikeCount:
		inv = 1
	}
	for b := lo; b < hi; b++ {
		clear(lg)
		switch n.Readout {
		case ir.ReadoutMaxPotential:
			n.readoutMaxPotential(ws, b, lg)
		case ir.ReadoutSpikeCount:
			for t := 0; t < n.T; t++ {
				for k, v := range ws.in[L].Row(b, t) {
					lg[k] += float64(v)
				}
			}
		default:
			for t := 0; t < out.Steps; t++ {
				for k, v := range out.Row(b, t) {
					lg[k] += float64(v)
				}
			}
		}
		best := 0
		mx := math.Inf(-1)
		for k := range lg {
			lg[k] *= inv
			if lg[k] > mx {
				mx, best = lg[k], k
			}
		}
		ws.pred[b] = int32(best)
		var z float64
		for k := range lg {
			lg[k] = math.Exp(lg[k] - mx)
			z += lg[k]
		}
		y := int(ws.labels[b])
		eps := 0.0
		if ws.train {
			eps = ws.smooth
		}
		if y >= C {
			ws.loss[b] = math.Inf(1)
		} else if eps == 0 {
			ws.loss[b] = -math.Log(lg[y] / z)
		} else {
			// cross-entropy against (1−ε)·onehot + ε/C
			var sl float64
			for k := range lg {
				sl += math.Log(lg[k] / z)
			}
			ws.loss[b] = -(1-eps)*math.Log(lg[y]/z) - eps/float64(C)*sl
		}
		if ws.train {
			g := ws.gCur[L-1].Row(b, 0)
			switch n.Readout {
			case ir.ReadoutMaxPotential:
				g = ws.rbuf[b*3*C+2*C : (b+1)*3*C] // ∂L/∂max_t u, then BPTT
			case ir.ReadoutSpikeCount:
				g = ws.gIn[L].Row(b, 0) // ∂L/∂ŝ[t], the same at every step
			}
			if n.chip != nil {
				// the chip layers' readout rounds the softmax to float32
				// before subtracting the label's 1 (as it always has)
				gscale := 1 / float32(ws.n)
				for k := range g {
					gk := float32(lg[k] / z)
					if k == y {
						gk--
					}
					g[k] = gk * gscale
				}
				continue
			}
			// ∂L/∂c[t] = (softmax − target)/(B·T); a current constant
			// over time (Steps 1) collects all T steps.
			scale := inv / float64(ws.n)
			off := eps / float64(C)
			for k := range g {
				p := lg[k]/z - off
				if k == y {
					p -= 1 - eps
				}
				g[k] = float32(p * scale)
			}
			switch n.Readout {
			case ir.ReadoutMaxPotential:
				n.readoutMaxPotentialGrad(ws, b, g)
			case ir.ReadoutSpikeCount:
				for t := 1; t < n.T; t++ {
					copy(ws.gIn[L].Row(b, t), g)
				}
			}
		}
	}
}

// lifForward runs the LIF neurons after layer l for samples [lo, hi).
// In training it also lists, per step, the neurons inside the surrogate
// window |x| < α/2 (ws.win[l]): only there is a gradient needed from above.
func (n *Network) lifForward(ws *workspace, l, k, lo, hi int) {
	cur, s := ws.cur[l], ws.in[l+1]
	N, T := s.N, n.T
	gamma, theta := n.Leak, n.Threshold
	var alpha, inva float32
	mixed := ws.train && n.Method == ASGL
	if ws.train {
		alpha, inva = ws.alphas[k], ws.invAlphas[k]
	}
	halfBits := math.Float32bits(alpha / 2)
	thr := ws.maskP
	win := ws.win[l]
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	spk, inWin := sc.bitmaps((N + 7) / 8)
	for b := lo; b < hi; b++ {
		mr := newMaskRNG(ws.maskSeed^uint64(k)<<56, b)
		var ones, analog []uint8
		if s.Ones != nil {
			ones, analog = s.Ones[b*N:(b+1)*N], s.Analog[b*N:(b+1)*N]
			clear(ones)
			clear(analog)
		}
		for t := 0; t < T; t++ {
			o := (b*T + t) * N
			u := ws.u[l][o : o+N]
			sv := s.Val[o : o+N]
			var idx []int32
			if s.Sparse {
				idx = s.Idx[o : o+N]
			}
			var up, sp []float32
			if t > 0 {
				up, sp = ws.u[l][o-N:o], s.Val[o-N:o]
			}
			// the vector step: u, Θ, and the bitmaps of the spikes and of
			// the neurons inside the surrogate window |x| < α/2
			lifStep(u, up, sp, cur.Row(b, t), gamma, theta, halfBits, sv, spk, inWin)
			if !ws.train {
				if !s.Sparse {
					continue
				}
				cnt := listBits(spk, idx)
				s.Cnt[b*T+t] = int32(cnt)
				if ones != nil {
					for _, i := range idx[:cnt] {
						ones[i] |= 1 << t
					}
				}
				continue
			}
			if win != nil {
				win.Cnt[b*T+t] = int32(listBits(inWin, win.Idx[o:o+N]))
			}
			if mixed {
				mixWindow(inWin, spk, u, sv, theta, inva, thr, &mr)
			}
			if !s.Sparse {
				continue
			}
			cnt := listBits(spk, idx)
			s.Cnt[b*T+t] = int32(cnt)
			if ones != nil {
				for _, i := range idx[:cnt] {
					if sv[i] == 1 {
						ones[i] |= 1 << t
					} else {
						analog[i] |= 1 << t
					}
				}
			}
		}
	}
}

// backward computes every gradient of samples [lo, hi) after forward.
func (n *Network) backward(ws *workspace, lo, hi int) {
	L := len(n.Layers)
	temporal := n.temporal()
	for l := L - 1; l >= 0; l-- {
		if k := n.lif[l]; k >= 0 {
			switch {
			case n.chip != nil:
				n.ifBackward(ws, l, k, lo, hi)
			case temporal:
				n.lifBackwardTemporal(ws, l, k, lo, hi)
			default:
				n.lifBackward(ws, l, k, lo, hi)
			}
		}
		if l >= 1 {
			if d := n.delay(l); d > 0 {
				n.Layers[l].BackwardInput(ws.gCur[l], ws.gdin[l], nil, lo, hi)
				undelayActs(ws.gIn[l], ws.gdin[l], d, lo, hi)
				continue
			}
			n.Layers[l].BackwardInput(ws.gCur[l], ws.gIn[l], ws.win[l-1], lo, hi)
		}
	}
}

// lifBackward turns ∂L/∂ŝ (ws.gIn[l+1]) into ∂L/∂c (ws.gCur[l]) by BPTT
// through the LIF dynamics and the reset term, and accumulates ∂L/∂α.
//
//	g     = ∂L/∂ŝ[t] − γ·u[t]·∂L/∂u[t+1]            (reset term)
//	∂L/∂u[t] = γ·(1 − ŝ[t])·∂L/∂u[t+1] + g·h(x[t])    h = (1/α)·1[|x| < α/2]
//	∂L/∂α += g·(−x/α²)·1[|x| < α/2]                   (ASGL)
func (n *Network) lifBackward(ws *workspace, l, k, lo, hi int) {
	s, gS, gC := ws.in[l+1], ws.gIn[l+1], ws.gCur[l]
	N, T := s.N, n.T
	gamma, theta := n.Leak, n.Threshold
	inva := ws.invAlphas[k]
	halfBits := math.Float32bits(ws.alphas[k] / 2)
	asgl := n.Method == ASGL
	nl := len(n.LogAlpha)
	for b := lo; b < hi; b++ {
		gun := ws.gun[l][b*N : (b+1)*N]
		clear(gun)
		sum := gC.Steps == 1
		if sum {
			clear(gC.Row(b, 0))
		}
		var gsum []float32
		if gC.Sum != nil {
			gsum = gC.Sum[b*N : (b+1)*N]
			clear(gsum)
		}
		var ga float64
		for t := T - 1; t >= 0; t-- {
			o := (b*T + t) * N
			u := ws.u[l][o : o+N]
			sv := s.Val[o : o+N]
			gs := gS.Row(b, t)[:N]
			gc := gC.Row(b, t)[:N]
			// ∂L/∂α's terms in eight lanes (neuron i in lane i mod 8)
			var lanes [8]float32
			lifBack(u, sv, gs, gun, gc, gamma, theta, inva, halfBits, sum, &lanes)
			gat := sumLanes(&lanes)
			if asgl {
				ga += float64(gat)
			}
			if gsum != nil {
				add(gc, gsum)
			}
		}
		// ∂H/∂α = −x/α² inside the window
		ws.galpha[b*nl+k] = ga * float64(inva*inva)
	}
}

// parallel runs fn(lo, hi) over [0, n) in chunks on every core.
func parallel(n, chunk int, fn func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}

// params lists the trainable parameters in layer order.
func (n *Network) params() []*Param {
	var ps []*Param
	for _, ly := range n.Layers {
		ps = append(ps, ly.Params()...)
	}
	return ps
}

// layout describes every layer: name, input and output shape, or the
// entry the layer gives itself (the chip layers keep the separate trainer's
// entries so that its checkpoints resume; "" leaves a layer out).
func (n *Network) layout() []string {
	var s []string
	for _, ly := range n.Layers {
		if d, ok := ly.(interface{ layoutEntry() string }); ok {
			if e := d.layoutEntry(); e != "" {
				s = append(s, e)
			}
			continue
		}
		s = append(s, fmt.Sprintf("%s %v→%v", ly.Name(), ly.InShape(), ly.OutShape()))
	}
	return s
}

// refreshAll recomputes every layer's derived copies of its parameters.
func (n *Network) refreshAll() {
	for _, ly := range n.Layers {
		for k := 0; k < ly.GradBlocks(); k++ {
			ly.Refresh(k)
		}
	}
}

// batchNet is the Network with its training and evaluation workspaces:
// what the Trainer trains, float or inside a chip's limits.
type batchNet struct {
	net        *Network
	ws, evalWS *workspace
	ga         []float64 // alphaGrad's result
	// qat, when set, quantizes the weights for every forward pass and
	// holds the biases at 0 (int8.go).
	qat *gridQuant
}

// newBatchNet is net with a training workspace for batches of up to batch
// samples.
func newBatchNet(net *Network, batch int) *batchNet {
	f := &batchNet{net: net, ws: net.newWorkspace(batch), ga: make([]float64, len(net.LogAlpha))}
	f.ws.alphas = make([]float32, len(net.LogAlpha))
	f.ws.invAlphas = make([]float32, len(net.LogAlpha))
	return f
}

func (f *batchNet) shuffle(r *rand.Rand, perm []int) {
	for i := range perm {
		perm[i] = i
	}
	r.Shuffle(len(perm), func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
}

func (f *batchNet) trainBatch(split *dataset.Split, _ int, idx []int, seed uint64, p float64) (float64, int) {
	net, ws := f.net, f.ws
	if f.qat != nil {
		f.qat.apply() // restored by applyStep, before the update
	}
	n := len(idx)
	ws.train = true
	ws.maskP = pThreshold(p)
	for b, i := range idx {
		ws.labels[b] = split.Labels[i]
	}
	for k, la := range net.LogAlpha {
		a := math.Exp(la)
		ws.alphas[k], ws.invAlphas[k] = float32(a), float32(1/a)
	}
	ws.maskSeed = seed
	ws.noiseP = p
	ws.n = n
	// a chip network's samples are large (T steps of spikes through every
	// layer): one at a time keeps a sample's tensors in the cache
	chunk := 4
	if net.chip != nil {
		chunk = 1
	}
	parallel(n, chunk, func(lo, hi int) {
		net.loadInput(ws, split.Images, idx, lo, hi)
		net.forward(ws, lo, hi)
		net.backward(ws, lo, hi)
	})
	correct := 0
	for b := 0; b < n; b++ {
		if int(ws.pred[b]) == int(ws.labels[b]) {
			correct++
		}
	}
	return sumParts(ws.loss[:n], f.parts()), correct
}

// parts is the number of parts the batch's sums are taken in: one for the
// float network (sample order), the chip options' otherwise.
func (f *batchNet) parts() int {
	if f.net.chip != nil {
		return f.net.chip.parts
	}
	return 1
}

func (f *batchNet) learnsAlpha() bool   { return f.net.Method == ASGL }
func (f *batchNet) logAlpha() []float64 { return f.net.LogAlpha }
func (f *batchNet) Alphas() []float64   { return f.net.Alphas() }
func (f *batchNet) layout() []string    { return f.net.layout() }
func (f *batchNet) refreshAll()         { f.net.refreshAll() }
func (f *batchNet) params() []*Param    { return f.net.params() }
func (f *batchNet) freeze(prov *ir.Provenance) *ir.Model {
	if f.qat != nil {
		f.qat.apply()
		defer f.qat.restore()
	}
	return Freeze(f.net, prov)
}

// alphaGrad sums ∂L/∂α over the batch's samples in order; ∂L/∂ln α =
// α·∂L/∂α.
func (f *batchNet) alphaGrad() []float64 {
	ws, ga := f.ws, f.ga
	clear(ga)
	nl := len(ga)
	parts := f.parts()
	for p := 0; p < parts; p++ {
		for k := range ga {
			var s float64
			for b := ws.n * p / parts; b < ws.n*(p+1)/parts; b++ {
				s += ws.galpha[b*nl+k]
			}
			ga[k] += s
		}
	}
	for k := range ga {
		ga[k] *= math.Exp(f.net.LogAlpha[k])
	}
	return ga
}

// applyStep accumulates the parameter gradients of the batch block by
// block and applies the optimiser to each block as soon as it is done.
func (f *batchNet) applyStep(opt *optimizer) {
	if f.qat != nil {
		f.qat.restore() // the straight-through update applies to the float weights
	}
	net, ws, n := f.net, f.ws, f.ws.n
	type task struct{ l, k int }
	var tasks []task
	for l, ly := range net.Layers {
		if r, ok := ly.(*RecurrentDense); ok {
			r.own = ws.in[l+1]
		}
		for k := 0; k < ly.GradBlocks(); k++ {
			tasks = append(tasks, task{l, k})
		}
	}
	parallel(len(tasks), 1, func(lo, hi int) {
		for _, t := range tasks[lo:hi] {
			ly := net.Layers[t.l]
			for _, sp := range ly.AccumGrad(t.k, ws.layerInput(t.l), ws.gCur[t.l], n) {
				opt.update(sp)
			}
			ly.Refresh(t.k)
		}
	})
}

func (f *batchNet) evaluate(split dataset.Split, _ int) float64 {
	if f.evalWS == nil {
		f.evalWS = f.net.newWorkspace(256)
	}
	if f.qat != nil {
		f.qat.apply()
		defer f.qat.restore()
	}
	return f.net.evaluate(f.evalWS, split, nil)
}
