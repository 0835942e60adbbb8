package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/snnc/snnc/ir/dataset"
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
	if _, err := ParseArch(c.Arch); err != nil {
		return err
	}
	switch {
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
	}
	if _, _, err := ParseAugment(c.Augment); err != nil {
		return err
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

// Trainer trains one network on one dataset.
type Trainer struct {
	Cfg  Config
	Net  *Network
	Data *dataset.Set
	// Epoch is the number of completed epochs.
	Epoch int
	// History holds the statistics of the completed epochs.
	History []EpochStats
	// SkipEval skips the test evaluation after each epoch (TestAcc is then
	// −1), for benchmarks.
	SkipEval bool

	train    dataset.Split
	rng      *rng
	opt      *optimizer
	alphaOpt scalarAdam
	ws       *workspace
	evalWS   *workspace
	perm     []int
}

// NewTrainer checks cfg against data and builds a randomly initialised
// network.
func NewTrainer(cfg Config, data *dataset.Set) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a, _ := ParseArch(cfg.Arch)
	if err := a.noGroups(cfg.Arch); err != nil {
		return nil, err
	}
	if a.InputSize() != data.ImageSize() {
		return nil, fmt.Errorf("train: architecture %s takes %d inputs but %s images are %d×%d×%d = %d values",
			cfg.Arch, a.InputSize(), data.Name, data.Channels, data.Rows, data.Cols, data.ImageSize())
	}
	if len(a.Input) == 3 && (a.Input[0] != data.Channels || a.Input[1] != data.Rows || a.Input[2] != data.Cols) {
		return nil, fmt.Errorf("train: architecture %s takes %d×%d×%d images (H×W×C) but %s images are %d×%d×%d",
			cfg.Arch, a.Input[1], a.Input[2], a.Input[0], data.Name, data.Rows, data.Cols, data.Channels)
	}
	if out := a.Outputs(); out < data.Classes {
		return nil, fmt.Errorf("train: architecture %s has %d outputs but %s has %d classes", cfg.Arch, out, data.Name, data.Classes)
	}
	tr := &Trainer{Cfg: cfg, Data: data, rng: newRNG(cfg.Seed)}
	tr.train = data.Train.Limit(cfg.LimitTrain, data.ImageSize())
	tr.Net = NewNetwork(a, cfg.Timesteps, float32(cfg.Decay), float32(cfg.Threshold), cfg.Method, cfg.Alpha, tr.rng)
	tr.opt = newOptimizer(cfg.Optimizer, cfg.Momentum, cfg.WeightDecay)
	tr.ws = tr.Net.newWorkspace(min(cfg.Batch, tr.train.N))
	tr.ws.dropP = float32(cfg.InputDropout)
	tr.ws.dropThr = pThreshold(1 - cfg.InputDropout)
	tr.ws.smooth = cfg.LabelSmoothing
	shift, flip, _ := ParseAugment(cfg.Augment)
	if shift > 0 || flip {
		tr.ws.aug = &augment{shift: shift, flip: flip, c: data.Channels, h: data.Rows, w: data.Cols}
	}
	return tr, nil
}

// StepsPerEpoch is the number of mini-batches in one epoch.
func (tr *Trainer) StepsPerEpoch() int { return (tr.train.N + tr.Cfg.Batch - 1) / tr.Cfg.Batch }

// TrainSamples is the number of training samples per epoch.
func (tr *Trainer) TrainSamples() int { return tr.train.N }

// ErrNaN is returned when the loss stops being finite.
var ErrNaN = errors.New("loss is not finite")

