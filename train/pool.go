package train

import "github.com/snnc/snnc/ir"

// AvgPool is average pooling over CHW tensors (zeros padded, counted in the
// average). It has no parameters and no neurons.
type AvgPool struct {
	name                    string
	c, inH, inW, outH, outW int
	k, stride, pad          int
	inShape, outShape       []int
	inPlane, outPlane       int
	scale                   float32
	// tiles: k = stride, no padding and whole windows, so every input
	// belongs to one window (outOf[i], or −1 beyond the last window)
	tiles bool
	outOf []int32
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
	if k == stride && pad == 0 {
		p.tiles = true
		p.outOf = make([]int32, p.c*p.inPlane)
		for i := range p.outOf {
			ch, iy, ix := i/p.inPlane, i%p.inPlane/p.inW, i%p.inW
			oy, ox := iy/k, ix/k
			if oy >= p.outH || ox >= p.outW {
				p.outOf[i] = -1
				continue
			}
			p.outOf[i] = int32(ch*p.outPlane + oy*p.outW + ox)
		}
	}
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

// pool adds, for channel plane ch, scale × every input of each pooling
// window to its output (forward), or scale × each output to every input of
// its window (backward).
func (p *AvgPool) pool(x, y []float32, ch int, backward bool) {
	xs := x[ch*p.inPlane : (ch+1)*p.inPlane]
	ys := y[ch*p.outPlane : (ch+1)*p.outPlane]
	for oy := 0; oy < p.outH; oy++ {
		for ox := 0; ox < p.outW; ox++ {
			o := oy*p.outW + ox
			y0, x0 := oy*p.stride-p.pad, ox*p.stride-p.pad
			y1, x1 := min(y0+p.k, p.inH), min(x0+p.k, p.inW)
			y0, x0 = max(y0, 0), max(x0, 0)
			if backward {
				g := ys[o] * p.scale
				if g == 0 {
					continue
				}
				for iy := y0; iy < y1; iy++ {
					r := xs[iy*p.inW+x0 : iy*p.inW+x1]
					for j := range r {
						r[j] += g
					}
				}
				continue
			}
			var s float32
			for iy := y0; iy < y1; iy++ {
				for _, v := range xs[iy*p.inW+x0 : iy*p.inW+x1] {
					s += v
				}
			}
			ys[o] = s * p.scale
		}
	}
}

// Forward averages every window. With tiling windows and a sparse input
// (spikes) only the non-zero inputs are visited.
func (p *AvgPool) Forward(in, out *Acts, lo, hi int) {
	if p.tiles && in.Sparse {
		for b := lo; b < hi; b++ {
			for t := 0; t < in.Steps; t++ {
				x, y := in.Row(b, t), out.Row(b, t)
				clear(y)
				for _, i := range in.Active(b, t) {
					if o := p.outOf[i]; o >= 0 {
						y[o] += x[i]
					}
				}
				for o := range y {
					y[o] *= p.scale
				}
			}
		}
		return
	}
	for b := lo; b < hi; b++ {
		for t := 0; t < in.Steps; t++ {
			x, y := in.Row(b, t), out.Row(b, t)
			for ch := 0; ch < p.c; ch++ {
				if p.tiles && p.k == 2 {
					p.pool2(x, y, ch)
					continue
				}
				p.pool(x, y, ch, false)
			}
		}
	}
}

// pool2 is pool's forward pass for 2×2 tiles: the same sums in the same
// order (row by row, from 0), unrolled.
func (p *AvgPool) pool2(x, y []float32, ch int) {
	xs := x[ch*p.inPlane : (ch+1)*p.inPlane]
	ys := y[ch*p.outPlane : (ch+1)*p.outPlane]
	for oy := 0; oy < p.outH; oy++ {
		r0 := xs[2*oy*p.inW : (2*oy+1)*p.inW]
		r1 := xs[(2*oy+1)*p.inW : (2*oy+2)*p.inW]
		yr := ys[oy*p.outW : (oy+1)*p.outW]
		r0, r1 = r0[:2*len(yr)], r1[:2*len(yr)]
		if useAVX2 && len(yr)%4 == 0 && len(yr) > 0 {
			pool2AVX2(&yr[0], &r0[0], &r1[0], len(yr), p.scale)
			continue
		}
		for ox := range yr {
			var s float32
			s += r0[2*ox]
			s += r0[2*ox+1]
			s += r1[2*ox]
			s += r1[2*ox+1]
			yr[ox] = s * p.scale
		}
	}
}

// BackwardInput spreads scale × each output's gradient over its window;
// tiling windows assign it (every input has one window).
func (p *AvgPool) BackwardInput(gOut, gIn, _ *Acts, lo, hi int) {
	if p.tiles {
		for b := lo; b < hi; b++ {
			for t := 0; t < gOut.Steps; t++ {
				p.spreadTiles(gOut.Row(b, t), gIn.Row(b, t))
			}
		}
		return
	}
	for b := lo; b < hi; b++ {
		for t := 0; t < gOut.Steps; t++ {
			g, gi := gOut.Row(b, t), gIn.Row(b, t)
			clear(gi)
			for ch := 0; ch < p.c; ch++ {
				p.pool(gi, g, ch, true)
			}
		}
	}
}

// spreadTiles sets every input gradient of tiling windows to scale × its
// window's output gradient: the first input row of a window row is filled
// and copied to the window's other rows (inputs beyond the last window get
// 0).
func (p *AvgPool) spreadTiles(g, gi []float32) {
	k, w := p.k, p.outW*p.k
	for ch := 0; ch < p.c; ch++ {
		gc := g[ch*p.outPlane : (ch+1)*p.outPlane]
		plane := gi[ch*p.inPlane : (ch+1)*p.inPlane]
		for oy := 0; oy < p.outH; oy++ {
			first := plane[oy*k*p.inW : oy*k*p.inW+w]
			if k == 2 && useAVX2 && p.outW%4 == 0 {
				// both rows of the window row at once
				second := plane[(oy*k+1)*p.inW : (oy*k+1)*p.inW+w]
				spread2AVX2(&first[0], &second[0], &gc[oy*p.outW], p.outW, p.scale)
				clear(plane[oy*k*p.inW+w : (oy*k+1)*p.inW])
				clear(plane[(oy*k+1)*p.inW+w : (oy*k+2)*p.inW])
				continue
			}
			if k == 2 {
				for ox, v := range gc[oy*p.outW : (oy+1)*p.outW] {
					v *= p.scale
					first[2*ox], first[2*ox+1] = v, v
				}
			} else {
				for ox, v := range gc[oy*p.outW : (oy+1)*p.outW] {
					v *= p.scale
					for j := ox * k; j < (ox+1)*k; j++ {
						first[j] = v
					}
				}
			}
			for dy := 0; dy < k; dy++ {
				row := plane[(oy*k+dy)*p.inW : (oy*k+dy+1)*p.inW]
				if dy > 0 {
					copy(row, first)
				}
				clear(row[w:])
			}
		}
		clear(plane[p.outH*k*p.inW:])
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
