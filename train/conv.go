package train

import (
	"fmt"
	"math"
	"sync"

	"github.com/snnc/snnc/ir"
)

// Conv2D is a 2-D convolution over CHW tensors, c = W ⋆ s_in + b, with
// square kernel, stride and zero padding; the bias is per output channel.
//
// With AVX2 and 16·k output channels the forward pass and the weight
// gradient are the output-stationary gathers of convgather.go (the same
// sums in the same order as the kernels below). Otherwise two sets of
// kernels. A spiking input (Steps > 1) is event-driven
// (forwardEvents, accumEvents, backwardGather): each non-zero input adds
// its kernel taps to the outputs it reaches, the weight gradient is the
// transpose, and the input gradient gathers taps against the error
// currents laid out position-major (P×OutC), eight input channels per
// load (AVX2 patch kernels, kernels_amd64.s). A sample's non-zero inputs
// are listed as patch events and applied in one kernel call. A constant input (the
// direct-current first layer, Steps = 1) and a readout's single-step
// error use im2col rows: row r = (cIn, ky, kx) of the column matrix holds,
// for every output position p, the input value under tap (ky, kx) of p's
// receptive field (zero in the padding); the currents are then Y[oc] =
// b[oc] + Σ_r W[oc][r]·col[r], the input gradient scatters Σ_oc
// W[oc][r]·G[oc] back through row r, and the weight gradient is
// dW[oc][r] = Σ_p G[oc][p]·col[r][p]. Each row is built when it is needed
// (one P-long buffer per goroutine). Nothing is allocated per step.
//
// W is stored input-major, w.W[r·OutC+oc]: the taps of one input position
// are OutC-long vectors and the gradient block of a group of input
// channels is one contiguous span; Freeze writes the IR's OutC×InC×K×K.
type Conv2D struct {
	name              string
	inC, inH, inW     int
	outC, outH, outW  int
	k, stride, pad    int
	w, b              *Param
	inShape, outShape []int
	inPlane, outPlane int
	rows              int // InC·K·K
	// rowReach[iy] and colReach[ix]: the output rows (columns) an input
	// row (column) reaches, for the event-driven kernels
	rowReach, colReach []reach
	// posReach[iy·InW+ix]: the grids an input position meets (see
	// posGrid), for the event lists
	posReach []posGrid
}

// posGrid is where the grids of an input position start: its kernel taps
// at w + ci·K·K·OutC in W (channel ci), the outputs it reaches at p in a
// position-major (P×OutC) buffer, rows×cols of them (rows 0: none).
type posGrid struct{ w, p, rows, cols int32 }

// reach is the run of outputs o = lo … lo+n−1 that one input coordinate
// feeds along one axis; output lo sees it through kernel tap k0, and each
// next output through the tap stride lower.
type reach struct{ lo, n, k0 int }

