package nir

import (
	"fmt"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/hdf5"
)

// Version is the NIR version string Export writes.
const Version = "1.0.0"

// ExportOptions control Export.
type ExportOptions struct {
	// Dt is the time step in seconds the continuous-time parameters are
	// written for (≤ 0: DefaultDt).
	Dt float64
	// File names the output in errors.
	File string
}

// Export writes the float layers of m (a float model, or the float network
// of a compiled one) as a NIR graph: the "node" group of type NIRGraph with
// one group per node under "nodes" (a "type" dataset and the parameters),
// "edges" and "version". Importing the result with the same dt gives m's
// float network back exactly. Parameters are written as float64 so that
// tau = dt/(1−γ) and r survive the round trip. Layers NIR cannot express
// are refused with an *Error naming the layer.
func Export(m *ir.Model, opts ExportOptions) (w *hdf5.Writer, err error) {
	defer func() {
		if r := recover(); r != nil {
			recovered.Add(1)
			w, err = nil, &Error{File: opts.File, Err: detail(ErrUnsupported, "internal error while exporting: %v", r)}
		}
	}()
	if err := ir.Verify(m); err != nil {
		return nil, &Error{File: opts.File, Err: fmt.Errorf("%w: %w", ErrParam, err)}
	}
	dt := opts.Dt
	if dt <= 0 {
		dt = DefaultDt
	}
	e := &exporter{file: opts.File, dt: dt, w: hdf5.NewWriter()}
	root := e.w.Root()
	node, _ := root.CreateGroup("node")
	node.CreateStrings("type", nil, []string{"NIRGraph"})
	e.nodes, _ = node.CreateGroup("nodes")
	prev := "input"
	if err := e.add("input", "Input", func(g *hdf5.WGroup) error {
		_, err := g.CreateDataset("shape", []int{len(m.Input.Shape)}, ints64(m.Input.Shape))
		return err
	}); err != nil {
		return nil, err
	}
	for i := range m.Layers {
		l := &m.Layers[i]
		if l.Delay != 0 { // delay.go
			d, err := e.exportDelay(l)
			if err != nil {
				return nil, err
			}
			e.edges = append(e.edges, prev, d)
			prev = d
		}
		last := i == len(m.Layers)-1
		name, err := e.layer(m, l, last)
		if err != nil {
			return nil, err
		}
		e.edges = append(e.edges, prev, name[0])
		for k := 1; k < len(name); k++ {
			e.edges = append(e.edges, name[k-1], name[k])
		}
		prev = name[len(name)-1]
	}
	out := m.Layers[len(m.Layers)-1].OutShape
	if err := e.add("output", "Output", func(g *hdf5.WGroup) error {
		_, err := g.CreateDataset("shape", []int{len(out)}, ints64(out))
		return err
	}); err != nil {
		return nil, err
	}
	e.edges = append(e.edges, prev, "output")
	if _, err := node.CreateStrings("edges", []int{len(e.edges) / 2, 2}, e.edges); err != nil {
		return nil, &Error{File: opts.File, Field: "edges", Err: fmt.Errorf("%w: %w", ErrParam, err)}
	}
	root.CreateStrings("version", nil, []string{Version})
	readout := m.Readout.Kind.String()
	attrs := []struct {
		name string
		v    any
	}{
		{"snnc_name", m.Name}, {"snnc_timesteps", int64(m.Timesteps)}, {"snnc_encoding", m.Input.Encoding.String()},
		{"snnc_input_scale", float64(m.Input.Scale)}, {"snnc_readout", readout}, {"snnc_dt", dt},
	}
	for _, a := range attrs {
		if err := root.SetAttr(a.name, nil, a.v); err != nil {
			return nil, &Error{File: opts.File, Field: a.name, Err: fmt.Errorf("%w: %w", ErrParam, err)}
		}
	}
	// several spikes per step with reset by subtraction (Xylo's neurons)
	// have no NIR form: the nodes say v_reset = 0 and snnc_reset says what
	// the neurons do, so that snnc reads them back exactly; other NIR
	// readers reset to v_reset (as Rockpool's own Xylo export does)
	if hasResetMulti(m) {
		if err := root.SetAttr("snnc_reset", nil, ir.ResetSubtractMulti.String()); err != nil {
			return nil, &Error{File: opts.File, Field: "snnc_reset", Err: fmt.Errorf("%w: %w", ErrParam, err)}
		}
	}
	if m.Readout.Kind != ir.ReadoutSpikeCount { // the readout layer's unused neuron fields
		n := m.Layers[len(m.Layers)-1].Neuron
		if err := root.SetAttr("snnc_readout_neuron", nil, []float64{float64(n.Leak), float64(n.Threshold), float64(n.Reset)}); err != nil {
			return nil, &Error{File: opts.File, Field: "snnc_readout_neuron", Err: fmt.Errorf("%w: %w", ErrParam, err)}
		}
	}
	return e.w, nil
}

