package train

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
)

// Conv2D is a 2-D convolution over CHW tensors, c = W ⋆ s_in + b, with
// square kernel, stride and zero padding. W is OutC×InC×K×K (the IR layout),
// the bias is per output channel.
type Conv2D struct {
	name                string
	inC, inH, inW       int
	outC, outH, outW    int
	k, stride, pad      int
	w, b                *Param
	inShape, outShape   []int
	inSize, outSize     int
	inPlane, outPlane   int
	kernelSize, wPerOut int
}

// NewConv2D returns a convolution from inShape [C,H,W] to outC channels.
func NewConv2D(name string, inShape []int, outC, k, stride, pad int) *Conv2D {
	c := &Conv2D{name: name, inC: inShape[0], inH: inShape[1], inW: inShape[2], outC: outC, k: k, stride: stride, pad: pad}
	c.outH = (c.inH+2*pad-k)/stride + 1
	c.outW = (c.inW+2*pad-k)/stride + 1
	c.inShape = []int{c.inC, c.inH, c.inW}
	c.outShape = []int{c.outC, c.outH, c.outW}
	c.inPlane, c.outPlane = c.inH*c.inW, c.outH*c.outW
	c.inSize, c.outSize = c.inC*c.inPlane, c.outC*c.outPlane
	c.kernelSize = k * k
	c.wPerOut = c.inC * c.kernelSize
	c.w = newParam(name+".weight", outC*c.wPerOut, true)
	c.b = newParam(name+".bias", outC, false)
	return c
}

func (c *Conv2D) Name() string     { return c.name }
func (c *Conv2D) InShape() []int   { return c.inShape }
func (c *Conv2D) OutShape() []int  { return c.outShape }
func (c *Conv2D) HasNeurons() bool { return true }
func (c *Conv2D) Params() []*Param { return []*Param{c.w, c.b} }
func (c *Conv2D) GradBlocks() int  { return c.outC + 1 }
func (c *Conv2D) Refresh(int)      {}

// Init draws W and b uniformly from ±1/√(InC·K·K) (PyTorch's default).
func (c *Conv2D) Init(r *rng) {
	bound := float32(1 / math.Sqrt(float64(c.wPerOut)))
	for i := range c.w.W {
		c.w.W[i] = r.uniform(-bound, bound)
	}
	for i := range c.b.W {
		c.b.W[i] = r.uniform(-bound, bound)
	}
}

// span returns, for kernel column kx, the output columns [lo, hi) whose
// input column ox·stride + kx − pad lies inside the input.
func (c *Conv2D) span(kx, outW, inW int) (lo, hi int) {
	// ix = ox·s + kx − p ∈ [0, inW)
	lo = 0
	if d := c.pad - kx; d > 0 {
		lo = (d + c.stride - 1) / c.stride
	}
	hi = outW
	if m := (inW - 1 + c.pad - kx); m < 0 {
		hi = 0
	} else {
		hi = min(hi, m/c.stride+1)
	}
	return lo, max(lo, hi)
}

// rowsNonZero marks the rows of a CHW tensor holding a non-zero value.
func rowsNonZero(x []float32, rows, w int, nz []bool) {
	for r := 0; r < rows; r++ {
		nz[r] = false
		for _, v := range x[r*w : (r+1)*w] {
			if v != 0 {
				nz[r] = true
				break
			}
		}
	}
}

// taps calls fn for every kernel tap of output channel oc and output row
// oy: weight w connects the n input values x[cIn, iy, ix + j·stride] to the
// output values y[oc, oy, ox + j], j < n (the columns inside the padding are
// left out).
func (c *Conv2D) taps(oc int, fn func(w float32, cIn, iy, ix, oy, ox, n int)) {
	for ci := 0; ci < c.inC; ci++ {
		for ky := 0; ky < c.k; ky++ {
			for kx := 0; kx < c.k; kx++ {
				w := c.w.W[oc*c.wPerOut+ci*c.kernelSize+ky*c.k+kx]
				oxLo, oxHi := c.span(kx, c.outW, c.inW)
				if oxHi <= oxLo {
					continue
				}
				for oy := 0; oy < c.outH; oy++ {
					iy := oy*c.stride + ky - c.pad
					if iy < 0 || iy >= c.inH {
						continue
					}
					fn(w, ci, iy, oxLo*c.stride+kx-c.pad, oy, oxLo, oxHi-oxLo)
				}
			}
		}
	}
}

