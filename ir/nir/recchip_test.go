package nir_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/nir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// TestRecurrentNIROnChips imports a graph as snnTorch writes an RSynaptic
// network (Affine → a NIRGraph holding a CubaLIF node on a cycle through a
// Linear node → Affine → LI), compiles it for loihi and loihi2 and runs it
// on random event input against the float reference.
func TestRecurrentNIROnChips(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and simulates")
	}
	r := rand.New(rand.NewPCG(21, 22))
	const nin, nh, nout, T = 16, 24, 4, 30
	nodes := map[string]tnode{
		"in":  {typ: "Input", params: map[string]tparam{"shape": {[]int{1}, []int64{nin}}}},
		"fc1": {typ: "Affine", params: map[string]tparam{"weight": randMat(r, nh, nin, -0.8, 0.8), "bias": randVec(r, nh, -0.05, 0.05)}},
		"h": {typ: "NIRGraph", sub: map[string]tnode{
			"input":  {typ: "Input", params: map[string]tparam{"shape": {[]int{1}, []int64{nh}}}},
			"lif":    {typ: "CubaLIF", params: map[string]tparam{"tau_syn": vec(5e-4), "tau_mem": vec(1e-3), "r": vec(10), "w_in": vec(5), "v_leak": vec(0), "v_threshold": vec(1)}},
			"w_rec":  {typ: "Linear", params: map[string]tparam{"weight": randMat(r, nh, nh, -0.4, 0.4)}},
			"output": {typ: "Output", params: map[string]tparam{"shape": {[]int{1}, []int64{nh}}}},
		}, subEdges: []string{"input", "lif", "lif", "w_rec", "w_rec", "lif", "lif", "output"}},
		"fc2": {typ: "Affine", params: map[string]tparam{"weight": randMat(r, nout, nh, -1, 1), "bias": randVec(r, nout, -0.1, 0.1)}},
		"ro":  {typ: "LI", params: map[string]tparam{"tau": vec(2e-3), "r": vec(20), "v_leak": vec(0)}},
		"out": {typ: "Output", params: map[string]tparam{"shape": {[]int{1}, []int64{nout}}}},
	}
	f, err := nir.Decode("rsynaptic.nir", writeGraph(t, nodes, []string{"in", "fc1", "fc1", "h", "h", "fc2", "fc2", "ro", "ro", "out"}))
	if err != nil {
		t.Fatal(err)
	}
	m, err := nir.Import(f, nir.ImportOptions{Timesteps: T})
	if err != nil {
		t.Fatal(err)
	}
	const n = 100
	set := &dataset.Set{Name: "random events", Channels: 1, Rows: 1, Cols: nin, Steps: T, Classes: nout}
	set.Test = dataset.Split{N: n, Images: make([]uint8, n*set.ImageSize()), Labels: make([]uint8, n)}
	for i := range set.Test.Images {
		if r.IntN(4) == 0 {
			set.Test.Images[i] = 1
		}
	}
	fl, err := sim.RunFloat(context.Background(), m, set, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	classes := map[int]bool{}
	for _, p := range fl.Predictions {
		classes[p] = true
	}
	if len(classes) < 3 || fl.PerLayer[0].Spikes == 0 {
		t.Fatalf("float: %d distinct predictions, %d hidden spikes: the comparison says little", len(classes), fl.PerLayer[0].Spikes)
	}
	for _, name := range []string{"loihi", "loihi2"} {
		tgt, _ := targets.Lookup(name)
		res, err := compile.Compile(m, tgt, compile.Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		st, err := sim.Run(context.Background(), res.Model, set, sim.Options{Reference: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d cores, chip vs float %d/%d, hidden spikes chip %d, float %d", name, len(res.Model.Mapping.Cores), st.Agreeing, st.Samples,
			st.PerLayer[0].Spikes, fl.PerLayer[0].Spikes)
		if res.Model.Layers[0].Kind != ir.KindRecurrentDense || st.Agreement() < 0.9 { // measured 96/100: 8-bit weights, 12-bit decays
			t.Errorf("%s: layer 0 is %v, agreement %.2f: want a recurrent layer and ≥ 0.9", name, res.Model.Layers[0].Kind, st.Agreement())
		}
	}
}