type exporter struct {
	file  string
	dt    float64
	w     *hdf5.Writer
	nodes *hdf5.WGroup
	edges []string
	names map[string]bool
}

// add writes a node group with its type and the datasets fill writes.
func (e *exporter) add(name, typ string, fill func(*hdf5.WGroup) error) error {
	if e.names == nil {
		e.names = map[string]bool{}
	}
	if e.names[name] {
		return &Error{File: e.file, Node: name, Type: typ, Err: detail(ErrUnsupported, "two nodes named %q (layer names must be unique and differ from \"input\" and \"output\")", name)}
	}
	e.names[name] = true
	g, err := e.nodes.CreateGroup(name)
	if err == nil {
		_, err = g.CreateStrings("type", nil, []string{typ})
	}
	if err == nil {
		err = fill(g)
	}
	if err != nil {
		return &Error{File: e.file, Node: name, Type: typ, Err: fmt.Errorf("%w: %w", ErrParam, err)}
	}
	return nil
}

func ints64(s []int) []int64 {
	out := make([]int64, len(s))
	for i, x := range s {
		out[i] = int64(x)
	}
	return out
}

func float64s(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, x := range s {
		out[i] = float64(x)
	}
	return out
}

// layer writes the nodes of one layer and returns their names in order.
func (e *exporter) layer(m *ir.Model, l *ir.Layer, last bool) ([]string, error) {
	refuse := func(format string, a ...any) ([]string, error) {
		return nil, &Error{File: e.file, Node: l.Name, Type: l.Kind.String(), Err: detail(ErrUnsupported, format, a...)}
	}
	switch l.Kind {
	case ir.KindFlatten:
		return []string{l.Name}, e.add(l.Name, "Flatten", func(g *hdf5.WGroup) error {
			g.CreateDataset("start_dim", nil, int64(0))
			g.CreateDataset("end_dim", nil, int64(-1))
			_, err := g.CreateDataset("input_type", []int{len(l.InShape)}, ints64(l.InShape))
			return err
		})
	case ir.KindAvgPool:
		return []string{l.Name}, e.add(l.Name, "AvgPool2d", func(g *hdf5.WGroup) error {
			g.CreateDataset("kernel_size", []int{2}, ints64(l.Kernel[:]))
			g.CreateDataset("stride", []int{2}, ints64(l.Stride[:]))
			_, err := g.CreateDataset("padding", []int{2}, ints64(l.Padding[:]))
			return err
		})
	case ir.KindDense, ir.KindRecurrentDense: // the recurrence is a Linear node below
		if l.Kind == ir.KindRecurrentDense && last && m.Readout.Kind == ir.ReadoutMeanCurrent {
			return refuse("a recurrent readout layer read by its mean current: the readout never sees the recurrence, which NIR's Affine → Output cannot carry")
		}
		if err := e.add(l.Name, "Affine", func(g *hdf5.WGroup) error {
			g.CreateDataset("weight", []int{l.OutShape[0], l.InShape[0]}, float64s(l.Weights))
			_, err := g.CreateDataset("bias", []int{len(l.Bias)}, float64s(l.Bias))
			return err
		}); err != nil {
			return nil, err
		}
	case ir.KindConv2D:
		if err := e.add(l.Name, "Conv2d", func(g *hdf5.WGroup) error {
			g.CreateDataset("weight", []int{l.OutShape[0], l.InShape[0] / l.NumGroups(), l.Kernel[0], l.Kernel[1]}, float64s(l.Weights))
			g.CreateDataset("bias", []int{len(l.Bias)}, float64s(l.Bias))
			g.CreateDataset("stride", []int{2}, ints64(l.Stride[:]))
			g.CreateDataset("padding", []int{2}, ints64(l.Padding[:]))
			g.CreateDataset("dilation", []int{2}, []int64{1, 1})
			g.CreateDataset("groups", nil, int64(l.NumGroups()))
			_, err := g.CreateDataset("input_shape", []int{2}, ints64(l.InShape[1:]))
			return err
		}); err != nil {
			return nil, err
		}
	default:
		return refuse("%s layers (a compiler's per-synapse lists) have no NIR node; export the float model", l.Kind)
	}
	if last && m.Readout.Kind == ir.ReadoutMeanCurrent {
		return []string{l.Name}, nil // the readout current goes to the Output node
	}
	name := l.Name + ".lif"
	typ, params, err := e.neuron(l, last && m.Readout.Kind == ir.ReadoutMaxPotential)
	if err != nil {
		return nil, err
	}
	shape := l.OutShape
	n := l.NumOutputs()
	if err := e.add(name, typ, func(g *hdf5.WGroup) error {
		for _, p := range params {
			v := make([]float64, n)
			for i := range v {
				v[i] = p.v
			}
			if _, err := g.CreateDataset(p.name, shape, v); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if l.Kind == ir.KindRecurrentDense { // the cycle neuron → Linear → neuron
		rec := l.Name + ".rec"
		if err := e.add(rec, "Linear", func(g *hdf5.WGroup) error {
			_, err := g.CreateDataset("weight", []int{n, n}, float64s(l.Recurrent))
			return err
		}); err != nil {
			return nil, err
		}
		e.edges = append(e.edges, name, rec, rec, name)
	}
	return []string{l.Name, name}, nil
}

type param struct {
	name string
	v    float64
}

// neuron returns the NIR node type and parameters (one value each,
// broadcast over the layer's neurons) of a layer's neurons, inverting the
// import mapping: γ = 1 → IF with r = 1; otherwise LIF with tau = dt/(1−γ),
// r = tau/dt (so that dt/tau·r = 1), v_leak = 0; with a current decay
// β_c ≠ 0 CubaLIF with tau_syn = dt/(1−β_c), w_in = tau_syn/dt (so that
// dt/tau_syn·w_in = 1, as snnTorch writes its Synaptic neuron). The readout
// layer of a max-potential model (readout) becomes LI or CubaLI.
func (e *exporter) neuron(l *ir.Layer, readout bool) (string, []param, error) {
	n := l.Neuron
	g, beta := float64(n.Leak), float64(n.CurrentDecay)
	thr := param{"v_threshold", float64(n.Threshold)}
	refuse := func(format string, a ...any) (string, []param, error) {
		return "", nil, &Error{File: e.file, Node: l.Name, Type: l.Kind.String(), Field: "neuron", Err: detail(ErrUnsupported, format, a...)}
	}
	switch {
	case !readout && n.Reset == ir.ResetNone:
		return refuse("neurons without reset have no NIR node")
	case !readout && n.Reset == ir.ResetSubtract:
		return refuse("subtractive reset: NIR's IF and LIF reset to v_reset")
	case !readout && n.Reset == ir.ResetSubtractMulti && l.Kind != ir.KindDense && l.Kind != ir.KindRecurrentDense:
		return refuse("several spikes per step (subtract-multi) are exported for dense and recurrent layers only")
	case g == 1 && (beta != 0 || readout):
		return refuse("γ = 1 (no leak) with a current decay or a max-potential readout: NIR's CubaLIF, LI and CubaLI need a finite tau_mem")
	case g == 1:
		return "IF", []param{{"r", 1}, thr, {"v_reset", 0}}, nil
	case g < 0 || g > 1:
		return refuse("leak γ = %v is outside [0, 1]", g)
	}
	tau := e.dt / (1 - g)
	if beta == 0 {
		if readout {
			return "LI", []param{{"tau", tau}, {"r", tau / e.dt}, {"v_leak", 0}}, nil
		}
		return "LIF", []param{{"tau", tau}, {"r", tau / e.dt}, {"v_leak", 0}, thr, {"v_reset", 0}}, nil
	}
	tauSyn := e.dt / (1 - beta)
	cuba := []param{{"tau_syn", tauSyn}, {"tau_mem", tau}, {"r", tau / e.dt}, {"w_in", tauSyn / e.dt}, {"v_leak", 0}}
	if readout {
		return "CubaLI", cuba, nil
	}
	return "CubaLIF", append(cuba, thr, param{"v_reset", 0}), nil
}

// hasResetMulti reports whether a spiking layer of m resets with several
// spikes per step (ir.ResetSubtractMulti); Export then requires every
// spiking layer to (the attribute is one per file).
func hasResetMulti(m *ir.Model) bool {
	for i := range m.Layers[:len(m.Layers)-1] {
		if m.Layers[i].HasNeurons() && m.Layers[i].Neuron.Reset == ir.ResetSubtractMulti {
			return true
		}
	}
	return false
}
