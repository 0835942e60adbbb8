package train

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// Training inside a chip's limits (snnc train --target NAME, Config.Limits).
//
// A target's training section (targets.Training) turns the Trainer's layers
// into grouped trinary layers of integrate-and-fire neurons that the
// compiler maps onto the chip without approximation. With TrueNorth's
// section (a core of 256 axons × 256 neurons, a binary crossbar, 4 axon
// types with one signed 9-bit weight per neuron and type, one target per
// neuron, linear leak):
//
//   - Connectivity is grouped, one group per core. The first hidden layer
//     sees the image through square receptive fields (Patch² pixels
//     × channels ≤ Sources, on a grid of patches that covers the image),
//     its neurons split evenly over the patches. Every later hidden layer
//     is split into groups of GroupNeurons neurons; each group sees Sources
//     neurons of the layer below, drawn so that every source is used about
//     equally often (a seeded stream of permutations). So every neuron's
//     fan-in is at most Sources (128: two typed axons each).
//   - Weights are trinary per neuron, as EEDN's: w_ij = t_ij·a_j with
//     t ∈ {−1, 0, +1} and a_j = k_j/Q, k_j ∈ 1..MaxWeight (Q = ScaleUnits).
//     On chip every source reaches a core on two axons, one typed +1 and
//     one typed −1 (type weights +k_j and −k_j). t and a come from latent
//     float weights as in ternary weight networks: Δ_j = 0.7·mean|w_j|,
//     t = sign(w)·[|w| > Δ_j], a_j = mean of the kept |w| rounded to the
//     1/Q grid; the gradient passes straight through to the latent weights.
//   - Biases are the per-neuron signed leak: b_j = m_j/Q, |m_j| ≤ MaxWeight
//     (rounded in the forward pass, straight-through).
//   - Neurons are integrate-and-fire (γ = 1) with reset to zero and ϑ = 1,
//     so on chip α = Q exactly: with Q a power of two the float model and
//     the integer one are the same numbers.
//   - Input is rate-coded: pixel x/255 is the probability of a spike per
//     step (a fresh seeded draw each epoch); the chip cannot take a direct
//     current.
//   - The activation is ASGL's (H_α with learnable α per layer, noise p),
//     whatever Config.Method says.
//   - The readout is host-side: the last hidden layer's spikes leave the
//     chip (one target each, the host) and the host accumulates the readout
//     currents W·s + b over T steps (float here; integers after
//     compilation). Its fan-in is therefore not limited.
//
// The forward and backward passes run sample by sample (one worker per
// core, each with its own gradient sums, added in worker order), unlike the
// float network's batched passes; the optimiser, the α optimiser, the
// checkpoints and the epoch loop are the Trainer's.

// trinaryGrid is the grid of the trinary weights and the biases: k/Q with
// |k| ≤ max.
type trinaryGrid struct{ q, max float64 }

// tnGroup is one core's worth of a layer: its sources and its neurons.
type tnGroup struct {
	src    []int32 // input indices
	o0, o1 int     // neuron range
	off    int     // offset of the group's weights (input-major, len(src)×(o1−o0))
}

// tnParams are the trainable parameters of a stage with neurons: latent
// weights and biases (with their gradient sums and optimiser moments), the
// effective (trinary, on the grid) ones, and the index of the stage's
// surrogate width in TrinaryNet.LogAlpha.
type tnParams struct {
	w, b       *Param
	weff, beff []float32
	lif        int
	grid       trinaryGrid
}

// tnStage is one hidden stage of a TrinaryNet: a grouped dense layer
// (tnLayer) or a convolution (tnConv), both with IF neurons, or an average
// pooling (tnPool, no neurons).
type tnStage interface {
	// sizes are the numbers of inputs and outputs.
	sizes() (in, out int)
	// par is the stage's parameters, nil for pooling.
	par() *tnParams
	// forward writes the current W·x + b into c (pooling: the pooled x).
	forward(x, c []float32)
	// backward adds, for the current's gradient g at input x, the weight
	// and bias gradients to gw and gb and, if gx is not nil, Wᵀ·g to gx
	// (pooling: only the latter). ub, if not nil, is the potential of the
	// neurons below, which use only the gx entries within half of their
	// threshold: a stage may skip the others.
	backward(x, g, gw, gb, gx, ub []float32, half float32)
	// refresh recomputes the effective weights and biases.
	refresh()
}

