package train

import "github.com/snnc/snnc/ir"

// Param is a trainable tensor with its gradient and optimiser state.
type Param struct {
	Name string
	// W holds the values, G the gradient of the current batch.
	W, G []float32
	// M and V are the optimiser's moment buffers (V unused by SGD).
	M, V []float32
	// Decay says whether weight decay applies (weights yes, biases no).
	Decay bool
}

func newParam(name string, n int, decay bool) *Param {
	return &Param{Name: name, W: make([]float32, n), G: make([]float32, n), M: make([]float32, n), V: make([]float32, n), Decay: decay}
}

// Span is a range [Lo, Hi) of a parameter's elements.
type Span struct {
	P      *Param
	Lo, Hi int
}

// Layer is one synaptic stage of the network: it maps the activations of the
// previous stage (or the input) to currents. The network adds LIF neurons
// after every layer with HasNeurons except the last, whose mean current over
// T is the readout.
//
// Forward and BackwardInput work on the samples [lo, hi) of a batch and may
// be called concurrently on disjoint sample ranges. GradBlocks and
// AccumGrad split the parameter gradient into independent blocks that may
// be computed concurrently; each block must sum over the batch in a fixed
// order so results do not depend on scheduling.
type Layer interface {
	// Name is a label such as "fc1".
	Name() string
	InShape() []int
	OutShape() []int
	// HasNeurons reports whether LIF neurons follow this layer.
	HasNeurons() bool
	// Params lists the trainable parameters.
	Params() []*Param
	// Init draws initial parameters.
	Init(r *rng)
	// Forward computes out's currents from in for samples [lo, hi). out has
	// the same Steps as in.
	Forward(in, out *Acts, lo, hi int)
	// BackwardInput computes gIn = ∂L/∂in from gOut = ∂L/∂out for samples
	// [lo, hi). gOut may have Steps 1 (the same gradient at every step); gIn
	// then has Steps 1 too. If need is not nil and has gOut's Steps, gIn
	// need only be correct at the indices need lists (the neurons of the
	// layer below inside their surrogate window).
	BackwardInput(gOut, gIn, need *Acts, lo, hi int)
	// GradBlocks is the number of independent gradient blocks.
	GradBlocks() int
	// AccumGrad sets the gradient of block k from in and gOut over the
	// whole batch (samples 0..n−1) and returns the parameter spans it wrote,
	// so the optimiser can update them in the same task.
	AccumGrad(k int, in, gOut *Acts, n int) []Span
	// Refresh updates derived copies of the parameters (e.g. a transposed
	// weight matrix) for block k after the optimiser changed it.
	Refresh(k int)
	// Freeze returns the layer in IR form (without neuron parameters).
	Freeze() ir.Layer
}
