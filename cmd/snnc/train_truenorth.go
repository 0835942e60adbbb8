package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/train"
)

// trainTargetHelp documents --target for snnc train's help.
const trainTargetHelp = `train inside a chip's limits: "truenorth" trains grouped trinary IF layers
(fan-in ≤ 128 sources on two typed axons each, per-neuron 9-bit weights and leaks,
γ = 1, rate-coded spike input, host-side readout) that snnc compile --target truenorth maps exactly;
--arch 784-1024-1024-10 (default) or an image with grouped convolutions, EEDN style:
28x28x1-16c5s2-64c3g4-10 (conv kernels trinary per output channel, p2 pooling allowed);
MODEL.ckpt and --resume as without --target (a checkpoint resumes only with its own target);
--sweep-alpha is not supported`

// interruptAfterEnv, for tests, names an epoch after whose checkpoint
// snnc train --target truenorth behaves as if interrupted (Ctrl-C).
const interruptAfterEnv = "SNNC_TRAIN_INTERRUPT_AFTER_EPOCH"

// runTrainTrueNorth is snnc train --target truenorth: the grouped, trinary,
// integrate-and-fire network of train.TrueNorthTrainer, frozen with
// provenance target "truenorth". As without --target, MODEL.ckpt is written
// after every epoch and --resume continues from it.
func runTrainTrueNorth(cmd *cobra.Command, f *trainFlags, data *dataset.Set) error {
	if f.sweep != "" {
		return usagef("--sweep-alpha: not supported with --target truenorth (the sweep compares float asgl and sg runs; train one width per run with --alpha)")
	}
	cfg := f.cfg
	if !cmd.Flags().Changed("arch") {
		cfg.Arch = fmt.Sprintf("%d-1024-1024-%d", data.ImageSize(), max(10, data.Classes))
	}
	if !cmd.Flags().Changed("timesteps") {
		cfg.Timesteps = 8
	}
	if cmd.Flags().Changed("decay") && cfg.Decay != 1 {
		return usagef("--decay: TrueNorth has a linear leak only; --target truenorth trains γ = 1")
	}
	ckpt, metrics := f.out+".ckpt", f.out+".metrics.jsonl"
	var tr *train.TrueNorthTrainer
	var err error
	if f.resume {
		tr, err = train.ResumeTrueNorthTrainer(ckpt, cfg, data)
	} else {
		tr, err = train.NewTrueNorthTrainer(cfg, data)
	}
	if err != nil {
		var ce *train.ConfigError
		if errors.As(err, &ce) {
			return usagef("--%s: %s", ce.Field, ce.Msg)
		}
		return err
	}
	stderr := cmd.ErrOrStderr()
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	interruptAfter := -1
	if v := os.Getenv(interruptAfterEnv); v != "" {
		if interruptAfter, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("%s=%q: not an epoch number", interruptAfterEnv, v)
		}
	}
	start := time.Now()
	if !f.quiet {
		resumed := ""
		if f.resume {
			resumed = fmt.Sprintf(", resumed after epoch %d", tr.Epoch)
		}
		fmt.Fprintf(stderr, "training %s for truenorth on %s (%d samples, T=%d, rate-coded input, %s, adam lr %g, batch %d) for %d epochs%s\n",
			cfg.Arch, data.Name, tr.TrainSamples(), cfg.Timesteps, cfg.Method, cfg.LR, cfg.Batch, cfg.Epochs, resumed)
	}
	// a fresh run starts a fresh metrics log with its first epoch; a
	// resumed run appends to it
	freshLog := !f.resume
	useBar := !f.quiet && isTerminal(stderr)
	for tr.Epoch < cfg.Epochs {
		finish := func() {}
		tr.Progress = nil
		if useBar {
			tr.Progress, finish = epochBar(stderr, tr.StepsPerEpoch(), tr.Epoch+1, cfg.Epochs)
		}
		st, err := tr.TrainEpoch(ctx)
		finish()
		if err != nil {
			if errors.Is(err, context.Canceled) {
				if tr.Epoch == 0 {
					return fmt.Errorf("train: interrupted in epoch 1, nothing written: %w", err)
				}
				return fmt.Errorf("train: interrupted in epoch %d; %s holds epoch %d (continue with --resume): %w", tr.Epoch+1, ckpt, tr.Epoch, err)
			}
			return err
		}
		fmt.Fprintf(stderr, "epoch %d/%d  loss %.4f  train %.2f%%  test %.2f%%  α %s  p %.3g  lr %.3g  %.1fs\n",
			st.Epoch, cfg.Epochs, st.Loss, 100*st.TrainAcc, 100*st.TestAcc, fmtAlphas(st.Alphas), st.P, st.LR, st.TrainSeconds+st.EvalSeconds)
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
	alphas := tr.Net.Alphas()
	prov := &ir.Provenance{Method: ir.MethodASGL, NoiseP: float32(cfg.NoiseP(max(tr.Epoch-1, 0))), NoiseZeta: float32(cfg.Zeta),
		Milestones: cfg.Milestones, Dataset: data.Name, Epochs: tr.Epoch, Seed: cfg.Seed, TestAccuracy: float32(acc), ToolVersion: version}
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
	if err := ir.WriteFile(f.out, train.FreezeTrueNorth(tr.Net, prov)); err != nil {
		return err
	}
	var trainSec float64
	for _, h := range tr.History {
		trainSec += h.TrainSeconds
	}
	if f.asJSON {
		return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
			"model": f.out, "target": "truenorth", "test_acc": acc, "epochs": tr.Epoch, "alphas": alphas,
			"method": cfg.Method.String(), "dataset": data.Name, "arch": cfg.Arch, "timesteps": cfg.Timesteps,
			"seed": cfg.Seed, "wall_seconds": time.Since(start).Seconds(), "train_seconds": trainSec, "checkpoint": ckpt, "metrics": metrics,
		})
	}
	fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (target truenorth): test accuracy %.2f%% (float, Θ only) after %d epochs, %.0fs training, α %s\n",
		f.out, 100*acc, tr.Epoch, trainSec, fmtAlphas(alphas))
	return nil
}
