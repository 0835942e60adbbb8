package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// This file checks the fast engine against a deliberately simple integer
// reference: dense Out×In matrices in the IR's own neuron order (conv and
// sparse layers written out through ir.EachSynapse), step by step, one call
// of targets.LoihiStep / targets.Loihi2Step / targets.TrueNorthStep per
// neuron (by the target's neuron model), the pipeline
// delay written out with explicit spike vectors.

// refLayer is a layer with neurons written out densely for the reference.
type refLayer struct {
	in, n int
	// w[j*in+i] is the summed integer weight from input i to neuron j,
	// syn[j*in+i] the number of synapses between them that count as
	// synaptic events (TrueNorth dense layers: set crossbar bits, w ≠ 0).
	w   []int64
	syn []int64
	// fw[j*in+i] lists the float weights (host current of a direct first layer).
	fw [][]float32
	// fb and qb are the float and integer biases per neuron.
	fb []float32
	qb []int64
}

// expandRef writes layer l out densely.
func expandRef(l *ir.Layer, ql *ir.QuantLayer, truenorth bool) *refLayer {
	in, n := l.NumInputs(), l.NumOutputs()
	r := &refLayer{in: in, n: n, w: make([]int64, in*n), syn: make([]int64, in*n), fw: make([][]float32, in*n),
		fb: make([]float32, n), qb: make([]int64, n)}
	ir.EachSynapse(l, func(i, j, k int) {
		if len(ql.Weights) > 0 {
			r.w[j*in+i] += int64(ql.Weights[k])
		}
		r.syn[j*in+i]++
		r.fw[j*in+i] = append(r.fw[j*in+i], l.Weights[k])
	})
	if truenorth && l.Kind == ir.KindDense {
		for k, w := range r.w {
			r.syn[k] = 0
			if w != 0 {
				r.syn[k] = 1
			}
		}
	}
	per := 1 // conv biases may be per channel
	if l.Kind == ir.KindConv2D {
		per = l.OutShape[1] * l.OutShape[2]
	}
	for j := 0; j < n; j++ {
		switch len(l.Bias) {
		case n:
			r.fb[j] = l.Bias[j]
		case n / per:
			r.fb[j] = l.Bias[j/per]
		}
		switch len(ql.Bias) {
		case 0:
		case n:
			r.qb[j] = int64(ql.Bias[j]) << ql.BiasExponent
		default:
			r.qb[j] = int64(ql.Bias[j/per]) << ql.BiasExponent
		}
	}
	return r
}

// mapOrder is the index in the mapping's neuron order (Core.NeuronStart)
// of neuron j of layer l: a conv layer that is not the readout is in its
// MapOrder (the n with MapOrder[n] = j) if it has one, else group-major,
// position-major, ((g·H+y)·W+x)·(C/G) + c' for channel c = g·(C/G) + c';
// other layers keep their own order.
func mapOrder(l *ir.Layer, readout bool, j int) int {
	if l.Kind != ir.KindConv2D || readout {
		return j
	}
	if len(l.MapOrder) > 0 {
		for n, x := range l.MapOrder {
			if int(x) == j {
				return n
			}
		}
		panic("map_order is not a permutation")
	}
	C, H, W := l.OutShape[0], l.OutShape[1], l.OutShape[2]
	cg := C / l.NumGroups()
	c, y, x := j/(H*W), (j/W)%H, j%W
	return ((c/cg*H+y)*W+x)*cg + c%cg
}

// refState is the reference's state after one chip step.
type refState struct {
	u, v [][]int32 // per layer with neurons (readout: nil)
	acc  []int64   // readout accumulators (or spike counts)
}

type refCounts struct {
	synops, spikes, wraps int64
	graded                int64 // graded synaptic ops (in synops too)
}

