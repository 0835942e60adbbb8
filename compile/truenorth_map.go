package compile

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// TrueNorth mapping of grouped, trinary networks (the "split" path).
//
// A TrueNorth model whose layers each fit one core's worth of fan-in and
// fan-out with one axon per input (every neuron of the next layer on one
// core, ≤ 4 weights chosen by a per-input axon type) compiles with the
// dense pipeline (the truenorth backend's QuantizeLayer). Anything larger takes this path, which
// is what snnc train --target truenorth produces:
//
//   - limits: every on-chip neuron has at most Core.FanIn (256) non-zero
//     inputs, at most one positive and one negative weight value (trinary
//     per neuron: on a core, every input it uses arrives on an axon typed
//     "+" and/or one typed "−", with type weights S_j^0 = +a_j and
//     S_j^1 = −a_j), γ = 1 and spike input. The readout layer
//     (ReadoutMeanCurrent) is host-side: the last hidden layer's spikes leave
//     the chip, one target each, and the host accumulates W·s + b with 9-bit
//     integer weights, so its fan-in is not limited.
//   - cores: every on-chip layer's neurons are packed in their mapping
//     order (tnOrder: group-major, position-major for conv layers, see the
//     package documentation) into cores of at most Core.Neurons neurons and
//     Core.InputAxons distinct (input, sign) axons (greedy, contiguous
//     ranges), reading each neuron's synapse list (tnRows), never a dense
//     matrix.
//   - splitters: a neuron has exactly one target (core, axon). Where a
//     neuron of layer A feeds several (core, sign) axons of layer B, a
//     splitter layer A.split is inserted: one splitter neuron per (source,
//     target core, sign), weight 1 and threshold 1 (it fires exactly when its
//     source fires, one tick later), the copies of a source packed on one
//     core; B's inputs become the copies, each with a fixed axon type
//     (the splitter and B are emitted as sparse layers, see planTrueNorth). The
//     float model is unchanged (a splitter copies spikes exactly); on chip
//     each splitter layer adds one tick of latency. The first layer's
//     inputs come from the host, which sends each input spike to every axon
//     that needs it (duplicated sources). Its AxonTypes and TypeWeights are
//     left empty, as one type per input cannot say it: on a core, input i
//     arrives on a "+" axon (type 0, type weight +a_j) and/or a "−" axon
//     (type 1, −a_j), and Weights holds w_ij ∈ {+a_j, 0, −a_j}.
//   - quantize: each on-chip layer gets a power-of-two scale S, the largest
//     with max|W|·S ≤ 255, max|b|·S ≤ 255 and ϑ·S < 2^Threshold bits, so a
//     model trained on the 1/128 grid (snnc train --target truenorth) is
//     represented exactly: w = W·S, bias (TrueNorth's per-neuron leak) b·S,
//     α = ⌈ϑ·S⌉, reset to zero. The readout is scaled to 255/max|W|.
//   - lower bound: per layer, the larger of ⌈neurons/256⌉ and ⌈distinct
//     (input, sign) axons/256⌉ (every axon must be on some core), summed
//     over the layers including splitters; the host readout counts as one.
type tnPlan struct {
	// cores per chain layer (after the rewrite): contiguous neuron ranges
	cores [][]tnCore
	// host is true when the readout layer is host-side.
	host bool
	// splitLayers and splitNeurons count what the rewrite inserted.
	splitLayers, splitNeurons int
	// links[p] maps a target piece to the number of p's neurons that send
	// to it (filled by partitionTN).
	links []map[int]int
}

type tnCore struct {
	start, count, axons int
	// full is the limit that closed the core ("" for a layer's last core)
	full string
}

// limitsPass is the limits pass: the per-neuron limits of the target
// (checkLimits); on TrueNorth a model that fails them may still fit the
// split path, which then plans the cores and inserts splitter layers.
//
// TrueNorth models with conv or sparse layers always take the split path
// (the dense path assumes dense weight matrices).
func limitsPass(s *state) error {
	// A delay the target cannot store is reported with the other limits.
	return withLimits(checkDelays(s), limitsNoDelays(s)) // delay.go
}

// limitsNoDelays is limitsPass but for the synaptic delays.
func limitsNoDelays(s *state) error {
	splitters := s.b.Capabilities().Splitters
	if splitters && !allDense(s) {
		if err := setWeightBits(s); err != nil {
			return err
		}
	} else {
		err := checkLimits(s)
		if err == nil || !splitters {
			return err
		}
		var le *LimitError
		if !errors.As(err, &le) {
			return err
		}
	}
	if err := checkTrueNorthSplit(s); err != nil {
		return err
	}
	return planTrueNorth(s)
}