func (c *Conv2D) Forward(in, out *Acts, lo, hi int) {
	nz := make([]bool, c.inC*c.inH)
	for b := lo; b < hi; b++ {
		for t := 0; t < in.Steps; t++ {
			x, y := in.Row(b, t), out.Row(b, t)
			rowsNonZero(x, c.inC*c.inH, c.inW, nz)
			for oc := 0; oc < c.outC; oc++ {
				plane := y[oc*c.outPlane : (oc+1)*c.outPlane]
				for i := range plane {
					plane[i] = c.b.W[oc]
				}
				c.taps(oc, func(w float32, ci, iy, ix, oy, ox, n int) {
					if w == 0 || !nz[ci*c.inH+iy] {
						return
					}
					yr := y[oc*c.outPlane+oy*c.outW+ox:]
					xr := x[ci*c.inPlane+iy*c.inW+ix:]
					if c.stride == 1 {
						axpy(w, xr[:n], yr)
						return
					}
					for j := 0; j < n; j++ {
						yr[j] += w * xr[j*c.stride]
					}
				})
			}
		}
	}
}

func (c *Conv2D) BackwardInput(gOut, gIn, _ *Acts, lo, hi int) {
	nz := make([]bool, c.outC*c.outH)
	for b := lo; b < hi; b++ {
		for t := 0; t < gOut.Steps; t++ {
			g, gi := gOut.Row(b, t), gIn.Row(b, t)
			clear(gi)
			rowsNonZero(g, c.outC*c.outH, c.outW, nz)
			for oc := 0; oc < c.outC; oc++ {
				c.taps(oc, func(w float32, ci, iy, ix, oy, ox, n int) {
					if w == 0 || !nz[oc*c.outH+oy] {
						return
					}
					gr := g[oc*c.outPlane+oy*c.outW+ox:]
					ir := gi[ci*c.inPlane+iy*c.inW+ix:]
					if c.stride == 1 {
						axpy(w, gr[:n], ir)
						return
					}
					for j := 0; j < n; j++ {
						ir[j*c.stride] += w * gr[j]
					}
				})
			}
		}
	}
}

func (c *Conv2D) AccumGrad(k int, in, gOut *Acts, n int) []Span {
	steps := max(in.Steps, gOut.Steps)
	if k == c.outC { // bias
		clear(c.b.G)
		for b := 0; b < n; b++ {
			for t := 0; t < steps; t++ {
				g := gOut.Row(b, t)
				for oc := 0; oc < c.outC; oc++ {
					var s float32
					for _, v := range g[oc*c.outPlane : (oc+1)*c.outPlane] {
						s += v
					}
					c.b.G[oc] += s
				}
			}
		}
		return []Span{{c.b, 0, c.outC}}
	}
	oc := k
	gw := c.w.G[oc*c.wPerOut : (oc+1)*c.wPerOut]
	clear(gw)
	nz := make([]bool, c.outH)
	for b := 0; b < n; b++ {
		for t := 0; t < steps; t++ {
			x, g := in.Row(b, t), gOut.Row(b, t)
			rowsNonZero(g[oc*c.outPlane:], c.outH, c.outW, nz)
			for ci := 0; ci < c.inC; ci++ {
				for ky := 0; ky < c.k; ky++ {
					for kx := 0; kx < c.k; kx++ {
						oxLo, oxHi := c.span(kx, c.outW, c.inW)
						var s float32
						for oy := 0; oy < c.outH && oxHi > oxLo; oy++ {
							iy := oy*c.stride + ky - c.pad
							if iy < 0 || iy >= c.inH || !nz[oy] {
								continue
							}
							gr := g[oc*c.outPlane+oy*c.outW+oxLo : oc*c.outPlane+oy*c.outW+oxHi]
							xr := x[ci*c.inPlane+iy*c.inW+oxLo*c.stride+kx-c.pad:]
							if c.stride == 1 {
								s += dot(gr, xr)
								continue
							}
							for j, v := range gr {
								s += v * xr[j*c.stride]
							}
						}
						gw[ci*c.kernelSize+ky*c.k+kx] += s
					}
				}
			}
		}
	}
	return []Span{{c.w, oc * c.wPerOut, (oc + 1) * c.wPerOut}}
}

