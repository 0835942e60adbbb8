package train

import (
	"math"
)

// Optimizer names.
const (
	OptAdam = "adam"
	OptSGD  = "sgd"
)

// optimizer updates parameter spans in place. The learning rate of the
// current step is set by the trainer (cosine annealing) before the spans
// are updated; spans of one step may be updated concurrently.
type optimizer struct {
	kind     string
	momentum float32
	wd       float32
	beta1    float64
	beta2    float64
	eps      float32
	// c1, c2 are 1 − β1 and 1 − β2 in float32
	c1, c2 float32
	// per step
	step      int
	lr        float32
	stepSize  float32 // Adam: lr/(1−β1^t)
	invBC2    float32 // Adam: 1/√(1−β2^t)
	oneMinusB float32
}

func newOptimizer(kind string, momentum, wd float64) *optimizer {
	o := &optimizer{kind: kind, momentum: float32(momentum), wd: float32(wd), beta1: 0.9, beta2: 0.999, eps: 1e-8}
	o.c1, o.c2 = 1-float32(o.beta1), 1-float32(o.beta2)
	return o
}

// roundComplementsInFloat64 makes c1 and c2 float32(1 − β) rounded from
// float64 (0.1 and 0.001 exactly as float32) instead of 1 − float32(β)
// (3 and 7 ulps away). The trinary networks have always been trained with
// these, and keep them so that their models stay byte-identical.
func (o *optimizer) roundComplementsInFloat64() {
	o.c1, o.c2 = float32(1-o.beta1), float32(1-o.beta2)
}

// begin prepares step number o.step+1 with learning rate lr.
func (o *optimizer) begin(lr float64) {
	o.step++
	o.lr = float32(lr)
	bc1 := 1 - math.Pow(o.beta1, float64(o.step))
	bc2 := 1 - math.Pow(o.beta2, float64(o.step))
	o.stepSize = float32(lr / bc1)
	o.invBC2 = float32(1 / math.Sqrt(bc2))
}

// update applies one step to the elements [sp.Lo, sp.Hi) of sp.P.
func (o *optimizer) update(sp Span) {
	p := sp.P
	w, g, m := p.W[sp.Lo:sp.Hi], p.G[sp.Lo:sp.Hi], p.M[sp.Lo:sp.Hi]
	var wd float32
	if p.Decay {
		wd = o.wd
	}
	switch o.kind {
	case OptSGD:
		mu, lr := o.momentum, o.lr
		first := o.step == 1
		for i := range w {
			gi := g[i] + wd*w[i]
			if first {
				m[i] = gi
			} else {
				m[i] = mu*m[i] + gi
			}
			w[i] -= lr * m[i]
		}
	default: // Adam (L2 weight decay added to the gradient, as PyTorch's Adam)
		v := p.V[sp.Lo:sp.Hi]
		b1, b2 := float32(o.beta1), float32(o.beta2)
		c1, c2 := o.c1, o.c2
		ss, ib, eps := o.stepSize, o.invBC2, o.eps
		for i := range w {
			gi := g[i] + wd*w[i]
			mi := b1*m[i] + c1*gi
			vi := b2*v[i] + c2*gi*gi
			m[i], v[i] = mi, vi
			w[i] -= ss * mi / (float32(math.Sqrt(float64(vi)))*ib + eps)
		}
	}
}

// scalarAdam is Adam for a few float64 parameters (the log-widths ln α).
type scalarAdam struct {
	M, V []float64
	Step int
}

func (a *scalarAdam) update(x, g []float64, lr float64) {
	if len(a.M) != len(x) {
		a.M, a.V = make([]float64, len(x)), make([]float64, len(x))
	}
	a.Step++
	bc1 := 1 - math.Pow(0.9, float64(a.Step))
	bc2 := 1 - math.Pow(0.999, float64(a.Step))
	for i := range x {
		a.M[i] = 0.9*a.M[i] + 0.1*g[i]
		a.V[i] = 0.999*a.V[i] + 0.001*g[i]*g[i]
		x[i] -= lr / bc1 * a.M[i] / (math.Sqrt(a.V[i]/bc2) + 1e-12)
	}
}

// cosineLR is lr0·½(1 + cos(π·step/total)).
func cosineLR(lr0 float64, step, total int) float64 {
	if total <= 0 {
		return lr0
	}
	return lr0 * 0.5 * (1 + math.Cos(math.Pi*float64(min(step, total))/float64(total)))
}
