package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
	"github.com/snnc/snnc/train"
)

func init() { register(newTrainCmd) }

// trainTargetHelp documents --target for snnc train's help, from the
// training sections of the targets' data files.
func trainTargetHelp() string {
	s := "train inside a chip's limits, from the training section of its data file:"
	for _, name := range targets.TrainingTargets() {
		t, err := targets.LookupTraining(name)
		if err != nil {
			continue
		}
		l := t.Training
		s += fmt.Sprintf("\n%q: grouped %s layers of %s neurons (fan-in ≤ %d sources, weights ±k/%d and biases m/%d with |k|, |m| ≤ %d), "+
			"%s-coded input, %s readout; default --arch INPUT-%s-CLASSES, -T %d; image archs may use grouped convolutions "+
			"(e.g. 28x28x1-16c5s2-64c3g4-10) and pooling; snnc compile --target %s maps the result exactly",
			name, l.Weights, strings.ToUpper(l.Neuron), l.Sources, l.ScaleUnits, l.ScaleUnits, l.MaxWeight, l.Input, l.Readout,
			dashed(l.Hidden...), l.Timesteps, name)
	}
	return s + "\nMODEL.ckpt and --resume as without --target (a checkpoint resumes only with its own target); --sweep-alpha is not supported"
}

// dashed joins sizes with '-' as in an --arch.
func dashed(sizes ...int) string {
	s := make([]string, len(sizes))
	for i, n := range sizes {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "-")
}

// interruptAfterEnv, for tests, names an epoch after whose checkpoint
// snnc train behaves as if interrupted (Ctrl-C).
const interruptAfterEnv = "SNNC_TRAIN_INTERRUPT_AFTER_EPOCH"

type trainFlags struct {
	data, arch, method, optimizer, out, milestones, sweep string
	target                                                string
	cfg                                                   train.Config
	asJSON, quiet, resume                                 bool
	temporal                                              temporalFlags // train_events.go
}