// tnRows lists the synapses of a layer's neurons in the layer's mapping
// order (see tnOrder): row n holds the synapses [start[n], start[n+1]), each
// from input in[k] (flat index into the layer's input) with weight index
// w[k] into the layer's Weights (float or quantized). Only the synapses the
// keep function accepts are listed (the non-zero ones).
type tnRows struct {
	start []int32
	in    []int32
	w     []int32
	// order[n] is the model index of the neuron at mapping position n
	// (nil: n itself).
	order []int32
}

// tnOrder is the mapping order of a layer with neurons of a TrueNorth
// model: a Conv2D layer other than the model's last is cut into cores in
// its group-major, position-major order (ConvOrder); every other layer
// (dense, sparse, the readout) in its own neuron order (nil).
func tnOrder(m *ir.Model, li int) []int32 {
	if l := &m.Layers[li]; l.Kind == ir.KindConv2D && li != len(m.Layers)-1 {
		return ConvOrder(l)
	}
	return nil
}

func newTNRows(l *ir.Layer, order []int32, keep func(w int) bool) *tnRows {
	out := l.NumOutputs()
	pos := make([]int32, out) // mapping position of model neuron j
	for n, j := range order {
		pos[j] = int32(n)
	}
	if order == nil {
		for j := range pos {
			pos[j] = int32(j)
		}
	}
	r := &tnRows{start: make([]int32, out+1), order: order}
	ir.EachSynapse(l, func(_, j, w int) {
		if keep(w) {
			r.start[pos[j]+1]++
		}
	})
	for n := 0; n < out; n++ {
		r.start[n+1] += r.start[n]
	}
	nnz := r.start[out]
	r.in, r.w = make([]int32, nnz), make([]int32, nnz)
	fill := slices.Clone(r.start[:out])
	ir.EachSynapse(l, func(i, j, w int) {
		if keep(w) {
			k := fill[pos[j]]
			fill[pos[j]]++
			r.in[k], r.w[k] = int32(i), int32(w)
		}
	})
	return r
}

// floatRows are the non-zero float synapses of layer li in its mapping order.
func floatRows(m *ir.Model, li int) *tnRows {
	l := &m.Layers[li]
	return newTNRows(l, tnOrder(m, li), func(w int) bool { return l.Weights[w] != 0 })
}

func (r *tnRows) rows() int { return len(r.start) - 1 }

// neuron is the model index of the neuron at mapping position n.
func (r *tnRows) neuron(n int) int {
	if r.order == nil {
		return n
	}
	return int(r.order[n])
}

// positions returns the mapping position of every model neuron.
func (r *tnRows) positions() []int32 {
	pos := make([]int32, r.rows())
	for n := range pos {
		pos[r.neuron(n)] = int32(n)
	}
	return pos
}

// neuronBias is the bias of model neuron j (per channel for conv layers).
func neuronBias[T any](l *ir.Layer, b []T, j int) T {
	if l.Kind == ir.KindConv2D {
		j /= l.OutShape[1] * l.OutShape[2]
	}
	return b[j]
}

// allDense reports whether every chain layer is dense.
func allDense(s *state) bool {
	for _, li := range s.chain {
		if s.m.Layers[li].Kind != ir.KindDense {
			return false
		}
	}
	return true
}

