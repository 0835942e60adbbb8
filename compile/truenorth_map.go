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
// dense pipeline (quantizeTrueNorth). Anything larger takes this path, which
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
//   - cores: every on-chip layer's neurons are packed in order into cores
//     of at most Core.Neurons neurons and Core.InputAxons distinct (input,
//     sign) axons (greedy, contiguous ranges).
//   - splitters: a neuron has exactly one target (core, axon). Where a
//     neuron of layer A feeds several (core, sign) axons of layer B, a
//     splitter layer A.split is inserted: one splitter neuron per (source,
//     target core, sign), weight 1 and threshold 1 (it fires exactly when its
//     source fires, one tick later), the copies of a source packed on one
//     core; B's inputs become the copies, each with a fixed axon type. The
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
}

// limitsPass is the limits pass: the per-neuron limits of the target
// (checkLimits); on TrueNorth a model that fails them may still fit the
// split path, which then plans the cores and inserts splitter layers.
func limitsPass(s *state) error {
	err := checkLimits(s)
	if err == nil || s.t.Family != "truenorth" {
		return err
	}
	var le *LimitError
	if !errors.As(err, &le) {
		return err
	}
	if err := checkTrueNorthSplit(s); err != nil {
		return err
	}
	return planTrueNorth(s)
}

// checkTrueNorthSplit checks the limits of the split path (see tnPlan) and
// reports every violation.
func checkTrueNorthSplit(s *state) error {
	m, t := s.m, s.t
	hint := fmt.Sprintf("retrain with snnc train --target %s", t.Name)
	var errs []error
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
		in, out := l.NumInputs(), l.NumOutputs()
		if k == 0 && s.hostInput {
			add(li, &LimitError{Limit: "direct-current input", Need: 1, Have: 0,
				Detail: fmt.Sprintf("direct-current input needs a per-sample bias per neuron, %s has none", t.Name),
				Hint:   "feed spikes (rate or event encoding) or " + hint})
		}
		if s.isReadout(k) {
			continue // host-side readout
		}
		worst, worstJ := 0, 0
		typesJ, pos, neg := -1, 0, 0
		for j := 0; j < out; j++ {
			row := l.Weights[j*in : (j+1)*in]
			nnz := 0
			var p, n []float32
			for _, w := range row {
				switch {
				case w > 0:
					nnz++
					if !slices.Contains(p, w) {
						p = append(p, w)
					}
				case w < 0:
					nnz++
					if !slices.Contains(n, w) {
						n = append(n, w)
					}
				}
			}
			if nnz > worst {
				worst, worstJ = nnz, j
			}
			if (len(p) > 1 || len(n) > 1) && len(p)+len(n) > pos+neg {
				typesJ, pos, neg = j, len(p), len(n)
			}
		}
		if int64(worst) > fanIn {
			add(li, &LimitError{Limit: "input axons per neuron", Need: int64(worst), Have: fanIn, Unit: "axons",
				Detail: fmt.Sprintf("fan-in: a neuron needs %d input axons, a %s core has %d (neuron %d has %d non-zero inputs)", worst, t.Name, fanIn, worstJ, worst)})
		}
		if typesJ >= 0 {
			add(li, &LimitError{Limit: "axon types", Need: int64(pos + neg), Have: 2, Unit: "weight values per sign",
				Detail: fmt.Sprintf("axon types: neuron %d has %d distinct positive and %d distinct negative weights; split over cores, a %s neuron can have one of each (inputs on a '+' and a '−' typed axon, trinary weights as EEDN's)",
					typesJ, pos, neg, t.Name)})
		}
		if t.Leak == "linear" && l.Neuron.Leak != 1 {
			add(li, &LimitError{Limit: "multiplicative leak", Need: 1, Have: 0,
				Detail: fmt.Sprintf("leak γ = %g is multiplicative, %s has a linear leak only (γ must be 1)", l.Neuron.Leak, t.Name)})
		}
	}
	return errors.Join(errs...)
}

// axonKey is one axon of a core: an input and its sign type (0: +, 1: −).
type axonKey struct {
	in   int32
	sign uint8
}

