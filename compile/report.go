package compile

import (
	"fmt"
	"io"
	"strings"

	"github.com/snnc/snnc/ir"
)

// Report summarises a compilation.
type Report struct {
	Target     string `json:"target"`
	WeightBits int    `json:"weight_bits"`
	// Cores and Chips used; LowerBoundCores is the fewest cores the
	// target's limits allow (Σ over layers of the per-layer bound).
	Cores           int `json:"cores"`
	Chips           int `json:"chips"`
	LowerBoundCores int `json:"lower_bound_cores"`
	// Layers has one entry per layer with neurons.
	Layers []LayerReport `json:"layers"`
	// Utilisation is used/available of each per-core limit over the cores used.
	Utilisation Utilisation `json:"utilisation"`
	// Routes is the number of core-to-core routes.
	Routes int `json:"routes"`
	// SpikeHops is the expected Σ spikes × hops per step (firing rate 1
	// unless Options.FiringRates says otherwise); GreedySpikeHops the same
	// for the greedy placement before annealing.
	SpikeHops       float64    `json:"spike_hops"`
	GreedySpikeHops float64    `json:"greedy_spike_hops"`
	Passes          []PassTime `json:"passes"`
	CompileSeconds  float64    `json:"compile_seconds"`
	Warnings        []string   `json:"warnings,omitempty"`
	// Notes say how the mapping reads (e.g. TrueNorth's splitters and host
	// readout).
	Notes []string `json:"notes,omitempty"`
}

// LayerReport is one layer's share of the mapping and its integer format.
type LayerReport struct {
	Index      int    `json:"index"`
	Name       string `json:"name"`
	Neurons    int    `json:"neurons"`
	Inputs     int    `json:"inputs"`
	Cores      int    `json:"cores"`
	LowerBound int    `json:"lower_bound"`
	// BoundBy is the limit whose ⌈need/have⌉ gives LowerBound
	// (compartments, input axons, synaptic memory, output routes).
	BoundBy string `json:"bound_limit,omitempty"`
	// MaxNeuronsPerCore is the largest piece; Binding the limit that
	// stops a piece from growing.
	MaxNeuronsPerCore int     `json:"max_neurons_per_core"`
	Binding           string  `json:"binding_limit"`
	WeightExponent    int     `json:"weight_exponent"`
	Scale             float32 `json:"scale"`
	Threshold         int32   `json:"threshold"`
	DecayV            int32   `json:"decay_v"`
	BiasExponent      int     `json:"bias_exponent"`
	HostInput         bool    `json:"host_input,omitempty"`
	// AxonKind is the population axon kind (16 or 32) feeding a Loihi
	// conv layer with on-chip input (see convpop.go), 0 otherwise.
	AxonKind int `json:"axon_kind,omitempty"`
	// MapOrder names a conv layer's mapping order (convorder.go), "" for
	// other layers.
	MapOrder string `json:"map_order,omitempty"`
}

// Utilisation of the per-core limits, each in [0,1].
type Utilisation struct {
	Compartments   float64 `json:"compartments"`
	InputAxons     float64 `json:"input_axons"`
	SynapticMemory float64 `json:"synaptic_memory"`
	OutputRoutes   float64 `json:"output_routes"`
}

