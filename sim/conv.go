package sim

import "github.com/snnc/snnc/ir"

// Conv layers in the simulator.
//
// The compiler maps the neurons of a conv layer onto cores in its mapping
// order (see ir.Core), so a core holds a contiguous range of that order:
// the layer's own order if it has one (ir.Layer.MapOrder, chosen by the
// compiler per layer), else position-major, n = (y·W + x)·C + c; a
// grouped conv (G groups of C/G output channels) is group-major, then
// position-major: n = ((g·H + y)·W + x)·(C/G) + c' for output channel
// c = g·(C/G) + c' (the same order when G = 1). convPerm is the one place
// that defines the order. The simulator keeps every conv layer
// with spiking neurons in the same order internally (its columns, biases and
// the next layer's rows are permuted once when the model is lowered), so a
// core's neurons stay a contiguous slice; traces report the model's CHW
// indices. The readout layer keeps the model's order.
//
// Conv layers are never expanded into In×Out matrices: they run from their
// kernel (see convk.go).
//
// An average pooling (float models only: the compiler folds it into the
// next layer) is composed with the next layer's weights, which is exact
// because pooling is linear; its inputs then reach the layer directly. For
// a dense layer the composition is a dense matrix; for a conv layer the
// kernel is scaled by 1/(KH·KW) of the pooling and a spike of a pooling
// input adds the kernel taps of every pooled value whose window holds it
// (summed first when there are several, as the composed matrix would), so
// the float reference is the same, bit for bit, as the composed dense
// matrix.
//
// Synaptic operations count the synapses a spike really reaches: for a conv
// layer, the neurons of the receiving core whose receptive field holds the
// input (not the whole expanded row).

// convPerm returns, for each CHW index of a conv layer's output, its index
// in the mapping's order: the inverse of l.MapOrder if it has one (a
// permutation of the layer's neurons, else a model error), else
// group-major, position-major, ((g·H + y)·W + x)·(C/G) + c' for channel
// c = g·(C/G) + c'.
func convPerm(l *ir.Layer, name string) ([]int32, error) {
	if len(l.MapOrder) > 0 {
		p := make([]int32, len(l.MapOrder))
		for i := range p {
			p[i] = -1
		}
		for n, j := range l.MapOrder {
			if len(p) != l.NumOutputs() || j < 0 || int(j) >= len(p) || p[j] >= 0 {
				return nil, modelErr("conv layer %s: map_order is not a permutation of its %d neurons (entry %d)", name, l.NumOutputs(), n)
			}
			p[j] = int32(n)
		}
		return p, nil
	}
	C, H, W := l.OutShape[0], l.OutShape[1], l.OutShape[2]
	cg := max(1, C/l.NumGroups())
	p := make([]int32, C*H*W)
	for c := 0; c < C; c++ {
		g, c2 := c/cg, c%cg
		for y := 0; y < H; y++ {
			for x := 0; x < W; x++ {
				p[(c*H+y)*W+x] = int32(((g*H+y)*W+x)*cg + c2)
			}
		}
	}
	return p, nil
}

// permute returns the In×Out matrix wT with its rows moved by inPerm and its
// columns by outPerm (nil: unchanged).
func permute[T int16 | float32](wT []T, in, out int, inPerm, outPerm []int32) []T {
	if inPerm == nil && outPerm == nil {
		return wT
	}
	p := make([]T, len(wT))
	for i := 0; i < in; i++ {
		ni := i
		if inPerm != nil {
			ni = int(inPerm[i])
		}
		src, dst := wT[i*out:(i+1)*out], p[ni*out:(ni+1)*out]
		if outPerm == nil {
			copy(dst, src)
			continue
		}
		for j, x := range src {
			dst[outPerm[j]] = x
		}
	}
	return p
}

// permuteVec returns v with its entries moved by perm (nil: unchanged).
func permuteVec[T int32 | float32](v []T, perm []int32) []T {
	if perm == nil {
		return v
	}
	p := make([]T, len(v))
	for j, x := range v {
		p[perm[j]] = x
	}
	return p
}

