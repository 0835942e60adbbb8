package nir

import (
	"math"
	"slices"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/hdf5"
)

// Delay nodes (NIR's Delay(delay: array), the delay in seconds per
// element): snnc's layers delay their input synapses by ir.Layer.Delay
// whole steps, so Import takes a Delay node where it delays a layer's
// input spikes:
//
//	neuron → Delay → (pooling, flatten →) synapse   the synapse layer's Delay = delay/dt
//	synapse → Delay → neuron                        the same, when the synapse has no bias
//	                                                (Linear, Conv2d or Affine with b = 0):
//	                                                a delayed bias would be missing in the
//	                                                first delay/dt steps
//
// The delay must be one value for every element (a per-neuron delay is
// refused, naming the values), a whole number of steps of dt (within
// 1e-6 of a step) and at most MaxDelaySteps steps (the IR stores a byte;
// compiling for a target checks its own limit, Loihi 2's 62). A Delay
// before the first layer with neurons (the input is not delayed), before
// the Output, or two on one layer's input are refused. Export writes a
// layer with a delay as a Delay node "NAME.delay" in front of its synapse
// node, the delay as steps·dt for every input element, which Import reads
// back as the same layer.

// MaxDelaySteps is the longest delay Import takes, in steps (the IR's
// ir.Layer.Delay is a byte).
const MaxDelaySteps = math.MaxUint8

// delaySteps converts Delay node n's delay to whole steps of dt.
func (b *builder) delaySteps(n *Node) (uint8, error) {
	fail := func(sentinel error, format string, a ...any) (uint8, error) {
		return 0, &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: "delay", Err: detail(sentinel, format, a...)}
	}
	t := n.Params["delay"]
	if t == nil || len(t.Data) == 0 {
		return fail(ErrParam, "missing")
	}
	d := t.Data[0]
	if i := slices.IndexFunc(t.Data, func(x float64) bool { return x != d }); i >= 0 {
		distinct := []float64{}
		for _, x := range t.Data {
			if !slices.Contains(distinct, x) {
				distinct = append(distinct, x)
			}
			if len(distinct) == 4 {
				break
			}
		}
		return fail(ErrUnsupported, "per-element delays (element 0: %v s, element %d: %v s; distinct values %v…): snnc delays all of a layer's input synapses by one delay", d, i, t.Data[i], distinct)
	}
	if math.IsNaN(d) || math.IsInf(d, 0) || d < 0 {
		return fail(ErrParam, "is %v, want a finite delay ≥ 0 seconds", d)
	}
	steps := d / b.dt
	k := math.Round(steps)
	if math.Abs(steps-k) > 1e-6*max(1, k) {
		return fail(ErrUnsupported, "%v s is %.6g steps of dt = %v s, not a whole number (choose --dt so that delay/dt is one)", d, steps, b.dt)
	}
	if k > MaxDelaySteps {
		return fail(ErrUnsupported, "%v s is %.0f steps of dt = %v s, snnc delays by at most %d steps", d, k, b.dt, MaxDelaySteps)
	}
	return uint8(k), nil
}

// delay maps Delay node n (see the top of this file).
func (b *builder) delay(n *Node) error {
	steps, err := b.delaySteps(n)
	if err != nil || steps == 0 {
		return err
	}
	if b.open != nil { // synapse → Delay → neuron
		if slices.ContainsFunc(b.open.Bias, func(x float32) bool { return x != 0 }) {
			return b.refuse(n, "follows %s, which has a bias: the delayed current would miss the bias in the first %d steps; put the Delay before %s (on its input)", b.open.Name, steps, b.open.Name)
		}
		if b.open.Delay != 0 {
			return b.refuse(n, "a second Delay on the input of %s", b.open.Name)
		}
		if !b.hasNeurons() {
			return b.refuse(n, "delays the input of the first layer (%s): the model's input is not delayed", b.open.Name)
		}
		b.open.Delay = steps
		return nil
	}
	if b.pendingDelay != nil {
		return b.refuse(n, "follows the Delay node %s with no synapse between them; merge the two", b.pendingDelay.Path)
	}
	if !b.hasNeurons() {
		return b.refuse(n, "delays the model's input: snnc delays synapses fed by a layer's spikes, not the input")
	}
	b.pendingDelay, b.pendingSteps = n, steps
	return nil
}

// hasNeurons reports whether a layer with neurons is already in the model.
func (b *builder) hasNeurons() bool {
	return slices.ContainsFunc(b.m.Layers, func(l ir.Layer) bool { return l.HasNeurons() })
}

// takeDelay gives synapse layer l the pending delay, if any.
func (b *builder) takeDelay(l *ir.Layer) {
	if b.pendingDelay != nil {
		l.Delay = b.pendingSteps
		b.pendingDelay = nil
	}
}

// exportDelay writes the Delay node in front of layer l's synapse node
// (l.Delay steps of dt for every input element) and returns its name.
func (e *exporter) exportDelay(l *ir.Layer) (string, error) {
	name := l.Name + ".delay"
	n := ir.ShapeSize(l.InShape)
	d := make([]float64, n)
	for i := range d {
		d[i] = float64(l.Delay) * e.dt
	}
	return name, e.add(name, "Delay", func(g *hdf5.WGroup) error {
		_, err := g.CreateDataset("delay", slices.Clone(l.InShape), d)
		return err
	})
}
