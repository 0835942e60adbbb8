package targets

import (
	"fmt"
	"math"
)

// The Xylo family (SynSense XyloAudio 2, XyloAudio 3, XyloIMU): one SNN
// core that runs a single recurrent population of integer LIF neurons, fed
// by up to 16 input channels and read out by a few output neurons. Its
// update, as Rockpool's XyloSim runs it (xylosim's XyloLayer::evolve and
// XyloIAFNeuron, the C++ behind rockpool.devices.xylo.*.XyloSim), per
// time step:
//
//	1. every input channel i with n_i events (n_i ≤ MaxInputEvents) adds
//	   n_i·(w_in[i][j][k] << ShiftIn) to the synaptic current I_k of every
//	   hidden neuron j it projects to (16-bit saturating adds);
//	2. every hidden neuron i that emitted n_i spikes in the previous step
//	   adds n_i·(w_rec[i][j][k] << ShiftRec) to hidden neuron j's I_k and
//	   n_i·(w_out[i][o] << ShiftOut) to output neuron o's current;
//	3. every hidden neuron decays and fires:
//	       V ← V − d(V, dash_mem),  I_k ← I_k − d(I_k, dash_syn_k),
//	       d(x, dash) = x >> dash, or sign(x) when that is 0 (an arithmetic
//	       shift: a decay of at least one unit),
//	       V ← sat16(V + Σ_k I_k),
//	       n = 0; while V ≥ ϑ and n < MaxHiddenSpikes: n++, V −= ϑ
//	   (subtractive reset, several spikes per step);
//	4. the output neurons do the same with one current and at most
//	   MaxOutputSpikes spikes; their V after this step is what Rockpool's
//	   "Vmem" output mode reads.
//
// Weights are 8-bit (|w| ≤ 127 here), currents, potentials and thresholds
// 16-bit; there is no bias (Rockpool's mappers drop it). XyloStepNeuron is
// steps 3–4 for one neuron, RecurrentCore.Step the whole update, allocating
// nothing; the tests check both against an independent transcription of
// the C++ (per-synapse lists, safe_add as written).
//
// The order of the updates inside a step is xylosim v1's (XyloLayer.cpp,
// XyloIAFNeuron.cpp). Rockpool runs XyloAudio 2, XyloAudio 3 and XyloIMU on
// xylosim v2, whose headers add a bias and a hibernation mode and move the
// decay into evolve; its C++ source is not published with the package, so
// the v1 order is assumed for all three parts.

// RecurrentCoreLimits are the figures of a chip that is one recurrent
// population (Xylo): the data file's "recurrent_core" section.
type RecurrentCoreLimits struct {
	// InputChannels, HiddenNeurons and OutputNeurons are the chip's sizes.
	InputChannels int `json:"input_channels"`
	HiddenNeurons int `json:"hidden_neurons"`
	OutputNeurons int `json:"output_neurons"`
	// SynapticCurrents is the number of synaptic currents (input synapses)
	// of a hidden neuron: 2 on XyloAudio, 1 on XyloIMU.
	SynapticCurrents int `json:"synaptic_currents"`
	// MaxFanOut is the most non-zero recurrent weights of one hidden
	// neuron (its targets in the hidden population, over both synapses).
	MaxFanOut int `json:"max_fan_out"`
	// IOReach: the input channels project to, and the output neurons read
	// from, only the first IOReach hidden neurons (0: all of them).
	IOReach int `json:"io_reach"`
	// MaxInputEvents, MaxHiddenSpikes and MaxOutputSpikes are the events
	// per step of an input channel, a hidden and an output neuron.
	MaxInputEvents  int `json:"max_input_events"`
	MaxHiddenSpikes int `json:"max_hidden_spikes"`
	MaxOutputSpikes int `json:"max_output_spikes"`
	// MaxDash is the largest bit-shift decay (dash ≤ 15: 4 bits).
	MaxDash int `json:"max_dash"`
	// MaxWeightShift is the largest left shift of a weight matrix.
	MaxWeightShift int `json:"max_weight_shift"`
	// StateBits is the width of currents, potentials and thresholds.
	StateBits int `json:"state_bits"`
	// ClockHz is the SNN core's master clock.
	ClockHz float64 `json:"clock_hz"`
	// Cycles is Rockpool's cycle model of one time step.
	Cycles CycleModel `json:"cycles"`
}

