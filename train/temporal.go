package train

import (
	"math"
	"sort"

	"github.com/snnc/snnc/ir"
)

// Temporal networks: the current-based LIF neuron of Eq. 19 (ARCHITECTURE.md,
// "Time, recurrence and events"), recurrent dense layers, reset by
// subtraction and the sequence readouts. They are options of the one
// Network: a Network whose CurrentDecay is 0, without recurrent layers,
// with reset to zero and the mean-current readout runs the seed's neuron on
// the fast paths of net.go; any of these options switches its LIF stages to
// lifForwardTemporal and lifBackwardTemporal below, which implement
//
//	c[t] = β_c·c[t−1] + W·s_in[t] + V·s[t−1] + b
//	u[t] = γ·u[t−1]·(1 − ŝ[t−1]) + c[t]      (reset to zero)
//	u[t] = γ·(u[t−1] − ϑ·ŝ[t−1]) + c[t]      (reset by subtraction)
//
// With ir.ResetSubtractMulti a neuron emits min(⌊u/ϑ⌋, 31) spikes in a step
// (Xylo's hidden neurons): ŝ gets the count beyond the first spike added,
// which passes no gradient (the first spike's surrogate does).
//
// with ŝ the training spike (Θ, or ASGL's mixture of Θ and H_α).

// Temporal holds the temporal options of NewNetwork.
type Temporal struct {
	// CurrentDecay is β_c, in [0, 1).
	CurrentDecay float32
	// Reset is ir.ResetZero or ir.ResetSubtract.
	Reset ir.ResetMode
	// Readout is the readout kind.
	Readout ir.ReadoutKind
}

// RecurrentDense is a dense layer with a recurrent matrix V (Out×Out) on
// the layer's own spikes of the previous step: c[t] = W·s_in[t] + V·s[t−1]
// + b. Forward computes the feed-forward part W·s_in + b for all steps at
// once; the recurrent part depends on the layer's own spikes and is added
// step by step by the LIF stage (lifForwardTemporal).
type RecurrentDense struct {
	*Dense
	// v is stored input-major like Dense's weights: v.W[j·Out+o] = V[o][j],
	// so a spike of neuron j adds one row and ∂L/∂s[j] is one dot product.
	v *Param
	// own is the layer's own spikes of the training batch (set by
	// batchNet.applyStep before the gradient blocks of V).
	own *Acts
}

// NewRecurrentDense returns a recurrent dense layer with in inputs and out
// neurons.
func NewRecurrentDense(name string, in, out int) *RecurrentDense {
	return &RecurrentDense{Dense: NewDense(name, in, out), v: newParam(name+".recurrent", out*out, true)}
}

func (r *RecurrentDense) Params() []*Param { return []*Param{r.w, r.b, r.v} }

// GradBlocks are Dense's blocks, then the rows of V in blocks.
func (r *RecurrentDense) GradBlocks() int {
	return r.Dense.GradBlocks() + (r.out+denseBlockRows-1)/denseBlockRows
}

// Init draws W and b as Dense does and V uniformly from ±1/√out.
func (r *RecurrentDense) Init(g *rng) {
	r.Dense.Init(g)
	bound := float32(1 / math.Sqrt(float64(r.out)))
	for i := range r.v.W {
		r.v.W[i] = g.uniform(-bound, bound)
	}
}

func (r *RecurrentDense) Refresh(k int) {
	if k < r.Dense.GradBlocks() {
		r.Dense.Refresh(k)
	}
}

// AccumGrad sets block k: Dense's blocks, or the rows [j0, j1) of V,
// ∂L/∂V[o][j] = Σ_b Σ_{t≥1} ŝ[t−1][j]·∂L/∂c[t][o].
func (r *RecurrentDense) AccumGrad(k int, in, gOut *Acts, n int) []Span {
	nd := r.Dense.GradBlocks()
	if k < nd {
		return r.Dense.AccumGrad(k, in, gOut, n)
	}
	j0 := (k - nd) * denseBlockRows
	j1 := min(j0+denseBlockRows, r.out)
	N := r.out
	g := r.v.G[j0*N : j1*N]
	clear(g)
	own := r.own
	for b := 0; b < n; b++ {
		for t := 1; t < gOut.Steps; t++ {
			act := own.Active(b, t-1)
			x := own.Row(b, t-1)
			e := gOut.Row(b, t)
			q := sort.Search(len(act), func(q int) bool { return int(act[q]) >= j0 })
			for ; q < len(act) && int(act[q]) < j1; q++ {
				j := int(act[q])
				axpy(x[j], e, r.v.G[j*N:(j+1)*N])
			}
		}
	}
	return []Span{{r.v, j0 * N, j1 * N}}
}

