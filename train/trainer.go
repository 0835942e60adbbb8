package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// Config holds every setting of a training run.
type Config struct {
	// Arch is the architecture, e.g. "784-512-512-10" (see ParseArch).
	Arch string
	// Timesteps is T.
	Timesteps int
	// Epochs is the total number of epochs.
	Epochs int
	// Method is ASGL or SG.
	Method Method
	// Alpha is the initial surrogate width α (SG keeps it fixed).
	Alpha float64
	// AlphaLR is the learning rate of ln α (its own Adam optimiser, with
	// the weights' cosine schedule): each step changes α by a factor of
	// about e^±AlphaLR.
	AlphaLR float64
	// P is the initial noise probability; at each epoch in Milestones it is
	// raised by p ← 1 − (1−p)·Zeta.
	P          float64
	Zeta       float64
	Milestones []int
	// Optimizer is "adam" or "sgd"; LR the initial learning rate (cosine
	// annealed to 0 over all steps); Momentum for SGD; WeightDecay is L2.
	Optimizer   string
	LR          float64
	Momentum    float64
	WeightDecay float64
	// Batch is the mini-batch size.
	Batch int
	// Decay is the leak γ, Threshold is ϑ.
	Decay     float64
	Threshold float64
	// CurrentDecay is β_c = 1 − 1/τ_syn of every layer's synaptic current
	// (0: the seed's neuron); Reset is ir.ResetZero or ir.ResetSubtract;
	// Readout is the mean current over T, the spike count or the maximum
	// over T of the readout potential. See temporal.go.
	CurrentDecay float64
	Reset        ir.ResetMode
	Readout      ir.ReadoutKind
	// DetachReset stops the gradient through the spike of the reset in
	// temporal networks (Temporal.DetachReset).
	DetachReset bool
	// Seed drives every random choice.
	Seed uint64
	// LimitTrain, if > 0, uses only the first LimitTrain training samples.
	LimitTrain int
	// InputDropout is the probability of dropping an input pixel during
	// training (kept pixels are scaled by 1/(1−InputDropout)).
	InputDropout float64
	// Augment is a comma-separated list of training-time augmentations:
	// "shift" (random translation by up to ±2 pixels, zero fill; "shiftN"
	// for ±N) and "flip" (horizontal flip with probability ½). Empty: none.
	Augment string
	// LabelSmoothing ε replaces the one-hot target by (1−ε)·onehot + ε/C.
	LabelSmoothing float64
	// Target names the chip whose training section Limits is (snnc train
	// --target); "" and nil train the float network. With trinary Limits
	// the layers are grouped trinary IF layers inside the chip's limits
	// (see trinary.go); Decay, Threshold, InputDropout, Augment and
	// LabelSmoothing do not apply. With int8 Limits (a recurrent-core chip,
	// Xylo) the float network trains with the chip's constraints as layer
	// options (int8.go).
	Target string
	Limits *targets.Training
}

// DefaultConfig returns the defaults of snnc train.
func DefaultConfig() Config {
	return Config{
		Arch: "784-512-512-10", Timesteps: 4, Epochs: 4, Method: ASGL,
		Alpha: 1, AlphaLR: 0.05, P: 0.8, Zeta: 1,
		Optimizer: OptAdam, LR: 1e-3, Momentum: 0.9,
		Batch: 128, Decay: 0.5, Threshold: 0.5, Seed: 1,
	}
}

