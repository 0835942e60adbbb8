package energy

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

const pJ = 1e-12

// net321 is a 3-2-1 network: direct input of 3 values, a dense layer of 2
// spiking neurons, a dense readout of 1, T = 4.
func net321() *ir.Model {
	return &ir.Model{
		Name:      "net321",
		Input:     ir.Input{Shape: []int{3}, Encoding: ir.EncodingDirect, Scale: 1},
		Timesteps: 4,
		Layers: []ir.Layer{
			{Name: "fc1", Kind: ir.KindDense, InShape: []int{3}, OutShape: []int{2}, Weights: make([]float32, 6), Bias: make([]float32, 2)},
			{Name: "out", Kind: ir.KindDense, InShape: []int{2}, OutShape: []int{1}, Weights: make([]float32, 2), Bias: make([]float32, 1)},
		},
	}
}

// mapped321 is net321 on two Loihi cores: fc1 at (0,0) (tile 0,0) and out
// at (2,0) (tile 1,0), one E-W tile hop apart; one route carrying 2 axons.
func mapped321(target string) *ir.Model {
	m := net321()
	m.Mapping = &ir.Mapping{
		Target: target, Chips: 1, MeshWidth: 16, MeshHeight: 8,
		Cores: []ir.Core{
			{X: 0, Y: 0, Layer: 0, NeuronStart: 0, NeuronCount: 2, InputAxons: 0},
			{X: 2, Y: 0, Layer: 1, NeuronStart: 0, NeuronCount: 1, InputAxons: 2},
		},
		Routes: []ir.Route{{From: 0, To: 1, Hops: 1, Axons: 2}},
	}
	return m
}

// chipStats321 are hand-made simulator counts of mapped321 over 2 samples
// (totals over both samples, as sim.Stats holds them).
func chipStats321() *sim.Stats {
	core0 := sim.Counts{NeuronActive: 16, Spikes: 6, HopsEW: 6, HostMACs: 12, Messages: 6, SomaAccesses: 20, SomaUpdates: 18}
	core1 := sim.Counts{SynapticOps: 6, NeuronActive: 5, NeuronIdle: 3, SomaAccesses: 10, SomaUpdates: 5}
	var total sim.Counts
	total.Add(&core0)
	total.Add(&core1)
	return &sim.Stats{
		Target: "loihi", Samples: 2, Correct: 1, Steps: 5,
		Total:            total,
		PerLayer:         []sim.Counts{core0, core1},
		PerCore:          []sim.Counts{core0, core1},
		PerStep:          []sim.Counts{{HostMACs: 12, NeuronActive: 4}, {NeuronActive: 4, Spikes: 2, HopsEW: 2, SynapticOps: 2, Messages: 2, SomaAccesses: 4, SomaUpdates: 4}, {}, {}, {}},
		LatencyPerSample: 2e-6,
	}
}