// Freeze returns the layer as an ir.Layer (KindRecurrentDense).
func (r *RecurrentDense) Freeze() ir.Layer {
	l := r.Dense.Freeze()
	l.Kind = ir.KindRecurrentDense
	N := r.out
	l.Recurrent = make([]float32, N*N)
	for j := 0; j < N; j++ {
		for o := 0; o < N; o++ {
			l.Recurrent[o*N+j] = r.v.W[j*N+o]
		}
	}
	return l
}

// recurrentFromIR builds a recurrent dense layer from an IR layer.
func recurrentFromIR(l *ir.Layer) (*RecurrentDense, error) {
	d, err := denseFromIR(l)
	if err != nil {
		return nil, err
	}
	N := d.out
	r := &RecurrentDense{Dense: d, v: newParam(l.Name+".recurrent", N*N, true)}
	for o := 0; o < N; o++ {
		for j := 0; j < N; j++ {
			r.v.W[j*N+o] = l.Recurrent[o*N+j]
		}
	}
	return r, nil
}

// temporal reports whether the network needs the temporal LIF stages.
func (n *Network) temporal() bool {
	if n.CurrentDecay != 0 || n.Reset != ir.ResetZero || n.Readout != ir.ReadoutMeanCurrent {
		return true
	}
	for _, ly := range n.Layers {
		if _, ok := ly.(*RecurrentDense); ok {
			return true
		}
	}
	return false
}

// lifForwardTemporal runs the current-based LIF neurons after layer l for
// samples [lo, hi) (see the top of this file). As lifForward, in training
// it lists the neurons inside the surrogate window per step.
func (n *Network) lifForwardTemporal(ws *workspace, l, k, lo, hi int) {
	cur, s := ws.cur[l], ws.in[l+1]
	N, T := s.N, n.T
	gamma, theta, beta := n.Leak, n.Threshold, n.CurrentDecay
	subtract := n.Reset == ir.ResetSubtract || n.Reset == ir.ResetSubtractMulti
	multi := n.Reset == ir.ResetSubtractMulti
	rec, _ := n.Layers[l].(*RecurrentDense)
	var alpha, inva float32
	mixed := ws.train && n.Method == ASGL
	if ws.train {
		alpha, inva = ws.alphas[k], ws.invAlphas[k]
	}
	half := alpha / 2
	thr := ws.maskP
	win := ws.win[l]
	for b := lo; b < hi; b++ {
		mr := newMaskRNG(ws.maskSeed^uint64(k)<<56, b)
		cs := ws.csyn[l][b*N : (b+1)*N]
		for t := 0; t < T; t++ {
			c := cur.Row(b, t)[:N]
			o := (b*T + t) * N
			u := ws.u[l][o : o+N]
			sv := s.Val[o : o+N]
			idx := s.Idx[o : o+N]
			if t == 0 {
				copy(cs, c)
				copy(u, cs)
			} else {
				for i, x := range c {
					cs[i] = float32(beta*cs[i]) + x
				}
				if rec != nil {
					sp := s.Val[o-N : o]
					for _, j := range s.Active(b, t-1) {
						axpy(sp[j], rec.v.W[int(j)*N:int(j+1)*N], cs)
					}
				}
				up := ws.u[l][o-N : o]
				sp := s.Val[o-N : o]
				if subtract {
					for i := range u {
						u[i] = float32(gamma*float32(up[i]-float32(theta*sp[i]))) + cs[i]
					}
				} else {
					for i := range u {
						u[i] = float32(float32(gamma*up[i])*(1-sp[i])) + cs[i]
					}
				}
			}
			cnt, wc := 0, 0
			var widx []int32
			if ws.train {
				widx = win.Idx[o : o+N]
			}
			for i, ui := range u {
				x := ui - theta
				v := float32(0)
				if x >= 0 {
					v = 1
				}
				if ws.train && x < half && x > -half {
					widx[wc] = int32(i)
					wc++
					// inside the window: keep the spike with probability
					// p, else the analog value H_α(x)
					if mixed && mr.next()>>32 >= thr {
						v = x*inva + 0.5
					}
				}
				if multi && x >= theta {
					// the further spikes of a step (ir.ResetSubtractMulti):
					// their count passes no gradient
					v += float32(min(ir.MaxSpikesPerStep, math.Floor(float64(ui)/float64(theta)))) - 1
				}
				sv[i] = v
				if v != 0 {
					idx[cnt] = int32(i)
					cnt++
				}
			}
			s.Cnt[b*T+t] = int32(cnt)
			if ws.train {
				win.Cnt[b*T+t] = int32(wc)
			}
		}
	}
}

