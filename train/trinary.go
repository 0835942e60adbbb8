package train

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"

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
// These are options of the one Network and its Trainer, not a second
// stack: the layers below (trinaryDense, trinaryConv, hwcPool,
// hostReadout) implement Layer, the IF neurons and the rate-coded input are
// the Network's chip options (chipOptions: ifForward, ifBackward,
// loadRate), and the batch runs through the same forward, backward,
// gradient-block and optimiser phases, the same checkpoint and the same
// freeze as the float layers'. What the chip options keep from the trainer
// they replaced, so that the same seed and flags give the same bytes as
// before (testdata/stack.sha256): each sample's rate-coded input and noise
// mask come from its own PCG stream; the reset is treated as a constant in
// the backward pass; the softmax gradient is rounded to float32 before the
// label's 1 is subtracted; and every sum over the batch (parameter
// gradients, ∂L/∂α, the loss) is taken in as many contiguous parts as there
// are cores when the network is built, each in sample order, then the parts
// in order, so the bytes depend on the core count (resume on as many
// cores). The input gradient of a trinary layer is computed only for the
// neurons below inside their surrogate window (the others get 0, which the
// window multiplies by 0 anyway).

// chipOptions are the options of a Network trained inside a chip's limits
// (Config.Limits): IF neurons with ASGL's mixed activation whose noise,
// like the rate-coded input, comes from each sample's own stream, and sums
// over the batch taken in parts.
type chipOptions struct {
	// parts is the number of contiguous parts the batch's sums are taken
	// in (see sumParts).
	parts int
	// fastNoise draws the noise mask 16 bits at a time (p on a 2⁻¹⁶ grid;
	// the dense networks draw 32 bits per neuron).
	fastNoise bool
	// inputHWC says the input spikes are position-major (HWC), for a
	// convolution or pooling as the first layer.
	inputHWC bool
}

// rateStream is the PCG stream of every sample's rate-coded input and
// noise mask; initStream that of the trinary layers' initialisation and
// source groups; trainerStream that of the trainer's shuffles and batch
// seeds for a network inside a chip's limits.
const (
	rateStream    = 0x7261746573
	initStream    = 0x74727565
	trainerStream = 0x736e6e63
)

// sumParts returns Σ x[0..n), taken in parts contiguous parts (part p is
// [n·p/parts, n·(p+1)/parts)), each summed in order from 0, then the parts'
// sums added in order.
func sumParts(x []float64, parts int) float64 {
	n := len(x)
	var total float64
	for p := 0; p < parts; p++ {
		var s float64
		for _, v := range x[n*p/parts : n*(p+1)/parts] {
			s += v
		}
		total += s
	}
	return total
}

// sampleGrads adds one sample's parameter gradients to gw and gb.
type sampleGrads interface {
	addSample(b int, in, gOut *Acts, gw, gb []float32)
}

// accumParts sets gw and gb to the sum of the samples' gradients over
// samples 0..n−1, taken in parts as sumParts does: the first part is added
// into gw and gb directly, every other into the scratch sw, sb and then
// into gw, gb.
func accumParts(L sampleGrads, in, gOut *Acts, n, parts int, gw, gb, sw, sb []float32) {
	clear(gw)
	clear(gb)
	for p := 0; p < parts; p++ {
		lo, hi := n*p/parts, n*(p+1)/parts
		dw, db := gw, gb
		if p > 0 {
			dw, db = sw, sb
			clear(dw)
			clear(db)
		}
		for b := lo; b < hi; b++ {
			L.addSample(b, in, gOut, dw, db)
		}
		if p > 0 {
			for i, v := range sw {
				gw[i] += v
			}
			for i, v := range sb {
				gb[i] += v
			}
		}
	}
}

// inputGradient is a trinary layer's input gradient, input by input.
type inputGradient interface {
	// inputGrad is (Wᵀ·g)_i for the current's gradient g of one step.
	inputGrad(g []float32, i int) float32
}

