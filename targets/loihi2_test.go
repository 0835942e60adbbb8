package targets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func lookupLoihi2(t *testing.T) *Target {
	t.Helper()
	tg, err := Lookup("loihi2")
	require.NoError(t, err)
	return tg
}

// TestLoihi2DataComplete: the data file decodes strictly (no unknown or
// misspelt field), gives every field of Target, and every figure in it
// has a provenance entry naming known sources or saying "assumed".
func TestLoihi2DataComplete(t *testing.T) {
	b, err := dataFS.ReadFile("data/loihi2.json")
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var tg Target
	require.NoError(t, dec.Decode(&tg))

	var raw map[string]any
	require.NoError(t, json.Unmarshal(b, &raw))
	var missing []string
	missingFields(reflect.TypeOf(tg), raw, "", &missing)
	assert.Empty(t, missing, "loihi2.json must give every field")

	figures := map[string]bool{}
	collectFigures(raw, "", figures)
	delete(figures, "experimental") // a status, not a figure
	require.NotEmpty(t, figures)
	keys := map[string]bool{}
	for _, s := range tg.Sources {
		keys[s.Key] = true
	}
	for path := range figures {
		assert.Contains(t, tg.Provenance, path, "figure %s needs a provenance entry", path)
	}
	for path, why := range tg.Provenance {
		assert.True(t, figures[path], "provenance for %s, which is not a figure of the file", path)
		head, _, _ := strings.Cut(why, ":")
		for _, k := range strings.Split(head, ",") {
			k = strings.TrimSpace(k)
			assert.True(t, k == "assumed" || keys[k], "%s: provenance %q cites unknown source %q", path, why, k)
		}
	}
	for _, s := range tg.Chip.Systems {
		assert.True(t, keys[s.Source], "system %s cites unknown source %q", s.Name, s.Source)
	}
}

// missingFields appends the JSON paths of struct fields of t that obj
// does not give.
func missingFields(t reflect.Type, obj map[string]any, prefix string, out *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		v, ok := obj[name]
		if !ok {
			*out = append(*out, prefix+name)
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			if sub, ok := v.(map[string]any); ok {
				missingFields(f.Type, sub, prefix+name+".", out)
			}
		}
	}
}

// collectFigures records the paths of the numbers and booleans in v (an
// array of numbers counts as one figure). Objects with their own "source"
// key are cited in place and skipped.
func collectFigures(v any, path string, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["source"]; ok && path != "" {
			return
		}
		for k, e := range x {
			p := k
			if path != "" {
				p = path + "." + k
			}
			collectFigures(e, p, out)
		}
	case []any:
		numbers := len(x) > 0
		for _, e := range x {
			if _, ok := e.(float64); !ok {
				numbers = false
			}
		}
		if numbers {
			out[path] = true
			return
		}
		for i, e := range x {
			collectFigures(e, fmt.Sprintf("%s[%d]", path, i), out)
		}
	case float64, bool:
		out[path] = true
	}
}