// refSim runs one sample through the reference and returns the state after
// every chip step and the prediction. With delayed false it runs the
// zero-delay model instead (T steps, every layer in every step, layer l+1
// seeing layer l's spikes of the same step).
func refSim(t testing.TB, m *ir.Model, x []uint8, sample int, delayed bool) ([]refState, int, refCounts) {
	t.Helper()
	q := m.Quantized
	tgt, err := targets.Lookup(q.Target)
	require.NoError(t, err)
	var idx []int // model layers with neurons
	for i := range m.Layers {
		if m.Layers[i].HasNeurons() {
			idx = append(idx, i)
		}
	}
	L, T := len(idx), m.Timesteps
	spikeRO := m.Readout.Kind == ir.ReadoutSpikeCount
	bits := uint8(tgt.Bits.Potential)
	u := make([][]int32, L)
	v := make([][]int32, L)
	out := make([][]bool, L) // spikes emitted at the previous step
	for l, mi := range idx {
		n := m.Layers[mi].NumOutputs()
		u[l], v[l], out[l] = make([]int32, n), make([]int32, n), make([]bool, n)
	}
	acc := make([]int64, m.Layers[idx[L-1]].NumOutputs())
	refs := make([]*refLayer, L)
	model := tgt.Backend().NeuronModel()
	cuba, lava := model == targets.NeuronCUBA, model == targets.NeuronLavaCUBA
	for l, mi := range idx {
		refs[l] = expandRef(&m.Layers[mi], &q.Layers[mi], model == targets.NeuronLinearLeak)
	}

	// Host input.
	scale := m.Input.Scale
	if scale == 0 {
		scale = 1
	}
	var hostBias []int64
	var rg rateGen
	// graded input: the payload of every input, sent every step
	var payload []int64
	if ql0 := &q.Layers[idx[0]]; m.Input.Encoding == ir.EncodingDirect && ql0.InputPayloadBits > 0 {
		payload = make([]int64, len(x))
		for i, px := range x {
			payload[i] = int64(targets.GradedPayload(float32(px), scale, ql0.InputPayloadScale, int(ql0.InputPayloadBits)))
		}
	} else if m.Input.Encoding == ir.EncodingDirect {
		r0 := refs[0]
		in, n := r0.in, r0.n
		hostBias = make([]int64, n)
		for j := 0; j < n; j++ {
			var c float32
			for i := 0; i < in; i++ {
				xi := float32(x[i]) * scale
				for _, w := range r0.fw[j*in+i] {
					c += float32(w * xi)
				}
			}
			c += r0.fb[j]
			hostBias[j] = int64(math.Round(float64(c) * float64(q.Layers[idx[0]].Scale)))
		}
	} else {
		rg.init(len(x))
		rg.reset(sample, x, scale)
	}

	routed := map[[2]int]bool{}
	for _, r := range m.Mapping.Routes {
		routed[[2]int{r.From, r.To}] = true
	}
	// cores[l][j]: the core of neuron j (model order) of layer idx[l]
	cores := make([][]int, L)
	for l, mi := range idx {
		ml := &m.Layers[mi]
		cores[l] = make([]int, ml.NumOutputs())
		for j := range cores[l] {
			cores[l][j] = -1
			n := mapOrder(ml, l == L-1, j)
			for ci, c := range m.Mapping.Cores {
				if c.Layer == mi && n >= c.NeuronStart && n < c.NeuronStart+c.NeuronCount {
					cores[l][j] = ci
				}
			}
			require.GreaterOrEqual(t, cores[l][j], 0, "neuron %d of layer %d on no core", j, mi)
		}
	}
	var states []refState
	var cnt refCounts
	steps := T + L - 1
	if !delayed {
		steps = T
	}
	// outs[k] are the spikes of every layer at step k (synaptic delays:
	// layer l reads layer l−1's spikes of step k−1−d pipelined, k−d not)
	var outs [][][]bool
	for k := 0; k < steps; k++ {
		newOut := make([][]bool, L)
		for l, mi := range idx {
			ql, rl := &q.Layers[mi], refs[l]
			in, n := rl.in, rl.n
			newOut[l] = make([]bool, n)
			if delayed && (k < l || k > l+T-1) {
				continue
			}
			s := make([]bool, in)
			d := int(m.Layers[mi].Delay)
			switch {
			case l > 0 && delayed && d > 0:
				if k-1-d >= 0 {
					copy(s, outs[k-1-d][l-1])
				}
			case l > 0 && d > 0:
				if k-d >= 0 {
					copy(s, outs[k-d][l-1])
				}
			case l > 0 && delayed:
				copy(s, out[l-1])
			case l > 0:
				copy(s, newOut[l-1])
			case payload != nil:
				for i, p := range payload {
					s[i] = p != 0
				}
			case m.Input.Encoding == ir.EncodingRate:
				for _, i := range rg.next(nil) {
					s[i] = true
				}
			}
			nin := 0
			for _, b := range s {
				if b {
					nin++
				}
			}
			direct := l == 0 && m.Input.Encoding == ir.EncodingDirect && payload == nil
			if !direct {
				for j := 0; j < n; j++ {
					for i := 0; i < in; i++ {
						// a spike reaches a neuron's core only along a route
						if s[i] && (l == 0 || routed[[2]int{cores[l-1][i], cores[l][j]}]) {
							cnt.synops += rl.syn[j*in+i]
							if l == 0 && payload != nil {
								cnt.graded += rl.syn[j*in+i]
							}
						}
					}
				}
				if ql.BiasAxon() { // the bias axon's spike reaches every neuron
					cnt.synops += int64(n)
				}
			}
			readout := l == L-1
			for j := 0; j < n; j++ {
				var input int64
				if !direct {
					for i := 0; i < in; i++ {
						switch {
						case s[i] && l == 0 && payload != nil:
							input += rl.w[j*in+i] * payload[i] // a graded spike
						case s[i]:
							input += rl.w[j*in+i]
						}
					}
				}
				var bias int64
				switch {
				case direct:
					bias = hostBias[j]
				case ql.BiasAxon():
					// a bias axon: its weight joins the summed input
					input += rl.qb[j] >> ql.BiasExponent
				default:
					bias = rl.qb[j]
				}
				if readout && !spikeRO {
					switch {
					case cuba:
						acc[j] += input<<(6+ql.WeightExponent) + bias
					case lava:
						acc[j] += int64(targets.Loihi2Activation(input, int(ql.WeightExponent)))<<targets.Loihi2ActShift + bias
					default:
						acc[j] += input + bias
					}
					continue
				}
				var fired bool
				switch {
				case lava:
					// Lava's PyLifModelBitAcc: the weight exponent applies
					// to the summed input, du = DecayU − 1, bias as an
					// exponent-0 mantissa
					p := targets.Loihi2LIF{Du: ql.DecayU - 1, Dv: ql.DecayV, BiasMant: int32(bias), Vth: ql.Threshold, SubtractReset: ql.Reset == ir.ResetSubtract}
					a := targets.Loihi2Activation(input, int(ql.WeightExponent))
					if raw := int64(targets.LoihiDecay(u[l][j], ql.DecayU)) + int64(a)<<targets.Loihi2ActShift; raw > 1<<23 || raw <= -(1<<23) {
						cnt.wraps++
					}
					st := targets.Loihi2State{U: u[l][j], V: v[l][j]}
					fired = targets.Loihi2Step(&p, &st, a)
					u[l][j], v[l][j] = st.U, st.V
				case cuba:
					p := targets.LoihiParams{DecayU: ql.DecayU, DecayV: ql.DecayV,
						WeightShift: uint8(6 + ql.WeightExponent), Vth: ql.Threshold, PotentialBits: bits}
					if raw := int64(targets.LoihiDecay(u[l][j], ql.DecayU)) + input<<p.WeightShift; raw != int64(targets.WrapSigned(raw, bits)) {
						cnt.wraps++
					}
					fired = targets.LoihiStep(&p, &u[l][j], &v[l][j], input, bias)
				default:
					p := targets.TrueNorthParams{Leak: ql.Leak, Threshold: ql.Threshold, NegThreshold: ql.NegThreshold,
						Reset: uint8(ql.Reset), PotentialBits: bits}
					fired = targets.TrueNorthStep(&p, &v[l][j], input+bias)
				}
				if fired {
					newOut[l][j] = true
					cnt.spikes++
					if readout {
						acc[j]++
					}
				}
			}
		}
		out = newOut
		outs = append(outs, newOut)
		st := refState{acc: append([]int64(nil), acc...)}
		for l := range idx {
			st.u = append(st.u, append([]int32(nil), u[l]...))
			st.v = append(st.v, append([]int32(nil), v[l]...))
		}
		states = append(states, st)
	}
	pred := 0
	for j := range acc {
		if acc[j] > acc[pred] {
			pred = j
		}
	}
	return states, pred, cnt
}

