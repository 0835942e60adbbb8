package train

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
	"sync"

	"github.com/snnc/snnc/ir"
)

// denseBlockRows is the number of input rows per gradient block.
const denseBlockRows = 32

// backwardMode lets tests force one of the two input-gradient methods.
var backwardMode = autoBackward

const (
	autoBackward = iota
	scatterOnly
	gatherOnly
)

// Dense is a fully connected layer c = W·s_in + b.
//
// The weights are stored input-major (wt[i·Out+o] = W[o][i]) so the forward
// pass and the weight gradient add whole rows for each non-zero input; a
// transposed output-major copy (woi, the IR layout) serves the backward
// pass, which adds one row per non-zero error current.
type Dense struct {
	name    string
	in, out int
	inShape []int
	w, b    *Param
	woi     []float32
	// mask, for narrow outputs (narrowRows), is the lane mask of the row
	// kernels
	mask *[16]int32
}

// NewDense returns a dense layer with in inputs and out outputs. inShape is
// the shape the layer reports (e.g. [1,28,28] flattened, or [in]).
func NewDense(name string, in, out int) *Dense {
	return &Dense{
		name: name, in: in, out: out, inShape: []int{in},
		w:   newParam(name+".weight", in*out, true),
		b:   newParam(name+".bias", out, false),
		woi: make([]float32, in*out), mask: laneMask(out),
	}
}

func (d *Dense) Name() string     { return d.name }
func (d *Dense) InShape() []int   { return d.inShape }
func (d *Dense) OutShape() []int  { return []int{d.out} }
func (d *Dense) HasNeurons() bool { return true }
func (d *Dense) Params() []*Param { return []*Param{d.w, d.b} }
func (d *Dense) GradBlocks() int  { return (d.in+denseBlockRows-1)/denseBlockRows + 1 }
func (d *Dense) rowBlock(k int) (int, int) {
	return k * denseBlockRows, min((k+1)*denseBlockRows, d.in)
}

// Init draws W and b uniformly from ±1/√in (PyTorch's nn.Linear default).
func (d *Dense) Init(r *rng) {
	bound := float32(1 / math.Sqrt(float64(d.in)))
	for i := range d.w.W {
		d.w.W[i] = r.uniform(-bound, bound)
	}
	for i := range d.b.W {
		d.b.W[i] = r.uniform(-bound, bound)
	}
	d.refreshAll()
}

func (d *Dense) refreshAll() {
	for k := 0; k < d.GradBlocks(); k++ {
		d.Refresh(k)
	}
}

func (d *Dense) Forward(in, out *Acts, lo, hi int) {
	if in.Ones != nil && in.Steps > 1 {
		d.forwardPatterns(in, out, lo, hi)
		return
	}
	for b := lo; b < hi; b++ {
		for t := 0; t < in.Steps; t++ {
			c := out.Row(b, t)
			copy(c, d.b.W)
			x := in.Row(b, t)
			if narrowRows(d.out) {
				// one call for all the inputs' rows (the readout)
				var list []int32
				if in.Sparse {
					list = in.Active(b, t)
				} else {
					sc := scratchPool.Get().(*scratch)
					list = nonZero(x, sized(&sc.idx, len(x)))
					rowsGather(c, d.w.W, d.out, x, list, d.mask)
					scratchPool.Put(sc)
					continue
				}
				rowsGather(c, d.w.W, d.out, x, list, d.mask)
				continue
			}
			if in.Sparse {
				for _, i := range in.Active(b, t) {
					axpy(x[i], d.w.W[int(i)*d.out:int(i+1)*d.out], c)
				}
				continue
			}
			for i, v := range x {
				if v != 0 {
					axpy(v, d.w.W[i*d.out:(i+1)*d.out], c)
				}
			}
		}
	}
}