// TestLoihi2DataRanges checks the figures against each other and against
// Lava's model.
func TestLoihi2DataRanges(t *testing.T) {
	tg := lookupLoihi2(t)
	assert.Equal(t, "loihi2", tg.Family)
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8}, tg.Bits.WeightChoices)
	assert.Equal(t, loihi2MaxWeightBits, tg.Bits.Weight)
	assert.Equal(t, Loihi2StateBits, tg.Bits.Potential)
	assert.Equal(t, Loihi2StateBits, tg.Bits.Current)
	assert.Equal(t, Loihi2DecayShift, tg.Bits.Decay)
	assert.Equal(t, 1<<20, tg.Core.Neurons*tg.Chip.Cores, "8,192 neurons on each of 128 cores: 1,048,576")
	// Intel's 120 M synapses are about one bit each in 128 KB per core; the
	// assumed block cost fits the figures the notes state
	assert.Equal(t, int64(128*1024*8), tg.Core.SynapseBits)
	assert.Less(t, 120e6/float64(tg.Chip.Cores), float64(tg.Core.SynapseBits))
	b := tg.Behavior()
	perCore := tg.Core.SynapseBits / b.AxonSynapseBits(64, SynapseFormat{WeightBits: 1}) * 64
	assert.Contains(t, strings.Join(tg.Notes, " "), commas(perCore)+" per core, "+commas(perCore*int64(tg.Chip.Cores))+" per chip")
	dense8 := tg.Core.SynapseBits / b.AxonSynapseBits(64, SynapseFormat{WeightBits: 8}) * 64
	assert.Contains(t, strings.Join(tg.Notes, " "), "dense 8-bit synapses: "+commas(dense8)+" per core")

	g := tg.GradedSpikes
	assert.Equal(t, 24, g.PayloadBits)
	assert.Equal(t, 32, g.MaxPayloadBits)
	assert.Equal(t, "weight-times-payload", g.Accumulation)
	lo, hi := g.PayloadRange()
	assert.Equal(t, int64(-1<<23), lo)
	assert.Equal(t, int64(1<<23-1), hi)
	lo, hi = GradedSpikes{}.PayloadRange()
	assert.Equal(t, [2]int64{0, 1}, [2]int64{lo, hi}, "binary spikes")

	assert.Equal(t, 62, tg.SynapticDelays.MaxSteps)
	assert.Less(t, tg.SynapticDelays.MaxSteps, 1<<tg.Bits.Delay, "delays fit the delay field")
	assert.Equal(t, tg.Bits.Delay, tg.SynapseMemory.DelayBits)

	most := 0
	for _, s := range tg.Chip.Systems {
		most = max(most, s.Chips)
	}
	assert.Equal(t, tg.Chip.MaxChips, most, "the largest system is the chip limit")
	assert.Equal(t, 1152, most)
}

// commas writes n with thousands separators, as the notes do.
func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// TestLoihi2EnergyEstimate recomputes the assumed energy and latency
// tables from Loihi 1's data file with the formula the file states.
func TestLoihi2EnergyEstimate(t *testing.T) {
	tg := lookupLoihi2(t)
	l1, err := Lookup("loihi")
	require.NoError(t, err)
	for _, em := range tg.Energy {
		require.NotEmpty(t, em.Estimate, "%s: a Loihi 2 energy table is an estimate and says how", em.Name)
		assert.True(t, strings.HasPrefix(em.Note, "ESTIMATE"), "%s: reports print the note; it must say estimate", em.Name)
		if em.ScaledFrom == "" {
			continue
		}
		// k = sqrt(A2/A1)·(V2/V1)² with the die areas and voltages of the estimate
		k := math.Sqrt(31.0/60.0) * math.Pow(0.75/0.75, 2)
		assert.InDelta(t, k, em.Scale, 1e-4)
		assert.Contains(t, em.Note, fmt.Sprintf("%.4f", em.Scale))
		assert.Contains(t, em.Estimate, fmt.Sprintf("%.4f", em.Scale))
		name, model, ok := strings.Cut(em.ScaledFrom, "/")
		require.True(t, ok)
		require.Equal(t, "loihi", name)
		base, err := l1.EnergyModelNamed(model)
		require.NoError(t, err)
		b, s := base.Joules, em.Joules
		for op, pair := range map[string][2]float64{
			"synaptic_op": {b.SynapticOp, s.SynapticOp}, "neuron_active": {b.NeuronActive, s.NeuronActive},
			"neuron_idle": {b.NeuronIdle, s.NeuronIdle}, "spike": {b.Spike, s.Spike},
			"hop_ew": {b.HopEW, s.HopEW}, "hop_ns": {b.HopNS, s.HopNS}, "chip_hop": {b.ChipHop, s.ChipHop},
			"barrier_min": {b.BarrierMin, s.BarrierMin}, "barrier_max": {b.BarrierMax, s.BarrierMax},
			"static_per_step": {b.StaticPerStep, s.StaticPerStep},
		} {
			assert.InEpsilon(t, pair[0]*em.Scale+1e-30, pair[1]+1e-30, 1e-3, "%s: %s", em.Name, op)
		}
		assert.Equal(t, b.HostMAC, s.HostMAC, "host MACs stay at the seed's 45 nm figure")
		assert.InEpsilon(t, s.SynapticOp+3.1e-12, s.GradedSynapticOp, 1e-3, "graded op = synaptic op + a 45 nm 32-bit multiply")
	}
	// latency: Loihi 1's Table 2 over the speed-ups the estimate names
	require.NotEmpty(t, tg.LatencyEstimate)
	a, b := l1.Latency, tg.Latency
	for op, want := range map[string][2]float64{
		"synaptic_op": {a.SynapticOp, b.SynapticOp}, "graded_synaptic_op": {a.SynapticOp, b.GradedSynapticOp},
		"neuron_active": {a.NeuronActive / 2, b.NeuronActive}, "neuron_idle": {a.NeuronIdle / 2, b.NeuronIdle},
		"spike": {a.Spike / 10, b.Spike}, "hop_ew": {a.HopEW, b.HopEW}, "hop_ns": {a.HopNS, b.HopNS},
		"chip_hop": {a.ChipHop, b.ChipHop}, "barrier_min": {a.BarrierMin, b.BarrierMin}, "barrier_max": {a.BarrierMax, b.BarrierMax},
	} {
		assert.InEpsilon(t, want[0], want[1], 1e-9, "latency %s", op)
	}
}

