package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/events/eventset"
)

// temporalFlags are snnc train's flags for temporal networks and event data.
type temporalFlags struct {
	dt             time.Duration
	reset, readout string
}

func addTemporalFlags(fl *pflag.FlagSet, f *trainFlags) {
	fl.DurationVar(&f.temporal.dt, "dt", 0, "event data: the length of one time step (default: the longest sample over --timesteps)")
	fl.Float64Var(&f.cfg.CurrentDecay, "current-decay", 0, "β_c = 1 − 1/τ_syn of the synaptic current (0: the seed's neuron)")
	fl.StringVar(&f.temporal.reset, "reset", "zero", "reset after a spike: zero, subtract, or subtract-multi (subtract, with up to 31 spikes per step as Xylo's neurons)")
	fl.StringVar(&f.temporal.readout, "readout", "mean-current", "readout: mean-current, max-potential or spike-count")
}

// parseTemporalFlags sets the reset and readout of f.cfg.
func parseTemporalFlags(f *trainFlags) error {
	switch f.temporal.reset {
	case "zero":
		f.cfg.Reset = ir.ResetZero
	case "subtract":
		f.cfg.Reset = ir.ResetSubtract
	case "subtract-multi":
		f.cfg.Reset = ir.ResetSubtractMulti
	default:
		return usagef("--reset: must be zero, subtract or subtract-multi, got %q", f.temporal.reset)
	}
	for _, k := range []ir.ReadoutKind{ir.ReadoutMeanCurrent, ir.ReadoutMaxPotential, ir.ReadoutSpikeCount} {
		if k.String() == f.temporal.readout {
			f.cfg.Readout = k
			return nil
		}
	}
	return usagef("--readout: must be mean-current, max-potential or spike-count, got %q", f.temporal.readout)
}

// loadTrainData loads --data: an event dataset (spoken, saccade, or a
// folder of SHD .h5 files, spike files or an N-MNIST tree) binned into
// --timesteps steps of --dt, else an IDX image dataset (eventset.LoadOrImages).
func loadTrainData(f *trainFlags) (*dataset.Set, error) {
	if err := parseTemporalFlags(f); err != nil {
		return nil, err
	}
	return eventset.LoadOrImages(f.data, f.cfg.Timesteps, f.temporal.dt.Seconds())
}
