package targets

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/snnc/snnc/ir"
)

// Quantization: each family's rule for lowering one float layer to its
// integer neuron and synapse formats (Backend.QuantizeLayer). compile's
// quantize pass calls it layer by layer and never asks which family a
// target is; a new family brings its rule here, with its backend.

// HeadroomBits is how far above ϑ·Scale the potential reaches: the CUBA
// quantizer keeps ϑ·Scale ≤ 2^(potential−1−HeadroomBits), so v spans ±32ϑ
// before it clips (a potential clipped at the top still fires, as the
// float one does; one clipped at the bottom is at least 32ϑ below
// threshold).
const HeadroomBits = 5

// QuantizeRequest is one layer for Backend.QuantizeLayer, with what the
// compiler knows about its place in the network.
type QuantizeRequest struct {
	// Layer is the float layer (dense, conv2d or sparse, with neurons)
	// and Index its index in the model (named in errors).
	Layer *ir.Layer
	Index int
	// WeightBits is the weight precision (one the backend's WeightGrid
	// accepts) and Timesteps the model's T.
	WeightBits int
	Timesteps  int
	// Readout: the layer is the non-spiking mean-current readout;
	// MaxReadout: the non-spiking max-potential readout (temporal models).
	Readout    bool
	MaxReadout bool
	// FanIn is the inputs of one neuron (W's, and V's for a recurrent
	// layer).
	FanIn int
	// DecayU is the chip's current decay register for the layer and BetaU
	// the current decay it stands for (0: u holds only this step's input;
	// compile's chipDecayU).
	DecayU int32
	BetaU  float64
	// OnChipInput: the layer's input arrives as spikes through input
	// axons; false for a direct-current first layer fed by the host's bias.
	OnChipInput bool
	// First and Last: the first and the last layer with neurons.
	First, Last bool
	// Graded input: PayloadBits > 0 when the layer's input arrives as
	// graded spikes with payloads of at most PayloadMax in magnitude,
	// PayloadScale payload units per float input unit (compile's graded.go;
	// the quantized layer records both). Binary spikes: 0, 1, 1.
	PayloadBits  int
	PayloadScale float64
	PayloadMax   float64
}

// QuantizeLimitError is a layer a family's quantizer cannot lower within a
// target limit (TrueNorth: axon types). compile reports it as its
// LimitError with the layer and target filled in.
type QuantizeLimitError struct {
	Limit      string
	Need, Have int64
	Unit       string
	Detail     string
	Hint       string
}

func (e *QuantizeLimitError) Error() string { return e.Detail }

// WeightStats are the weight statistics of a layer the quantizers need.
type WeightStats struct {
	// MaxAbs is max |w|.
	MaxAbs float32
	// MaxPN is the largest, over neurons, of the sum of positive weights
	// and of the sum of negative weights' magnitudes: the largest |input|
	// one step of binary spikes can bring.
	MaxPN float64
	// MaxBias is max |b|.
	MaxBias float64
}

// LayerWeightStats computes the WeightStats of l, rows in parallel.
func LayerWeightStats(l *ir.Layer) WeightStats {
	out, in := WeightRows(l)
	row := func(j int) []float32 { return l.Weights[j*in : (j+1)*in] }
	if l.Kind == ir.KindSparse {
		out = len(l.RowStart) - 1
		row = func(j int) []float32 { return l.Weights[l.RowStart[j]:l.RowStart[j+1]] }
	}
	// a recurrent neuron's inputs are its row of W and its row of V
	var recRow func(j int) []float32
	if len(l.Recurrent) == out*out && out > 0 {
		recRow = func(j int) []float32 { return l.Recurrent[j*out : (j+1)*out] }
	}
	type part struct {
		maxAbs float32
		maxPN  float64
	}
	parts := make([]part, max(0, out))
	ParallelRows(len(parts), func(j0, j1 int) {
		for j := j0; j < j1; j++ {
			// Σw⁺ = (Σ|w| + Σw)/2 and Σ|w⁻| = (Σ|w| − Σw)/2, without branches
			var sa, sw, mx float32
			for _, w := range row(j) {
				a := math.Float32frombits(math.Float32bits(w) &^ 0x80000000)
				sa += a
				sw += w
				if a > mx {
					mx = a
				}
			}
			if recRow != nil {
				for _, w := range recRow(j) {
					a := abs32(w)
					sa += a
					sw += w
					mx = max(mx, a)
				}
			}
			parts[j] = part{mx, float64(sa+abs32(sw)) / 2}
		}
	})
	var st WeightStats
	for _, p := range parts {
		st.MaxAbs = max(st.MaxAbs, p.maxAbs)
		st.MaxPN = max(st.MaxPN, p.maxPN)
	}
	for _, b := range l.Bias {
		st.MaxBias = max(st.MaxBias, math.Abs(float64(b)))
	}
	return st
}