// checkTrueNorthSplit checks the limits of the split path (see tnPlan) and
// reports every violation (LimitErrors).
func checkTrueNorthSplit(s *state) error {
	m, t := s.m, s.t
	hint := fmt.Sprintf("retrain with snnc train --target %s", t.Name)
	var errs LimitErrors
	add := func(li int, e *LimitError) {
		e.Target, e.Layer, e.LayerName = t.Name, li, m.Layers[li].Name
		if e.Hint == "" {
			e.Hint = hint
		}
		errs = append(errs, e)
	}
	fanIn := int64(t.Core.FanIn)
	if fanIn <= 0 || int64(t.Core.InputAxons) < fanIn {
		fanIn = int64(t.Core.InputAxons)
	}
	for k, li := range s.chain {
		l := &m.Layers[li]
		if k == 0 && s.hostInput {
			add(li, &LimitError{Limit: "direct-current input", Need: 1, Have: 0,
				Detail: fmt.Sprintf("direct-current input needs a per-sample bias per neuron, %s has none", t.Name),
				Hint:   "feed spikes (rate or event encoding) or " + hint})
		}
		if s.isReadout(k) {
			continue // host-side readout
		}
		r := newTNRows(l, nil, func(w int) bool { return l.Weights[w] != 0 })
		worst, worstJ := 0, 0
		typesJ, pos, neg := -1, 0, 0
		var p, n []float32
		for j := 0; j < r.rows(); j++ {
			p, n = p[:0], n[:0]
			for k := r.start[j]; k < r.start[j+1]; k++ {
				switch w := l.Weights[r.w[k]]; {
				case w > 0 && !slices.Contains(p, w):
					p = append(p, w)
				case w < 0 && !slices.Contains(n, w):
					n = append(n, w)
				}
			}
			if nnz := int(r.start[j+1] - r.start[j]); nnz > worst {
				worst, worstJ = nnz, j
			}
			if (len(p) > 1 || len(n) > 1) && len(p)+len(n) > pos+neg {
				typesJ, pos, neg = j, len(p), len(n)
			}
		}
		if int64(worst) > fanIn {
			add(li, &LimitError{Limit: "input axons per neuron", Need: int64(worst), Have: fanIn, Unit: "axons",
				Detail: fmt.Sprintf("fan-in: a neuron needs %d input axons, a %s core has %d (%s has %d non-zero inputs)", worst, t.Name, fanIn, neuronName(l, worstJ), worst)})
		}
		if typesJ >= 0 {
			add(li, &LimitError{Limit: "axon types", Need: int64(pos + neg), Have: 2, Unit: "weight values per sign",
				Detail: fmt.Sprintf("axon types: %s has %d distinct positive and %d distinct negative weights; split over cores, a %s neuron can have one of each (inputs on a '+' and a '−' typed axon, trinary weights as EEDN's)",
					neuronName(l, typesJ), pos, neg, t.Name)})
		}
		if t.Leak == "linear" && l.Neuron.Leak != 1 {
			add(li, &LimitError{Limit: "multiplicative leak", Need: 1, Have: 0,
				Detail: fmt.Sprintf("leak γ = %g is multiplicative, %s has a linear leak only (γ must be 1)", l.Neuron.Leak, t.Name)})
		}
	}
	return errs.orNil()
}

// neuronName names neuron j of a layer: "neuron j", with its channel and
// position for a conv layer.
func neuronName(l *ir.Layer, j int) string {
	if l.Kind != ir.KindConv2D {
		return fmt.Sprintf("neuron %d", j)
	}
	h, w := l.OutShape[1], l.OutShape[2]
	return fmt.Sprintf("neuron %d (channel %d at %d,%d)", j, j/(h*w), j/w%h, j%w)
}

// packCores packs the neurons of a layer, in mapping order (r), into cores
// of at most maxN neurons and maxA distinct (input, sign) axons; w are the
// float weights and in the layer's number of inputs.
func packCores(r *tnRows, w []float32, in, maxN, maxA int) []tnCore {
	var cores []tnCore
	// used[i]: bit 0 input i is used on a "+" axon, bit 1 on a "−" axon;
	// bits 2 and 3 mark the row being counted
	used := make([]uint8, in)
	var touched []int32
	bit := func(k int32) uint8 {
		if w[r.w[k]] < 0 {
			return 2
		}
		return 1
	}
	// extra counts the axons row n adds to the current core
	extra := func(n int) int {
		e := 0
		for k := r.start[n]; k < r.start[n+1]; k++ {
			i, b := r.in[k], bit(k)
			if used[i]&(b|b<<2) == 0 {
				e++
				used[i] |= b << 2
			}
		}
		for k := r.start[n]; k < r.start[n+1]; k++ {
			used[r.in[k]] &= 3
		}
		return e
	}
	cur, axons := tnCore{}, 0
	for n := 0; n < r.rows(); n++ {
		e := extra(n)
		if cur.count > 0 && (cur.count+1 > maxN || axons+e > maxA) {
			cur.axons = axons
			cur.full = "compartments"
			if axons+e > maxA {
				cur.full = "input axons"
			}
			cores = append(cores, cur)
			cur, axons = tnCore{start: n}, 0
			for _, i := range touched {
				used[i] = 0
			}
			touched = touched[:0]
			e = extra(n)
		}
		for k := r.start[n]; k < r.start[n+1]; k++ {
			i := r.in[k]
			if used[i] == 0 {
				touched = append(touched, i)
			}
			used[i] |= bit(k)
		}
		axons += e
		cur.count++
	}
	if cur.count > 0 {
		cur.axons = axons
		cores = append(cores, cur)
	}
	return cores
}

