package compile

import (
	"errors"
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// quantize lowers every layer with neurons to the target's integer formats
// with its backend's rule (targets.Backend.QuantizeLayer; see the package
// documentation for the semantics). A targets.QuantizeLimitError becomes a
// LimitError naming the layer and the target.
func quantize(s *state) error {
	m := s.m
	q := &ir.Quantized{Target: s.t.Name, WeightBits: s.weightBits, Layers: make([]ir.QuantLayer, len(m.Layers))}
	for k, li := range s.chain {
		l := &m.Layers[li]
		payloadBits, perUnit, pmax := s.gradedLayer(k)
		ql, warn, err := s.b.QuantizeLayer(&targets.QuantizeRequest{Layer: l, Index: li, WeightBits: s.weightBits, Timesteps: s.m.Timesteps,
			Readout: s.isReadout(k), OnChipInput: s.onChipInput(k), First: k == 0,
			PayloadBits: payloadBits, PayloadScale: perUnit, PayloadMax: pmax})
		var qe *targets.QuantizeLimitError
		switch {
		case errors.As(err, &qe):
			return &LimitError{Layer: li, LayerName: l.Name, Limit: qe.Limit, Need: qe.Need, Have: qe.Have, Unit: qe.Unit,
				Target: s.t.Name, Detail: qe.Detail, Hint: qe.Hint}
		case err != nil:
			return fmt.Errorf("compile: layer %s: %w", l.Name, err)
		}
		if warn != "" {
			s.report.Warnings = append(s.report.Warnings, fmt.Sprintf("layer %d (%s): %s", li, m.Layers[li].Name, warn))
		}
		q.Layers[li] = ql
	}
	m.Quantized = q
	return nil
}

// weightStats, weightRows and parallelRows are the targets package's, which
// the quantizers share with the partitioner and the splitter plan.
func weightStats(l *ir.Layer) targets.WeightStats { return targets.LayerWeightStats(l) }

func weightRows(l *ir.Layer) (rows, rowLen int) { return targets.WeightRows(l) }

func parallelRows(n int, f func(j0, j1 int)) { targets.ParallelRows(n, f) }