func newTrainCmd() *cobra.Command {
	f := &trainFlags{cfg: train.DefaultConfig()}
	d := train.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a spiking network with ASGL (or plain surrogate gradient) and freeze it to a .snn model",
		Long: `Train a feed-forward network of LIF neurons (seed Eq. 1–5) on an IDX image
dataset (MNIST, Fashion-MNIST; default: the embedded 6000/1000 MNIST subset)
with Adaptive Smoothing Gradient Learning, then freeze it to a Θ-only float
model in the snnc IR.

  u[t] = γ·u[t−1]·(1 − s[t−1]) + W·s_in[t] + b,  s = Θ(u − ϑ)
  readout: mean of the last layer's current over T, softmax cross-entropy

--method asgl trains with ŝ = H_α(x) + m·stopgrad(Θ(x) − H_α(x)), m ~ Bernoulli(p),
H_α(x) = clip(x/α + ½, 0, 1), and learns the width α of every layer;
--method sg uses Θ forward and the rectangular surrogate (1/α)·1[|x| < α/2]
backward with α fixed. Validation and the written model use Θ only.

The width is learned as ln α with its own Adam optimiser and learning rate
(--alpha-lr, following the weights' cosine schedule): one step changes α by
at most about a factor e^(alpha-lr), so even α = 10 reaches ~1 within a few
epochs. α per layer is shown per epoch and logged.

Noise: p is fixed, or raised at each epoch in --milestones by
p ← 1 − (1 − p)·ζ (--zeta), as in the seed's Table 6.

Optimisers: adam (default lr 1e-3) or sgd with momentum (default lr 0.1),
with weight decay and cosine annealing of the learning rate to 0 over all
steps. Every random choice comes from --seed: the same seed and flags give a
byte-identical model on the same machine.

Files beside the model (-o): MODEL.ckpt, a checkpoint after every epoch
(weights, optimiser state, epoch, random state; --resume continues from it
with the same flags), and MODEL.metrics.jsonl, one JSON line per epoch.
Files are written atomically: Ctrl-C leaves the previous files intact.

Architectures (--arch): the input, then one entry per layer, joined by '-':

  784            input of 784 values;  28x28x1  an H×W×C image
  512            dense layer of 512 neurons (an image is flattened first)
  16c5           convolution: 16 output channels, 5×5 kernel, stride 1, no
                 padding; 16c3s2p1 sets stride 2 and padding 1; 64c3g4
                 splits the channels into 4 groups (order c, s, p, g; both
                 channel counts multiples of the groups; --target truenorth only)
  p2             2×2 average pooling, stride 2 (p3s2: 3×3, stride 2); it
                 averages spikes and has no neurons
  …dN            a synaptic delay of N steps on a dense (256d3), recurrent
                 (240rd2) or conv (32c3d1) layer: its input at step t is the
                 previous layer's spikes of step t − N (0–255; not on the
                 first layer with neurons; loihi2 compiles up to 62)

Convolutions and dense layers have LIF neurons, except the last layer, the
readout. Example: 28x28x1-16c5-p2-32c5-p2-10. A direct-current input is
constant over the T steps, so the first layer's current is computed once
per sample.

--sweep-alpha 0.5,1,2.5,5,10 trains asgl and sg at each initial width and
prints a table of test accuracies (seed Table 4); no model is written.`,
		Example: `  snnc train -o model.snn
  snnc train --data /data/mnist --epochs 10 -o mnist.snn --json
  snnc train --data /data/mnist --arch 28x28x1-16c5-p2-32c5-p2-10 --epochs 6 --lr 2e-3
  snnc train --data /data/fashion-mnist --method sg --alpha 2.5 --epochs 10
  snnc train --data /data/fashion-mnist --method sg --label-smoothing 0.1 --epochs 10
  snnc train --p 0.5 --zeta 0.5 --milestones 3,6,8 --epochs 10
  snnc train --optimizer sgd --lr 0.1 --weight-decay 5e-4
  snnc train --epochs 20 --resume -o model.snn
  snnc train --data /data/mnist --epochs 3 --sweep-alpha 0.5,1,2.5,5,10
  snnc train --target truenorth --arch 28x28x1-16c5s2-64c3g4-10 --epochs 1 -o tnconv.snn
  snnc train --data spoken --arch 700-128-64d3-20 --timesteps 50 --epochs 10 -o delayed.snn`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runTrain(cmd, f) },
	}
	fl := cmd.Flags()
	c := &f.cfg
	fl.StringVar(&f.data, "data", "", "directory with the IDX files (default: embedded MNIST subset); or event data: spoken, saccade (embedded subsets) or a folder with train.h5/test.h5 (SHD), train.spikes/test.spikes or an N-MNIST tree")
	fl.StringVar(&c.Arch, "arch", d.Arch, "architecture, e.g. 784-512-512-10 or 28x28x1-16c5-p2-32c5-p2-10 (see Architectures above)")
	fl.IntVarP(&c.Timesteps, "timesteps", "T", d.Timesteps, "time steps T per sample")
	fl.IntVar(&c.Epochs, "epochs", d.Epochs, "number of epochs (0 writes the untrained network)")
	fl.StringVar(&f.method, "method", "asgl", "asgl or sg")
	fl.Float64Var(&c.Alpha, "alpha", d.Alpha, "initial surrogate width α (fixed for sg)")
	fl.Float64Var(&c.AlphaLR, "alpha-lr", d.AlphaLR, "learning rate of ln α (own Adam, cosine schedule); 0 freezes α")
	fl.Float64Var(&c.P, "p", d.P, "noise probability p of the spike mask (asgl)")
	fl.Float64Var(&c.Zeta, "zeta", d.Zeta, "ζ: at each milestone p ← 1 − (1 − p)·ζ")
	fl.StringVar(&f.milestones, "milestones", "", "epochs after which p is raised, e.g. 3,6,8")
	fl.StringVar(&f.optimizer, "optimizer", d.Optimizer, "adam or sgd")
	fl.Float64Var(&c.LR, "lr", 0, "initial learning rate (default for adam 3e-3 with convolutions, else 1e-3; 0.1 for sgd), cosine annealed")
	fl.Float64Var(&c.Momentum, "momentum", d.Momentum, "SGD momentum")
	fl.Float64Var(&c.WeightDecay, "weight-decay", d.WeightDecay, "L2 weight decay (weights only)")
	fl.IntVar(&c.Batch, "batch", d.Batch, "mini-batch size")
	fl.Float64Var(&c.Decay, "decay", d.Decay, "leak γ of the membrane potential")
	fl.Float64Var(&c.Threshold, "threshold", d.Threshold, "firing threshold ϑ")
	addTemporalFlags(fl, f)
	fl.Uint64Var(&c.Seed, "seed", d.Seed, "random seed")
	fl.StringVarP(&f.out, "output", "o", "model.snn", "output model file")
	fl.BoolVar(&f.asJSON, "json", false, "print a JSON summary as the last line on stdout")
	fl.BoolVar(&f.quiet, "quiet", false, "no progress bar: one summary line per epoch on stderr")
	fl.IntVar(&c.LimitTrain, "limit-train", 0, "use only the first N training samples (0: all)")
	fl.Float64Var(&c.InputDropout, "input-dropout", d.InputDropout, "probability of dropping an input pixel in training (kept ones scaled up)")
	fl.StringVar(&c.Augment, "augment", d.Augment, "training-time augmentation: shift (random translation ±2 px, zero fill; shiftN: ±N), flip (horizontal), or shift,flip")
	fl.Float64Var(&c.LabelSmoothing, "label-smoothing", d.LabelSmoothing, "label smoothing ε: target (1−ε)·onehot + ε/classes")
	fl.BoolVar(&f.resume, "resume", false, "continue from the checkpoint MODEL.ckpt")
	fl.StringVar(&f.sweep, "sweep-alpha", "", "train asgl and sg at each of these initial widths and print a table")
	fl.StringVar(&f.target, "target", "", trainTargetHelp())
	return cmd
}

