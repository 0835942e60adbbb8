package targets

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// conformXyloNeuron is the neuron part of the conformance suite for a
// recurrent-core family, by hand: Xylo has no reset to zero and no
// leak-free neuron, so the other families' IF contract does not apply.
func conformXyloNeuron(t *testing.T, tg *Target) {
	b := tg.Backend()
	n := b.IFNeuron(30)
	for range 5 {
		assert.False(t, n.Step(0))
		assert.Zero(t, n.Potential(), "zero stays zero")
	}
	// input 100: the current loses one unit to its decay (dash 15), V = 99
	// → three spikes (one reported), V = 99 − 90 = 9
	assert.True(t, n.Step(100))
	assert.Equal(t, int64(9), n.Potential())
	// no input: V decays by one unit (9 >> 15 = 0 → 1)
	assert.False(t, n.Step(0))
	assert.Equal(t, int64(8), n.Potential())
}

func TestXyloDecayByHand(t *testing.T) {
	for _, c := range []struct {
		x    int32
		dash uint8
		want int32
	}{
		{5, 15, 4},          // 5 >> 15 = 0 → at least one unit
		{-5, 15, -4},        // −5 >> 15 = −1
		{-5, 1, -2},         // −5 >> 1 = −3 (arithmetic shift floors)
		{100, 3, 88},        // 100 − 12
		{-100, 3, -87},      // −100 − (−13)
		{1234, 0, 0},        // dash 0 clears
		{0, 4, 0},           // zero stays
		{32767, 1, 16384},   // 32767 − 16383
		{-32768, 1, -16384}, // −32768 − (−16384)
	} {
		assert.Equal(t, c.want, XyloDecay(c.x, c.dash), "XyloDecay(%d, %d)", c.x, c.dash)
	}
	assert.Equal(t, int32(32767), SatAdd16(32000, 1000))
	assert.Equal(t, int32(-32768), SatAdd16(-32000, -1000))
	assert.Equal(t, int32(5), SatAdd16(2, 3))
	// several spikes per step, capped: V = 1000, ϑ = 10 → 31 spikes, V = 690
	p := XyloNeuronParams{DashMem: 15, DashSyn: []uint8{0}, Threshold: 10, MaxSpikes: 31}
	v := int32(0)
	assert.Equal(t, int32(0), XyloStepNeuron(&p, &v, []int32{1000}), "dash 0 clears the current before it reaches V")
	p.DashSyn[0] = 15
	assert.Equal(t, int32(31), XyloStepNeuron(&p, &v, []int32{1001}))
	assert.Equal(t, int32(1000-310), v)
	assert.Equal(t, []float64{0, 0.5, 0.9375}, []float64{ShiftGamma(0), ShiftGamma(1), ShiftGamma(4)})
	d, ok := ShiftDecay(0.9375, 15)
	assert.Equal(t, 4, d)
	assert.True(t, ok)
	d, ok = ShiftDecay(0.95, 15)
	assert.Equal(t, 4, d) // −log2(0.05) = 4.32
	assert.False(t, ok)
}

// refXylo is an independent transcription of xylosim's XyloLayer::evolve
// and XyloIAFNeuron (v1): per-source synapse lists, one receiveSpike per
// event, safe_add as the C++ writes it (|max − x| > |y|), the decay with
// its minimum of one unit, the spike loop. It shares no code with
// RecurrentCore.
type refXylo struct {
	s                 RecurrentCoreSpec
	maxIn, maxH, maxO int
	v, vOut           []int64
	isyn              [][]int64 // [neuron][synapse]
	isynOut           []int64
	recSpikes         []int
}

type refSyn struct{ target, syn, weight int }

func refSafeAdd(x, y int64) int64 {
	maxVal := float64(math.Pow(2, 15) - 1)
	if y < 0 {
		maxVal = -math.Pow(2, 15)
	}
	if math.Abs(maxVal-float64(x)) > math.Abs(float64(y)) {
		return x + y
	}
	return int64(maxVal)
}

func refDecay(v int64, dash uint8) int64 {
	dv := v >> dash
	if dv == 0 {
		if v > 0 {
			dv = 1
		} else if v < 0 {
			dv = -1
		}
	}
	return dv
}

