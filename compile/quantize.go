package compile

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// headroomBits is how far above ϑ·Scale the 24-bit potential reaches: the
// quantizer keeps ϑ·Scale ≤ 2^(potential−1−headroomBits), so v spans ±32ϑ
// before it clips (a potential clipped at the top still fires, as the float
// one does; one clipped at the bottom is at least 32ϑ below threshold).
const headroomBits = 5

// layerQuantizer lowers chain layer k (model layer li) to the integer
// parameters of one neuron model, with a warning for the report.
type layerQuantizer func(s *state, k, li int, l *ir.Layer) (ir.QuantLayer, string, error)

// quantizers are the layer quantizers of the neuron models (see
// targets.Backend.NeuronModel); a family with a new neuron model adds one.
var quantizers = map[targets.NeuronModel]layerQuantizer{
	targets.NeuronCUBA: func(s *state, k, _ int, l *ir.Layer) (ir.QuantLayer, string, error) {
		return s.quantizeLoihi(k, l)
	},
	targets.NeuronLinearLeak: (*state).quantizeTrueNorth,
	targets.NeuronLavaCUBA: func(s *state, k, _ int, l *ir.Layer) (ir.QuantLayer, string, error) {
		return s.quantizeLavaCUBA(k, l)
	},
}

// quantize lowers every layer with neurons to the target's integer formats
// with the quantizer of its backend's neuron model (see the package
// documentation for the semantics).
func quantize(s *state) error {
	m := s.m
	q := &ir.Quantized{Target: s.t.Name, WeightBits: s.weightBits, Layers: make([]ir.QuantLayer, len(m.Layers))}
	model := s.b.NeuronModel()
	quantizeLayer, ok := quantizers[model]
	if !ok {
		return fmt.Errorf("compile: %s: quantization for the %v is not implemented", s.t.Name, model)
	}
	for k, li := range s.chain {
		ql, warn, err := quantizeLayer(s, k, li, &m.Layers[li])
		if err != nil {
			return err
		}
		if warn != "" {
			s.report.Warnings = append(s.report.Warnings, fmt.Sprintf("layer %d (%s): %s", li, m.Layers[li].Name, warn))
		}
		q.Layers[li] = ql
	}
	m.Quantized = q
	return nil
}

// layerStats are the weight statistics the quantizer needs.
type layerStats struct {
	maxAbs float32
	// maxPN is the largest, over neurons, of the sum of positive weights
	// and of the sum of negative weights' magnitudes: the largest |input|
	// one step of binary spikes can bring.
	maxPN float64
	// maxBias is max |b|.
	maxBias float64
}

func weightStats(l *ir.Layer) layerStats {
	out, in := weightRows(l)
	row := func(j int) []float32 { return l.Weights[j*in : (j+1)*in] }
	if l.Kind == ir.KindSparse {
		out = len(l.RowStart) - 1
		row = func(j int) []float32 { return l.Weights[l.RowStart[j]:l.RowStart[j+1]] }
	}
	type part struct {
		maxAbs float32
		maxPN  float64
	}
	parts := make([]part, max(0, out))
	parallelRows(len(parts), func(j0, j1 int) {
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
			parts[j] = part{mx, float64(sa+abs32(sw)) / 2}
		}
	})
	var st layerStats
	for _, p := range parts {
		st.maxAbs = max(st.maxAbs, p.maxAbs)
		st.maxPN = max(st.maxPN, p.maxPN)
	}
	for _, b := range l.Bias {
		st.maxBias = max(st.maxBias, math.Abs(float64(b)))
	}
	return st
}

