package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/train/dataset"
)

// TrueNorth-constrained training (snnc train --target truenorth).
//
// The network is trained inside the limits of a TrueNorth core (256 axons ×
// 256 neurons, a binary crossbar, 4 axon types with one signed 9-bit weight
// per neuron and type, one target per neuron, linear leak), so that
// snnc compile --target truenorth maps it without approximation:
//
//   - Connectivity is grouped, one group per core. The first hidden layer
//     sees the image through square receptive fields (TNPatch² pixels
//     × channels ≤ TNSources, on a TNGrid×TNGrid grid of patches that covers
//     the image), its neurons split evenly over the patches. Every later
//     hidden layer is split into groups of TNGroupNeurons neurons; each
//     group sees TNSources neurons of the layer below, drawn so that every
//     source is used about equally often (a seeded stream of
//     permutations). So every neuron's fan-in is at most TNSources ≤ 128.
//   - Weights are trinary per neuron, as EEDN's: w_ij = t_ij·a_j with
//     t ∈ {−1, 0, +1} and a_j = k_j/Q, k_j ∈ 1..255. On chip every source
//     reaches a core on two axons, one typed +1 and one typed −1 (type
//     weights +k_j and −k_j), so a group of TNSources ≤ 128 sources fills at
//     most 256 axons. t and a come from latent float weights as in ternary
//     weight networks: Δ_j = 0.7·mean|w_j|, t = sign(w)·[|w| > Δ_j],
//     a_j = mean of the kept |w| rounded to the 1/Q grid; the gradient
//     passes straight through to the latent weights.
//   - Biases are TrueNorth's per-neuron signed 9-bit leak: b_j = m_j/Q,
//     m_j ∈ −255..255 (rounded in the forward pass, straight-through).
//   - Neurons are integrate-and-fire (γ = 1) with reset to zero and ϑ = 1,
//     so on chip α = Q exactly: with Q a power of two the float model and
//     the integer one are the same numbers.
//   - Input is rate-coded: pixel x/255 is the probability of a spike per
//     step (a fresh seeded draw each epoch); TrueNorth cannot take a direct
//     current.
//   - The activation is ASGL's (H_α with learnable α per layer, noise p).
//   - The readout is host-side: the last hidden layer's spikes leave the
//     chip (one target each, the host) and the host accumulates the readout
//     currents W·s + b over T steps (float here; 9-bit integers after
//     compilation). Its fan-in is therefore not limited.
const (
	// TNQ is the potential units per float unit (α = TNQ for ϑ = 1).
	TNQ = 128
	// TNPatch is the side of the first layer's receptive fields.
	TNPatch = 11
	// TNSources is the most distinct sources of a group (two axons each).
	TNSources = 128
	// TNGroupNeurons is the group size of the later hidden layers.
	TNGroupNeurons = 64
	// TNMaxWeight is the largest |k_j| and |m_j| (signed 9-bit).
	TNMaxWeight = 255
)

// tnGroup is one core's worth of a layer: its sources and its neurons.
type tnGroup struct {
	src    []int32 // input indices
	o0, o1 int     // neuron range
	off    int     // offset of the group's weights (input-major, len(src)×(o1−o0))
}

// tnLayer is a grouped trinary layer with IF neurons.
type tnLayer struct {
	in, out int
	groups  []tnGroup
	w, weff []float32 // latent and effective weights
	b, beff []float32 // latent and effective biases
	mw, vw  []float32
	mb, vb  []float32
	logA    float64
	ma, va  float64
}

// TrueNorthNet is a network trained for TrueNorth.
type TrueNorthNet struct {
	Input   []int // [C,H,W]
	Classes int
	T       int
	hidden  []*tnLayer
	// readout (host-side), Classes × last hidden, row-major
	rw, rb         []float32
	mrw, vrw       []float32
	mrb, vrb       []float32
	P, AlphaLR, LR float64
	step           int
}

