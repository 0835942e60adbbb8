package plan

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/events/eventset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// Settings is one sweep: its axes, where the figures come from, the cache
// and the parallelism.
type Settings struct {
	// Targets are target names: chip targets and energy.SeedTarget (nil:
	// all of them, as energy.AllTargets).
	Targets []string
	// WeightBits are the weight precisions of the chip targets (0: the
	// target's default; nil: {0}).
	WeightBits []int
	// Timesteps are the T the compiled network is simulated for (0: the
	// model's T; nil: {0}).
	Timesteps []int
	// Graded are the graded-spike settings (nil: {false}).
	Graded []bool

	// Data is the dataset whose test split is simulated (nil: DataDir is
	// loaded, the embedded MNIST subset when DataDir is ""); Limit is the
	// most test samples (0: all). An estimate reads neither.
	// DataDir may also name event data (eventset.LoadOrImages), binned
	// into the model's T steps of DT seconds (0: the longest sample / T).
	Data    *dataset.Set
	DataDir string
	DT      float64
	Limit   int
	// Timing is the simulator's timing model ("": the target's default);
	// EnergyModel the energy model of the chip targets that have it ("":
	// each target's first).
	Timing      string
	EnergyModel string
	// Estimate replaces the simulation by energy's planning estimate at
	// firing rate Rate: accuracy is then unknown.
	Estimate bool
	Rate     float64

	// CacheDir holds the cache ("": no cache).
	CacheDir string
	// Version names the code that computes the figures (e.g. the tool
	// version); it is part of every cache key.
	Version string
	// Jobs is the number of points computed at once (0: GOMAXPROCS); each
	// simulation then uses GOMAXPROCS/Jobs workers.
	Jobs int
	// Progress, if set, is called after each point (from one goroutine at
	// a time).
	Progress func(Progress)
}

// Progress reports one finished point.
type Progress struct {
	Done, Total int
	Point       *Point
}

// Point is one setting of the sweep and its figures.
type Point struct {
	Target string `json:"target"`
	// WeightBits is the weight precision (0 for seed45nm: float weights).
	WeightBits int  `json:"weight_bits,omitempty"`
	Timesteps  int  `json:"timesteps"`
	Graded     bool `json:"graded_spikes"`
	// NotApplicable, when set, says why the target cannot take this
	// setting; nothing else is then filled in.
	NotApplicable string `json:"not_applicable,omitempty"`
	// DoesNotFit is the binding limit (the first the compiler found) when
	// the model does not fit; Limits lists every limit broken.
	DoesNotFit string   `json:"does_not_fit,omitempty"`
	Limits     []string `json:"limits,omitempty"`

	// Samples simulated (0 for an estimate); Accuracy on the chip (the
	// float model's for seed45nm), ReferenceAccuracy the float model's at
	// the same T, Agreement the fraction of equal predictions.
	Samples           int      `json:"samples,omitempty"`
	Accuracy          *float64 `json:"accuracy,omitempty"`
	ReferenceAccuracy *float64 `json:"reference_accuracy,omitempty"`
	Agreement         *float64 `json:"agreement,omitempty"`
	// EnergyPerInference in joules, Latency per inference in seconds (0:
	// not modelled) and EDP their product.
	EnergyPerInference float64 `json:"energy_per_inference_j,omitempty"`
	Latency            float64 `json:"latency_per_inference_s,omitempty"`
	EDP                float64 `json:"energy_delay_product_js,omitempty"`
	// Cores and Chips of the compiled network (as snnc compile reports
	// them); Steps the chip steps per inference.
	Cores int `json:"cores,omitempty"`
	Chips int `json:"chips,omitempty"`
	Steps int `json:"steps,omitempty"`
	// EnergyModel and Timing name the models the figures come from.
	EnergyModel string `json:"energy_model,omitempty"`
	Timing      string `json:"timing_model,omitempty"`
	Estimate    bool   `json:"estimate,omitempty"`
	// Pareto marks the Pareto front over accuracy, energy and latency.
	Pareto bool `json:"pareto"`
	// Cached says the figures came from the cache.
	Cached bool `json:"cached"`
}

// Fits reports whether the point has figures.
func (p *Point) Fits() bool { return p.NotApplicable == "" && p.DoesNotFit == "" }