// TestLoihi2WeightGrid: mixed-sign n-bit weights are multiples of
// 2^(9−n) up to 256 − 2^(9−n) (255 truncated), the values Lava's
// truncate_weights keeps; 1-bit weights are single-sign only.
func TestLoihi2WeightGrid(t *testing.T) {
	tg := lookupLoihi2(t)
	b := tg.Behavior()
	want := map[int][2]int32{2: {128, 128}, 3: {64, 192}, 4: {32, 224}, 5: {16, 240}, 6: {8, 248}, 7: {4, 252}, 8: {2, 254}}
	for bits := 2; bits <= 8; bits++ {
		step, mx, err := b.WeightGrid(bits)
		require.NoError(t, err)
		assert.Equal(t, want[bits], [2]int32{step, mx}, "%d bits", bits)
		for w := int32(-300); w <= 300; w++ {
			q := Loihi2Weight(w, bits, Loihi2Mixed)
			assert.Zero(t, q%step, "on the grid")
			assert.GreaterOrEqual(t, q, int32(-256))
			assert.LessOrEqual(t, q, mx)
			assert.Equal(t, q, Loihi2Weight(q, bits, Loihi2Mixed), "truncation is idempotent")
			if w >= -256 && w <= 255 {
				assert.True(t, q <= w && w-q < step, "rounds toward −∞ by less than a step (w=%d q=%d)", w, q)
			}
		}
		// the grid EncodeWeights rounds to is kept as it is by the chip
		f := []float32{-1e9, -97.3, -3, -1, 0, 1, 3, 97.3, 1e9}
		q := make([]int16, len(f))
		for _, exp := range []int{tg.Bits.WeightExpMin, 0, tg.Bits.WeightExpMax} {
			scale := float32(math.Ldexp(1, -exp))
			EncodeWeights(q, f, scale, step, mx)
			for _, x := range q {
				assert.Equal(t, int32(x), Loihi2Weight(int32(x), bits, Loihi2Mixed), "%d bits exp %d", bits, exp)
			}
		}
	}
	_, _, err := b.WeightGrid(1)
	assert.ErrorContains(t, err, "single-sign")
	_, _, err = b.WeightGrid(9)
	assert.Error(t, err)
}