// tnLayer is a grouped trinary layer with IF neurons.
type tnLayer struct {
	tnParams
	in, out int
	groups  []tnGroup
}

func (L *tnLayer) sizes() (int, int) { return L.in, L.out }
func (L *tnLayer) par() *tnParams    { return &L.tnParams }

// TrinaryNet is a network of grouped trinary IF layers trained inside a
// target's limits (see Config.Limits).
type TrinaryNet struct {
	Input   []int // [C,H,W]
	Classes int
	T       int
	// LogAlpha is ln α per stage with neurons (in stage order).
	LogAlpha []float64
	stages   []tnStage
	lim      *targets.Training
	// target names the chip in the model's name and provenance.
	target string
	// name is the IR model's name after "snnc-TARGET-" ("" for the dense
	// networks: from the layer sizes).
	name string
	// inputHWC says the input spikes are position-major (HWC), for a
	// convolution or pooling as the first stage.
	inputHWC bool
	// fastNoise draws the noise mask 16 bits at a time (p on a 2⁻¹⁶ grid;
	// the dense networks draw 32 bits per neuron).
	fastNoise bool
	// rw, rb: the host readout, Classes × last hidden, row-major
	rw, rb *Param
	// works are the per-worker states, one per core; works[0] accumulates
	// its gradients in the parameters' G
	works []*tnWork
	ga    []float64 // alphaGrad's result
}

// parseDenseSizes parses "784-1024-1024-10": the input size, the hidden
// widths and the number of classes.
func parseDenseSizes(s, target string) (in int, hidden []int, classes int, err error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return 0, nil, 0, &ConfigError{"arch", fmt.Sprintf("%q: want INPUT-HIDDEN…-CLASSES with at least one hidden layer for --target %s", s, target)}
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, e := strconv.Atoi(p)
		if e != nil || n <= 0 {
			return 0, nil, 0, &ConfigError{"arch", fmt.Sprintf("%q: %q is not a positive layer size (--target %s takes dense sizes only)", s, p, target)}
		}
		nums[i] = n
	}
	return nums[0], nums[1 : len(nums)-1], nums[len(nums)-1], nil
}

// newTrinaryNet builds the network of cfg.Arch for images of shape
// [C,H,W] inside cfg.Limits: dense sizes (784-1024-1024-10: grouped layers,
// the first on image patches) or an image-shaped architecture (see
// ParseArch) with convolutions (groups allowed), average pooling and dense
// hidden layers (28x28x1-16c5s2-64c3g4-10).
func newTrinaryNet(cfg *Config, data *dataset.Set) (*TrinaryNet, error) {
	var net *TrinaryNet
	if strings.ContainsAny(cfg.Arch, "xcp") {
		a, err := ParseArch(cfg.Arch)
		if err != nil {
			return nil, err
		}
		if err := checkArchData(cfg.Arch, a.Input, a.Outputs(), data); err != nil {
			return nil, err
		}
		if net, err = newTrinaryArchNet(cfg.Limits, cfg.Target, cfg.Arch, a, cfg.Timesteps, cfg.Seed); err != nil {
			return nil, err
		}
	} else {
		in, hidden, classes, err := parseDenseSizes(cfg.Arch, cfg.Target)
		if err != nil {
			return nil, err
		}
		if err := checkArchData(cfg.Arch, []int{in}, classes, data); err != nil {
			return nil, err
		}
		if net, err = newTrinaryDenseNet(cfg.Limits, cfg.Target, data.Shape(), hidden, classes, cfg.Timesteps, cfg.Seed); err != nil {
			return nil, err
		}
	}
	for k := range net.LogAlpha {
		net.LogAlpha[k] = math.Log(cfg.Alpha)
	}
	for i := range runtime.GOMAXPROCS(0) {
		net.works = append(net.works, net.newWork(i == 0))
	}
	net.ga = make([]float64, len(net.LogAlpha))
	return net, nil
}

// newTrinaryDenseNet builds the grouped dense network for images of shape
// [C,H,W].
func newTrinaryDenseNet(lim *targets.Training, target string, shape []int, hidden []int, classes, T int, seed uint64) (*TrinaryNet, error) {
	r := rand.New(rand.NewPCG(seed, 0x74727565))
	n := &TrinaryNet{Input: append([]int(nil), shape...), Classes: classes, T: T, lim: lim, target: target}
	in := shape[0] * shape[1] * shape[2]
	for li, h := range hidden {
		var L *tnLayer
		if li == 0 {
			var err error
			if L, err = newTNPatchLayer(lim, shape, h); err != nil {
				return nil, err
			}
		} else {
			L = newTNGroupedLayer(r, in, h, min(lim.Sources, in), lim.GroupNeurons)
		}
		n.addStage(L)
		L.init(r)
		in = h
	}
	n.initReadout(r, in)
	return n, nil
}

