package compile

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// The recurrent-core plan: a family whose chip is one recurrent population
// with input channels and readout neurons (targets.Capabilities
// .RecurrentCore: Xylo) takes these variants of the passes. The model must
// be one recurrent hidden layer and one dense readout layer; the backend's
// design rules say what else (targets.RecurrentCoreBackend.DesignRules).
//
//	fold       verify the model; the chain is its layers with neurons
//	limits     every design rule the model breaks, one LimitError each
//	quantize   8-bit weights on the grid the training used, bit-shift decays
//	partition  the hidden population and the readout neurons, one piece each
//	place      two cores of the part's 2×1 mesh
//	route      hidden → hidden (recurrent) and hidden → readout
//
// Quantization (quantizeRecurrentCore): with Δ = max|w|/127 over the
// layer's input and recurrent weights (the grid snnc train --target
// trains on, so w/Δ are integers), w8 = round(w/Δ) and a left shift sh,
// the chip's current is I = β_c·(2^sh/Δ)·c of the float model's c (the
// chip decays the current after adding the step's input:
// I[t] = β_c·(I[t−1] + Σw8·2^sh·s) = β_c·(2^sh/Δ)·(β_c·c[t−1] + Σw·s)), so
// the potential is V = β_c·(2^sh/Δ)·u and the threshold ϑ·β_c·2^sh/Δ,
// rounded. sh is the largest (≤ the part's) that keeps the threshold
// ≤ 32767/4 (targets' xylo quantizer): potentials up to 4ϑ fit the 16-bit
// state (beyond, saturation cuts the spike count of a step), and the
// threshold is thousands of units, so that the chip's floored bit-shift
// decays (each up to one unit short of γ·V per step) stay small against
// it. The bound trades the two. It is checked on training data: the
// 16-64r-8 spoken-digit model of snnc train --target xylo-audio2 agrees
// with its float model on 99.31%, 99.50% and 99.62% of its 1,600
// training utterances with the bound at 32767/16, 32767/8 and 32767/4
// (98.50%, 98.75% and 99.50% of its 400 test utterances). The readout
// uses sh = 0 and the largest threshold (its potential is read, not
// fired).

// foldCore checks the model and sets the chain: the layers with neurons.
// Everything else is the design rules' business (limitsCore).
func foldCore(s *state) error {
	if err := ir.Verify(s.m); err != nil {
		return fmt.Errorf("compile: %w", err)
	}
	s.chain = s.chain[:0]
	for i := range s.m.Layers {
		if s.m.Layers[i].HasNeurons() {
			s.chain = append(s.chain, i)
		}
	}
	if len(s.chain) == 0 {
		return fmt.Errorf("compile: the model has no layer with neurons")
	}
	return nil
}

// NetworkOf describes m for a design-rule check (targets.Network).
func NetworkOf(m *ir.Model) *targets.Network {
	n := &targets.Network{Inputs: ir.ShapeSize(m.Input.Shape), Encoding: m.Input.Encoding.String(), Readout: m.Readout.Kind.String()}
	for i := range m.Layers {
		l := &m.Layers[i]
		nl := targets.NetworkLayer{Name: l.Name, Kind: l.Kind.String(), In: l.NumInputs(), Out: l.NumOutputs(), Neurons: l.HasNeurons(),
			Leak: l.Neuron.Leak, CurrentDecay: l.Neuron.CurrentDecay,
			SubtractReset: l.Neuron.Reset == ir.ResetSubtract || l.Neuron.Reset == ir.ResetSubtractMulti, MultiSpike: l.Neuron.Reset == ir.ResetSubtractMulti}
		if l.Kind == ir.KindDense || l.Kind == ir.KindRecurrentDense {
			nl.Weights, nl.Recurrent, nl.Bias = l.Weights, l.Recurrent, l.Bias
		}
		n.Layers = append(n.Layers, nl)
	}
	return n
}

// limitsCore reports every design rule the model breaks, each as a
// LimitError with the retraining remedy.
func limitsCore(s *state) error {
	delays := checkDelays(s) // delay.go; reported with the design rules
	if err := setWeightBits(s); err != nil {
		return withLimits(delays, err)
	}
	rb := s.b.(targets.RecurrentCoreBackend)
	hint := retrainHint(s.t)
	var errs LimitErrors
	for _, v := range rb.DesignRules(NetworkOf(s.m)) {
		e := &LimitError{Layer: v.Layer, Limit: v.Rule, Need: v.Need, Have: v.Have, Unit: v.Unit, Target: s.t.Name, Detail: v.Detail, Hint: hint}
		if v.Layer >= 0 {
			e.LayerName = s.m.Layers[v.Layer].Name
		}
		errs = append(errs, e)
	}
	return withLimits(delays, errs.orNil())
}

