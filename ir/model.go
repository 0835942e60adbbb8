package ir

// FormatVersion is the version of the snnc file format written by this
// package. Decode accepts files whose version is at most FormatVersion.
const FormatVersion = 1

// FileIdentifier is the four-byte FlatBuffers file identifier of .snn files.
const FileIdentifier = "SNN1"

// Encoding says how input samples enter the network.
type Encoding uint8

const (
	// EncodingDirect feeds the (normalised) sample as a constant current
	// into the first layer at every time step: c1[t] = W1·x + b1.
	EncodingDirect Encoding = iota
	// EncodingRate turns each input value in [0,1] into a Bernoulli spike
	// train with that probability per step.
	EncodingRate
	// EncodingEvents feeds pre-recorded events (an event camera, or spikes
	// made by another tool).
	EncodingEvents
)

// LayerKind is the operation a layer performs.
type LayerKind uint8

const (
	// KindDense is a fully connected layer: c = W·s_in + b, W is Out×In row-major.
	KindDense LayerKind = iota
	// KindConv2D is a 2-D convolution over CHW tensors; W is
	// OutC×InC×KH×KW, Bias is per output channel.
	KindConv2D
	// KindAvgPool is average pooling over CHW tensors (no parameters, no neurons).
	KindAvgPool
	// KindFlatten reshapes CHW to a vector (no parameters, no neurons).
	KindFlatten
	// KindRecurrentDense is a dense layer with a recurrent weight matrix
	// Recurrent (Out×Out) applied to the layer's own spikes of the previous step.
	KindRecurrentDense
	// KindSparse is a layer whose synapses are listed: output neuron n has
	// the synapses k in [RowStart[n], RowStart[n+1]), from input Cols[k]
	// with weight Weights[k]; Bias is per neuron. Compilers emit it where
	// the chip stores synapses one by one (TrueNorth crossbars, splitters).
	KindSparse
)

// ResetMode is what happens to a neuron's potential after it spikes.
type ResetMode uint8

const (
	// ResetZero is the seed's hard reset: u[t] = γ·u[t−1]·(1−s[t−1]) + I[t].
	ResetZero ResetMode = iota
	// ResetSubtract subtracts the threshold after a spike.
	ResetSubtract
	// ResetNone leaves the potential unchanged.
	ResetNone
	// ResetSubtractMulti subtracts the threshold once per spike and lets a
	// neuron emit several spikes in one step: s = min(⌊u/ϑ⌋,
	// MaxSpikesPerStep) where u ≥ ϑ, then u −= s·ϑ; a spike count s
	// reaches the next layer as s·W (Xylo's hidden neurons).
	ResetSubtractMulti
)

// MaxSpikesPerStep is the most spikes a ResetSubtractMulti neuron emits in
// one step: 31, the hidden neurons' limit of SynSense's Xylo (xylosim's
// MAX_NUM_SPIKES, Rockpool's max_spikes_per_dt for Xylo).
const MaxSpikesPerStep = 31

// Method is the training method recorded in the provenance.
type Method uint8

const (
	// MethodASGL is Adaptive Smoothing Gradient Learning (learnable width α, noise p).
	MethodASGL Method = iota
	// MethodSG is the plain surrogate gradient with fixed width α.
	MethodSG
	// MethodNone marks a model that was not trained (random initialisation or imported).
	MethodNone
)