// exactSamples is the number of samples per random network.
const exactSamples = 8

// randomNet builds a random small compiled model for target and a dataset
// of exactSamples random images for it.
func randomNet(r *rand.Rand, target string) (*ir.Model, *dataset.Set) {
	tgt, err := targets.Lookup(target)
	if err != nil {
		panic(err)
	}
	nIn := 1 + r.IntN(24)
	nLayers := 1 + r.IntN(4)
	m := &ir.Model{
		Name:      "random",
		Input:     ir.Input{Shape: []int{nIn}, Encoding: ir.Encoding(r.IntN(2)), Scale: []float32{1, 1.0 / 255, 0.01}[r.IntN(3)]},
		Timesteps: 1 + r.IntN(6),
		Quantized: &ir.Quantized{Target: target, WeightBits: 8},
	}
	if r.IntN(4) == 0 {
		m.Readout.Kind = ir.ReadoutSpikeCount
	}
	extreme := r.IntN(3) == 0
	big := r.IntN(6) == 0
	in := nIn
	if r.IntN(4) == 0 { // a flatten in front
		m.Layers = append(m.Layers, ir.Layer{Name: "flat", Kind: ir.KindFlatten, InShape: []int{in}, OutShape: []int{in}})
		m.Quantized.Layers = append(m.Quantized.Layers, ir.QuantLayer{})
	}
	for l := 0; l < nLayers; l++ {
		out := 1 + r.IntN(30)
		if big { // cores wide enough for the vector kernels
			out = 8 + r.IntN(90)
		}
		if l == nLayers-1 {
			out = 1 + r.IntN(10)
		}
		fl := ir.Layer{Name: fmt.Sprintf("fc%d", l), Kind: ir.KindDense, InShape: []int{in}, OutShape: []int{out},
			Weights: make([]float32, in*out), Bias: make([]float32, out),
			Neuron: ir.LIF{Leak: 0.9, Threshold: 1}}
		if l > 0 && tgt.SynapticDelays.MaxSteps > 0 { // delays, without drawing from r
			fl.Delay = uint8((nIn + l) % 4)
		}
		for i := range fl.Weights {
			fl.Weights[i] = float32(r.NormFloat64())
		}
		for j := range fl.Bias {
			fl.Bias[j] = float32(r.NormFloat64())
		}
		ql := randomQuant(r, target, in*out, out, extreme)
		m.Layers = append(m.Layers, fl)
		m.Quantized.Layers = append(m.Quantized.Layers, ql)
		in = out
	}
	// graded input on half the direct-input nets of a family with graded
	// spikes (decided without drawing from r, so the other nets stay as
	// they were)
	if tgt.Backend().Capabilities().GradedSpikes && m.Input.Encoding == ir.EncodingDirect && nIn%2 == 0 {
		first := len(m.Layers) - nLayers
		m.Quantized.Layers[first].InputPayloadBits = uint8(tgt.GradedSpikes.PayloadBits)
		m.Quantized.Layers[first].InputPayloadScale = []float32{255, 1, 1000}[nLayers%3]
	}
	m.Mapping = randomMapping(r, m, tgt)
	set := &dataset.Set{Name: "random", Channels: 1, Rows: nIn, Cols: 1, Classes: 1}
	set.Test.N = exactSamples
	set.Test.Images = make([]uint8, exactSamples*nIn)
	set.Test.Labels = make([]uint8, exactSamples)
	for i := range set.Test.Images {
		set.Test.Images[i] = uint8(r.IntN(256))
		if r.IntN(3) == 0 {
			set.Test.Images[i] = 0
		}
	}
	return m, set
}

