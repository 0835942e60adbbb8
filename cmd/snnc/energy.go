package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train/dataset"
)

func init() { register(newEnergyCmd) }

type energyFlags struct {
	target, energyModel, data, format, output string
	timing                                    string
	limit                                     int
	rate                                      float64
	quiet                                     bool
}

func newEnergyCmd() *cobra.Command {
	f := &energyFlags{}
	cmd := &cobra.Command{
		Use:   "energy MODEL",
		Short: "Report the energy, latency and energy-delay product of a model per target",
		Long: `Report the energy per inference of a model, broken down by operation, layer,
core and time step, with latency, inferences per second and energy-delay
product, for one target or several side by side.

Targets:
  seed45nm   the seed's appendix A.6 model: N_AC = Σ_t Σ_l Σ_i f_i·s_i[t]
             (Eq. 20, the synaptic events of the float reference) at 0.9 pJ,
             the first layer of a direct-current input as MAC at 4.6 pJ
             (once per inference: W·x is constant over the T steps), against
             the same-shape ANN's N_MAC = Σ_l Σ_i f_i (Eq. 21) at 4.6 pJ.
  loihi      Davies et al. 2018 per-operation energies (--energy-model
             davies2018, default) or SANA-FE's calibration (sanafe, with
             111 pJ per axon-out message); neurons priced per Loihi's soma
             accounting (every mapped neuron read every step).
  truenorth  Merolla et al. 2014: 26 pJ per synaptic event, 2.3 pJ per
             spike-hop.
  all        every target side by side (the default for a float model).

A float model is compiled in memory for each chip target (as snnc compile
would) and simulated on the test split of --data (default: the embedded
MNIST subset); with --target all a target the model cannot be compiled for is
reported as "does not fit: <reason>". A compiled model is simulated on its own
target; with --target all it is compared with seed45nm only.

The latency comes from the simulator's timing model (--timing; see snnc
simulate --help): contention by default where the target has the data.

Every report names its energy model, its timing model and the sources of
its numbers. The
SNN/ANN energy ratio of a chip target compares its energy with the same-shape
ANN at 4.6 pJ per MAC.

--rate R skips the simulation: every spiking neuron is assumed to fire with
probability R per step. The result is a planning estimate and is labelled so.

Formats: text (default), json (one object: model, and per target
energy_per_inference_j, ac, mac, ann_mac, snn_ann_energy_ratio,
latency_per_inference_s, …), csv (one row per target total, layer, core and
step), markdown, and html (one self-contained file with plots: spike counts
per layer, energy split by operation, synaptic operations per core on the
mesh). -o writes the report to a file atomically.`,
		Example: `  snnc energy model.snn                          # all targets side by side
  snnc energy model.snn --target loihi --energy-model sanafe
  snnc energy model.loihi.snn --timing simple    # the latency table, no network model
  snnc energy model.loihi.snn --format json -o energy.json
  snnc energy model.snn --target all --format html -o energy.html
  snnc energy model.snn --target truenorth --rate 0.05
  snnc energy model.snn --data /data/mnist --limit 1024 --format csv`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("energy takes one model file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEnergy(cmd, f, args[0], cmd.Flags().Changed("rate"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "target: "+strings.Join(energyTargets(), ", ")+" (default: the compiled model's target, or all)")
	fl.StringVar(&f.energyModel, "energy-model", "", "energy model of the chip targets (default: each target's first; loihi: davies2018, sanafe)")
	fl.StringVar(&f.data, "data", "", "IDX dataset directory (default: the embedded MNIST subset)")
	fl.IntVar(&f.limit, "limit", 0, "most test samples to simulate (0: the whole test split)")
	fl.StringVar(&f.format, "format", "text", "report format: "+strings.Join(energy.Formats, ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file (atomically) instead of stdout")
	fl.Float64Var(&f.rate, "rate", 0, "planning estimate from this firing rate per neuron and step, without simulating")
	fl.BoolVar(&f.quiet, "quiet", false, "print no progress on stderr")
	fl.StringVar(&f.timing, "timing", "", "timing model of the chip simulation: simple, contention or sanafe (default: contention where the target has the data)")
	return cmd
}

// energyTargets lists the valid --target values.
func energyTargets() []string {
	return append(append([]string{energy.SeedTarget}, targets.Names()...), "all")
}

// energyModels lists the energy model names of a target.
func energyModels(name string) []string {
	if name == energy.SeedTarget {
		return []string{energy.Seed45nm.Name}
	}
	t, err := targets.Lookup(name)
	if err != nil {
		return nil
	}
	var out []string
	for _, em := range t.Energy {
		out = append(out, em.Name)
	}
	return out
}

func runEnergy(cmd *cobra.Command, f *energyFlags, path string, estimate bool) error {
	// Check the command line before doing any work.
	if !slices.Contains(energy.Formats, f.format) {
		return usagef("energy: unknown format %q (valid: %s)", f.format, strings.Join(energy.Formats, ", "))
	}
	if f.target != "" && !slices.Contains(energyTargets(), f.target) {
		return usagef("energy: unknown target %q (valid: %s)", f.target, strings.Join(energyTargets(), ", "))
	}
	if f.limit < 0 {
		return usagef("energy: --limit %d: want 0 (all) or a positive number of samples", f.limit)
	}
	if estimate && !(f.rate >= 0 && f.rate <= 1) {
		return usagef("energy: --rate %g: want a firing probability per step in [0, 1]", f.rate)
	}
	m, err := ir.ReadFile(path)
	if err != nil {
		return err
	}
	compiledFor := ""
	if m.Quantized != nil {
		compiledFor = m.Quantized.Target
	}
	var names []string
	switch {
	case f.target == "" && compiledFor != "":
		names = []string{compiledFor}
	case f.target == "" || f.target == "all":
		names = []string{energy.SeedTarget}
		if compiledFor != "" {
			names = append(names, compiledFor)
		} else {
			names = append(names, targets.Names()...)
		}
	case compiledFor != "" && f.target != energy.SeedTarget && f.target != compiledFor:
		return usagef("energy: %s is compiled for %s; give the float model to report %s", path, compiledFor, f.target)
	default:
		names = []string{f.target}
	}
	if f.energyModel != "" {
		var valid []string
		for _, n := range names {
			valid = append(valid, energyModels(n)...)
		}
		if !slices.Contains(valid, f.energyModel) {
			return usagef("energy: --energy-model %q is not defined for %s (valid: %s)", f.energyModel, strings.Join(names, ", "), strings.Join(valid, ", "))
		}
	}

	logf := func(format string, a ...any) {
		if !f.quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "energy: "+format+"\n", a...)
		}
	}
	var set *dataset.Set
	if !estimate {
		if set, err = dataset.LoadOrDefault(f.data); err != nil {
			return err
		}
	}
	rep, err := energy.NewReport(m)
	if err != nil {
		return err
	}
	if set != nil {
		rep.Dataset = set.Name
	}
	ctx := cmd.Context()
	switch f.timing {
	case "", sim.TimingSimple, sim.TimingContention, sim.TimingSANAFE:
	default:
		return usagef("energy: --timing %q: want %s, %s or %s", f.timing, sim.TimingSimple, sim.TimingContention, sim.TimingSANAFE)
	}
	opts := sim.Options{Limit: f.limit, Timing: f.timing}
	multi := len(names) > 1
	for _, name := range names {
		start := time.Now()
		if name == energy.SeedTarget {
			var run *energy.Run
			if estimate {
				if run, err = energy.Estimate(m, nil, f.rate); err != nil {
					return err
				}
			} else {
				logf("%s: running the float reference", name)
				st, err := sim.RunFloat(ctx, m, set, opts)
				if err != nil {
					return err
				}
				run = energy.FromStats(st)
			}
			tr, err := energy.Seed(m, run, energy.Seed45nm)
			if err != nil {
				return err
			}
			rep.Add(tr)
			logf("%s: done in %.1fs", name, time.Since(start).Seconds())
			continue
		}
		t, err := targets.Lookup(name)
		if err != nil {
			return usageError{err}
		}
		em, note, err := chooseEnergyModel(t, f.energyModel)
		if err != nil {
			return err
		}
		cm := m
		if compiledFor == "" {
			logf("%s: compiling", name)
			copts := compile.Options{}
			if estimate {
				copts.FiringRates = make([]float64, len(m.Layers))
				for i := range copts.FiringRates {
					copts.FiringRates[i] = f.rate
				}
			}
			res, err := compile.Compile(m, t, copts)
			if err != nil {
				if multi && !errors.Is(err, ctx.Err()) {
					first, more, _ := strings.Cut(err.Error(), "\n")
					if more != "" {
						first += fmt.Sprintf(" (and %d more)", strings.Count(more, "\n")+1)
					}
					logf("%s: does not fit: %s", name, first)
					rep.Add(energy.NotFit(name, err))
					continue
				}
				return fmt.Errorf("%s does not fit %s: %w", path, name, err)
			}
			cm = res.Model
		}
		var run *energy.Run
		if estimate {
			if run, err = energy.Estimate(cm, t, f.rate); err != nil {
				return err
			}
		} else {
			logf("%s: simulating %d cores", name, len(cm.Mapping.Cores))
			st, err := sim.Run(ctx, cm, set, opts)
			if err != nil {
				return err
			}
			run = energy.FromStats(st)
		}
		tr, err := energy.Chip(cm, run, t, em)
		if err != nil {
			return err
		}
		if compiledFor == "" { // the same-shape ANN of the float model (pooling not folded)
			if err := energy.UseANN(tr, m); err != nil {
				return err
			}
		}
		if note != "" {
			tr.Notes = append(tr.Notes, note)
		}
		rep.Add(tr)
		logf("%s: done in %.1fs", name, time.Since(start).Seconds())
	}

	var buf bytes.Buffer
	if err := energy.Write(&buf, rep, f.format); err != nil {
		return err
	}
	if f.output != "" {
		if err := ir.WriteFileAtomic(f.output, buf.Bytes(), 0o644); err != nil {
			return err
		}
		logf("wrote %s", f.output)
		return nil
	}
	_, err = io.Copy(cmd.OutOrStdout(), &buf)
	return err
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