// CycleModel is Rockpool's count of master-clock cycles per time step
// (rockpool/devices/xylo/syns61201/power_cycles_model.py, cycles_model;
// syns63300 for XyloIMU and XyloAudio 3), with no alias neurons:
//
//	cycles = Nin·(p_in·N_ien·InputPerTarget + InputPerChannel)
//	       + N_hid·(fan·HiddenPerFanOut·p_hid + HiddenIsynFixed)
//	       + N_oen·p_hid·(OutputIsynFixed + N_out·OutputPerTarget)
//	       + N_hid·(HiddenFixed + HiddenPerSpike·p_hid)
//	       + N_out·OutputFixed
//
// p_in and p_hid are the fractions of input channels and hidden neurons
// with an event in the step, fan the mean number of non-zero recurrent
// weights of a hidden neuron (first synapse), N_ien and N_oen the hidden
// neurons the inputs reach and the outputs read (all of them on XyloAudio
// 2, those with non-zero weights where ConnectedIO is set).
type CycleModel struct {
	InputPerTarget  float64 `json:"input_per_target"`
	InputPerChannel float64 `json:"input_per_channel"`
	HiddenPerFanOut float64 `json:"hidden_per_fan_out"`
	HiddenIsynFixed float64 `json:"hidden_isyn_fixed"`
	OutputIsynFixed float64 `json:"output_isyn_fixed"`
	OutputPerTarget float64 `json:"output_per_target"`
	HiddenFixed     float64 `json:"hidden_fixed"`
	HiddenPerSpike  float64 `json:"hidden_per_spike"`
	OutputFixed     float64 `json:"output_fixed"`
	ConnectedIO     bool    `json:"connected_io"`
}

func (l *RecurrentCoreLimits) check() (field, problem string) {
	for _, r := range []struct {
		f     string
		v, lo int
		hi    int
	}{
		{"input_channels", l.InputChannels, 1, 1 << 16}, {"hidden_neurons", l.HiddenNeurons, 1, 1 << 16},
		{"output_neurons", l.OutputNeurons, 1, 1 << 16}, {"synaptic_currents", l.SynapticCurrents, 1, 2},
		{"max_fan_out", l.MaxFanOut, 1, 1 << 20}, {"io_reach", l.IOReach, 0, l.HiddenNeurons},
		{"max_input_events", l.MaxInputEvents, 1, 255}, {"max_hidden_spikes", l.MaxHiddenSpikes, 1, 255},
		{"max_output_spikes", l.MaxOutputSpikes, 1, 255}, {"max_dash", l.MaxDash, 0, 15},
		{"max_weight_shift", l.MaxWeightShift, 0, 7}, {"state_bits", l.StateBits, 16, 16},
	} {
		if r.v < r.lo || r.v > r.hi {
			return "recurrent_core." + r.f, fmt.Sprintf("%d is outside %d..%d", r.v, r.lo, r.hi)
		}
	}
	if !(l.ClockHz > 0) || math.IsInf(l.ClockHz, 0) {
		return "recurrent_core.clock_hz", fmt.Sprintf("%v, want a positive figure", l.ClockHz)
	}
	c := l.Cycles
	for _, x := range []float64{c.InputPerTarget, c.InputPerChannel, c.HiddenPerFanOut, c.HiddenIsynFixed, c.OutputIsynFixed,
		c.OutputPerTarget, c.HiddenFixed, c.HiddenPerSpike, c.OutputFixed} {
		if !(x >= 0) || math.IsInf(x, 0) {
			return "recurrent_core.cycles", fmt.Sprintf("%v, want finite figures ≥ 0", x)
		}
	}
	return "", ""
}

// XyloDecay is the bit-shift decay of x by dash: x − (x >> dash), where a
// shift that gives 0 for x ≠ 0 removes one unit toward zero instead
// (XyloIAFNeuron's decay). dash 0 clears x.
func XyloDecay(x int32, dash uint8) int32 {
	d := x >> dash
	if d == 0 {
		switch {
		case x > 0:
			d = 1
		case x < 0:
			d = -1
		}
	}
	return x - d
}

// SatAdd16 is x + y saturated to the 16-bit range [−32768, 32767] (the
// chip's safe_add).
func SatAdd16(x int32, y int64) int32 {
	s := int64(x) + y
	if s > math.MaxInt16 {
		return math.MaxInt16
	}
	if s < math.MinInt16 {
		return math.MinInt16
	}
	return int32(s)
}

// XyloNeuronParams are one Xylo neuron's parameters.
type XyloNeuronParams struct {
	DashMem uint8
	// DashSyn is the decay of each synaptic current used (1 or 2).
	DashSyn   []uint8
	Threshold int32
	MaxSpikes int32
}

