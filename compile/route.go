package compile

import "github.com/snnc/snnc/ir"

// route lists the spike routes between the placed pieces: every piece of a
// layer sends its neurons' spikes to every piece of the next layer (dense;
// a conv next layer: to the pieces its synapses reach, see layerEdges; a
// recurrent layer's pieces also to every piece of their own layer),
// over Hops tile hops (chip crossings included). It also totals the expected
// traffic Σ rate·axons·hops per step.
func route(s *state) error {
	mp := s.m.Mapping
	var routes []ir.Route
	var traffic float64
	for k := 0; k < len(s.chain); k++ {
		rate := s.rate(k)
		var es []edge
		if k+1 < len(s.chain) {
			es = s.layerEdges(k)
		}
		for _, e := range append(es, s.recurrentEdges(k)...) {
			cp, cq := &mp.Cores[e.p], &mp.Cores[e.q]
			h := s.t.Hops(cp.Chip, cp.X, cp.Y, cq.Chip, cq.X, cq.Y)
			routes = append(routes, ir.Route{From: e.p, To: e.q, Hops: h, Axons: e.axons})
			traffic += rate * float64(e.axons) * float64(h)
		}
	}
	mp.Routes = routes
	s.report.SpikeHops = traffic
	return nil
}