// emit completes the mapping tables and writes the report.
func emit(s *state) error {
	m, t, r := s.m, s.t, s.report
	mp := m.Mapping
	r.WeightBits = s.weightBits
	r.Cores = len(mp.Cores)
	r.Chips = mp.Chips
	r.LowerBoundCores = mp.LowerBoundCores
	r.Routes = len(mp.Routes)
	r.GreedySpikeHops = s.greedyCost
	r.Layers = r.Layers[:0]
	for k, li := range s.chain {
		l := &m.Layers[li]
		ql := &m.Quantized.Layers[li]
		pr := s.layerPieces[k]
		mx := 0
		for p := pr[0]; p < pr[1]; p++ {
			mx = max(mx, s.pieces[p].count)
		}
		r.Layers = append(r.Layers, LayerReport{Index: li, Name: l.Name, Neurons: l.NumOutputs(), Inputs: l.NumInputs(),
			Cores: pr[1] - pr[0], LowerBound: s.lower[k], BoundBy: s.boundBy[k], MaxNeuronsPerCore: mx, Binding: s.binding[k],
			WeightExponent: int(ql.WeightExponent), Scale: ql.Scale, Threshold: ql.Threshold, DecayV: ql.DecayV,
			BiasExponent: int(ql.BiasExponent), HostInput: !s.onChipInput(k), MapOrder: s.layerOrderName(k)})
	}
	if s.gradedInput {
		li := s.chain[0]
		ql := &m.Quantized.Layers[li]
		r.Notes = append(r.Notes, fmt.Sprintf("graded input: every step each non-zero input goes to %s's on-chip synapses as a graded spike, payload round(x·%.4g·%g) in %d bits (no host MACs)",
			m.Layers[li].Name, m.Input.Scale, ql.InputPayloadScale, ql.InputPayloadBits))
	}
	delayNotes(s)                                       // delay.go
	r.Notes = append(r.Notes, s.gradedHiddenNotes()...) // graded_hidden.go
	chainOf := map[int]int{}
	for k, li := range s.chain {
		chainOf[li] = k
		if s.popLayer(k) {
			atoms := geomOf(&m.Layers[li]).icg
			r.Layers[k].AxonKind = 32
			if s.pop16[k] {
				r.Layers[k].AxonKind = 16
			}
			slots := "1 output slot"
			if !s.pop16[k] {
				slots = fmt.Sprintf("%d output slots", popFormats(s.b).Pop32Slots)
			}
			r.Notes = append(r.Notes, fmt.Sprintf("%s: pop%d axons (%d atoms), %s per route",
				m.Layers[li].Name, r.Layers[k].AxonKind, atoms, slots))
		}
	}
	var n, ax, bits, routes float64
	for _, c := range mp.Cores {
		n += float64(c.NeuronCount)
		ax += float64(c.InputAxons)
		bits += float64(c.SynapseBits)
		routes += float64(c.OutputRoutes * s.routeSlots(chainOf[c.Layer])) // output-axon slots
	}
	nc := float64(len(mp.Cores))
	r.Utilisation = Utilisation{
		Compartments:   n / (nc * float64(t.Core.Neurons)),
		InputAxons:     ax / (nc * float64(t.Core.InputAxons)),
		SynapticMemory: bits / (nc * float64(t.Core.SynapseBits)),
		OutputRoutes:   routes / (nc * float64(t.Core.OutputRoutes)),
	}
	return nil
}

// WriteText writes the mapping report as aligned text.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "target %s, %d-bit weights: %d cores on %d chip(s), lower bound %d cores (%.2f×)\n",
		r.Target, r.WeightBits, r.Cores, r.Chips, r.LowerBoundCores, float64(r.Cores)/float64(max(1, r.LowerBoundCores)))
	fmt.Fprintf(w, "%-3s %-10s %8s %8s %6s %6s  %-15s %9s  %-16s %4s %10s %7s %6s  %s\n",
		"#", "layer", "neurons", "inputs", "cores", "bound", "bound by", "max/core", "binding limit", "exp", "scale", "vth", "dv", "order")
	for _, l := range r.Layers {
		name := l.Name
		if l.HostInput {
			name += "*"
		}
		by := l.BoundBy
		if by == "" {
			by = "-"
		}
		order := l.MapOrder
		if order == "" {
			order = "-"
		}
		fmt.Fprintf(w, "%-3d %-10s %8d %8d %6d %6d  %-15s %9d  %-16s %4d %10.4g %7d %6d  %s\n",
			l.Index, name, l.Neurons, l.Inputs, l.Cores, l.LowerBound, by, l.MaxNeuronsPerCore, l.Binding,
			l.WeightExponent, l.Scale, l.Threshold, l.DecayV, order)
	}
	for _, l := range r.Layers {
		if l.HostInput {
			fmt.Fprintf(w, "* direct-current input: the host programs the layer's current as a per-neuron bias each sample\n")
			break
		}
	}
	u := r.Utilisation
	fmt.Fprintf(w, "utilisation: compartments %.1f%%, input axons %.1f%%, synaptic memory %.1f%%, output routes %.1f%%\n",
		100*u.Compartments, 100*u.InputAxons, 100*u.SynapticMemory, 100*u.OutputRoutes)
	fmt.Fprintf(w, "spike traffic: %d routes, %.0f spike-hops per step at the expected rate (greedy placement %.0f)\n",
		r.Routes, r.SpikeHops, r.GreedySpikeHops)
	for _, x := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", x)
	}
	for _, x := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
	var parts []string
	for _, p := range r.Passes {
		parts = append(parts, fmt.Sprintf("%s %.3fs", p.Name, p.Seconds))
	}
	fmt.Fprintf(w, "compiled in %.3fs (%s)\n", r.CompileSeconds, strings.Join(parts, ", "))
}