// XyloStepNeuron is step 3 of the update for one neuron whose currents i
// have received this step's input: decay, integrate, fire. It returns the
// number of spikes.
func XyloStepNeuron(p *XyloNeuronParams, v *int32, i []int32) int32 {
	*v = XyloDecay(*v, p.DashMem)
	var sum int64
	for k := range i {
		i[k] = XyloDecay(i[k], p.DashSyn[k])
		sum += int64(i[k])
	}
	x := SatAdd16(*v, sum)
	n := int32(0)
	for x >= p.Threshold && n < p.MaxSpikes {
		n++
		x -= p.Threshold
	}
	*v = x
	return n
}

// RecurrentCoreSpec is a network for a recurrent-population chip in the
// chip's integer formats, as a compiled model's quantized section holds
// it (compile writes it, sim reads it).
type RecurrentCoreSpec struct {
	Inputs, Hidden, Outputs int
	// Synapses is the number of synaptic currents the hidden neurons use.
	Synapses int
	// WIn[(i·Synapses+k)·Hidden+j] is input channel i's weight onto hidden
	// neuron j's current k; WRec[(i·Synapses+k)·Hidden+j] hidden neuron
	// i's onto j's; WOut[i·Outputs+o] hidden neuron i's onto output o.
	WIn, WRec, WOut             []int16
	ShiftIn, ShiftRec, ShiftOut int
	// Per hidden neuron: threshold, membrane and current decays
	// (DashSyn[j·Synapses+k]); per output neuron likewise (one current).
	Threshold, ThresholdOut []int32
	DashMem, DashSyn        []uint8
	DashMemOut, DashSynOut  []uint8
}

// RecurrentCore is a RecurrentCoreSpec checked against a part's limits,
// ready to run (Step). It is read-only once built: one core serves every
// simulation worker, each with its own CoreState.
type RecurrentCore struct {
	spec   RecurrentCoreSpec
	limits *RecurrentCoreLimits
	// synapse rows without zeros: input, recurrent and output targets of
	// each source (index into the flat current array) and their weights
	// already shifted.
	inRow, recRow, outRow       []int32 // row starts, len sources+1
	inTo, recTo, outTo          []int32
	inW, recW, outW             []int32
	hidden, out                 []XyloNeuronParams
	fanOutMean                  float64
	inputTargets, outputSources int
}

// CoreState is the state of one sample's run on a RecurrentCore.
type CoreState struct {
	V, VOut []int32
	// I holds the hidden currents, k-major: I[k·Hidden+j]; IOut one per
	// output neuron.
	I, IOut []int32
	// Spikes are the hidden neurons' spike counts of the last step;
	// SpikesOut the output neurons'.
	Spikes, SpikesOut []int32
	cur               []int32 // scratch: one neuron's currents
}

// StepCounts are the operations of one time step.
type StepCounts struct {
	// InputEvents counts the events delivered (each of n events of a
	// channel once), ActiveInputs the channels with at least one.
	InputEvents, ActiveInputs int64
	// SynapticOps counts the synaptic additions: an event meeting a
	// non-zero weight (input, recurrent and readout); ReadoutOps those
	// onto the output neurons.
	SynapticOps, ReadoutOps int64
	// HiddenSpikes and OutputSpikes count spikes; SpikingHidden the hidden
	// neurons with at least one.
	HiddenSpikes, SpikingHidden, OutputSpikes int64
	// NeuronUpdates counts the neurons updated (every neuron, every step).
	NeuronUpdates int64
}