// TrainEpoch trains one epoch, then evaluates on the test split. progress,
// if not nil, is called after every batch. It stops at the next batch
// boundary when ctx is cancelled and returns ctx.Err(); the trainer is then
// left mid-epoch and should not be saved.
func (tr *Trainer) TrainEpoch(ctx context.Context, progress func(Progress)) (EpochStats, error) {
	cfg := &tr.Cfg
	e := tr.Epoch
	net, ws := tr.Net, tr.ws
	N := tr.train.N
	if cap(tr.perm) < N {
		tr.perm = make([]int, N)
	}
	perm := tr.perm[:N]
	for i := range perm {
		perm[i] = i
	}
	tr.rng.r.Shuffle(N, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
	p := cfg.NoiseP(e)
	ws.train = true
	ws.maskP = pThreshold(p)
	ws.alphas = make([]float32, len(net.LogAlpha))
	ws.invAlphas = make([]float32, len(net.LogAlpha))
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
				Acc: float64(correct) / float64(seen), SamplesPerSec: float64(seen) / trainDur.Seconds(), Alphas: net.Alphas()})
		}
	}
	evalStart := time.Now()
	acc := -1.0
	if !tr.SkipEval {
		acc = tr.Evaluate(tr.Data.Test)
	}
	st := EpochStats{
		Epoch: e + 1, Loss: lossSum / float64(max(seen, 1)), TrainAcc: float64(correct) / float64(max(seen, 1)),
		TestAcc: acc, SamplesPerSec: float64(seen) / trainDur.Seconds(), Alphas: net.Alphas(), P: p, LR: lr,
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
	net, ws, cfg := tr.Net, tr.ws, &tr.Cfg
	n := len(idx)
	for b, i := range idx {
		ws.labels[b] = tr.train.Labels[i]
	}
	for k, la := range net.LogAlpha {
		a := math.Exp(la)
		ws.alphas[k], ws.invAlphas[k] = float32(a), float32(1/a)
	}
	ws.maskSeed = tr.rng.r.Uint64()
	ws.n = n
	parallel(n, 4, func(lo, hi int) {
		net.loadInput(ws, tr.train.Images, idx, lo, hi)
		net.forward(ws, lo, hi)
		net.backward(ws, lo, hi)
	})
	var loss float64
	correct := 0
	for b := 0; b < n; b++ {
		loss += ws.loss[b]
		if int(ws.pred[b]) == int(ws.labels[b]) {
			correct++
		}
	}
	if !finite(loss) {
		return loss, correct
	}
	// α: ln α by Adam with its own rate; ∂L/∂ln α = α·∂L/∂α
	if net.Method == ASGL && cfg.AlphaLR > 0 {
		ga := make([]float64, len(net.LogAlpha))
		nl := len(ga)
		for b := 0; b < n; b++ {
			for k := range ga {
				ga[k] += ws.galpha[b*nl+k]
			}
		}
		for k := range ga {
			ga[k] *= math.Exp(net.LogAlpha[k])
		}
		tr.alphaOpt.update(net.LogAlpha, ga, cfg.AlphaLR*lr/cfg.LR)
	}
	tr.opt.begin(lr)
	tr.step(n)
	return loss, correct
}

// step accumulates the parameter gradients of the batch (n samples) block
// by block and applies the optimiser to each block as soon as it is done.
func (tr *Trainer) step(n int) {
	net, ws := tr.Net, tr.ws
	type task struct{ l, k int }
	var tasks []task
	for l, ly := range net.Layers {
		for k := 0; k < ly.GradBlocks(); k++ {
			tasks = append(tasks, task{l, k})
		}
	}
	parallel(len(tasks), 1, func(lo, hi int) {
		for _, t := range tasks[lo:hi] {
			ly := net.Layers[t.l]
			for _, sp := range ly.AccumGrad(t.k, ws.in[t.l], ws.gCur[t.l], n) {
				tr.opt.update(sp)
			}
			ly.Refresh(t.k)
		}
	})
}

// Evaluate returns the Θ-only accuracy of the trainer's network on split.
func (tr *Trainer) Evaluate(split dataset.Split) float64 {
	if tr.evalWS == nil {
		tr.evalWS = tr.Net.newWorkspace(256)
	}
	return tr.Net.evaluate(tr.evalWS, split, nil)
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