// addStage appends st, giving a stage with neurons its surrogate width and
// its weight grid.
func (n *TrinaryNet) addStage(st tnStage) {
	if P := st.par(); P != nil {
		P.lif = len(n.LogAlpha)
		P.grid = trinaryGrid{q: float64(n.lim.ScaleUnits), max: float64(n.lim.MaxWeight)}
		n.LogAlpha = append(n.LogAlpha, 0)
	}
	n.stages = append(n.stages, st)
}

// newTNPatchLayer is a first hidden layer of h neurons that sees the
// [C,H,W] image through Patch² receptive fields on a grid covering it.
func newTNPatchLayer(lim *targets.Training, shape []int, h int) (*tnLayer, error) {
	C, H, W := shape[0], shape[1], shape[2]
	patch := lim.Patch
	if C*patch*patch > lim.Sources && C*min(H, patch)*min(W, patch) > lim.Sources {
		return nil, fmt.Errorf("train: trinary layers: %d channels × %d² pixel patches exceed %d sources", C, patch, lim.Sources)
	}
	ph, pw := min(H, patch), min(W, patch)
	grid := func(side, p int) []int {
		if side <= p {
			return []int{0}
		}
		k := (side-p+p/2)/(p/2+1) + 1
		pos := make([]int, k)
		for i := range pos {
			pos[i] = int(math.Round(float64(i) * float64(side-p) / float64(k-1)))
		}
		return pos
	}
	ys, xs := grid(H, ph), grid(W, pw)
	L := &tnLayer{in: C * H * W, out: h}
	np := len(ys) * len(xs)
	if h < np {
		return nil, fmt.Errorf("train: trinary layers: the first hidden layer has %d neurons, fewer than its %d receptive fields", h, np)
	}
	g := 0
	for _, y0 := range ys {
		for _, x0 := range xs {
			var src []int32
			for c := 0; c < C; c++ {
				for y := y0; y < y0+ph; y++ {
					for x := x0; x < x0+pw; x++ {
						src = append(src, int32((c*H+y)*W+x))
					}
				}
			}
			o0, o1 := h*g/np, h*(g+1)/np
			L.groups = append(L.groups, tnGroup{src: src, o0: o0, o1: o1})
			g++
		}
	}
	return L, nil
}

// newTNGroupedLayer is a hidden layer of h neurons over in inputs, split
// into groups of groupNeurons neurons that each see M distinct inputs,
// drawn from r so that every input is used about equally often.
func newTNGroupedLayer(r *rand.Rand, in, h, M, groupNeurons int) *tnLayer {
	L := &tnLayer{in: in, out: h}
	ng := (h + groupNeurons - 1) / groupNeurons
	var pool []int32
	next := func() int32 {
		if len(pool) == 0 {
			for _, v := range r.Perm(in) {
				pool = append(pool, int32(v))
			}
		}
		x := pool[0]
		pool = pool[1:]
		return x
	}
	for g := 0; g < ng; g++ {
		seen := map[int32]bool{}
		var src, carry []int32
		for len(src) < M {
			x := next()
			if seen[x] {
				carry = append(carry, x)
				continue
			}
			seen[x] = true
			src = append(src, x)
		}
		pool = append(carry, pool...)
		L.groups = append(L.groups, tnGroup{src: src, o0: h * g / ng, o1: h * (g + 1) / ng})
	}
	return L
}

// init lays out and draws the weights (uniform, ±1.5/√(0.15·sources)).
func (L *tnLayer) init(r *rand.Rand) {
	size := 0
	for gi := range L.groups {
		g := &L.groups[gi]
		g.off = size
		size += len(g.src) * (g.o1 - g.o0)
	}
	L.alloc("fc", size, L.out)
	for gi := range L.groups {
		g := &L.groups[gi]
		a := float32(1.5 / math.Sqrt(0.15*float64(len(g.src))))
		for i := g.off; i < g.off+len(g.src)*(g.o1-g.o0); i++ {
			L.w.W[i] = a * (2*r.Float32() - 1)
		}
	}
	L.refresh()
}