// Model is a spiking network in the snnc IR: a frozen float network, and
// optionally its quantized form for a target and its mapping onto cores.
//
// The float network computes, for each layer l with neurons and t = 1..T:
//
//	c[t] = β_c·c[t−1] + W·s_in[t] + V·s[t−1] + b   (s_in: previous layer's spikes, or the input;
//	                                               V only for KindRecurrentDense; β_c = CurrentDecay)
//	u[t] = γ·u[t−1]·(1 − s[t−1]) + c[t]            (ResetZero)
//	u[t] = γ·(u[t−1] − ϑ·s[t−1]) + c[t]            (ResetSubtract)
//	s[t] = Θ(u[t] − ϑ),  Θ(x) = 1 if x ≥ 0
//
// and the readout (Readout.Kind) is the mean over T of the last layer's
// current W·s_in[t] + b (the current before decay), its spike count, or the
// maximum over T of its potential u[t] = γ·u[t−1] + c[t] (c with decay).
type Model struct {
	// Name is a free-form label.
	Name string
	// Input describes the network's input.
	Input Input
	// Timesteps is T, the number of algorithmic time steps per sample.
	Timesteps int
	// Layers are in order; the last one is the readout layer.
	Layers []Layer
	// Readout says how the prediction is read from the last layer.
	Readout Readout
	// Provenance records how the model was made (may be nil).
	Provenance *Provenance
	// Quantized is the integer network for a target (nil for a float model).
	Quantized *Quantized
	// Mapping places the quantized network on cores (nil if not mapped).
	Mapping *Mapping
}

// Input is the input specification.
type Input struct {
	// Shape is the shape of one sample: [N] for vectors, [C,H,W] for images.
	Shape []int
	// Encoding says how samples become currents or spikes.
	Encoding Encoding
	// Scale multiplies raw input values (e.g. 1/255 for 8-bit pixels).
	Scale float32
}

// ReadoutKind is how the prediction is taken.
type ReadoutKind uint8

const (
	// ReadoutMeanCurrent takes argmax over the mean of the last layer's
	// current over the T steps (the last layer does not spike).
	ReadoutMeanCurrent ReadoutKind = iota
	// ReadoutSpikeCount takes argmax over the last layer's spike counts
	// (the last layer spikes).
	ReadoutSpikeCount
	// ReadoutMaxPotential takes argmax over max_t u^L[t], the maximum over
	// the T steps of the last layer's potential u[t] = γ·u[t−1] + c[t]
	// (the last layer does not spike; γ and β_c are its Neuron's).
	ReadoutMaxPotential
)

// Readout describes how the prediction is read from the last layer.
type Readout struct {
	Kind ReadoutKind
}

// LIF holds the leaky integrate-and-fire parameters of a layer's neurons.
type LIF struct {
	// Leak is γ = 1 − 1/τ_m, the factor applied to the potential each step.
	Leak float32
	// Threshold is ϑ.
	Threshold float32
	// Reset is the reset mode.
	Reset ResetMode
	// CurrentDecay is β_c = 1 − 1/τ_syn, the factor applied to the
	// synaptic current each step: c[t] = β_c·c[t−1] + W·s_in[t] + b (+ the
	// recurrent V·s[t−1]). 0, the default, is the seed's neuron, whose
	// current is the input of the step alone.
	CurrentDecay float32
}

// Layer is one layer of the float network.
type Layer struct {
	// Name is a label such as "fc1" or "conv2".
	Name string
	Kind LayerKind
	// InShape and OutShape are [N] or [C,H,W].
	InShape  []int
	OutShape []int
	// Weights: Dense/RecurrentDense Out×In row-major (W[o*In+i]);
	// Conv2D OutC×(InC/Groups)×KH×KW; Sparse one per synapse (see
	// KindSparse). Empty for pooling and flatten.
	Weights []float32
	// Recurrent is Out×Out (RecurrentDense only).
	Recurrent []float32
	// Bias has one entry per output neuron (dense) or output channel (conv).
	Bias []float32
	// Kernel, Stride and Padding are [H,W] for Conv2D and AvgPool.
	Kernel  [2]int
	Stride  [2]int
	Padding [2]int
	// Groups splits a Conv2D layer's channels into Groups groups: output
	// channel c sees only the input channels of its group,
	// g = c/(OutC/Groups), channels [g·InC/Groups, (g+1)·InC/Groups). 0 and
	// 1 mean one group (an ordinary convolution). Both channel counts are
	// multiples of Groups.
	Groups int
	// RowStart (Out+1 offsets) and Cols (one input index per synapse)
	// list a Sparse layer's synapses.
	RowStart []int32
	Cols     []int32
	// Delay is the synaptic delay of the layer's input synapses, in steps:
	// the layer's input at step t is the previous layer's spikes of step
	// t − Delay (nothing before step 0). Only layers fed by another layer's
	// spikes have one (Verify).
	Delay uint8
	// MapOrder is the order in which the mapping assigns the neurons of a
	// Conv2D layer with spiking neurons (not the readout) to cores:
	// MapOrder[n] is the CHW index of the neuron at mapping position n, a
	// permutation of the layer's neurons (Verify). Empty: group-major,
	// position-major (see Core). The compiler chooses it per layer to
	// pack a layer into fewer cores; the float network does not depend
	// on it.
	MapOrder []int32
	// Neuron is the LIF parameters (ignored for pooling and flatten, and for
	// the readout layer, which does not spike).
	Neuron LIF
}

