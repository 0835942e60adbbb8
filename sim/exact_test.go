package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train/dataset"
)

// This file checks the fast engine against a deliberately simple integer
// reference: dense Out×In matrices in the IR's own layout, step by step,
// one call of targets.LoihiStep / targets.TrueNorthStep per neuron, the
// pipeline delay written out with explicit spike vectors.

// refState is the reference's state after one chip step.
type refState struct {
	u, v [][]int32 // per layer with neurons (readout: nil)
	acc  []int64   // readout accumulators (or spike counts)
}

type refCounts struct {
	synops, spikes, wraps int64
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

	// Host input.
	scale := m.Input.Scale
	if scale == 0 {
		scale = 1
	}
	var hostBias []int64
	var rg rateGen
	if m.Input.Encoding == ir.EncodingDirect {
		l0 := &m.Layers[idx[0]]
		in, n := l0.NumInputs(), l0.NumOutputs()
		hostBias = make([]int64, n)
		for j := 0; j < n; j++ {
			var c float32
			for i := 0; i < in; i++ {
				xi := float32(x[i]) * scale
				c += float32(l0.Weights[j*in+i] * xi)
			}
			c += l0.Bias[j]
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
	coreOf := func(layer, neuron int) int {
		for ci, c := range m.Mapping.Cores {
			if c.Layer == layer && neuron >= c.NeuronStart && neuron < c.NeuronStart+c.NeuronCount {
				return ci
			}
		}
		t.Fatalf("neuron %d of layer %d on no core", neuron, layer)
		return -1
	}
	var states []refState
	var cnt refCounts
	steps := T + L - 1
	if !delayed {
		steps = T
	}
	for k := 0; k < steps; k++ {
		newOut := make([][]bool, L)
		for l, mi := range idx {
			ml, ql := &m.Layers[mi], &q.Layers[mi]
			in, n := ml.NumInputs(), ml.NumOutputs()
			newOut[l] = make([]bool, n)
			if delayed && (k < l || k > l+T-1) {
				continue
			}
			s := make([]bool, in)
			switch {
			case l > 0 && delayed:
				copy(s, out[l-1])
			case l > 0:
				copy(s, newOut[l-1])
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
			direct := l == 0 && m.Input.Encoding == ir.EncodingDirect
			// TrueNorth counts the set crossbar bits a spike meets
			synapse := func(i, j int) bool { return tgt.Family != "truenorth" || ql.Weights[j*in+i] != 0 }
			if !direct {
				if l == 0 {
					for j := 0; j < n; j++ {
						for i := 0; i < in; i++ {
							if s[i] && synapse(i, j) {
								cnt.synops++
							}
						}
					}
				} else {
					// a spike reaches a neuron's core only along a route
					for j := 0; j < n; j++ {
						for i := 0; i < in; i++ {
							if s[i] && routed[[2]int{coreOf(idx[l-1], i), coreOf(mi, j)}] && synapse(i, j) {
								cnt.synops++
							}
						}
					}
				}
			}
			readout := l == L-1
			for j := 0; j < n; j++ {
				var input int64
				if !direct {
					for i := 0; i < in; i++ {
						if s[i] {
							input += int64(ql.Weights[j*in+i])
						}
					}
				}
				var bias int64
				if direct {
					bias = hostBias[j]
				} else if len(ql.Bias) > 0 {
					bias = int64(ql.Bias[j]) << ql.BiasExponent
				}
				if readout && !spikeRO {
					if q.Target == "loihi" {
						acc[j] += input<<(6+ql.WeightExponent) + bias
					} else {
						acc[j] += input + bias
					}
					continue
				}
				var fired bool
				if q.Target == "loihi" {
					p := targets.LoihiParams{DecayU: ql.DecayU, DecayV: ql.DecayV,
						WeightShift: uint8(6 + ql.WeightExponent), Vth: ql.Threshold, PotentialBits: bits}
					if raw := int64(targets.LoihiDecay(u[l][j], ql.DecayU)) + input<<p.WeightShift; raw != int64(targets.WrapSigned(raw, bits)) {
						cnt.wraps++
					}
					fired = targets.LoihiStep(&p, &u[l][j], &v[l][j], input, bias)
				} else {
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

// randomNet builds a random small compiled model for target and a dataset
// of random images for it.
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
		for i := range fl.Weights {
			fl.Weights[i] = float32(r.NormFloat64())
		}
		for j := range fl.Bias {
			fl.Bias[j] = float32(r.NormFloat64())
		}
		ql := ir.QuantLayer{Weights: make([]int16, in*out), Scale: float32(math.Exp(r.Float64()*12 - 2))}
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
		if target == "loihi" {
			ql.WeightExponent = int8(r.IntN(14) - 6)
			ql.DecayU = []int32{0, 4096, 1, 4095, int32(r.IntN(4097))}[r.IntN(5)]
			ql.DecayV = []int32{0, 4096, 1, 4095, int32(r.IntN(4097))}[r.IntN(5)]
			ql.Threshold = []int32{0, 1, int32(r.IntN(131072)), int32(r.IntN(2000))}[r.IntN(4)]
		} else {
			ql.Threshold = []int32{0, 1, int32(r.IntN(1 << 18)), int32(r.IntN(2000)), -int32(r.IntN(100))}[r.IntN(5)]
			ql.NegThreshold = []int32{0, int32(r.IntN(1 << 19)), int32(r.IntN(1000))}[r.IntN(3)]
			ql.Leak = []int32{0, int32(r.IntN(200) - 100), int32(r.IntN(1<<20) - 1<<19)}[r.IntN(3)]
			ql.Reset = ir.ResetMode(r.IntN(3))
		}
		m.Layers = append(m.Layers, fl)
		m.Quantized.Layers = append(m.Quantized.Layers, ql)
		in = out
	}
	m.Mapping = randomMapping(r, m, tgt)
	set := &dataset.Set{Name: "random", Channels: 1, Rows: nIn, Cols: 1, Classes: 1}
	set.Test.N = 3
	set.Test.Images = make([]uint8, 3*nIn)
	set.Test.Labels = make([]uint8, 3)
	for i := range set.Test.Images {
		set.Test.Images[i] = uint8(r.IntN(256))
		if r.IntN(3) == 0 {
			set.Test.Images[i] = 0
		}
	}
	return m, set
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
	for l := 1; l < len(byLayer); l++ {
		ml := neuronLayers[l]
		w := m.Quantized.Layers[ml].Weights
		in := m.Layers[ml].NumInputs()
		for _, a := range byLayer[l-1] {
			for _, b := range byLayer[l] {
				ca, cb := mp.Cores[a], mp.Cores[b]
				if r.IntN(5) == 0 { // no route: no synapses between them
					for j := cb.NeuronStart; j < cb.NeuronStart+cb.NeuronCount; j++ {
						for i := ca.NeuronStart; i < ca.NeuronStart+ca.NeuronCount; i++ {
							w[j*in+i] = 0
						}
					}
					continue
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
	for _, target := range []string{"loihi", "truenorth"} {
		t.Run(target, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(target))))
			nets := 400
			if testing.Short() {
				nets = 60
			}
			var spikes, wraps, sats int64
			for n := 0; n < nets; n++ {
				m, set := randomNet(r, target)
				p, err := lowerChip(m)
				require.NoError(t, err, "net %d", n)
				require.NoError(t, checkData(p.net, set))
				w := newChipWorker(p)
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
					var before Counts
					for i := range w.perLayer {
						before.Add(&w.perLayer[i])
					}
					w.observe = func(k int) {
						st := want[k]
						for l := range p.layers {
							L := &p.layers[l]
							if L.readout && !L.spiking {
								continue
							}
							if L.kind == kernLoihi {
								require.Equal(t, st.u[l], w.u[l], "net %d sample %d step %d layer %d: u", n, s, k, l)
							}
							require.Equal(t, st.v[l], w.v[l], "net %d sample %d step %d layer %d: v", n, s, k, l)
							for _, x := range st.v[l] {
								if x == 1<<23-1 || x == -(1<<23-1) || x == 1<<19-1 || x == -(1<<19-1) {
									sats++
								}
							}
						}
						require.Equal(t, st.acc, w.racc, "net %d sample %d step %d: readout", n, s, k)
					}
					pred, _ := w.runSample(s, x)
					require.Equal(t, wantPred, pred, "net %d sample %d: prediction", n, s)
					var after Counts
					for i := range w.perLayer {
						after.Add(&w.perLayer[i])
					}
					require.Equal(t, cnt.synops, after.SynapticOps-before.SynapticOps, "net %d sample %d: synaptic ops", n, s)
					require.Equal(t, cnt.spikes, after.Spikes-before.Spikes, "net %d sample %d: spikes", n, s)
					spikes += cnt.spikes
					wraps += cnt.wraps
				}
			}
			t.Logf("%d networks, %d spikes, %d saturated v states, %d u wraps", nets, spikes, sats, wraps)
			require.Positive(t, spikes)
			require.Positive(t, sats, "no saturating potentials: the test does not reach the clip")
			if target == "loihi" {
				require.Positive(t, wraps, "no wrapping u: the test does not reach the wrap")
			}
		})
	}
}