// layerOrderName names chain layer k's mapping order: the one partition
// chose, else (passes that do not choose, e.g. TrueNorth's) the layer's
// own, for a conv layer; "" for other layers.
func (s *state) layerOrderName(k int) string {
	if k < len(s.orderName) && s.orderName[k] != "" {
		return s.orderName[k]
	}
	if l := &s.m.Layers[s.chain[k]]; l.Kind == ir.KindConv2D {
		return ConvOrderName(l)
	}
	return ""
}

// WriteText writes a text form of the model: layers, the quantized
// section and the mapping (routes abbreviated after maxRoutes lines).
func WriteText(w io.Writer, m *ir.Model) {
	const maxRoutes = 64
	fmt.Fprintf(w, "model %q: input %v (%s), T=%d, readout %s\n", m.Name, m.Input.Shape, m.Input.Encoding, m.Timesteps, m.Readout.Kind)
	for i := range m.Layers {
		l := &m.Layers[i]
		fmt.Fprintf(w, "  layer %d %-8s %-8s %v -> %v", i, l.Name, l.Kind, l.InShape, l.OutShape)
		if l.HasNeurons() {
			fmt.Fprintf(w, "  leak %g threshold %g reset %s", l.Neuron.Leak, l.Neuron.Threshold, l.Neuron.Reset)
		}
		if len(l.MapOrder) > 0 {
			fmt.Fprintf(w, "  order %s", ConvOrderName(l))
		}
		fmt.Fprintln(w)
	}
	if q := m.Quantized; q != nil {
		fmt.Fprintf(w, "quantized for %s, %d-bit weights\n", q.Target, q.WeightBits)
		for i := range q.Layers {
			ql := &q.Layers[i]
			if !m.Layers[i].HasNeurons() {
				continue
			}
			lo, hi := int16(0), int16(0)
			for _, x := range ql.Weights {
				lo, hi = min(lo, x), max(hi, x)
			}
			fmt.Fprintf(w, "  layer %d: e=%d scale=%g vth=%d (fires v>%d) decayU=%d decayV=%d bias_exp=%d biases=%d weights=%d in [%d,%d] reset=%s\n",
				i, ql.WeightExponent, ql.Scale, ql.Threshold, int64(ql.Threshold)<<6, ql.DecayU, ql.DecayV, ql.BiasExponent,
				len(ql.Bias), len(ql.Weights), lo, hi, ql.Reset)
		}
	}
	if mp := m.Mapping; mp != nil {
		fmt.Fprintf(w, "mapping for %s: %d chip(s) of %d×%d cores, %d cores (lower bound %d), %d routes\n",
			mp.Target, mp.Chips, mp.MeshWidth, mp.MeshHeight, len(mp.Cores), mp.LowerBoundCores, len(mp.Routes))
		for c, core := range mp.Cores {
			fmt.Fprintf(w, "  core %d: chip %d (%d,%d) layer %d neurons %d+%d axons %d synapse_bits %d routes %d\n",
				c, core.Chip, core.X, core.Y, core.Layer, core.NeuronStart, core.NeuronCount, core.InputAxons, core.SynapseBits, core.OutputRoutes)
		}
		for r, rt := range mp.Routes {
			if r == maxRoutes {
				fmt.Fprintf(w, "  … %d more routes\n", len(mp.Routes)-maxRoutes)
				break
			}
			fmt.Fprintf(w, "  route %d: core %d -> core %d, %d hops, %d axons\n", r, rt.From, rt.To, rt.Hops, rt.Axons)
		}
	}
}

// dump writes the IR and the pipeline state after a pass.
func (s *state) dump(w io.Writer) {
	WriteText(w, s.m)
	if len(s.pieces) > 0 && s.m.Mapping == nil {
		fmt.Fprintf(w, "partition: %d pieces, lower bound %d\n", len(s.pieces), sum(s.lower))
		for k, li := range s.chain {
			pr := s.layerPieces[k]
			fmt.Fprintf(w, "  layer %d: %d pieces (bound %d by %s, binding %s)", li, pr[1]-pr[0], s.lower[k], s.boundBy[k], s.binding[k])
			for p := pr[0]; p < pr[1]; p++ {
				pc := &s.pieces[p]
				fmt.Fprintf(w, " [%d+%d axons %d bits %d routes %d]", pc.start, pc.count, pc.axons, pc.bits, pc.routes)
			}
			fmt.Fprintln(w)
		}
	}
}
