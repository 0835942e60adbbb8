package nir_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/nir"
	"github.com/snnc/snnc/sim"
)

// nodeAt returns the node at path ("block/lif" inside the NIRGraph node
// block).
func nodeAt(g *nir.Graph, path string) *nir.Node {
	parts := strings.Split(path, "/")
	for _, p := range parts[:len(parts)-1] {
		g = g.Nodes[p].Graph
	}
	return g.Nodes[parts[len(parts)-1]]
}

// refResult is what the reference run gives: the spikes of each neuron
// node, the potential of each neuron node after every step, and the
// readout (spike counts, max_t v for LI/CubaLI, the final v for I).
type refResult struct {
	spikes     map[string]int
	potentials map[string][]float64
	readout    []float64
}

// refRun runs a chain of NIR nodes (order, by path; rec maps a neuron
// node to its recurrent synapse node) on inputs with the NIR equations
// discretised by forward Euler in float64, written out from NIR's
// definitions (nir/ir/neuron.py) independently of the importer:
//
//	Affine  y = W·x + b;  Linear  y = W·x
//	LIF     τ·dv/dt = (v_leak − v) + r·I
//	CubaLIF τ_syn·dI/dt = −I + w_in·x;  τ_mem·dv/dt = (v_leak − v) + r·I
//	LI, CubaLI: as LIF, CubaLIF without spikes;  IF dv = r·x;  I dv = r·x
//	Delay   y(t) = x(t − delay), delay/dt steps (one value), 0 before
//
// A neuron's input is the sum of its predecessors (the recurrent synapse
// reads the neuron's spikes of the previous step). A spike at v ≥ v_th
// resets v to 0.
func refRun(g *nir.Graph, order []string, rec map[string]string, dt float64, inputs [][]float32) refResult {
	type state struct{ v, i, s []float64 }
	st := map[string]*state{}
	res := refResult{spikes: map[string]int{}, potentials: map[string][]float64{}}
	hist := map[string][][]float64{} // a Delay node's inputs, by step
	p := func(n *nir.Node, name string, j int, def float64) float64 {
		if t := n.Params[name]; t != nil {
			return t.At(j)
		}
		return def
	}
	affine := func(n *nir.Node, x []float64) []float64 {
		w := n.Params["weight"]
		out, in := w.Shape[0], w.Shape[1]
		y := make([]float64, out)
		for o := range y {
			y[o] = p(n, "bias", o, 0)
			for k := range in {
				y[o] += w.Data[o*in+k] * x[k]
			}
		}
		return y
	}
	for t, in := range inputs {
		x := make([]float64, len(in))
		for k, v := range in {
			x[k] = float64(v)
		}
		for _, path := range order {
			n := nodeAt(g, path)
			switch n.Kind {
			case nir.KindInput, nir.KindOutput:
				continue
			case nir.KindAffine, nir.KindLinear:
				x = affine(n, x)
				continue
			case nir.KindDelay:
				hist[path] = append(hist[path], x)
				if k := int(math.Round(p(n, "delay", 0, 0) / dt)); t >= k {
					x = slices.Clone(hist[path][t-k])
				} else {
					x = make([]float64, len(x))
				}
				continue
			}
			s := st[path]
			if s == nil {
				s = &state{make([]float64, len(x)), make([]float64, len(x)), make([]float64, len(x))}
				st[path] = s
			}
			if r, ok := rec[path]; ok {
				back := affine(nodeAt(g, r), s.s)
				for j := range x {
					x[j] += back[j]
				}
			}
			y := make([]float64, len(x))
			for j, xj := range x {
				switch n.Kind {
				case nir.KindLIF, nir.KindLI:
					tau := p(n, "tau", j, 0)
					s.v[j] += dt / tau * (p(n, "v_leak", j, 0) - s.v[j] + p(n, "r", j, 1)*xj)
				case nir.KindCubaLIF, nir.KindCubaLI:
					s.i[j] += dt / p(n, "tau_syn", j, 0) * (-s.i[j] + p(n, "w_in", j, 1)*xj)
					s.v[j] += dt / p(n, "tau_mem", j, 0) * (p(n, "v_leak", j, 0) - s.v[j] + p(n, "r", j, 1)*s.i[j])
				case nir.KindIF, nir.KindI:
					s.v[j] += p(n, "r", j, 1) * xj
				}
				s.s[j] = 0
				switch n.Kind {
				case nir.KindLIF, nir.KindCubaLIF, nir.KindIF:
					if s.v[j] >= p(n, "v_threshold", j, 1) {
						s.s[j], s.v[j] = 1, 0
						res.spikes[path]++
					}
					y[j] = s.s[j]
				default:
					y[j] = s.v[j]
				}
				res.potentials[path] = append(res.potentials[path], s.v[j])
			}
			last := order[len(order)-2] == path
			if last {
				if res.readout == nil {
					res.readout = make([]float64, len(y))
				}
				for j, v := range y {
					switch n.Kind {
					case nir.KindLI, nir.KindCubaLI:
						if t == 0 || v > res.readout[j] {
							res.readout[j] = v
						}
					case nir.KindI:
						res.readout[j] = v
					default:
						res.readout[j] += v
					}
				}
			}
			x = y
		}
	}
	return res
}

