// Package eventset turns event data into datasets of binned input spikes:
// the embedded spoken-digit and saccade-MNIST subsets by name, or a folder
// in the SHD layout (train.h5, test.h5), of spike files or an N-MNIST tree,
// each sample binned into T steps of dt seconds (events.BinSpikes). It is
// the one resolver of --data for event data: snnc train, simulate and
// energy read event datasets through it.
package eventset

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/dvs"
	"github.com/snnc/snnc/ir/events/shd"
	"github.com/snnc/snnc/ir/events/spoken"
)

// Bin bins a dataset of spike sets (SHD layout, or an event camera's
// streams as spike sets) into a training set of T steps of dt seconds per
// sample: each sample holds T·Channels bytes, 1 where the channel spiked
// in the step (events.BinSpikes). shape is the input's [C,H,W] (nil: one
// row of Channels). Labels must be below 256.
func Bin(name string, d *events.SpikeSplits, shape []int, T int, dt float64) (*dataset.Set, error) {
	if T <= 0 || !(dt > 0) || math.IsInf(dt, 0) {
		return nil, fmt.Errorf("eventset: %s: binning into %d steps of %g s: want positive steps and step length", name, T, dt)
	}
	if shape == nil {
		shape = []int{1, 1, d.Channels}
	}
	if len(shape) != 3 || shape[0]*shape[1]*shape[2] != d.Channels {
		return nil, fmt.Errorf("eventset: %s: input shape %v does not hold its %d channels", name, shape, d.Channels)
	}
	set := &dataset.Set{Name: name, Channels: shape[0], Rows: shape[1], Cols: shape[2], Steps: T}
	buf := make([]float32, T*d.Channels)
	for _, sp := range []struct {
		dst  *dataset.Split
		sets []events.SpikeSet
		what string
	}{{&set.Train, d.Train, "train"}, {&set.Test, d.Test, "test"}} {
		sp.dst.N = len(sp.sets)
		sp.dst.Images = make([]uint8, len(sp.sets)*T*d.Channels)
		sp.dst.Labels = make([]uint8, len(sp.sets))
		for i := range sp.sets {
			s := &sp.sets[i]
			if s.Label < 0 || s.Label > 255 {
				return nil, fmt.Errorf("eventset: %s: %s sample %d: label %d is outside 0..255", name, sp.what, i, s.Label)
			}
			if len(s.Times) != len(s.Units) {
				return nil, fmt.Errorf("eventset: %s: %s sample %d: %d times but %d units", name, sp.what, i, len(s.Times), len(s.Units))
			}
			for _, u := range s.Units {
				if int(u) >= d.Channels {
					return nil, fmt.Errorf("eventset: %s: %s sample %d: unit %d of %d channels", name, sp.what, i, u, d.Channels)
				}
			}
			events.BinSpikes(buf, s, d.Channels, T, dt)
			dst := sp.dst.Images[i*T*d.Channels : (i+1)*T*d.Channels]
			for k, v := range buf {
				dst[k] = uint8(v)
			}
			sp.dst.Labels[i] = uint8(s.Label)
			set.Classes = max(set.Classes, s.Label+1)
		}
	}
	return set, nil
}

// The event datasets Load knows by name.
const (
	// Spoken is the embedded spoken-digit subset (700 channels, 20 classes).
	Spoken = "spoken"
	// Saccade is the embedded saccade-MNIST subset (2×34×34, 10 classes).
	Saccade = "saccade"
)

// Is reports whether spec names an event dataset Load reads: Spoken,
// Saccade, or a folder holding train.h5, train.spikes or an N-MNIST tree
// (Train/). Anything else is left to the image loaders (IDX).
func Is(spec string) bool {
	if spec == Spoken || spec == Saccade {
		return true
	}
	for _, name := range []string{"train.h5", events.SpikeTrainFile, "Train"} {
		if _, err := os.Stat(filepath.Join(spec, name)); spec != "" && err == nil {
			return true
		}
	}
	return false
}