// NewRecurrentCore checks s against l (sizes, 8-bit weights, shifts,
// decays, 16-bit thresholds ≥ 1) and builds the core.
func NewRecurrentCore(s *RecurrentCoreSpec, l *RecurrentCoreLimits) (*RecurrentCore, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("targets: recurrent core: "+format, a...)
	}
	S := s.Synapses
	switch {
	case s.Inputs < 1 || s.Hidden < 1 || s.Outputs < 1:
		return nil, bad("%d inputs, %d hidden and %d output neurons: want at least one of each", s.Inputs, s.Hidden, s.Outputs)
	case S < 1 || S > l.SynapticCurrents:
		return nil, bad("%d synaptic currents, the part has %d", S, l.SynapticCurrents)
	case len(s.WIn) != s.Inputs*S*s.Hidden || len(s.WRec) != s.Hidden*S*s.Hidden || len(s.WOut) != s.Hidden*s.Outputs:
		return nil, bad("weight matrices of %d, %d and %d entries do not match %d inputs, %d hidden (%d currents) and %d outputs",
			len(s.WIn), len(s.WRec), len(s.WOut), s.Inputs, s.Hidden, S, s.Outputs)
	case len(s.Threshold) != s.Hidden || len(s.DashMem) != s.Hidden || len(s.DashSyn) != s.Hidden*S:
		return nil, bad("hidden parameters do not match %d neurons", s.Hidden)
	case len(s.ThresholdOut) != s.Outputs || len(s.DashMemOut) != s.Outputs || len(s.DashSynOut) != s.Outputs:
		return nil, bad("output parameters do not match %d neurons", s.Outputs)
	}
	for _, sh := range []int{s.ShiftIn, s.ShiftRec, s.ShiftOut} {
		if sh < 0 || sh > l.MaxWeightShift {
			return nil, bad("weight shift %d outside 0..%d", sh, l.MaxWeightShift)
		}
	}
	for _, w := range [][]int16{s.WIn, s.WRec, s.WOut} {
		for _, x := range w {
			if x < -128 || x > 127 {
				return nil, bad("weight %d is not 8-bit", x)
			}
		}
	}
	for _, d := range [][]uint8{s.DashMem, s.DashSyn, s.DashMemOut, s.DashSynOut} {
		for _, x := range d {
			if int(x) > l.MaxDash {
				return nil, bad("decay dash %d above %d", x, l.MaxDash)
			}
		}
	}
	maxTh := int32(1)<<(l.StateBits-1) - 1
	for _, th := range [][]int32{s.Threshold, s.ThresholdOut} {
		for _, x := range th {
			if x < 1 || x > maxTh {
				return nil, bad("threshold %d outside 1..%d", x, maxTh)
			}
		}
	}
	c := &RecurrentCore{spec: *s, limits: l}
	H := s.Hidden
	rows := func(w []int16, sources, width, shift int) (start, to, wt []int32) {
		start = make([]int32, sources+1)
		for i := 0; i < sources; i++ {
			for t, x := range w[i*width : (i+1)*width] {
				if x != 0 {
					to = append(to, int32(t))
					wt = append(wt, int32(x)<<shift)
				}
			}
			start[i+1] = int32(len(to))
		}
		return
	}
	// a source's row over (k, j) is k·H + j: the index into CoreState.I
	c.inRow, c.inTo, c.inW = rows(s.WIn, s.Inputs, S*H, s.ShiftIn)
	c.recRow, c.recTo, c.recW = rows(s.WRec, H, S*H, s.ShiftRec)
	c.outRow, c.outTo, c.outW = rows(s.WOut, H, s.Outputs, s.ShiftOut)
	c.hidden = make([]XyloNeuronParams, H)
	for j := range c.hidden {
		c.hidden[j] = XyloNeuronParams{DashMem: s.DashMem[j], DashSyn: s.DashSyn[j*S : (j+1)*S], Threshold: s.Threshold[j], MaxSpikes: int32(l.MaxHiddenSpikes)}
	}
	c.out = make([]XyloNeuronParams, s.Outputs)
	for o := range c.out {
		c.out[o] = XyloNeuronParams{DashMem: s.DashMemOut[o], DashSyn: s.DashSynOut[o : o+1], Threshold: s.ThresholdOut[o], MaxSpikes: int32(l.MaxOutputSpikes)}
	}
	// the cycle model's network figures (first synapse's fan-out)
	var fan int
	reachIn, reachOut := make([]bool, H), make([]bool, H)
	for i := 0; i < H; i++ {
		for j := 0; j < H; j++ {
			if s.WRec[i*S*H+j] != 0 {
				fan++
			}
		}
		for o := 0; o < s.Outputs; o++ {
			if s.WOut[i*s.Outputs+o] != 0 {
				reachOut[i] = true
			}
		}
	}
	for i := 0; i < s.Inputs; i++ {
		for k := 0; k < S; k++ {
			for j := 0; j < H; j++ {
				if s.WIn[(i*S+k)*H+j] != 0 {
					reachIn[j] = true
				}
			}
		}
	}
	c.fanOutMean = float64(fan) / float64(H)
	c.inputTargets, c.outputSources = H, H
	if l.Cycles.ConnectedIO {
		c.inputTargets, c.outputSources = countTrue(reachIn), countTrue(reachOut)
	}
	return c, nil
}

func countTrue(b []bool) int {
	n := 0
	for _, x := range b {
		if x {
			n++
		}
	}
	return n
}

// Spec returns the core's network.
func (c *RecurrentCore) Spec() *RecurrentCoreSpec { return &c.spec }