// randomQuant draws the integer parameters of a layer with nw weights and
// out neurons for target.
func randomQuant(r *rand.Rand, target string, nw, out int, extreme bool) ir.QuantLayer {
	ql := ir.QuantLayer{Weights: make([]int16, nw), Scale: float32(math.Exp(r.Float64()*12 - 2))}
	for i := range ql.Weights {
		switch {
		case extreme && r.IntN(4) == 0:
			ql.Weights[i] = []int16{math.MaxInt16, math.MinInt16, -math.MaxInt16}[r.IntN(3)]
		case r.IntN(5) == 0:
			ql.Weights[i] = 0
		default:
			ql.Weights[i] = int16(r.IntN(512) - 256)
		}
	}
	if r.IntN(3) > 0 {
		ql.Bias = make([]int32, out)
		for j := range ql.Bias {
			ql.Bias[j] = int32(r.IntN(8191) - 4095)
			if r.IntN(3) == 0 {
				ql.Bias[j] = 0
			}
		}
		ql.BiasExponent = int8(r.IntN(8))
	}
	switch neuronModel(target) {
	case targets.NeuronCUBA:
		ql.WeightExponent = int8(r.IntN(14) - 6)
		ql.DecayU = []int32{0, 4096, 1, 4095, int32(r.IntN(4097))}[r.IntN(5)]
		ql.DecayV = []int32{0, 4096, 1, 4095, int32(r.IntN(4097))}[r.IntN(5)]
		ql.Threshold = []int32{0, 1, int32(r.IntN(131072)), int32(r.IntN(2000))}[r.IntN(4)]
	case targets.NeuronLavaCUBA:
		// Lava's registers: DecayU = du + 1 in 1..4096, dv in 0..4095;
		// negative exponents round the summed input down
		ql.WeightExponent = int8(r.IntN(14) - 6)
		ql.DecayU = []int32{1, 4096, 2, 4095, 1 + int32(r.IntN(4096))}[r.IntN(5)]
		ql.DecayV = []int32{0, 4095, 1, 4094, int32(r.IntN(4096))}[r.IntN(5)]
		ql.Threshold = []int32{0, 1, int32(r.IntN(131072)), int32(r.IntN(2000))}[r.IntN(4)]
	default:
		ql.Threshold = []int32{0, 1, int32(r.IntN(1 << 18)), int32(r.IntN(2000)), -int32(r.IntN(100))}[r.IntN(5)]
		ql.NegThreshold = []int32{0, int32(r.IntN(1 << 19)), int32(r.IntN(1000))}[r.IntN(3)]
		ql.Leak = []int32{0, int32(r.IntN(200) - 100), int32(r.IntN(1<<20) - 1<<19)}[r.IntN(3)]
		ql.Reset = ir.ResetMode(r.IntN(3))
	}
	return ql
}

// randomMapping splits each layer into random core ranges at distinct random
// positions; routes join every pair of cores of consecutive layers, except
// (sometimes) pairs whose weight block it zeroes.
func randomMapping(r *rand.Rand, m *ir.Model, tgt *targets.Target) *ir.Mapping {
	mp := &ir.Mapping{Target: tgt.Name, Chips: 1 + r.IntN(2), MeshWidth: tgt.Chip.MeshWidth, MeshHeight: tgt.Chip.MeshHeight}
	type pos struct{ chip, x, y int }
	used := map[pos]bool{}
	var byLayer [][]int
	for li := range m.Layers {
		l := &m.Layers[li]
		if !l.HasNeurons() {
			continue
		}
		n := l.NumOutputs()
		// random cut points
		var cuts []int
		for s := 0; s < n; {
			c := min(n-s, 1+r.IntN(max(1, n/2+1)))
			cuts = append(cuts, c)
			s += c
		}
		var cores []int
		s := 0
		perm := r.Perm(len(cuts)) // cores listed out of order
		starts := make([]int, len(cuts))
		for i, c := range cuts {
			starts[i] = s
			s += c
		}
		for _, i := range perm {
			var p pos
			for try := 0; ; try++ {
				w, h := min(4, mp.MeshWidth), min(4, mp.MeshHeight)
				if try > 10 {
					w, h = mp.MeshWidth, mp.MeshHeight
				}
				p = pos{r.IntN(mp.Chips), r.IntN(w), r.IntN(h)}
				if !used[p] {
					break
				}
			}
			used[p] = true
			cores = append(cores, len(mp.Cores))
			mp.Cores = append(mp.Cores, ir.Core{Chip: p.chip, X: p.x, Y: p.y, Layer: li, NeuronStart: starts[i], NeuronCount: cuts[i]})
		}
		byLayer = append(byLayer, cores)
	}
	neuronLayers := []int{}
	for li := range m.Layers {
		if m.Layers[li].HasNeurons() {
			neuronLayers = append(neuronLayers, li)
		}
	}
	last := len(neuronLayers) - 1
	for l := 1; l < len(byLayer); l++ {
		ml := &m.Layers[neuronLayers[l]]
		prev := &m.Layers[neuronLayers[l-1]]
		w := m.Quantized.Layers[neuronLayers[l]].Weights
		for _, a := range byLayer[l-1] {
			for _, b := range byLayer[l] {
				ca, cb := mp.Cores[a], mp.Cores[b]
				if r.IntN(5) == 0 { // no route: no synapses between them
					// (dense and sparse weights are zeroed; a conv layer's
					// are shared, so it keeps the route if one is not zero)
					keep := false
					ir.EachSynapse(ml, func(i, j, k int) {
						i, j = mapOrder(prev, false, i), mapOrder(ml, l == last, j)
						if i >= ca.NeuronStart && i < ca.NeuronStart+ca.NeuronCount && j >= cb.NeuronStart && j < cb.NeuronStart+cb.NeuronCount {
							if ml.Kind == ir.KindConv2D {
								keep = keep || w[k] != 0
							} else {
								w[k] = 0
							}
						}
					})
					if !keep {
						continue
					}
				}
				mp.Routes = append(mp.Routes, ir.Route{From: a, To: b, Axons: ca.NeuronCount})
			}
		}
	}
	m.Mapping = mp
	setHops(m)
	return mp
}