// WeightRows returns the rows of l's weight matrix and their length: per
// output neuron (dense) or output channel (conv2d: a kernel of its group's
// input channels); 0, 0 for a sparse layer.
func WeightRows(l *ir.Layer) (rows, rowLen int) {
	switch l.Kind {
	case ir.KindConv2D:
		return l.OutShape[0], l.InShape[0] / l.NumGroups() * l.Kernel[0] * l.Kernel[1]
	case ir.KindSparse:
		return 0, 0
	}
	return l.NumOutputs(), l.NumInputs()
}

// quantizeCUBA picks the weight exponent e, the mantissa scale and the
// threshold of one layer:
//
//	spiking layers: the largest e in [WeightExpMin, WeightExpMax] such that
//	  no step's input can wrap u (maxPN·S·2^(6+e) < 2^23) and
//	  ϑ·S·2^(6+e) ≤ 2^(23−HeadroomBits), with S = max mantissa / max|w|;
//	  then Vth = ⌊(ϑ·S·2^(6+e) − 1)/64⌋ and Scale = (Vth·64 + 1)/ϑ, so that
//	  v > Vth·64 ⇔ v ≥ ϑ·Scale exactly; S shrinks to Scale/2^(6+e) (by less
//	  than 64/(ϑ·Scale) relative).
//	readout: the largest e such that T·(maxPN·S·2^(6+e) + max|b|·Scale)
//	  stays below the largest threshold Vth_max·64, so the accumulator can
//	  neither fire nor clip; Scale = S·2^(6+e).
//
// If no exponent fits, S shrinks (fewer weight bits are used) and a warning
// is returned.
func quantizeCUBA(t *Target, b Backend, r *QuantizeRequest) (ir.QuantLayer, string, error) {
	l := r.Layer
	step, mmax, err := b.WeightGrid(r.WeightBits)
	if err != nil {
		return ir.QuantLayer{}, "", err
	}
	st := LayerWeightStats(l)
	rows, in := WeightRows(l)
	vmax := float64(int64(1)<<(t.Bits.Potential-1) - 1)
	accMax := float64(int64(1)<<(t.Bits.Accumulator-1) - 1)
	vthMax := int64(1)<<t.Bits.Threshold - 1
	thrCap := float64(int64(1) << (t.Bits.Potential - 1 - HeadroomBits))
	// graded input (compile's graded.go): payloads up to pmax, perUnit
	// payload units per float input unit; binary spikes: 1 and 1
	payloadBits, perUnit, pmax := r.PayloadBits, r.PayloadScale, r.PayloadMax
	if payloadBits > 0 {
		accMax = float64(int64(1)<<(t.GradedSpikes.SumBits()-1) - 1)
	}

	onChip := r.OnChipInput
	decayU, betaU := r.DecayU, r.BetaU
	// a layer with a current decay takes its bias through a bias axon (on
	// the weight grid, into u, see ir.QuantLayer.BiasAxon)
	biasAxon := betaU > 0 && st.MaxBias > 0 && onChip
	biasInV := st.MaxBias
	if biasAxon {
		st.MaxAbs = max(st.MaxAbs, float32(st.MaxBias))
		st.MaxPN += st.MaxBias
		biasInV = 0
	}
	sw := 1.0 // mantissa units per float weight unit
	if st.MaxAbs > 0 {
		sw = float64(mmax) / float64(st.MaxAbs)
	}
	warn := ""
	nIn := r.FanIn // W's inputs, and V's for a recurrent layer
	if biasAxon {
		nIn++
	}
	// largest input of one step in mantissa units (per unit of sw), with
	// rounding slack, bounded by the grid.
	inPerS := st.MaxPN
	slack := float64(nIn) * float64(step) / 2
	maxIn := func(sw float64) float64 { return min(inPerS*sw+slack, float64(nIn)*float64(mmax)) * pmax }
	if mi := maxIn(sw); mi > accMax {
		sw *= (accMax/pmax - slack) / (inPerS * sw)
		warn = "weights scaled down to keep the synaptic accumulator from wrapping"
	}
	maxReadout := r.MaxReadout
	readout := r.Readout || maxReadout
	T := float64(max(1, r.Timesteps))
	theta := float64(l.Neuron.Threshold)
	decayV := int32(min(4095, max(0, math.Round(4096*(1-float64(l.Neuron.Leak))))))
	// uGain bounds |u| over the steps by one step's input times
	// min(T, 1/(1−β′)) (u sums its decaying inputs).
	uGain := min(T, 1/(1-betaU))
	// readoutGain bounds the readout's accumulator by one step's input and
	// bias: T steps of the mean current, or v = Σ decaying v + u (+ bias)
	// of the max potential.
	readoutGain := T
	if maxReadout {
		readoutGain = min(T, 1/max(1e-9, float64(decayV)/4096)) * uGain
	}

	// sh is the potential units per mantissa unit of one input unit; the
	// layer's Scale is sw·sh·perUnit
	fits := func(e int, sw float64) bool {
		sh := math.Ldexp(1, 6+e)
		if readout {
			return readoutGain*(maxIn(sw)*sh+biasInV*sw*sh*perUnit) <= float64(vthMax<<6)
		}
		if onChip && maxIn(sw)*sh*uGain > vmax {
			return false
		}
		return theta*sw*sh*perUnit <= thrCap
	}
	e := t.Bits.WeightExpMax
	for ; e >= t.Bits.WeightExpMin && !fits(e, sw); e-- {
	}
	if e < t.Bits.WeightExpMin {
		e = t.Bits.WeightExpMin
		sh := math.Ldexp(1, 6+e)
		lim := sw
		if readout {
			lim = min(lim, (float64(vthMax<<6)/readoutGain-slack*pmax*sh)/((inPerS*pmax+biasInV*perUnit)*sh))
		} else {
			if onChip && inPerS > 0 {
				lim = min(lim, (vmax/(sh*uGain*pmax)-slack)/inPerS)
			}
			lim = min(lim, thrCap/(theta*sh*perUnit))
		}
		if lim <= 0 {
			return ir.QuantLayer{}, "", fmt.Errorf("weights cannot be scaled into the %d-bit potential", t.Bits.Potential)
		}
		warn = fmt.Sprintf("weight mantissas scaled by %.3g of their range to fit the potential and threshold ranges", lim/sw)
		sw = lim
	}
	sh := math.Ldexp(1, 6+e)
	ql := ir.QuantLayer{WeightExponent: int8(e), DecayU: decayU}
	if readout {
		ql.Scale = float32(sw * sh * perUnit)
		ql.Threshold = int32(vthMax)
		ql.DecayV = 0
		if maxReadout {
			ql.DecayV = decayV
		}
		ql.Reset = ir.ResetNone
	} else {
		x := theta * sw * sh * perUnit
		vth := int64(math.Floor((x - 1) / 64))
		vth = max(0, min(vth, vthMax))
		scale := float64(vth*64+1) / theta
		sw = scale / (sh * perUnit)
		ql.Scale = float32(scale)
		ql.Threshold = int32(vth)
		ql.DecayV = decayV
		ql.Reset = ir.ResetZero
		if l.Neuron.Reset == ir.ResetSubtract || l.Neuron.Reset == ir.ResetSubtractMulti { // where the family has it (compile's checkTemporal, checkGradedHidden)
			ql.Reset = l.Neuron.Reset
		}
	}
	ql.Weights = make([]int16, len(l.Weights))
	ParallelRows(rows, func(j0, j1 int) {
		EncodeWeights(ql.Weights[j0*in:j1*in], l.Weights[j0*in:j1*in], float32(sw), step, mmax)
	})
	if len(l.Recurrent) > 0 {
		ql.Recurrent = make([]int16, len(l.Recurrent))
		EncodeWeights(ql.Recurrent, l.Recurrent, float32(sw), step, mmax)
	}
	switch {
	case biasAxon:
		q := make([]int16, len(l.Bias))
		EncodeWeights(q, l.Bias, float32(sw), step, mmax)
		ql.Bias = make([]int32, len(q))
		for j, x := range q {
			ql.Bias[j] = int32(x)
		}
	case !(r.First && !onChip):
		ql.Bias, ql.BiasExponent = EncodeBiases(l.Bias, float64(ql.Scale), t.Bits.Bias, t.Bits.BiasExponentMax)
	}
	if payloadBits > 0 {
		ql.InputPayloadBits, ql.InputPayloadScale = uint8(payloadBits), float32(perUnit)
	}
	return ql, warn, nil
}

