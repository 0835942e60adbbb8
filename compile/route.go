package compile

import "github.com/snnc/snnc/ir"

// route lists the spike routes between the placed pieces: every piece of a
// layer sends its neurons' spikes to every piece of the next layer (dense),
// over Hops tile hops (chip crossings included). It also totals the expected
// traffic Σ rate·axons·hops per step.
func route(s *state) error {
	if s.tn != nil {
		return routeTN(s)
	}
	mp := s.m.Mapping
	var routes []ir.Route
	var traffic float64
	for k := 0; k+1 < len(s.chain); k++ {
		a, b := s.layerPieces[k], s.layerPieces[k+1]
		rate := s.rate(k)
		for p := a[0]; p < a[1]; p++ {
			cp := &mp.Cores[p]
			for q := b[0]; q < b[1]; q++ {
				cq := &mp.Cores[q]
				h := s.t.Hops(cp.Chip, cp.X, cp.Y, cq.Chip, cq.X, cq.Y)
				routes = append(routes, ir.Route{From: p, To: q, Hops: h, Axons: cp.NeuronCount})
				traffic += rate * float64(cp.NeuronCount) * float64(h)
			}
		}
	}
	mp.Routes = routes
	s.report.SpikeHops = traffic
	return nil
}