func (r *refXylo) synapses(w []int16, sources, synapses, targets int, shift int) [][]refSyn {
	out := make([][]refSyn, sources)
	for i := 0; i < sources; i++ {
		for k := 0; k < synapses; k++ {
			for j := 0; j < targets; j++ {
				if x := w[(i*synapses+k)*targets+j]; x != 0 {
					out[i] = append(out[i], refSyn{j, k, int(x) << shift})
				}
			}
		}
	}
	return out
}

// run evolves the reference over the input raster (steps × inputs) and
// returns, per step, the hidden spikes, output spikes, V and V_out.
func (r *refXylo) run(raster [][]uint8) (hid, out [][]int, v, vOut [][]int64) {
	s := &r.s
	in := r.synapses(s.WIn, s.Inputs, s.Synapses, s.Hidden, s.ShiftIn)
	rec := r.synapses(s.WRec, s.Hidden, s.Synapses, s.Hidden, s.ShiftRec)
	ro := r.synapses(s.WOut, s.Hidden, 1, s.Outputs, s.ShiftOut)
	for _, inp := range raster {
		for pre, n := range inp {
			k := int(n)
			if k > r.maxIn {
				k = r.maxIn
			}
			for _, sy := range in[pre] {
				for range k {
					r.isyn[sy.target][sy.syn] = refSafeAdd(r.isyn[sy.target][sy.syn], int64(sy.weight))
				}
			}
		}
		for pre, k := range r.recSpikes {
			for _, sy := range rec[pre] {
				for range k {
					r.isyn[sy.target][sy.syn] = refSafeAdd(r.isyn[sy.target][sy.syn], int64(sy.weight))
				}
			}
			for _, sy := range ro[pre] {
				for range k {
					r.isynOut[sy.target] = refSafeAdd(r.isynOut[sy.target], int64(sy.weight))
				}
			}
			r.recSpikes[pre] = 0
		}
		for j := 0; j < s.Hidden; j++ {
			r.v[j] -= refDecay(r.v[j], s.DashMem[j])
			var sum int64
			for k := 0; k < s.Synapses; k++ {
				r.isyn[j][k] -= refDecay(r.isyn[j][k], s.DashSyn[j*s.Synapses+k])
				sum += r.isyn[j][k]
			}
			r.v[j] = refSafeAdd(r.v[j], sum)
			n := 0
			for r.v[j] >= int64(s.Threshold[j]) && n < r.maxH {
				n++
				r.v[j] -= int64(s.Threshold[j])
			}
			r.recSpikes[j] = n
		}
		os := make([]int, s.Outputs)
		for o := 0; o < s.Outputs; o++ {
			r.vOut[o] -= refDecay(r.vOut[o], s.DashMemOut[o])
			r.isynOut[o] -= refDecay(r.isynOut[o], s.DashSynOut[o])
			r.vOut[o] = refSafeAdd(r.vOut[o], r.isynOut[o])
			for r.vOut[o] >= int64(s.ThresholdOut[o]) && os[o] < r.maxO {
				os[o]++
				r.vOut[o] -= int64(s.ThresholdOut[o])
			}
		}
		hid = append(hid, slices.Clone(r.recSpikes))
		out = append(out, os)
		v = append(v, slices.Clone(r.v))
		vOut = append(vOut, slices.Clone(r.vOut))
	}
	return
}