// ParseTrueNorthArch parses "784-1024-1024-10": the input size, the hidden
// widths and the number of classes.
func ParseTrueNorthArch(s string) (in int, hidden []int, classes int, err error) {
	parts := strings.Split(s, "-")
	if len(parts) < 3 {
		return 0, nil, 0, &ConfigError{"arch", fmt.Sprintf("%q: want INPUT-HIDDEN…-CLASSES with at least one hidden layer for --target truenorth", s)}
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, e := strconv.Atoi(p)
		if e != nil || n <= 0 {
			return 0, nil, 0, &ConfigError{"arch", fmt.Sprintf("%q: %q is not a positive layer size (--target truenorth takes dense sizes only)", s, p)}
		}
		nums[i] = n
	}
	return nums[0], nums[1 : len(nums)-1], nums[len(nums)-1], nil
}

// NewTrueNorthNet builds the grouped network for images of shape [C,H,W].
func NewTrueNorthNet(shape []int, hidden []int, classes, T int, seed uint64) (*TrueNorthNet, error) {
	C, H, W := shape[0], shape[1], shape[2]
	if C*TNPatch*TNPatch > TNSources && C*min(H, TNPatch)*min(W, TNPatch) > TNSources {
		return nil, fmt.Errorf("train: truenorth: %d channels × %d² pixel patches exceed %d sources", C, TNPatch, TNSources)
	}
	r := rand.New(rand.NewPCG(seed, 0x74727565))
	n := &TrueNorthNet{Input: append([]int(nil), shape...), Classes: classes, T: T}
	ph, pw := min(H, TNPatch), min(W, TNPatch)
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
	in := C * H * W
	for li, h := range hidden {
		L := &tnLayer{in: in, out: h, logA: 0}
		if li == 0 {
			np := len(ys) * len(xs)
			if h < np {
				return nil, fmt.Errorf("train: truenorth: the first hidden layer has %d neurons, fewer than its %d receptive fields", h, np)
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
		} else {
			ng := (h + TNGroupNeurons - 1) / TNGroupNeurons
			M := min(TNSources, in)
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
		}
		size := 0
		for gi := range L.groups {
			g := &L.groups[gi]
			g.off = size
			size += len(g.src) * (g.o1 - g.o0)
		}
		L.w, L.weff = make([]float32, size), make([]float32, size)
		L.mw, L.vw = make([]float32, size), make([]float32, size)
		L.b, L.beff, L.mb, L.vb = make([]float32, h), make([]float32, h), make([]float32, h), make([]float32, h)
		for gi := range L.groups {
			g := &L.groups[gi]
			a := float32(1.5 / math.Sqrt(0.15*float64(len(g.src))))
			for i := g.off; i < g.off+len(g.src)*(g.o1-g.o0); i++ {
				L.w[i] = a * (2*r.Float32() - 1)
			}
		}
		L.refresh()
		n.hidden = append(n.hidden, L)
		in = h
	}
	n.rw, n.rb = make([]float32, classes*in), make([]float32, classes)
	n.mrw, n.vrw, n.mrb, n.vrb = make([]float32, classes*in), make([]float32, classes*in), make([]float32, classes), make([]float32, classes)
	bound := float32(1 / math.Sqrt(float64(in)))
	for i := range n.rw {
		n.rw[i] = bound * (2*r.Float32() - 1)
	}
	return n, nil
}

// refresh recomputes the trinary effective weights and the 9-bit biases.
func (L *tnLayer) refresh() {
	for gi := range L.groups {
		g := &L.groups[gi]
		no := g.o1 - g.o0
		for jj := 0; jj < no; jj++ {
			var sum float64
			for k := range g.src {
				sum += math.Abs(float64(L.w[g.off+k*no+jj]))
			}
			delta := 0.7 * sum / float64(len(g.src))
			var kept float64
			nk := 0
			for k := range g.src {
				if a := math.Abs(float64(L.w[g.off+k*no+jj])); a > delta {
					kept += a
					nk++
				}
			}
			q := 1.0
			if nk > 0 {
				q = math.Max(1, math.Min(TNMaxWeight, math.Round(kept/float64(nk)*TNQ)))
			}
			a := float32(q / TNQ)
			for k := range g.src {
				i := g.off + k*no + jj
				x := float64(L.w[i])
				switch {
				case x > delta && nk > 0:
					L.weff[i] = a
				case x < -delta && nk > 0:
					L.weff[i] = -a
				default:
					L.weff[i] = 0
				}
			}
		}
	}
	for j, b := range L.b {
		L.beff[j] = float32(math.Max(-TNMaxWeight, math.Min(TNMaxWeight, math.Round(float64(b)*TNQ))) / TNQ)
	}
}

// tnWork is one worker's per-sample state and gradient accumulators.
type tnWork struct {
	x0      [][]float32   // [t][in] input spikes
	u, s    [][][]float32 // [layer][t][out]
	gx      [][][]float32 // [layer][t][in] (layer ≥ 1)
	gc      [][]float32   // [t][out] scratch
	gw, gb  [][]float32
	ga      []float64
	grw     []float32
	grb     []float32
	sumS    []float32
	loss    float64
	correct int
	rng     *rand.Rand
}

func (n *TrueNorthNet) newWork() *tnWork {
	T := n.T
	w := &tnWork{}
	in0 := n.hidden[0].in
	w.x0 = make2(T, in0)
	maxOut := 0
	for _, L := range n.hidden {
		w.u = append(w.u, make2(T, L.out))
		w.s = append(w.s, make2(T, L.out))
		w.gx = append(w.gx, make2(T, L.in))
		w.gw = append(w.gw, make([]float32, len(L.w)))
		w.gb = append(w.gb, make([]float32, L.out))
		maxOut = max(maxOut, L.out)
	}
	w.gc = make2(T, maxOut)
	w.ga = make([]float64, len(n.hidden))
	w.grw, w.grb = make([]float32, len(n.rw)), make([]float32, len(n.rb))
	w.sumS = make([]float32, n.hidden[len(n.hidden)-1].out)
	w.rng = rand.New(rand.NewPCG(0, 0))
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
func (n *TrueNorthNet) sample(w *tnWork, img []uint8, label int, train bool, p float64, gscale float32, seed uint64) {
	T := n.T
	w.rng = rand.New(rand.NewPCG(seed, 0x7261746573))
	// rate-coded input
	for t := 0; t < T; t++ {
		x := w.x0[t]
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
	for l, L := range n.hidden {
		alpha := float32(math.Exp(L.logA))
		inv := 1 / alpha
		for t := 0; t < T; t++ {
			var x []float32
			if l == 0 {
				x = w.x0[t]
			} else {
				x = w.s[l-1][t]
			}
			c := w.u[l][t]
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
			s := w.s[l][t]
			for j := range c {
				if t > 0 {
					c[j] += w.u[l][t-1][j] * (1 - w.s[l][t-1][j])
				}
				xv := c[j] - 1
				theta := float32(0)
				if xv >= 0 {
					theta = 1
				}
				if !train {
					s[j] = theta
					continue
				}
				h := min(1, max(0, xv*inv+0.5))
				if p > 0 && uint32(w.rng.Uint64()) < pth {
					s[j] = theta
				} else {
					s[j] = h
				}
			}
		}
	}
	last := len(n.hidden) - 1
	H := n.hidden[last].out
	clear(w.sumS)
	for t := 0; t < T; t++ {
		for j, v := range w.s[last][t] {
			w.sumS[j] += v
		}
	}
	C := n.Classes
	logits := make([]float64, C)
	invT := 1 / float32(T)
	best := 0
	for k := 0; k < C; k++ {
		var a float32
		row := n.rw[k*H : (k+1)*H]
		for j, v := range w.sumS {
			if v != 0 {
				a += row[j] * v
			}
		}
		logits[k] = float64(a*invT + n.rb[k])
		if logits[k] > logits[best] {
			best = k
		}
	}
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
		row := n.rw[k*H : (k+1)*H]
		grow := w.grw[k*H : (k+1)*H]
		for j, v := range w.sumS {
			grow[j] += g * v * invT
			gs[j] += g * row[j] * invT
		}
	}
	top := append([]float32(nil), gs...)
	for l := last; l >= 0; l-- {
		L := n.hidden[l]
		alpha := math.Exp(L.logA)
		inv := float32(1 / alpha)
		half := float32(alpha / 2)
		gc := w.gc
		var ga float64
		for t := T - 1; t >= 0; t-- {
			g := gc[t][:L.out]
			var gsT []float32
			if l == last {
				gsT = top
			} else {
				gsT = w.gx[l+1][t]
			}
			u, s := w.u[l][t], w.s[l][t]
			for j := range g {
				var gu float32
				xv := u[j] - 1
				if xv > -half && xv < half {
					gu = gsT[j] * inv
					ga += float64(gsT[j] * (-xv * inv * inv))
				}
				if t < T-1 {
					gu += gc[t+1][j] * (1 - s[j])
				}
				g[j] = gu
			}
		}
		w.ga[l] += ga
		gw, gb := w.gw[l], w.gb[l]
		for t := 0; t < T; t++ {
			for j, v := range gc[t][:L.out] {
				gb[j] += v
			}
		}
		for t := 0; t < T; t++ {
			var x []float32
			if l == 0 {
				x = w.x0[t]
			} else {
				x = w.s[l-1][t]
				clear(w.gx[l][t])
			}
			g := gc[t]
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
					if l > 0 {
						row := L.weff[o : o+no]
						var a float32
						for jj, d := range gg {
							a += row[jj] * d
						}
						w.gx[l][t][i] += a
					}
				}
			}
		}
	}
}