// packCores packs the neurons of an out×in weight matrix, in order, into
// cores of at most maxN neurons and maxA distinct (input, sign) axons.
func packCores(w []float32, in, out, maxN, maxA int) []tnCore {
	var cores []tnCore
	used := map[axonKey]bool{}
	cur := tnCore{}
	var keys []axonKey
	for j := 0; j < out; j++ {
		keys = keys[:0]
		for i, x := range w[j*in : (j+1)*in] {
			if x != 0 {
				k := axonKey{int32(i), 0}
				if x < 0 {
					k.sign = 1
				}
				keys = append(keys, k)
			}
		}
		extra := 0
		for _, k := range keys {
			if !used[k] {
				extra++
			}
		}
		if cur.count > 0 && (cur.count+1 > maxN || len(used)+extra > maxA) {
			cur.axons = len(used)
			cores = append(cores, cur)
			cur = tnCore{start: j}
			clear(used)
		}
		for _, k := range keys {
			used[k] = true
		}
		cur.count++
	}
	if cur.count > 0 {
		cur.axons = len(used)
		cores = append(cores, cur)
	}
	return cores
}

// planTrueNorth packs every on-chip layer into cores and inserts splitter
// layers where a neuron would need more than one target. It rewrites s.m
// (a new Layers slice; the input model's layers are not modified) and
// s.chain.
func planTrueNorth(s *state) error {
	m, t := s.m, s.t
	maxN, maxA := t.Core.Neurons, t.Core.InputAxons
	plan := &tnPlan{host: s.m.Readout.Kind == ir.ReadoutMeanCurrent}
	n := len(s.chain)
	cores := make([][]tnCore, n)
	for k, li := range s.chain {
		l := &m.Layers[li]
		if plan.host && k == n-1 {
			cores[k] = []tnCore{{start: 0, count: l.NumOutputs()}}
			continue
		}
		cores[k] = packCores(l.Weights, l.NumInputs(), l.NumOutputs(), maxN, maxA)
	}
	layers := make([]ir.Layer, 0, len(m.Layers)+n)
	var chain []int
	var planCores [][]tnCore
	prevChain := -1 // chain index of the previous layer with neurons
	for li := range m.Layers {
		l := m.Layers[li]
		k := slices.Index(s.chain, li)
		if k < 0 {
			layers = append(layers, l)
			continue
		}
		if prevChain >= 0 && !(plan.host && k == n-1) {
			// targets of each source neuron: (core of this layer, sign)
			src := &m.Layers[s.chain[prevChain]]
			in, out := l.NumInputs(), l.NumOutputs()
			type dest struct {
				core int
				sign uint8
			}
			dests := make([][]dest, in)
			coreOf := make([]int, out)
			for c, co := range cores[k] {
				for j := co.start; j < co.start+co.count; j++ {
					coreOf[j] = c
				}
			}
			need := false
			for j := 0; j < out; j++ {
				for i, x := range l.Weights[j*in : (j+1)*in] {
					if x == 0 {
						continue
					}
					d := dest{coreOf[j], 0}
					if x < 0 {
						d.sign = 1
					}
					if !slices.Contains(dests[i], d) {
						dests[i] = append(dests[i], d)
						if len(dests[i]) > 1 {
							need = true
						}
					}
				}
			}
			if need {
				for i := range dests {
					slices.SortFunc(dests[i], func(a, b dest) int {
						if a.core != b.core {
							return a.core - b.core
						}
						return int(a.sign) - int(b.sign)
					})
				}
				// the splitter layer: copy index per (source, dest)
				first := make([]int, in+1)
				for i := range dests {
					first[i+1] = first[i] + len(dests[i])
				}
				copies := first[in]
				sw := make([]float32, copies*in)
				for i := 0; i < in; i++ {
					for c := first[i]; c < first[i+1]; c++ {
						sw[c*in+i] = 1
					}
				}
				sl := ir.Layer{Name: src.Name + ".split", Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{copies},
					Weights: sw, Bias: make([]float32, copies), Neuron: ir.LIF{Leak: 1, Threshold: 1, Reset: ir.ResetZero}}
				// splitter cores: whole sources, ≤ maxN copies and ≤ maxA sources
				var sc []tnCore
				cur := tnCore{}
				for i := 0; i < in; i++ {
					nc := len(dests[i])
					if nc == 0 {
						continue
					}
					if cur.count > 0 && (cur.count+nc > maxN || cur.axons+1 > maxA) {
						sc = append(sc, cur)
						cur = tnCore{start: first[i]}
					}
					if cur.count == 0 {
						cur.start = first[i]
					}
					cur.count += nc
					cur.axons++
				}
				if cur.count > 0 {
					sc = append(sc, cur)
				}
				if copies == 0 {
					return fmt.Errorf("compile: layer %d (%s): no synapses from the previous layer", li, l.Name)
				}
				// the consumer takes the copies as its inputs
				nw := make([]float32, out*copies)
				for j := 0; j < out; j++ {
					for i, x := range l.Weights[j*in : (j+1)*in] {
						if x == 0 {
							continue
						}
						d := dest{coreOf[j], 0}
						if x < 0 {
							d.sign = 1
						}
						c := first[i] + slices.Index(dests[i], d)
						nw[j*copies+c] = x
					}
				}
				l.Weights = nw
				l.InShape = []int{copies}
				chain = append(chain, len(layers))
				planCores = append(planCores, sc)
				layers = append(layers, sl)
				plan.splitLayers++
				plan.splitNeurons += copies
			}
		}
		chain = append(chain, len(layers))
		planCores = append(planCores, cores[k])
		layers = append(layers, l)
		prevChain = k
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
	s.tn = plan
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
		ql := ir.QuantLayer{Reset: ir.ResetZero}
		var sc float64
		if s.isReadout(k) {
			sc = 1
			if st.maxAbs > 0 {
				sc = wmax / float64(st.maxAbs)
			}
			ql.Threshold = int32(thrMax)
			ql.Reset = ir.ResetNone
		} else {
			theta := float64(l.Neuron.Threshold)
			sc = math.Ldexp(1, 20)
			for sc > 1/1024.0 && (float64(st.maxAbs)*sc > wmax || st.maxBias*sc > bmax || math.Ceil(theta*sc-1e-9) > thrMax) {
				sc /= 2
			}
			ql.Threshold = int32(max(1, math.Ceil(theta*sc-1e-9)))
		}
		ql.Scale = float32(sc)
		ql.Weights = make([]int16, len(l.Weights))
		parallelRows(out, func(j0, j1 int) {
			targets.EncodeWeights(ql.Weights[j0*in:j1*in], l.Weights[j0*in:j1*in], float32(sc), 1, int32(wmax))
		})
		ql.Bias = make([]int32, out)
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
			ql.TypeWeights = make([]int16, types*out)
			for j := 0; j < out; j++ {
				for _, w := range ql.Weights[j*in : (j+1)*in] {
					switch {
					case w > 0:
						ql.TypeWeights[types*j] = w
					case w < 0 && types > 1:
						ql.TypeWeights[types*j+1] = w
					}
				}
			}
			ql.AxonTypes = make([]uint8, in)
			for j := 0; j < out; j++ {
				for i, w := range ql.Weights[j*in : (j+1)*in] {
					if w < 0 {
						ql.AxonTypes[i] = 1
					}
				}
			}
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
	plan := s.tn
	f := targets.SynapseFormat{WeightBits: s.weightBits}
	n := len(s.chain)
	s.pieces = s.pieces[:0]
	s.layerPieces = make([][2]int, n)
	s.lower = make([]int, n)
	s.binding = make([]string, n)
	for k, li := range s.chain {
		l := &m.Layers[li]
		in, out := l.NumInputs(), l.NumOutputs()
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
			s.lower[k], s.binding[k] = 1, "host readout"
			continue
		}
		pairs := map[axonKey]bool{}
		for j := 0; j < out; j++ {
			for i, x := range l.Weights[j*in : (j+1)*in] {
				if x != 0 {
					key := axonKey{int32(i), 0}
					if x < 0 {
						key.sign = 1
					}
					pairs[key] = true
				}
			}
		}
		lbN := ceilDiv(int64(out), int64(t.Core.Neurons))
		lbA := ceilDiv(int64(len(pairs)), int64(t.Core.InputAxons))
		s.lower[k] = int(max(lbN, lbA, 1))
		switch {
		case len(plan.cores[k]) == 1:
			s.binding[k] = "none (one core)"
		case lbA >= lbN:
			s.binding[k] = "input axons"
		default:
			s.binding[k] = "compartments"
		}
	}
	// links: the pieces each neuron's spikes go to
	plan.links = make([]map[int]int, len(s.pieces))
	for p := range plan.links {
		plan.links[p] = map[int]int{}
	}
	for k := 0; k+1 < n; k++ {
		a, b := s.layerPieces[k], s.layerPieces[k+1]
		next := &m.Layers[s.chain[k+1]]
		in := next.NumInputs()
		for p := a[0]; p < a[1]; p++ {
			pc := &s.pieces[p]
			for i := pc.start; i < pc.start+pc.count; i++ {
				for q := b[0]; q < b[1]; q++ {
					qc := &s.pieces[q]
					hit := false
					for j := qc.start; j < qc.start+qc.count && !hit; j++ {
						hit = next.Weights[j*in+i] != 0
					}
					if hit {
						plan.links[p][q]++
					}
				}
			}
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
	for p, l := range s.tn.links {
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
	for p, l := range s.tn.links {
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
	if s.tn.host {
		s.report.Notes = append(s.report.Notes, fmt.Sprintf("readout: host-side accumulation of the readout currents; the last core (layer %s) stands for the host interface, not a chip core: %d chip cores, lower bound %d",
			s.m.Layers[s.chain[len(s.chain)-1]].Name, len(s.pieces)-1, sum(s.lower)-1))
	}
	if s.tn.splitLayers > 0 {
		s.report.Notes = append(s.report.Notes, fmt.Sprintf("splitters: %d splitter layer(s), %d splitter neurons (one per source, target core and sign), one tick of latency each",
			s.tn.splitLayers, s.tn.splitNeurons))
	}
	return nil
}

// checkTrueNorth checks what is particular to a TrueNorth model: every
// on-chip neuron's fan-in, its weights against its 4 type weights (and the
// axon's type where the layer fixes them), and on a mapped model that
// every on-chip neuron feeding an on-chip layer targets one core.
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
		for j := 0; j < out; j++ {
			tw := ql.TypeWeights[types*j : types*(j+1)]
			nnz := 0
			for i, w := range ql.Weights[j*in : (j+1)*in] {
				if w == 0 {
					continue
				}
				nnz++
				ok := false
				if len(ql.AxonTypes) == in {
					ok = tw[ql.AxonTypes[i]] == w
				} else {
					ok = slices.Contains(tw, w)
				}
				if !ok {
					return fmt.Errorf("compile: check: layer %d (%s): neuron %d's weight %d from input %d is none of its type weights %v", li, l.Name, j, w, i, tw)
				}
			}
			if t.Core.FanIn > 0 && nnz > t.Core.FanIn {
				return fmt.Errorf("compile: check: layer %d (%s): neuron %d has %d inputs, %s allows %d", li, l.Name, j, nnz, t.Name, t.Core.FanIn)
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
		next := &m.Layers[chain[k+1]]
		in := next.NumInputs()
		var cores []*ir.Core
		for c := range mp.Cores {
			if mp.Cores[c].Layer == chain[k+1] {
				cores = append(cores, &mp.Cores[c])
			}
		}
		for i := 0; i < in; i++ {
			targetsHit := 0
			for _, c := range cores {
				for j := c.NeuronStart; j < c.NeuronStart+c.NeuronCount; j++ {
					if next.Weights[j*in+i] != 0 {
						targetsHit++
						break
					}
				}
			}
			if targetsHit > 1 {
				return fmt.Errorf("compile: check: layer %d (%s): neuron %d feeds %d cores of layer %d, a %s neuron has one target",
					chain[k], m.Layers[chain[k]].Name, i, targetsHit, chain[k+1], t.Name)
			}
		}
	}
	return nil
}

// tnCoreAxons returns the distinct (input, type) axons the neurons of core
// c use, and whether c is the host readout of a TrueNorth model.
func tnCoreAxons(m *ir.Model, c *ir.Core) (int, bool) {
	l := &m.Layers[c.Layer]
	in := l.NumInputs()
	host := c.Layer == len(m.Layers)-1 && m.Readout.Kind == ir.ReadoutMeanCurrent && c.InputAxons == 0 && c.SynapseBits == 0
	var ql *ir.QuantLayer
	if m.Quantized != nil && c.Layer < len(m.Quantized.Layers) {
		ql = &m.Quantized.Layers[c.Layer]
	}
	if ql == nil || len(ql.Weights) != in*l.NumOutputs() {
		return 0, host
	}
	used := make([]uint8, in)
	for j := c.NeuronStart; j < c.NeuronStart+c.NeuronCount; j++ {
		for i, w := range ql.Weights[j*in : (j+1)*in] {
			switch {
			case w > 0:
				used[i] |= 1
			case w < 0:
				used[i] |= 2
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