func TestBitExactRandomNetworks(t *testing.T) {
	for _, target := range perCoreTargets() {
		t.Run(target, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(target))))
			nets := 400
			if testing.Short() {
				nets = 60
			}
			var c exactCoverage
			for n := 0; n < nets; n++ {
				m, set := randomNet(r, target)
				c.add(checkExact(t, m, set, n))
			}
			t.Logf("%d networks, %d spikes, %d saturated v states, %d u wraps", nets, c.spikes, c.sats, c.wraps)
			require.Positive(t, c.spikes)
			require.Positive(t, c.sats, "no saturating potentials: the test does not reach the clip")
			if tg, _ := targets.Lookup(target); tg.Backend().Capabilities().GradedSpikes {
				t.Logf("%d nets with graded input, %d graded synaptic ops", c.gradedNets, c.gradedOps)
				require.Positive(t, c.gradedOps, "no graded input reached")
			}
			if tg, _ := targets.Lookup(target); tg.SynapticDelays.MaxSteps > 0 {
				t.Logf("%d nets with synaptic delays", c.delayedNets)
				require.Positive(t, c.delayedNets)
			}
			if cubaTarget(target) {
				require.Positive(t, c.wraps, "no wrapping u: the test does not reach the wrap")
				requireCUBAPaths(t, target, c)
			} else {
				requireSegments(t, c, false, true, true)
			}
		})
	}
}

// TestBitExactSparseGrouped runs the reference check on random networks
// with grouped conv layers, sparse layers (splitters and random synapse
// lists, duplicates included) and dense layers, on random multi-core
// mappings.
func TestBitExactSparseGrouped(t *testing.T) {
	for _, target := range perCoreTargets() {
		t.Run(target, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(len(target))))
			nets := 600
			if testing.Short() {
				nets = 50
			}
			var c exactCoverage
			ordered := 0
			for n := 0; n < nets; n++ {
				m, set := randomStructNetOrders(r, target, true)
				for li := range m.Layers {
					if len(m.Layers[li].MapOrder) > 0 {
						ordered++
					}
				}
				c.add(checkExact(t, m, set, n))
			}
			t.Logf("%d conv layers with a mapping order of their own", ordered)
			require.Positive(t, ordered, "no conv layer with its own mapping order")
			t.Logf("%d networks, %d chip steps, %d spikes, %d synaptic events (%d in sparse layers, %d in grouped conv layers), %d sparse layers, %d grouped conv layers, %d saturated v states",
				nets, c.steps, c.spikes, c.synops, c.sparseOps, c.groupedOps, c.sparseLayers, c.groupedLayers, c.sats)
			t.Logf("%d conv readouts", c.convReadouts)
			require.Positive(t, c.sparseOps, "no spike reached a sparse layer")
			require.Positive(t, c.groupedOps, "no spike reached a grouped conv layer")
			require.Positive(t, c.sparseSpikes, "no sparse layer spiked")
			require.Positive(t, c.convReadouts, "no network read out from a conv layer on the chip")
			if cubaTarget(target) {
				requireCUBAPaths(t, target, c)
			}
			requireSegments(t, c, true, false, !cubaTarget(target))
		})
	}
}

// cubaTarget reports whether the named target's family runs a
// current-based compartment with a current u (targets.NeuronCUBA or
// targets.NeuronLavaCUBA; otherwise the linear-leak neuron). The random
// networks and the reference choose their parameters and step by the
// neuron model, so every family in perCoreTargets() is tested.
func cubaTarget(name string) bool { return neuronModel(name) != targets.NeuronLinearLeak }

// neuronModel is the named target's neuron model.
func neuronModel(name string) targets.NeuronModel {
	t, err := targets.Lookup(name)
	if err != nil {
		panic(err)
	}
	return t.Backend().NeuronModel()
}

// exactCoverage sums what checkExact exercised.
type exactCoverage struct {
	steps, spikes, wraps, sats, synops  int64
	sparseOps, groupedOps, sparseSpikes int64
	sparseLayers, groupedLayers         int
	convReadouts                        int
	gradedNets                          int                 // nets with graded input
	gradedOps                           int64               // their graded synaptic ops
	delayedNets                         int                 // nets with synaptic delays
	paths                               targets.KernelPaths // neuron updates by kernel loop
	// segments of the span layouts (spans.go) by kind
	spanSegs, scatterSegs, crossbarSegs, emptySegs int
}

func (c *exactCoverage) add(o exactCoverage) {
	c.steps += o.steps
	c.spikes += o.spikes
	c.wraps += o.wraps
	c.sats += o.sats
	c.synops += o.synops
	c.sparseOps += o.sparseOps
	c.groupedOps += o.groupedOps
	c.sparseSpikes += o.sparseSpikes
	c.sparseLayers += o.sparseLayers
	c.groupedLayers += o.groupedLayers
	c.convReadouts += o.convReadouts
	c.gradedNets += o.gradedNets
	c.gradedOps += o.gradedOps
	c.delayedNets += o.delayedNets
	c.paths.Vector += o.paths.Vector
	c.paths.Dense += o.paths.Dense
	c.paths.Sparse += o.paths.Sparse
	c.spanSegs += o.spanSegs
	c.scatterSegs += o.scatterSegs
	c.crossbarSegs += o.crossbarSegs
	c.emptySegs += o.emptySegs
}

