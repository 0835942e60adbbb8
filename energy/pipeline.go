package energy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/events/eventset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// AllTargets is the Request.Target that reports every target side by side.
const AllTargets = "all"

// Request is one energy evaluation (Evaluate): a model, the targets to
// report it on, and where the operation counts come from: a simulation of
// a dataset's test split, or a planning estimate from an assumed firing
// rate.
type Request struct {
	// Model is the model to report. When nil, Evaluate reads it from Path.
	Model *ir.Model
	// Path is the model's file: read when Model is nil, and named in errors.
	Path string
	// Target is a chip target's name, SeedTarget, AllTargets, or "" for the
	// compiled model's own target (all targets for a float model). A
	// compiled model is reported on its own target and seed45nm only.
	Target string
	// EnergyModel names the energy model of the chip targets ("": each
	// target's first). A target that lacks it uses its first, with a note.
	EnergyModel string
	// Data is the dataset whose test split is simulated. When nil, DataDir
	// is loaded (the embedded MNIST subset when DataDir is ""; event data —
	// spoken, saccade, an SHD-layout, spike-file or N-MNIST folder — binned
	// into the model's T steps of DT seconds, see eventset.LoadOrImages).
	// An estimate reads neither.
	Data    *dataset.Set
	DataDir string
	// DT is the length of one time step of event data in seconds (0: the
	// longest sample over T, as snnc train's default).
	DT float64
	// Limit is the most test samples to simulate (0: the whole test split).
	Limit int
	// Timing is the simulator's timing model (sim.TimingSimple,
	// sim.TimingContention, sim.TimingSANAFE; "": the target's default).
	Timing string
	// Estimate replaces the simulation by a planning estimate in which
	// every spiking neuron fires with probability Rate per step.
	Estimate bool
	Rate     float64
	// WeightBits is the weight precision of the chip targets the float
	// model is compiled for (0: each target's default; compile.Options).
	WeightBits int
	// Timesteps, when positive, runs the model with T = Timesteps instead
	// of its own T, with the same weights: a float model is compiled at
	// its own T and the compiled network is simulated (or estimated) for
	// Timesteps steps.
	Timesteps int
	// Reference also runs the float reference beside a chip simulation,
	// for TargetReport.ReferenceAccuracy and Agreement.
	Reference bool
	// Workers is the number of samples simulated in parallel (0:
	// GOMAXPROCS; sim.Options.Workers).
	Workers int
	// GradedInput compiles a float model's direct-current input as graded
	// spikes (compile.Options.GradedInput) on the targets whose backend has
	// graded spikes; the others are compiled as usual, with a note. A
	// single target without graded spikes is a RequestError.
	GradedInput bool
	// GradedHidden compiles a float model's several-spike layers as graded
	// spikes (compile.Options.GradedHidden) on the targets whose backend
	// has graded spikes; the others refuse such a model (does not fit). A
	// single target without graded spikes is a RequestError.
	GradedHidden bool
	// Log, if set, receives one progress line at a time (e.g. "loihi:
	// compiling"), without a trailing newline.
	Log func(format string, args ...any)
}

// RequestError is a Request that cannot be evaluated whatever the data: an
// unknown target or energy model, a compiled model asked about another
// target, a negative limit, a rate outside [0, 1]. Callers match it with
// errors.As (snnc exits with status 2 for it, as for a bad command line).
type RequestError struct {
	// Field is the Request field at fault ("Target", "Limit", …).
	Field string
	// Problem says what is wrong with it, and the valid values if there
	// are few.
	Problem string
}

func (e *RequestError) Error() string { return "energy: " + e.Problem }

func requestErr(field, format string, a ...any) error {
	return &RequestError{Field: field, Problem: fmt.Sprintf(format, a...)}
}

// TargetNames lists the valid Request.Target values: SeedTarget, every
// chip target and AllTargets.
func TargetNames() []string {
	return append(append([]string{SeedTarget}, targets.Names()...), AllTargets)
}

// EnergyModelNames lists the energy models of a target (nil for an unknown
// target).
func EnergyModelNames(target string) []string {
	if target == SeedTarget {
		return []string{Seed45nm.Name}
	}
	t, err := targets.Lookup(target)
	if err != nil {
		return nil
	}
	var out []string
	for _, em := range t.Energy {
		out = append(out, em.Name)
	}
	return out
}