func parseTrainFlags(cmd *cobra.Command, f *trainFlags) error {
	c := &f.cfg
	m, err := train.ParseMethod(f.method)
	if err != nil {
		return usagef("--method: must be asgl or sg, got %q", f.method)
	}
	c.Method = m
	c.Optimizer = strings.ToLower(f.optimizer)
	if !cmd.Flags().Changed("lr") {
		c.LR = train.DefaultLR(c.Arch, c.Optimizer)
	}
	c.Milestones = nil
	if f.milestones != "" {
		for _, s := range strings.Split(f.milestones, ",") {
			e, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return usagef("--milestones: %q is not an epoch number", s)
			}
			c.Milestones = append(c.Milestones, e)
		}
	}
	if err := c.Validate(); err != nil {
		var ce *train.ConfigError
		if errors.As(err, &ce) {
			return usagef("--%s: %s", ce.Field, ce.Msg)
		}
		return usageError{err}
	}
	if f.out == "" {
		return usagef("--output: must not be empty")
	}
	if fi, err := os.Stat(filepath.Dir(f.out)); err != nil || !fi.IsDir() {
		return usagef("--output: directory %s does not exist", filepath.Dir(f.out))
	}
	return nil
}

func runTrain(cmd *cobra.Command, f *trainFlags) error {
	if err := parseTrainFlags(cmd, f); err != nil {
		return err
	}
	if f.target != "" && !cmd.Flags().Changed("timesteps") {
		// a recurrent-core target's T bins the event data
		if t, err := targets.LookupTraining(f.target); err == nil && t.Training.TrainsInt8() {
			f.cfg.Timesteps = t.Training.Timesteps
		}
	}
	data, err := loadTrainData(f)
	if err != nil {
		return err
	}
	if f.target != "" {
		if err := applyTrainTarget(cmd, f, data); err != nil {
			return err
		}
	}
	if f.sweep != "" {
		return runSweep(cmd, f, data)
	}
	cfg := f.cfg
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	interruptAfter := -1
	if v := os.Getenv(interruptAfterEnv); v != "" {
		if interruptAfter, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("%s=%q: not an epoch number", interruptAfterEnv, v)
		}
	}
	stderr := cmd.ErrOrStderr()
	ckpt, metrics := f.out+".ckpt", f.out+".metrics.jsonl"
	var tr *train.Trainer
	if f.resume {
		tr, err = train.ResumeTrainer(ckpt, cfg, data)
	} else {
		tr, err = train.NewTrainer(cfg, data)
	}
	if err != nil {
		var ce *train.ConfigError
		if errors.As(err, &ce) {
			return usagef("--%s: %s", ce.Field, ce.Msg)
		}
		return err
	}
	// a fresh run starts a fresh metrics log with its first epoch; a
	// resumed run appends to it
	freshLog := !f.resume
	useBar := !f.quiet && isTerminal(stderr)
	start := time.Now()
	if !f.quiet {
		what, input := "", ""
		if cfg.Limits != nil {
			what, input = " for "+cfg.Target, cfg.Limits.Input+"-coded input, "
		}
		resumed := ""
		if f.resume {
			resumed = fmt.Sprintf(", resumed after epoch %d", tr.Epoch)
		}
		fmt.Fprintf(stderr, "training %s%s on %s (%d samples, T=%d, %s%s, %s lr %g, batch %d) for %d epochs%s\n",
			cfg.Arch, what, data.Name, tr.TrainSamples(), cfg.Timesteps, input, cfg.Method, cfg.Optimizer, cfg.LR, cfg.Batch, cfg.Epochs, resumed)
	}
	for tr.Epoch < cfg.Epochs {
		st, err := trainEpoch(ctx, tr, cfg.Epochs, stderr, useBar)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				if tr.Epoch == 0 {
					return fmt.Errorf("train: interrupted in epoch 1, nothing written: %w", err)
				}
				return fmt.Errorf("train: interrupted in epoch %d; %s holds epoch %d (continue with --resume): %w", tr.Epoch+1, ckpt, tr.Epoch, err)
			}
			return err
		}
		fmt.Fprintln(stderr, epochLine(st, cfg.Epochs))
		if err := tr.SaveCheckpoint(ckpt); err != nil {
			return err
		}
		if err := appendLine(metrics, st, freshLog); err != nil {
			return err
		}
		freshLog = false
		if tr.Epoch == interruptAfter {
			cancel()
		}
	}
	acc := tr.Evaluate(data.Test)
	alphas := tr.Alphas()
	prov := &ir.Provenance{
		Method: ir.MethodASGL, NoiseP: float32(cfg.NoiseP(max(tr.Epoch-1, 0))), NoiseZeta: float32(cfg.Zeta),
		Milestones: cfg.Milestones, Dataset: data.Name, Epochs: tr.Epoch, Seed: cfg.Seed,
		TestAccuracy: float32(acc), ToolVersion: version,
	}
	if cfg.Method == train.SG {
		prov.Method = ir.MethodSG
	}
	if tr.Epoch == 0 {
		prov.Method = ir.MethodNone
	}
	for _, a := range alphas {
		prov.Alphas = append(prov.Alphas, float32(a))
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("train: interrupted before writing %s: %w", f.out, err)
	}
	if err := ir.WriteFile(f.out, tr.Freeze(prov)); err != nil {
		return err
	}
	var sps float64
	var trainSec float64
	for _, h := range tr.History {
		trainSec += h.TrainSeconds
	}
	if trainSec > 0 {
		sps = float64(tr.TrainSamples()*len(tr.History)) / trainSec
	}
	if f.asJSON {
		summary := map[string]any{
			"model": f.out, "test_acc": acc, "train_samples_per_s": sps, "epochs": tr.Epoch,
			"alphas": alphas, "method": cfg.Method.String(), "dataset": data.Name, "arch": cfg.Arch,
			"timesteps": cfg.Timesteps, "seed": cfg.Seed, "wall_seconds": time.Since(start).Seconds(),
			"train_seconds": trainSec, "checkpoint": ckpt, "metrics": metrics,
		}
		if cfg.Target != "" {
			summary["target"] = cfg.Target
		}
		return json.NewEncoder(cmd.OutOrStdout()).Encode(summary)
	}
	target := ""
	if cfg.Target != "" {
		target = " (target " + cfg.Target + ")"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s%s: test accuracy %.2f%% after %d epochs, %.0f samples/s, α %s\n",
		f.out, target, 100*acc, tr.Epoch, sps, fmtAlphas(alphas))
	return nil
}