// QuantizeLayer (Loihi) is quantizeCUBA.
func (l loihi) QuantizeLayer(r *QuantizeRequest) (ir.QuantLayer, string, error) {
	return quantizeCUBA(l.t, l, r)
}

// QuantizeLayer (Loihi 2) quantizes one layer for Lava's CUBA-LIF
// (targets.Loihi2Step) with the rules of quantizeCUBA, which carry over
// term by term:
//
//	weights: the truncated 8-bit weights of targets.Loihi2Weight, multiples
//	  of 2^(9−bits) (mixed sign); the chip stores the mantissa
//	  w/2^(9−bits) with w_scale = 8 − bits + e + 1 (targets.Loihi2WeightScale)
//	input:   a = (Σ_i w_ji·s_i) << e, or >> −e rounding toward −∞
//	  (targets.Loihi2Activation), entering u as a << 6; for e ≥ 0 this is
//	  Loihi 1's input << (6+e)
//	u, v:    du = 4095 (DecayU = du + 1 = 4096 clears u), dv =
//	  round(4096·(1−γ)); the quantizer keeps |a << 6| < 2^23, so Lava's
//	  one-time wrap of u never acts
//	fire:    v > Vth << 6, Vth the 17-bit mantissa, ϑ·Scale = Vth·64 + 1
//	bias:    13-bit mantissa, exponent 0..7 (EncodeBiases)
//
// The exponent is the largest that fits, so it is ≥ 0 whenever e = 0 fits;
// a negative one (large weights against a small threshold) rounds each
// step's sum down, by less than one unit of a (64 potential units), which
// EvalInteger and the simulator reproduce through the kernel's Reference.
func (l loihi2) QuantizeLayer(r *QuantizeRequest) (ir.QuantLayer, string, error) {
	return quantizeCUBA(l.t, l, r)
}