func randomCoreSpec(r *rand.Rand, l *RecurrentCoreLimits) RecurrentCoreSpec {
	in, h, o := 1+r.IntN(l.InputChannels), 1+r.IntN(40), 1+r.IntN(l.OutputNeurons)
	S := 1 + r.IntN(l.SynapticCurrents)
	w := func(n int, density float64) []int16 {
		x := make([]int16, n)
		for i := range x {
			if r.Float64() < density {
				x[i] = int16(r.IntN(255) - 127)
			}
		}
		return x
	}
	dash := func(n int) []uint8 {
		d := make([]uint8, n)
		for i := range d {
			d[i] = uint8(r.IntN(l.MaxDash + 1))
		}
		return d
	}
	th := func(n int) []int32 {
		t := make([]int32, n)
		for i := range t {
			t[i] = int32(1 + r.IntN(3000))
			if r.IntN(8) == 0 {
				t[i] = int32(1 + r.IntN(32767))
			}
		}
		return t
	}
	return RecurrentCoreSpec{Inputs: in, Hidden: h, Outputs: o, Synapses: S,
		WIn: w(in*S*h, 0.6), WRec: w(h*S*h, 0.3), WOut: w(h*o, 0.5),
		ShiftIn: r.IntN(l.MaxWeightShift + 1), ShiftRec: r.IntN(l.MaxWeightShift + 1), ShiftOut: r.IntN(l.MaxWeightShift + 1),
		Threshold: th(h), ThresholdOut: th(o), DashMem: dash(h), DashSyn: dash(h * S), DashMemOut: dash(o), DashSynOut: dash(o)}
}

// TestRecurrentCoreMatchesReference runs random networks (both currents,
// saturating currents and potentials, many spikes per step, more input
// events than a channel takes) on RecurrentCore and on refXylo, and
// requires the same spikes and potentials at every step.
func TestRecurrentCoreMatchesReference(t *testing.T) {
	for _, name := range []string{"xylo-audio2", "xylo-imu"} {
		tg, err := Lookup(name)
		require.NoError(t, err)
		l := tg.RecurrentCore
		r := rand.New(rand.NewPCG(7, uint64(len(name))))
		saturated, multi := 0, 0
		for trial := range 60 {
			spec := randomCoreSpec(r, l)
			core, err := tg.Backend().(RecurrentCoreBackend).NewCore(&spec)
			require.NoError(t, err)
			ref := &refXylo{s: spec, maxIn: l.MaxInputEvents, maxH: l.MaxHiddenSpikes, maxO: l.MaxOutputSpikes,
				v: make([]int64, spec.Hidden), vOut: make([]int64, spec.Outputs), isynOut: make([]int64, spec.Outputs),
				recSpikes: make([]int, spec.Hidden)}
			for range spec.Hidden {
				ref.isyn = append(ref.isyn, make([]int64, spec.Synapses))
			}
			raster := make([][]uint8, 30)
			for k := range raster {
				raster[k] = make([]uint8, spec.Inputs)
				for i := range raster[k] {
					if r.IntN(3) == 0 {
						raster[k][i] = uint8(1 + r.IntN(20))
					}
				}
			}
			hid, out, v, vOut := ref.run(raster)
			st := core.NewState()
			for k, ev := range raster {
				core.Step(st, ev)
				for j, x := range st.V {
					require.Equal(t, v[k][j], int64(x), "trial %d step %d hidden %d V", trial, k, j)
					if x == 32767 || x == -32768 {
						saturated++
					}
				}
				for j, x := range st.Spikes {
					require.Equal(t, hid[k][j], int(x), "trial %d step %d hidden %d spikes", trial, k, j)
					if x > 1 {
						multi++
					}
				}
				for o, x := range st.VOut {
					require.Equal(t, vOut[k][o], int64(x), "trial %d step %d output %d V", trial, k, o)
					require.Equal(t, out[k][o], int(st.SpikesOut[o]), "trial %d step %d output %d spikes", trial, k, o)
				}
			}
		}
		assert.Positive(t, saturated, "some potentials saturate")
		assert.Positive(t, multi, "some neurons fire several spikes in a step")
	}
}

// TestRecurrentCoreStepAllocates nothing.
func TestRecurrentCoreStepAllocatesNothing(t *testing.T) {
	tg, err := Lookup("xylo-audio2")
	require.NoError(t, err)
	spec := randomCoreSpec(rand.New(rand.NewPCG(1, 1)), tg.RecurrentCore)
	core, err := NewRecurrentCore(&spec, tg.RecurrentCore)
	require.NoError(t, err)
	st := core.NewState()
	ev := make([]uint8, spec.Inputs)
	for i := range ev {
		ev[i] = 1
	}
	assert.Zero(t, testing.AllocsPerRun(50, func() { core.Step(st, ev) }))
}