// reaches returns the reach of every input coordinate of an axis of in
// inputs and out outputs.
func reaches(in, out, k, stride, pad int) []reach {
	rs := make([]reach, in)
	for i := range rs {
		// o·stride + tap − pad = i with 0 ≤ tap < k
		lo := max(0, ceilDiv(i+pad-k+1, stride))
		hi := min(out-1, floorDiv(i+pad, stride))
		if hi >= lo {
			rs[i] = reach{lo: lo, n: hi - lo + 1, k0: i + pad - lo*stride}
		}
	}
	return rs
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func ceilDiv(a, b int) int { return -floorDiv(-a, b) }

// NewConv2D returns a convolution from inShape [C,H,W] to outC channels.
func NewConv2D(name string, inShape []int, outC, k, stride, pad int) *Conv2D {
	c := &Conv2D{name: name, inC: inShape[0], inH: inShape[1], inW: inShape[2], outC: outC, k: k, stride: stride, pad: pad}
	c.outH = (c.inH+2*pad-k)/stride + 1
	c.outW = (c.inW+2*pad-k)/stride + 1
	c.inShape = []int{c.inC, c.inH, c.inW}
	c.outShape = []int{c.outC, c.outH, c.outW}
	c.inPlane, c.outPlane = c.inH*c.inW, c.outH*c.outW
	c.rows = c.inC * k * k
	c.rowReach = reaches(c.inH, c.outH, k, stride, pad)
	c.colReach = reaches(c.inW, c.outW, k, stride, pad)
	c.posReach = make([]posGrid, c.inPlane)
	for iy, ry := range c.rowReach {
		for ix, rx := range c.colReach {
			if ry.n == 0 || rx.n == 0 {
				continue
			}
			c.posReach[iy*c.inW+ix] = posGrid{
				w: int32((ry.k0*k + rx.k0) * outC), p: int32((ry.lo*c.outW + rx.lo) * outC),
				rows: int32(ry.n), cols: int32(rx.n)}
		}
	}
	c.w = newParam(name+".weight", outC*c.rows, true)
	c.b = newParam(name+".bias", outC, false)
	return c
}

func (c *Conv2D) Name() string     { return c.name }
func (c *Conv2D) InShape() []int   { return c.inShape }
func (c *Conv2D) OutShape() []int  { return c.outShape }
func (c *Conv2D) HasNeurons() bool { return true }
func (c *Conv2D) Params() []*Param { return []*Param{c.w, c.b} }

func (c *Conv2D) Refresh(int) {}

// Init draws W and b uniformly from ±1/√(InC·K·K) (PyTorch's default).
func (c *Conv2D) Init(r *rng) {
	bound := float32(1 / math.Sqrt(float64(c.rows)))
	for i := range c.w.W {
		c.w.W[i] = r.uniform(-bound, bound)
	}
	for i := range c.b.W {
		c.b.W[i] = r.uniform(-bound, bound)
	}
}

// span returns, for kernel column kx, the output columns [lo, hi) whose
// input column ox·stride + kx − pad lies inside the input.
func (c *Conv2D) span(kx int) (lo, hi int) {
	lo = 0
	if d := c.pad - kx; d > 0 {
		lo = (d + c.stride - 1) / c.stride
	}
	hi = c.outW
	if m := c.inW - 1 + c.pad - kx; m < 0 {
		hi = 0
	} else {
		hi = min(hi, m/c.stride+1)
	}
	return lo, max(lo, hi)
}

// colRow fills row (OutH·OutW values) with im2col row r = (ci, ky, kx) of
// the input x and reports whether it holds a non-zero value.
func (c *Conv2D) colRow(x []float32, ci, ky, kx int, row []float32) bool {
	lo, hi := c.span(kx)
	s := c.stride
	nz := false
	plane := x[ci*c.inPlane : (ci+1)*c.inPlane]
	for oy := 0; oy < c.outH; oy++ {
		r := row[oy*c.outW : (oy+1)*c.outW]
		iy := oy*s + ky - c.pad
		if iy < 0 || iy >= c.inH || hi <= lo {
			clear(r)
			continue
		}
		clear(r[:lo])
		clear(r[hi:])
		src := plane[iy*c.inW+lo*s+kx-c.pad:]
		if s == 1 {
			copy(r[lo:hi], src)
		} else {
			for j := lo; j < hi; j++ {
				r[j] = src[(j-lo)*s]
			}
		}
		if !nz {
			for _, v := range r[lo:hi] {
				if v != 0 {
					nz = true
					break
				}
			}
		}
	}
	return nz
}

// addRow adds row (OutH·OutW values) into the input gradient gi through
// im2col row r = (ci, ky, kx): the transpose of colRow.
func (c *Conv2D) addRow(row []float32, ci, ky, kx int, gi []float32) {
	lo, hi := c.span(kx)
	if hi <= lo {
		return
	}
	s := c.stride
	plane := gi[ci*c.inPlane : (ci+1)*c.inPlane]
	for oy := 0; oy < c.outH; oy++ {
		iy := oy*s + ky - c.pad
		if iy < 0 || iy >= c.inH {
			continue
		}
		r := row[oy*c.outW+lo : oy*c.outW+hi]
		dst := plane[iy*c.inW+lo*s+kx-c.pad:]
		if s == 1 {
			add(r, dst)
			continue
		}
		for j, v := range r {
			dst[j*s] += v
		}
	}
}

// convScratch is per-goroutine memory of the convolution kernels.
type convScratch struct {
	f, y []float32
	nz   []bool
	ev   []patchEvent
	idx  []int32
	// the gather's row lists, (ci, ky) runs and per-output lists
	// (convgather.go)
	pc          []int32
	ents, lists []rowEntry
	runs        []int64
	gpad        []float32
	ranges      []int32
}

var convScratchPool = sync.Pool{New: func() any { return new(convScratch) }}

func (s *convScratch) floats(n int) []float32    { return sized(&s.f, n) }
func (s *convScratch) stack(n int) []float32     { return sized(&s.y, n) }
func (s *convScratch) events(n int) []patchEvent { return sized(&s.ev, n) }
func (s *convScratch) indices(n int) []int32     { return sized(&s.idx, n) }
func (s *convScratch) bools(n int) []bool        { return sized(&s.nz, n) }

// Forward computes the currents of samples [lo, hi): event-driven from a
// spiking input, from im2col rows from a constant one (the direct-current
// first layer, once per sample).
func (c *Conv2D) Forward(in, out *Acts, lo, hi int) {
	if c.gathers() {
		c.forwardGather(in, out, lo, hi)
		return
	}
	if in.Steps > 1 {
		c.forwardEvents(in, out, lo, hi)
		return
	}
	c.forwardColumns(in, out, lo, hi)
}

// forwardEvents scatters every non-zero input through the kernel: input
// (ci, iy, ix) with value v at step t adds v·W[ci][ky][kx][·] (one OutC
// vector) to each output position it reaches, in a position-major buffer
// (T×P×OutC) that starts at the bias and is then transposed into the CHW
// currents. The work is proportional to the number of non-zero inputs
// (spikes and pooled spikes are mostly zero); a sample's inputs are listed
// as events (inputEvents) and applied in one kernel call.
func (c *Conv2D) forwardEvents(in, out *Acts, lo, hi int) {
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	P, OC, S := c.outPlane, c.outC, in.Steps
	y := sc.stack(S * P * OC)
	for b := lo; b < hi; b++ {
		for p := 0; p < S*P; p++ {
			copy(y[p*OC:(p+1)*OC], c.b.W)
		}
		evs := c.inputEvents(in, b, 0, c.inC, sc, true)
		patchAxpyEvents(evs, c.w.W, c.kernelGrid(), y, c.outputGrid(), OC)
		for t := 0; t < S; t++ {
			transposeInto(out.Row(b, t), y[t*P*OC:], P, OC)
		}
	}
}

// kernelGrid is the patch of the kernel taps an input meets in W (rows
// and columns walk the taps backwards), outputGrid the patch of the
// outputs it reaches in a position-major buffer; the offsets come from
// posReach.
func (c *Conv2D) kernelGrid() patch {
	return patch{rs: -c.stride * c.k * c.outC, cs: -c.stride * c.outC}
}

func (c *Conv2D) outputGrid() patch { return patch{rs: c.outW * c.outC, cs: c.outC} }

// inputEvents lists the non-zero inputs of sample b in channels
// [ci0, ci1), in the order step, channel, position, as patch events: the
// input's value with its kernel taps (in W, or W's gradient) and the
// outputs it reaches at its step (in a T×P×OutC position-major buffer).
// With kernelX the taps are the events' x grids (the forward pass), else
// their y grids (the weight gradient). A sparse input's index lists are
// used as they are; a dense one is compacted without a branch per value.
func (c *Conv2D) inputEvents(in *Acts, b, ci0, ci1 int, sc *convScratch, kernelX bool) []patchEvent {
	S, POC, KKOC := in.Steps, c.outPlane*c.outC, c.k*c.k*c.outC
	evs := sc.events(S * (ci1 - ci0) * c.inPlane)
	nz := sc.indices(c.inPlane)
	k := 0
	for t := 0; t < S; t++ {
		x := in.Row(b, t)
		var act []int32
		if in.Sparse {
			act = in.Active(b, t)
			for len(act) > 0 && int(act[0]) < ci0*c.inPlane {
				act = act[1:]
			}
		}
		for ci := ci0; ci < ci1; ci++ {
			base := ci * c.inPlane
			plane := x[base : base+c.inPlane]
			var list []int32
			if in.Sparse {
				n := 0
				for n < len(act) && int(act[n]) < base+c.inPlane {
					n++
				}
				list, act = act[:n], act[n:]
			} else {
				base = 0
				list = nonZero(plane, nz)
			}
			for _, i := range list {
				pos := int(i) - base
				g := c.posReach[pos]
				if g.rows == 0 {
					continue
				}
				w, p := int32(ci*KKOC)+g.w, int32(t*POC)+g.p
				if !kernelX {
					w, p = p, w
				}
				evs[k] = patchEvent{xoff: w, yoff: p, rows: g.rows, cols: g.cols, a: plane[pos]}
				k++
			}
		}
	}
	return evs[:k]
}

// nonZero writes the indices of the non-zero values of x (−0 counts as
// zero) into idx, in increasing order, without a branch per value, and
// returns them. len(idx) must be at least len(x).
func nonZero(x []float32, idx []int32) []int32 {
	idx = idx[:len(x)]
	c := 0
	for i, v := range x {
		idx[c] = int32(i)
		// 1 unless the bits without the sign are 0
		c += int((math.Float32bits(v)&0x7fffffff + 0x7fffffff) >> 31)
	}
	return idx[:c]
}

// transposeInto writes the rows×cols matrix src (row-major) into dst as
// its cols×rows transpose (in 8×8 blocks with AVX2 when both are
// multiples of 8).
func transposeInto(dst, src []float32, rows, cols int) {
	dst = dst[:rows*cols]
	src = src[:rows*cols]
	if useAVX2 && rows%8 == 0 && cols%8 == 0 && rows > 0 && cols > 0 {
		transpose8AVX2(&dst[0], &src[0], rows, cols)
		return
	}
	for r := 0; r < rows; r++ {
		s := src[r*cols : (r+1)*cols]
		for j, v := range s {
			dst[j*rows+r] = v
		}
	}
}

// forwardColumns computes all steps of a sample at once: the im2col rows
// of the steps are stacked (S·P values) so each weight is applied with one
// long axpy, then the stacked currents are copied to the steps' rows.
func (c *Conv2D) forwardColumns(in, out *Acts, lo, hi int) {
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	P, K, S := c.outPlane, c.k, in.Steps
	SP := S * P
	row := sc.floats(SP)
	y := sc.stack(c.outC * SP)
	for b := lo; b < hi; b++ {
		for oc := 0; oc < c.outC; oc++ {
			v := c.b.W[oc]
			ys := y[oc*SP : (oc+1)*SP]
			for i := range ys {
				ys[i] = v
			}
		}
		r := 0
		for ci := 0; ci < c.inC; ci++ {
			for ky := 0; ky < K; ky++ {
				for kx := 0; kx < K; kx, r = kx+1, r+1 {
					nz := false
					for t := 0; t < S; t++ {
						if c.colRow(in.Row(b, t), ci, ky, kx, row[t*P:(t+1)*P]) {
							nz = true
						}
					}
					if !nz {
						continue
					}
					for oc, w := range c.w.W[r*c.outC : (r+1)*c.outC] {
						if w != 0 {
							axpy(w, row, y[oc*SP:(oc+1)*SP])
						}
					}
				}
			}
		}
		for t := 0; t < S; t++ {
			dst := out.Row(b, t)
			for oc := 0; oc < c.outC; oc++ {
				copy(dst[oc*P:(oc+1)*P], y[oc*SP+t*P:oc*SP+(t+1)*P])
			}
		}
	}
}

// BackwardInput computes ∂L/∂in for samples [lo, hi). With an error
// current per step it gathers, for every input (ci, iy, ix), the dot
// products of its kernel taps W[ci][ky][kx][·] with the position-major
// error currents of the outputs it reaches; a readout's single-step error
// goes through the im2col rows.
func (c *Conv2D) BackwardInput(gOut, gIn, need *Acts, lo, hi int) {
	if gOut.Steps > 1 && gIn.Steps == gOut.Steps {
		c.backwardGather(gOut, gIn, lo, hi)
		return
	}
	c.backwardColumns(gOut, gIn, need, lo, hi)
}

// positionMajor writes the error currents of sample b, steps [0, S), into
// g as S blocks of P×OutC (position-major) and reports whether any is
// non-zero.
func (c *Conv2D) positionMajor(gOut *Acts, b, S int, g []float32) bool {
	P, OC := c.outPlane, c.outC
	nz := false
	for t := 0; t < S; t++ {
		src := gOut.Row(b, t)
		if !nz {
			for _, v := range src {
				if v != 0 {
					nz = true
					break
				}
			}
		}
		transposeInto(g[t*P*OC:(t+1)*P*OC], src, OC, P)
	}
	return nz
}

func (c *Conv2D) backwardGather(gOut, gIn *Acts, lo, hi int) {
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	P, OC, S := c.outPlane, c.outC, gOut.Steps
	g := sc.stack(S * P * OC)
	wp, gp := c.kernelGrid(), c.outputGrid()
	for b := lo; b < hi; b++ {
		if !c.positionMajor(gOut, b, S, g) {
			for t := 0; t < S; t++ {
				clear(gIn.Row(b, t))
			}
			continue
		}
		var d8 [8]float32
		KKOC := c.k * c.k * OC
		for t := 0; t < S; t++ {
			gi := gIn.Row(b, t)
			for i := 0; i < c.inPlane; i++ {
				ry, rx := c.rowReach[i/c.inW], c.colReach[i%c.inW] // once per position for all channels
				if ry.n == 0 || rx.n == 0 {
					for ci := 0; ci < c.inC; ci++ {
						gi[ci*c.inPlane+i] = 0
					}
					continue
				}
				gp.off = (t*P + ry.lo*c.outW + rx.lo) * OC
				ci := 0
				// eight input channels share each load of the error currents
				for ; ci+8 <= c.inC; ci += 8 {
					wp.off = ((ci*c.k+ry.k0)*c.k + rx.k0) * OC
					patchDots8(c.w.W, wp, KKOC, g, gp, ry.n, rx.n, OC, &d8)
					for j, v := range d8 {
						gi[(ci+j)*c.inPlane+i] = v
					}
				}
				for ; ci < c.inC; ci++ {
					wp.off = ((ci*c.k+ry.k0)*c.k + rx.k0) * OC
					gi[ci*c.inPlane+i] = patchDot(c.w.W, wp, g, gp, ry.n, rx.n, OC)
				}
			}
		}
	}
}

// backwardColumns stacks the steps of a sample like forwardColumns: the
// error currents are gathered per channel (S·P values), each im2col row of
// the gradient is Σ_oc W[oc][r]·G[oc] over all steps, and it is added back
// to the steps' input gradients.
func (c *Conv2D) backwardColumns(gOut, gIn, _ *Acts, lo, hi int) {
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	P, K, S := c.outPlane, c.k, gOut.Steps
	SP := S * P
	row := sc.floats(SP)
	g := sc.stack(c.outC * SP)
	nz := sc.bools(c.outC)
	for b := lo; b < hi; b++ {
		any := false
		for oc := range nz {
			nz[oc] = false
			for t := 0; t < S; t++ {
				src := gOut.Row(b, t)[oc*P : (oc+1)*P]
				copy(g[oc*SP+t*P:], src)
				if !nz[oc] {
					for _, v := range src {
						if v != 0 {
							nz[oc], any = true, true
							break
						}
					}
				}
			}
		}
		for t := 0; t < S; t++ {
			clear(gIn.Row(b, t))
		}
		if !any {
			continue
		}
		r := 0
		for ci := 0; ci < c.inC; ci++ {
			for ky := 0; ky < K; ky++ {
				for kx := 0; kx < K; kx, r = kx+1, r+1 {
					clear(row)
					used := false
					for oc, w := range c.w.W[r*c.outC : (r+1)*c.outC] {
						if w != 0 && nz[oc] {
							axpy(w, g[oc*SP:(oc+1)*SP], row)
							used = true
						}
					}
					if used {
						for t := 0; t < S; t++ {
							c.addRow(row[t*P:(t+1)*P], ci, ky, kx, gIn.Row(b, t))
						}
					}
				}
			}
		}
	}
}

// convGradGroups is the number of input-channel groups the weight gradient
// is split into: enough for two cores, few because each group lays out a
// sample's error currents position-major again.
const convGradGroups = 2

// blockRange returns the im2col rows [r0, r1) of weight-gradient block k:
// a group of whole input channels, or one kernel row (K rows) of a
// single-channel input.
func (c *Conv2D) blockRange(k int) (r0, r1 int) {
	if c.inC == 1 {
		return k * c.k, (k + 1) * c.k
	}
	g := min(c.inC, convGradGroups)
	return k * c.inC / g * c.k * c.k, (k + 1) * c.inC / g * c.k * c.k
}

// GradBlocks is the weight blocks (see blockRange) plus the bias.
func (c *Conv2D) GradBlocks() int {
	if c.inC == 1 {
		return c.k + 1
	}
	return min(c.inC, convGradGroups) + 1
}

// AccumGrad computes dW[oc][r] = Σ_b Σ_t Σ_p G[oc][p]·col[r][p] for the rows
// r of block k, with the steps of a sample stacked (one dot product of S·P
// values per weight and sample), samples in order.
func (c *Conv2D) AccumGrad(k int, in, gOut *Acts, n int) []Span {
	P, K := c.outPlane, c.k
	if k == c.GradBlocks()-1 { // bias
		steps := max(in.Steps, gOut.Steps)
		clear(c.b.G)
		for b := 0; b < n; b++ {
			for t := 0; t < steps; t++ {
				g := gOut.Row(b, t)
				oc := 0
				// four channels' sums side by side (each in its own order)
				for ; oc+4 <= c.outC; oc += 4 {
					g0 := g[oc*P : (oc+1)*P]
					g1, g2, g3 := g[(oc+1)*P:][:len(g0)], g[(oc+2)*P:][:len(g0)], g[(oc+3)*P:][:len(g0)]
					var s0, s1, s2, s3 float32
					for i, v := range g0 {
						s0 += v
						s1 += g1[i]
						s2 += g2[i]
						s3 += g3[i]
					}
					c.b.G[oc] += s0
					c.b.G[oc+1] += s1
					c.b.G[oc+2] += s2
					c.b.G[oc+3] += s3
				}
				for ; oc < c.outC; oc++ {
					var s float32
					for _, v := range g[oc*P : (oc+1)*P] {
						s += v
					}
					c.b.G[oc] += s
				}
			}
		}
		return []Span{{c.b, 0, c.outC}}
	}
	r0, r1 := c.blockRange(k)
	gw := c.w.G[r0*c.outC : r1*c.outC]
	clear(gw)
	if in.Steps != gOut.Steps && in.Steps != 1 && gOut.Steps != 1 {
		panic("train: conv gradient: input and error steps differ")
	}
	KK := c.k * c.k
	if in.Steps > 1 && in.Steps == gOut.Steps && r0%KK == 0 && r1%KK == 0 {
		if c.gathersRows() {
			c.accumRows(r0/KK, r1/KK, in, gOut, n)
		} else if c.gathersGrad() {
			c.accumGather(r0/KK, r1/KK, in, gOut, n)
		} else {
			c.accumEvents(r0/KK, r1/KK, in, gOut, n)
		}
		return []Span{{c.w, r0 * c.outC, r1 * c.outC}}
	}
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	// a constant input (the direct-current first layer) meets the error
	// summed over the steps; the LIF backward pass provides it. A readout's
	// error (one step: the same at every step) meets every input step.
	S := max(in.Steps, gOut.Steps)
	if in.Steps == 1 && S > 1 && gOut.Sum != nil {
		S = 1
	}
	SP := S * P
	row := sc.floats(SP)
	var g []float32
	if S > 1 {
		g = sc.stack(c.outC * SP)
	}
	for b := 0; b < n; b++ {
		if S > 1 {
			for t := 0; t < S; t++ {
				src := gOut.Row(b, t)
				for oc := 0; oc < c.outC; oc++ {
					copy(g[oc*SP+t*P:oc*SP+(t+1)*P], src[oc*P:(oc+1)*P])
				}
			}
		} else if gOut.Steps == 1 {
			g = gOut.Row(b, 0)
		} else {
			g = gOut.Sum[b*gOut.N : (b+1)*gOut.N]
		}
		for r := r0; r < r1; r++ {
			ci, ky, kx := r/(K*K), r/K%K, r%K
			nz := false
			for t := 0; t < S; t++ {
				if c.colRow(in.Row(b, t), ci, ky, kx, row[t*P:(t+1)*P]) {
					nz = true
				}
			}
			if !nz {
				continue
			}
			gr := gw[(r-r0)*c.outC : (r-r0+1)*c.outC]
			for oc := range gr {
				gr[oc] += dot(row, g[oc*SP:(oc+1)*SP])
			}
		}
	}
	return []Span{{c.w, r0 * c.outC, r1 * c.outC}}
}

// accumEvents adds the weight gradient of input channels [ci0, ci1) event
// by event, the transpose of forwardEvents: input (ci, iy, ix) with value
// v at step t adds v·G[t][oy][ox][·] (the position-major error currents)
// to W[ci][ky][kx][·] for every output it reaches. Samples in order, each
// sample's events (inputEvents) in one kernel call.
func (c *Conv2D) accumEvents(ci0, ci1 int, in, gOut *Acts, n int) {
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	P, OC, S := c.outPlane, c.outC, in.Steps
	g := sc.stack(S * P * OC)
	for b := 0; b < n; b++ {
		if !c.positionMajor(gOut, b, S, g) {
			continue
		}
		evs := c.inputEvents(in, b, ci0, ci1, sc, false)
		patchAxpyEvents(evs, g, c.outputGrid(), c.w.G, c.kernelGrid(), OC)
	}
}

// Freeze writes the weights in the IR layout OutC×InC×K×K.
func (c *Conv2D) Freeze() ir.Layer {
	w := make([]float32, len(c.w.W))
	for r := 0; r < c.rows; r++ {
		for oc := 0; oc < c.outC; oc++ {
			w[oc*c.rows+r] = c.w.W[r*c.outC+oc]
		}
	}
	return ir.Layer{
		Name: c.name, Kind: ir.KindConv2D,
		InShape: append([]int(nil), c.inShape...), OutShape: append([]int(nil), c.outShape...),
		Weights: w, Bias: append([]float32(nil), c.b.W...),
		Kernel: [2]int{c.k, c.k}, Stride: [2]int{c.stride, c.stride}, Padding: [2]int{c.pad, c.pad},
	}
}

func convFromIR(l *ir.Layer) (*Conv2D, error) {
	if l.Kernel[0] != l.Kernel[1] || l.Stride[0] != l.Stride[1] || l.Padding[0] != l.Padding[1] {
		return nil, fmt.Errorf("train: layer %q: only square kernels, strides and paddings are supported", l.Name)
	}
	c := NewConv2D(l.Name, l.InShape, l.OutShape[0], l.Kernel[0], l.Stride[0], l.Padding[0])
	if fmt.Sprint(c.outShape) != fmt.Sprint(l.OutShape) || len(l.Weights) != len(c.w.W) || len(l.Bias) != len(c.b.W) {
		return nil, fmt.Errorf("train: layer %q: shapes or parameter sizes do not match a %d×%d convolution", l.Name, c.k, c.k)
	}
	for r := 0; r < c.rows; r++ {
		for oc := 0; oc < c.outC; oc++ {
			c.w.W[r*c.outC+oc] = l.Weights[oc*c.rows+r]
		}
	}
	copy(c.b.W, l.Bias)
	return c, nil
}