// ConfigError is a setting that cannot be used.
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return "train: " + e.Field + ": " + e.Msg }

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks the settings that do not depend on the data.
func (c *Config) Validate() error {
	bad := func(f, format string, a ...any) error { return &ConfigError{f, fmt.Sprintf(format, a...)} }
	a, err := ParseArch(c.Arch)
	if err != nil {
		return err
	}
	switch {
	case c.Limits != nil && a.hasDelays():
		return bad("arch", "%q: synaptic delays (dN) are trained by the float trainer only, not with --target %s (compile the float model for a target with delays: loihi2)", c.Arch, c.Target)
	case c.Timesteps <= 0:
		return bad("timesteps", "must be positive, got %d", c.Timesteps)
	case c.Epochs < 0:
		return bad("epochs", "must not be negative, got %d", c.Epochs)
	case !finite(c.Alpha) || c.Alpha <= 0:
		return bad("alpha", "must be positive, got %v", c.Alpha)
	case !finite(c.AlphaLR) || c.AlphaLR < 0:
		return bad("alpha-lr", "must not be negative, got %v", c.AlphaLR)
	case !finite(c.P) || c.P < 0 || c.P > 1:
		return bad("p", "must be in [0,1], got %v", c.P)
	case !finite(c.Zeta) || c.Zeta < 0 || c.Zeta > 1:
		return bad("zeta", "must be in [0,1], got %v", c.Zeta)
	case c.Optimizer != OptAdam && c.Optimizer != OptSGD:
		return bad("optimizer", "must be adam or sgd, got %q", c.Optimizer)
	case !finite(c.LR) || c.LR <= 0:
		return bad("lr", "must be positive, got %v", c.LR)
	case !finite(c.Momentum) || c.Momentum < 0 || c.Momentum >= 1:
		return bad("momentum", "must be in [0,1), got %v", c.Momentum)
	case !finite(c.WeightDecay) || c.WeightDecay < 0:
		return bad("weight-decay", "must not be negative, got %v", c.WeightDecay)
	case c.Batch <= 0:
		return bad("batch", "must be positive, got %d", c.Batch)
	case !finite(c.Decay) || c.Decay < 0 || c.Decay > 1:
		return bad("decay", "must be in [0,1], got %v", c.Decay)
	case !finite(c.Threshold) || c.Threshold <= 0:
		return bad("threshold", "must be positive, got %v", c.Threshold)
	case !finite(c.InputDropout) || c.InputDropout < 0 || c.InputDropout >= 1:
		return bad("input-dropout", "must be in [0,1), got %v", c.InputDropout)
	case !finite(c.LabelSmoothing) || c.LabelSmoothing < 0 || c.LabelSmoothing >= 1:
		return bad("label-smoothing", "must be in [0,1), got %v", c.LabelSmoothing)
	case c.LimitTrain < 0:
		return bad("limit-train", "must not be negative, got %d", c.LimitTrain)
	case c.Method != ASGL && c.Method != SG:
		return bad("method", "must be asgl or sg")
	case !finite(c.CurrentDecay) || c.CurrentDecay < 0 || c.CurrentDecay >= 1:
		return bad("current-decay", "must be in [0,1), got %v", c.CurrentDecay)
	case c.Reset != ir.ResetZero && c.Reset != ir.ResetSubtract && c.Reset != ir.ResetSubtractMulti:
		return bad("reset", "must be zero, subtract or subtract-multi, got %v", c.Reset)
	case c.Readout > ir.ReadoutMaxPotential:
		return bad("readout", "must be mean-current, spike-count or max-potential, got %v", c.Readout)
	case c.Limits != nil && c.Limits.Trinary() && (c.CurrentDecay != 0 || c.Reset != ir.ResetZero || c.Readout != ir.ReadoutMeanCurrent || strings.Contains(c.Arch, "r")):
		return bad("target", "--target %s trains IF layers without current decay, recurrence, subtractive reset or sequence readouts", c.Target)
	case (c.Limits == nil) != (c.Target == ""):
		return bad("target", "a target's name and its training section go together (got %q and %v)", c.Target, c.Limits != nil)
	}
	if _, _, err := ParseAugment(c.Augment); err != nil {
		return err
	}
	if c.Limits != nil {
		if err := c.Limits.Validate(c.Target + "'s training section"); err != nil {
			return &ConfigError{"target", err.Error()}
		}
	}
	for i, m := range c.Milestones {
		if m <= 0 || (i > 0 && m <= c.Milestones[i-1]) {
			return bad("milestones", "must be increasing positive epochs, got %v", c.Milestones)
		}
	}
	return nil
}

// NoiseP is the noise probability used in epoch e (0-based): the initial p
// raised by p ← 1 − (1−p)·ζ once for every milestone ≤ e.
func (c *Config) NoiseP(e int) float64 {
	p := c.P
	for _, m := range c.Milestones {
		if m <= e {
			p = 1 - (1-p)*c.Zeta
		}
	}
	return p
}