// planTrueNorth packs every on-chip layer into cores and inserts splitter
// layers where a neuron would need more than one target. It rewrites s.m
// (a new Layers slice; the input model's layers are not modified) and
// s.chain:
//
//   - a layer whose inputs become splitter copies is emitted as a sparse
//     layer (its synapses re-indexed to the copies); a splitter layer is a
//     sparse layer with one synapse (weight 1) per copy, the copies of a
//     source contiguous, the sources in the previous layer's mapping order;
//   - a sparse layer emitted for a conv layer lists its neurons in the
//     conv's mapping order (tnOrder), so that its cores are contiguous
//     ranges of its own neuron indices; the layers reading it are
//     re-indexed to match (a dense layer's columns are permuted, a conv
//     layer becomes sparse). The model's last layer is never renumbered;
//   - a flatten layer is inserted where a splitter reads a conv layer's
//     [C,H,W] output, and existing flatten layers take the new shapes;
//   - everything else (the first layer, fed by the host, and any layer
//     whose inputs are unchanged) is kept as it is, conv layers with their
//     kernels.
func planTrueNorth(s *state) error {
	m, t := s.m, s.t
	maxN, maxA := t.Core.Neurons, t.Core.InputAxons
	plan := &tnPlan{host: s.m.Readout.Kind == ir.ReadoutMeanCurrent}
	n := len(s.chain)
	rows := make([]*tnRows, n)
	cores := make([][]tnCore, n)
	for k, li := range s.chain {
		l := &m.Layers[li]
		rows[k] = floatRows(m, li)
		if plan.host && k == n-1 {
			cores[k] = []tnCore{{start: 0, count: l.NumOutputs()}}
			continue
		}
		cores[k] = packCores(rows[k], l.Weights, l.NumInputs(), maxN, maxA)
	}
	layers := make([]ir.Layer, 0, len(m.Layers)+2*n)
	var chain []int
	var planCores [][]tnCore
	prevShape := slices.Clone(m.Input.Shape)
	// prevIdx[i] is the index, in the layer emitted for it, of output
	// neuron i of the previous chain layer (nil: i)
	var prevIdx []int32
	inIdx := func(i int32) int32 {
		if prevIdx == nil {
			return i
		}
		return prevIdx[i]
	}
	type dest struct {
		core int32
		sign uint8
	}
	for li := range m.Layers {
		l := m.Layers[li]
		k := slices.Index(s.chain, li)
		if k < 0 {
			if l.Kind == ir.KindFlatten {
				l.InShape = slices.Clone(prevShape)
			}
			layers = append(layers, l)
			prevShape = l.OutShape
			continue
		}
		r := rows[k]
		in, out := l.NumInputs(), l.NumOutputs()
		var dests [][]dest // targets of each source: (core of this layer, sign)
		need := false
		if k > 0 && !(plan.host && k == n-1) {
			dests = make([][]dest, in)
			for c, co := range cores[k] {
				for p := co.start; p < co.start+co.count; p++ {
					for q := r.start[p]; q < r.start[p+1]; q++ {
						d := dest{int32(c), 0}
						if l.Weights[r.w[q]] < 0 {
							d.sign = 1
						}
						i := r.in[q]
						if !slices.Contains(dests[i], d) {
							dests[i] = append(dests[i], d)
							need = need || len(dests[i]) > 1
						}
					}
				}
			}
		}
		// sparse emits l as a sparse layer in its mapping order, input i of
		// synapse q read from col(q, i)
		sparse := func(col func(q, i int32) int32) {
			sl := ir.Layer{Name: l.Name, Kind: ir.KindSparse, InShape: []int{ir.ShapeSize(prevShape)}, OutShape: []int{out},
				RowStart: slices.Clone(r.start), Cols: make([]int32, len(r.in)), Weights: make([]float32, len(r.in)),
				Bias: make([]float32, out), Neuron: l.Neuron}
			for p := 0; p < out; p++ {
				sl.Bias[p] = neuronBias(&l, l.Bias, r.neuron(p))
				for q := r.start[p]; q < r.start[p+1]; q++ {
					sl.Cols[q] = col(q, r.in[q])
					sl.Weights[q] = l.Weights[r.w[q]]
				}
			}
			l = sl
		}
		switch {
		case need:
			src := &m.Layers[s.chain[k-1]]
			if len(prevShape) != 1 {
				layers = append(layers, ir.Layer{Name: src.Name + ".flatten", Kind: ir.KindFlatten,
					InShape: prevShape, OutShape: []int{in}})
				prevShape = []int{in}
			}
			for i := range dests {
				slices.SortFunc(dests[i], func(a, b dest) int {
					if a.core != b.core {
						return int(a.core - b.core)
					}
					return int(a.sign) - int(b.sign)
				})
			}
			// the splitter layer: the copies of each source (in the source
			// layer's mapping order), one per (target core, sign)
			first := make([]int32, in)
			sp := ir.Layer{Name: src.Name + ".split", Kind: ir.KindSparse, InShape: []int{in}, RowStart: []int32{0},
				Neuron: ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}}
			// splitter cores: whole sources, ≤ maxN copies and ≤ maxA sources
			var sc []tnCore
			cur := tnCore{}
			copies := 0
			for p := 0; p < in; p++ {
				i := rows[k-1].neuron(p)
				first[i] = int32(copies)
				nc := len(dests[i])
				if nc == 0 {
					continue
				}
				if cur.count > 0 && (cur.count+nc > maxN || cur.axons+1 > maxA) {
					cur.full = "compartments"
					if cur.axons+1 > maxA {
						cur.full = "input axons"
					}
					sc = append(sc, cur)
					cur = tnCore{start: copies}
				}
				if cur.count == 0 {
					cur.start = copies
				}
				cur.count += nc
				cur.axons++
				for range nc {
					sp.Cols = append(sp.Cols, inIdx(int32(i)))
					sp.Weights = append(sp.Weights, 1)
					sp.RowStart = append(sp.RowStart, int32(len(sp.Cols)))
				}
				copies += nc
			}
			if cur.count > 0 {
				sc = append(sc, cur)
			}
			if copies == 0 {
				return fmt.Errorf("compile: layer %d (%s): no synapses from the previous layer", li, l.Name)
			}
			sp.OutShape = []int{copies}
			sp.Bias = make([]float32, copies)
			chain = append(chain, len(layers))
			planCores = append(planCores, sc)
			layers = append(layers, sp)
			plan.splitLayers++
			plan.splitNeurons += copies
			prevShape, prevIdx = sp.OutShape, nil
			// the consumer takes the copies as its inputs
			coreOf := make([]int32, out)
			for c, co := range cores[k] {
				for p := co.start; p < co.start+co.count; p++ {
					coreOf[p] = int32(c)
				}
			}
			row := int32(0)
			sparse(func(q, i int32) int32 {
				for q >= r.start[row+1] {
					row++
				}
				d := dest{coreOf[row], 0}
				if l.Weights[r.w[q]] < 0 {
					d.sign = 1
				}
				return first[i] + int32(slices.Index(dests[i], d))
			})
		case k > 0 && (prevIdx != nil || !slices.Equal(prevShape, l.InShape)):
			// the previous layer was renumbered or reshaped
			if l.Kind == ir.KindDense {
				w := make([]float32, len(l.Weights))
				for j := 0; j < out; j++ {
					for i := 0; i < in; i++ {
						w[j*in+int(inIdx(int32(i)))] = l.Weights[j*in+i]
					}
				}
				l.Weights, l.InShape = w, []int{in}
			} else {
				sparse(func(_, i int32) int32 { return inIdx(i) })
			}
		}
		prevIdx = nil
		if l.Kind == ir.KindSparse && r.order != nil {
			prevIdx = r.positions()
		}
		chain = append(chain, len(layers))
		planCores = append(planCores, cores[k])
		layers = append(layers, l)
		prevShape = l.OutShape
	}
	if p := m.Provenance; p != nil && plan.splitLayers > 0 && len(p.Alphas) > 0 {
		// one α per layer with neurons: splitters were not trained, they
		// get the α of the layer they copy
		cp := *p
		cp.Alphas = nil
		ai := 0
		for _, li := range chain {
			switch {
			case strings.HasSuffix(layers[li].Name, ".split") && len(cp.Alphas) > 0:
				cp.Alphas = append(cp.Alphas, cp.Alphas[len(cp.Alphas)-1])
			case ai < len(p.Alphas):
				cp.Alphas = append(cp.Alphas, p.Alphas[ai])
				ai++
			}
		}
		m.Provenance = &cp
	}
	m.Layers = layers
	s.chain = chain
	plan.cores = planCores
	s.splitPlan = plan
	return nil
}