// EncodeBiases returns round(b·scale/2^be) with the smallest exponent be in
// 0..expMax for which every mantissa fits bits (signed); mantissas saturate
// at expMax.
func EncodeBiases(b []float32, scale float64, bits, expMax int) ([]int32, int8) {
	mmax := float64(int64(1)<<(bits-1) - 1)
	var mx float64
	for _, x := range b {
		mx = max(mx, math.Abs(float64(x)*scale))
	}
	be := 0
	for be < expMax && math.Round(math.Ldexp(mx, -be)) > mmax {
		be++
	}
	out := make([]int32, len(b))
	for j, x := range b {
		v := math.Round(math.Ldexp(float64(x)*scale, -be))
		out[j] = int32(max(-mmax, min(mmax, v)))
	}
	return out, int8(be)
}

// ParallelRows runs f over [0,n) split into contiguous chunks, one per CPU.
func ParallelRows(n int, f func(j0, j1 int)) {
	w := min(runtime.GOMAXPROCS(0), n)
	if w <= 1 || n < 64 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := 0; p < w; p++ {
		j0, j1 := n*p/w, n*(p+1)/w
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(j0, j1)
		}()
	}
	wg.Wait()
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ 0x80000000) }

// QuantizeLayer (TrueNorth) lowers one layer of a model that passed TrueNorth's
// limits (γ = 1, fan-in ≤ 256, spike input) to TrueNorth's deterministic
// neuron (targets.TrueNorthStep):
//
//	V ← clip20(V + Σ_i w_ij·s_i + Bias_j − Leak);  spike when V ≥ α, then V ← 0
//
// with w_ij = round(W_ji·S) in the signed 9-bit range, α = Threshold = ϑ·S
// exactly (S = α/ϑ with α = ⌊ϑ·255/max|W|⌋, so TrueNorth's ≥ is the model's
// ≥), Bias_j = round(b_j·S) (the per-neuron leak of the chip, 9-bit), Leak
// 0, reset to 0. The readout layer is the accumulator acc_j += input_j +
// Bias_j.
//
// Every input axon gets one of the 4 axon types and every neuron 4 type
// weights, so that w_ij = TypeWeights[4j+AxonTypes[i]] wherever w_ij ≠ 0:
// a greedy best-fit assignment takes the inputs with the most synapses
// first and puts each on the compatible type (its non-zero weights agree
// with the type's weights on every neuron) that agrees on the most neurons.
// A layer for which no assignment is found is refused with a
// QuantizeLimitError on
// "axon types" (the search is greedy: a model trained with fixed types, as
// snnc train --target truenorth does, always passes).
func (tn truenorth) QuantizeLayer(r *QuantizeRequest) (ir.QuantLayer, string, error) {
	t, l := tn.t, r.Layer
	in, out := l.NumInputs(), l.NumOutputs()
	step, wmax, err := tn.WeightGrid(r.WeightBits)
	if err != nil {
		return ir.QuantLayer{}, "", err
	}
	st := LayerWeightStats(l)
	sc := 1.0
	if st.MaxAbs > 0 {
		sc = float64(wmax) / float64(st.MaxAbs)
	}
	ql := ir.QuantLayer{Reset: TrueNorthReset(l)}
	if r.Readout {
		ql.Threshold = int32(1)<<t.Bits.Threshold - 1
		ql.Reset = ir.ResetNone
	} else {
		theta := float64(l.Neuron.Threshold)
		alpha := max(1, math.Floor(theta*sc))
		alpha = min(alpha, float64(int64(1)<<t.Bits.Threshold-1))
		sc = alpha / theta
		ql.Threshold = int32(alpha)
	}
	ql.Scale = float32(sc)
	ql.Weights = make([]int16, len(l.Weights))
	ParallelRows(out, func(j0, j1 int) {
		EncodeWeights(ql.Weights[j0*in:j1*in], l.Weights[j0*in:j1*in], float32(sc), step, wmax)
	})
	bmax := float64(int64(1)<<(t.Bits.Bias-1) - 1)
	ql.Bias = make([]int32, out)
	for j, b := range l.Bias {
		ql.Bias[j] = int32(max(-bmax, min(bmax, math.Round(float64(b)*sc))))
	}
	types := max(1, t.Core.AxonTypes)
	ql.AxonTypes = make([]uint8, in)
	ql.TypeWeights = make([]int16, types*out)
	// inputs with the most synapses first: they define the types best
	order := make([]int, in)
	nnz := make([]int, in)
	for i := range order {
		order[i] = i
		for j := 0; j < out; j++ {
			if ql.Weights[j*in+i] != 0 {
				nnz[i]++
			}
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return nnz[b] - nnz[a] })
	set := make([]int, types) // type weights defined per type
	for _, i := range order {
		// best fit: the compatible type agreeing on the most neurons, then
		// the one with the fewest weights defined so far
		g, bestScore := -1, -1
		for G := 0; G < types; G++ {
			ok, score := true, 0
			for j := 0; j < out && ok; j++ {
				w, tw := ql.Weights[j*in+i], ql.TypeWeights[j*types+G]
				switch {
				case w == 0 || tw == 0:
				case tw == w:
					score++
				default:
					ok = false
				}
			}
			if ok && (score > bestScore || score == bestScore && set[G] < set[g]) {
				g, bestScore = G, score
			}
		}
		if g < 0 {
			return ql, "", &QuantizeLimitError{Limit: "axon types", Need: int64(types + 1), Have: int64(types),
				Unit:   "axon types",
				Detail: fmt.Sprintf("axon types: input %d's weights match none of the %d axon types the other inputs define (each neuron has one weight per type)", i, types),
				Hint:   "retrain with snnc train --target " + t.Name}
		}
		ql.AxonTypes[i] = uint8(g)
		for j := 0; j < out; j++ {
			if w := ql.Weights[j*in+i]; w != 0 && ql.TypeWeights[j*types+g] == 0 {
				ql.TypeWeights[j*types+g] = w
				set[g]++
			}
		}
	}
	return ql, "", nil
}

// TrueNorthReset is the TrueNorth reset mode of a spiking layer: reset to
// zero (mode 0), or the linear reset V −= α (mode 1) for ir.ResetSubtract,
// which with γ = 1 is the float model's u[t] = u[t−1] − ϑ·s[t−1] + c[t].
func TrueNorthReset(l *ir.Layer) ir.ResetMode {
	if l.Neuron.Reset == ir.ResetSubtract {
		return ir.ResetSubtract
	}
	return ir.ResetZero
}