// EpochStats are the figures of one epoch.
type EpochStats struct {
	Epoch int `json:"epoch"`
	// Loss and TrainAcc are of the training network (mixed activations
	// for ASGL) averaged over the epoch's batches.
	Loss     float64 `json:"loss"`
	TrainAcc float64 `json:"train_acc"`
	// TestAcc is the Θ-only accuracy on the test split.
	TestAcc float64 `json:"test_acc"`
	// SamplesPerSec is training throughput (forward, backward, update).
	SamplesPerSec float64   `json:"train_samples_per_s"`
	Alphas        []float64 `json:"alphas"`
	P             float64   `json:"p"`
	LR            float64   `json:"lr"`
	TrainSeconds  float64   `json:"train_seconds"`
	EvalSeconds   float64   `json:"eval_seconds"`
}

// Progress reports the state within an epoch.
type Progress struct {
	Epoch, Done, Total int
	Loss, Acc          float64
	SamplesPerSec      float64
	Alphas             []float64
}

// Trainer trains one Network on one dataset: float LIF layers or, with
// Config.Limits, grouped trinary layers of IF neurons inside a chip's
// limits (trinary.go). Both are the same Network with the same epoch loop,
// batch phases, optimiser, α optimiser, checkpoints and freeze.
type Trainer struct {
	Cfg  Config
	Data *dataset.Set
	// Epoch is the number of completed epochs.
	Epoch int
	// History holds the statistics of the completed epochs.
	History []EpochStats
	// SkipEval skips the test evaluation after each epoch (TestAcc is then
	// −1), for benchmarks.
	SkipEval bool
	// Net is the network: float LIF layers, or with Cfg.Limits trinary
	// layers of IF neurons inside the target's limits.
	Net *Network

	// net is Net with its workspaces. A batch goes trainBatch (forward
	// and backward), alphaGrad, then applyStep (gradients summed per
	// block, the optimiser on every parameter, derived copies refreshed).
	net      *batchNet
	train    dataset.Split
	rng      *rng
	opt      *optimizer
	alphaOpt scalarAdam
	perm     []int
	p        float64 // the noise probability of the current epoch
}

// NewTrainer checks cfg against data and builds a randomly initialised
// network: the float network, or with cfg.Limits the grouped trinary IF
// network of the target cfg.Target.
func NewTrainer(cfg Config, data *dataset.Set) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Limits != nil && cfg.Limits.TrainsInt8() {
		return int8Trainer(cfg, data) // int8.go
	}
	if cfg.Limits != nil {
		return newTrinaryTrainer(cfg, data)
	}
	a, _ := ParseArch(cfg.Arch)
	if err := a.noGroups(cfg.Arch); err != nil {
		return nil, err
	}
	if err := checkArchData(cfg.Arch, a.Input, a.Outputs(), data); err != nil {
		return nil, err
	}
	tr := &Trainer{Cfg: cfg, Data: data, rng: newRNG(cfg.Seed)}
	tr.train = data.Train.Limit(cfg.LimitTrain, data.ImageSize())
	if data.Steps > 0 && data.Steps != cfg.Timesteps {
		return nil, &ConfigError{"timesteps", fmt.Sprintf("%s is binned into %d steps, not %d", data.Name, data.Steps, cfg.Timesteps)}
	}
	tr.Net = NewNetwork(a, cfg.Timesteps, float32(cfg.Decay), float32(cfg.Threshold), cfg.Method, cfg.Alpha, tr.rng, Temporal{
		CurrentDecay: float32(cfg.CurrentDecay), Reset: cfg.Reset, Readout: cfg.Readout, DetachReset: cfg.DetachReset})
	if data.Steps > 0 {
		tr.Net.Events, tr.Net.InputScale = true, 1
	}
	tr.opt = newOptimizer(cfg.Optimizer, cfg.Momentum, cfg.WeightDecay)
	fn := newBatchNet(tr.Net, min(cfg.Batch, tr.train.N))
	ws := fn.ws
	ws.dropP = float32(cfg.InputDropout)
	ws.dropThr = pThreshold(1 - cfg.InputDropout)
	ws.smooth = cfg.LabelSmoothing
	shift, flip, _ := ParseAugment(cfg.Augment)
	if shift > 0 || flip {
		ws.aug = &augment{shift: shift, flip: flip, c: data.Channels, h: data.Rows, w: data.Cols}
	}
	tr.net = fn
	return tr, nil
}

