package energy

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Estimate returns planning counts for one inference of m, assuming every
// spiking neuron (and a spiking input) fires with probability rate at each
// of the T steps. Nothing is simulated. With N_l the neurons of layer l,
// C_l its connections (Eq. 21) and k_l its fan-in:
//
//	spikes_l    = rate · T · N_l          (layers that spike: all but a mean-current readout)
//	synops_l    = rate · T · C_l          (zero for a direct-current first layer)
//	host MACs   = C_first                 (direct-current input, once per inference)
//	active_l    = T · N_l · (1 − (1 − rate)^k_l)   (T · N_l for a direct-current first layer)
//	idle_l      = T · N_l − active_l
//	hops        = Σ_routes rate · T · Axons · (E-W, N-S, chip hops of the route)
//
// Per-core counts split each layer's counts by the core's share of the
// layer's neurons and need m.Mapping; t gives the mesh (hops) and the
// latency table, and may be nil (then there are no hops and no latency).
// The chip's pipeline delay is not modelled: steps = T.
// It returns an error if rate is not in [0, 1].
func Estimate(m *ir.Model, t *targets.Target, rate float64) (*Run, error) {
	if !(rate >= 0 && rate <= 1) {
		return nil, fmt.Errorf("energy: firing rate %g is not in [0, 1]", rate)
	}
	perMAC, _, err := ANNMACs(m)
	if err != nil {
		return nil, err
	}
	T := float64(m.Timesteps)
	first := FirstWeighted(m)
	direct := directInput(m)
	// graded input (compile.Options.GradedInput): the first layer's
	// synapses are on chip and its inputs send graded spikes, taken to be
	// non-zero with probability rate like the spikes
	graded := direct && m.Quantized != nil && first >= 0 && first < len(m.Quantized.Layers) && m.Quantized.Layers[first].InputPayloadBits > 0
	run := &Run{Steps: m.Timesteps, Estimate: true, Rate: rate, PerLayer: make([]Ops, len(m.Layers))}
	last := len(m.Layers) - 1
	for l := range m.Layers {
		ly := &m.Layers[l]
		if !ly.HasNeurons() {
			continue
		}
		n := float64(ly.NumOutputs())
		o := &run.PerLayer[l]
		if l != last || m.Readout.Kind == ir.ReadoutSpikeCount {
			o.Spikes = rate * T * n
		}
		if direct && l == first && !graded {
			o.HostMACs = float64(perMAC[l])
			o.NeuronActive = T * n
		} else {
			o.SynapticOps = rate * T * float64(perMAC[l])
			o.NeuronActive = T * n * (1 - math.Pow(1-rate, fanIn(ly)))
			o.NeuronIdle = T*n - o.NeuronActive
			if graded && l == first {
				o.GradedSynapticOps = o.SynapticOps
			}
		}
	}
	if m.Mapping != nil {
		run.PerCore = make([]Ops, len(m.Mapping.Cores))
		for c, mc := range m.Mapping.Cores {
			if mc.Layer < 0 || mc.Layer >= len(m.Layers) {
				return nil, fmt.Errorf("energy: core %d holds layer %d; the model has %d layers", c, mc.Layer, len(m.Layers))
			}
			n := m.Layers[mc.Layer].NumOutputs()
			if n > 0 {
				run.PerCore[c] = run.PerLayer[mc.Layer].scale(float64(mc.NeuronCount) / float64(n))
			}
		}
		if t != nil {
			for _, r := range m.Mapping.Routes {
				if r.From < 0 || r.From >= len(m.Mapping.Cores) || r.To < 0 || r.To >= len(m.Mapping.Cores) {
					return nil, fmt.Errorf("energy: route %d→%d outside the %d cores", r.From, r.To, len(m.Mapping.Cores))
				}
				a, b := m.Mapping.Cores[r.From], m.Mapping.Cores[r.To]
				ew, ns, ch := routeHops(t, a, b)
				s := rate * T * float64(r.Axons)
				h := Ops{HopsEW: s * float64(ew), HopsNS: s * float64(ns), ChipHops: s * float64(ch)}
				if ew+ns+ch == 0 {
					h.SpikesLocal = s
				}
				run.PerCore[r.From].add(h)
				run.PerLayer[a.Layer].add(h)
			}
		}
	}
	for _, o := range run.PerLayer {
		run.Total.add(o)
	}
	if m.Timesteps > 0 {
		step := run.Total.scale(1 / T)
		step.HostMACs = 0
		run.PerStep = make([]Ops, m.Timesteps)
		for s := range run.PerStep {
			run.PerStep[s] = step
		}
		run.PerStep[0].HostMACs = run.Total.HostMACs
	}
	if t != nil {
		run.LatencyPerSample = estimateLatency(m, t, run)
	}
	return run, nil
}

// fanIn is the number of inputs of one neuron of l (a sparse layer: the
// mean over its neurons).
func fanIn(l *ir.Layer) float64 {
	switch l.Kind {
	case ir.KindConv2D:
		if len(l.InShape) == 3 {
			return float64(l.InShape[0]/l.NumGroups()) * float64(l.Kernel[0]*l.Kernel[1])
		}
	case ir.KindRecurrentDense:
		return float64(l.NumInputs() + l.NumOutputs())
	case ir.KindSparse:
		if n := l.NumOutputs(); n > 0 {
			return float64(len(l.Cols)) / float64(n)
		}
		return 0
	}
	return float64(l.NumInputs())
}

// estimateLatency follows the simulator's cycle model with average
// per-step counts: step time = slowest core + longest route + barrier.
func estimateLatency(m *ir.Model, t *targets.Target, run *Run) float64 {
	if t.TickSeconds > 0 {
		return float64(run.Steps) * t.TickSeconds
	}
	if m.Mapping == nil || m.Timesteps == 0 {
		return 0
	}
	lat := &t.Latency
	T := float64(m.Timesteps)
	var slowest float64
	for _, o := range run.PerCore {
		c := (o.SynapticOps*lat.SynapticOp + o.NeuronActive*lat.NeuronActive + o.NeuronIdle*lat.NeuronIdle + o.Spikes*lat.Spike) / T
		slowest = max(slowest, c)
	}
	var route float64
	for _, r := range m.Mapping.Routes {
		a, b := m.Mapping.Cores[r.From], m.Mapping.Cores[r.To]
		ew, ns, ch := routeHops(t, a, b)
		route = max(route, float64(ew)*lat.HopEW+float64(ns)*lat.HopNS+float64(ch)*lat.ChipHop)
	}
	used, perChip := tiles(t, m.Mapping)
	barrier := BarrierPerStep(lat.BarrierMin, lat.BarrierMax, used, perChip)
	return float64(run.Steps) * (slowest + route + barrier)
}

// routeHops returns the east-west and north-south tile hops and the chip
// hops (crossings × Chip.ChipHops) from core a to core b, as the simulator
// counts them.
func routeHops(t *targets.Target, a, b ir.Core) (ew, ns, chips int) {
	ew, ns, chips = t.CoreHops(a.Chip, a.X, a.Y, b.Chip, b.X, b.Y)
	return ew, ns, chips * max(t.Chip.ChipHops, 0)
}