// Loss is the accuracy lost against the float model at its own T, in
// percentage points (ok false when either is unknown).
func (r *Result) Loss(p *Point) (loss float64, ok bool) {
	if p.Accuracy == nil || r.FloatAccuracy == nil {
		return 0, false
	}
	return 100 * (*r.FloatAccuracy - *p.Accuracy), true
}

// Result is a finished (or interrupted) sweep.
type Result struct {
	Model     string  `json:"model"`
	Dataset   string  `json:"dataset,omitempty"`
	Timesteps int     `json:"model_timesteps"`
	Estimate  bool    `json:"estimate"`
	Rate      float64 `json:"assumed_rate,omitempty"`
	// FloatAccuracy is the float model's at its own T on the same samples
	// (nil for an estimate): the baseline of Loss.
	FloatAccuracy *float64 `json:"float_accuracy,omitempty"`
	// Points in sweep order: target, weight bits, T, graded.
	Points []Point `json:"points"`
	// Compiled and Simulated count the compilations and simulations (or
	// estimates) this run computed; the rest came from the cache.
	Compiled  int `json:"compiled"`
	Simulated int `json:"simulated"`
	// Finished counts the points with their figures (or their n/a reason):
	// all of them unless the sweep was interrupted.
	Finished int `json:"finished"`
	// Objectives are the answers of the objectives asked (Result.Answer).
	Objectives []Answer `json:"objectives,omitempty"`
}

// SettingsError is a sweep that cannot run whatever the data: an unknown
// target or energy model, a bad number. Callers match it with errors.As
// (snnc exits with status 2 for it).
type SettingsError struct {
	Field, Problem string
}

func (e *SettingsError) Error() string { return "plan: " + e.Problem }

func settingsErr(field, format string, a ...any) error {
	return &SettingsError{Field: field, Problem: fmt.Sprintf(format, a...)}
}

// check validates the settings that need no model.
func (s *Settings) check() error {
	valid := energy.TargetNames()
	for _, t := range s.Targets {
		if t == energy.AllTargets || !slices.Contains(valid, t) {
			return settingsErr("Targets", "unknown target %q (valid: %s)", t, strings.Join(valid, ", "))
		}
	}
	for _, b := range s.WeightBits {
		if b < 0 {
			return settingsErr("WeightBits", "weight bits %d: want a positive precision (0: the target's default)", b)
		}
	}
	for _, t := range s.Timesteps {
		if t < 0 {
			return settingsErr("Timesteps", "timesteps %d: want a positive number of steps (0: the model's T)", t)
		}
	}
	if s.Limit < 0 {
		return settingsErr("Limit", "limit %d: want 0 (all) or a positive number of samples", s.Limit)
	}
	if s.Timing != "" && !slices.Contains(sim.TimingModels, s.Timing) {
		return settingsErr("Timing", "timing model %q: want one of %s", s.Timing, strings.Join(sim.TimingModels, ", "))
	}
	if s.Estimate && !(s.Rate >= 0 && s.Rate <= 1) {
		return settingsErr("Rate", "rate %g: want a firing probability per step in [0, 1]", s.Rate)
	}
	if s.Jobs < 0 {
		return settingsErr("Jobs", "jobs %d: want 0 (all cores) or a positive number", s.Jobs)
	}
	if s.EnergyModel != "" {
		var all []string
		for _, t := range s.targetNames() {
			all = append(all, energy.EnergyModelNames(t)...)
		}
		if !slices.Contains(all, s.EnergyModel) {
			return settingsErr("EnergyModel", "energy model %q is not defined for %s (valid: %s)", s.EnergyModel, strings.Join(s.targetNames(), ", "), strings.Join(all, ", "))
		}
	}
	return nil
}

func (s *Settings) targetNames() []string {
	if len(s.Targets) == 0 {
		return append([]string{energy.SeedTarget}, targets.Names()...)
	}
	return s.Targets
}

func orDefault[T any](v []T, def T) []T {
	if len(v) == 0 {
		return []T{def}
	}
	return v
}

// job is one point to compute.
type job struct {
	index int
	t     *targets.Target // nil for seed45nm
}