// LoadOrImages loads spec as an event dataset binned into T steps of dt
// seconds when Is(spec), else as an IDX image dataset (the embedded MNIST
// subset for "", see dataset.LoadOrDefault). Every command that reads
// --data resolves it here.
func LoadOrImages(spec string, T int, dt float64) (*dataset.Set, error) {
	if Is(spec) {
		return Load(spec, T, dt)
	}
	return dataset.LoadOrDefault(spec)
}

// Load loads an event dataset and bins it into T steps of dt
// seconds (dt ≤ 0: the longest sample's duration divided by T). spec is
// Spoken, Saccade, or a folder holding train.h5 and test.h5
// (the SHD layout), train.spikes and test.spikes, or an N-MNIST tree
// (Train/<label>/*.bin, Test/…, 34×34 pixels, 2 polarities).
func Load(spec string, T int, dt float64) (*dataset.Set, error) {
	var (
		d     *events.SpikeSplits
		shape []int
		name  = spec
		err   error
	)
	switch spec {
	case Spoken:
		d, err = spoken.Embedded()
		name = spoken.EmbeddedName
	case Saccade:
		var es *events.Set
		if es, err = dvs.Embedded(); err == nil {
			d, shape, err = spikeSplitsOf(es)
			name = es.Name
		}
	default:
		d, shape, err = readEventFolder(spec)
	}
	if err != nil {
		return nil, fmt.Errorf("eventset: %w", err)
	}
	if dt <= 0 {
		dt = longestSample(d) / float64(T)
		if !(dt > 0) {
			return nil, fmt.Errorf("eventset: %s: no spikes to set the step length from; give --dt", name)
		}
	}
	return Bin(name, d, shape, T, dt)
}

// readEventFolder reads the SHD layout (train.h5, test.h5), spike files or
// an N-MNIST tree from dir.
func readEventFolder(dir string) (*events.SpikeSplits, []int, error) {
	exists := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	switch {
	case exists("train.h5"):
		tr, err := shd.ReadFile(filepath.Join(dir, "train.h5"))
		if err != nil {
			return nil, nil, err
		}
		te, err := shd.ReadFile(filepath.Join(dir, "test.h5"))
		if err != nil {
			return nil, nil, err
		}
		return &events.SpikeSplits{Channels: max(tr.Channels(), te.Channels()), Train: tr.Sets, Test: te.Sets}, nil, nil
	case exists(events.SpikeTrainFile):
		d, err := events.ReadSpikeFolder(dir)
		return d, nil, err
	case exists("Train"):
		es, err := events.ReadFolder(dir, dvs.DefaultParams().Sensor())
		if err != nil {
			return nil, nil, err
		}
		return spikeSplitsOf(es)
	}
	return nil, nil, fmt.Errorf("%s: not an event dataset: want train.h5 and test.h5, train.spikes and test.spikes, or an N-MNIST tree (Train/, Test/)", dir)
}

// spikeSplitsOf turns an event-camera set into spike sets (unit =
// polarity·H·W + y·W + x) and its [C,H,W] shape.
func spikeSplitsOf(es *events.Set) (*events.SpikeSplits, []int, error) {
	tr, err := events.ToSpikeSets(es.Train, es.Sensor)
	if err != nil {
		return nil, nil, err
	}
	te, err := events.ToSpikeSets(es.Test, es.Sensor)
	if err != nil {
		return nil, nil, err
	}
	shape := es.Sensor.Shape()
	if len(shape) != 3 {
		shape = nil // a channel stream: one row
	}
	return &events.SpikeSplits{Channels: es.Sensor.Size(), Train: tr, Test: te}, shape, nil
}

// longestSample is the latest spike time of any sample, in seconds.
func longestSample(d *events.SpikeSplits) float64 {
	var end float64
	for _, sets := range [][]events.SpikeSet{d.Train, d.Test} {
		for i := range sets {
			for _, t := range sets[i].Times {
				if float64(t) > end && !math.IsInf(float64(t), 0) {
					end = float64(t)
				}
			}
		}
	}
	return end
}