// alloc allocates nw weights and nb biases with their gradients and
// moments, named after the stage's kind and its surrogate width's index.
func (P *tnParams) alloc(kind string, nw, nb int) {
	name := kind + strconv.Itoa(P.lif+1)
	P.w, P.b = newParam(name+".w", nw, true), newParam(name+".b", nb, false)
	P.weff, P.beff = make([]float32, nw), make([]float32, nb)
}

// initReadout draws the host readout's weights over in inputs.
func (n *TrinaryNet) initReadout(r *rand.Rand, in int) {
	classes := n.Classes
	n.rw, n.rb = newParam("readout.w", classes*in, true), newParam("readout.b", classes, false)
	bound := float32(1 / math.Sqrt(float64(in)))
	for i := range n.rw.W {
		n.rw.W[i] = bound * (2*r.Float32() - 1)
	}
}

// refresh recomputes the trinary effective weights and the biases on the grid.
func (L *tnLayer) refresh() {
	var w, weff []float32
	for gi := range L.groups {
		g := &L.groups[gi]
		no, ns := g.o1-g.o0, len(g.src)
		if cap(w) < ns {
			w, weff = make([]float32, ns), make([]float32, ns)
		}
		w, weff = w[:ns], weff[:ns]
		for jj := 0; jj < no; jj++ {
			for k := range ns {
				w[k] = L.w.W[g.off+k*no+jj]
			}
			L.grid.trinary(w, weff)
			for k, v := range weff {
				L.weff[g.off+k*no+jj] = v
			}
		}
	}
	L.grid.roundBias(L.b.W, L.beff)
}

// forward writes the current W·x + b into c.
func (L *tnLayer) forward(x, c []float32) {
	copy(c, L.beff)
	for gi := range L.groups {
		g := &L.groups[gi]
		no := g.o1 - g.o0
		cc := c[g.o0:g.o1]
		for k, i := range g.src {
			if v := x[i]; v != 0 {
				row := L.weff[g.off+k*no : g.off+(k+1)*no]
				for jj, wv := range row {
					cc[jj] += v * wv
				}
			}
		}
	}
}

// backward adds the gradients of the current's gradient g at input x.
func (L *tnLayer) backward(x, g, gw, gb, gx, _ []float32, _ float32) {
	for j, v := range g {
		gb[j] += v
	}
	for gi := range L.groups {
		gr := &L.groups[gi]
		no := gr.o1 - gr.o0
		gg := g[gr.o0:gr.o1]
		for k, i := range gr.src {
			o := gr.off + k*no
			if v := x[i]; v != 0 {
				grow := gw[o : o+no]
				for jj, d := range gg {
					grow[jj] += v * d
				}
			}
			if gx != nil {
				row := L.weff[o : o+no]
				var a float32
				for jj, d := range gg {
					a += row[jj] * d
				}
				gx[i] += a
			}
		}
	}
}

// tnWork is one worker's per-sample state and gradient accumulators
// (the first worker's are the parameters' G).
type tnWork struct {
	x0      [][]float32   // [t][in] input spikes
	u, s    [][][]float32 // [stage][t][out] (u: nil for pooling)
	gx      [][][]float32 // [stage][t][in] (stage ≥ 1)
	gc      [][]float32   // [t][out] scratch
	gw, gb  [][]float32
	ga      []float64
	grw     []float32
	grb     []float32
	sumS    []float32
	top     []float32
	logits  []float64
	loss    float64
	correct int
	pred    int // the last sample's prediction
	pcg     *rand.PCG
	rng     *rand.Rand
}

func (n *TrinaryNet) newWork(first bool) *tnWork {
	T := n.T
	w := &tnWork{}
	in0, _ := n.stages[0].sizes()
	w.x0 = make2(T, in0)
	maxOut := 0
	for _, st := range n.stages {
		in, out := st.sizes()
		var u [][]float32
		var gw, gb []float32
		if P := st.par(); P != nil {
			u = make2(T, out)
			gw, gb = P.w.G, P.b.G
			if !first {
				gw, gb = make([]float32, len(P.w.W)), make([]float32, len(P.b.W))
			}
		}
		w.u = append(w.u, u)
		w.s = append(w.s, make2(T, out))
		w.gx = append(w.gx, make2(T, in))
		w.gw = append(w.gw, gw)
		w.gb = append(w.gb, gb)
		maxOut = max(maxOut, out)
	}
	w.gc = make2(T, maxOut)
	w.ga = make([]float64, len(n.stages))
	w.grw, w.grb = n.rw.G, n.rb.G
	if !first {
		w.grw, w.grb = make([]float32, len(n.rw.W)), make([]float32, len(n.rb.W))
	}
	_, H := n.stages[len(n.stages)-1].sizes()
	w.sumS = make([]float32, H)
	w.top = make([]float32, H)
	w.logits = make([]float64, n.Classes)
	w.pcg = rand.NewPCG(0, 0)
	w.rng = rand.New(w.pcg)
	return w
}