// TestLoihi2WeightTruncation: Lava's clip_weights then truncate_weights,
// worked by hand (an arithmetic shift: floor for mixed sign, toward zero
// for inhibitory weights, which are negated around the shift).
func TestLoihi2WeightTruncation(t *testing.T) {
	cases := []struct {
		w    int32
		bits int
		mode Loihi2SignMode
		want int32
	}{
		{3, 8, Loihi2Mixed, 2},       // 3>>1<<1
		{-3, 8, Loihi2Mixed, -4},     // −3>>1 = −2, <<1
		{300, 8, Loihi2Mixed, 254},   // clipped to 255, then 254
		{-300, 8, Loihi2Mixed, -256}, // clipped to −256
		{100, 3, Loihi2Mixed, 64},    // drop 6 bits: 100>>6 = 1
		{-100, 3, Loihi2Mixed, -128}, // −100>>6 = −2
		{37, 4, Loihi2Excitatory, 32},
		{-5, 4, Loihi2Excitatory, 0}, // clipped to [0, 255]
		{255, 4, Loihi2Excitatory, 240},
		{-37, 4, Loihi2Inhibitory, -32}, // toward zero
		{10, 4, Loihi2Inhibitory, 0},
		{-300, 4, Loihi2Inhibitory, -240}, // clipped to −255
		{200, 1, Loihi2Excitatory, 128},
		{127, 1, Loihi2Excitatory, 0},
		{-128, 1, Loihi2Mixed, -256}, // mixed 1-bit: {−256, 0}
		{200, 1, Loihi2Mixed, 0},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, Loihi2Weight(c.w, c.bits, c.mode), "w=%d bits=%d mode=%d", c.w, c.bits, c.mode)
	}
	assert.Equal(t, 1, Loihi2DroppedBits(8, Loihi2Mixed))
	assert.Equal(t, 0, Loihi2DroppedBits(8, Loihi2Excitatory))
	assert.Equal(t, 5, Loihi2DroppedBits(4, Loihi2Mixed))
	assert.Equal(t, 5+(-2), Loihi2WeightScale(4, -2, Loihi2Mixed), "w_scale = 8 − bits + exp + 1")
	assert.Panics(t, func() { Loihi2Weight(1, 0, Loihi2Mixed) })
	assert.Panics(t, func() { Loihi2Weight(1, 9, Loihi2Mixed) })
}

// TestLoihi2MantissaScale: the chip's stored mantissa shifted by w_scale
// gives what Lava's Dense computes from the truncated 8-bit weights and
// the exponent.
func TestLoihi2MantissaScale(t *testing.T) {
	assert.Equal(t, int32(-2), Loihi2Mantissa(-4, 8, Loihi2Mixed))
	assert.Equal(t, int32(7), Loihi2Mantissa(224, 4, Loihi2Mixed))
	assert.Equal(t, int32(-8), Loihi2Mantissa(-256, 4, Loihi2Mixed))
	assert.Equal(t, int32(15), Loihi2Mantissa(240, 4, Loihi2Excitatory))
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		bits := 2 + rng.IntN(7)
		mode := Loihi2SignMode(rng.IntN(3))
		exp := rng.IntN(16) - 8
		n := 1 + rng.IntN(20)
		var sumW, sumM int64
		for j := 0; j < n; j++ {
			w := Loihi2Weight(int32(rng.IntN(512)-256), bits, mode)
			m := Loihi2Mantissa(w, bits, mode)
			require.Equal(t, w, m<<Loihi2DroppedBits(bits, mode), "mantissa exact on truncated weights")
			sumW += int64(w)
			sumM += int64(m)
		}
		want := sumM << Loihi2DroppedBits(bits, mode)
		if exp > 0 {
			want <<= exp
			assert.Equal(t, sumM<<Loihi2WeightScale(bits, exp, mode), want)
		} else {
			want >>= -exp
		}
		assert.Equal(t, int32(want), Loihi2Activation(sumW, exp))
	}
	// the weight exponent on a sum rounds toward −∞; the cast to a_out wraps
	assert.Equal(t, int32(-3), Loihi2Activation(-5, -1))
	assert.Equal(t, int32(2), Loihi2Activation(5, -1))
	assert.Equal(t, int32(12), Loihi2Activation(3, 2))
	assert.Equal(t, int32(math.MinInt32), Loihi2Activation(1<<31, 0))
}