// quantizeTN is the quantize pass of the split path (see tnPlan).
func quantizeTN(s *state) error {
	m, t := s.m, s.t
	q := &ir.Quantized{Target: t.Name, WeightBits: s.weightBits, Layers: make([]ir.QuantLayer, len(m.Layers))}
	wmax := float64(int64(1)<<(t.Bits.Weight-1) - 1)
	bmax := float64(int64(1)<<(t.Bits.Bias-1) - 1)
	thrMax := float64(int64(1)<<t.Bits.Threshold - 1)
	types := max(1, t.Core.AxonTypes)
	for k, li := range s.chain {
		l := &m.Layers[li]
		in, out := l.NumInputs(), l.NumOutputs()
		st := weightStats(l)
		ql := ir.QuantLayer{Reset: targets.TrueNorthReset(l)}
		var sc float64
		if s.isReadout(k) {
			sc = 1
			if st.MaxAbs > 0 {
				sc = wmax / float64(st.MaxAbs)
			}
			ql.Threshold = int32(thrMax)
			ql.Reset = ir.ResetNone
		} else {
			theta := float64(l.Neuron.Threshold)
			sc = math.Ldexp(1, 20)
			for sc > 1/1024.0 && (float64(st.MaxAbs)*sc > wmax || st.MaxBias*sc > bmax || math.Ceil(theta*sc-1e-9) > thrMax) {
				sc /= 2
			}
			ql.Threshold = int32(max(1, math.Ceil(theta*sc-1e-9)))
		}
		ql.Scale = float32(sc)
		ql.Weights = make([]int16, len(l.Weights))
		const chunk = 1 << 14
		parallelRows((len(l.Weights)+chunk-1)/chunk, func(c0, c1 int) {
			a, b := c0*chunk, min(len(l.Weights), c1*chunk)
			targets.EncodeWeights(ql.Weights[a:b], l.Weights[a:b], float32(sc), 1, int32(wmax))
		})
		ql.Bias = make([]int32, len(l.Bias))
		clipped := 0
		for j, b := range l.Bias {
			v := math.Round(float64(b) * sc)
			if math.Abs(v) > bmax {
				clipped++
			}
			ql.Bias[j] = int32(max(-bmax, min(bmax, v)))
		}
		if clipped > 0 {
			s.report.Warnings = append(s.report.Warnings, fmt.Sprintf("layer %d (%s): %d biases clipped to ±%g", li, l.Name, clipped, bmax))
		}
		if !s.isReadout(k) {
			off := 0
			for _, w := range l.Weights {
				if d := math.Abs(float64(w)*sc - math.Round(float64(w)*sc)); d > 1e-6 {
					off++
				}
			}
			if off > 0 {
				s.report.Warnings = append(s.report.Warnings, fmt.Sprintf("layer %d (%s): %d weights not on the 1/%g grid were rounded", li, l.Name, off, sc))
			}
		}
		if !s.isReadout(k) && k > 0 {
			// inputs from on-chip neurons arrive on typed axons: "+" (type
			// 0, S_j^0 = +a_j) or "−" (type 1, S_j^1 = −a_j)
			ql.TypeWeights = make([]int16, types*out)
			ql.AxonTypes = make([]uint8, in)
			ir.EachSynapse(l, func(i, j, w int) {
				switch x := ql.Weights[w]; {
				case x > 0:
					ql.TypeWeights[types*j] = x
				case x < 0:
					if types > 1 {
						ql.TypeWeights[types*j+1] = x
					}
					ql.AxonTypes[i] = 1
				}
			})
		}
		q.Layers[li] = ql
	}
	m.Quantized = q
	return nil
}