// checkArchData checks that the architecture arch, with input shape input
// ([N] or [C,H,W]) and outputs outputs, fits data's images and classes.
func checkArchData(arch string, input []int, outputs int, data *dataset.Set) error {
	if size := shapeSize(input); size != data.StepSize() {
		return fmt.Errorf("train: architecture %s takes %d inputs but %s images are %d×%d×%d = %d values",
			arch, size, data.Name, data.Channels, data.Rows, data.Cols, data.StepSize())
	}
	if len(input) == 3 && (input[0] != data.Channels || input[1] != data.Rows || input[2] != data.Cols) {
		return fmt.Errorf("train: architecture %s takes %d×%d×%d images (H×W×C) but %s images are %d×%d×%d",
			arch, input[1], input[2], input[0], data.Name, data.Rows, data.Cols, data.Channels)
	}
	if outputs < data.Classes {
		return fmt.Errorf("train: architecture %s has %d outputs but %s has %d classes", arch, outputs, data.Name, data.Classes)
	}
	return nil
}

// newTrinaryTrainer is NewTrainer with cfg.Limits: the network of trinary
// layers with IF neurons and rate-coded input (trinary.go). The random
// streams (the layers' initialisation, the trainer's shuffles and batch
// seeds) and the optimiser's rounding of 1 − β are the ones these layers
// have always been trained with, so the same seed and flags keep giving the
// same model.
func newTrinaryTrainer(cfg Config, data *dataset.Set) (*Trainer, error) {
	if data.Steps > 0 {
		return nil, &ConfigError{"target", fmt.Sprintf("--target %s trains on images; %s is an event dataset", cfg.Target, data.Name)}
	}
	net, err := newChipNetwork(&cfg, data)
	if err != nil {
		return nil, err
	}
	tr := &Trainer{Cfg: cfg, Data: data, Net: net, rng: newRNGStream(cfg.Seed, trainerStream)}
	tr.train = data.Train.Limit(cfg.LimitTrain, data.ImageSize())
	tr.opt = newOptimizer(cfg.Optimizer, cfg.Momentum, cfg.WeightDecay)
	tr.opt.roundComplementsInFloat64()
	tr.net = newBatchNet(net, min(cfg.Batch, tr.train.N))
	return tr, nil
}

// StepsPerEpoch is the number of mini-batches in one epoch.
func (tr *Trainer) StepsPerEpoch() int { return (tr.train.N + tr.Cfg.Batch - 1) / tr.Cfg.Batch }

// TrainSamples is the number of training samples per epoch.
func (tr *Trainer) TrainSamples() int { return tr.train.N }

// Alphas returns α per stage with neurons.
func (tr *Trainer) Alphas() []float64 { return tr.net.Alphas() }

// Freeze returns the trained network as a Θ-only float IR model with
// provenance prov (may be nil; with Cfg.Limits its Target is set).
func (tr *Trainer) Freeze(prov *ir.Provenance) *ir.Model {
	if prov != nil && tr.Cfg.Limits != nil {
		prov.Target = tr.Cfg.Target
	}
	return tr.net.freeze(prov)
}

// ErrNaN is returned when the loss stops being finite.
var ErrNaN = errors.New("loss is not finite")

// TrainEpoch trains one epoch, then evaluates on the test split. progress,
// if not nil, is called after every batch. It stops at the next batch
// boundary when ctx is cancelled and returns ctx.Err(); the trainer is then
// left mid-epoch and should not be saved.
func (tr *Trainer) TrainEpoch(ctx context.Context, progress func(Progress)) (EpochStats, error) {
	cfg := &tr.Cfg
	e := tr.Epoch
	N := tr.train.N
	if cap(tr.perm) < N {
		tr.perm = make([]int, N)
	}
	perm := tr.perm[:N]
	tr.net.shuffle(tr.rng.r, perm)
	tr.p = cfg.NoiseP(e)
	steps := tr.StepsPerEpoch()
	total := steps * cfg.Epochs
	var lossSum float64
	var correct, seen int
	var trainDur time.Duration
	var lr float64
	for s := 0; s < steps; s++ {
		if err := ctx.Err(); err != nil {
			return EpochStats{}, err
		}
		start := time.Now()
		lo, hi := s*cfg.Batch, min((s+1)*cfg.Batch, N)
		lr = cosineLR(cfg.LR, e*steps+s, total)
		bl, bc := tr.trainBatch(perm[lo:hi], lr)
		if !finite(bl) {
			return EpochStats{}, fmt.Errorf("train: epoch %d, batch %d: %w (try a lower --lr)", e+1, s+1, ErrNaN)
		}
		lossSum += bl
		correct += bc
		seen += hi - lo
		trainDur += time.Since(start)
		if progress != nil {
			progress(Progress{Epoch: e + 1, Done: s + 1, Total: steps, Loss: lossSum / float64(seen),
				Acc: float64(correct) / float64(seen), SamplesPerSec: float64(seen) / trainDur.Seconds(), Alphas: tr.Alphas()})
		}
	}
	evalStart := time.Now()
	acc := -1.0
	if !tr.SkipEval {
		acc = tr.Evaluate(tr.Data.Test)
	}
	st := EpochStats{
		Epoch: e + 1, Loss: lossSum / float64(max(seen, 1)), TrainAcc: float64(correct) / float64(max(seen, 1)),
		TestAcc: acc, SamplesPerSec: float64(seen) / trainDur.Seconds(), Alphas: tr.Alphas(), P: tr.p, LR: lr,
		TrainSeconds: trainDur.Seconds(), EvalSeconds: time.Since(evalStart).Seconds(),
	}
	tr.Epoch++
	tr.History = append(tr.History, st)
	return st, nil
}