// forwardPatterns computes the currents from spike patterns: the weight
// rows of all inputs that spike at exactly the steps P are summed once into
// R[P], and each step adds the R[P] with t ∈ P. Analog values (ASGL's
// H_α inside the window) are added step by step.
func (d *Dense) forwardPatterns(in, out *Acts, lo, hi int) {
	T, N := in.Steps, in.N
	np := 1 << T
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	r := sc.floats(np * d.out)
	used := sc.bools(np)
	for b := lo; b < hi; b++ {
		for t := 0; t < T; t++ {
			copy(out.Row(b, t), d.b.W)
		}
		clear(used)
		ones, analog := in.Ones[b*N:(b+1)*N], in.Analog[b*N:(b+1)*N]
		for i, p := range ones {
			if p|analog[i] == 0 {
				continue
			}
			w := d.w.W[i*d.out : (i+1)*d.out]
			if p != 0 {
				rp := r[int(p)*d.out : (int(p)+1)*d.out]
				if !used[p] {
					used[p] = true
					copy(rp, w)
				} else {
					add(w, rp)
				}
			}
			for a := analog[i]; a != 0; a &= a - 1 {
				t := bitIndex(a)
				axpy(in.Row(b, t)[i], w, out.Row(b, t))
			}
		}
		for p := 1; p < np; p++ {
			if !used[p] {
				continue
			}
			rp := r[p*d.out : (p+1)*d.out]
			for q := p; q != 0; q &= q - 1 {
				add(rp, out.Row(b, bitIndex(uint8(q))))
			}
		}
	}
}

