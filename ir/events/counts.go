package events

import (
	"fmt"
	"math"
)

// CountFeatures returns the per-channel spike counts of each spike set,
// ln(1 + count), with time thrown away: the input of the linear baseline.
func CountFeatures(sets []SpikeSet, channels int) ([][]float64, error) {
	out := make([][]float64, len(sets))
	for i, s := range sets {
		f := make([]float64, channels)
		for _, u := range s.Units {
			if int(u) >= channels {
				return nil, fmt.Errorf("events: spike set %d: unit %d but there are %d channels", i, u, channels)
			}
			f[u]++
		}
		for c := range f {
			f[c] = math.Log1p(f[c])
		}
		out[i] = f
	}
	return out, nil
}

// LinearBaseline is a multinomial logistic regression on standardised count
// features, trained by full-batch gradient descent: the "no time" baseline a
// temporal network must beat.
type LinearBaseline struct {
	Classes, Features int
	mean, scale       []float64
	w                 []float64 // Classes × (Features+1), bias last
}

// FitLinearBaseline trains the baseline on features x with labels y for
// steps steps of gradient descent (learning rate lr, L2 weight decay l2),
// starting from zero weights: deterministic.
func FitLinearBaseline(x [][]float64, y []int, classes, steps int, lr, l2 float64) (*LinearBaseline, error) {
	if len(x) == 0 || len(x) != len(y) {
		return nil, fmt.Errorf("events: baseline on %d samples with %d labels", len(x), len(y))
	}
	nf := len(x[0])
	m := &LinearBaseline{Classes: classes, Features: nf, mean: make([]float64, nf), scale: make([]float64, nf), w: make([]float64, classes*(nf+1))}
	for i, xi := range x {
		if len(xi) != nf || y[i] < 0 || y[i] >= classes {
			return nil, fmt.Errorf("events: baseline sample %d: %d features (want %d), label %d of %d classes", i, len(xi), nf, y[i], classes)
		}
		for f, v := range xi {
			m.mean[f] += v
		}
	}
	n := float64(len(x))
	for f := range m.mean {
		m.mean[f] /= n
	}
	for _, xi := range x {
		for f, v := range xi {
			m.scale[f] += (v - m.mean[f]) * (v - m.mean[f])
		}
	}
	for f := range m.scale {
		sd := math.Sqrt(m.scale[f] / n)
		m.scale[f] = 0
		if sd > 0 {
			m.scale[f] = 1 / sd
		}
	}
	z := make([]float64, len(x)*(nf+1))
	for i, xi := range x {
		m.standardise(z[i*(nf+1):(i+1)*(nf+1)], xi)
	}
	grad := make([]float64, len(m.w))
	p := make([]float64, classes)
	for step := 0; step < steps; step++ {
		for k := range grad {
			grad[k] = l2 * m.w[k]
		}
		for i := range x {
			zi := z[i*(nf+1) : (i+1)*(nf+1)]
			m.softmax(p, zi)
			p[y[i]]--
			for c, pc := range p {
				g := grad[c*(nf+1) : (c+1)*(nf+1)]
				for f, v := range zi {
					g[f] += pc * v / n
				}
			}
		}
		for k := range m.w {
			m.w[k] -= lr * grad[k]
		}
	}
	return m, nil
}

func (m *LinearBaseline) standardise(dst, x []float64) {
	for f, v := range x {
		dst[f] = (v - m.mean[f]) * m.scale[f]
	}
	dst[len(x)] = 1
}

func (m *LinearBaseline) softmax(p, z []float64) {
	top := math.Inf(-1)
	for c := range p {
		s := 0.0
		for f, v := range z {
			s += m.w[c*len(z)+f] * v
		}
		p[c] = s
		top = max(top, s)
	}
	sum := 0.0
	for c := range p {
		p[c] = math.Exp(p[c] - top)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
}

// Predict returns the most probable class of feature vector x.
func (m *LinearBaseline) Predict(x []float64) int {
	z := make([]float64, m.Features+1)
	m.standardise(z, x)
	p := make([]float64, m.Classes)
	m.softmax(p, z)
	best := 0
	for c := range p {
		if p[c] > p[best] {
			best = c
		}
	}
	return best
}

// Accuracy is the fraction of x whose prediction equals y.
func (m *LinearBaseline) Accuracy(x [][]float64, y []int) float64 {
	if len(x) == 0 {
		return 0
	}
	ok := 0
	for i := range x {
		if m.Predict(x[i]) == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(x))
}
