package compile

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// verify is the pipeline's check of its own result.
func verify(s *state) error { return Check(s.m, s.t) }

// Check verifies a compiled model against its target: ir.Verify, then the
// compiler's invariants — every quantized value in its field's range and on
// the weight grid, every core within every per-core limit with its synaptic
// memory recomputed from the cost model (population axons for Loihi conv
// layers), output routes (× their output-axon slots: 2 per pop32, 1 per
// pop16 axon into a Loihi conv layer, the kind read off the layer's cores,
// see convpop.go) within
// the limit and equal to the routes
// leaving the core, hops equal to the target's distance, positions inside
// the chips, and the lower bound not above the cores used. A model with a
// quantized section but no mapping is checked as far as it goes.
func Check(m *ir.Model, t *targets.Target) error {
	if err := ir.Verify(m); err != nil {
		return fmt.Errorf("compile: check: %w", err)
	}
	q := m.Quantized
	if q == nil {
		return nil
	}
	fail := func(format string, a ...any) error {
		return fmt.Errorf("compile: check: "+format, a...)
	}
	if q.Target != t.Name {
		return fail("quantized for %q, checking against %q", q.Target, t.Name)
	}
	b := t.Backend()
	caps := b.Capabilities()
	step, mmax, err := b.WeightGrid(q.WeightBits)
	if err != nil {
		return fail("%v", err)
	}
	bits := t.Bits
	biasMax := int32(1)<<(bits.Bias-1) - 1
	vthMax := int32(1)<<bits.Threshold - 1
	for li := range m.Layers {
		if !m.Layers[li].HasNeurons() {
			continue
		}
		ql := &q.Layers[li]
		name := m.Layers[li].Name
		if i := offGrid(ql.Weights, step, mmax); i >= 0 {
			return fail("layer %d (%s): weight %d is %d, off the %d-bit grid (step %d, |w| ≤ %d)", li, name, i, ql.Weights[i], q.WeightBits, step, mmax)
		}
		if i := offGrid(ql.Recurrent, step, mmax); i >= 0 {
			return fail("layer %d (%s): recurrent weight %d is %d, off the %d-bit grid (step %d, |w| ≤ %d)", li, name, i, ql.Recurrent[i], q.WeightBits, step, mmax)
		}
		if e := int(ql.WeightExponent); e < bits.WeightExpMin || e > bits.WeightExpMax {
			return fail("layer %d (%s): weight exponent %d outside [%d, %d]", li, name, e, bits.WeightExpMin, bits.WeightExpMax)
		}
		if ql.Threshold < 0 || ql.Threshold > vthMax {
			return fail("layer %d (%s): threshold %d outside 0..%d", li, name, ql.Threshold, vthMax)
		}
		if be := int(ql.BiasExponent); be < 0 || be > bits.BiasExponentMax {
			return fail("layer %d (%s): bias exponent %d outside 0..%d", li, name, be, bits.BiasExponentMax)
		}
		for j, x := range ql.Bias {
			if x > biasMax || x < -biasMax {
				return fail("layer %d (%s): bias %d is %d, outside ±%d", li, name, j, x, biasMax)
			}
			if ql.BiasAxon() && (x%step != 0 || x > mmax || x < -mmax) {
				return fail("layer %d (%s): bias-axon weight %d is %d, off the %d-bit grid (step %d, |w| ≤ %d)", li, name, j, x, q.WeightBits, step, mmax)
			}
		}
		if ql.BiasAxon() && ql.BiasExponent != 0 {
			return fail("layer %d (%s): a bias axon's weights have no bias exponent (%d)", li, name, ql.BiasExponent)
		}
		if !(ql.Scale > 0) {
			return fail("layer %d (%s): scale %v, want > 0", li, name, ql.Scale)
		}
		if ql.DecayU < 0 || ql.DecayU > 4096 || ql.DecayV < 0 || ql.DecayV > 4096 {
			return fail("layer %d (%s): decays %d/%d outside 0..4096", li, name, ql.DecayU, ql.DecayV)
		}
	}
	if rb, ok := b.(targets.RecurrentCoreBackend); ok && caps.RecurrentCore {
		spec, err := RecurrentCoreSpec(m)
		if err != nil {
			return fail("%v", err)
		}
		if _, err := rb.NewCore(spec); err != nil {
			return fail("%v", err)
		}
		return checkRecurrentCore(m, t, fail)
	}
	if caps.Splitters {
		if err := checkTrueNorth(m, t); err != nil {
			return err
		}
	}
	mp := m.Mapping
	if mp == nil {
		return nil
	}
	if mp.MeshWidth != t.Chip.MeshWidth || mp.MeshHeight != t.Chip.MeshHeight {
		return fail("mesh %d×%d, target has %d×%d", mp.MeshWidth, mp.MeshHeight, t.Chip.MeshWidth, t.Chip.MeshHeight)
	}
	if mp.Chips > t.Chip.MaxChips {
		return fail("%d chips, %s systems have at most %d", mp.Chips, t.Name, t.Chip.MaxChips)
	}
	if mp.LowerBoundCores < 1 || mp.LowerBoundCores > len(mp.Cores) {
		return fail("lower bound %d, want 1..%d (cores used)", mp.LowerBoundCores, len(mp.Cores))
	}
	f := targets.SynapseFormat{WeightBits: q.WeightBits}
	routesOut := make([]int64, len(mp.Cores))
	for r := range mp.Routes {
		rt := &mp.Routes[r]
		a, c := &mp.Cores[rt.From], &mp.Cores[rt.To]
		if h := t.Hops(a.Chip, a.X, a.Y, c.Chip, c.X, c.Y); h != rt.Hops {
			return fail("route %d has %d hops, the mesh distance is %d", r, rt.Hops, h)
		}
		if rt.Axons < 1 || rt.Axons > a.NeuronCount {
			return fail("route %d carries %d axons from a core of %d neurons", r, rt.Axons, a.NeuronCount)
		}
		routesOut[rt.From] += int64(rt.Axons)
	}
	firstNeurons := -1
	for li := range m.Layers {
		if m.Layers[li].HasNeurons() {
			firstNeurons = li
			break
		}
	}
	// a direct-current first layer is fed by the host's bias, unless its
	// input is graded (on-chip synapses, graded.go)
	host := m.Input.Encoding == ir.EncodingDirect && t.HostBias && firstNeurons >= 0 &&
		m.Quantized.Layers[firstNeurons].InputPayloadBits == 0
	tnRowCache := map[int]*tnRows{}
	costs := newConvCosts(t, f)
	// The population axon kind of a Loihi conv layer with on-chip input is
	// not stored: the layer is fed by pop16 axons if they are allowed and
	// every core of the layer records the pop16 figures within the pop16
	// axon limit (see convpop.go), by pop32 axons otherwise. slots[li] is
	// the output-axon slots of a route from layer li.
	pop16 := map[int]bool{}
	if caps.PopulationAxons {
		ok := map[int]bool{}
		for li := range m.Layers {
			l := &m.Layers[li]
			ok[li] = l.Kind == ir.KindConv2D && l.HasNeurons() && !(li == firstNeurons && host) && pop16Allowed(b, l)
		}
		for c := range mp.Cores {
			core := &mp.Cores[c]
			if !ok[core.Layer] {
				continue
			}
			ax, bits := costs.cost(&m.Layers[core.Layer], core.NeuronStart, core.NeuronCount, true)
			if q.Layers[core.Layer].BiasAxon() {
				bits += b.AxonSynapseBits(core.NeuronCount, f)
				if ax+1 != core.InputAxons {
					ok[core.Layer] = false
				}
			} else if ax != core.InputAxons {
				ok[core.Layer] = false
			}
			if bits != core.SynapseBits || ax > popFormats(b).Pop16MaxAxons {
				ok[core.Layer] = false
			}
		}
		for li, v := range ok {
			if v {
				pop16[li] = true
			}
		}
	}
	slots := map[int]int{}
	prev := -1
	for li := range m.Layers {
		if !m.Layers[li].HasNeurons() {
			continue
		}
		if prev >= 0 {
			slots[prev] = 1
			if caps.PopulationAxons && m.Layers[li].Kind == ir.KindConv2D {
				slots[prev] = popSlots(b, pop16[li])
			}
		}
		prev = li
	}
	for c := range mp.Cores {
		core := &mp.Cores[c]
		l := &m.Layers[core.Layer]
		in := l.NumInputs()
		if l.Kind == ir.KindRecurrentDense {
			in += l.NumOutputs() // the layer's own neurons (temporal.go)
		}
		if q.Layers[core.Layer].BiasAxon() {
			in++
		}
		wantAxons, wantBits := in, denseAxonBits(b, l, in, core.NeuronCount, f, false)
		if l.Kind == ir.KindConv2D {
			wantAxons, wantBits = costs.cost(l, core.NeuronStart, core.NeuronCount, pop16[core.Layer])
			if q.Layers[core.Layer].BiasAxon() {
				wantAxons++
				wantBits += b.AxonSynapseBits(core.NeuronCount, f)
			}
		}
		coreSlots := max(1, slots[core.Layer])
		if core.Layer == firstNeurons && host {
			wantAxons, wantBits = 0, 0
		}
		if caps.Splitters {
			// sparse cores record the axons their neurons use (typed
			// copies); the host readout records none
			need, hostReadout := tnCoreAxons(m, core, tnRowCache)
			switch {
			case hostReadout:
				wantAxons, wantBits = 0, 0
			case need <= core.InputAxons:
				wantAxons, wantBits = core.InputAxons, int64(core.InputAxons)*b.AxonSynapseBits(core.NeuronCount, delayFormat(f, l))
			default:
				return fail("core %d records %d input axons, its neurons use %d", c, core.InputAxons, need)
			}
		}
		switch {
		case core.NeuronCount > t.Core.Neurons:
			return fail("core %d holds %d neurons, a core has %d compartments", c, core.NeuronCount, t.Core.Neurons)
		case core.InputAxons > t.Core.InputAxons:
			return fail("core %d uses %d input axons, a core has %d", c, core.InputAxons, t.Core.InputAxons)
		case core.SynapseBits > t.Core.SynapseBits:
			return fail("core %d uses %d bits of synaptic memory, a core has %d", c, core.SynapseBits, t.Core.SynapseBits)
		case int64(core.OutputRoutes)*int64(coreSlots) > int64(t.Core.OutputRoutes):
			return fail("core %d uses %d output routes × %d output-axon slots, a core has %d slots", c, core.OutputRoutes, coreSlots, t.Core.OutputRoutes)
		case core.InputAxons != wantAxons:
			return fail("core %d records %d input axons, its layer needs %d", c, core.InputAxons, wantAxons)
		case core.SynapseBits != wantBits:
			return fail("core %d records %d synapse bits, the cost model gives %d", c, core.SynapseBits, wantBits)
		case int64(core.OutputRoutes) != routesOut[c]:
			return fail("core %d records %d output routes, its routes carry %d", c, core.OutputRoutes, routesOut[c])
		}
	}
	return nil
}

// offGrid returns the index of a weight not a multiple of step in
// [−mmax, mmax], or -1; rows are checked in parallel.
func offGrid(w []int16, step, mmax int32) int {
	const chunk = 1 << 16
	n := (len(w) + chunk - 1) / chunk
	bad := make([]int, n)
	parallelRows(n, func(c0, c1 int) {
		for c := c0; c < c1; c++ {
			bad[c] = -1
			lo, hi := c*chunk, min(len(w), (c+1)*chunk)
			for i, x := range w[lo:hi] {
				v := int32(x)
				if v%step != 0 || v > mmax || v < -mmax {
					bad[c] = lo + i
					break
				}
			}
		}
	})
	for _, b := range bad {
		if b >= 0 {
			return b
		}
	}
	return -1
}