// NewState returns a zero state for c.
func (c *RecurrentCore) NewState() *CoreState {
	s := &c.spec
	return &CoreState{V: make([]int32, s.Hidden), VOut: make([]int32, s.Outputs),
		I: make([]int32, s.Synapses*s.Hidden), IOut: make([]int32, s.Outputs),
		Spikes: make([]int32, s.Hidden), SpikesOut: make([]int32, s.Outputs), cur: make([]int32, s.Synapses)}
}

// Reset zeroes st.
func (st *CoreState) Reset() {
	clear(st.V)
	clear(st.VOut)
	clear(st.I)
	clear(st.IOut)
	clear(st.Spikes)
	clear(st.SpikesOut)
}

// Step runs one time step of the update (see the package's Xylo notes):
// events[i] is the number of events of input channel i this step (values
// above MaxInputEvents count as that many; len(events) = Inputs). It
// returns the step's operation counts and allocates nothing.
func (c *RecurrentCore) Step(st *CoreState, events []uint8) StepCounts {
	s, l := &c.spec, c.limits
	var n StepCounts
	maxIn := int32(l.MaxInputEvents)
	for i, e := range events[:s.Inputs] {
		k := min(int32(e), maxIn)
		if k == 0 {
			continue
		}
		n.InputEvents += int64(k)
		n.ActiveInputs++
		lo, hi := c.inRow[i], c.inRow[i+1]
		n.SynapticOps += int64(k) * int64(hi-lo)
		to, w := c.inTo[lo:hi], c.inW[lo:hi]
		for q, t := range to {
			st.I[t] = SatAdd16(st.I[t], int64(k)*int64(w[q]))
		}
	}
	for i, k := range st.Spikes {
		if k == 0 {
			continue
		}
		lo, hi := c.recRow[i], c.recRow[i+1]
		to, w := c.recTo[lo:hi], c.recW[lo:hi]
		for q, t := range to {
			st.I[t] = SatAdd16(st.I[t], int64(k)*int64(w[q]))
		}
		olo, ohi := c.outRow[i], c.outRow[i+1]
		oto, ow := c.outTo[olo:ohi], c.outW[olo:ohi]
		for q, t := range oto {
			st.IOut[t] = SatAdd16(st.IOut[t], int64(k)*int64(ow[q]))
		}
		n.SynapticOps += int64(k) * int64(hi-lo+ohi-olo)
		n.ReadoutOps += int64(k) * int64(ohi-olo)
	}
	H, S := s.Hidden, s.Synapses
	cur := st.cur
	for j := range st.V {
		for k := 0; k < S; k++ {
			cur[k] = st.I[k*H+j]
		}
		sp := XyloStepNeuron(&c.hidden[j], &st.V[j], cur)
		for k := 0; k < S; k++ {
			st.I[k*H+j] = cur[k]
		}
		st.Spikes[j] = sp
		if sp > 0 {
			n.HiddenSpikes += int64(sp)
			n.SpikingHidden++
		}
	}
	for o := range st.VOut {
		sp := XyloStepNeuron(&c.out[o], &st.VOut[o], st.IOut[o:o+1])
		st.SpikesOut[o] = sp
		n.OutputSpikes += int64(sp)
	}
	n.NeuronUpdates = int64(H + s.Outputs)
	return n
}

// StepCycles is Rockpool's cycle model (CycleModel) for a step with the
// given counts.
func (c *RecurrentCore) StepCycles(n *StepCounts) float64 {
	s, m := &c.spec, &c.limits.Cycles
	pIn := float64(n.ActiveInputs) / float64(s.Inputs)
	pHid := float64(n.SpikingHidden) / float64(s.Hidden)
	nin, nhid, nout := float64(s.Inputs), float64(s.Hidden), float64(s.Outputs)
	return nin*(pIn*float64(c.inputTargets)*m.InputPerTarget+m.InputPerChannel) +
		nhid*(c.fanOutMean*m.HiddenPerFanOut*pHid+m.HiddenIsynFixed) +
		float64(c.outputSources)*pHid*(m.OutputIsynFixed+nout*m.OutputPerTarget) +
		nhid*(m.HiddenFixed+m.HiddenPerSpike*pHid) +
		nout*m.OutputFixed
}

// WorstCaseCycles is the cycle model with every input and hidden neuron
// active (Rockpool's default, used by est_clock_freq).
func (c *RecurrentCore) WorstCaseCycles() float64 {
	s := &c.spec
	return c.StepCycles(&StepCounts{ActiveInputs: int64(s.Inputs), SpikingHidden: int64(s.Hidden)})
}

// StepSeconds is the time of one step of c at the part's clock.
func (c *RecurrentCore) StepSeconds(n *StepCounts) float64 {
	return c.StepCycles(n) / c.limits.ClockHz
}