// adam updates p with gradient g in place.
func adam(p, g, m, v []float32, lr, bc1, bc2 float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	step := float32(lr / bc1)
	ib := float32(1 / math.Sqrt(bc2))
	for i := range p {
		gi := g[i]
		m[i] = b1*m[i] + (1-b1)*gi
		v[i] = b2*v[i] + (1-b2)*gi*gi
		p[i] -= step * m[i] / (float32(math.Sqrt(float64(v[i])))*ib + eps)
	}
}

// TrueNorthStats are the figures of one epoch.
type TrueNorthStats struct {
	Epoch        int       `json:"epoch"`
	Loss         float64   `json:"loss"`
	TrainAcc     float64   `json:"train_acc"`
	TestAcc      float64   `json:"test_acc"`
	Alphas       []float64 `json:"alphas"`
	P            float64   `json:"p"`
	LR           float64   `json:"lr"`
	TrainSeconds float64   `json:"train_seconds"`
	EvalSeconds  float64   `json:"eval_seconds"`
}

// TrueNorthTrainer trains a TrueNorthNet with ASGL and Adam (cosine
// learning rate) on a dataset.
type TrueNorthTrainer struct {
	Cfg     Config
	Net     *TrueNorthNet
	Data    *dataset.Set
	Epoch   int
	History []TrueNorthStats
	train   dataset.Split
	works   []*tnWork
	rng     *rand.Rand
}