// Run sweeps m (a float model) over the settings. On cancellation it
// returns the points finished so far (the others carry no figures) with
// ctx's error; they are in the cache already.
func Run(ctx context.Context, m *ir.Model, s Settings) (*Result, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("plan: nil model")
	}
	if m.Quantized != nil {
		return nil, settingsErr("Model", "model %q is compiled for %s; give the float model to plan", m.Name, m.Quantized.Target)
	}
	set := s.Data
	if set == nil && !s.Estimate {
		var err error
		if set, err = eventset.LoadOrImages(s.DataDir, m.Timesteps, s.DT); err != nil {
			return nil, err
		}
	}
	modelBytes, err := ir.Encode(m)
	if err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	r := &runner{s: &s, m: m, set: set, cache: openCache(s.CacheDir), compiles: map[string]*compiled{}}
	r.base = keyOf("plan", cacheFormat, s.Version, buildID(), hashBytes(modelBytes))
	r.dataKey = r.dataIdentity()

	res := &Result{Model: m.Name, Timesteps: m.Timesteps, Estimate: s.Estimate}
	if s.Estimate {
		res.Rate = s.Rate
	} else {
		res.Dataset = set.Name
	}
	jobs, err := r.points(res)
	if err != nil {
		return nil, err
	}
	// The baseline of Loss: the float model at its own T (a seed45nm point,
	// cached as any other).
	var base *Point
	if !s.Estimate {
		base = &Point{Target: energy.SeedTarget, Timesteps: m.Timesteps}
	}
	err = r.run(ctx, res, jobs, base)
	res.Compiled, res.Simulated = int(r.compiledN.Load()), int(r.simulatedN.Load())
	if base != nil && base.Accuracy != nil {
		res.FloatAccuracy = base.Accuracy
	}
	MarkPareto(res.Points)
	return res, err
}

// runner is one sweep in progress.
type runner struct {
	s     *Settings
	m     *ir.Model
	set   *dataset.Set
	cache *Cache
	// base keys the model and the code, dataKey the data (or the rate).
	base, dataKey string

	mu       sync.Mutex
	compiles map[string]*compiled

	compiledN, simulatedN atomic.Int64
}

// points lays out the sweep in table order, resolving each setting and
// marking those a target cannot take; it returns the points to compute.
func (r *runner) points(res *Result) ([]job, error) {
	seen := map[[4]any]bool{}
	var jobs []job
	add := func(p Point, t *targets.Target) {
		k := [4]any{p.Target, p.WeightBits, p.Timesteps, p.Graded}
		if seen[k] {
			return
		}
		seen[k] = true
		res.Points = append(res.Points, p)
		if p.NotApplicable == "" {
			jobs = append(jobs, job{index: len(res.Points) - 1, t: t})
		}
	}
	for _, name := range r.s.targetNames() {
		var t *targets.Target
		if name != energy.SeedTarget {
			var err error
			if t, err = targets.Lookup(name); err != nil {
				return nil, err
			}
		}
		for _, bits := range orDefault(r.s.WeightBits, 0) {
			naBits := ""
			switch {
			case t == nil:
				bits = 0 // float weights
			case bits == 0:
				bits = t.Bits.Weight
			}
			if t != nil {
				if _, _, err := t.Backend().WeightGrid(bits); err != nil {
					naBits = strings.TrimPrefix(err.Error(), "targets: ")
				}
			}
			for _, T := range orDefault(r.s.Timesteps, 0) {
				if T == 0 {
					T = r.m.Timesteps
				}
				for _, graded := range orDefault(r.s.Graded, false) {
					p := Point{Target: name, WeightBits: bits, Timesteps: T, Graded: graded}
					p.NotApplicable = firstOf(naBits, r.timestepsNA(T), gradedNA(t, graded))
					add(p, t)
				}
			}
		}
	}
	// Compute T-major, so that parallel workers start on different
	// compilations rather than wait for the same one.
	slices.SortStableFunc(jobs, func(a, b job) int {
		return res.Points[a.index].Timesteps - res.Points[b.index].Timesteps
	})
	return jobs, nil
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// timestepsNA says why T cannot be simulated on the data ("" if it can).
func (r *runner) timestepsNA(T int) string {
	if r.set != nil && r.set.Steps > 0 && T != r.set.Steps && !r.s.Estimate {
		return fmt.Sprintf("the data is binned into %d steps, not %d (re-bin the events for another T)", r.set.Steps, T)
	}
	return ""
}

// gradedNA says why graded spikes cannot be used on t ("" if they can or
// are not asked for). t is nil for seed45nm. Graded spikes carry the
// direct-current input to the chip and the spike counts of several-spike
// layers (gradedOptions); the compiler refuses a graded input that is not
// a direct current, and the point is then n/a with its reason.
func gradedNA(t *targets.Target, graded bool) string {
	switch {
	case !graded:
		return ""
	case t == nil:
		return "the seed's arithmetic model has no spikes to grade"
	case !t.Backend().Capabilities().GradedSpikes:
		return fmt.Sprintf("%s has binary spikes only", t.Name)
	}
	return ""
}

// gradedOptions are the compile options of a point with graded spikes on
// (compile.Options.GradedInput, GradedHidden): the layers that fire several
// spikes per step send their counts as graded spikes, and the
// direct-current input goes as graded spikes (asked of any other input
// too, unless the model has such layers, so that the compiler says why it
// cannot).
func gradedOptions(m *ir.Model, graded bool) (input, hidden bool) {
	if !graded {
		return false, false
	}
	for i := range m.Layers {
		if m.Layers[i].HasNeurons() && m.Layers[i].Neuron.Reset == ir.ResetSubtractMulti {
			hidden = true
		}
	}
	return m.Input.Encoding == ir.EncodingDirect || !hidden, hidden
}

// run computes the jobs on Settings.Jobs workers, then the baseline.
func (r *runner) run(ctx context.Context, res *Result, jobs []job, base *Point) error {
	procs := runtime.GOMAXPROCS(0)
	n := r.s.Jobs
	if n == 0 {
		n = procs
	}
	n = max(1, min(n, len(jobs)))
	workers := max(1, procs/n)
	total := len(res.Points)
	done := total - len(jobs) // the n/a points
	var progressMu sync.Mutex
	defer func() { res.Finished = done }()
	report := func(p *Point) {
		progressMu.Lock()
		defer progressMu.Unlock()
		done++
		if r.s.Progress != nil {
			r.s.Progress(Progress{Done: done, Total: total, Point: p})
		}
	}
	queue := make(chan job)
	errc := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if err := ctx.Err(); err != nil {
					errc <- err
					return
				}
				p := &res.Points[j.index]
				if err := r.point(ctx, p, j.t, workers); err != nil {
					errc <- err
					return
				}
				report(p)
			}
		}()
	}
	var err error