// permuteLayers puts every conv layer with spiking neurons (not the readout)
// in position-major order and lays out the conv kernels.
func (p *netProgram) permuteLayers() error {
	var prev []int32
	for li := range p.layers {
		L := &p.layers[li]
		l := &p.m.Layers[L.model]
		L.inPerm = prev
		if l.Kind == ir.KindConv2D && !L.readout && len(l.OutShape) == 3 {
			perm, err := convPerm(l, L.name)
			if err != nil {
				return err
			}
			L.outPerm = perm
			L.outInv = make([]int32, len(L.outPerm))
			for j, n := range L.outPerm {
				L.outInv[n] = int32(j)
			}
		}
		switch {
		case l.Kind == ir.KindSparse:
			L.sp = newSparseRows(l, L.in, L.inPerm)
			L.fanOut = L.sp.fanOut()
			prev = nil
			continue
		case l.Kind == ir.KindConv2D:
			ck, err := newConvKernel(l, L.name, L.readout, L.pool, L.inPerm)
			if err != nil {
				return err
			}
			L.ck = ck
			f := ck.fanOut()
			if L.pool != nil {
				L.fanOut = L.pooledFanOut(f)
			} else {
				L.fanOut = permuteVec(f, L.inPerm)
			}
			L.fb = permuteVec(L.fb, L.outPerm)
			prev = L.outPerm
			continue
		case L.pool != nil:
			pooled := make([]int32, L.pool.NumOutputs())
			for o := range pooled {
				pooled[o] = int32(L.out)
			}
			L.fanOut = L.pooledFanOut(pooled)
		}
		L.fw = permute(L.fw, L.in, L.out, L.inPerm, L.outPerm)
		L.fb = permuteVec(L.fb, L.outPerm)
		prev = L.outPerm
	}
	return nil
}

// modelIndex maps a neuron index of the simulator's order back to the
// model's.
func (L *netLayer) modelIndex(j int) int {
	if L.outInv == nil {
		return j
	}
	return int(L.outInv[j])
}

// checkPool checks an average pooling layer's geometry.
func checkPool(l *ir.Layer, name string) error {
	if len(l.InShape) != 3 || len(l.OutShape) != 3 || l.InShape[0] != l.OutShape[0] ||
		l.Kernel[0] < 1 || l.Kernel[1] < 1 || l.Padding[0] < 0 || l.Padding[1] < 0 {
		return modelErr("pooling layer %s: shapes %v → %v, kernel %v, padding %v", name, l.InShape, l.OutShape, l.Kernel, l.Padding)
	}
	return nil
}

// poolWindows calls fn(i, o) for every input i of every pooling window o
// (CHW flat indices).
func poolWindows(l *ir.Layer, fn func(i, o int)) {
	C, H, W := l.InShape[0], l.InShape[1], l.InShape[2]
	PH, PW := l.OutShape[1], l.OutShape[2]
	sh, sw := max(1, l.Stride[0]), max(1, l.Stride[1])
	for c := 0; c < C; c++ {
		for py := 0; py < PH; py++ {
			for px := 0; px < PW; px++ {
				o := (c*PH+py)*PW + px
				for ky := 0; ky < l.Kernel[0]; ky++ {
					y := py*sh - l.Padding[0] + ky
					if y < 0 || y >= H {
						continue
					}
					for kx := 0; kx < l.Kernel[1]; kx++ {
						x := px*sw - l.Padding[1] + kx
						if x >= 0 && x < W {
							fn((c*H+y)*W+x, o)
						}
					}
				}
			}
		}
	}
}

// unpool composes the pooling in front of the layer with its weights: the
// rows of fw move from the pooled values to the pooling's inputs,
// fw'[i] = Σ_{windows o ∋ i} fw[o]/(KH·KW).
func (L *netLayer) unpool(pool *ir.Layer) {
	in := pool.NumInputs()
	inv := 1 / float32(pool.Kernel[0]*pool.Kernel[1])
	fw := make([]float32, in*L.out)
	poolWindows(pool, func(i, o int) {
		src, dst := L.fw[o*L.out:(o+1)*L.out], fw[i*L.out:(i+1)*L.out]
		for j, w := range src {
			dst[j] += w * inv
		}
	})
	L.fw, L.in, L.pool = fw, in, pool
}

// pooledFanOut is the number of synapses of each input of the pooling in
// front of the layer (simulator order): the sum over its windows of the
// pooled values' fan-out.
func (L *netLayer) pooledFanOut(pooled []int32) []int32 {
	fan := make([]int32, L.in)
	poolWindows(L.pool, func(i, o int) {
		if L.inPerm != nil {
			i = int(L.inPerm[i])
		}
		fan[i] += pooled[o]
	})
	return fan
}