// loihi2Trace is a run of Loihi2Step from the zero state, worked by hand.
type loihi2Trace struct {
	name   string
	p      Loihi2LIF
	act    []int32
	u, v   []int32
	spikes []bool
}

// TestLoihi2StepTraces follows Lava's PyLifModelBitAcc step by step.
func TestLoihi2StepTraces(t *testing.T) {
	const vthMax = 1<<17 - 1 // vth<<6 = 8388544
	cases := []loihi2Trace{
		{"integrate, fire on v > vth<<6 (128), reset v only", Loihi2LIF{Du: 4095, Vth: 2},
			[]int32{1, 1, 0, 1}, []int32{64, 64, 0, 64}, []int32{64, 128, 128, 0}, []bool{false, false, false, true}},
		{"du = 2047 halves u (ds_offset 1), dv = 1024 keeps 3/4 of v, toward zero", Loihi2LIF{Du: 2047, Dv: 1024, Vth: 1000},
			[]int32{10, 0, -3, 0, 0}, []int32{640, 320, -32, -16, -8}, []int32{640, 800, 568, 410, 299}, []bool{false, false, false, false, false}},
		{"du = 0 still decays u by 1/4096", Loihi2LIF{Du: 0, Vth: vthMax},
			[]int32{64, 0}, []int32{4096, 4095}, []int32{4096, 8191}, []bool{false, false}},
		{"bias 5 << 3 = 40", Loihi2LIF{Du: 4095, BiasMant: 5, BiasExp: 3, Vth: 1},
			[]int32{0, 0, 0, 0}, []int32{0, 0, 0, 0}, []int32{40, 0, 40, 0}, []bool{false, true, false, true}},
		{"bias −5 >> 1 = −3 (floor)", Loihi2LIF{Du: 4095, BiasMant: -5, BiasExp: -1, Vth: 1},
			[]int32{0, 0, 0}, []int32{0, 0, 0}, []int32{-3, -6, -9}, []bool{false, false, false}},
		{"u = 2^23 is kept (> 2^23 wraps), v clips to 2^23 − 1 and fires", Loihi2LIF{Du: 4095, Vth: vthMax},
			[]int32{1 << 17}, []int32{1 << 23}, []int32{0}, []bool{true}},
		{"u = 2^23 + 64 wraps once to −2^23 + 64", Loihi2LIF{Du: 4095, Vth: vthMax},
			[]int32{1<<17 + 1}, []int32{-(1<<23 - 64)}, []int32{-(1<<23 - 64)}, []bool{false}},
		{"u = −2^23 becomes +2^23", Loihi2LIF{Du: 4095, Vth: vthMax},
			[]int32{-(1 << 17)}, []int32{1 << 23}, []int32{0}, []bool{true}},
		{"u = −2^23 + 64 stays", Loihi2LIF{Du: 4095, Vth: vthMax},
			[]int32{-(1<<17 - 1)}, []int32{-(1<<23 - 64)}, []int32{-(1<<23 - 64)}, []bool{false}},
		{"2^25 is wrapped once, to 2^24 (not modulo)", Loihi2LIF{Du: 4095, Vth: vthMax},
			[]int32{1 << 19}, []int32{1 << 24}, []int32{0}, []bool{true}},
		{"a_in << 6 wraps in int32 as numpy does: 2^31 → −2^31, then +2^24", Loihi2LIF{Du: 4095, Vth: vthMax},
			[]int32{1 << 25}, []int32{-(1 << 31) + 1<<24}, []int32{-(1<<23 - 1)}, []bool{false}},
		{"v saturates at 2^23 − 1", Loihi2LIF{Du: 4095, Vth: vthMax},
			[]int32{vthMax, vthMax}, []int32{vthMax << 6, vthMax << 6}, []int32{vthMax << 6, 0}, []bool{false, true}},
	}
	for _, c := range cases {
		var s Loihi2State
		for k, a := range c.act {
			got := Loihi2Step(&c.p, &s, a)
			assert.Equal(t, c.spikes[k], got, "%s: step %d spike", c.name, k)
			assert.Equal(t, c.u[k], s.U, "%s: step %d u", c.name, k)
			assert.Equal(t, c.v[k], s.V, "%s: step %d v", c.name, k)
		}
	}
	assert.Equal(t, int32(40), (&Loihi2LIF{BiasMant: 5, BiasExp: 3}).Bias())
	assert.Equal(t, int32(2), (&Loihi2LIF{BiasMant: 5, BiasExp: -1}).Bias())
}