// applyTrainTarget sets the training section of --target's data file in
// f.cfg, with the target's defaults for the flags not given (--arch: the
// input, the section's hidden widths, the classes; --timesteps).
func applyTrainTarget(cmd *cobra.Command, f *trainFlags, data *dataset.Set) error {
	t, err := targets.LookupTraining(f.target)
	if err != nil {
		return usagef("--target: %q is not a training target (valid: %s)", f.target, strings.Join(targets.TrainingTargets(), ", "))
	}
	lim := t.Training
	if f.sweep != "" {
		return usagef("--sweep-alpha: not supported with --target %s (the sweep compares float asgl and sg runs; train one width per run with --alpha)", t.Name)
	}
	c := &f.cfg
	if lim.TrainsInt8() {
		return applyInt8Target(cmd, f, t, data)
	}
	if !cmd.Flags().Changed("arch") {
		c.Arch = dashed(data.ImageSize()) + "-" + dashed(lim.Hidden...) + "-" + dashed(max(10, data.Classes))
	}
	if !cmd.Flags().Changed("timesteps") {
		c.Timesteps = lim.Timesteps
	}
	if cmd.Flags().Changed("decay") && c.Decay != 1 {
		return usagef("--decay: %s has a %s leak only; --target %s trains integrate-and-fire neurons (γ = 1)", t.Name, t.Leak, t.Name)
	}
	c.Target, c.Limits = t.Name, lim
	return nil
}