// requireSegments requires the span layouts of the checked networks to
// hold segments of the kinds given (sparse spans, scatter lists, crossbar
// spans) and, for a linear-leak target with AVX2, neurons updated by the
// vector kernel.
func requireSegments(t *testing.T, c exactCoverage, sparse, crossbar, linear bool) {
	t.Helper()
	t.Logf("segments: %d sparse spans, %d scatter lists, %d crossbar spans (%d empty); neuron updates: %d vector, %d portable, %d skipped",
		c.spanSegs, c.scatterSegs, c.crossbarSegs, c.emptySegs, c.paths.Vector, c.paths.Dense, c.paths.Sparse)
	if sparse {
		require.Positive(t, c.spanSegs, "no sparse layer was laid out as spans")
		require.Positive(t, c.scatterSegs, "no sparse layer was laid out as scatter lists")
	}
	if crossbar {
		require.Positive(t, c.crossbarSegs, "no crossbar layer was laid out as spans")
		require.Positive(t, c.emptySegs, "no routed core without synapses for an input")
	}
	if linear {
		require.Positive(t, c.paths.Dense, "the portable linear-leak loop never ran")
		if useAVX2 {
			require.Positive(t, c.paths.Vector, "the AVX2 linear-leak kernel never ran")
		}
	}
}

// requireCUBAPaths requires every CUBA kernel loop of target to have run:
// the idle-skipping loop, the portable 24-bit loop and, where the machine
// and build have it, the AVX2 kernel (Loihi 1's compartment only; Lava's
// CUBA-LIF has no vector form).
func requireCUBAPaths(t *testing.T, target string, c exactCoverage) {
	t.Helper()
	t.Logf("CUBA updates: %d AVX2, %d portable 24-bit, %d idle-skipping", c.paths.Vector, c.paths.Dense, c.paths.Sparse)
	require.Positive(t, c.paths.Dense, "the portable 24-bit loop never ran")
	require.Positive(t, c.paths.Sparse, "the idle-skipping loop never ran")
	if useAVX2 && neuronModel(target) == targets.NeuronCUBA { // the same CPU test as the targets kernel's
		require.Positive(t, c.paths.Vector, "the AVX2 kernel never ran")
	}
}

// checkExact runs every test sample of set through the engine and the
// reference (net n) and requires equal states at every chip step, equal
// predictions, synaptic events and spikes.
func checkExact(t *testing.T, m *ir.Model, set *dataset.Set, n int) exactCoverage {
	t.Helper()
	var cov exactCoverage
	p, err := lowerChip(m)
	require.NoError(t, err, "net %d", n)
	require.NoError(t, checkData(p.net, set))
	w := newChipWorker(p)
	for l := range p.layers {
		ml := &m.Layers[p.layers[l].model]
		switch {
		case ml.Kind == ir.KindSparse:
			cov.sparseLayers++
		case ml.Kind == ir.KindConv2D && ml.NumGroups() > 1:
			cov.groupedLayers++
		}
		if l == len(p.layers)-1 && ml.Kind == ir.KindConv2D {
			cov.convReadouts++
		}
		L := &p.layers[l]
		if L.spans == nil {
			continue
		}
		for _, g := range L.spans.seg {
			switch {
			case g.scatter:
				cov.scatterSegs++
			case L.sp != nil:
				cov.spanSegs++
			default:
				cov.crossbarSegs++
				if g.hi == g.lo {
					cov.emptySegs++
				}
			}
		}
	}
	if p.layers[0].graded {
		cov.gradedNets++
	}
	for _, L := range p.layers {
		if L.delay > 0 {
			cov.delayedNets++
			break
		}
	}
	paths0 := w.paths
	// toSim moves a reference state (model order) to the mapping's order
	toSim := func(l int, x []int32) []int32 {
		ml := &m.Layers[p.layers[l].model]
		y := make([]int32, len(x))
		for j, v := range x {
			y[mapOrder(ml, l == len(p.layers)-1, j)] = v
		}
		return y
	}
	for s := 0; s < set.Test.N; s++ {
		x := set.Test.Image(s, set.ImageSize())
		want, wantPred, cnt := refSim(t, m, x, s, true)
		// The pipeline only delays: layer l at chip step k is the
		// zero-delay model's layer l at step k−l.
		zero, zeroPred, _ := refSim(t, m, x, s, false)
		require.Equal(t, zeroPred, wantPred, "net %d sample %d: zero-delay prediction", n, s)
		for k := range want {
			for l := range p.layers {
				if tz := k - l; tz >= 0 && tz < m.Timesteps {
					require.Equal(t, zero[tz].v[l], want[k].v[l], "net %d sample %d step %d layer %d: delayed v vs zero-delay", n, s, k, l)
					require.Equal(t, zero[tz].u[l], want[k].u[l], "net %d sample %d step %d layer %d: delayed u vs zero-delay", n, s, k, l)
				}
			}
		}
		require.Equal(t, zero[m.Timesteps-1].acc, want[len(want)-1].acc, "net %d sample %d: readout", n, s)
		before := append([]Counts(nil), w.perLayer...)
		w.observe = func(k int) {
			st := want[k]
			for l := range p.layers {
				L := &p.layers[l]
				if L.readout && !L.spiking {
					continue
				}
				if p.target.Backend().NeuronModel() != targets.NeuronLinearLeak {
					require.Equal(t, toSim(l, st.u[l]), w.u[l], "net %d sample %d step %d layer %d: u", n, s, k, l)
				}
				require.Equal(t, toSim(l, st.v[l]), w.v[l], "net %d sample %d step %d layer %d: v", n, s, k, l)
				for _, x := range st.v[l] {
					if x == 1<<23-1 || x == -(1<<23-1) || x == 1<<19-1 || x == -(1<<19-1) {
						cov.sats++
					}
				}
			}
			require.Equal(t, st.acc, w.racc, "net %d sample %d step %d: readout", n, s, k)
		}
		pred, _ := w.runSample(s, x)
		require.Equal(t, wantPred, pred, "net %d sample %d: prediction", n, s)
		var diff Counts
		for i := range w.perLayer {
			d := w.perLayer[i]
			d.SynapticOps -= before[i].SynapticOps
			d.GradedSynapticOps -= before[i].GradedSynapticOps
			d.Spikes -= before[i].Spikes
			diff.SynapticOps += d.SynapticOps
			diff.GradedSynapticOps += d.GradedSynapticOps
			diff.Spikes += d.Spikes
			switch l := &m.Layers[i]; {
			case l.Kind == ir.KindSparse:
				cov.sparseOps += d.SynapticOps
				cov.sparseSpikes += d.Spikes
			case l.Kind == ir.KindConv2D && l.NumGroups() > 1:
				cov.groupedOps += d.SynapticOps
			}
		}
		require.Equal(t, cnt.synops, diff.SynapticOps, "net %d sample %d: synaptic ops", n, s)
		require.Equal(t, cnt.graded, diff.GradedSynapticOps, "net %d sample %d: graded synaptic ops", n, s)
		cov.gradedOps += cnt.graded
		require.Equal(t, cnt.spikes, diff.Spikes, "net %d sample %d: spikes", n, s)
		cov.spikes += cnt.spikes
		cov.wraps += cnt.wraps
		cov.synops += cnt.synops
		cov.steps += int64(len(want))
	}
	cov.paths = targets.KernelPaths{Vector: w.paths.Vector - paths0.Vector, Dense: w.paths.Dense - paths0.Dense, Sparse: w.paths.Sparse - paths0.Sparse}
	return cov
}