func make2(a, b int) [][]float32 {
	x := make([][]float32, a)
	for i := range x {
		x[i] = make([]float32, b)
	}
	return x
}

// sample runs one sample forward (and backward when train), adding its
// gradients (scaled by gscale) to w's accumulators.
func (n *TrinaryNet) sample(w *tnWork, img []uint8, label int, train bool, p float64, gscale float32, seed uint64) {
	T := n.T
	w.pcg.Seed(seed, 0x7261746573)
	// rate-coded input
	for t := 0; t < T; t++ {
		x := w.x0[t]
		if n.inputHWC {
			clear(x)
			C, HW := n.Input[0], n.Input[1]*n.Input[2]
			for i, px := range img {
				if px != 0 && w.rng.Float32()*255 < float32(px) {
					x[i%HW*C+i/HW] = 1
				}
			}
			continue
		}
		for i, px := range img {
			x[i] = 0
			if px != 0 && w.rng.Float32()*255 < float32(px) {
				x[i] = 1
			}
		}
	}
	pth := uint32(p * (1 << 32))
	if p >= 1 {
		pth = math.MaxUint32
	}
	pth16 := uint32(p * (1 << 16))
	input := func(l, t int) []float32 {
		if l == 0 {
			return w.x0[t]
		}
		return w.s[l-1][t]
	}
	for l, st := range n.stages {
		L := st.par()
		if L == nil {
			for t := 0; t < T; t++ {
				st.forward(input(l, t), w.s[l][t])
			}
			continue
		}
		alpha := float32(math.Exp(n.LogAlpha[L.lif]))
		inv := 1 / alpha
		for t := 0; t < T; t++ {
			c := w.u[l][t]
			st.forward(input(l, t), c)
			s := w.s[l][t][:len(c)]
			if t > 0 {
				up, sp := w.u[l][t-1][:len(c)], w.s[l][t-1][:len(c)]
				for j, v := range up {
					c[j] += v * (1 - sp[j])
				}
			}
			if !train {
				for j, v := range c {
					s[j] = 0
					if v-1 >= 0 {
						s[j] = 1
					}
				}
				continue
			}
			// the noise mask m ~ Bernoulli(p): one draw per neuron (the
			// dense networks), or 16-bit draws, four per Uint64
			var bits uint64
			nb := 0
			// branch-free on the bits: θ = Θ(x), h = clip(x/α + ½, 0, 1)
			const one = 0x3f800000
			for j, v := range c {
				xv := v - 1
				theta := one &^ uint32(int32(math.Float32bits(xv))>>31)
				h := math.Float32bits(xv*inv + 0.5)
				h &^= uint32(int32(h) >> 31)
				if h > one {
					h = one
				}
				var masked bool
				if p > 0 {
					if n.fastNoise {
						if nb == 0 {
							bits, nb = w.rng.Uint64(), 4
						}
						masked = uint32(bits&0xffff) < pth16
						bits >>= 16
						nb--
					} else {
						masked = uint32(w.rng.Uint64()) < pth
					}
				}
				if masked {
					h = theta
				}
				s[j] = math.Float32frombits(h)
			}
		}
	}
	last := len(n.stages) - 1
	H := len(w.sumS)
	clear(w.sumS)
	for t := 0; t < T; t++ {
		for j, v := range w.s[last][t] {
			w.sumS[j] += v
		}
	}
	C := n.Classes
	logits := w.logits
	invT := 1 / float32(T)
	best := 0
	for k := 0; k < C; k++ {
		var a float32
		row := n.rw.W[k*H : (k+1)*H]
		for j, v := range w.sumS {
			if v != 0 {
				a += row[j] * v
			}
		}
		logits[k] = float64(a*invT + n.rb.W[k])
		if logits[k] > logits[best] {
			best = k
		}
	}
	w.pred = best
	if best == label {
		w.correct++
	}
	mx := logits[best]
	var z float64
	for k := range logits {
		logits[k] = math.Exp(logits[k] - mx)
		z += logits[k]
	}
	w.loss -= math.Log(logits[label] / z)
	if !train {
		return
	}
	// readout gradients; ∂L/∂s_L[t] is the same at every t
	gs := w.gc[0][:H] // reuse as the top gradient
	clear(gs)
	for k := 0; k < C; k++ {
		g := float32(logits[k] / z)
		if k == label {
			g--
		}
		g *= gscale
		w.grb[k] += g
		row := n.rw.W[k*H : (k+1)*H]
		grow := w.grw[k*H : (k+1)*H]
		for j, v := range w.sumS {
			grow[j] += g * v * invT
			gs[j] += g * row[j] * invT
		}
	}
	top := w.top
	copy(top, gs)
	for l := last; l >= 0; l-- {
		st := n.stages[l]
		_, out := st.sizes()
		above := func(t int) []float32 {
			if l == last {
				return top
			}
			return w.gx[l+1][t]
		}
		L := st.par()
		if L == nil {
			if l > 0 {
				for t := 0; t < T; t++ {
					clear(w.gx[l][t])
					st.backward(nil, above(t), nil, nil, w.gx[l][t], nil, 0)
				}
			}
			continue
		}
		alpha := math.Exp(n.LogAlpha[L.lif])
		inv := float32(1 / alpha)
		half := float32(alpha / 2)
		gc := w.gc
		var ga float64
		for t := T - 1; t >= 0; t-- {
			g := gc[t][:out]
			gsT := above(t)[:out]
			u := w.u[l][t][:out]
			hb := math.Float32bits(half)
			for j, uj := range u {
				// in the window |x| < α/2, without a branch
				xv := uj - 1
				var in int32
				if math.Float32bits(xv)&0x7fffffff < hb {
					in = 1
				}
				m := float32(in)
				d := gsT[j] * m
				g[j] = d * inv
				ga += float64(d * (-xv * inv * inv))
			}
			if t < T-1 {
				s, gn := w.s[l][t][:out], gc[t+1][:out]
				for j, v := range gn {
					g[j] += v * (1 - s[j])
				}
			}
		}
		w.ga[l] += ga
		var below *tnParams
		var halfBelow float32
		if l > 0 {
			if below = n.stages[l-1].par(); below != nil {
				halfBelow = float32(math.Exp(n.LogAlpha[below.lif]) / 2)
			}
		}
		for t := 0; t < T; t++ {
			var gx, ub []float32
			if l > 0 {
				gx = w.gx[l][t]
				clear(gx)
				if below != nil {
					ub = w.u[l-1][t]
				}
			}
			st.backward(input(l, t), gc[t][:out], w.gw[l], w.gb[l], gx, ub, halfBelow)
		}
	}
}