// partitionTN turns the plan's cores into pieces, with the per-layer lower
// bounds and the links between pieces.
func partitionTN(s *state) error {
	m, t := s.m, s.t
	plan := s.splitPlan
	f := targets.SynapseFormat{WeightBits: s.weightBits}
	n := len(s.chain)
	s.pieces = s.pieces[:0]
	s.layerPieces = make([][2]int, n)
	s.lower = make([]int, n)
	s.binding = make([]string, n)
	s.boundBy = make([]string, n)
	for k, li := range s.chain {
		l := &m.Layers[li]
		out := l.NumOutputs()
		first := len(s.pieces)
		host := plan.host && k == n-1
		for _, c := range plan.cores[k] {
			pc := piece{chain: k, start: c.start, count: c.count}
			if !host {
				pc.axons = c.axons
				pc.bits = int64(c.axons) * s.b.AxonSynapseBits(c.count, f)
			}
			s.pieces = append(s.pieces, pc)
		}
		s.layerPieces[k] = [2]int{first, len(s.pieces)}
		if host {
			s.lower[k], s.binding[k], s.boundBy[k] = 1, "host readout", "host readout"
			continue
		}
		used := make([]uint8, l.NumInputs()) // bit 0: "+" axon, bit 1: "−"
		ir.EachSynapse(l, func(i, _, w int) {
			switch x := l.Weights[w]; {
			case x > 0:
				used[i] |= 1
			case x < 0:
				used[i] |= 2
			}
		})
		pairs := 0
		for _, u := range used {
			pairs += int(u&1) + int(u>>1)
		}
		lbN := ceilDiv(int64(out), int64(t.Core.Neurons))
		lbA := ceilDiv(int64(pairs), int64(t.Core.InputAxons))
		lb := newLowerBound(max(lbN, 1))
		lb.atLeast(lbA, "input axons")
		s.lower[k], s.boundBy[k] = int(lb.cores), lb.by
		// the binding limit: the one that closed most of the layer's cores
		s.binding[k] = "none (one core)"
		full := map[string]int{}
		for _, c := range plan.cores[k] {
			if c.full != "" {
				full[c.full]++
			}
		}
		if len(full) > 0 {
			s.binding[k] = "compartments"
			if full["input axons"] > full["compartments"] {
				s.binding[k] = "input axons"
			}
		}
	}
	// links: the pieces each neuron's spikes go to
	plan.links = make([]map[int]int, len(s.pieces))
	for p := range plan.links {
		plan.links[p] = map[int]int{}
	}
	for k := 0; k+1 < n; k++ {
		a, b := s.layerPieces[k], s.layerPieces[k+1]
		// the piece of each source neuron (by its index)
		srcPiece := make([]int32, m.Layers[s.chain[k]].NumOutputs())
		src := tnRows{order: tnOrder(m, s.chain[k])} // for the mapping order only
		for p := a[0]; p < a[1]; p++ {
			pc := &s.pieces[p]
			for x := pc.start; x < pc.start+pc.count; x++ {
				srcPiece[src.neuron(x)] = int32(p)
			}
		}
		r := floatRows(m, s.chain[k+1])
		stamp := make([]int32, len(srcPiece))
		for i := range stamp {
			stamp[i] = -1
		}
		for q := b[0]; q < b[1]; q++ {
			qc := &s.pieces[q]
			for x := qc.start; x < qc.start+qc.count; x++ {
				for y := r.start[x]; y < r.start[x+1]; y++ {
					if i := r.in[y]; stamp[i] != int32(q) {
						stamp[i] = int32(q)
						plan.links[srcPiece[i]][q]++
					}
				}
			}
		}
		for p := a[0]; p < a[1]; p++ {
			s.pieces[p].routes = 0
			for _, c := range plan.links[p] {
				s.pieces[p].routes += c
			}
		}
	}
	return nil
}