// randomStructNet builds a random small compiled model for target with an
// image input, up to two (often grouped) conv layers, then sparse and dense
// layers (at least one sparse layer when there is no conv), and a dataset
// of random images for it.
func randomStructNet(r *rand.Rand, target string) (*ir.Model, *dataset.Set) {
	return randomStructNetOrders(r, target, false)
}

// randomStructNetOrders is randomStructNet; with orders, some conv layers
// get a mapping order of their own (randomMapOrders).
func randomStructNetOrders(r *rand.Rand, target string, orders bool) (*ir.Model, *dataset.Set) {
	tgt, err := targets.Lookup(target)
	if err != nil {
		panic(err)
	}
	C, H, W := 1+r.IntN(4), 2+r.IntN(5), 2+r.IntN(5)
	m := &ir.Model{
		Name:      "random-struct",
		Input:     ir.Input{Shape: []int{C, H, W}, Encoding: ir.Encoding(r.IntN(2)), Scale: []float32{1, 1.0 / 255, 0.01}[r.IntN(3)]},
		Timesteps: 1 + r.IntN(6),
		Quantized: &ir.Quantized{Target: target, WeightBits: 8},
	}
	if r.IntN(4) == 0 {
		m.Readout.Kind = ir.ReadoutSpikeCount
	}
	extreme := r.IntN(4) == 0
	lif := ir.LIF{Leak: 0.9, Threshold: 1}
	randW := func(n int) []float32 {
		w := make([]float32, n)
		for i := range w {
			w[i] = float32(r.NormFloat64())
		}
		return w
	}
	shape := []int{C, H, W}
	nConv := r.IntN(3)
	for c := 0; c < nConv; c++ {
		ic, ih, iw := shape[0], shape[1], shape[2]
		var divs []int
		for g := 1; g <= ic; g++ {
			if ic%g == 0 {
				divs = append(divs, g)
			}
		}
		g := divs[r.IntN(len(divs))]
		if r.IntN(3) > 0 { // mostly grouped
			g = divs[len(divs)-1]
		}
		oc := g * (1 + r.IntN(3))
		k, st, pad := 1+r.IntN(3), 1+r.IntN(2), r.IntN(2)
		oh, ow := (ih+2*pad-k)/st+1, (iw+2*pad-k)/st+1
		if oh < 1 || ow < 1 {
			k, pad = 1, 0
			oh, ow = (ih-1)/st+1, (iw-1)/st+1
		}
		groups := g
		if g == 1 && r.IntN(2) == 0 {
			groups = 0
		}
		nw := oc * (ic / g) * k * k
		fl := ir.Layer{Name: fmt.Sprintf("conv%d", c), Kind: ir.KindConv2D, InShape: shape, OutShape: []int{oc, oh, ow},
			Kernel: [2]int{k, k}, Stride: [2]int{st, st}, Padding: [2]int{pad, pad}, Groups: groups,
			Weights: randW(nw), Bias: randW(oc), Neuron: lif}
		ql := randomQuant(r, target, nw, oc*oh*ow, extreme)
		if ql.Bias != nil && r.IntN(2) == 0 { // per channel
			ql.Bias = ql.Bias[:oc]
		}
		m.Layers = append(m.Layers, fl)
		m.Quantized.Layers = append(m.Quantized.Layers, ql)
		shape = fl.OutShape
	}
	in := ir.ShapeSize(shape)
	convReadout := nConv > 0 && r.IntN(4) == 0 // the last conv layer is the readout
	if !convReadout && r.IntN(2) == 0 {
		m.Layers = append(m.Layers, ir.Layer{Name: "flat", Kind: ir.KindFlatten, InShape: shape, OutShape: []int{in}})
		m.Quantized.Layers = append(m.Quantized.Layers, ir.QuantLayer{})
		shape = []int{in}
	}
	nFlat := 1 + r.IntN(3)
	if convReadout {
		nFlat = 0
	}
	for l := 0; l < nFlat; l++ {
		last := l == nFlat-1
		sparse := r.IntN(3) > 0 || (nConv == 0 && l == 0)
		out := 1 + r.IntN(30)
		if last {
			out = 1 + r.IntN(10)
		}
		if !sparse {
			fl := ir.Layer{Name: fmt.Sprintf("fc%d", l), Kind: ir.KindDense, InShape: shape, OutShape: []int{out},
				Weights: randW(in * out), Bias: randW(out), Neuron: lif}
			m.Layers = append(m.Layers, fl)
			m.Quantized.Layers = append(m.Quantized.Layers, randomQuant(r, target, in*out, out, extreme))
			shape, in = fl.OutShape, out
			continue
		}
		splitter := !last && r.IntN(2) == 0 && in <= 200
		var rows [][]int32
		if splitter { // every input copied 1..3 times, copies in random order
			copies := 1 + r.IntN(3)
			out = in * copies
			for _, n := range r.Perm(out) {
				rows = append(rows, []int32{int32(n / copies)})
			}
		} else {
			for n := 0; n < out; n++ {
				var row []int32
				for range r.IntN(min(in, 8) + 1) {
					row = append(row, int32(r.IntN(in))) // duplicates allowed
				}
				rows = append(rows, row)
			}
		}
		fl := ir.Layer{Name: fmt.Sprintf("sp%d", l), Kind: ir.KindSparse, InShape: shape, OutShape: []int{out},
			RowStart: make([]int32, out+1), Bias: randW(out), Neuron: lif}
		for n, row := range rows {
			fl.Cols = append(fl.Cols, row...)
			fl.RowStart[n+1] = int32(len(fl.Cols))
		}
		fl.Weights = randW(len(fl.Cols))
		ql := randomQuant(r, target, len(fl.Cols), out, extreme)
		if splitter && r.IntN(2) == 0 { // weight = threshold: every spike is copied
			ql.Bias, ql.Leak = nil, 0
			for k := range ql.Weights {
				ql.Weights[k] = int16(min(math.MaxInt16, max(1, ql.Threshold)))
				if cubaTarget(target) {
					ql.Weights[k] = math.MaxInt16
				}
			}
		}
		m.Layers = append(m.Layers, fl)
		m.Quantized.Layers = append(m.Quantized.Layers, ql)
		shape, in = fl.OutShape, out
	}
	if orders {
		randomMapOrders(m, convReadout)
	}
	m.Mapping = randomMapping(r, m, tgt)
	size := C * H * W
	set := &dataset.Set{Name: "random", Channels: C, Rows: H, Cols: W, Classes: 1}
	set.Test.N = exactSamples
	set.Test.Images = make([]uint8, exactSamples*size)
	set.Test.Labels = make([]uint8, exactSamples)
	for i := range set.Test.Images {
		set.Test.Images[i] = uint8(r.IntN(256))
		if r.IntN(3) == 0 {
			set.Test.Images[i] = 0
		}
	}
	return m, set
}