// NewTrueNorthTrainer checks cfg (Arch "IN-H1-…-CLASSES") against data and
// builds the network.
func NewTrueNorthTrainer(cfg Config, data *dataset.Set) (*TrueNorthTrainer, error) {
	in, hidden, classes, err := ParseTrueNorthArch(cfg.Arch)
	if err != nil {
		return nil, err
	}
	if in != data.ImageSize() {
		return nil, fmt.Errorf("train: architecture %s takes %d inputs but %s images are %d values", cfg.Arch, in, data.Name, data.ImageSize())
	}
	if classes < data.Classes {
		return nil, fmt.Errorf("train: architecture %s has %d outputs but %s has %d classes", cfg.Arch, classes, data.Name, data.Classes)
	}
	net, err := NewTrueNorthNet(data.Shape(), hidden, classes, cfg.Timesteps, cfg.Seed)
	if err != nil {
		return nil, err
	}
	for _, L := range net.hidden {
		L.logA = math.Log(cfg.Alpha)
	}
	tr := &TrueNorthTrainer{Cfg: cfg, Net: net, Data: data, rng: rand.New(rand.NewPCG(cfg.Seed, 0x736e6e63))}
	tr.train = data.Train.Limit(cfg.LimitTrain, data.ImageSize())
	for range runtime.GOMAXPROCS(0) {
		tr.works = append(tr.works, net.newWork())
	}
	return tr, nil
}