// backwardByInput sets gIn = Wᵀ·gOut for samples [lo, hi) at every step,
// at the inputs need lists (the neurons below inside their surrogate
// window; the others are 0: the window multiplies them by 0), or at all
// inputs if need is nil.
func backwardByInput(L inputGradient, gOut, gIn, need *Acts, lo, hi int) {
	for b := lo; b < hi; b++ {
		for t := 0; t < gOut.Steps; t++ {
			g, gx := gOut.Row(b, t), gIn.Row(b, t)
			clear(gx)
			if need == nil {
				for i := range gx {
					gx[i] += L.inputGrad(g, i)
				}
				continue
			}
			for _, i := range need.Active(b, t) {
				gx[i] += L.inputGrad(g, int(i))
			}
		}
	}
}

// trinaryGrid is the grid of the trinary weights and the biases: k/Q with
// |k| ≤ max.
type trinaryGrid struct{ q, max float64 }

// tnGroup is one core's worth of a layer: its sources and its neurons.
type tnGroup struct {
	src    []int32 // input indices
	o0, o1 int     // neuron range
	off    int     // offset of the group's weights (input-major, len(src)×(o1−o0))
}

// tnParams are the trainable parameters of a trinary layer: latent weights
// and biases (with their gradients and optimiser moments), the effective
// (trinary, on the grid) ones, the index of the layer's surrogate width,
// its IR name, the grid and the parts its gradients are summed in.
type tnParams struct {
	w, b       *Param
	weff, beff []float32
	lif        int
	name       string
	grid       trinaryGrid
	parts      int
	sw, sb     []float32 // accumParts' scratch
}

// alloc allocates nw weights and nb biases with their gradients, moments
// and scratch, named after the layer's kind and its surrogate width's
// index.
func (P *tnParams) alloc(kind string, nw, nb int) {
	name := kind + strconv.Itoa(P.lif+1)
	P.w, P.b = newParam(name+".w", nw, true), newParam(name+".b", nb, false)
	P.weff, P.beff = make([]float32, nw), make([]float32, nb)
	if P.parts > 1 {
		P.sw, P.sb = make([]float32, nw), make([]float32, nb)
	}
}

func (P *tnParams) Name() string     { return P.name }
func (P *tnParams) HasNeurons() bool { return true }
func (P *tnParams) Params() []*Param { return []*Param{P.w, P.b} }
func (P *tnParams) GradBlocks() int  { return 1 }

// spans are the parameters' whole spans, for the optimiser.
func (P *tnParams) spans() []Span {
	return []Span{{P: P.w, Lo: 0, Hi: len(P.w.W)}, {P: P.b, Lo: 0, Hi: len(P.b.W)}}
}

// trinaryDense is a grouped trinary layer with IF neurons: its neurons
// form groups, each reading its own sources.
type trinaryDense struct {
	tnParams
	in, out int
	groups  []tnGroup
	// inShape is the [C,H,W] shape of an image-shaped input stored
	// position-major (HWC; nil otherwise), which freeze maps to the IR's
	// CHW order.
	inShape []int
	// input i is source k of group g for each {g, k} in
	// uses[useAt[i]:useAt[i+1]], in group order
	useAt []int32
	uses  [][2]int32
}

func (L *trinaryDense) InShape() []int  { return []int{L.in} }
func (L *trinaryDense) OutShape() []int { return []int{L.out} }

