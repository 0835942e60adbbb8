package compile

import (
	"fmt"
	"slices"

	"github.com/snnc/snnc/ir"

	"github.com/snnc/snnc/targets"
)

// partition splits every layer into contiguous pieces of neurons, one per
// core, under all per-core limits at once:
//
//	compartments     count ≤ Core.Neurons
//	input axons      In ≤ Core.InputAxons (dense: every input drives every neuron)
//	synaptic memory  In·AxonSynapseBits(count) ≤ Core.SynapseBits
//	output routes    count·(cores of the next layer)·slots ≤ Core.OutputRoutes
//	                 (slots: 2 per pop32 axon into a Loihi conv layer, else 1)
//	synapse formats  1 per core (one layer, one precision and exponent)
//
// The largest count satisfying them all gives the fewest pieces of the layer,
// which are then balanced. Output routes couple a layer to the next one's
// core count, so layers are partitioned from last to first; every layer uses
// as few cores as it can, which also loosens the previous layer's routes.
//
// The lower bound of a layer is the largest, over the limits, of
// ⌈need/have⌉ with need counted for the whole layer (synaptic memory at the
// target's MinAxonSynapseBits, output routes against the next layer's lower
// bound).
func partition(s *state) error {
	if s.tn != nil {
		return partitionTN(s)
	}
	t, m := s.t, s.m
	n := len(s.chain)
	f := targets.SynapseFormat{WeightBits: s.weightBits}
	counts := make([]int, n)
	s.lower = make([]int, n)
	s.binding = make([]string, n)
	maxPer := make([]int, n)
	convSizes := make([][]int, n)       // piece sizes of conv layers (see partitionConv)
	convRouteSums := make([][]int64, n) // exact output routes of a conv layer before a conv layer
	for k := n - 1; k >= 0; k-- {
		li := s.chain[k]
		l := &m.Layers[li]
		in, out := l.NumInputs(), l.NumOutputs()
		onChip := s.onChipInput(k)
		pNext, lbNext := 0, 0
		slots := int64(s.routeSlots(k))
		if k+1 < n {
			pNext, lbNext = counts[k+1], s.lower[k+1]
		}
		if l.Kind == ir.KindConv2D {
			var routes []int64
			if k+1 < n && convSizes[k+1] != nil {
				routes = s.convRoutes(k, convSizes[k+1])
				convRouteSums[k] = routes
			}
			sizes, lb, why, err := s.partitionConv(k, l, pNext, lbNext, routes)
			if err != nil {
				return err
			}
			convSizes[k], counts[k], s.lower[k], s.binding[k] = sizes, len(sizes), lb, why
			maxPer[k] = slices.Max(sizes)
			continue
		}
		mem := func(c int) int64 {
			if !onChip {
				return 0
			}
			return int64(in) * s.b.AxonSynapseBits(c, f)
		}
		fail := func(c int) string {
			switch {
			case c > t.Core.Neurons:
				return "compartments"
			case mem(c) > t.Core.SynapseBits:
				return "synaptic memory"
			case int64(c)*int64(pNext)*slots > int64(t.Core.OutputRoutes):
				return "output routes"
			}
			return ""
		}
		if why := fail(1); why != "" {
			e := &LimitError{Layer: li, LayerName: l.Name, Limit: why, Target: t.Name}
			switch why {
			case "synaptic memory":
				e.Need, e.Have, e.Unit = mem(1), t.Core.SynapseBits, "bits per neuron"
			case "output routes":
				e.Need, e.Have, e.Unit = int64(pNext)*slots, int64(t.Core.OutputRoutes), "output-axon slots per neuron"
			default:
				e.Need, e.Have, e.Unit = 1, int64(t.Core.Neurons), "compartments"
			}
			return e
		}
		// largest c in [1, min(Neurons, out)] that fits (fail is monotone)
		lo, hi := 1, min(t.Core.Neurons, out)
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if fail(mid) == "" {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		maxPer[k] = lo
		counts[k] = (out + lo - 1) / lo
		switch {
		case lo == out:
			s.binding[k] = "none (one core)"
		default:
			s.binding[k] = fail(lo + 1)
		}
		// lower bound
		lb := ceilDiv(int64(out), int64(t.Core.Neurons))
		if onChip {
			lb = max(lb, ceilDiv(int64(in), int64(t.Core.InputAxons)))
			lb = max(lb, ceilDiv(int64(in)*s.b.MinAxonSynapseBits(out, f), t.Core.SynapseBits))
		}
		lb = max(lb, ceilDiv(int64(out)*int64(lbNext)*slots, int64(t.Core.OutputRoutes)))
		s.lower[k] = int(lb)
	}
	s.pieces = s.pieces[:0]
	s.layerPieces = make([][2]int, n)
	costs := newConvCosts(t, f)
	for k, li := range s.chain {
		l := &m.Layers[li]
		in, out := l.NumInputs(), l.NumOutputs()
		P := counts[k]
		pNext := 0
		if k+1 < n {
			pNext = counts[k+1]
		}
		first := len(s.pieces)
		start := 0
		for p := 0; p < P; p++ {
			c := out / P
			if p < out%P {
				c++
			}
			if convSizes[k] != nil {
				c = convSizes[k][p]
			}
			pc := piece{chain: k, start: start, count: c, routes: c * pNext}
			if r := convRouteSums[k]; r != nil {
				pc.routes = int(r[start+c] - r[start])
			}
			if convSizes[k] != nil {
				if s.onChipInput(k) {
					pc.axons, pc.bits = costs.cost(l, start, c)
				}
			} else if s.onChipInput(k) {
				pc.axons = in
				pc.bits = int64(in) * s.b.AxonSynapseBits(c, f)
			}
			s.pieces = append(s.pieces, pc)
			start += c
		}
		s.layerPieces[k] = [2]int{first, len(s.pieces)}
		if start != out {
			panic(fmt.Sprintf("compile: partition of layer %d covers %d of %d neurons", li, start, out))
		}
	}
	return nil
}

func ceilDiv(a, b int64) int64 {
	if b <= 0 {
		return 0
	}
	return (a + b - 1) / b
}