// TrainEpoch trains one epoch and evaluates on the test split.
func (tr *TrueNorthTrainer) TrainEpoch(ctx context.Context) (TrueNorthStats, error) {
	cfg, net := &tr.Cfg, tr.Net
	N := tr.train.N
	size := tr.Data.ImageSize()
	perm := tr.rng.Perm(N)
	steps := (N + cfg.Batch - 1) / cfg.Batch
	total := steps * cfg.Epochs
	p := cfg.NoiseP(tr.Epoch)
	start := time.Now()
	var loss float64
	correct := 0
	var lr float64
	for s := 0; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return TrueNorthStats{}, err
		}
		lo, hi := s*cfg.Batch, min((s+1)*cfg.Batch, N)
		idx := perm[lo:hi]
		seed := tr.rng.Uint64()
		gscale := 1 / float32(len(idx))
		var wg sync.WaitGroup
		W := len(tr.works)
		for wi, w := range tr.works {
			a, b := len(idx)*wi/W, len(idx)*(wi+1)/W
			wg.Add(1)
			go func() {
				defer wg.Done()
				for bi := a; bi < b; bi++ {
					i := idx[bi]
					net.sample(w, tr.train.Images[i*size:(i+1)*size], int(tr.train.Labels[i]), true, p, gscale, seed^uint64(bi+1)*0x9e3779b97f4a7c15)
				}
			}()
		}
		wg.Wait()
		lr = cosineLR(cfg.LR, tr.Epoch*steps+s, total)
		net.update(tr.works, lr, cfg.AlphaLR*lr/cfg.LR)
		for _, w := range tr.works {
			loss += w.loss
			correct += w.correct
			w.loss, w.correct = 0, 0
		}
	}
	trainSec := time.Since(start).Seconds()
	t0 := time.Now()
	acc := tr.Evaluate(tr.Data.Test)
	st := TrueNorthStats{Epoch: tr.Epoch + 1, Loss: loss / float64(N), TrainAcc: float64(correct) / float64(N), TestAcc: acc,
		Alphas: net.Alphas(), P: p, LR: lr, TrainSeconds: trainSec, EvalSeconds: time.Since(t0).Seconds()}
	tr.Epoch++
	tr.History = append(tr.History, st)
	return st, nil
}

// update sums the workers' gradients in a fixed order, clears them and
// applies Adam.
func (n *TrueNorthNet) update(works []*tnWork, lr, alphaLR float64) {
	n.step++
	bc1 := 1 - math.Pow(0.9, float64(n.step))
	bc2 := 1 - math.Pow(0.999, float64(n.step))
	sum := func(get func(w *tnWork) []float32) []float32 {
		dst := get(works[0])
		for _, w := range works[1:] {
			for i, v := range get(w) {
				dst[i] += v
			}
			clear(get(w))
		}
		return dst
	}
	var wg sync.WaitGroup
	for l, L := range n.hidden {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gw := sum(func(w *tnWork) []float32 { return w.gw[l] })
			gb := sum(func(w *tnWork) []float32 { return w.gb[l] })
			adam(L.w, gw, L.mw, L.vw, lr, bc1, bc2)
			adam(L.b, gb, L.mb, L.vb, lr, bc1, bc2)
			clear(gw)
			clear(gb)
			L.refresh()
		}()
	}
	grw := sum(func(w *tnWork) []float32 { return w.grw })
	grb := sum(func(w *tnWork) []float32 { return w.grb })
	adam(n.rw, grw, n.mrw, n.vrw, lr, bc1, bc2)
	adam(n.rb, grb, n.mrb, n.vrb, lr, bc1, bc2)
	clear(grw)
	clear(grb)
	wg.Wait()
	if alphaLR > 0 {
		for l, L := range n.hidden {
			var g float64
			for _, w := range works {
				g += w.ga[l]
				w.ga[l] = 0
			}
			g *= math.Exp(L.logA) // ∂L/∂ln α
			const b1, b2 = 0.9, 0.999
			L.ma = b1*L.ma + (1-b1)*g
			L.va = b2*L.va + (1-b2)*g*g
			L.logA -= alphaLR / bc1 * L.ma / (math.Sqrt(L.va/bc2) + 1e-12)
		}
	} else {
		for _, w := range works {
			clear(w.ga)
		}
	}
}

