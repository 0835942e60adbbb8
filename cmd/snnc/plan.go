package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/energy/plan"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
)

func init() { register(newPlanCmd) }

type planFlags struct {
	target, weightBits, timesteps, graded string
	data, timing, energyModel             string
	dt                                    time.Duration
	format, output, cache                 string
	objectives                            []string
	limit, jobs                           int
	rate                                  float64
	asJSON, asCSV, noCache, fresh, quiet  bool
}

func newPlanCmd() *cobra.Command {
	f := &planFlags{}
	cmd := &cobra.Command{
		Use:   "plan MODEL",
		Short: "Sweep targets, weight bits, timesteps and graded spikes: accuracy, energy, latency, cores, the Pareto front",
		Long: `Answer which chip, which settings and at what cost, in one command. For every
point of the sweep

  targets        --target all (every chip target and seed45nm) or a,b,…
  weight bits    --weight-bits default,8,6,4 (where the target has that grid)
  timesteps T    --timesteps 2,4,8 (the same compiled weights, simulated for T steps)
  graded spikes  --graded off,on (the direct-current input sent as graded spikes,
                 as snnc compile --graded-input, and the spike counts of layers
                 trained with --reset subtract-multi, as --graded-hidden, where
                 the target has them)

the float model is compiled (as snnc compile --weight-bits would), simulated
on the test split of --data beside the float reference (as snnc simulate)
and priced (as snnc energy). The table has one row per point: accuracy,
agreement with the float model, energy per inference, latency, energy-delay
product, cores and chips, whether it fits or the binding limit, and the
Pareto front over accuracy, energy and latency (marked *). A setting a
target cannot take is "n/a: reason"; a model that fits nowhere gives the
binding limits (exit status 0).

Compiled networks and points are cached by content (the model's bytes, the
target's data, the settings and the samples) under --cache, each written
as soon as it is done: a rerun computes only new points, and after Ctrl-C
a rerun resumes. Points run in parallel on all cores (--jobs).

--objective picks the best point under constraints (repeatable):

` + indent(plan.ObjectiveGrammar, "  ") + `

  min-energy:loss<=0.5     least energy with at most 0.5 points accuracy loss
  min-chips:acc>=97        fewest chips at 97% accuracy or more
  min-latency:energy<20uJ  fastest under 20 µJ per inference

--rate R on an untrained model (snnc train --epochs 0) assumes every spiking
neuron fires with probability R per step instead of simulating: does the
architecture fit, and about what will it cost; accuracy is left empty.

Formats: text (default), --json, --csv, or --format html (one self-contained
page with plots: accuracy against energy per target, the Pareto front,
cores per point). -o writes the output to a file atomically.`,
		Example: `  snnc plan model.snn --target all --data /data/mnist --limit 2000
  snnc plan model.snn --weight-bits 8,6,4 --timesteps 2,4,8 --objective "min-energy:loss<=0.5"
  snnc plan model.snn --format html -o plan.html
  snnc plan untrained.snn --rate 0.05 --target loihi,loihi2
  snnc plan model.snn --json --cache /tmp/plan-cache`,
		Args: oneModel("plan"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd, f, args[0], cmd.Flags().Changed("rate"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", energy.AllTargets, "targets: all, or a comma-separated list of "+strings.Join(energy.TargetNames()[:len(energy.TargetNames())-1], ", "))
	fl.StringVar(&f.weightBits, "weight-bits", "default", "weight precisions of the chip targets, comma-separated (default: each target's own)")
	fl.StringVar(&f.timesteps, "timesteps", "", "timesteps T to simulate, comma-separated (default: the model's T)")
	fl.StringVar(&f.graded, "graded", "off", "graded spikes: off, on, or off,on")
	fl.StringVar(&f.data, "data", "", "IDX dataset directory (default: the embedded MNIST subset); or event data: spoken, saccade or a folder, binned into the model's T steps")
	fl.DurationVar(&f.dt, "dt", 0, "event data: the length of one time step (default: the longest sample over T)")
	fl.IntVar(&f.limit, "limit", 0, "most test samples per point (0: the whole test split)")
	fl.StringVar(&f.timing, "timing", "", "timing model: "+strings.Join(sim.TimingModels, ", ")+" (default: contention where the target has the data)")
	fl.StringVar(&f.energyModel, "energy-model", "", "energy model of the chip targets that have it (default: each target's first)")
	fl.Float64Var(&f.rate, "rate", 0, "planning estimate from this firing rate per neuron and step, without simulating")
	fl.StringArrayVar(&f.objectives, "objective", nil, `best point under constraints, e.g. "min-energy:loss<=0.5" (repeatable)`)
	fl.StringVar(&f.format, "format", "text", "output format: "+strings.Join(plan.Formats, ", "))
	fl.BoolVar(&f.asJSON, "json", false, "same as --format json")
	fl.BoolVar(&f.asCSV, "csv", false, "same as --format csv")
	fl.StringVarP(&f.output, "output", "o", "", "write the output to this file (atomically) instead of stdout")
	fl.StringVar(&f.cache, "cache", "", "cache directory (default: the user cache directory's snnc/plan)")
	fl.BoolVar(&f.noCache, "no-cache", false, "compute every point, read and write no cache")
	fl.BoolVar(&f.fresh, "fresh", false, "empty the cache directory first")
	fl.IntVar(&f.jobs, "jobs", 0, "points computed at once (0: one per core)")
	fl.BoolVar(&f.quiet, "quiet", false, "print no progress on stderr")
	return cmd
}

func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}

// planSettings turns the flags into the sweep's settings (usage errors for
// malformed values).
func planSettings(f *planFlags, estimate bool) (plan.Settings, []*plan.Objective, string, error) {
	s := plan.Settings{DataDir: f.data, DT: f.dt.Seconds(), Limit: f.limit, Timing: f.timing, EnergyModel: f.energyModel,
		Estimate: estimate, Rate: f.rate, Jobs: f.jobs, Version: version}
	format := f.format
	switch {
	case f.asJSON && f.asCSV:
		return s, nil, "", usagef("plan: --json and --csv exclude each other")
	case f.asJSON:
		format = "json"
	case f.asCSV:
		format = "csv"
	}
	if !slices.Contains(plan.Formats, format) {
		return s, nil, "", usagef("plan: unknown format %q (valid: %s)", format, strings.Join(plan.Formats, ", "))
	}
	if f.target != energy.AllTargets {
		for _, t := range strings.Split(f.target, ",") {
			t = strings.TrimSpace(t)
			if t == energy.AllTargets {
				return s, nil, "", usagef("plan: --target all cannot be combined with other targets")
			}
			s.Targets = append(s.Targets, t)
		}
	}
	var err error
	if s.WeightBits, err = intList("weight-bits", f.weightBits, "default"); err != nil {
		return s, nil, "", err
	}
	if s.Timesteps, err = intList("timesteps", f.timesteps, "model"); err != nil {
		return s, nil, "", err
	}
	for _, g := range strings.Split(f.graded, ",") {
		switch strings.TrimSpace(g) {
		case "off":
			s.Graded = append(s.Graded, false)
		case "on":
			s.Graded = append(s.Graded, true)
		default:
			return s, nil, "", usagef("plan: --graded %q: want off, on or off,on", f.graded)
		}
	}
	var objs []*plan.Objective
	for _, text := range f.objectives {
		o, err := plan.ParseObjective(text)
		if err != nil {
			return s, nil, "", usageError{fmt.Errorf("%w (the grammar is in snnc plan --help)", err)}
		}
		objs = append(objs, o)
	}
	return s, objs, format, nil
}

// intList parses "a,b,c" into positive integers; the word def stands for
// 0 (the default of the axis). An empty list is nil.
func intList(flag, s, def string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == def {
			out = append(out, 0)
			continue
		}
		v, err := strconv.Atoi(part)
		if err != nil || v <= 0 {
			return nil, usagef("plan: --%s %q: want positive integers separated by commas (or %s)", flag, s, def)
		}
		out = append(out, v)
	}
	return out, nil
}

func runPlan(cmd *cobra.Command, f *planFlags, path string, estimate bool) error {
	s, objs, format, err := planSettings(f, estimate)
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	logf := func(format string, a ...any) {
		if !f.quiet {
			fmt.Fprintf(stderr, "plan: "+format+"\n", a...)
		}
	}
	if !f.noCache {
		s.CacheDir = f.cache
		if s.CacheDir == "" {
			if s.CacheDir, err = plan.DefaultCacheDir(); err != nil {
				return err
			}
		}
		if f.fresh {
			if err := plan.ClearCache(s.CacheDir); err != nil {
				return err
			}
		}
	}
	m, err := ir.ReadFile(path)
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	switch {
	case f.quiet:
	case stderrTerminal(stderr):
		s.Progress = func(p plan.Progress) {
			if bar == nil {
				bar = progressbar.NewOptions(p.Total,
					progressbar.OptionSetWriter(stderr),
					progressbar.OptionSetDescription("plan"),
					progressbar.OptionShowCount(),
					progressbar.OptionSetItsString("points"),
					progressbar.OptionSetWidth(30),
					progressbar.OptionThrottle(100*time.Millisecond),
					progressbar.OptionClearOnFinish(),
				)
			}
			_ = bar.Set(p.Done)
		}
	default:
		s.Progress = func(p plan.Progress) {
			from := ""
			if p.Point.Cached {
				from = " (cached)"
			}
			logf("%d/%d %s: %s%s", p.Done, p.Total, p.Point.Label(), p.Point.Status(), from)
		}
	}
	start := time.Now()
	res, err := plan.Run(cmd.Context(), m, s)
	if bar != nil {
		_ = bar.Finish()
	}
	var se *plan.SettingsError
	switch {
	case errors.As(err, &se):
		return usageError{err}
	case errors.Is(err, context.Canceled) && res != nil:
		return fmt.Errorf("interrupted: %d of %d points done (kept in %s; rerun to resume): %w", res.Finished, len(res.Points), orNone(s.CacheDir), err)
	case err != nil:
		return err
	}
	for _, o := range objs {
		res.Objectives = append(res.Objectives, res.Answer(o))
	}
	logf("%d points in %.1fs: %d compiled, %d simulated, the rest from the cache (%s)",
		len(res.Points), time.Since(start).Seconds(), res.Compiled, res.Simulated, orNone(s.CacheDir))
	var buf bytes.Buffer
	if err := plan.Write(&buf, res, format); err != nil {
		return err
	}
	return writeOutput(cmd, f.output, buf.Bytes(), logf)
}

func orNone(dir string) string {
	if dir == "" {
		return "no cache"
	}
	return dir
}