// HasNeurons reports whether the layer has LIF state (dense, conv, recurrent).
func (l *Layer) HasNeurons() bool {
	return l.Kind == KindDense || l.Kind == KindConv2D || l.Kind == KindRecurrentDense || l.Kind == KindSparse
}

// NumGroups is the number of channel groups of a Conv2D layer (at least 1).
func (l *Layer) NumGroups() int { return max(1, l.Groups) }

// NumOutputs is the product of OutShape.
func (l *Layer) NumOutputs() int { return ShapeSize(l.OutShape) }

// NumInputs is the product of InShape.
func (l *Layer) NumInputs() int { return ShapeSize(l.InShape) }

// ShapeSize is the number of elements of a tensor with the given shape
// (0 for an empty shape).
func ShapeSize(shape []int) int {
	if len(shape) == 0 {
		return 0
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Provenance records how a model was made.
type Provenance struct {
	// Method is asgl, sg or none.
	Method Method
	// Alphas is the final surrogate width α per layer with neurons.
	Alphas []float32
	// NoiseP is the final noise probability p; NoiseZeta and Milestones
	// its schedule p ← 1 − (1−p)·ζ at each milestone epoch.
	NoiseP     float32
	NoiseZeta  float32
	Milestones []int
	// Dataset names the training data; Epochs, Seed and TestAccuracy the run.
	Dataset      string
	Epochs       int
	Seed         uint64
	TestAccuracy float32
	// ToolVersion is the snnc version that wrote the model.
	ToolVersion string
	// Target is the hardware target the training respected ("" for none).
	Target string
}

// Quantized is the integer form of the network for a named target.
//
// Loihi layers (CUBA compartments, see targets/loihi):
//
//	u[t] = sgn(u)·((|u|·(4096−DecayU)) >> 12) + (Σ_i w_i·s_i[t]) · 2^(6+WeightExponent)
//	v[t] = sgn(v)·((|v|·(4096−DecayV)) >> 12) + u[t] + Bias_j · 2^BiasExponent
//	spike when v[t] > Threshold·2^6; then v = 0
//
// TrueNorth layers (see targets/truenorth):
//
//	V[t] = V[t−1] + Σ_i w_ij·s_i[t] − Leak ; spike when V ≥ Threshold; reset per ResetMode
//
// where w_ij = TypeWeights[j*4+AxonTypes[i]] wherever the crossbar bit is set.
type Quantized struct {
	// Target is the target's name ("loihi", "truenorth", …).
	Target string
	// WeightBits is the weight precision used.
	WeightBits int
	// Layers has one entry per float layer (same index); pooling and flatten
	// layers have empty entries.
	Layers []QuantLayer
}

// QuantLayer is a layer's integer parameters.
type QuantLayer struct {
	// Weights are the integer weights in the float layer's layout
	// (mantissas on Loihi, effective values w_ij on TrueNorth).
	Weights []int16
	// Recurrent are integer recurrent weights (RecurrentDense only).
	Recurrent []int16
	// WeightExponent is the Loihi weight exponent e (effective weight
	// w·2^(6+e)).
	WeightExponent int8
	// Scale is integer potential units per float unit: a float value x is
	// represented by round(x·Scale).
	Scale float32
	// Threshold is the integer threshold (Loihi: vth mantissa, compared as
	// v > Threshold<<6; TrueNorth: α).
	Threshold int32
	// NegThreshold is TrueNorth's β (V saturates at −β); 0 if unused.
	NegThreshold int32
	// Bias are integer bias mantissas per neuron (or per channel for conv).
	Bias []int32
	// BiasExponent scales Bias by 2^BiasExponent.
	BiasExponent int8
	// DecayU and DecayV are Loihi's 12-bit decays (4096 = full decay).
	DecayU int32
	DecayV int32
	// Leak is TrueNorth's linear leak λ.
	Leak int32
	// Reset is the reset mode on chip.
	Reset ResetMode
	// AxonTypes gives TrueNorth's type G ∈ {0..3} of each input axon.
	AxonTypes []uint8
	// TypeWeights gives TrueNorth's signed 9-bit S_j^G, 4 per neuron.
	TypeWeights []int16
	// InputPayloadBits > 0: the layer's input arrives as graded spikes
	// with a signed payload of this many bits, and a synapse of weight w
	// adds w·p to the accumulation (then the weight exponent applies, as
	// for binary spikes). 0: binary spikes, or the host's bias for a
	// direct-current first layer.
	InputPayloadBits uint8
	// InputPayloadScale is, for graded host input (a direct-current first
	// layer compiled with graded input), the payload units per unit of
	// scaled input: p_i = round(x_i·Input.Scale·InputPayloadScale), clamped
	// to the payload range (targets.GradedPayload).
	InputPayloadScale float32
}

// BiasAxon reports whether the layer's bias enters its synaptic current u
// through a bias axon (Loihi layers with a current decay, 0 < DecayU <
// 4096, and a non-zero bias): an input axon that spikes at every step with
// weight mantissa Bias_j on neuron j, on the layer's weight grid and
// exponent, so that the bias decays with u as the float model's b decays
// with c. Otherwise Bias_j·2^BiasExponent is added to v each step.
func (q *QuantLayer) BiasAxon() bool {
	if q.DecayU <= 0 || q.DecayU >= 4096 {
		return false
	}
	for _, b := range q.Bias {
		if b != 0 {
			return true
		}
	}
	return false
}

// Mapping places a quantized network on the cores of one or more chips.
type Mapping struct {
	// Target is the target's name.
	Target string
	// Chips is the number of chips used.
	Chips int
	// MeshWidth and MeshHeight are the core grid of one chip.
	MeshWidth  int
	MeshHeight int
	// Cores lists every core used.
	Cores []Core
	// Routes lists spike traffic between cores.
	Routes []Route
	// LowerBoundCores is the fewest cores the target's limits allow.
	LowerBoundCores int
}

// Core is one neuromorphic core and what it holds.
type Core struct {
	// Chip is the chip index; X and Y the core's position on its mesh.
	Chip int
	X, Y int
	// Layer is the index of the layer whose neurons the core holds.
	Layer int
	// NeuronStart and NeuronCount give the contiguous range of the layer's
	// output neurons on this core, counted in the layer's mapping order.
	// Dense and Sparse layers (and a conv readout): the flat index itself.
	// A Conv2D layer with spiking neurons: its Layer.MapOrder if it has
	// one, else group-major, position-major,
	// n = ((g·OH + y)·OW + x)·(OutC/G) + c′ for output channel
	// c = g·(OutC/G) + c′ (position-major n = (y·W + x)·C + c for one
	// group), so that a core holds a block of output positions × the
	// channels of one group, which share their inputs.
	NeuronStart int
	NeuronCount int
	// InputAxons is the number of input axons used.
	InputAxons int
	// SynapseBits is the synaptic memory used, in bits.
	SynapseBits int64
	// OutputRoutes is the number of output axon routes (fan-out edges) used.
	OutputRoutes int
}

// Route is spike traffic from one core to another.
type Route struct {
	// From and To are indices into Mapping.Cores.
	From, To int
	// Hops is the mesh distance (including chip-to-chip links).
	Hops int
	// Axons is the number of distinct source neurons sending along the route.
	Axons int
}