// Alphas returns α per hidden layer.
func (n *TrueNorthNet) Alphas() []float64 {
	a := make([]float64, len(n.hidden))
	for i, L := range n.hidden {
		a[i] = math.Exp(L.logA)
	}
	return a
}

// Evaluate returns the Θ-only accuracy on split (rate-coded input drawn
// from a fixed seed per sample).
func (tr *TrueNorthTrainer) Evaluate(split dataset.Split) float64 {
	size := tr.Data.ImageSize()
	W := len(tr.works)
	var wg sync.WaitGroup
	for wi, w := range tr.works {
		a, b := split.N*wi/W, split.N*(wi+1)/W
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := a; i < b; i++ {
				tr.Net.sample(w, split.Images[i*size:(i+1)*size], int(split.Labels[i]), false, 0, 0, uint64(i))
			}
		}()
	}
	wg.Wait()
	correct := 0
	for _, w := range tr.works {
		correct += w.correct
		w.correct, w.loss = 0, 0
	}
	return float64(correct) / float64(max(1, split.N))
}

// FreezeTrueNorth returns the network as a float IR model: a flatten layer,
// one dense layer per hidden layer (zeros outside the groups; weights
// ±k_j/Q, biases m_j/Q; γ = 1, ϑ = 1, reset to zero), the dense readout,
// rate-coded input scaled by 1/255 and the mean-current readout. prov.Target
// is set to "truenorth".
func FreezeTrueNorth(n *TrueNorthNet, prov *ir.Provenance) *ir.Model {
	if prov != nil {
		prov.Target = "truenorth"
	}
	C, H, W := n.Input[0], n.Input[1], n.Input[2]
	arch := []string{strconv.Itoa(C * H * W)}
	m := &ir.Model{
		Input:      ir.Input{Shape: append([]int(nil), n.Input...), Encoding: ir.EncodingRate, Scale: 1.0 / 255},
		Timesteps:  n.T,
		Readout:    ir.Readout{Kind: ir.ReadoutMeanCurrent},
		Provenance: prov,
	}
	m.Layers = append(m.Layers, ir.Layer{Name: "flatten", Kind: ir.KindFlatten, InShape: append([]int(nil), n.Input...), OutShape: []int{C * H * W}})
	lif := ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}
	for l, L := range n.hidden {
		w := make([]float32, L.in*L.out)
		for gi := range L.groups {
			g := &L.groups[gi]
			no := g.o1 - g.o0
			for k, i := range g.src {
				for jj := 0; jj < no; jj++ {
					w[(g.o0+jj)*L.in+int(i)] = L.weff[g.off+k*no+jj]
				}
			}
		}
		m.Layers = append(m.Layers, ir.Layer{Name: "fc" + strconv.Itoa(l+1), Kind: ir.KindDense, InShape: []int{L.in}, OutShape: []int{L.out},
			Weights: w, Bias: append([]float32(nil), L.beff...), Neuron: lif})
		arch = append(arch, strconv.Itoa(L.out))
	}
	last := n.hidden[len(n.hidden)-1].out
	m.Layers = append(m.Layers, ir.Layer{Name: "fc" + strconv.Itoa(len(n.hidden)+1), Kind: ir.KindDense, InShape: []int{last}, OutShape: []int{n.Classes},
		Weights: append([]float32(nil), n.rw...), Bias: append([]float32(nil), n.rb...), Neuron: lif})
	arch = append(arch, strconv.Itoa(n.Classes))
	m.Name = "snnc-truenorth-" + strings.Join(arch, "-")
	return m
}