// Evaluate produces the energy report a Request asks for. For every
// target it reports:
//
//	seed45nm  the float reference simulated (or estimated) and priced by
//	          the seed's AC/MAC model (Seed);
//	a chip    the float model compiled in memory as snnc compile would
//	          (a compiled model is used as it is), simulated bit-exactly
//	          (or estimated) and priced by the target's energy model (Chip),
//	          against the same-shape ANN of the float model (UseANN).
//
// With several targets, one the model cannot be compiled for is reported
// as not fitting (NotFit) and the others go on; with one target that is an
// error. Errors in the request itself are *RequestError.
func Evaluate(ctx context.Context, req *Request) (*Report, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	m := req.Model
	if m == nil {
		var err error
		if m, err = ir.ReadFile(req.Path); err != nil {
			return nil, err
		}
	}
	names, err := req.targetsOf(m)
	if err != nil {
		return nil, err
	}
	set := req.Data
	if set == nil && !req.Estimate {
		if set, err = eventset.LoadOrImages(req.DataDir, m.Timesteps, req.DT); err != nil {
			return nil, err
		}
	}
	rep, err := NewReport(req.withTimesteps(m))
	if err != nil {
		return nil, err
	}
	if set != nil && !req.Estimate {
		rep.Dataset = set.Name
	}
	for _, name := range names {
		start := time.Now()
		tr, err := req.evaluateTarget(ctx, m, set, name, len(names) > 1)
		if err != nil {
			return nil, err
		}
		rep.Add(tr)
		if tr.DoesNotFit == "" {
			req.logf("%s: done in %.1fs", name, time.Since(start).Seconds())
		}
	}
	return rep, nil
}

// check checks the request's fields that need no model.
func (req *Request) check() error {
	if req.Model == nil && req.Path == "" {
		return requestErr("Model", "no model given (Model or Path)")
	}
	if valid := TargetNames(); req.Target != "" && !slices.Contains(valid, req.Target) {
		return requestErr("Target", "unknown target %q (valid: %s)", req.Target, strings.Join(valid, ", "))
	}
	if req.Limit < 0 {
		return requestErr("Limit", "limit %d: want 0 (all) or a positive number of samples", req.Limit)
	}
	if req.Timing != "" && !slices.Contains(sim.TimingModels, req.Timing) {
		return requestErr("Timing", "timing model %q: want one of %s", req.Timing, strings.Join(sim.TimingModels, ", "))
	}
	if req.WeightBits < 0 {
		return requestErr("WeightBits", "weight bits %d: want 0 (the target's default) or a positive precision", req.WeightBits)
	}
	if req.Timesteps < 0 {
		return requestErr("Timesteps", "timesteps %d: want 0 (the model's T) or a positive number of steps", req.Timesteps)
	}
	if req.Estimate && !(req.Rate >= 0 && req.Rate <= 1) {
		return requestErr("Rate", "rate %g: want a firing probability per step in [0, 1]", req.Rate)
	}
	return nil
}

// targetsOf resolves Request.Target for the model m and checks the energy
// model against the targets chosen.
func (req *Request) targetsOf(m *ir.Model) ([]string, error) {
	compiledFor := ""
	if m.Quantized != nil {
		compiledFor = m.Quantized.Target
	}
	var names []string
	switch {
	case req.Target == "" && compiledFor != "":
		names = []string{compiledFor}
	case req.Target == "" || req.Target == AllTargets:
		names = []string{SeedTarget}
		if compiledFor != "" {
			names = append(names, compiledFor)
		} else {
			names = append(names, targets.Names()...)
		}
	case compiledFor != "" && req.Target != SeedTarget && req.Target != compiledFor:
		return nil, requestErr("Target", "%s is compiled for %s; give the float model to report %s", req.modelName(m), compiledFor, req.Target)
	default:
		names = []string{req.Target}
	}
	if (req.GradedInput || req.GradedHidden) && len(names) == 1 && names[0] != SeedTarget {
		if t, err := targets.Lookup(names[0]); err == nil && !t.Backend().Capabilities().GradedSpikes {
			if !req.GradedInput {
				return nil, requestErr("GradedHidden", "%s has binary spikes only (graded hidden spikes need a target with graded spikes)", t.Name)
			}
			return nil, requestErr("GradedInput", "%s has binary spikes only (graded input needs a target with graded spikes)", t.Name)
		}
	}
	if req.EnergyModel != "" {
		var valid []string
		for _, n := range names {
			valid = append(valid, EnergyModelNames(n)...)
		}
		if !slices.Contains(valid, req.EnergyModel) {
			return nil, requestErr("EnergyModel", "energy model %q is not defined for %s (valid: %s)", req.EnergyModel, strings.Join(names, ", "), strings.Join(valid, ", "))
		}
	}
	return names, nil
}