// shuffle writes the epoch's sample order into perm: a permutation drawn
// from r.
func (n *TrinaryNet) shuffle(r *rand.Rand, perm []int) { copy(perm, r.Perm(len(perm))) }

// trainBatch runs the samples idx of split forward and backward, the
// workers taking contiguous parts of the batch, and returns the summed loss
// and the number of correct predictions. Every sample draws its rate-coded
// input and noise mask from its own stream, seeded from seed and its
// position in the batch.
func (n *TrinaryNet) trainBatch(split *dataset.Split, size int, idx []int, seed uint64, p float64) (float64, int) {
	gscale := 1 / float32(len(idx))
	return n.eachSample(len(idx), func(w *tnWork, bi int) {
		i := idx[bi]
		n.sample(w, split.Images[i*size:(i+1)*size], int(split.Labels[i]), true, p, gscale, seed^uint64(bi+1)*0x9e3779b97f4a7c15)
	})
}

// eachSample runs fn for the samples 0..count−1, the workers taking
// contiguous parts in order, and returns the workers' summed loss and
// correct predictions, which it clears.
func (n *TrinaryNet) eachSample(count int, fn func(w *tnWork, i int)) (loss float64, correct int) {
	var wg sync.WaitGroup
	W := len(n.works)
	for wi, w := range n.works {
		a, b := count*wi/W, count*(wi+1)/W
		wg.Go(func() {
			for i := a; i < b; i++ {
				fn(w, i)
			}
		})
	}
	wg.Wait()
	for _, w := range n.works {
		loss += w.loss
		correct += w.correct
		w.loss, w.correct = 0, 0
	}
	return loss, correct
}