// TestLoihi2GradedSpikes: pixels as graded spikes through a Dense into a
// LIF, by hand, against the same synapses fed binary spikes.
func TestLoihi2GradedSpikes(t *testing.T) {
	w := []int32{Loihi2Weight(5, 8, Loihi2Mixed), Loihi2Weight(-5, 8, Loihi2Mixed)}
	require.Equal(t, []int32{4, -6}, w)
	payload := []int32{200, 37}
	var graded, binary int64
	for i := range w {
		graded += Loihi2GradedInput(w[i], payload[i])
		binary += Loihi2GradedInput(w[i], 1)
	}
	require.Equal(t, int64(4*200-6*37), graded) // 578
	p := Loihi2LIF{Du: 4095, Vth: 288}
	var s Loihi2State
	assert.True(t, Loihi2Step(&p, &s, Loihi2Activation(graded, -1)), "578>>1 = 289; u = 18496 > 288<<6 = 18432")
	assert.Equal(t, int32(289<<6), s.U)
	s = Loihi2State{}
	assert.False(t, Loihi2Step(&p, &s, Loihi2Activation(binary, -1)), "binary: (4−6)>>1 = −1")
	assert.Equal(t, int32(-64), s.V)
	// the payload that arrives d steps later (one-step synapse buffer + d)
	assert.Equal(t, 1, Loihi2ArrivalStep(0, 0))
	assert.Equal(t, 66, Loihi2ArrivalStep(3, 62))
}

// TestLoihi2SynapseMemory: formats with delays pay the 6-bit delay field
// per synapse; without, the cost is Loihi 1's block model.
func TestLoihi2SynapseMemory(t *testing.T) {
	tg := lookupLoihi2(t)
	b := tg.Behavior()
	assert.Equal(t, int64(576), b.AxonSynapseBits(64, SynapseFormat{WeightBits: 8}), "64·8+10 = 522 → 9 words")
	assert.Equal(t, int64(960), b.AxonSynapseBits(64, SynapseFormat{WeightBits: 8, Delays: true}), "64·(8+6)+10 = 906 → 15 words")
	assert.Equal(t, int64(64), b.AxonSynapseBits(1, SynapseFormat{WeightBits: 8, Delays: true, Sparse: true}), "8+6+6+10 = 30 bits → 1 word")
	l1, err := Lookup("loihi")
	require.NoError(t, err)
	assert.Equal(t, l1.Behavior().AxonSynapseBits(200, SynapseFormat{WeightBits: 4}), b.AxonSynapseBits(200, SynapseFormat{WeightBits: 4}))
}

// TestLoihi2InConformance: the conformance suite picks loihi2 up from the
// data directory.
func TestLoihi2InConformance(t *testing.T) {
	names := AllNames()
	assert.True(t, sort.StringsAreSorted(names))
	assert.Contains(t, names, "loihi2")
	// compile and sim run the family: it is in the pipeline's target lists
	tg := lookupLoihi2(t)
	assert.False(t, tg.Experimental)
	assert.Contains(t, Names(), "loihi2")
	assert.Subset(t, AllNames(), Names())
	n := tg.Behavior().IFNeuron(100)
	for i := 0; i < 99; i++ {
		require.False(t, n.Step(1))
	}
	assert.Equal(t, int64(99<<Loihi2ActShift), n.Potential())
	assert.True(t, n.Step(1))
	assert.Panics(t, func() { lookupLoihi2(t).Behavior().IFNeuron(1<<17 + 1) })
}