// partitionCore makes one piece of the hidden population and one of the
// readout neurons.
func partitionCore(s *state) error {
	m := s.m
	s.pieces = s.pieces[:0]
	s.layerPieces = make([][2]int, len(s.chain))
	s.lower = make([]int, len(s.chain))
	s.binding = make([]string, len(s.chain))
	s.boundBy = make([]string, len(s.chain))
	f := targets.SynapseFormat{WeightBits: s.weightBits}
	for k, li := range s.chain {
		l := &m.Layers[li]
		ql := &m.Quantized.Layers[li]
		nz := 0
		for _, w := range [][]int16{ql.Weights, ql.Recurrent} {
			for _, x := range w {
				if x != 0 {
					nz++
				}
			}
		}
		axons := l.NumInputs()
		if l.Kind == ir.KindRecurrentDense {
			axons += l.NumOutputs()
		}
		routes := len(s.chain) - 1 - k
		if l.Kind == ir.KindRecurrentDense {
			routes++
		}
		s.layerPieces[k] = [2]int{len(s.pieces), len(s.pieces) + 1}
		s.pieces = append(s.pieces, piece{chain: k, start: 0, count: l.NumOutputs(), axons: axons,
			bits: s.b.AxonSynapseBits(nz, f), routes: routes})
		s.lower[k], s.boundBy[k] = 1, "one core"
		s.binding[k] = "hidden population"
		if k == len(s.chain)-1 {
			s.binding[k] = "readout neurons"
		}
	}
	return nil
}

// placeCore puts piece p on core p of the one chip.
func placeCore(s *state) error {
	t := s.t
	if len(s.pieces) > t.Chip.Cores {
		return &LimitError{Layer: -1, Limit: "populations", Need: int64(len(s.pieces)), Have: int64(t.Chip.Cores), Unit: "populations", Target: t.Name}
	}
	s.chips = 1
	s.slot = make([]int, len(s.pieces))
	cores := make([]ir.Core, len(s.pieces))
	for p := range s.pieces {
		pc := &s.pieces[p]
		s.slot[p] = p
		cores[p] = ir.Core{X: p % t.Chip.MeshWidth, Y: p / t.Chip.MeshWidth, Layer: s.chain[pc.chain],
			NeuronStart: pc.start, NeuronCount: pc.count, InputAxons: pc.axons, SynapseBits: pc.bits, OutputRoutes: pc.routes}
	}
	s.m.Mapping = &ir.Mapping{Target: t.Name, Chips: 1, MeshWidth: t.Chip.MeshWidth, MeshHeight: t.Chip.MeshHeight,
		Cores: cores, LowerBoundCores: len(cores)}
	return nil
}

// routeCore lists the hidden population's routes: to itself (a recurrent
// layer) and to the next piece.
func routeCore(s *state) error {
	mp := s.m.Mapping
	var routes []ir.Route
	for p := range s.pieces {
		if s.m.Layers[s.chain[s.pieces[p].chain]].Kind == ir.KindRecurrentDense {
			routes = append(routes, ir.Route{From: p, To: p, Axons: s.pieces[p].count})
		}
		if p+1 < len(s.pieces) {
			routes = append(routes, ir.Route{From: p, To: p + 1, Axons: s.pieces[p].count})
		}
	}
	mp.Routes = routes
	return nil
}