// learnsAlpha: the trinary layers always train with ASGL's mixed
// activation and learn α.
func (n *TrinaryNet) learnsAlpha() bool { return true }

func (n *TrinaryNet) logAlpha() []float64 { return n.LogAlpha }

// alphaGrad returns ∂L/∂ln α of the batch per stage with neurons (the
// workers' sums added in worker order) and clears the workers' sums.
func (n *TrinaryNet) alphaGrad() []float64 {
	for l, st := range n.stages {
		L := st.par()
		if L == nil {
			continue
		}
		var g float64
		for _, w := range n.works {
			g += w.ga[l]
			w.ga[l] = 0
		}
		n.ga[L.lif] = g * math.Exp(n.LogAlpha[L.lif]) // ∂L/∂ln α = α·∂L/∂α
	}
	return n.ga
}

// applyStep adds the workers' gradients into the first worker's (the
// parameters' G) in worker order, applies opt to every parameter (one
// task per stage) and clears the gradients.
func (n *TrinaryNet) applyStep(opt *optimizer) {
	sum := func(get func(w *tnWork) []float32) {
		dst := get(n.works[0])
		for _, w := range n.works[1:] {
			for i, v := range get(w) {
				dst[i] += v
			}
			clear(get(w))
		}
	}
	update := func(ps ...*Param) {
		for _, p := range ps {
			opt.update(Span{P: p, Lo: 0, Hi: len(p.W)})
			clear(p.G)
		}
	}
	var wg sync.WaitGroup
	for l, st := range n.stages {
		L := st.par()
		if L == nil {
			continue
		}
		wg.Go(func() {
			sum(func(w *tnWork) []float32 { return w.gw[l] })
			sum(func(w *tnWork) []float32 { return w.gb[l] })
			update(L.w, L.b)
			st.refresh()
		})
	}
	sum(func(w *tnWork) []float32 { return w.grw })
	sum(func(w *tnWork) []float32 { return w.grb })
	update(n.rw, n.rb)
	wg.Wait()
}

// params lists the trainable parameters: every stage's weights and biases,
// then the readout's.
func (n *TrinaryNet) params() []*Param {
	var ps []*Param
	for _, st := range n.stages {
		if L := st.par(); L != nil {
			ps = append(ps, L.w, L.b)
		}
	}
	return append(ps, n.rw, n.rb)
}