// scratch is reusable per-goroutine memory.
type scratch struct {
	f   []float32
	b   []bool
	m   []uint8
	idx []int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// sized returns (*buf)[:n], first replacing *buf with a new slice when it
// holds fewer than n elements: scratch memory that grows to the largest
// request and is then reused.
func sized[T any](buf *[]T, n int) []T {
	if cap(*buf) < n {
		*buf = make([]T, n)
	}
	return (*buf)[:n]
}

func (s *scratch) floats(n int) []float32 { return sized(&s.f, n) }
func (s *scratch) bools(n int) []bool     { return sized(&s.b, n) }

// bitmaps returns two bitmaps of n bytes.
func (s *scratch) bitmaps(n int) (a, b []uint8) {
	m := sized(&s.m, 2*n)
	return m[:n], m[n:]
}

func bitIndex(a uint8) int {
	t := 0
	for a&1 == 0 {
		a >>= 1
		t++
	}
	return t
}

func (d *Dense) BackwardInput(gOut, gIn, need *Acts, lo, hi int) {
	var nzBuf [256]int32
	for b := lo; b < hi; b++ {
		for t := 0; t < gOut.Steps; t++ {
			g := gOut.Row(b, t)
			gi := gIn.Row(b, t)
			nz := nzBuf[:0]
			if len(g) > len(nzBuf) {
				nz = make([]int32, 0, len(g))
			}
			for o, v := range g {
				if v != 0 {
					nz = append(nz, int32(o))
				}
			}
			// Either gather the needed inputs (one dot product of a weight
			// row per needed input) or scatter the non-zero errors (one
			// row per error), whichever touches fewer rows.
			if need != nil && need.Steps == gOut.Steps && backwardMode != scatterOnly {
				if want := need.Active(b, t); len(want) < len(nz) || backwardMode == gatherOnly {
					for _, i := range want {
						gi[i] = dot(d.w.W[int(i)*d.out:int(i+1)*d.out], g)
					}
					continue
				}
			}
			clear(gi)
			for _, o := range nz {
				axpy(g[o], d.woi[int(o)*d.in:int(o+1)*d.in], gi)
			}
		}
	}
}

func (d *Dense) AccumGrad(k int, in, gOut *Acts, n int) []Span {
	steps := max(in.Steps, gOut.Steps)
	if k == d.GradBlocks()-1 { // bias
		g := d.b.G
		clear(g)
		for b := 0; b < n; b++ {
			for t := 0; t < steps; t++ {
				add(gOut.Row(b, t), g)
			}
		}
		return []Span{{d.b, 0, d.out}}
	}
	r0, r1 := d.rowBlock(k)
	g := d.w.G[r0*d.out : r1*d.out]
	clear(g)
	if in.Ones != nil && gOut.Sum != nil && in.Steps == gOut.Steps {
		// an input that spikes at every step adds Σ_t δ[t] once
		full := uint8(1<<in.Steps - 1)
		for b := 0; b < n; b++ {
			ones, analog := in.Ones[b*in.N:(b+1)*in.N], in.Analog[b*in.N:(b+1)*in.N]
			sum := gOut.Sum[b*gOut.N : (b+1)*gOut.N]
			for i := r0; i < r1; i++ {
				p, a := ones[i], analog[i]
				if p|a == 0 {
					continue
				}
				gi := d.w.G[i*d.out : (i+1)*d.out]
				if p == full {
					add(sum, gi)
					continue
				}
				for q := p | a; q != 0; q &= q - 1 {
					t := bitIndex(q)
					axpy(in.Row(b, t)[i], gOut.Row(b, t), gi)
				}
			}
		}
		return []Span{{d.w, r0 * d.out, r1 * d.out}}
	}
	if in.Ones != nil && gOut.Steps == 1 {
		// the readout's error is the same at every step: add it once,
		// scaled by the input summed over the steps
		for b := 0; b < n; b++ {
			ones, analog := in.Ones[b*in.N:(b+1)*in.N], in.Analog[b*in.N:(b+1)*in.N]
			e := gOut.Row(b, 0)
			for i := r0; i < r1; i++ {
				if ones[i]|analog[i] == 0 {
					continue
				}
				v := float32(bits.OnesCount8(ones[i]))
				for a := analog[i]; a != 0; a &= a - 1 {
					v += in.Row(b, bitIndex(a))[i]
				}
				axpy(v, e, d.w.G[i*d.out:(i+1)*d.out])
			}
		}
		return []Span{{d.w, r0 * d.out, r1 * d.out}}
	}
	var idx []int32
	if narrowRows(d.out) && !in.Sparse {
		sc := scratchPool.Get().(*scratch)
		defer scratchPool.Put(sc)
		idx = sized(&sc.idx, r1-r0)
	}
	for b := 0; b < n; b++ {
		for t := 0; t < steps; t++ {
			x := in.Row(b, t)
			e := gOut.Row(b, t)
			if narrowRows(d.out) {
				// one call for the block's non-zero inputs (the readout)
				if in.Sparse {
					act := in.Active(b, t)
					j0 := sort.Search(len(act), func(j int) bool { return int(act[j]) >= r0 })
					j1 := j0 + sort.Search(len(act)-j0, func(j int) bool { return int(act[j0+j]) >= r1 })
					rowsScatter(d.w.G, e, d.out, x, act[j0:j1], d.mask)
					continue
				}
				rowsScatter(g, e, d.out, x[r0:r1], nonZero(x[r0:r1], idx), d.mask)
				continue
			}
			if in.Sparse {
				act := in.Active(b, t)
				j := sort.Search(len(act), func(j int) bool { return int(act[j]) >= r0 })
				for ; j < len(act) && int(act[j]) < r1; j++ {
					i := int(act[j])
					axpy(x[i], e, d.w.G[i*d.out:(i+1)*d.out])
				}
				continue
			}
			for i := r0; i < r1; i++ {
				if x[i] != 0 {
					axpy(x[i], e, d.w.G[i*d.out:(i+1)*d.out])
				}
			}
		}
	}
	return []Span{{d.w, r0 * d.out, r1 * d.out}}
}

func (d *Dense) Refresh(k int) {
	if k == d.GradBlocks()-1 {
		return
	}
	r0, r1 := d.rowBlock(k)
	for i := r0; i < r1; i++ {
		row := d.w.W[i*d.out : (i+1)*d.out]
		for o, v := range row {
			d.woi[o*d.in+i] = v
		}
	}
}

// Freeze returns the layer as an ir.Layer with Out×In row-major weights.
func (d *Dense) Freeze() ir.Layer {
	return ir.Layer{
		Name: d.name, Kind: ir.KindDense,
		InShape: []int{d.in}, OutShape: []int{d.out},
		Weights: append([]float32(nil), d.woi...),
		Bias:    append([]float32(nil), d.b.W...),
	}
}

// denseFromIR builds a dense layer from an IR layer.
func denseFromIR(l *ir.Layer) (*Dense, error) {
	in, out := l.NumInputs(), l.NumOutputs()
	if len(l.Weights) != in*out || len(l.Bias) != out {
		return nil, fmt.Errorf("train: layer %q: %d weights and %d biases for %d×%d", l.Name, len(l.Weights), len(l.Bias), out, in)
	}
	d := NewDense(l.Name, in, out)
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			d.w.W[i*out+o] = l.Weights[o*in+i]
		}
	}
	copy(d.b.W, l.Bias)
	d.refreshAll()
	return d, nil
}