// lifBackwardTemporal turns ∂L/∂ŝ (ws.gIn[l+1]) into ∂L/∂c_in (ws.gCur[l],
// c_in[t] = W·s_in[t] + b) by BPTT and accumulates ∂L/∂α:
//
//	G[t]     = ∂L/∂ŝ[t] + Vᵀ·∂L/∂c[t+1] + (reset term)
//	           reset term: −γ·u[t]·∂L/∂u[t+1] (zero), −γ·ϑ·∂L/∂u[t+1] (subtract)
//	∂L/∂u[t] = γ·(1 − ŝ[t])·∂L/∂u[t+1] (zero) or γ·∂L/∂u[t+1] (subtract)
//	           + G[t]·h(x[t]),  h = (1/α)·1[|x| < α/2]
//	∂L/∂c[t] = ∂L/∂u[t] + β_c·∂L/∂c[t+1]  (= ∂L/∂c_in[t])
//	∂L/∂α   += G[t]·(−x/α²)·1[|x| < α/2]   (ASGL)
//
// The window of step t−1 (ws.win) lists the only neurons whose G matters,
// so Vᵀ·∂L/∂c[t] is computed for those alone.
func (n *Network) lifBackwardTemporal(ws *workspace, l, k, lo, hi int) {
	s, gS, gC := ws.in[l+1], ws.gIn[l+1], ws.gCur[l]
	N, T := s.N, n.T
	gamma, theta, beta := n.Leak, n.Threshold, n.CurrentDecay
	subtract := n.Reset == ir.ResetSubtract || n.Reset == ir.ResetSubtractMulti
	rec, _ := n.Layers[l].(*RecurrentDense)
	inva := ws.invAlphas[k]
	half := ws.alphas[k] / 2
	asgl := n.Method == ASGL
	nl := len(n.LogAlpha)
	win := ws.win[l]
	for b := lo; b < hi; b++ {
		gun := ws.gun[l][b*N : (b+1)*N]
		gcs := ws.gcs[l][b*N : (b+1)*N]
		grec := ws.grec[l][b*N : (b+1)*N]
		clear(gun)
		clear(gcs)
		clear(grec)
		var ga float64
		for t := T - 1; t >= 0; t-- {
			o := (b*T + t) * N
			u := ws.u[l][o : o+N]
			sv := s.Val[o : o+N]
			gs := gS.Row(b, t)[:N]
			gc := gC.Row(b, t)[:N]
			var gat float32
			for i, ui := range u {
				gn := gun[i]
				var g, gu float32
				if subtract {
					g = gs[i] + grec[i] - gn*gamma*theta
					gu = gn * gamma
				} else {
					g = gs[i] + grec[i] - gn*gamma*ui
					gu = gn * gamma * (1 - sv[i])
				}
				if x := ui - theta; x < half && x > -half {
					gu += g * inva
					gat -= g * x
				}
				gun[i] = gu
				gcs[i] = gu + beta*gcs[i]
				gc[i] = gcs[i]
			}
			if asgl {
				ga += float64(gat)
			}
			if rec != nil && t > 0 {
				for _, j := range win.Active(b, t-1) {
					grec[j] = dot(rec.v.W[int(j)*N:int(j+1)*N], gcs)
				}
			}
		}
		ws.galpha[b*nl+k] = ga * float64(inva*inva)
	}
}

// readoutMaxPotential (scratch: ws.rbuf, 3·C per sample: the current,
// the potential and ∂L/∂max) sets lg to max_t u[t] of the readout layer for
// sample b, u[t] = γ·u[t−1] + c[t], c[t] = β_c·c[t−1] + c_in[t], and
// records the step of each maximum in ws.tmax.
func (n *Network) readoutMaxPotential(ws *workspace, b int, lg []float64) {
	out := ws.cur[len(n.Layers)-1]
	C := out.N
	cs := ws.rbuf[b*3*C : b*3*C+C]
	u := ws.rbuf[b*3*C+C : b*3*C+2*C]
	tmax := ws.tmax[b*C : (b+1)*C]
	clear(cs)
	clear(u)
	for t := 0; t < n.T; t++ {
		for k, x := range out.Row(b, t) {
			cs[k] = float32(n.CurrentDecay*cs[k]) + x
			u[k] = float32(n.Leak*u[k]) + cs[k]
			if t == 0 || float64(u[k]) > lg[k] {
				lg[k], tmax[k] = float64(u[k]), int32(t)
			}
		}
	}
}

// readoutMaxPotentialGrad writes ∂L/∂c_in[t] of the readout layer for
// sample b into ws.gCur given ∂L/∂(max_t u) = gl: the error enters at the
// step of each maximum and flows back through the leak and the current
// decay.
func (n *Network) readoutMaxPotentialGrad(ws *workspace, b int, gl []float32) {
	g := ws.gCur[len(n.Layers)-1]
	C := g.N
	gu := ws.rbuf[b*3*C : b*3*C+C]
	gcs := ws.rbuf[b*3*C+C : b*3*C+2*C]
	tmax := ws.tmax[b*C : (b+1)*C]
	clear(gu)
	clear(gcs)
	for t := n.T - 1; t >= 0; t-- {
		row := g.Row(b, t)
		for k := range row {
			gu[k] *= n.Leak
			if int(tmax[k]) == t {
				gu[k] += gl[k]
			}
			gcs[k] = gu[k] + n.CurrentDecay*gcs[k]
			row[k] = gcs[k]
		}
	}
}