// quantizeLoihi picks the weight exponent e, the mantissa scale and the
// threshold of one layer:
//
//	spiking layers: the largest e in [WeightExpMin, WeightExpMax] such that
//	  no step's input can wrap u (maxPN·S·2^(6+e) < 2^23) and
//	  ϑ·S·2^(6+e) ≤ 2^(23−headroomBits), with S = max mantissa / max|w|;
//	  then Vth = ⌊(ϑ·S·2^(6+e) − 1)/64⌋ and Scale = (Vth·64 + 1)/ϑ, so that
//	  v > Vth·64 ⇔ v ≥ ϑ·Scale exactly; S shrinks to Scale/2^(6+e) (by less
//	  than 64/(ϑ·Scale) relative).
//	readout: the largest e such that T·(maxPN·S·2^(6+e) + max|b|·Scale)
//	  stays below the largest threshold Vth_max·64, so the accumulator can
//	  neither fire nor clip; Scale = S·2^(6+e).
//
// If no exponent fits, S shrinks (fewer weight bits are used) and a warning
// is returned.
func (s *state) quantizeLoihi(k int, l *ir.Layer) (ir.QuantLayer, string, error) {
	t := s.t
	step, mmax, _ := s.b.WeightGrid(s.weightBits)
	st := weightStats(l)
	rows, in := weightRows(l)
	vmax := float64(int64(1)<<(t.Bits.Potential-1) - 1)
	accMax := float64(int64(1)<<(t.Bits.Accumulator-1) - 1)
	// graded input (graded.go): payloads up to pmax, P payload units per
	// float input unit; binary spikes: 1 and 1
	payloadBits, perUnit, pmax := s.gradedLayer(k)
	if payloadBits > 0 {
		accMax = float64(int64(1)<<(t.GradedSpikes.SumBits()-1) - 1)
	}
	vthMax := int64(1)<<t.Bits.Threshold - 1
	thrCap := float64(int64(1) << (t.Bits.Potential - 1 - headroomBits))

	sw := 1.0 // mantissa units per float weight unit
	if st.maxAbs > 0 {
		sw = float64(mmax) / float64(st.maxAbs)
	}
	warn := ""
	// largest input of one step in mantissa units (per unit of sw), with
	// rounding slack, bounded by the grid.
	inPerS := st.maxPN
	slack := float64(in) * float64(step) / 2
	maxIn := func(sw float64) float64 { return min(inPerS*sw+slack, float64(in)*float64(mmax)) * pmax }
	if mi := maxIn(sw); mi > accMax {
		sw *= (accMax/pmax - slack) / (inPerS * sw)
		warn = "weights scaled down to keep the synaptic accumulator from wrapping"
	}
	onChip := s.onChipInput(k)
	readout := s.isReadout(k)
	T := float64(max(1, s.m.Timesteps))
	theta := float64(l.Neuron.Threshold)

	// sh is the potential units per mantissa unit of one input unit; the
	// layer's Scale is sw·sh·perUnit
	fits := func(e int, sw float64) bool {
		sh := math.Ldexp(1, 6+e)
		if readout {
			return T*(maxIn(sw)*sh+st.maxBias*sw*sh*perUnit) <= float64(vthMax<<6)
		}
		if onChip && maxIn(sw)*sh > vmax {
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
			lim = min(lim, (float64(vthMax<<6)/T-slack*pmax*sh)/((inPerS*pmax+st.maxBias*perUnit)*sh))
		} else {
			if onChip && inPerS > 0 {
				lim = min(lim, (vmax/(sh*pmax)-slack)/inPerS)
			}
			lim = min(lim, thrCap/(theta*sh*perUnit))
		}
		if lim <= 0 {
			return ir.QuantLayer{}, "", fmt.Errorf("compile: layer %s: weights cannot be scaled into the %d-bit potential", l.Name, t.Bits.Potential)
		}
		warn = fmt.Sprintf("weight mantissas scaled by %.3g of their range to fit the potential and threshold ranges", lim/sw)
		sw = lim
	}
	sh := math.Ldexp(1, 6+e)
	ql := ir.QuantLayer{WeightExponent: int8(e), DecayU: 4096}
	if readout {
		ql.Scale = float32(sw * sh * perUnit)
		ql.Threshold = int32(vthMax)
		ql.DecayV = 0
		ql.Reset = ir.ResetNone
	} else {
		x := theta * sw * sh * perUnit
		vth := int64(math.Floor((x - 1) / 64))
		vth = max(0, min(vth, vthMax))
		scale := float64(vth*64+1) / theta
		sw = scale / (sh * perUnit)
		ql.Scale = float32(scale)
		ql.Threshold = int32(vth)
		ql.DecayV = int32(min(4095, max(0, math.Round(4096*(1-float64(l.Neuron.Leak))))))
		ql.Reset = ir.ResetZero
	}
	ql.Weights = make([]int16, len(l.Weights))
	parallelRows(rows, func(j0, j1 int) {
		targets.EncodeWeights(ql.Weights[j0*in:j1*in], l.Weights[j0*in:j1*in], float32(sw), step, mmax)
	})
	if !(k == 0 && !onChip) {
		ql.Bias, ql.BiasExponent = encodeBiases(l.Bias, float64(ql.Scale), t.Bits.Bias, t.Bits.BiasExponentMax)
	}
	if payloadBits > 0 {
		ql.InputPayloadBits, ql.InputPayloadScale = uint8(payloadBits), float32(perUnit)
	}
	return ql, warn, nil
}

// quantizeLavaCUBA quantizes one layer for Lava's CUBA-LIF
// (targets.Loihi2Step) with the rules of quantizeLoihi, which carry over
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
//	bias:    13-bit mantissa, exponent 0..7 (encodeBiases)
//
// The exponent is the largest that fits, so it is ≥ 0 whenever e = 0 fits;
// a negative one (large weights against a small threshold) rounds each
// step's sum down, by less than one unit of a (64 potential units), which
// EvalInteger and the simulator reproduce through the kernel's Reference.
func (s *state) quantizeLavaCUBA(k int, l *ir.Layer) (ir.QuantLayer, string, error) {
	return s.quantizeLoihi(k, l)
}

// encodeBiases returns round(b·scale/2^be) with the smallest exponent be in
// 0..expMax for which every mantissa fits bits (signed); mantissas saturate
// at expMax.
func encodeBiases(b []float32, scale float64, bits, expMax int) ([]int32, int8) {
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

// parallelRows runs f over [0,n) split into contiguous chunks, one per CPU.
func parallelRows(n int, f func(j0, j1 int)) {
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