// evaluateTarget reports m on one target; with several targets (multi) a
// chip target the float model does not compile for is reported as NotFit.
func (req *Request) evaluateTarget(ctx context.Context, m *ir.Model, set *dataset.Set, name string, multi bool) (*TargetReport, error) {
	opts := sim.Options{Limit: req.Limit, Timing: req.Timing, Workers: req.Workers, Reference: req.Reference}
	if name == SeedTarget {
		m := req.withTimesteps(m)
		var run *Run
		if req.Estimate {
			var err error
			if run, err = Estimate(m, nil, req.Rate); err != nil {
				return nil, err
			}
		} else {
			req.logf("%s: running the float reference", name)
			st, err := sim.RunFloat(ctx, m, set, opts)
			if err != nil {
				return nil, err
			}
			run = FromStats(st)
		}
		return Seed(m, run, Seed45nm)
	}
	t, err := targets.Lookup(name)
	if err != nil {
		return nil, err
	}
	em, note, err := chooseEnergyModel(t, req.EnergyModel)
	if err != nil {
		return nil, err
	}
	cm := m
	compiled := m.Quantized != nil
	if !compiled {
		req.logf("%s: compiling", name)
		copts := compile.Options{WeightBits: req.WeightBits, GradedInput: req.GradedInput && t.Backend().Capabilities().GradedSpikes,
			GradedHidden: req.GradedHidden && t.Backend().Capabilities().GradedSpikes}
		if req.Estimate {
			copts.FiringRates = make([]float64, len(m.Layers))
			for i := range copts.FiringRates {
				copts.FiringRates[i] = req.Rate
			}
		}
		res, err := compile.Compile(m, t, copts)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil && multi:
			req.logf("%s: does not fit: %s", name, firstLimit(err))
			return NotFit(name, err), nil
		case err != nil:
			return nil, fmt.Errorf("%s does not fit %s: %w", req.modelName(m), name, err)
		}
		cm = res.Model
	}
	cm = req.withTimesteps(cm)
	var run *Run
	if req.Estimate {
		if run, err = Estimate(cm, t, req.Rate); err != nil {
			return nil, err
		}
	} else {
		req.logf("%s: simulating %d cores", name, len(cm.Mapping.Cores))
		st, err := sim.Run(ctx, cm, set, opts)
		if err != nil {
			return nil, err
		}
		run = FromStats(st)
	}
	tr, err := Chip(cm, run, t, em)
	if err != nil {
		return nil, err
	}
	if !compiled { // the same-shape ANN of the float model (pooling not folded)
		if err := UseANN(tr, m); err != nil {
			return nil, err
		}
	}
	if note != "" {
		tr.Notes = append(tr.Notes, note)
	}
	if req.GradedInput && !compiled {
		if t.Backend().Capabilities().GradedSpikes {
			tr.Notes = append(tr.Notes, "graded input: the direct-current input goes as graded spikes into the first layer's on-chip synapses (no host MACs)")
		} else {
			tr.Notes = append(tr.Notes, "graded input: "+t.Name+" has binary spikes only; the host computes the first layer's current as without it")
		}
	}
	return tr, nil
}

// firstLimit is the first limit a compile error names, and how many more
// it lists: "compile: layer 0 (fc1): … (and 6 more)".
func firstLimit(err error) string {
	var les compile.LimitErrors
	if errors.As(err, &les) && len(les) > 1 {
		return fmt.Sprintf("%v (and %d more)", les[0], len(les)-1)
	}
	return err.Error()
}

// withTimesteps returns m run for Request.Timesteps steps (sim.WithTimesteps).
func (req *Request) withTimesteps(m *ir.Model) *ir.Model { return sim.WithTimesteps(m, req.Timesteps) }

func (req *Request) logf(format string, a ...any) {
	if req.Log != nil {
		req.Log(format, a...)
	}
}

// modelName names the model in messages: its file, or its name.
func (req *Request) modelName(m *ir.Model) string {
	if req.Path != "" {
		return req.Path
	}
	return fmt.Sprintf("model %q", m.Name)
}

// chooseEnergyModel returns the target's energy model named name, or its
// default (with a note saying so) when it has none of that name.
func chooseEnergyModel(t *targets.Target, name string) (*targets.EnergyModel, string, error) {
	if len(t.Energy) == 0 {
		return nil, "", fmt.Errorf("energy: target %s has no energy model", t.Name)
	}
	if name != "" {
		if em, err := t.EnergyModelNamed(name); err == nil {
			return em, "", nil
		}
	}
	em := &t.Energy[0]
	if name != "" {
		return em, fmt.Sprintf("energy model %q is not defined for %s; its default %q is used", name, t.Name, em.Name), nil
	}
	return em, "", nil
}