// tnAdjacency is the traffic graph of the split path: piece p to piece q
// weighted by the expected spikes per step of the neurons of p that send
// to q.
func (s *state) tnAdjacency() *adjacency {
	N := len(s.pieces)
	type edge struct {
		to int32
		w  float32
	}
	edges := make([][]edge, N)
	for p, l := range s.splitPlan.links {
		rate := s.rate(s.pieces[p].chain)
		qs := make([]int, 0, len(l))
		for q := range l {
			qs = append(qs, q)
		}
		slices.Sort(qs)
		for _, q := range qs {
			w := float32(rate * float64(l[q]))
			edges[p] = append(edges[p], edge{int32(q), w})
			edges[q] = append(edges[q], edge{int32(p), w})
		}
	}
	adj := &adjacency{start: make([]int32, N+1)}
	for p := 0; p < N; p++ {
		adj.start[p+1] = adj.start[p] + int32(len(edges[p]))
		for _, e := range edges[p] {
			adj.to = append(adj.to, e.to)
			adj.w = append(adj.w, e.w)
		}
	}
	return adj
}

// routeTN lists the routes of the split path: one per linked pair of
// pieces, carrying the neurons of the source piece that send to the target.
func routeTN(s *state) error {
	mp := s.m.Mapping
	var routes []ir.Route
	var traffic float64
	for p, l := range s.splitPlan.links {
		qs := make([]int, 0, len(l))
		for q := range l {
			qs = append(qs, q)
		}
		slices.Sort(qs)
		cp := &mp.Cores[p]
		rate := s.rate(s.pieces[p].chain)
		for _, q := range qs {
			cq := &mp.Cores[q]
			h := s.t.Hops(cp.Chip, cp.X, cp.Y, cq.Chip, cq.X, cq.Y)
			routes = append(routes, ir.Route{From: p, To: q, Hops: h, Axons: l[q]})
			traffic += rate * float64(l[q]) * float64(h)
		}
	}
	mp.Routes = routes
	s.report.SpikeHops = traffic
	if s.splitPlan.host {
		s.report.Notes = append(s.report.Notes, fmt.Sprintf("readout: host-side accumulation of the readout currents; the last core (layer %s) stands for the host interface, not a chip core: %d chip cores, lower bound %d",
			s.m.Layers[s.chain[len(s.chain)-1]].Name, len(s.pieces)-1, sum(s.lower)-1))
	}
	if s.splitPlan.splitLayers > 0 {
		s.report.Notes = append(s.report.Notes, fmt.Sprintf("splitters: %d splitter layer(s), %d splitter neurons (one per source, target core and sign), one tick of latency each",
			s.splitPlan.splitLayers, s.splitPlan.splitNeurons))
	}
	return nil
}