func TestANNMACs(t *testing.T) {
	tests := []struct {
		desc  string
		layer ir.Layer
		want  int64
	}{
		{"dense 3→2", ir.Layer{Kind: ir.KindDense, InShape: []int{3}, OutShape: []int{2}}, 3 * 2},
		{"recurrent 3→2 adds 2×2", ir.Layer{Kind: ir.KindRecurrentDense, InShape: []int{3}, OutShape: []int{2}}, 3*2 + 2*2},
		{"conv 1×4×4 → 2×4×4, 3×3 kernel, padding 1", ir.Layer{Kind: ir.KindConv2D, InShape: []int{1, 4, 4}, OutShape: []int{2, 4, 4}, Kernel: [2]int{3, 3}, Padding: [2]int{1, 1}, Stride: [2]int{1, 1}}, 2 * 4 * 4 * 1 * 3 * 3},
		{"conv 3×8×8 → 4×3×3, 2×2 kernel, stride 3", ir.Layer{Kind: ir.KindConv2D, InShape: []int{3, 8, 8}, OutShape: []int{4, 3, 3}, Kernel: [2]int{2, 2}, Stride: [2]int{3, 3}}, 4 * 3 * 3 * 3 * 2 * 2},
		{"avgpool has no synapses", ir.Layer{Kind: ir.KindAvgPool, InShape: []int{2, 4, 4}, OutShape: []int{2, 2, 2}, Kernel: [2]int{2, 2}}, 0},
		{"flatten has no synapses", ir.Layer{Kind: ir.KindFlatten, InShape: []int{2, 2, 2}, OutShape: []int{8}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.desc, func(t *testing.T) {
			got, err := LayerMACs(&tc.layer)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	per, total, err := ANNMACs(net321())
	require.NoError(t, err)
	assert.Equal(t, []int64{3 * 2, 2 * 1}, per)
	assert.Equal(t, int64(3*2+2*1), total)
}

// TestSeed321 checks the seed's A.6 model on net321 with a float-reference
// run of 10 samples: fc1 emits 30 spikes in all (3 per inference), each
// reaching the readout's single synapse: 30 synaptic events at "out".
func TestSeed321(t *testing.T) {
	m := net321()
	st := &sim.Stats{
		Samples: 10, Correct: 7, Steps: 4,
		Total:    sim.Counts{SynapticOps: 30, Spikes: 30, NeuronActive: 120, HostMACs: 60},
		PerLayer: []sim.Counts{{Spikes: 30, NeuronActive: 80, HostMACs: 60}, {SynapticOps: 30, NeuronActive: 40}},
		PerStep:  []sim.Counts{{SynapticOps: 0}, {SynapticOps: 10, Spikes: 10}, {SynapticOps: 10, Spikes: 10}, {SynapticOps: 10, Spikes: 10}},
	}
	rep, err := Seed(m, FromStats(st), Seed45nm)
	require.NoError(t, err)

	assert.Equal(t, "seed45nm", rep.Target)
	assert.Equal(t, "seed45nm", rep.EnergyModel)
	assert.NotEmpty(t, rep.Sources)
	assert.InDelta(t, 30.0/10, rep.AC, 1e-12, "N_AC = 30 events / 10 samples")
	assert.InDelta(t, 3.0*2, rep.MAC, 1e-12, "first layer as MAC: 3·2 connections, once")
	assert.InDelta(t, 4*3.0*2, rep.MACPerStep, 1e-12, "T·3·2 if recomputed each step")
	assert.InDelta(t, 3.0*2+2*1, rep.ANNMAC, 1e-12)
	eSNN := 3*0.9*pJ + 6*4.6*pJ
	eANN := 8 * 4.6 * pJ
	assert.InDelta(t, eSNN, rep.EnergyPerInference, 1e-18)
	assert.InDelta(t, 3*0.9*pJ, rep.Energy.Synaptic, 1e-18)
	assert.InDelta(t, 6*4.6*pJ, rep.Energy.HostMAC, 1e-18)
	assert.InDelta(t, eANN, rep.ANNEnergy, 1e-18)
	assert.InDelta(t, (3*0.9+6*4.6)/(8*4.6), rep.Ratio, 1e-12)
	require.NotNil(t, rep.Accuracy)
	assert.InDelta(t, 0.7, *rep.Accuracy, 1e-12)
	assert.Zero(t, rep.Latency, "the arithmetic model has no latency")

	require.Len(t, rep.PerLayer, 2)
	assert.InDelta(t, 0.0, rep.PerLayer[0].Ops.SynapticOps, 0)
	assert.InDelta(t, 6.0, rep.PerLayer[0].Ops.HostMACs, 0)
	assert.InDelta(t, 3.0, rep.PerLayer[0].Ops.Spikes, 1e-12)
	assert.InDelta(t, 6*4.6*pJ, rep.PerLayer[0].Energy, 1e-18)
	assert.InDelta(t, 3.0, rep.PerLayer[1].Ops.SynapticOps, 1e-12)
	assert.InDelta(t, 3*0.9*pJ, rep.PerLayer[1].Energy, 1e-18)
	assert.InDelta(t, 2.0, rep.PerLayer[1].ANNMAC, 0)

	require.Len(t, rep.PerStep, 4, "the run counted no events at fc1, so steps are exact")
	assert.InDelta(t, 1.0, rep.PerStep[1].Ops.SynapticOps, 1e-12)
	assert.InDelta(t, 1*0.9*pJ, rep.PerStep[1].Energy, 1e-18)
}

// TestSeedRateInput: with a spiking (rate-coded) input the first layer's
// synaptic events are ACs too and nothing is a MAC.
func TestSeedRateInput(t *testing.T) {
	m := net321()
	m.Input.Encoding = ir.EncodingRate
	st := &sim.Stats{
		Samples:  1,
		PerLayer: []sim.Counts{{SynapticOps: 5 * 2, Spikes: 3}, {SynapticOps: 3 * 1}},
	}
	rep, err := Seed(m, FromStats(st), Seed45nm)
	require.NoError(t, err)
	assert.InDelta(t, 5.0*2+3*1, rep.AC, 0)
	assert.Zero(t, rep.MAC)
	assert.InDelta(t, (5*2+3*1)*0.9*pJ, rep.EnergyPerInference, 1e-18)
	assert.InDelta(t, (13*0.9)/(8*4.6), rep.Ratio, 1e-12)
}

// TestChipLoihi321: Loihi reads every mapped neuron's soma every step
// (targets.SomaEveryNeuron), so neurons are priced from the soma counts:
// updates at the active energy, the other reads at the idle energy; each
// axon-out message costs the model's MessageOut (SANA-FE: 111 pJ; none in
// Davies 2018).
func TestChipLoihi321(t *testing.T) {
	m := mapped321("loihi")
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	for _, tc := range []struct {
		model                                                string
		syn, active, idle, spike, hopEW, hopNS, hostMAC, msg float64
	}{
		{"davies2018", 23.6 * pJ, 81 * pJ, 52 * pJ, 1.7 * pJ, 3.0 * pJ, 4.0 * pJ, 4.6 * pJ, 0},
		{"sanafe", 35.5 * pJ, 72.8 * pJ, 51.2 * pJ, 69.3 * pJ, 4.2 * pJ, 4.2 * pJ, 4.6 * pJ, 111 * pJ},
	} {
		t.Run(tc.model, func(t *testing.T) {
			em, err := tg.EnergyModelNamed(tc.model)
			require.NoError(t, err)
			rep, err := Chip(m, FromStats(chipStats321()), tg, em)
			require.NoError(t, err)
			assert.Equal(t, tc.model, rep.EnergyModel)
			assert.NotEmpty(t, rep.Sources)
			assert.NotEqual(t, rep.Sources[0].Key, rep.Sources[0].Citation, "keys are resolved to citations")

			// Per inference (2 samples): 3 synaptic events, (18+5)/2 soma
			// updates and (2+5)/2 other soma reads, 3 spikes, 3 E-W hops,
			// 3 messages, 6 host MACs.
			assert.InDelta(t, 6.0/2, rep.AC, 0)
			assert.InDelta(t, 12.0/2, rep.MAC, 0)
			assert.InDelta(t, 3.0*2+2*1, rep.ANNMAC, 0)
			want := Split{
				Synaptic:     (6.0 / 2) * tc.syn,
				NeuronActive: ((18.0 + 5) / 2) * tc.active,
				NeuronIdle:   ((2.0 + 5) / 2) * tc.idle,
				Spikes:       (6.0 / 2) * tc.spike,
				Hops:         (6.0 / 2) * tc.hopEW,
				Messages:     (6.0 / 2) * tc.msg,
				HostMAC:      (12.0 / 2) * tc.hostMAC,
			}
			assertSplit(t, want, rep.Energy)
			total := want.Synaptic + want.NeuronActive + want.NeuronIdle + want.Spikes + want.Hops + want.Messages + want.HostMAC
			assert.InDelta(t, total, rep.EnergyPerInference, 1e-18)
			assert.InDelta(t, total/(8*4.6*pJ), rep.Ratio, 1e-12)
			assert.InDelta(t, 2e-6, rep.Latency, 0)
			assert.InDelta(t, 1/2e-6, rep.Throughput, 1e-6)
			assert.InDelta(t, total*2e-6, rep.EDP, 1e-24)

			require.Len(t, rep.PerCore, 2)
			assert.Equal(t, 2, rep.PerCore[1].X)
			assert.InDelta(t, (18.0/2)*tc.active+(2.0/2)*tc.idle+(6.0/2)*tc.spike+(6.0/2)*tc.hopEW+(6.0/2)*tc.msg+(12.0/2)*tc.hostMAC, rep.PerCore[0].Energy, 1e-18)
			assert.InDelta(t, (6.0/2)*tc.syn+(5.0/2)*tc.active+(5.0/2)*tc.idle, rep.PerCore[1].Energy, 1e-18)
			require.Len(t, rep.PerLayer, 2)
			assert.InDelta(t, rep.PerCore[1].Energy, rep.PerLayer[1].Energy, 1e-18)
			require.Len(t, rep.PerStep, 5)
			assert.InDelta(t, (2.0/2)*tc.syn+(4.0/2)*tc.active+(2.0/2)*tc.spike+(2.0/2)*tc.hopEW+(2.0/2)*tc.msg, rep.PerStep[1].Energy, 1e-18)
		})
	}
}

func TestChipTrueNorth321(t *testing.T) {
	m := mapped321("truenorth")
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	em, err := tg.EnergyModelNamed("")
	require.NoError(t, err)
	st := chipStats321()
	st.Target, st.LatencyPerSample = "truenorth", 0
	rep, err := Chip(m, FromStats(st), tg, em)
	require.NoError(t, err)
	assert.Equal(t, "merolla2014", rep.EnergyModel)
	// 26 pJ per synaptic event (static power included, so neuron updates
	// and spikes are free), 2.3 pJ per spike-hop, 4.6 pJ per host MAC.
	total := 3*26*pJ + 3*2.3*pJ + 6*4.6*pJ
	assert.InDelta(t, total, rep.EnergyPerInference, 1e-18)
	// No simulated latency: 5 steps of 1 ms ticks.
	assert.InDelta(t, 5*1e-3, rep.Latency, 1e-15)
	assert.InDelta(t, total*5e-3, rep.EDP, 1e-24)
}

func TestBarrierPerStep(t *testing.T) {
	assert.InDelta(t, 113e-9, BarrierPerStep(113e-9, 465e-9, 1, 32), 0)
	assert.InDelta(t, 465e-9, BarrierPerStep(113e-9, 465e-9, 32, 32), 1e-21)
	assert.InDelta(t, 465e-9, BarrierPerStep(113e-9, 465e-9, 64, 32), 1e-21, "capped")
	assert.InDelta(t, 113e-9+(2.0-1)/(32-1)*(465e-9-113e-9), BarrierPerStep(113e-9, 465e-9, 2, 32), 1e-21)
}

func TestEstimate321(t *testing.T) {
	m := mapped321("loihi")
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	const r = 0.25
	run, err := Estimate(m, tg, r)
	require.NoError(t, err)
	assert.True(t, run.Estimate)
	// fc1: direct input → 3·2 host MACs once, 4·2 active updates, 0.25·4·2 spikes.
	fc1 := run.PerLayer[0]
	assert.InDelta(t, 3.0*2, fc1.HostMACs, 0)
	assert.InDelta(t, 4.0*2, fc1.NeuronActive, 0)
	assert.InDelta(t, r*4*2, fc1.Spikes, 1e-12)
	// The route fc1→out carries 2 axons over 1 E-W hop: 0.25·4·2 hop-spikes.
	assert.InDelta(t, r*4*2*1, fc1.HopsEW, 1e-12)
	// out: 0.25·4·(2·1) synaptic events; a neuron with fan-in 2 is active
	// with probability 1 − 0.75²; the mean-current readout does not spike.
	out := run.PerLayer[1]
	assert.InDelta(t, r*4*2*1, out.SynapticOps, 1e-12)
	assert.InDelta(t, 4*1*(1-0.75*0.75), out.NeuronActive, 1e-12)
	assert.InDelta(t, 4*1*0.75*0.75, out.NeuronIdle, 1e-12)
	assert.Zero(t, out.Spikes)
	assert.Equal(t, 4, run.Steps)
	// Latency per step: slowest core + 1 E-W hop + barrier for 2 tiles.
	core0 := (4*2*8.4e-9 + r*4*2*2.1e-9) / 4
	core1 := (r*4*2*3.5e-9 + 4*(1-0.75*0.75)*8.4e-9 + 4*0.75*0.75*5.3e-9) / 4
	step := max(core0, core1) + 4.1e-9 + (113e-9 + (2.0-1)/(32-1)*(465e-9-113e-9))
	assert.InDelta(t, 4*step, run.LatencyPerSample, 1e-18)

	em, _ := tg.EnergyModelNamed("")
	rep, err := Chip(m, run, tg, em)
	require.NoError(t, err)
	assert.True(t, rep.Estimate)
	assert.Contains(t, rep.Notes[len(rep.Notes)-1], "ESTIMATE")
	want := r*4*2*23.6*pJ + (4*2+4*(1-0.75*0.75))*81*pJ + 4*0.75*0.75*52*pJ + r*4*2*1.7*pJ + r*4*2*3.0*pJ + 6*4.6*pJ
	assert.InDelta(t, want, rep.EnergyPerInference, 1e-18)
	assert.Nil(t, rep.Accuracy)

	_, err = Estimate(m, tg, 1.5)
	assert.Error(t, err)
}

func assertSplit(t *testing.T, want, got Split) {
	t.Helper()
	w, g := want.Values(), got.Values()
	for i := range w {
		assert.InDelta(t, w[i], g[i], 1e-18, SplitNames[i])
	}
}

// TestEstimateTwoChips: with fc1 and out on different chips every spike on
// the route also crosses one chip boundary (Chip.ChipHops = 1 on Loihi), and
// the barrier is the whole-chip figure.
func TestEstimateTwoChips(t *testing.T) {
	m := mapped321("loihi")
	m.Mapping.Chips = 2
	m.Mapping.Cores[1].Chip = 1
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	const r = 0.5
	run, err := Estimate(m, tg, r)
	require.NoError(t, err)
	assert.InDelta(t, r*4*2*1, run.Total.HopsEW, 1e-12)
	assert.InDelta(t, r*4*2*1, run.Total.ChipHops, 1e-12)
	core0 := (4*2*8.4e-9 + r*4*2*2.1e-9) / 4
	core1 := (r*4*2*3.5e-9 + 4*(1-0.5*0.5)*8.4e-9 + 4*0.5*0.5*5.3e-9) / 4
	step := max(core0, core1) + 4.1e-9 + 6.5e-9 + 465e-9
	assert.InDelta(t, 4*step, run.LatencyPerSample, 1e-18)
	em, _ := tg.EnergyModelNamed("davies2018")
	rep, err := Chip(m, run, tg, em)
	require.NoError(t, err)
	assert.InDelta(t, r*4*2*3.0*pJ+r*4*2*4.0*pJ, rep.Energy.Hops, 1e-18, "E-W 3.0 pJ, chip hop 4.0 pJ")
}

// TestSeedConv: conv 1×4×4 → 2×4×4 (3×3 kernel, padding 1) on a direct
// input, flatten, dense 32 → 3. The conv layer is the first layer: its
// 2·4·4·1·3·3 MACs once; the dense layer's 10 input spikes reach 3
// synapses each.
func TestSeedConv(t *testing.T) {
	m := &ir.Model{
		Name: "conv", Input: ir.Input{Shape: []int{1, 4, 4}, Encoding: ir.EncodingDirect}, Timesteps: 2,
		Layers: []ir.Layer{
			{Name: "conv1", Kind: ir.KindConv2D, InShape: []int{1, 4, 4}, OutShape: []int{2, 4, 4}, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}},
			{Name: "flat", Kind: ir.KindFlatten, InShape: []int{2, 4, 4}, OutShape: []int{32}},
			{Name: "fc", Kind: ir.KindDense, InShape: []int{32}, OutShape: []int{3}},
		},
	}
	st := &sim.Stats{Samples: 1, PerLayer: []sim.Counts{{Spikes: 10}, {}, {SynapticOps: 10 * 3}}}
	rep, err := Seed(m, FromStats(st), Seed45nm)
	require.NoError(t, err)
	assert.InDelta(t, 2.0*4*4*1*3*3, rep.MAC, 0)
	assert.InDelta(t, 2.0*4*4*1*3*3+32*3, rep.ANNMAC, 0)
	assert.InDelta(t, 10.0*3, rep.AC, 0)
	assert.InDelta(t, 10*3*0.9*pJ+288*4.6*pJ, rep.EnergyPerInference, 1e-18)
	assert.InDelta(t, (10*3*0.9+288*4.6)/((288+96)*4.6), rep.Ratio, 1e-12)
	assert.InDelta(t, 2*288.0, rep.MACPerStep, 0)

	run, err := Estimate(m, nil, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 288.0, run.PerLayer[0].HostMACs, 0)
	assert.InDelta(t, 0.5*2*32, run.PerLayer[0].Spikes, 1e-12)
	assert.InDelta(t, 0.5*2*96, run.PerLayer[2].SynapticOps, 1e-12)
	assert.InDelta(t, 2*3*(1-math.Pow(0.5, 32)), run.PerLayer[2].NeuronActive, 1e-12)
	assert.Zero(t, run.LatencyPerSample, "no target, no latency")
}

// TestANNMACsGrouped checks that a TrueNorth-trained model's same-shape ANN
// counts only the connections its block connectivity has.
func TestANNMACsGrouped(t *testing.T) {
	m := &ir.Model{
		Input:      ir.Input{Shape: []int{4}, Encoding: ir.EncodingRate},
		Timesteps:  1,
		Provenance: &ir.Provenance{Target: "truenorth"},
		Layers: []ir.Layer{{
			Name: "fc1", Kind: ir.KindDense, InShape: []int{4}, OutShape: []int{2},
			Weights: []float32{1, 0, -1, 0, 0, 0.5, 0, 0}, Bias: []float32{0, 0},
		}},
	}
	per, total, err := ANNMACs(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(3); total != want || per[0] != want {
		t.Fatalf("grouped ANN MACs = %d (%v), want %d", total, per, want)
	}
	m.Provenance.Target = ""
	if _, total, _ = ANNMACs(m); total != 4*2 {
		t.Fatalf("dense ANN MACs = %d, want 8", total)
	}
}

// TestGroupedConvAndSparse: direct input 4×4×4 → conv 6c3 p1 in 2 groups
// (6·4·4 outputs, each seeing 4/2 channels: 6·4·4·2·3·3 = 1728 MACs) →
// flatten 96 → sparse 96 → 5 with rows of 3, 0, 2, 7 and 1 synapses (13
// MACs) → dense 5 → 3 (15 MACs).
func TestGroupedConvAndSparse(t *testing.T) {
	rows := []int32{0, 3, 3, 5, 12, 13}
	cols := make([]int32, 13)
	for k := range cols {
		cols[k] = int32(7 * k)
	}
	m := &ir.Model{
		Name: "grouped", Input: ir.Input{Shape: []int{4, 4, 4}, Encoding: ir.EncodingDirect}, Timesteps: 2,
		Layers: []ir.Layer{
			{Name: "conv1", Kind: ir.KindConv2D, InShape: []int{4, 4, 4}, OutShape: []int{6, 4, 4}, Kernel: [2]int{3, 3},
				Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, Groups: 2},
			{Name: "flat", Kind: ir.KindFlatten, InShape: []int{6, 4, 4}, OutShape: []int{96}},
			{Name: "sp", Kind: ir.KindSparse, InShape: []int{96}, OutShape: []int{5}, RowStart: rows, Cols: cols, Weights: make([]float32, 13)},
			{Name: "fc", Kind: ir.KindDense, InShape: []int{5}, OutShape: []int{3}},
		},
	}
	per, total, err := ANNMACs(m)
	require.NoError(t, err)
	assert.Equal(t, []int64{6 * 4 * 4 * 2 * 3 * 3, 0, 13, 15}, per)
	assert.Equal(t, int64(1728+13+15), total)

	st := &sim.Stats{Samples: 1, PerLayer: []sim.Counts{{Spikes: 10}, {}, {SynapticOps: 20, Spikes: 4}, {SynapticOps: 4 * 3}}}
	rep, err := Seed(m, FromStats(st), Seed45nm)
	require.NoError(t, err)
	assert.InDelta(t, 1728.0, rep.MAC, 0)
	assert.InDelta(t, 1756.0, rep.ANNMAC, 0)
	assert.InDelta(t, 20.0+12, rep.AC, 0)

	nr, err := NewReport(m)
	require.NoError(t, err)
	assert.Equal(t, LayerInfo{Name: "sp", Kind: "sparse", Neurons: 5, ANNMAC: 13}, nr.Layers[2])

	run, err := Estimate(m, nil, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 1728.0, run.PerLayer[0].HostMACs, 0)
	assert.InDelta(t, 0.5*2*13, run.PerLayer[2].SynapticOps, 1e-12)
	assert.InDelta(t, 2*5*(1-math.Pow(0.5, 13.0/5)), run.PerLayer[2].NeuronActive, 1e-12, "mean fan-in 13/5")
	m.Input.Encoding = ir.EncodingRate
	run, err = Estimate(m, nil, 0.5)
	require.NoError(t, err)
	assert.InDelta(t, 0.5*2*1728, run.PerLayer[0].SynapticOps, 1e-9)
	assert.InDelta(t, 2*96*(1-math.Pow(0.5, 2*3*3)), run.PerLayer[0].NeuronActive, 1e-9, "fan-in (4/2)·3·3")

	m.Layers[0].Groups = 3
	_, _, err = ANNMACs(m)
	assert.ErrorContains(t, err, "3 groups do not divide 4 input and 6 output channels")
}

// TestChipTimingModel: a report names the simulator's timing model, cites
// the calibrated timing's sources for a contention-timed latency, and gives
// each layer's contention delay.
func TestChipTimingModel(t *testing.T) {
	m := mapped321("loihi")
	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	em, err := tg.EnergyModelNamed("sanafe")
	require.NoError(t, err)
	st := chipStats321()
	st.Timing = sim.TimingContention
	st.ContentionPerLayer = []float64{0, 0.5e-6}
	rep, err := Chip(m, FromStats(st), tg, em)
	require.NoError(t, err)
	assert.Equal(t, sim.TimingContention, rep.Timing)
	assert.Equal(t, []float64{0, 0.5e-6}, rep.ContentionPerLayer)
	var keys []string
	for _, s := range rep.LatencySources {
		keys = append(keys, s.Key)
	}
	assert.Contains(t, keys, "sanafe-loihi-yaml")
	assert.Contains(t, strings.Join(rep.Notes, "\n"), "(25.0%)", "0.5 µs of a 2 µs latency")

	st.Timing, st.ContentionPerLayer = sim.TimingSimple, nil
	rep, err = Chip(m, FromStats(st), tg, em)
	require.NoError(t, err)
	assert.Equal(t, "davies2018", rep.LatencySources[0].Key, "simple timing uses the latency table")
}