// RecurrentCoreSpec returns the network of a model compiled for a
// recurrent-core family in the chip's formats (the quantized section of a
// recurrent hidden layer and a dense readout, see quantizeRecurrentCore).
func RecurrentCoreSpec(m *ir.Model) (*targets.RecurrentCoreSpec, error) {
	bad := func(format string, a ...any) error { return fmt.Errorf("compile: recurrent core: "+format, a...) }
	if m.Quantized == nil {
		return nil, bad("the model is not quantized")
	}
	var chain []int
	for i := range m.Layers {
		if m.Layers[i].HasNeurons() {
			chain = append(chain, i)
		}
	}
	if len(chain) != 2 || m.Layers[chain[0]].Kind != ir.KindRecurrentDense || m.Layers[chain[1]].Kind != ir.KindDense || len(m.Quantized.Layers) != len(m.Layers) {
		return nil, bad("want a recurrent hidden layer and a dense readout layer")
	}
	hl, ol := &m.Layers[chain[0]], &m.Layers[chain[1]]
	hq, oq := &m.Quantized.Layers[chain[0]], &m.Quantized.Layers[chain[1]]
	in, H, O := hl.NumInputs(), hl.NumOutputs(), ol.NumOutputs()
	if ol.NumInputs() != H || len(hq.Weights) != H*in || len(hq.Recurrent) != H*H || len(oq.Weights) != O*H {
		return nil, bad("layer sizes and quantized weights do not match")
	}
	s := &targets.RecurrentCoreSpec{Inputs: in, Hidden: H, Outputs: O, Synapses: 1,
		WIn: make([]int16, in*H), WRec: make([]int16, H*H), WOut: make([]int16, H*O),
		ShiftIn: int(hq.WeightExponent), ShiftRec: int(hq.WeightExponent), ShiftOut: int(oq.WeightExponent),
		Threshold: make([]int32, H), ThresholdOut: make([]int32, O), DashMem: make([]uint8, H), DashSyn: make([]uint8, H),
		DashMemOut: make([]uint8, O), DashSynOut: make([]uint8, O)}
	dash := func(d int32) (uint8, error) {
		if d < 0 || d > 255 {
			return 0, bad("decay %d is not a bit shift", d)
		}
		return uint8(d), nil
	}
	var err error
	for j := 0; j < H; j++ {
		for i := 0; i < in; i++ {
			s.WIn[i*H+j] = hq.Weights[j*in+i]
		}
		for i := 0; i < H; i++ {
			s.WRec[i*H+j] = hq.Recurrent[j*H+i]
		}
		s.Threshold[j] = hq.Threshold
		if s.DashMem[j], err = dash(hq.DecayV); err != nil {
			return nil, err
		}
		if s.DashSyn[j], err = dash(hq.DecayU); err != nil {
			return nil, err
		}
	}
	for o := 0; o < O; o++ {
		for i := 0; i < H; i++ {
			s.WOut[i*O+o] = oq.Weights[o*H+i]
		}
		s.ThresholdOut[o] = oq.Threshold
		if s.DashMemOut[o], err = dash(oq.DecayV); err != nil {
			return nil, err
		}
		if s.DashSynOut[o], err = dash(oq.DecayU); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// checkRecurrentCore checks a recurrent-core mapping: one chip, the
// part's mesh, one core per population in chain order with the figures
// partitionCore records, and the routes routeCore lists.
func checkRecurrentCore(m *ir.Model, t *targets.Target, fail func(string, ...any) error) error {
	mp := m.Mapping
	if mp == nil {
		return nil
	}
	s := &state{m: m, t: t, b: t.Backend(), weightBits: m.Quantized.WeightBits}
	if err := foldCore(s); err != nil {
		return err
	}
	if err := partitionCore(s); err != nil {
		return err
	}
	if mp.Chips != 1 || mp.MeshWidth != t.Chip.MeshWidth || mp.MeshHeight != t.Chip.MeshHeight || len(mp.Cores) != len(s.pieces) {
		return fail("%d cores on %d chip(s) of %d×%d, want %d populations on one %d×%d chip", len(mp.Cores), mp.Chips, mp.MeshWidth, mp.MeshHeight,
			len(s.pieces), t.Chip.MeshWidth, t.Chip.MeshHeight)
	}
	for p, pc := range s.pieces {
		c := &mp.Cores[p]
		if c.Layer != s.chain[pc.chain] || c.NeuronStart != 0 || c.NeuronCount != pc.count || c.InputAxons != pc.axons || c.SynapseBits != pc.bits || c.OutputRoutes != pc.routes {
			return fail("core %d records layer %d, %d neurons, %d axons, %d bits, %d routes; the population needs layer %d, %d, %d, %d, %d",
				p, c.Layer, c.NeuronCount, c.InputAxons, c.SynapseBits, c.OutputRoutes, s.chain[pc.chain], pc.count, pc.axons, pc.bits, pc.routes)
		}
	}
	s.m = &ir.Model{Layers: m.Layers, Mapping: &ir.Mapping{}}
	if err := routeCore(s); err != nil {
		return err
	}
	if len(s.m.Mapping.Routes) != len(mp.Routes) {
		return fail("%d routes, the populations have %d", len(mp.Routes), len(s.m.Mapping.Routes))
	}
	for r, rt := range s.m.Mapping.Routes {
		if mp.Routes[r] != rt {
			return fail("route %d is %+v, want %+v", r, mp.Routes[r], rt)
		}
	}
	return nil
}