// applyInt8Target sets the defaults of a recurrent-core target (Xylo)
// for the flags not given: --arch INPUTS-Hr-CLASSES with the section's
// hidden width, --timesteps, --reset subtract-multi, --readout max-potential (the
// readout neurons' potentials), --decay 0.9375 and --current-decay 0.75
// (dash 4 and 2; the trainer snaps any value to a bit shift), --threshold
// 1. The data must be events with at most as many classes as the chip has
// readout neurons.
func applyInt8Target(cmd *cobra.Command, f *trainFlags, t *targets.Target, data *dataset.Set) error {
	lim, c, fl := t.Training, &f.cfg, cmd.Flags()
	if data.Steps == 0 {
		return usagef("--target %s: trains on event data (--data spoken, saccade, or a folder of SHD files), %s is images", t.Name, data.Name)
	}
	if rc := t.RecurrentCore; rc != nil && data.Classes > rc.OutputNeurons {
		return usagef("--target %s: %s has %d classes, %s has %d readout neurons (make fewer classes, e.g. snnc data spoken-digits --classes %d, or use a part with more)",
			t.Name, data.Name, data.Classes, t.Name, rc.OutputNeurons, rc.OutputNeurons)
	}
	if !fl.Changed("arch") {
		c.Arch = fmt.Sprintf("%d-%dr-%d", data.StepSize(), lim.Hidden[0], data.Classes)
	}
	if !fl.Changed("timesteps") {
		c.Timesteps = lim.Timesteps
	}
	if !fl.Changed("reset") {
		c.Reset = ir.ResetSubtractMulti
	}
	if !fl.Changed("readout") {
		c.Readout = ir.ReadoutMaxPotential
	}
	if !fl.Changed("decay") {
		c.Decay = 0.9375
	}
	if !fl.Changed("current-decay") {
		c.CurrentDecay = 0.75
	}
	if !fl.Changed("threshold") {
		c.Threshold = 1
	}
	c.Target, c.Limits = t.Name, lim
	return nil
}

func trainEpoch(ctx context.Context, tr *train.Trainer, epochs int, w io.Writer, useBar bool) (train.EpochStats, error) {
	if !useBar {
		return tr.TrainEpoch(ctx, nil)
	}
	progress, finish := epochBar(w, tr.StepsPerEpoch(), tr.Epoch+1, epochs)
	st, err := tr.TrainEpoch(ctx, progress)
	finish()
	return st, err
}