// randomMapOrders gives some of m's conv layers (not a conv readout) a
// mapping order of their own (ir.Layer.MapOrder), drawn from a generator
// of their own so that the rest of the network is as before: a random
// permutation of the neurons, or the positions in a random order with the
// channels of a group in blocks of equal or of unequal widths (units of
// several consecutive channels in the simulator's kernel, see
// sim/convk.go).
func randomMapOrders(m *ir.Model, convReadout bool) {
	for li := range m.Layers {
		l := &m.Layers[li]
		if l.Kind != ir.KindConv2D || (convReadout && li == len(m.Layers)-1) {
			continue
		}
		n := l.NumOutputs()
		r := rand.New(rand.NewPCG(uint64(n), uint64(li+len(l.Weights))))
		cg := l.OutShape[0] / l.NumGroups()
		switch r.IntN(4) {
		case 0: // the default order
		case 1:
			l.MapOrder = make([]int32, n)
			for k, j := range r.Perm(n) {
				l.MapOrder[k] = int32(j)
			}
		case 2:
			var blocks []int
			for b := 1; b <= cg; b++ {
				if cg%b == 0 {
					blocks = append(blocks, b)
				}
			}
			b := blocks[r.IntN(len(blocks))]
			widths := make([]int, cg/b)
			for i := range widths {
				widths[i] = b
			}
			l.MapOrder = blockMapOrder(r, l, widths)
		default: // a random composition of the channels, blocks in any order
			var widths []int
			for c := 0; c < cg; {
				b := 1 + r.IntN(cg-c)
				widths = append(widths, b)
				c += b
			}
			l.MapOrder = blockMapOrder(r, l, widths)
		}
	}
}

// blockMapOrder returns a mapping order of conv layer l that cuts the
// channels of a group into blocks of the given widths (summing to
// OutC/G): block by block (in a random order), the group·positions in a
// random order, each with the block's channels in a row.
func blockMapOrder(r *rand.Rand, l *ir.Layer, widths []int) []int32 {
	C, H, W := l.OutShape[0], l.OutShape[1], l.OutShape[2]
	G := l.NumGroups()
	cg := C / G
	first := make([]int, len(widths)) // the first channel of each block
	for i := 1; i < len(widths); i++ {
		first[i] = first[i-1] + widths[i-1]
	}
	order := make([]int32, 0, C*H*W)
	pos := r.Perm(G * H * W) // group·position, in any order
	for _, bi := range r.Perm(len(widths)) {
		for _, gp := range pos {
			g, p := gp/(H*W), gp%(H*W)
			for c := first[bi]; c < first[bi]+widths[bi]; c++ {
				order = append(order, int32((g*cg+c)*H*W+p))
			}
		}
	}
	return order
}

// perCoreTargets are the targets whose chips run layers on cores (every
// target but the recurrent-core families, Xylo, which recurrent_test.go
// covers).
func perCoreTargets() []string {
	var names []string
	for _, n := range targets.Names() {
		if t, err := targets.Lookup(n); err == nil && !t.Backend().Capabilities().RecurrentCore {
			names = append(names, n)
		}
	}
	return names
}