// checkTrueNorth checks what is particular to a TrueNorth model: every
// on-chip neuron's fan-in, its weights against its 4 type weights (and the
// axon's type where the layer fixes them), and on a mapped model that
// every on-chip neuron feeding an on-chip layer targets one core (core
// ranges in the layers' mapping order, see tnOrder).
func checkTrueNorth(m *ir.Model, t *targets.Target) error {
	q := m.Quantized
	types := max(1, t.Core.AxonTypes)
	var chain []int
	for li := range m.Layers {
		if m.Layers[li].HasNeurons() {
			chain = append(chain, li)
		}
	}
	host := func(k int) bool { return k == len(chain)-1 && m.Readout.Kind == ir.ReadoutMeanCurrent }
	for k, li := range chain {
		ql := &q.Layers[li]
		if host(k) || len(ql.TypeWeights) == 0 {
			continue
		}
		l := &m.Layers[li]
		in, out := l.NumInputs(), l.NumOutputs()
		if len(ql.TypeWeights) != types*out || len(ql.Weights) != len(l.Weights) || (len(ql.AxonTypes) != 0 && len(ql.AxonTypes) != in) {
			return fmt.Errorf("compile: check: layer %d (%s): %d type weights, %d weights and %d axon types, want %d, %d and 0 or %d",
				li, l.Name, len(ql.TypeWeights), len(ql.Weights), len(ql.AxonTypes), types*out, len(l.Weights), in)
		}
		nnz := make([]int, out)
		var bad error
		ir.EachSynapse(l, func(i, j, w int) {
			x := ql.Weights[w]
			if x == 0 || bad != nil {
				return
			}
			nnz[j]++
			tw := ql.TypeWeights[types*j : types*(j+1)]
			ok := false
			if len(ql.AxonTypes) == in {
				ok = tw[ql.AxonTypes[i]] == x
			} else {
				ok = slices.Contains(tw, x)
			}
			if !ok {
				bad = fmt.Errorf("compile: check: layer %d (%s): neuron %d's weight %d from input %d is none of its type weights %v", li, l.Name, j, x, i, tw)
			}
		})
		if bad != nil {
			return bad
		}
		for j, c := range nnz {
			if t.Core.FanIn > 0 && c > t.Core.FanIn {
				return fmt.Errorf("compile: check: layer %d (%s): neuron %d has %d inputs, %s allows %d", li, l.Name, j, c, t.Name, t.Core.FanIn)
			}
		}
	}
	mp := m.Mapping
	if mp == nil || t.Core.FanOut != 1 {
		return nil
	}
	for k := 0; k+1 < len(chain); k++ {
		if host(k + 1) {
			continue
		}
		li := chain[k+1]
		next := &m.Layers[li]
		ql := &q.Layers[li]
		r := newTNRows(next, tnOrder(m, li), func(w int) bool { return ql.Weights[w] != 0 })
		coreAt := make([]int32, r.rows()) // core of each mapping position
		for c := range mp.Cores {
			if core := &mp.Cores[c]; core.Layer == li {
				for x := core.NeuronStart; x < core.NeuronStart+core.NeuronCount; x++ {
					coreAt[x] = int32(c)
				}
			}
		}
		target := make([]int32, next.NumInputs())
		for i := range target {
			target[i] = -1
		}
		for x := 0; x < r.rows(); x++ {
			for y := r.start[x]; y < r.start[x+1]; y++ {
				switch i := r.in[y]; target[i] {
				case -1:
					target[i] = coreAt[x]
				case coreAt[x]:
				default:
					return fmt.Errorf("compile: check: layer %d (%s): neuron %d feeds more than one core of layer %d (cores %d and %d), a %s neuron has one target",
						chain[k], m.Layers[chain[k]].Name, i, li, target[i], coreAt[x], t.Name)
				}
			}
		}
	}
	return nil
}

// tnCoreAxons returns the distinct (input, type) axons the neurons of core
// c use, and whether c is the host readout of a TrueNorth model. rows
// caches the quantized synapses of each layer in its mapping order.
func tnCoreAxons(m *ir.Model, c *ir.Core, rows map[int]*tnRows) (int, bool) {
	l := &m.Layers[c.Layer]
	in := l.NumInputs()
	host := c.Layer == len(m.Layers)-1 && m.Readout.Kind == ir.ReadoutMeanCurrent && c.InputAxons == 0 && c.SynapseBits == 0
	var ql *ir.QuantLayer
	if m.Quantized != nil && c.Layer < len(m.Quantized.Layers) {
		ql = &m.Quantized.Layers[c.Layer]
	}
	if ql == nil || len(ql.Weights) != len(l.Weights) {
		return 0, host
	}
	r := rows[c.Layer]
	if r == nil {
		r = newTNRows(l, tnOrder(m, c.Layer), func(w int) bool { return ql.Weights[w] != 0 })
		rows[c.Layer] = r
	}
	used := make([]uint8, in)
	for x := c.NeuronStart; x < min(r.rows(), c.NeuronStart+c.NeuronCount); x++ {
		for y := r.start[x]; y < r.start[x+1]; y++ {
			if ql.Weights[r.w[y]] > 0 {
				used[r.in[y]] |= 1
			} else {
				used[r.in[y]] |= 2
			}
		}
	}
	// with fixed axon types an input is one axon; without (inputs from the
	// host), an input used with both signs is two
	typed := len(ql.AxonTypes) == in
	n := 0
	for _, u := range used {
		switch {
		case u == 3 && !typed:
			n += 2
		case u != 0:
			n++
		}
	}
	return n, host
}