// layout describes every stage (kind, sizes and, for a grouped layer, a
// hash of its groups' sources, which are drawn from the seed).
func (n *TrinaryNet) layout() []string {
	var s []string
	for _, st := range n.stages {
		in, out := st.sizes()
		d := fmt.Sprintf("%T %d→%d", st, in, out)
		if L, ok := st.(*tnLayer); ok {
			h := fnv.New64a()
			for _, g := range L.groups {
				for _, i := range g.src {
					h.Write([]byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
				}
				h.Write([]byte{0xff, 0xff, 0xff, 0xff})
			}
			d += fmt.Sprintf(", %d groups, sources %016x", len(L.groups), h.Sum64())
		}
		s = append(s, strings.TrimPrefix(d, "*train."))
	}
	return s
}

// refreshAll recomputes every stage's effective weights and biases.
func (n *TrinaryNet) refreshAll() {
	for _, st := range n.stages {
		st.refresh()
	}
}

// Alphas returns α per hidden stage with neurons.
func (n *TrinaryNet) Alphas() []float64 {
	a := make([]float64, len(n.LogAlpha))
	for i, v := range n.LogAlpha {
		a[i] = math.Exp(v)
	}
	return a
}

// evaluate returns the Θ-only accuracy on split (rate-coded input drawn
// from a fixed seed per sample).
func (n *TrinaryNet) evaluate(split dataset.Split, size int) float64 {
	_, correct := n.eachSample(split.N, func(w *tnWork, i int) {
		n.sample(w, split.Images[i*size:(i+1)*size], int(split.Labels[i]), false, 0, 0, uint64(i))
	})
	return float64(correct) / float64(max(1, split.N))
}

// freeze returns the network as a float IR model: per hidden stage a
// conv2d layer (grouped; weights ±k_c/Q per output channel, biases m_c/Q),
// an avgpool layer, or a dense layer (zeros outside the groups; weights
// ±k_j/Q, biases m_j/Q), with a flatten layer in front of the first dense
// layer (and of the readout) that follows an image-shaped tensor; neurons
// γ = 1, ϑ = 1, reset to zero; then the dense readout, rate-coded input
// scaled by 1/255 and the mean-current readout. prov.Target is set to the
// target's name.
func (n *TrinaryNet) freeze(prov *ir.Provenance) *ir.Model {
	if prov != nil {
		prov.Target = n.target
	}
	C, H, W := n.Input[0], n.Input[1], n.Input[2]
	arch := []string{strconv.Itoa(C * H * W)}
	m := &ir.Model{
		Input:      ir.Input{Shape: append([]int(nil), n.Input...), Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Timesteps:  n.T,
		Readout:    ir.Readout{Kind: ir.ReadoutMeanCurrent},
		Provenance: prov,
	}
	lif := ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}
	shape := append([]int(nil), n.Input...)
	// chw maps an index of the tensor feeding a dense layer to the IR's
	// order: position-major (HWC) after a convolution or pooling
	hwc := n.inputHWC
	chw := func(i int) int {
		if !hwc {
			return i
		}
		C, HW := shape[0], shape[1]*shape[2]
		return i%C*HW + i/C
	}
	flatten := func() {
		if len(shape) == 3 {
			m.Layers = append(m.Layers, ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: shape, OutShape: []int{ir.ShapeSize(shape)}})
			shape = []int{ir.ShapeSize(shape)}
		}
	}
	var nd, nc, np int
	for _, st := range n.stages {
		switch L := st.(type) {
		case *tnLayer:
			nd++
			w := make([]float32, L.in*L.out)
			for gi := range L.groups {
				g := &L.groups[gi]
				no := g.o1 - g.o0
				for k, i := range g.src {
					ii := chw(int(i))
					for jj := 0; jj < no; jj++ {
						w[(g.o0+jj)*L.in+ii] = L.weff[g.off+k*no+jj]
					}
				}
			}
			flatten()
			hwc = false
			m.Layers = append(m.Layers, ir.Layer{Name: "fc" + strconv.Itoa(nd), Kind: ir.KindDense, InShape: []int{L.in}, OutShape: []int{L.out},
				Weights: w, Bias: append([]float32(nil), L.beff...), Neuron: lif})
			arch = append(arch, strconv.Itoa(L.out))
			shape = []int{L.out}
		case *tnConv:
			nc++
			groups := 0
			if L.groups > 1 {
				groups = L.groups
			}
			out := []int{L.outC, L.outH, L.outW}
			m.Layers = append(m.Layers, ir.Layer{Name: "conv" + strconv.Itoa(nc), Kind: ir.KindConv2D, InShape: shape, OutShape: out,
				Weights: L.irWeights(L.weff), Bias: append([]float32(nil), L.beff...),
				Kernel: [2]int{L.k, L.k}, Stride: [2]int{L.stride, L.stride}, Padding: [2]int{L.pad, L.pad}, Groups: groups, Neuron: lif})
			shape, hwc = out, true
		case *tnPool:
			np++
			out := []int{L.c, L.outH, L.outW}
			m.Layers = append(m.Layers, ir.Layer{Name: "pool" + strconv.Itoa(np), Kind: ir.KindAvgPool, InShape: shape, OutShape: out,
				Kernel: [2]int{L.k, L.k}, Stride: [2]int{L.stride, L.stride}})
			shape, hwc = out, true
		}
	}
	rw := append([]float32(nil), n.rw.W...)
	if hwc {
		H := len(n.rw.W) / n.Classes
		for k := 0; k < n.Classes; k++ {
			for i := 0; i < H; i++ {
				rw[k*H+chw(i)] = n.rw.W[k*H+i]
			}
		}
	}
	flatten()
	m.Layers = append(m.Layers, ir.Layer{Name: "fc" + strconv.Itoa(nd+1), Kind: ir.KindDense, InShape: shape, OutShape: []int{n.Classes},
		Weights: rw, Bias: append([]float32(nil), n.rb.W...), Neuron: lif})
	arch = append(arch, strconv.Itoa(n.Classes))
	m.Name = "snnc-" + n.target + "-" + strings.Join(arch, "-")
	if n.name != "" {
		m.Name = "snnc-" + n.target + "-" + n.name
	}
	return m
}
