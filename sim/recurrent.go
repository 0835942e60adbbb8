package sim

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// TimingCycleModel names the timing of a recurrent-core chip (Xylo): the
// master-clock cycles of every step from Rockpool's cycle model
// (targets.CycleModel) at the part's clock.
const TimingCycleModel = "cycle-model"

// CoreReport is what a run on a recurrent-core chip adds to Stats: the
// neurons used of the part's, the step time and the real-time margin.
type CoreReport struct {
	// Hidden and Outputs are the neurons used; HiddenLimit and
	// OutputLimit the part's.
	Hidden       int `json:"hidden"`
	HiddenLimit  int `json:"hidden_limit"`
	Outputs      int `json:"outputs"`
	OutputLimit  int `json:"output_limit"`
	Inputs       int `json:"inputs"`
	InputLimit   int `json:"input_limit"`
	Synapses     int `json:"synaptic_currents"`
	SynapseLimit int `json:"synaptic_current_limit"`
	// ClockHz is the clock the cycles are timed at; CyclesPerStep the
	// mean cycles of a step and WorstCaseCycles the cycle model with every
	// input and hidden neuron active (Rockpool's est_clock_freq case).
	ClockHz         float64 `json:"clock_hz"`
	CyclesPerStep   float64 `json:"cycles_per_step"`
	WorstCaseCycles float64 `json:"worst_case_cycles_per_step"`
	// StepSeconds is the mean compute time of a step; RealTimeStep the
	// step length when the chip runs in real time (the target's tick) and
	// Margin = RealTimeStep/StepSeconds (how many times faster than real
	// time the core computes a step; WorstCaseMargin for the worst case).
	StepSeconds     float64 `json:"step_seconds"`
	RealTimeStep    float64 `json:"real_time_step_s"`
	Margin          float64 `json:"real_time_margin"`
	WorstCaseMargin float64 `json:"worst_case_margin"`
	// Saturated counts hidden and output potentials at the 16-bit limits
	// after a step (summed over samples and steps).
	Saturated int64 `json:"saturated_potentials"`
}