// trainBatch runs one optimisation step on the samples idx with learning
// rate lr and returns the summed loss and the number of correct
// predictions. A non-finite loss returns before anything is updated.
func (tr *Trainer) trainBatch(idx []int, lr float64) (float64, int) {
	cfg := &tr.Cfg
	seed := tr.rng.r.Uint64()
	loss, correct := tr.net.trainBatch(&tr.train, tr.Data.ImageSize(), idx, seed, tr.p)
	if !finite(loss) {
		return loss, correct
	}
	// α: ln α by Adam with its own rate
	ga := tr.net.alphaGrad()
	if tr.net.learnsAlpha() && cfg.AlphaLR > 0 {
		tr.alphaOpt.update(tr.net.logAlpha(), ga, cfg.AlphaLR*lr/cfg.LR)
	}
	tr.opt.begin(lr)
	tr.net.applyStep(tr.opt)
	return loss, correct
}

// Evaluate returns the Θ-only accuracy of the trainer's network on split.
func (tr *Trainer) Evaluate(split dataset.Split) float64 {
	return tr.net.evaluate(split, tr.Data.ImageSize())
}

// evaluate runs the Θ-only network over split and returns the accuracy;
// preds, if not nil, receives the prediction of every sample.
func (n *Network) evaluate(ws *workspace, split dataset.Split, preds []int) float64 {
	ws.train = false
	idx := make([]int, ws.cap)
	correct := 0
	for lo := 0; lo < split.N; lo += ws.cap {
		m := min(ws.cap, split.N-lo)
		for b := 0; b < m; b++ {
			idx[b] = lo + b
			ws.labels[b] = split.Labels[lo+b]
		}
		ws.n = m
		parallel(m, 8, func(l, h int) {
			n.loadInput(ws, split.Images, idx, l, h)
			n.forward(ws, l, h)
		})
		for b := 0; b < m; b++ {
			if int(ws.pred[b]) == int(ws.labels[b]) {
				correct++
			}
			if preds != nil {
				preds[lo+b] = int(ws.pred[b])
			}
		}
	}
	return float64(correct) / float64(split.N)
}

// ParseAugment parses Config.Augment: the maximal shift in pixels (0: none)
// and whether to flip horizontally.
func ParseAugment(s string) (shift int, flip bool, err error) {
	if strings.TrimSpace(s) == "" {
		return 0, false, nil
	}
	for _, a := range strings.Split(s, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		switch {
		case a == "flip":
			flip = true
		case a == "shift":
			shift = 2
		case strings.HasPrefix(a, "shift"):
			n, e := strconv.Atoi(a[len("shift"):])
			if e != nil || n < 0 || n > 8 {
				return 0, false, &ConfigError{"augment", fmt.Sprintf("%q: shiftN needs N in 0..8", a)}
			}
			shift = n
		default:
			return 0, false, &ConfigError{"augment", fmt.Sprintf("%q is not shift, shiftN or flip", a)}
		}
	}
	return shift, flip, nil
}

// ParseMethod parses "asgl" or "sg".
func ParseMethod(s string) (Method, error) {
	switch strings.ToLower(s) {
	case "asgl":
		return ASGL, nil
	case "sg":
		return SG, nil
	}
	return 0, &ConfigError{"method", fmt.Sprintf("must be asgl or sg, got %q", s)}
}