func randVec(r *rand.Rand, n int, lo, hi float64) tparam {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*r.Float64()
	}
	return tparam{[]int{n}, v}
}

func randMat(r *rand.Rand, out, in int, lo, hi float64) tparam {
	v := randVec(r, out*in, lo, hi)
	return tparam{[]int{out, in}, v.v}
}

// TestTemporalNodes imports graphs with CubaLIF, LI, CubaLI and I nodes and
// recurrences (flat, and nested as snnTorch's RSynaptic writes them) and
// runs them with sim.TraceFloat against refRun: the same spikes, the same
// prediction, potentials within float32 rounding.
func TestTemporalNodes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const nin, nh, nout, T = 5, 6, 4, 40
	cuba := func(n int) tnode {
		return tnode{typ: "CubaLIF", params: map[string]tparam{"tau_syn": vec(5e-4), "tau_mem": vec(1e-3), "r": vec(10), "w_in": randVec(r, n, 4, 6),
			"v_leak": vec(0), "v_threshold": vec(1), "v_reset": vec(0)}}
	}
	lif := func(n int) tnode {
		return tnode{typ: "LIF", params: map[string]tparam{"tau": vec(1e-3), "r": randVec(r, n, 8, 12), "v_leak": randVec(r, n, -0.2, 0.4), "v_threshold": vec(1)}}
	}
	base := func(hidden, readout tnode) map[string]tnode {
		return map[string]tnode{
			"in":  {typ: "Input", params: map[string]tparam{"shape": {[]int{1}, []int64{nin}}}},
			"fc1": {typ: "Affine", params: map[string]tparam{"weight": randMat(r, nh, nin, -0.5, 1.5), "bias": randVec(r, nh, -0.1, 0.1)}},
			"h":   hidden,
			"fc2": {typ: "Linear", params: map[string]tparam{"weight": randMat(r, nout, nh, -1, 1.5)}},
			"ro":  readout,
			"out": {typ: "Output", params: map[string]tparam{"shape": {[]int{1}, []int64{nout}}}},
		}
	}
	chain := []string{"in", "fc1", "fc1", "h", "h", "fc2", "fc2", "ro", "ro", "out"}
	order := []string{"in", "fc1", "h", "fc2", "ro", "out"}
	type tcase struct {
		name    string
		nodes   map[string]tnode
		edges   []string
		order   []string
		rec     map[string]string
		readout ir.ReadoutKind
	}
	var cases []tcase
	cases = append(cases,
		tcase{"CubaLIF and CubaLI", base(cuba(nh), tnode{typ: "CubaLI", params: map[string]tparam{"tau_syn": vec(3e-4), "tau_mem": vec(2e-3), "r": vec(2), "v_leak": vec(0)}}),
			chain, order, nil, ir.ReadoutMaxPotential},
		tcase{"LIF and LI", base(lif(nh), tnode{typ: "LI", params: map[string]tparam{"tau": vec(2e-3), "r": vec(3), "v_leak": randVec(r, nout, -0.5, 0.5)}}),
			chain, order, nil, ir.ReadoutMaxPotential},
		tcase{"IF and I", base(tnode{typ: "IF", params: map[string]tparam{"r": randVec(r, nh, 0.5, 1), "v_threshold": vec(1)}}, tnode{typ: "I", params: map[string]tparam{"r": randVec(r, nout, 0.5, 2)}}),
			chain, order, nil, ir.ReadoutMeanCurrent},
		tcase{"CubaLIF spikes", base(cuba(nh), cuba(nout)), chain, order, nil, ir.ReadoutSpikeCount},
	)
	rleaky := base(lif(nh), lif(nout))
	rleaky["rec"] = tnode{typ: "Affine", params: map[string]tparam{"weight": randMat(r, nh, nh, -1, 0.5), "bias": randVec(r, nh, -0.1, 0.1)}}
	cases = append(cases, tcase{"recurrent LIF", rleaky, append(append([]string(nil), chain...), "h", "rec", "rec", "h"), order, map[string]string{"h": "rec"}, ir.ReadoutSpikeCount})
	// snnTorch's RSynaptic: a NIRGraph node {input → lif ↔ w_rec, lif → output}
	rsyn := base(tnode{}, tnode{typ: "LI", params: map[string]tparam{"tau": vec(2e-3), "r": vec(3), "v_leak": vec(0)}})
	rsyn["h"] = tnode{typ: "NIRGraph", sub: map[string]tnode{
		"input":  {typ: "Input", params: map[string]tparam{"shape": {[]int{1}, []int64{nh}}}},
		"lif":    cuba(nh),
		"w_rec":  {typ: "Linear", params: map[string]tparam{"weight": randMat(r, nh, nh, -1, 0.5)}},
		"output": {typ: "Output", params: map[string]tparam{"shape": {[]int{1}, []int64{nh}}}},
	}, subEdges: []string{"input", "lif", "lif", "w_rec", "w_rec", "lif", "lif", "output"}}
	cases = append(cases, tcase{"nested recurrent CubaLIF (snnTorch RSynaptic)", rsyn, chain,
		[]string{"in", "fc1", "h/lif", "fc2", "ro", "out"}, map[string]string{"h/lif": "h/w_rec"}, ir.ReadoutMaxPotential})
	// Delay nodes (delay.go): between layers (before the synapse, 3 steps
	// of the default dt) and between a bias-free synapse and its neurons
	// (5 steps, one value per neuron); their weights from a stream of their
	// own, so that the samples the other cases draw stay as they were
	rest := r
	r = rand.New(rand.NewPCG(13, 14))
	delayBefore := base(lif(nh), cuba(nout))
	delayBefore["d"] = tnode{typ: "Delay", params: map[string]tparam{"delay": vec(3e-4)}}
	cases = append(cases, tcase{"Delay before the synapse", delayBefore,
		[]string{"in", "fc1", "fc1", "h", "h", "d", "d", "fc2", "fc2", "ro", "ro", "out"},
		[]string{"in", "fc1", "h", "d", "fc2", "ro", "out"}, nil, ir.ReadoutSpikeCount})
	delayAfter := base(lif(nh), tnode{typ: "LI", params: map[string]tparam{"tau": vec(2e-3), "r": vec(3), "v_leak": vec(0)}})
	delayAfter["d"] = tnode{typ: "Delay", params: map[string]tparam{"delay": {[]int{nout}, []float64{5e-4, 5e-4, 5e-4, 5e-4}}}}
	cases = append(cases, tcase{"Delay after a Linear synapse", delayAfter,
		[]string{"in", "fc1", "fc1", "h", "h", "fc2", "fc2", "d", "d", "ro", "ro", "out"},
		[]string{"in", "fc1", "h", "fc2", "d", "ro", "out"}, nil, ir.ReadoutMaxPotential})
	r = rest

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := nir.Decode("t.nir", writeGraph(t, tc.nodes, tc.edges))
			if err != nil {
				t.Fatal(err)
			}
			m, err := nir.Import(f, nir.ImportOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Readout.Kind != tc.readout {
				t.Fatalf("readout %v, want %v", m.Readout.Kind, tc.readout)
			}
			if want := tc.readout != ir.ReadoutMeanCurrent || tc.rec != nil; sim.IsTemporal(m) != want {
				t.Errorf("IsTemporal = %v, want %v", !want, want)
			}
			if (tc.rec != nil) != (m.Layers[0].Kind == ir.KindRecurrentDense) {
				t.Errorf("layer 0 is %v", m.Layers[0].Kind)
			}
			agree := 0
			for sample := range 8 {
				steps := make([][]float32, T)
				for k := range steps {
					steps[k] = make([]float32, nin)
					for j := range steps[k] {
						if r.IntN(2) == 0 {
							steps[k][j] = 1
						}
					}
				}
				tr, err := sim.TraceFloat(m, steps)
				if err != nil {
					t.Fatal(err)
				}
				ref := refRun(f.Graph, tc.order, tc.rec, nir.DefaultDt, steps)
				hidden := tc.order[2]
				got := 0
				for _, s := range tr.Spikes[0] {
					got += int(s)
				}
				if got != ref.spikes[hidden] {
					t.Fatalf("sample %d: hidden layer %d spikes, reference %d", sample, got, ref.spikes[hidden])
				}
				if got == 0 || got == T*nh {
					t.Fatalf("sample %d: hidden layer %d spikes of %d: the comparison says little", sample, got, T*nh)
				}
				var maxErr float64
				for k, v := range ref.potentials[hidden] {
					maxErr = max(maxErr, math.Abs(v-float64(tr.Potential[0][k]))/(1+math.Abs(v)))
				}
				if maxErr > 1e-5 {
					t.Fatalf("sample %d: hidden potentials differ from the reference by %.3g (relative)", sample, maxErr)
				}
				for j, v := range ref.readout {
					if math.Abs(v-tr.Readout[j]) > 1e-4*(1+math.Abs(v)) {
						t.Fatalf("sample %d: readout %d is %v, reference %v", sample, j, tr.Readout[j], v)
					}
				}
				best := 0
				for j, v := range ref.readout {
					if v > ref.readout[best] {
						best = j
					}
				}
				if best == tr.Prediction {
					agree++
				}
			}
			if agree != 8 {
				t.Errorf("%d of 8 predictions agree with the reference", agree)
			}
		})
	}
}