feed:
	for _, j := range jobs {
		select {
		case queue <- j:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		case err = <-errc:
			break feed
		}
	}
	close(queue)
	wg.Wait()
	close(errc)
	if err == nil {
		err = <-errc
	}
	if err == nil && base != nil {
		err = r.point(ctx, base, nil, procs)
	}
	return err
}

// point fills p's figures: from the cache, or compiled, simulated and
// priced, then cached.
func (r *runner) point(ctx context.Context, p *Point, t *targets.Target, workers int) error {
	key := keyOf(r.base, "point", r.dataKey, r.targetKey(t), fmt.Sprint(p.WeightBits, p.Timesteps, p.Graded), r.s.Timing, r.energyModel(t))
	if r.cache.loadPoint(key, p) {
		p.Cached = true
		return nil
	}
	req := &energy.Request{
		Target: energy.SeedTarget, Data: r.set, Limit: r.s.Limit, Timing: r.s.Timing,
		Timesteps: p.Timesteps, Estimate: r.s.Estimate, Rate: r.s.Rate, Reference: !r.s.Estimate, Workers: workers,
	}
	if t == nil {
		req.Model = r.m
	} else {
		c, err := r.compile(t, p.WeightBits, p.Graded)
		if err != nil {
			return err
		}
		p.Cores, p.Chips = c.rec.Cores, c.rec.Chips
		if c.rec.Failed != "" {
			p.NotApplicable = c.rec.Failed
			return r.cache.storePoint(key, p)
		}
		if len(c.rec.Refused) > 0 {
			p.DoesNotFit, p.Limits = c.rec.Refused[0], c.rec.Refused
			return r.cache.storePoint(key, p)
		}
		req.Model, req.Target, req.EnergyModel = c.model, t.Name, r.energyModel(t)
	}
	rep, err := energy.Evaluate(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("plan: %s: %w", p.Label(), err)
	}
	r.simulatedN.Add(1)
	if len(rep.Targets) != 1 {
		return fmt.Errorf("plan: %s: energy reported %d targets, want 1", p.Target, len(rep.Targets))
	}
	fill(p, &rep.Targets[0])
	if t == nil { // the float model is its own reference
		p.ReferenceAccuracy, p.Agreement = nil, nil
	}
	return r.cache.storePoint(key, p)
}