func (c *Conv2D) Freeze() ir.Layer {
	return ir.Layer{
		Name: c.name, Kind: ir.KindConv2D,
		InShape: append([]int(nil), c.inShape...), OutShape: append([]int(nil), c.outShape...),
		Weights: append([]float32(nil), c.w.W...), Bias: append([]float32(nil), c.b.W...),
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
	copy(c.w.W, l.Weights)
	copy(c.b.W, l.Bias)
	return c, nil
}

// AvgPool is average pooling over CHW tensors (zeros padded, counted in the
// average). It has no parameters and no neurons.
type AvgPool struct {
	name                    string
	c, inH, inW, outH, outW int
	k, stride, pad          int
	inShape, outShape       []int
	inPlane, outPlane       int
	scale                   float32
}

// NewAvgPool returns k×k average pooling with the given stride and padding.
func NewAvgPool(name string, inShape []int, k, stride, pad int) *AvgPool {
	p := &AvgPool{name: name, c: inShape[0], inH: inShape[1], inW: inShape[2], k: k, stride: stride, pad: pad}
	p.outH = (p.inH+2*pad-k)/stride + 1
	p.outW = (p.inW+2*pad-k)/stride + 1
	p.inShape = []int{p.c, p.inH, p.inW}
	p.outShape = []int{p.c, p.outH, p.outW}
	p.inPlane, p.outPlane = p.inH*p.inW, p.outH*p.outW
	p.scale = 1 / float32(k*k)
	return p
}

func (p *AvgPool) Name() string                            { return p.name }
func (p *AvgPool) InShape() []int                          { return p.inShape }
func (p *AvgPool) OutShape() []int                         { return p.outShape }
func (p *AvgPool) HasNeurons() bool                        { return false }
func (p *AvgPool) Params() []*Param                        { return nil }
func (p *AvgPool) Init(*rng)                               {}
func (p *AvgPool) GradBlocks() int                         { return 0 }
func (p *AvgPool) AccumGrad(int, *Acts, *Acts, int) []Span { return nil }
func (p *AvgPool) Refresh(int)                             {}

// window calls fn(inIndex, outIndex) for every input inside every pooling
// window of channel plane ch.
func (p *AvgPool) window(ch int, fn func(i, o int)) {
	for oy := 0; oy < p.outH; oy++ {
		for ox := 0; ox < p.outW; ox++ {
			o := ch*p.outPlane + oy*p.outW + ox
			for ky := 0; ky < p.k; ky++ {
				iy := oy*p.stride + ky - p.pad
				if iy < 0 || iy >= p.inH {
					continue
				}
				for kx := 0; kx < p.k; kx++ {
					ix := ox*p.stride + kx - p.pad
					if ix < 0 || ix >= p.inW {
						continue
					}
					fn(ch*p.inPlane+iy*p.inW+ix, o)
				}
			}
		}
	}
}

func (p *AvgPool) Forward(in, out *Acts, lo, hi int) {
	for b := lo; b < hi; b++ {
		for t := 0; t < in.Steps; t++ {
			x, y := in.Row(b, t), out.Row(b, t)
			clear(y)
			for ch := 0; ch < p.c; ch++ {
				p.window(ch, func(i, o int) { y[o] += x[i] })
			}
			for o := range y {
				y[o] *= p.scale
			}
		}
	}
}

func (p *AvgPool) BackwardInput(gOut, gIn, _ *Acts, lo, hi int) {
	for b := lo; b < hi; b++ {
		for t := 0; t < gOut.Steps; t++ {
			g, gi := gOut.Row(b, t), gIn.Row(b, t)
			clear(gi)
			for ch := 0; ch < p.c; ch++ {
				p.window(ch, func(i, o int) { gi[i] += g[o] * p.scale })
			}
		}
	}
}

func (p *AvgPool) Freeze() ir.Layer {
	return ir.Layer{
		Name: p.name, Kind: ir.KindAvgPool,
		InShape: append([]int(nil), p.inShape...), OutShape: append([]int(nil), p.outShape...),
		Kernel: [2]int{p.k, p.k}, Stride: [2]int{p.stride, p.stride}, Padding: [2]int{p.pad, p.pad},
	}
}

// Flatten reshapes a CHW tensor to a vector. The memory layout does not
// change, so the network passes the same buffers through it.
type Flatten struct {
	name    string
	inShape []int
}

// NewFlatten returns a flatten layer for inShape.
func NewFlatten(name string, inShape []int) *Flatten {
	return &Flatten{name: name, inShape: append([]int(nil), inShape...)}
}

func (f *Flatten) Name() string                            { return f.name }
func (f *Flatten) InShape() []int                          { return f.inShape }
func (f *Flatten) OutShape() []int                         { return []int{shapeSize(f.inShape)} }
func (f *Flatten) HasNeurons() bool                        { return false }
func (f *Flatten) Params() []*Param                        { return nil }
func (f *Flatten) Init(*rng)                               {}
func (f *Flatten) GradBlocks() int                         { return 0 }
func (f *Flatten) AccumGrad(int, *Acts, *Acts, int) []Span { return nil }
func (f *Flatten) Refresh(int)                             {}

// Forward copies unless in and out are the same buffers (the network
// aliases them).
func (f *Flatten) Forward(in, out *Acts, lo, hi int) {
	if in == out {
		return
	}
	for b := lo; b < hi; b++ {
		for t := 0; t < in.Steps; t++ {
			copy(out.Row(b, t), in.Row(b, t))
		}
	}
}

func (f *Flatten) BackwardInput(gOut, gIn, _ *Acts, lo, hi int) {
	if gOut == gIn {
		return
	}
	for b := lo; b < hi; b++ {
		for t := 0; t < gOut.Steps; t++ {
			copy(gIn.Row(b, t), gOut.Row(b, t))
		}
	}
}

func (f *Flatten) Freeze() ir.Layer {
	return ir.Layer{Name: f.name, Kind: ir.KindFlatten, InShape: append([]int(nil), f.inShape...), OutShape: f.OutShape()}
}