// TestLoihi2StepAllocates nothing: it is the reference the simulator's
// kernel is checked against and may run in its loop.
func TestLoihi2StepAllocates(t *testing.T) {
	p := Loihi2LIF{Du: 1000, Dv: 200, BiasMant: 3, BiasExp: 2, Vth: 50}
	var s Loihi2State
	allocs := testing.AllocsPerRun(100, func() { Loihi2Step(&p, &s, 17) })
	assert.Zero(t, allocs)
}

func BenchmarkLoihi2Step(b *testing.B) {
	ps := make([]Loihi2LIF, 1024)
	st := make([]Loihi2State, len(ps))
	for i := range ps {
		ps[i] = Loihi2LIF{Du: int32(i % 4096), Dv: int32(i * 7 % 4096), BiasMant: int32(i%64 - 32), BiasExp: int8(i % 8), Vth: 100}
	}
	b.ResetTimer()
	for b.Loop() {
		for i := range ps {
			Loihi2Step(&ps[i], &st[i], int32(i&63))
		}
	}
	b.ReportMetric(float64(b.N)*float64(len(ps))/b.Elapsed().Seconds(), "updates/s")
}

// TestLoihi2StepMatchesLoihiStepInRange: away from u = ±2^23 (where Lava
// wraps once and LoihiStep in two's complement) the Loihi 2 update is
// Loihi 1's with DecayU = du + 1, DecayV = dv, WeightShift = 6 and the
// scaled bias: two independent implementations agree step by step.
func TestLoihi2StepMatchesLoihiStepInRange(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := 0; trial < 300; trial++ {
		p2 := Loihi2LIF{Du: rng.Int32N(4096), Dv: rng.Int32N(4096), BiasMant: rng.Int32N(8192) - 4096,
			BiasExp: int8(rng.IntN(8)), Vth: rng.Int32N(1 << 17)}
		p1 := LoihiParams{DecayU: p2.Du + 1, DecayV: p2.Dv, WeightShift: Loihi2ActShift, Vth: p2.Vth, PotentialBits: Loihi2StateBits}
		var s Loihi2State
		var u, v int32
		for k := 0; k < 50; k++ {
			// keep u inside ±2^22: |a<<6| ≤ (du+1)·2^10, so |u| ≤ 2^10·4096
			amax := (p2.Du + 1) * 16
			a := rng.Int32N(2*amax+1) - amax
			s2 := Loihi2Step(&p2, &s, a)
			s1 := LoihiStep(&p1, &u, &v, int64(a), int64(p2.Bias()))
			require.Less(t, int64(math.Abs(float64(s.U))), int64(1)<<23, "trial %d left the safe range", trial)
			require.Equal(t, s1, s2, "trial %d step %d spike (%+v)", trial, k, p2)
			require.Equal(t, [2]int32{u, v}, [2]int32{s.U, s.V}, "trial %d step %d state", trial, k)
		}
	}
}

func TestGradedPayload(t *testing.T) {
	for _, c := range []struct {
		x, in, ps float32
		bits      int
		want      int32
	}{
		{200, 1.0 / 255, 255, 24, 200},       // raw 8-bit pixels pass exactly
		{0.5, 1, 255, 24, 128},               // 127.5 rounds half away from zero
		{-0.5, 1, 255, 24, -128},             // and so on the negative side
		{3, 1, 255, 24, 255},                 // beyond ±1 after the input scale: clipped to ±P
		{-3, 1, 255, 24, -255},               //
		{1, 1, 1000, 8, 127},                 // and to the payload's signed range
		{float32(math.NaN()), 1, 255, 24, 0}, // NaN: no spike
	} {
		assert.Equal(t, c.want, GradedPayload(c.x, c.in, c.ps, c.bits), "%+v", c)
	}
}