// TestCycleModelByHand: a 2-input, 3-hidden, 1-output network on
// XyloAudio 2's model (N_ien = N_oen = N_hid), one input and one hidden
// neuron active in the step; hidden neuron 0 has two recurrent targets,
// the others none (fan = 2/3):
//
//	inputs  2·((1/2)·3·3.5 + 1)          = 12.5
//	isyn    3·((2/3)·7·(1/3) + 3)        = 13.666…
//	out     3·(1/3)·(1 + 1·8)            = 9
//	hidden  3·(19 + 3·(1/3))             = 60
//	output  1·12                         = 12
//	total                                 107.1666…
func TestCycleModelByHand(t *testing.T) {
	tg, err := Lookup("xylo-audio2")
	require.NoError(t, err)
	spec := RecurrentCoreSpec{Inputs: 2, Hidden: 3, Outputs: 1, Synapses: 1,
		WIn: []int16{1, 0, 0, 0, 0, 1}, WRec: []int16{0, 5, 5, 0, 0, 0, 0, 0, 0}, WOut: []int16{1, 0, 0},
		Threshold: []int32{10, 10, 10}, ThresholdOut: []int32{32767}, DashMem: []uint8{1, 1, 1}, DashSyn: []uint8{1, 1, 1},
		DashMemOut: []uint8{1}, DashSynOut: []uint8{1}}
	core, err := NewRecurrentCore(&spec, tg.RecurrentCore)
	require.NoError(t, err)
	got := core.StepCycles(&StepCounts{ActiveInputs: 1, SpikingHidden: 1})
	assert.InDelta(t, 12.5+3*(2.0/3*7/3+3)+9+60+12, got, 1e-9)
	assert.InDelta(t, got/50e6, core.StepSeconds(&StepCounts{ActiveInputs: 1, SpikingHidden: 1}), 1e-18)
	// XyloIMU counts only the hidden neurons the inputs reach (2) and the
	// outputs read (1): inputs 2·((1/2)·2·3.5 + 1) = 9, out 1·(1/3)·9 = 3
	imu, err := Lookup("xylo-imu")
	require.NoError(t, err)
	core, err = NewRecurrentCore(&spec, imu.RecurrentCore)
	require.NoError(t, err)
	assert.InDelta(t, 9+3*(2.0/3*7/3+3)+3+60+12, core.StepCycles(&StepCounts{ActiveInputs: 1, SpikingHidden: 1}), 1e-9)
}

// TestNewRecurrentCoreRefuses out-of-range networks, one field at a time.
func TestNewRecurrentCoreRefuses(t *testing.T) {
	tg, err := Lookup("xylo-imu")
	require.NoError(t, err)
	l := tg.RecurrentCore
	good := randomCoreSpec(rand.New(rand.NewPCG(3, 3)), l)
	_, err = NewRecurrentCore(&good, l)
	require.NoError(t, err)
	for what, mut := range map[string]func(s *RecurrentCoreSpec){
		"two currents on XyloIMU": func(s *RecurrentCoreSpec) { s.Synapses = 2 },
		"weight 128":              func(s *RecurrentCoreSpec) { s.WIn[0] = 128 },
		"shift 8":                 func(s *RecurrentCoreSpec) { s.ShiftRec = 8 },
		"dash 16":                 func(s *RecurrentCoreSpec) { s.DashMem[0] = 16 },
		"threshold 0":             func(s *RecurrentCoreSpec) { s.Threshold[0] = 0 },
		"threshold 32768":         func(s *RecurrentCoreSpec) { s.ThresholdOut[0] = 32768 },
		"short matrix":            func(s *RecurrentCoreSpec) { s.WOut = s.WOut[1:] },
	} {
		s := good
		s.WIn, s.WOut, s.DashMem = slices.Clone(good.WIn), slices.Clone(good.WOut), slices.Clone(good.DashMem)
		s.Threshold, s.ThresholdOut = slices.Clone(good.Threshold), slices.Clone(good.ThresholdOut)
		mut(&s)
		_, err := NewRecurrentCore(&s, l)
		assert.Error(t, err, what)
	}
}