// fill copies a target report's figures into p.
func fill(p *Point, tr *energy.TargetReport) {
	p.Samples = tr.Samples
	p.Accuracy, p.ReferenceAccuracy, p.Agreement = tr.Accuracy, tr.ReferenceAccuracy, tr.Agreement
	p.EnergyPerInference, p.Latency, p.EDP = tr.EnergyPerInference, tr.Latency, tr.EDP
	p.Steps = tr.Steps
	p.EnergyModel, p.Timing, p.Estimate = tr.EnergyModel, tr.Timing, tr.Estimate
}

// energyModel is the energy model asked of t: Settings.EnergyModel where t
// has it, else "" (its default).
func (r *runner) energyModel(t *targets.Target) string {
	if t == nil || r.s.EnergyModel == "" {
		return ""
	}
	if _, err := t.EnergyModelNamed(r.s.EnergyModel); err != nil {
		return ""
	}
	return r.s.EnergyModel
}

// compiled is one compilation: the network, or the limits it breaks.
type compiled struct {
	once  sync.Once
	model *ir.Model
	rec   compileRecord
	err   error
}

// compileRecord is what the cache keeps of a compilation beside the
// compiled network.
type compileRecord struct {
	Cores int `json:"cores"`
	Chips int `json:"chips"`
	// Refused is the compiler's refusal, one line per limit broken.
	Refused []string `json:"refused,omitempty"`
	// Failed is a compile error that is not a limit of the target (the
	// compiler cannot take the setting): the point is n/a with it.
	Failed string `json:"failed,omitempty"`
}

// compile compiles the model for t with bits (and graded spikes, see
// gradedOptions), once per sweep and (through the cache) once per content.
func (r *runner) compile(t *targets.Target, bits int, graded bool) (*compiled, error) {
	parts := []string{r.base, "compile", r.targetKey(t), fmt.Sprint(bits), r.rateKey()}
	gradedInput, gradedHidden := gradedOptions(r.m, graded)
	if gradedInput {
		parts = append(parts, "graded-input")
	}
	if gradedHidden {
		parts = append(parts, "graded-hidden")
	}
	key := keyOf(parts...)
	r.mu.Lock()
	c := r.compiles[key]
	if c == nil {
		c = &compiled{}
		r.compiles[key] = c
	}
	r.mu.Unlock()
	c.once.Do(func() {
		if r.cache.loadCompiled(key, &c.rec, &c.model) {
			return
		}
		opts := compile.Options{WeightBits: bits, GradedInput: gradedInput, GradedHidden: gradedHidden}
		if r.s.Estimate {
			opts.FiringRates = make([]float64, len(r.m.Layers))
			for i := range opts.FiringRates {
				opts.FiringRates[i] = r.s.Rate
			}
		}
		r.compiledN.Add(1)
		res, err := compile.Compile(r.m, t, opts)
		var le *compile.LimitError
		switch {
		case errors.As(err, &le):
			c.rec.Refused = strings.Split(err.Error(), "\n")
		case err != nil:
			c.rec.Failed = err.Error()
		default:
			c.model = res.Model
			c.rec.Cores, c.rec.Chips = res.Report.Cores, res.Report.Chips
		}
		c.err = r.cache.storeCompiled(key, &c.rec, c.model)
	})
	return c, c.err
}

// targetKey keys a target by its data (nil: seed45nm).
func (r *runner) targetKey(t *targets.Target) string {
	if t == nil {
		return energy.SeedTarget
	}
	return keyOf("target", t.Name, hashJSON(t))
}

// rateKey keys the compile's traffic estimate (the firing rate of an
// estimate; the default otherwise).
func (r *runner) rateKey() string {
	if r.s.Estimate {
		return fmt.Sprint("rate", r.s.Rate)
	}
	return "rate-default"
}

// dataIdentity keys the samples a point is simulated on: the dataset's
// name, shape and the bytes of the test samples used; for an estimate the
// rate.
func (r *runner) dataIdentity() string {
	if r.s.Estimate {
		return keyOf("estimate", fmt.Sprint(r.s.Rate))
	}
	set := r.set
	size := set.ImageSize()
	n := set.Test.N
	if r.s.Limit > 0 {
		n = min(n, r.s.Limit)
	}
	sp := set.Test.Limit(n, size)
	return keyOf("data", set.Name, fmt.Sprint(set.Shape(), set.Steps, set.Classes, n), hashBytes(sp.Images), hashBytes(sp.Labels))
}