// epochBar is the progress bar of one training epoch: progress updates it,
// finish clears it.
func epochBar(w io.Writer, steps, epoch, epochs int) (progress func(train.Progress), finish func()) {
	bar := progressbar.NewOptions(steps,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, epochs)),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(20),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	progress = func(p train.Progress) {
		bar.Describe(fmt.Sprintf("epoch %d/%d loss %.4f acc %.2f%% %5.0f samples/s α %s",
			p.Epoch, epochs, p.Loss, 100*p.Acc, p.SamplesPerSec, fmtAlphas(p.Alphas)))
		_ = bar.Set(p.Done)
	}
	return progress, func() { _ = bar.Finish() }
}

func epochLine(st train.EpochStats, epochs int) string {
	return fmt.Sprintf("epoch %d/%d  loss %.4f  train %.2f%%  test %.2f%%  %.0f samples/s  α %s  p %.3g  lr %.3g  %.1fs",
		st.Epoch, epochs, st.Loss, 100*st.TrainAcc, 100*st.TestAcc, st.SamplesPerSec, fmtAlphas(st.Alphas), st.P, st.LR,
		st.TrainSeconds+st.EvalSeconds)
}

func fmtAlphas(a []float64) string {
	s := make([]string, len(a))
	for i, v := range a {
		s[i] = strconv.FormatFloat(v, 'g', 3, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}

func appendLine(path string, v any, truncate bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if truncate {
		return ir.WriteFileAtomic(path, append(b, '\n'), 0o644)
	}
	fh, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("train: metrics: %w", err)
	}
	if _, err := fh.Write(append(b, '\n')); err != nil {
		fh.Close()
		return fmt.Errorf("train: metrics: %w", err)
	}
	return fh.Close()
}

func isTerminal(w io.Writer) bool {
	fh, ok := w.(*os.File)
	return ok && term.IsTerminal(int(fh.Fd()))
}

// runSweep trains asgl and sg at each initial width and prints the test
// accuracies (seed Table 4).
func runSweep(cmd *cobra.Command, f *trainFlags, data *dataset.Set) error {
	var widths []float64
	for _, s := range strings.Split(f.sweep, ",") {
		a, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || !(a > 0) {
			return usagef("--sweep-alpha: %q is not a positive width", s)
		}
		widths = append(widths, a)
	}
	type row struct {
		Alpha      float64   `json:"alpha"`
		ASGL       float64   `json:"asgl_test_acc"`
		SG         float64   `json:"sg_test_acc"`
		ASGLAlphas []float64 `json:"asgl_final_alphas"`
	}
	var rows []row
	stderr := cmd.ErrOrStderr()
	for _, a := range widths {
		r := row{Alpha: a}
		for _, m := range []train.Method{train.ASGL, train.SG} {
			cfg := f.cfg
			cfg.Alpha, cfg.Method = a, m
			tr, err := train.NewTrainer(cfg, data)
			if err != nil {
				return err
			}
			var st train.EpochStats
			for tr.Epoch < cfg.Epochs {
				if st, err = tr.TrainEpoch(cmd.Context(), nil); err != nil {
					if errors.Is(err, train.ErrNaN) {
						st.TestAcc = 0
						break
					}
					return err
				}
				if !f.quiet {
					fmt.Fprintf(stderr, "α=%g %s: %s\n", a, m, epochLine(st, cfg.Epochs))
				}
			}
			if m == train.ASGL {
				r.ASGL, r.ASGLAlphas = st.TestAcc, tr.Alphas()
			} else {
				r.SG = st.TestAcc
			}
		}
		rows = append(rows, r)
	}
	if f.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{"dataset": data.Name, "epochs": f.cfg.Epochs, "rows": rows})
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "width α\tSG\tASGL\tASGL final α\t\n")
	for _, r := range rows {
		fmt.Fprintf(tw, "%g\t%.2f\t%.2f\t%s\t\n", r.Alpha, 100*r.SG, 100*r.ASGL, fmtAlphas(r.ASGLAlphas))
	}
	return tw.Flush()
}
