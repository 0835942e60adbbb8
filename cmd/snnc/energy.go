package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/energy"
)

func init() { register(newEnergyCmd) }

type energyFlags struct {
	target, energyModel, data, format, output string
	dt                                        time.Duration
	timing                                    string
	limit, weightBits, timesteps              int
	rate                                      float64
	gradedInput, gradedHidden                 bool
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
		Args: oneModel("energy"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEnergy(cmd, f, args[0], cmd.Flags().Changed("rate"))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.target, "target", "", "target: "+strings.Join(energy.TargetNames(), ", ")+" (default: the compiled model's target, or all)")
	fl.StringVar(&f.energyModel, "energy-model", "", "energy model of the chip targets (default: each target's first; loihi: davies2018, sanafe)")
	fl.StringVar(&f.data, "data", "", "IDX dataset directory (default: the embedded MNIST subset); or event data: spoken, saccade (embedded subsets) or a folder with train.h5/test.h5 (SHD), train.spikes/test.spikes or an N-MNIST tree, binned into the model's T steps")
	fl.DurationVar(&f.dt, "dt", 0, "event data: the length of one time step (default: the longest sample over T, as snnc train's)")
	fl.IntVar(&f.limit, "limit", 0, "most test samples to simulate (0: the whole test split)")
	fl.StringVar(&f.format, "format", "text", "report format: "+strings.Join(energy.Formats, ", "))
	fl.StringVarP(&f.output, "output", "o", "", "write the report to this file (atomically) instead of stdout")
	fl.Float64Var(&f.rate, "rate", 0, "planning estimate from this firing rate per neuron and step, without simulating")
	fl.BoolVar(&f.quiet, "quiet", false, "print no progress on stderr")
	fl.IntVar(&f.weightBits, "weight-bits", 0, "weight precision the float model is compiled with for the chip targets (0: each target's default)")
	fl.IntVar(&f.timesteps, "timesteps", 0, "run for T steps instead of the model's own T, with the same (compiled) weights (0: the model's T)")
	fl.BoolVar(&f.gradedHidden, "graded-hidden", false, "compile a float model's several-spike layers (--reset subtract-multi) to graded spikes on the targets that have them (loihi2; see snnc compile --help)")
	fl.BoolVar(&f.gradedInput, "graded-input", false, "compile a float model's direct-current input as graded spikes on the targets that have them (loihi2; see snnc compile --help)")
	fl.StringVar(&f.timing, "timing", "", "timing model of the chip simulation: simple, contention (the target's network rule), queue or sanafe (default: contention where the target has the data)")
	return cmd
}

func runEnergy(cmd *cobra.Command, f *energyFlags, path string, estimate bool) error {
	if !slices.Contains(energy.Formats, f.format) {
		return usagef("energy: unknown format %q (valid: %s)", f.format, strings.Join(energy.Formats, ", "))
	}
	logf := func(format string, a ...any) {
		if !f.quiet {
			fmt.Fprintf(cmd.ErrOrStderr(), "energy: "+format+"\n", a...)
		}
	}
	rep, err := energy.Evaluate(cmd.Context(), &energy.Request{
		Path: path, Target: f.target, EnergyModel: f.energyModel, DataDir: f.data, DT: f.dt.Seconds(),
		Limit: f.limit, Timing: f.timing, Estimate: estimate, Rate: f.rate, Log: logf,
		WeightBits: f.weightBits, Timesteps: f.timesteps, GradedInput: f.gradedInput, GradedHidden: f.gradedHidden,
	})
	var re *energy.RequestError
	if errors.As(err, &re) {
		return usageError{err}
	}
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := energy.Write(&buf, rep, f.format); err != nil {
		return err
	}
	return writeOutput(cmd, f.output, buf.Bytes(), logf)
}