// runRecurrentCore simulates a model compiled for a recurrent-core family
// (targets.Capabilities.RecurrentCore): the backend's RecurrentCore runs
// T steps of input and one more (the readout neurons receive the hidden
// spikes one step late, see targets/xylo.go); the prediction is the
// argmax over the readout neurons of their largest potential (or spike
// count, for a spike-count readout) over chip steps 1..T, which line up
// with the float model's steps 0..T−1. The float reference runs beside it
// (opts.Reference).
func runRecurrentCore(ctx context.Context, m *ir.Model, set *dataset.Set, opts Options, t *targets.Target, rb targets.RecurrentCoreBackend) (*Stats, error) {
	spec, err := compile.RecurrentCoreSpec(m)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	core, err := rb.NewCore(spec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrModel, err)
	}
	if opts.Timing != "" && opts.Timing != TimingCycleModel {
		return nil, fmt.Errorf("sim: timing %q: %s is timed by its cycle model only (%q)", opts.Timing, t.Name, TimingCycleModel)
	}
	if m.Input.Encoding != ir.EncodingEvents || m.Readout.Kind == ir.ReadoutMeanCurrent {
		return nil, modelErr("a recurrent-core model takes event input and a max-potential or spike-count readout")
	}
	T := m.Timesteps
	if set == nil {
		return nil, fmt.Errorf("%w: no dataset", ErrData)
	}
	if set.StepSize() != spec.Inputs || set.Steps != T {
		return nil, fmt.Errorf("%w: %s has samples of %d steps of %d values, the model takes %d steps of %d input channels",
			ErrData, set.Name, set.Steps, set.StepSize(), T, spec.Inputs)
	}
	if set.Classes > spec.Outputs {
		return nil, fmt.Errorf("%w: %s has %d classes, the model's readout has %d outputs", ErrData, set.Name, set.Classes, spec.Outputs)
	}
	size := set.ImageSize()
	if set.Test.N <= 0 || len(set.Test.Images) < set.Test.N*size || len(set.Test.Labels) < set.Test.N {
		return nil, fmt.Errorf("%w: %s has an empty or truncated test split", ErrData, set.Name)
	}
	var ref *temporalProgram
	if opts.Reference {
		if ref, err = lowerTemporal(m); err != nil {
			return nil, err
		}
	}
	chain := []int{}
	for i := range m.Layers {
		if m.Layers[i].HasNeurons() {
			chain = append(chain, i)
		}
	}
	hid, out := chain[0], chain[1]
	steps := T + 1
	maxPot := m.Readout.Kind == ir.ReadoutMaxPotential
	split := set.Test.Limit(opts.Limit, size)
	start := time.Now()
	type worker struct {
		st        *targets.CoreState
		ref       *temporalWorker
		perLayer  []Counts
		perCore   []Counts
		perStep   []Counts
		cycles    float64
		saturated int64
		acc       []int64
		zeros     []uint8
		trace     []byte
	}
	var ws []*worker
	var mu sync.Mutex
	res, err := drive(ctx, split, size, opts, func() sampleFunc {
		w := &worker{st: core.NewState(), perLayer: make([]Counts, len(m.Layers)), perCore: make([]Counts, 2),
			perStep: make([]Counts, steps), acc: make([]int64, spec.Outputs), zeros: make([]uint8, spec.Inputs)}
		if ref != nil {
			w.ref = newTemporalWorker(ref)
		}
		mu.Lock()
		ws = append(ws, w)
		mu.Unlock()
		return func(i int, x []uint8) (int, int, float64, []byte) {
			w.st.Reset()
			w.trace = w.trace[:0]
			lat := 0.0
			for k := 0; k < steps; k++ {
				ev := w.zeros
				if k < T {
					ev = x[k*spec.Inputs : (k+1)*spec.Inputs]
				}
				n := core.Step(w.st, ev)
				lat += core.StepSeconds(&n)
				w.cycles += core.StepCycles(&n)
				h := Counts{SynapticOps: n.SynapticOps - n.ReadoutOps, NeuronActive: int64(spec.Hidden), Spikes: n.HiddenSpikes,
					SpikesLocal: n.HiddenSpikes, SomaAccesses: int64(spec.Hidden), SomaUpdates: int64(spec.Hidden)}
				o := Counts{SynapticOps: n.ReadoutOps, NeuronActive: int64(spec.Outputs), Spikes: n.OutputSpikes,
					SomaAccesses: int64(spec.Outputs), SomaUpdates: int64(spec.Outputs)}
				w.perLayer[hid].Add(&h)
				w.perLayer[out].Add(&o)
				w.perCore[0].Add(&h)
				w.perCore[1].Add(&o)
				w.perStep[k].Add(&h)
				w.perStep[k].Add(&o)
				for _, v := range w.st.V {
					if v == 32767 || v == -32768 {
						w.saturated++
					}
				}
				for o, v := range w.st.VOut {
					if v == 32767 || v == -32768 {
						w.saturated++
					}
					switch {
					case k == 0:
					case maxPot && (k == 1 || int64(v) > w.acc[o]):
						w.acc[o] = int64(v)
					case !maxPot:
						w.acc[o] += int64(w.st.SpikesOut[o])
					}
				}
				if opts.Trace != nil {
					for j, c := range w.st.Spikes {
						if c > 0 {
							w.trace = appendTraceLine(w.trace, i, k, hid, j)
						}
					}
					for o, c := range w.st.SpikesOut {
						if c > 0 {
							w.trace = appendTraceLine(w.trace, i, k, out, o)
						}
					}
				}
			}
			if maxPot && steps == 1 {
				clear(w.acc)
			}
			pred := argmax64(w.acc)
			r := -1
			if w.ref != nil {
				r = w.ref.runSample(x)
			}
			return pred, r, lat, w.trace
		}
	})
	if err != nil {
		return nil, err
	}
	st := &Stats{Target: t.Name, Steps: steps, PerLayer: make([]Counts, len(m.Layers)), PerCore: make([]Counts, 2),
		PerStep: make([]Counts, steps), Timing: TimingCycleModel}
	var cycles float64
	cr := &CoreReport{Hidden: spec.Hidden, Outputs: spec.Outputs, Inputs: spec.Inputs, Synapses: spec.Synapses, ClockHz: rb.Limits().ClockHz,
		HiddenLimit: rb.Limits().HiddenNeurons, OutputLimit: rb.Limits().OutputNeurons, InputLimit: rb.Limits().InputChannels,
		SynapseLimit: rb.Limits().SynapticCurrents, WorstCaseCycles: core.WorstCaseCycles(), RealTimeStep: t.TickSeconds}
	for _, w := range ws {
		addAll(st.PerLayer, w.perLayer)
		addAll(st.PerCore, w.perCore)
		addAll(st.PerStep, w.perStep)
		cycles += w.cycles
		cr.Saturated += w.saturated
	}
	res.fill(st, split, opts.Reference)
	if st.Samples > 0 {
		cr.CyclesPerStep = cycles / float64(st.Samples*steps)
		cr.StepSeconds = cr.CyclesPerStep / cr.ClockHz
		if cr.StepSeconds > 0 {
			cr.Margin = cr.RealTimeStep / cr.StepSeconds
		}
		cr.WorstCaseMargin = cr.RealTimeStep / (cr.WorstCaseCycles / cr.ClockHz)
	}
	st.Core = cr
	st.WallSeconds = time.Since(start).Seconds()
	return st, nil
}
