package compile

import (
	"errors"
	"fmt"
	"slices"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Convolutions and pooling.
//
// Pooling: Loihi has no pooling; an average pooling (non-overlapping,
// stride = window, no padding) in front of a convolution or of a dense
// layer (through a flatten) is folded into that layer, which is exact for
// the float model because pooling is linear:
//
//	pool k, then conv K/stride s/padding p  →  conv K·k / stride s·k / padding p·k
//	                                            W'[o,c,y,x] = W[o,c,⌊y/k⌋,⌊x/k⌋]/k²
//	                                            (c over the group's input channels)
//	pool k, flatten, dense                  →  flatten, dense with W'[o,(c,y,x)] = W[o,(c,⌊y/k⌋,⌊x/k⌋)]/k²
//
// (inputs outside every pooling window get no synapse). The compiled model
// holds the folded layers in place of the pooling and its consumer; the
// report notes each fold.
//
// Mapping: the neurons of a conv layer are assigned to cores in its
// mapping order: its own (ir.Layer.MapOrder, chosen per layer on Loihi,
// see convorder.go) or ConvOrder: group-major, position-major, n = ((g·OH +
// y)·OW + x)·(OutC/G) + c' (with one group n = (y·W + x)·C + c, see
// ir.Core), so a core holds a block of output positions × the channels of
// a group. On Loihi its input axons and synaptic memory are those of
// population axons with shared synapse lists (see convpop.go): one axon
// per (group, input pixel) reaching the core, one stored list per distinct
// (index offset, relative indices, weights) pattern. Other families keep
// one synapse list per (input channel, pixel) axon (convGeom.cost); their
// conv layers take the TrueNorth split path and do not come here.
// Layers are cut into ranges that fit every limit (convcut.go).

// convGeom is the geometry of a conv layer (icg and ocg are the input and
// output channels of one of its groups) and its mapping order: order is
// the layer's MapOrder (nil: ConvOrder, see mapping order above).
type convGeom struct {
	ic, ih, iw, oc, oh, ow int
	kh, kw, sh, sw, ph, pw int
	groups, icg, ocg       int
	order                  []int32
}

func geomOf(l *ir.Layer) convGeom {
	g := convGeom{ic: l.InShape[0], ih: l.InShape[1], iw: l.InShape[2],
		oc: l.OutShape[0], oh: l.OutShape[1], ow: l.OutShape[2],
		kh: l.Kernel[0], kw: l.Kernel[1], sh: max(1, l.Stride[0]), sw: max(1, l.Stride[1]),
		ph: l.Padding[0], pw: l.Padding[1], groups: l.NumGroups()}
	g.icg, g.ocg = g.ic/g.groups, max(1, g.oc/g.groups)
	if len(l.MapOrder) > 0 {
		g.order = l.MapOrder
	}
	return g
}

// canon is the ConvOrder index of the neuron at mapping position n (the
// identity without an order of the layer's own).
func (g *convGeom) canon(n int) int {
	if g.order == nil {
		return n
	}
	j := int(g.order[n])
	hw := g.oh * g.ow
	c, r := j/hw, j%hw
	return ((c/g.ocg)*hw+r)*g.ocg + c%g.ocg
}

// window returns the kernel rows [ky0, ky1) and columns [kx0, kx1) of
// output position (oy, ox) that fall inside the input (not the padding);
// input row iy = oy·sh − ph + ky, column ix = ox·sw − pw + kx.
func (g *convGeom) window(oy, ox int) (ky0, ky1, kx0, kx1 int) {
	y0, x0 := oy*g.sh-g.ph, ox*g.sw-g.pw
	return max(0, -y0), min(g.kh, g.ih-y0), max(0, -x0), min(g.kw, g.iw-x0)
}

// ConvOrder returns the mapping order of the neurons of a Conv2D layer
// with spiking neurons: order[n] is the flat CHW index of the neuron at
// mapping position n, with n group-major and position-major,
//
//	n = ((g·OH + y)·OW + x)·(OutC/G) + c'      output channel c = g·(OutC/G) + c'
//
// so that a contiguous range of n holds a block of output positions × the
// channels of one group, which share their inputs. With one group this is
// the position-major order n = (y·OW + x)·OutC + c.
func ConvOrder(l *ir.Layer) []int32 {
	g := geomOf(l)
	g.order = nil
	order := make([]int32, g.oc*g.oh*g.ow)
	for n := range order {
		order[n] = int32(g.chw(n))
	}
	return order
}

// chw is the CHW index of the neuron at mapping position n (see ConvOrder
// and convGeom.order).
func (g *convGeom) chw(n int) int {
	if g.order != nil {
		return int(g.order[n])
	}
	cp, r := n%g.ocg, n/g.ocg
	x, r := r%g.ow, r/g.ow
	y, gi := r%g.oh, r/g.oh
	return ((gi*g.ocg+cp)*g.oh+y)*g.ow + x
}

// fanIn is the largest number of inputs of one neuron (a recurrent
// layer's neuron also has the layer's own neurons as inputs).
func fanIn(l *ir.Layer) int {
	if l.Kind == ir.KindRecurrentDense {
		return l.NumInputs() + l.NumOutputs()
	}
	if l.Kind == ir.KindSparse {
		n := 0
		for j := 0; j+1 < len(l.RowStart); j++ {
			n = max(n, int(l.RowStart[j+1]-l.RowStart[j]))
		}
		return n
	}
	_, n := weightRows(l)
	return n
}

// foldPooling replaces every average pooling and the layer it feeds by the
// equivalent folded layer (see above). m.Layers is replaced, not modified.
func foldPooling(s *state) error {
	m := s.m
	has := false
	for i := range m.Layers {
		has = has || m.Layers[i].Kind == ir.KindAvgPool
	}
	if !has {
		return nil
	}
	var out []ir.Layer
	for i := 0; i < len(m.Layers); i++ {
		l := m.Layers[i]
		if l.Kind != ir.KindAvgPool {
			out = append(out, l)
			continue
		}
		bad := func(format string, a ...any) error {
			return fmt.Errorf("compile: layer %d (%s): average pooling cannot be lowered: %s", i, l.Name, fmt.Sprintf(format, a...))
		}
		kh, kw := l.Kernel[0], l.Kernel[1]
		if l.Stride[0] != kh || l.Stride[1] != kw || l.Padding != [2]int{} || kh < 1 || kw < 1 {
			return bad("only non-overlapping windows (stride = kernel) without padding are folded, have kernel %v stride %v padding %v", l.Kernel, l.Stride, l.Padding)
		}
		j := i + 1
		var flat *ir.Layer
		if j < len(m.Layers) && m.Layers[j].Kind == ir.KindFlatten {
			flat = &m.Layers[j]
			j++
		}
		if j >= len(m.Layers) || (m.Layers[j].Kind != ir.KindConv2D && m.Layers[j].Kind != ir.KindDense) {
			return bad("it must feed a convolution or (through a flatten) a dense layer; the chip has no pooling")
		}
		next := m.Layers[j]
		C, H, W := l.InShape[0], l.InShape[1], l.InShape[2]
		PH, PW := l.OutShape[1], l.OutShape[2]
		inv := 1 / float32(kh*kw)
		switch {
		case next.Kind == ir.KindConv2D && flat == nil:
			g := geomOf(&next)
			if (g.ph > 0 && H%kh != 0) || (g.pw > 0 && W%kw != 0) {
				return bad("the %d×%d input is not a multiple of the window and %s is padded", H, W, next.Name)
			}
			f := next
			f.InShape = append([]int(nil), l.InShape...)
			f.Kernel = [2]int{g.kh * kh, g.kw * kw}
			f.Stride = [2]int{g.sh * kh, g.sw * kw}
			f.Padding = [2]int{g.ph * kh, g.pw * kw}
			f.Weights = make([]float32, g.oc*g.icg*f.Kernel[0]*f.Kernel[1])
			for o := 0; o < g.oc; o++ {
				for c := 0; c < g.icg; c++ { // the group's input channels
					for y := 0; y < f.Kernel[0]; y++ {
						for x := 0; x < f.Kernel[1]; x++ {
							f.Weights[((o*g.icg+c)*f.Kernel[0]+y)*f.Kernel[1]+x] = next.Weights[((o*g.icg+c)*g.kh+y/kh)*g.kw+x/kw] * inv
						}
					}
				}
			}
			if oh := (H+2*f.Padding[0]-f.Kernel[0])/f.Stride[0] + 1; oh != g.oh {
				return bad("folding into %s gives %d output rows, want %d", next.Name, oh, g.oh)
			}
			out = append(out, f)
			s.report.Notes = append(s.report.Notes, fmt.Sprintf("%s folded into %s: kernel %d×%d → %d×%d, stride %d → %d, weights ÷ %d",
				l.Name, next.Name, g.kh, g.kw, f.Kernel[0], f.Kernel[1], g.sh, f.Stride[0], kh*kw))
		case next.Kind == ir.KindDense && (flat != nil || len(l.OutShape) == 1):
			nOut := next.NumOutputs()
			nIn := C * H * W
			f := next
			f.InShape = []int{nIn}
			f.Weights = make([]float32, nOut*nIn)
			for o := 0; o < nOut; o++ {
				src := next.Weights[o*next.NumInputs() : (o+1)*next.NumInputs()]
				dst := f.Weights[o*nIn : (o+1)*nIn]
				for c := 0; c < C; c++ {
					for y := 0; y < PH*kh; y++ {
						for x := 0; x < PW*kw; x++ {
							dst[(c*H+y)*W+x] = src[(c*PH+y/kh)*PW+x/kw] * inv
						}
					}
				}
			}
			if flat != nil {
				fl := *flat
				fl.InShape = append([]int(nil), l.InShape...)
				fl.OutShape = []int{nIn}
				out = append(out, fl)
			}
			out = append(out, f)
			s.report.Notes = append(s.report.Notes, fmt.Sprintf("%s folded into %s: %d → %d inputs, weights ÷ %d",
				l.Name, next.Name, next.NumInputs(), nIn, kh*kw))
		default:
			return bad("it must feed a convolution or (through a flatten) a dense layer")
		}
		i = j
	}
	m.Layers = out
	if err := ir.Verify(m); err != nil {
		return fmt.Errorf("compile: after folding the pooling: %w", err)
	}
	return nil
}

// cost is the input axons and synaptic memory of the core holding the
// neurons [start, start+count) of a conv layer in ConvOrder (families
// without population axons, which never get an order of their own): for each group the range touches, the union of the receptive
// fields of its positions over the group's input channels, one synapse list
// per axon with one synapse per reached neuron. fan is scratch of ih·iw
// entries.
func (g *convGeom) cost(start, count int, b targets.Backend, f targets.SynapseFormat, fan []int32) (axons int, bits int64) {
	end := start + count
	block := g.ocg * g.oh * g.ow // neurons of one group
	for gi := start / block; gi*block < end; gi++ {
		s0, s1 := max(start, gi*block)-gi*block, min(end, (gi+1)*block)-gi*block
		clear(fan)
		for p := s0 / g.ocg; p*g.ocg < s1; p++ {
			m := int32(min(s1, (p+1)*g.ocg) - max(s0, p*g.ocg))
			oy, ox := p/g.ow, p%g.ow
			ky0, ky1, kx0, kx1 := g.window(oy, ox)
			for ky := ky0; ky < ky1; ky++ {
				iy := oy*g.sh - g.ph + ky
				for kx := kx0; kx < kx1; kx++ {
					fan[iy*g.iw+ox*g.sw-g.pw+kx] += m
				}
			}
		}
		var ax int
		var bt int64
		for _, n := range fan {
			if n > 0 {
				ax++
				bt += b.AxonSynapseBits(int(n), f)
			}
		}
		axons += ax * g.icg
		bits += bt * int64(g.icg)
	}
	return axons, bits
}

// layerFan returns, for every input position, the number of neurons of one
// group of the layer it reaches (per input channel).
func (g *convGeom) layerFan() []int32 {
	fan := make([]int32, g.ih*g.iw)
	for oy := 0; oy < g.oh; oy++ {
		for ox := 0; ox < g.ow; ox++ {
			ky0, ky1, kx0, kx1 := g.window(oy, ox)
			for ky := ky0; ky < ky1; ky++ {
				iy := oy*g.sh - g.ph + ky
				for kx := kx0; kx < kx1; kx++ {
					fan[iy*g.iw+ox*g.sw-g.pw+kx] += int32(g.ocg)
				}
			}
		}
	}
	return fan
}

// partitionConv cuts chain layer k, a conv layer, into contiguous ranges of
// its mapping order that fit every per-core limit
// (pNext: cores of the next layer, for the output routes). It returns the
// piece sizes, the lower bound and the binding limit.
//
// If the next layer is a conv layer too, routes holds the prefix sums of the
// exact number of its cores each neuron reaches (see convRoutes) and the
// output routes of a piece are their sum; every route costs slots
// output-axon slots (slotsLB in the lower bound: the fewest any choice of
// the next layer's axon kind allows).
//
// pop16: the layer is fed by pop16 axons (see convpop.go): aligned bases
// and at most pop16MaxAxons input axons per core. limit > 0: a cut of more
// than limit pieces is of no use to the caller, which gets errCutLimit
// instead (cutRanges stops early).
//
// With on-chip input on Loihi every length from a start is tried in one
// sweep of popScan (memory is not monotone in the length; compartments,
// routes, axons and the memory of the closed pixels' lists are, and end
// the sweep), and cutRanges chooses among the lengths that fit (see
// convcut.go). Otherwise the limits are monotone, a binary search finds
// the longest range from each start, and those are kept.
//
// Lower bound: the largest of ⌈neurons/compartments⌉, the output routes
// (every neuron reaches at least one core of a next conv layer, every core
// of the next layer's lower bound otherwise, at slotsLB each) and, with
// on-chip input, ⌈total/limit⌉ for the axons and synapse bits any partition
// needs in total (Loihi: popLowerBound, every (group, pixel) axon once and
// the layer's distinct weight columns stored once, against pop32's axon
// limit, which holds for pop16 too; other families: every axon's synapses
// at MinAxonSynapseBits). TestConvLowerBoundExhaustive checks it against
// the optimum over every packing of tiny layers (any neurons on a core, in
// any compartment order). It is loose for layers that synaptic memory
// binds: it counts every distinct column once for the whole layer, while a
// core stores a column once per list it appears in; how much lists can be
// shared depends on which neurons share a core, and BenchmarkConvPackings
// shows that orders other than position-major would share more. Per-core
// geometry does not tighten it on the MNIST nets: a core of any k ≤ 1,024
// neurons of 28x28x1-16c5-p2-32c5-p2-10's conv2 reads at most its 576
// input pixels (axons) and at most the layer's 800 distinct columns
// (about 102 kbit at 8 bits), both under one core's limits, so a bound
// from the smallest receptive-field union and the distinct columns of k
// positions is ⌈neurons/compartments⌉ again. Sharing is what limits the
// cores there: with population axons, interior pixels of a block of
// positions share one list, and positions whose windows do not overlap
// share one list per tap whatever their number, so a bound on a core's
// memory that grows with its neurons has to count which lists can
// coincide: popCoreCap does (convlb.go, "list sharing"), exactly for
// layers with few positions, and its cap also bounds from below the cores
// of the next conv layer a source neuron reaches (output routes).
func (s *state) partitionConv(k int, l *ir.Layer, pNext, lbNext int, routes []int64, pop16 bool, slots, slotsLB int64, limit int) (sizes []int, lower lowerBound, binding string, err error) {
	t := s.t
	g := geomOf(l)
	f := delayFormat(targets.SynapseFormat{WeightBits: s.weightBits}, l)
	onChip := s.onChipInput(k)
	pop := onChip && s.b.Capabilities().PopulationAxons
	out := l.NumOutputs()
	sweepTo, _ := s.convSweep(k, l, pNext, routes, pop16, slots)
	sweep := func(start int, ok func(c int)) (int, string) { return sweepTo(start, out, ok) }
	// greedy (the longest range from each start) where the limits are
	// monotone; a search where memory is not (see convcut.go)
	beam, align := 1, []int{1}
	if pop && onChip {
		beam, align = convCutBeam, []int{1, g.ocg, g.ocg * g.ow}
		if k < len(s.convAlign) && s.convAlign[k] != nil {
			align = s.convAlign[k]
		}
		if s.quickCut {
			beam, align = 1, []int{1}
		}
		if out <= convCutExact {
			beam = out
		}
	}
	sizes, counted, err := cutRanges(out, beam, limit, align, sweep)
	if err != nil {
		var c *cutError
		if errors.As(err, &c) {
			return nil, lowerBound{}, "", &LimitError{Layer: s.chain[k], LayerName: l.Name, Limit: c.why, Target: t.Name, Need: 1, Have: 0, Unit: "neurons per core",
				Detail: fmt.Sprintf("%s: a single neuron of conv layer %s does not fit a %s core", c.why, l.Name, t.Name)}
		}
		return nil, lowerBound{}, "", err
	}
	binding = "none (one core)"
	best := 0
	for why, n := range counted {
		if n > best || (n == best && why < binding) {
			binding, best = why, n
		}
	}
	lb := newLowerBound(ceilDiv(int64(out), int64(t.Core.Neurons)))
	switch {
	case pop:
		axons, bits := popLowerBound(l, s.b, s.weightBits)
		lb.atLeast(ceilDiv(axons, int64(t.Core.InputAxons)), "input axons")
		lb.atLeast(ceilDiv(bits, t.Core.SynapseBits), "synaptic memory")
		lb.atLeast(ceilDiv(int64(out), int64(s.popCap(k))), "list sharing") // convlb.go
	case onChip:
		lf := g.layerFan()
		var axons, bits int64
		for _, n := range lf {
			if n > 0 {
				axons++
				bits += s.b.MinAxonSynapseBits(int(n), f)
			}
		}
		lb.atLeast(ceilDiv(axons*int64(g.ic), int64(t.Core.InputAxons)), "input axons")
		lb.atLeast(ceilDiv(bits*int64(g.ic), t.Core.SynapseBits), "synaptic memory")
	}
	if routes != nil { // a neuron reaches ⌈reach/cap⌉ cores of the next conv layer (convlb.go)
		lb.atLeast(ceilDiv(s.convReachRoutes(k)*slotsLB, int64(t.Core.OutputRoutes)), "output routes")
	} else {
		lb.atLeast(ceilDiv(int64(out)*int64(lbNext)*slotsLB, int64(t.Core.OutputRoutes)), "output routes")
	}
	if pop {
		lb.atLeast(int64(popSplitCores(l, s.b, s.weightBits, t.Core, int(lb.cores))), "list splitting") // convsplit.go
	}
	return sizes, lb, binding, nil
}

// sweepFunc calls ok(c) for every length c ≤ end − start of a range from
// start that fits a core (all up to the longest where the limits are
// monotone, see partitionConv) and returns the longest and the limit the
// next longer one breaks ("" at end).
type sweepFunc func(start, end int, ok func(c int)) (int, string)

// convSweep returns the sweep partitionConv cuts chain layer k (a conv
// layer) with (end: the layer's end). With population
// axons it also returns the popScan it sweeps with, which holds the range
// of length c when ok(c) is called (staggerCut reads the input axons it
// touched, convstagger.go).
func (s *state) convSweep(k int, l *ir.Layer, pNext int, routes []int64, pop16 bool, slots int64) (sweepFunc, *popScan) {
	t := s.t
	g := geomOf(l)
	f := delayFormat(targets.SynapseFormat{WeightBits: s.weightBits}, l)
	onChip := s.onChipInput(k)
	pop := onChip && s.b.Capabilities().PopulationAxons
	axonLimit := t.Core.InputAxons
	if pop && pop16 {
		axonLimit = min(axonLimit, popFormats(s.b).Pop16MaxAxons)
	}
	fan := make([]int32, g.ih*g.iw)
	routesFail := func(start, c int) bool {
		if routes == nil {
			return int64(c)*int64(pNext)*slots > int64(t.Core.OutputRoutes)
		}
		return (routes[start+c]-routes[start])*slots > int64(t.Core.OutputRoutes)
	}
	fail := func(start, c int) string {
		switch {
		case c > t.Core.Neurons:
			return "compartments"
		case routesFail(start, c):
			return "output routes"
		}
		if onChip {
			ax, bits := g.cost(start, c, s.b, f, fan)
			switch {
			case ax > t.Core.InputAxons:
				return "input axons"
			case bits > t.Core.SynapseBits:
				return "synaptic memory"
			}
		}
		return ""
	}
	var scan *popScan
	if pop {
		scan = newPopScan(l, s.b, s.weightBits, pop16)
	}
	sweep := func(start, end int, ok func(c int)) (int, string) {
		maxC := min(t.Core.Neurons, end-start)
		if !pop {
			if why := fail(start, 1); why != "" {
				return 0, why
			}
			lo, hi := 1, maxC
			for lo < hi {
				mid := (lo + hi + 1) / 2
				if fail(start, mid) == "" {
					lo = mid
				} else {
					hi = mid - 1
				}
			}
			ok(lo)
			if start+lo < end {
				return lo, fail(start, lo+1)
			}
			return lo, ""
		}
		scan.reset(start)
		best, why := 0, ""
		for c := 1; c <= maxC; c++ {
			scan.add()
			w := ""
			switch {
			case routesFail(start, c):
				w = "output routes"
			case scan.axons > axonLimit:
				w = "input axons"
			case scan.bits() > t.Core.SynapseBits:
				w = "synaptic memory"
			}
			if w == "" {
				best, why = c, ""
				ok(c)
				continue
			}
			if why == "" {
				why = w
			}
			if w != "synaptic memory" || scan.closedBits() > t.Core.SynapseBits {
				break // routes, axons and closed lists only grow with the range
			}
		}
		if why == "" && start+best < end {
			why = "compartments"
		}
		return best, why
	}
	return sweep, scan
}

// convCosts computes the input axons and synaptic memory of cores of conv
// layers (for partition and Check): population axons on Loihi (see
// convpop.go, one popScan per layer reused across its cores), one synapse
// list per (channel, pixel) axon otherwise.
type convCosts struct {
	t     *targets.Target
	b     targets.Backend
	f     targets.SynapseFormat
	scans map[popScanKey]*popScan
}

type popScanKey struct {
	l     *ir.Layer
	pop16 bool
}

func newConvCosts(t *targets.Target, f targets.SynapseFormat) *convCosts {
	return &convCosts{t: t, b: t.Backend(), f: f, scans: map[popScanKey]*popScan{}}
}

// cost is the input axons and synaptic memory of the core holding neurons
// [start, start+count) of conv layer l (on Loihi fed by pop16 axons if
// pop16, else pop32).
func (c *convCosts) cost(l *ir.Layer, start, count int, pop16 bool) (int, int64) {
	if !c.b.Capabilities().PopulationAxons {
		g := geomOf(l)
		return g.cost(start, count, c.b, delayFormat(c.f, l), make([]int32, g.ih*g.iw))
	}
	key := popScanKey{l, pop16}
	p := c.scans[key]
	if p == nil {
		p = newPopScan(l, c.b, c.f.WeightBits, pop16)
		c.scans[key] = p
	}
	p.reset(start)
	for range count {
		p.add()
	}
	return p.axons, p.bits()
}

// routeSlots is the output-axon slots a route from chain layer k takes:
// those of the population axon kind chosen for the next layer if it is a
// Loihi conv layer (s.pop16), 1 otherwise.
func (s *state) routeSlots(k int) int {
	if !s.popNext(k) {
		return 1
	}
	return popSlots(s.b, s.pop16[k+1])
}

// routeSlotsLB is the fewest output-axon slots a route from chain layer k
// can take whichever axon kind the next layer gets (for lower bounds).
func (s *state) routeSlotsLB(k int) int {
	if !s.popNext(k) {
		return 1
	}
	return popSlots(s.b, pop16Allowed(s.b, &s.m.Layers[s.chain[k+1]]))
}

// popNext reports whether chain layer k feeds a conv layer through
// population axons (a family with Capabilities.PopulationAxons: Loihi).
func (s *state) popNext(k int) bool {
	return s.b.Capabilities().PopulationAxons && k+1 < len(s.chain) && s.m.Layers[s.chain[k+1]].Kind == ir.KindConv2D
}

// popLayer reports whether chain layer k is a conv layer with on-chip
// input whose input comes through population axons (Loihi).
func (s *state) popLayer(k int) bool {
	return s.b.Capabilities().PopulationAxons && s.m.Layers[s.chain[k]].Kind == ir.KindConv2D && s.onChipInput(k)
}

// convTaps calls fn(i, j, w) for every synapse of conv layer l (see
// ir.ConvTaps).
func convTaps(l *ir.Layer, fn func(i, j, w int)) { ir.ConvTaps(l, fn) }

// edge is spike traffic from piece p to piece q: axons is the number of
// p's neurons with a synapse on q.
type edge struct{ p, q, axons int }

// convTargets returns, for each neuron of chain layer k (in its mapping
// order) whose next layer is a conv layer cut into pieces (ranges of the
// given sizes in its mapping order, see convGeom.order), the pieces its
// spikes must reach, by calling fn(n, piece) once per (neuron, target
// piece).
func (s *state) convTargets(k int, sizes []int, fn func(n, q int)) {
	l := &s.m.Layers[s.chain[k]]
	next := &s.m.Layers[s.chain[k+1]]
	g := geomOf(next)
	// the piece of each neuron, by ConvOrder index
	pieceOf := make([]int32, g.oc*g.oh*g.ow)
	n0 := 0
	for q, c := range sizes {
		for n := n0; n < n0+c; n++ {
			pieceOf[g.canon(n)] = int32(q)
		}
		n0 += c
	}
	// the distinct pieces holding each (group, output position)'s
	// neurons, in increasing order: posQ[posPtr[p]:posPtr[p+1]] (a range
	// of pieces in ConvOrder, any set in an order of the layer's own)
	P := g.oh * g.ow
	posPtr := make([]int32, g.groups*P+1)
	var posQ []int32
	for p := 0; p < g.groups*P; p++ {
		qs := pieceOf[p*g.ocg : (p+1)*g.ocg]
		start := len(posQ)
		for _, q := range qs {
			if !slices.Contains(posQ[start:], q) {
				posQ = append(posQ, q)
			}
		}
		slices.Sort(posQ[start:])
		posPtr[p+1] = int32(len(posQ))
	}
	var src *convGeom
	if l.Kind == ir.KindConv2D {
		sg := geomOf(l)
		src = &sg
	}
	seen := make([]int, len(sizes))
	for i := range seen {
		seen[i] = -1
	}
	for n := 0; n < l.NumOutputs(); n++ {
		// the neuron's CHW index = the next layer's input (ci, iy, ix)
		j := n
		if src != nil {
			j = src.chw(n)
		}
		ci, iy, ix := j/(g.ih*g.iw), j/g.iw%g.ih, j%g.iw
		gi := ci / g.icg
		// output rows oy with oy·sh − ph ≤ iy ≤ oy·sh − ph + kh − 1
		for oy := max(0, ceilDivInt(iy+g.ph-g.kh+1, g.sh)); oy <= min(g.oh-1, (iy+g.ph)/g.sh); oy++ {
			if (iy+g.ph-oy*g.sh) < 0 || (iy+g.ph-oy*g.sh) >= g.kh {
				continue
			}
			for ox := max(0, ceilDivInt(ix+g.pw-g.kw+1, g.sw)); ox <= min(g.ow-1, (ix+g.pw)/g.sw); ox++ {
				if (ix+g.pw-ox*g.sw) < 0 || (ix+g.pw-ox*g.sw) >= g.kw {
					continue
				}
				p := gi*P + oy*g.ow + ox
				for _, q := range posQ[posPtr[p]:posPtr[p+1]] {
					if seen[q] != n {
						seen[q] = n
						fn(n, int(q))
					}
				}
			}
		}
	}
}

func ceilDivInt(a, b int) int {
	if a <= 0 {
		return -((-a) / b)
	}
	return (a + b - 1) / b
}

// convRoutes returns the prefix sums of the number of target pieces of
// chain layer k's neurons (next layer conv, cut into sizes).
func (s *state) convRoutes(k int, sizes []int) []int64 {
	n := s.m.Layers[s.chain[k]].NumOutputs()
	cnt := make([]int64, n+1)
	s.convTargets(k, sizes, func(n, _ int) { cnt[n+1]++ })
	for i := 1; i <= n; i++ {
		cnt[i] += cnt[i-1]
	}
	return cnt
}

// layerEdges lists the traffic from chain layer k to k+1: every pair of
// pieces (dense next layer), or the pairs a synapse connects (conv next
// layer).
func (s *state) layerEdges(k int) []edge {
	a, b := s.layerPieces[k], s.layerPieces[k+1]
	if s.m.Layers[s.chain[k+1]].Kind != ir.KindConv2D {
		var es []edge
		for p := a[0]; p < a[1]; p++ {
			for q := b[0]; q < b[1]; q++ {
				es = append(es, edge{p, q, s.pieces[p].count})
			}
		}
		return es
	}
	sizes := make([]int, 0, b[1]-b[0])
	for q := b[0]; q < b[1]; q++ {
		sizes = append(sizes, s.pieces[q].count)
	}
	// piece of each neuron of layer k
	pieceOf := make([]int, s.m.Layers[s.chain[k]].NumOutputs())
	for p := a[0]; p < a[1]; p++ {
		pc := &s.pieces[p]
		for n := pc.start; n < pc.start+pc.count; n++ {
			pieceOf[n] = p
		}
	}
	count := map[[2]int]int{}
	s.convTargets(k, sizes, func(n, q int) { count[[2]int{pieceOf[n], b[0] + q}]++ })
	es := make([]edge, 0, len(count))
	for pq, c := range count {
		es = append(es, edge{pq[0], pq[1], c})
	}
	slices.SortFunc(es, func(x, y edge) int {
		if x.p != y.p {
			return x.p - y.p
		}
		return x.q - y.q
	})
	return es
}
