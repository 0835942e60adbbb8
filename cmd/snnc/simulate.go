package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/events/eventset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

func init() { register(newSimulateCmd) }

type simulateFlags struct {
	data, trace, target   string
	dt                    time.Duration
	timing                string
	input, traceState     string
	limit, workers        int
	timesteps             int
	asJSON, quiet, needHW bool
}

func newSimulateCmd() *cobra.Command {
	f := &simulateFlags{}
	cmd := &cobra.Command{
		Use:   "simulate MODEL",
		Short: "Run a model on the test set: bit-exact chip simulation of a compiled model, or the float reference",
		Long: `simulate runs the test split of a dataset (default: the embedded MNIST
subset) through a model and reports accuracy, spikes, operation counts and
timing.

A compiled model (snnc compile) runs on an event-driven, cycle-level,
bit-exact simulator of its target: integer neuron state exactly as the chip
defines it, spikes routed between the mapped cores with one step of delay
per layer, every operation counted per core and per step, and the step time
taken from the target's timing model (--timing): "contention" (the default
where the target has the data, Loihi) times every core's soma sweep, sends
each spike as one axon-out message per destination core, and applies the
network rule of the target's data: on Loihi SANA-FE's detailed heuristic
("sanafe": messages in flight on a route delay arrivals by their mean
processing time, senders stall beyond the buffers), the rule calibrated
against the silicon; "queue" queues the messages on the mesh links and the
receivers' buffers instead; both end the step when the last message is
processed, plus the sync by tiles used; "simple" takes the slowest core's
operations × the per-operation latencies + the longest route + the
barrier. The float model inside it is always run as well, and the report
compares the two prediction by prediction (agreement).

A float model (not compiled) runs in the float reference mode: Θ spikes,
float32 state, no pipeline delay; it counts spikes and synaptic operations
(spikes × fan-out) for the seed's energy model.

--trace FILE writes the spike raster as CSV (sample,step,layer,neuron); the
file is replaced atomically when the run succeeds.`,
		Example: `  snnc simulate model.loihi.snn
  snnc simulate model.loihi.snn --data /data/mnist --limit 1000
  snnc simulate model.loihi.snn --json --quiet
  snnc simulate model.loihi.snn --limit 10 --trace spikes.csv
  snnc simulate model.snn                         # float reference only
  snnc simulate model.snn --target loihi          # refuses a model not compiled for loihi`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("simulate takes one model file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runSimulate(cmd, args[0], f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", "dataset directory with IDX files (default: the embedded MNIST subset); or event data: spoken, saccade (embedded subsets) or a folder with train.h5/test.h5 (SHD), train.spikes/test.spikes or an N-MNIST tree, binned into the model's T steps")
	fl.DurationVar(&f.dt, "dt", 0, "event data: the length of one time step (default: the longest sample over T, as snnc train's)")
	fl.IntVar(&f.limit, "limit", 0, "simulate at most N test samples (0: all)")
	fl.StringVar(&f.trace, "trace", "", "write the spike raster to FILE as CSV (sample,step,layer,neuron)")
	fl.BoolVar(&f.asJSON, "json", false, "print the results as one JSON object")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bar")
	fl.IntVar(&f.workers, "workers", 0, "samples simulated in parallel (0: one per CPU)")
	fl.StringVar(&f.target, "target", "", "require a model compiled for this target ("+strings.Join(targets.Names(), ", ")+")")
	fl.BoolVar(&f.needHW, "require-compiled", false, "refuse a model that is not compiled for a chip")
	fl.IntVar(&f.timesteps, "timesteps", 0, "run for T steps instead of the model's own T, with the same weights (0: the model's T)")
	fl.StringVar(&f.timing, "timing", "", "timing model: simple, contention (the target's network rule), queue or sanafe (default: contention where the target has the data)")
	fl.StringVar(&f.input, "input", "", "run one sample given as CSV (one row per step, one column per input) in the float reference")
	fl.StringVar(&f.traceState, "trace-state", "", "with --input: write every neuron's potential and spike per step to FILE as CSV")
	return cmd
}

func runSimulate(cmd *cobra.Command, path string, f *simulateFlags) error {
	if f.workers < 0 {
		return usagef("simulate: --workers %d: want a positive number (0: one per CPU)", f.workers)
	}
	if f.limit < 0 {
		return usagef("simulate: --limit %d: want a positive number of samples (0: all)", f.limit)
	}
	if f.timesteps < 0 {
		return usagef("simulate: --timesteps %d: want a positive number of steps (0: the model's T)", f.timesteps)
	}
	if f.target != "" {
		if _, err := targets.Lookup(f.target); err != nil {
			return usageError{err}
		}
	}
	if f.traceState != "" && f.input == "" {
		return usagef("simulate: --trace-state needs --input FILE.csv")
	}
	m, err := ir.ReadFile(path)
	if err != nil {
		return err
	}
	m = sim.WithTimesteps(m, f.timesteps)
	if f.input != "" {
		return runSimulateSample(cmd, path, m, f)
	}
	compiled := m.Quantized != nil && m.Mapping != nil
	switch {
	case (f.needHW || f.target != "") && !compiled:
		want := f.target
		if want == "" {
			want = "T"
		}
		return fmt.Errorf("%s is not compiled for a chip; run snnc compile --target %s %s first", path, want, path)
	case f.target != "" && m.Quantized.Target != f.target:
		return fmt.Errorf("%s is compiled for %s, not %s", path, m.Quantized.Target, f.target)
	}
	set, err := eventset.LoadOrImages(f.data, m.Timesteps, f.dt.Seconds())
	if err != nil {
		return err
	}
	if f.timing != "" && !slices.Contains(sim.TimingModels, f.timing) {
		return usagef("simulate: --timing %q: want one of %s", f.timing, strings.Join(sim.TimingModels, ", "))
	}
	opts := sim.Options{Limit: f.limit, Workers: f.workers, Reference: compiled, Timing: f.timing}
	total := set.Test.N
	if f.limit > 0 {
		total = min(total, f.limit)
	}
	stderr := cmd.ErrOrStderr()
	if !f.quiet && stderrTerminal(stderr) {
		bar := progressbar.NewOptions(total,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("simulate"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("samples"),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
		opts.Progress = func(done, _ int) { _ = bar.Set(done) }
	}
	var tf *traceFile
	if f.trace != "" {
		if tf, err = createTrace(f.trace); err != nil {
			return err
		}
		defer tf.abort()
		opts.Trace = tf.w
	}
	st, err := sim.Run(cmd.Context(), m, set, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if tf != nil {
		if err := tf.commit(); err != nil {
			return err
		}
	}
	rep := sim.NewReport(path, m, set.Name, st)
	rep.Trace = f.trace
	out := cmd.OutOrStdout()
	if f.asJSON {
		return json.NewEncoder(out).Encode(rep)
	}
	writeSimulateText(out, rep)
	return nil
}

func writeSimulateText(w io.Writer, r *sim.Report) {
	st := r.Stats
	n := st.Samples
	pct := func(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }
	if r.Mode == "chip" {
		fmt.Fprintf(w, "%s on %s: %d cores, T = %d, %d chip steps per sample (pipeline delay %d)\n",
			r.Model, r.Target, r.Cores, r.Timesteps, r.Steps, r.Steps-r.Timesteps)
	} else {
		fmt.Fprintf(w, "%s: float model, reference mode (Θ spikes, float32 state), T = %d\n", r.Model, r.Timesteps)
	}
	fmt.Fprintf(w, "samples            %d (%s, test split)\n", n, r.Dataset)
	fmt.Fprintf(w, "accuracy           %s (%d/%d)\n", pct(r.Accuracy), st.Correct, n)
	if r.Mode == "chip" {
		fmt.Fprintf(w, "float reference    %s (%d/%d)\n", pct(r.ReferenceAccuracy), st.ReferenceCorrect, n)
		fmt.Fprintf(w, "agreement          %s (%d/%d predictions equal)\n", pct(r.Agreement), st.Agreeing, n)
	}
	var parts []string
	for i, name := range r.LayerNames {
		if name == "" {
			name = fmt.Sprint(i)
		}
		parts = append(parts, fmt.Sprintf("%s %.1f", name, r.SpikesPerLayer[i]))
	}
	fmt.Fprintf(w, "spikes per sample  %s\n", strings.Join(parts, ", "))
	t := &st.Total
	fmt.Fprintf(w, "per sample         %.0f synaptic ops, %.0f active + %.0f idle neuron updates, %.1f spikes",
		st.PerSample(t.SynapticOps), st.PerSample(t.NeuronActive), st.PerSample(t.NeuronIdle), st.PerSample(t.Spikes))
	if t.HostMACs > 0 {
		fmt.Fprintf(w, ", %.0f host MACs", st.PerSample(t.HostMACs))
	}
	fmt.Fprintln(w)
	if t.GradedInputMessages > 0 {
		fmt.Fprintf(w, "graded input       %.1f graded spikes into the chip, %.0f graded synaptic ops per sample (in the synaptic ops)\n",
			st.PerSample(t.GradedInputMessages), st.PerSample(t.GradedSynapticOps))
	}
	if t.GradedSpikes > 0 {
		fmt.Fprintf(w, "graded spikes      %.1f graded spikes from hidden layers (in the spikes) carrying %.1f spikes, %.0f graded synaptic ops per sample (in the synaptic ops)\n",
			st.PerSample(t.GradedSpikes), st.PerSample(t.GradedSpikePayload), st.PerSample(t.GradedSynapticOps))
	}
	if r.Mode == "chip" {
		fmt.Fprintf(w, "spike traffic      %.1f E-W + %.1f N-S tile hops, %.1f chip hops, %.1f local deliveries per sample\n",
			st.PerSample(t.HopsEW), st.PerSample(t.HopsNS), st.PerSample(t.ChipHops), st.PerSample(t.SpikesLocal))
		fmt.Fprintf(w, "messages           %.1f axon-out messages, %.0f soma reads, %.0f soma updates per sample\n",
			st.PerSample(t.Messages), st.PerSample(t.SomaAccesses), st.PerSample(t.SomaUpdates))
		fmt.Fprintf(w, "latency            %s per sample, throughput %.0f inferences/s (%s timing)\n", fmtSeconds(r.LatencyPerSample), r.Throughput, r.Timing)
		if len(r.ContentionPerLayer) > 0 && r.LatencyPerSample > 0 {
			parts = parts[:0]
			for i, c := range r.ContentionPerLayer {
				parts = append(parts, fmt.Sprintf("%s %s (%.1f%%)", r.LayerNames[i], fmtSeconds(c), 100*c/r.LatencyPerSample))
			}
			fmt.Fprintf(w, "contention         %s per sample, by receiving layer\n", strings.Join(parts, ", "))
		}
		if r.LatencyEstimate != "" {
			fmt.Fprintf(w, "latency estimate   %s\n", r.LatencyEstimate)
		}
		if c := st.Core; c != nil {
			fmt.Fprintf(w, "neurons used       %d of %d hidden, %d of %d readout, %d of %d input channels, %d of %d synaptic currents\n",
				c.Hidden, c.HiddenLimit, c.Outputs, c.OutputLimit, c.Inputs, c.InputLimit, c.Synapses, c.SynapseLimit)
			fmt.Fprintf(w, "step time          %s per step (%.0f cycles at %.3g MHz, Rockpool's cycle model); worst case %.0f cycles, %s\n",
				fmtSeconds(c.StepSeconds), c.CyclesPerStep, c.ClockHz/1e6, c.WorstCaseCycles, fmtSeconds(c.WorstCaseCycles/c.ClockHz))
			fmt.Fprintf(w, "real time          %s steps: margin %.1f× (worst case %.1f×)\n", fmtSeconds(c.RealTimeStep), c.Margin, c.WorstCaseMargin)
			if c.Saturated > 0 {
				fmt.Fprintf(w, "saturation         %d potentials at the 16-bit limits (over all samples and steps)\n", c.Saturated)
			}
		}
	}
	fmt.Fprintf(w, "simulation         %.3g synaptic events in %.2f s wall: %.3g events/s\n",
		float64(t.SynapticOps), r.WallSeconds, r.EventsPerSecond)
	if r.Trace != "" {
		fmt.Fprintf(w, "wrote %s\n", r.Trace)
	}
}

func fmtSeconds(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.3g s", s)
	case s >= 1e-3:
		return fmt.Sprintf("%.3g ms", s*1e3)
	case s >= 1e-6:
		return fmt.Sprintf("%.3g µs", s*1e6)
	}
	return fmt.Sprintf("%.3g ns", s*1e9)
}

func stderrTerminal(w io.Writer) bool {
	fh, ok := w.(*os.File)
	return ok && term.IsTerminal(int(fh.Fd()))
}

// traceFile streams the trace into a temporary file beside the target and
// renames it into place on commit, so a failed or interrupted run leaves
// any previous trace intact.
type traceFile struct {
	path string
	tmp  *os.File
	w    *bufio.Writer
	done bool
}

func createTrace(path string) (*traceFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	return &traceFile{path: path, tmp: tmp, w: bufio.NewWriterSize(tmp, 1<<20)}, nil
}

func (t *traceFile) commit() error {
	err := t.w.Flush()
	if err == nil {
		err = t.tmp.Sync()
	}
	if err == nil {
		err = t.tmp.Chmod(0o644)
	}
	if cerr := t.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(t.tmp.Name(), t.path)
	}
	if err != nil {
		os.Remove(t.tmp.Name())
		t.done = true
		return fmt.Errorf("trace: %w", err)
	}
	t.done = true
	return nil
}

func (t *traceFile) abort() {
	if !t.done {
		t.tmp.Close()
		os.Remove(t.tmp.Name())
	}
}