// layoutEntry names the layer in the checkpoints' layout (as the separate
// trainer did, so that its checkpoints resume): sizes, groups and a hash of
// the groups' sources, which are drawn from the seed.
func (L *trinaryDense) layoutEntry() string {
	h := fnv.New64a()
	for _, g := range L.groups {
		for _, i := range g.src {
			h.Write([]byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
		}
		h.Write([]byte{0xff, 0xff, 0xff, 0xff})
	}
	return fmt.Sprintf("tnLayer %d→%d, %d groups, sources %016x", L.in, L.out, len(L.groups), h.Sum64())
}

// newChipNetwork builds the network of cfg.Arch for images of shape
// [C,H,W] inside cfg.Limits: dense sizes (784-1024-1024-10: grouped layers,
// the first on image patches) or an image-shaped architecture (see
// ParseArch) with convolutions (groups allowed), average pooling and dense
// hidden layers (28x28x1-16c5s2-64c3g4-10).
func newChipNetwork(cfg *Config, data *dataset.Set) (*Network, error) {
	var net *Network
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
	return net, nil
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

// chipBuilder assembles a Network of trinary layers inside lim: the IF
// neurons' options, the weight grid, the IR names and the parameters'
// names in layer order.
type chipBuilder struct {
	n          *Network
	lim        *targets.Training
	r          *rng // the initialisation's stream
	nd, nc, np int  // IR names: fc, conv and pool layers so far
	hwc        []int
}

func newChipBuilder(lim *targets.Training, shape []int, T int, seed uint64) *chipBuilder {
	n := &Network{T: T, Leak: 1, Threshold: 1, Method: ASGL, Input: append([]int(nil), shape...), InputScale: 1.0 / 255, Rate: true,
		chip: &chipOptions{parts: runtime.GOMAXPROCS(0)}}
	return &chipBuilder{n: n, lim: lim, r: newRNGStream(seed, initStream)}
}

// params sets up the parameters of a layer with neurons: its surrogate
// width, grid, parts and IR name.
func (c *chipBuilder) params(P *tnParams, name string) {
	P.lif = len(c.n.LogAlpha)
	P.grid = trinaryGrid{q: float64(c.lim.ScaleUnits), max: float64(c.lim.MaxWeight)}
	P.parts = c.n.chip.parts
	P.name = name
	c.n.LogAlpha = append(c.n.LogAlpha, 0)
}

// dense adds a grouped layer (built, not yet initialised) and initialises
// it from the builder's stream.
func (c *chipBuilder) dense(L *trinaryDense) {
	c.nd++
	c.params(&L.tnParams, "fc"+strconv.Itoa(c.nd))
	L.inShape, c.hwc = c.hwc, nil
	L.Init(c.r)
	c.n.Layers = append(c.n.Layers, L)
}

// conv adds a convolution and initialises it.
func (c *chipBuilder) conv(L *trinaryConv) {
	c.nc++
	c.params(&L.tnParams, "conv"+strconv.Itoa(c.nc))
	L.Init(c.r)
	c.n.Layers = append(c.n.Layers, L)
	c.hwc = []int{L.outC, L.outH, L.outW}
}

// pool adds an average pooling.
func (c *chipBuilder) pool(P *hwcPool) {
	c.np++
	P.name = "pool" + strconv.Itoa(c.np)
	c.n.Layers = append(c.n.Layers, P)
	c.hwc = []int{P.c, P.outH, P.outW}
}

// finish adds the host readout over in inputs and sets up the network.
func (c *chipBuilder) finish(in, classes int) *Network {
	R := &hostReadout{name: "fc" + strconv.Itoa(c.nd+1), in: in, out: classes, inShape: c.hwc, steps: c.n.T, parts: c.n.chip.parts}
	R.Init(c.r)
	c.n.Layers = append(c.n.Layers, R)
	c.n.setup()
	return c.n
}

// newTrinaryDenseNet builds the grouped dense network for images of shape
// [C,H,W].
func newTrinaryDenseNet(lim *targets.Training, target string, shape []int, hidden []int, classes, T int, seed uint64) (*Network, error) {
	c := newChipBuilder(lim, shape, T, seed)
	arch := []string{strconv.Itoa(shapeSize(shape))}
	in := shape[0] * shape[1] * shape[2]
	for li, h := range hidden {
		var L *trinaryDense
		if li == 0 {
			var err error
			if L, err = newTNPatchLayer(lim, shape, h); err != nil {
				return nil, err
			}
		} else {
			L = newTNGroupedLayer(c.r.r, in, h, min(lim.Sources, in), lim.GroupNeurons)
		}
		c.dense(L)
		in = h
		arch = append(arch, strconv.Itoa(h))
	}
	n := c.finish(in, classes)
	n.Name = "snnc-" + target + "-" + strings.Join(append(arch, strconv.Itoa(classes)), "-")
	return n, nil
}

// newTNPatchLayer is a first hidden layer of h neurons that sees the
// [C,H,W] image through Patch² receptive fields on a grid covering it.
func newTNPatchLayer(lim *targets.Training, shape []int, h int) (*trinaryDense, error) {
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
	L := &trinaryDense{in: C * H * W, out: h}
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
func newTNGroupedLayer(r *rand.Rand, in, h, M, groupNeurons int) *trinaryDense {
	L := &trinaryDense{in: in, out: h}
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

// Init lays out and draws the weights (uniform, ±1.5/√(0.15·sources)).
func (L *trinaryDense) Init(r *rng) {
	size := 0
	for gi := range L.groups {
		g := &L.groups[gi]
		g.off = size
		size += len(g.src) * (g.o1 - g.o0)
	}
	L.alloc("fc", size, L.out)
	L.useAt = make([]int32, L.in+1)
	for _, g := range L.groups {
		for _, i := range g.src {
			L.useAt[i+1]++
		}
	}
	for i := range L.in {
		L.useAt[i+1] += L.useAt[i]
	}
	L.uses = make([][2]int32, L.useAt[L.in])
	next := append([]int32(nil), L.useAt[:L.in]...)
	for gi, g := range L.groups {
		for k, i := range g.src {
			L.uses[next[i]] = [2]int32{int32(gi), int32(k)}
			next[i]++
		}
	}
	for gi := range L.groups {
		g := &L.groups[gi]
		a := float32(1.5 / math.Sqrt(0.15*float64(len(g.src))))
		for i := g.off; i < g.off+len(g.src)*(g.o1-g.o0); i++ {
			L.w.W[i] = a * (2*r.r.Float32() - 1)
		}
	}
	L.Refresh(0)
}

// Refresh recomputes the trinary effective weights and the biases on the
// grid.
func (L *trinaryDense) Refresh(int) {
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

// Forward writes the currents W·x + b of samples [lo, hi) at every step.
func (L *trinaryDense) Forward(in, out *Acts, lo, hi int) {
	for b := lo; b < hi; b++ {
		for t := 0; t < in.Steps; t++ {
			x, c := in.Row(b, t), out.Row(b, t)
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
	}
}

// BackwardInput sets gIn = Wᵀ·gOut (see backwardByInput).
func (L *trinaryDense) BackwardInput(gOut, gIn, need *Acts, lo, hi int) {
	backwardByInput(L, gOut, gIn, need, lo, hi)
}

// inputGrad is (Wᵀ·g)_i: the groups that read input i, in group order.
func (L *trinaryDense) inputGrad(g []float32, i int) float32 {
	var a float32
	for _, u := range L.uses[L.useAt[i]:L.useAt[i+1]] {
		a += L.dot(g, int(u[0]), int(u[1]))
	}
	return a
}

// dot is the dot product of source k's weights in group gi with g.
func (L *trinaryDense) dot(g []float32, gi, k int) float32 {
	gr := &L.groups[gi]
	no := gr.o1 - gr.o0
	row := L.weff[gr.off+k*no : gr.off+(k+1)*no]
	var a float32
	for jj, d := range g[gr.o0:gr.o1] {
		a += row[jj] * d
	}
	return a
}

// AccumGrad sets the weight and bias gradients of the batch (one block).
func (L *trinaryDense) AccumGrad(_ int, in, gOut *Acts, n int) []Span {
	accumParts(L, in, gOut, n, L.parts, L.w.G, L.b.G, L.sw, L.sb)
	return L.spans()
}

// addSample adds sample b's gradients at every step.
func (L *trinaryDense) addSample(b int, in, gOut *Acts, gw, gb []float32) {
	for t := 0; t < in.Steps; t++ {
		x, g := in.Row(b, t), gOut.Row(b, t)
		for j, v := range g {
			gb[j] += v
		}
		for gi := range L.groups {
			gr := &L.groups[gi]
			no := gr.o1 - gr.o0
			gg := g[gr.o0:gr.o1]
			for k, i := range gr.src {
				if v := x[i]; v != 0 {
					grow := gw[gr.off+k*no : gr.off+(k+1)*no]
					for jj, d := range gg {
						grow[jj] += v * d
					}
				}
			}
		}
	}
}

// Freeze returns the layer as a dense IR layer: zeros outside the groups,
// weights ±k_j/Q, biases m_j/Q, inputs in the IR's order.
func (L *trinaryDense) Freeze() ir.Layer {
	w := make([]float32, L.in*L.out)
	for gi := range L.groups {
		g := &L.groups[gi]
		no := g.o1 - g.o0
		for k, i := range g.src {
			ii := chwIndex(L.inShape, int(i))
			for jj := 0; jj < no; jj++ {
				w[(g.o0+jj)*L.in+ii] = L.weff[g.off+k*no+jj]
			}
		}
	}
	return ir.Layer{Name: L.name, Kind: ir.KindDense, InShape: []int{L.in}, OutShape: []int{L.out},
		Weights: w, Bias: append([]float32(nil), L.beff...)}
}

// chwIndex maps index i of a position-major (HWC) tensor of shape [C,H,W]
// to the IR's channel-major order; with shape nil, i is already in it.
func chwIndex(shape []int, i int) int {
	if shape == nil {
		return i
	}
	C, HW := shape[0], shape[1]*shape[2]
	return i%C*HW + i/C
}

// hostReadout is the readout of a network inside a chip's limits: the
// host accumulates W·s + b over the T steps of the last hidden layer's
// spikes (float here, integers after compilation), so its fan-in is not
// limited. Its output has one step: the current averaged over T,
// (W·Σ_t s[t])/T + b.
type hostReadout struct {
	name    string
	in, out int
	inShape []int // [C,H,W] of a position-major input, else nil
	steps   int   // T
	w, b    *Param
	parts   int
	sw, sb  []float32
	// sums holds Σ_t s[t] per sample of the batch (reserve sizes it).
	sums []float32
}

func (R *hostReadout) Name() string     { return R.name }
func (R *hostReadout) InShape() []int   { return []int{R.in} }
func (R *hostReadout) OutShape() []int  { return []int{R.out} }
func (R *hostReadout) HasNeurons() bool { return true }
func (R *hostReadout) Params() []*Param { return []*Param{R.w, R.b} }
func (R *hostReadout) GradBlocks() int  { return 1 }
func (R *hostReadout) Refresh(int)      {}

// layoutEntry: the readout was not listed in the checkpoints' layout.
func (R *hostReadout) layoutEntry() string { return "" }

// reserve sizes the spike sums for batches of up to batch samples.
func (R *hostReadout) reserve(batch int) {
	if len(R.sums) < batch*R.in {
		R.sums = make([]float32, batch*R.in)
	}
}

// Init draws the weights (uniform ±1/√in, biases zero).
func (R *hostReadout) Init(r *rng) {
	R.w, R.b = newParam("readout.w", R.out*R.in, true), newParam("readout.b", R.out, false)
	if R.parts > 1 {
		R.sw, R.sb = make([]float32, len(R.w.W)), make([]float32, R.out)
	}
	bound := float32(1 / math.Sqrt(float64(R.in)))
	for i := range R.w.W {
		R.w.W[i] = bound * (2*r.r.Float32() - 1)
	}
}

// Forward sums the input spikes over the steps and writes the averaged
// current into out's only step.
func (R *hostReadout) Forward(in, out *Acts, lo, hi int) {
	invT := 1 / float32(in.Steps)
	for b := lo; b < hi; b++ {
		sum := R.sums[b*R.in : (b+1)*R.in]
		clear(sum)
		for t := 0; t < in.Steps; t++ {
			for j, v := range in.Row(b, t) {
				sum[j] += v
			}
		}
		c := out.Row(b, 0)
		for k := range c {
			var a float32
			row := R.w.W[k*R.in : (k+1)*R.in]
			for j, v := range sum {
				if v != 0 {
					a += row[j] * v
				}
			}
			c[k] = a*invT + R.b.W[k]
		}
	}
}

// BackwardInput sets ∂L/∂s = Wᵀ·g/T, the same at every step (gIn has one
// step).
func (R *hostReadout) BackwardInput(gOut, gIn, _ *Acts, lo, hi int) {
	invT := 1 / float32(R.steps)
	for b := lo; b < hi; b++ {
		gs := gIn.Row(b, 0)
		clear(gs)
		for k, g := range gOut.Row(b, 0) {
			row := R.w.W[k*R.in : (k+1)*R.in]
			for j := range gs {
				gs[j] += g * row[j] * invT
			}
		}
	}
}

// AccumGrad sets the weight and bias gradients of the batch (one block).
func (R *hostReadout) AccumGrad(_ int, in, gOut *Acts, n int) []Span {
	accumParts(R, in, gOut, n, R.parts, R.w.G, R.b.G, R.sw, R.sb)
	return []Span{{P: R.w, Lo: 0, Hi: len(R.w.W)}, {P: R.b, Lo: 0, Hi: len(R.b.W)}}
}

// addSample adds sample b's gradients, from the spike sums of Forward.
func (R *hostReadout) addSample(b int, in, gOut *Acts, gw, gb []float32) {
	invT := 1 / float32(in.Steps)
	sum := R.sums[b*R.in : (b+1)*R.in]
	for k, g := range gOut.Row(b, 0) {
		gb[k] += g
		grow := gw[k*R.in : (k+1)*R.in]
		for j, v := range sum {
			grow[j] += g * v * invT
		}
	}
}

// Freeze returns the readout as a dense IR layer, inputs in the IR's order.
func (R *hostReadout) Freeze() ir.Layer {
	w := append([]float32(nil), R.w.W...)
	if R.inShape != nil {
		for k := 0; k < R.out; k++ {
			for i := 0; i < R.in; i++ {
				w[k*R.in+chwIndex(R.inShape, i)] = R.w.W[k*R.in+i]
			}
		}
	}
	return ir.Layer{Name: R.name, Kind: ir.KindDense, InShape: []int{R.in}, OutShape: []int{R.out},
		Weights: w, Bias: append([]float32(nil), R.b.W...)}
}

// loadRate fills ws.in[0] for samples [lo, hi) with T steps of rate-coded
// spikes: pixel x/255 is the probability of a spike at each step, drawn
// from the sample's stream, seeded from the batch seed and the sample's
// position in the batch (training) or from its index in the split
// (evaluation). The stream goes on to draw the sample's noise masks.
func (n *Network) loadRate(ws *workspace, images []uint8, idx []int, lo, hi int) {
	a := ws.in[0]
	size := a.N
	C, HW := n.Input[0], 1
	if len(n.Input) == 3 {
		HW = n.Input[1] * n.Input[2]
	}
	for b := lo; b < hi; b++ {
		seed := uint64(idx[b])
		if ws.train {
			seed = ws.maskSeed ^ uint64(b+1)*0x9e3779b97f4a7c15
		}
		ws.pcg[b].Seed(seed, rateStream)
		r := ws.rand[b]
		img := images[idx[b]*size : (idx[b]+1)*size]
		for t := 0; t < n.T; t++ {
			x := a.Row(b, t)
			if n.chip.inputHWC {
				clear(x)
				for i, px := range img {
					if px != 0 && r.Float32()*255 < float32(px) {
						x[i%HW*C+i/HW] = 1
					}
				}
				continue
			}
			for i, px := range img {
				x[i] = 0
				if px != 0 && r.Float32()*255 < float32(px) {
					x[i] = 1
				}
			}
		}
	}
}

// ifForward runs the IF neurons after layer l (surrogate width k) for
// samples [lo, hi): u[t] = c[t] + u[t−1]·(1 − ŝ[t−1]), ϑ = 1, and in
// training ASGL's mixed activation with a noise draw per neuron from the
// sample's stream; it lists the neurons inside the window |u − 1| < α/2
// (ws.win[l]), the only ones whose input gradient the layer below needs.
func (n *Network) ifForward(ws *workspace, l, k, lo, hi int) {
	s, win := ws.in[l+1], ws.win[l]
	N, T := s.N, n.T
	p := ws.noiseP
	pth := uint32(p * (1 << 32))
	if p >= 1 {
		pth = math.MaxUint32
	}
	pth16 := uint32(p * (1 << 16))
	noise, fast := p > 0, n.chip.fastNoise
	var inv float32
	var halfBits uint32
	if ws.train {
		inv, halfBits = 1/ws.alphas[k], math.Float32bits(ws.alphas[k]/2)
	}
	for b := lo; b < hi; b++ {
		r := ws.rand[b]
		for t := 0; t < T; t++ {
			o := (b*T + t) * N
			// u is the current's buffer (newWorkspace)
			u, sv := ws.u[l][o:o+N], s.Val[o:o+N]
			if t > 0 {
				up, sp := ws.u[l][o-N:o], s.Val[o-N:o]
				for j, v := range up {
					u[j] += v * (1 - sp[j])
				}
			}
			if !ws.train {
				for j, v := range u {
					sv[j] = 0
					if v-1 >= 0 {
						sv[j] = 1
					}
				}
				continue
			}
			var widx []int32
			if win != nil {
				widx = win.Idx[o : o+N]
			} else {
				widx = ws.winScratch[l][b*N : (b+1)*N]
			}
			wc := 0
			// the noise mask m ~ Bernoulli(p): one draw per neuron (the
			// dense networks), or 16-bit draws, four per Uint64
			var bits uint64
			nb := 0
			// branch-free on the bits: θ = Θ(x), h = clip(x/α + ½, 0, 1)
			const one = 0x3f800000
			for j, v := range u {
				xv := v - 1
				xb := math.Float32bits(xv)
				// listed if |x| < α/2, without a branch
				widx[wc] = int32(j)
				wc += int((xb&0x7fffffff - halfBits) >> 31)
				theta := one &^ uint32(int32(xb)>>31)
				h := math.Float32bits(xv*inv + 0.5)
				h &^= uint32(int32(h) >> 31)
				if h > one {
					h = one
				}
				var masked bool
				if noise {
					if fast {
						if nb == 0 {
							bits, nb = r.Uint64(), 4
						}
						masked = uint32(bits&0xffff) < pth16
						bits >>= 16
						nb--
					} else {
						masked = uint32(r.Uint64()) < pth
					}
				}
				if masked {
					h = theta
				}
				sv[j] = math.Float32frombits(h)
			}
			if win != nil {
				win.Cnt[b*T+t] = int32(wc)
			}
		}
	}
}

// ifBackward turns ∂L/∂ŝ (ws.gIn[l+1]) into ∂L/∂c (ws.gCur[l]) through the
// IF dynamics with the reset (1 − ŝ) held constant, and records each
// sample's ∂L/∂α:
//
//	∂L/∂u[t] = h(x[t])·∂L/∂ŝ[t] + (1 − ŝ[t])·∂L/∂u[t+1]    h = (1/α)·1[|x| < α/2]
//	∂L/∂α   += ∂L/∂ŝ[t]·(−x/α²)·1[|x| < α/2]               x = u[t] − 1
func (n *Network) ifBackward(ws *workspace, l, k, lo, hi int) {
	s, gS, gC := ws.in[l+1], ws.gIn[l+1], ws.gCur[l]
	N, T := s.N, n.T
	inv := ws.invAlphas[k]
	hb := math.Float32bits(ws.alphas[k] / 2)
	nl := len(n.LogAlpha)
	for b := lo; b < hi; b++ {
		var ga float64
		for t := T - 1; t >= 0; t-- {
			o := (b*T + t) * N
			g, gs, u := gC.Row(b, t), gS.Row(b, t), ws.u[l][o:o+N]
			for j, uj := range u {
				// in the window |x| < α/2
				xv := uj - 1
				var in int32
				if math.Float32bits(xv)&0x7fffffff < hb {
					in = 1
				}
				d := gs[j] * float32(in)
				g[j] = d * inv
				ga += float64(d * (-xv * inv * inv))
			}
			if t < T-1 {
				sv, gn := s.Val[o:o+N], gC.Row(b, t+1)
				for j, v := range gn {
					g[j] += v * (1 - sv[j])
				}
			}
		}
		ws.galpha[b*nl+k] = ga
	}
}
