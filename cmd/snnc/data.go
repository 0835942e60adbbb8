package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/cochlea"
	"github.com/snnc/snnc/ir/events/dvs"
	"github.com/snnc/snnc/ir/events/spoken"
)

func init() { register(newDataCmd) }

func newDataCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "data",
		Short: "Make event datasets: saccade MNIST (N-MNIST format) and spoken digits (SHD layout)",
		Long: `data makes event datasets here, in the formats of the published ones, so that
the same readers serve both:

  saccade-mnist   MNIST digits moved in N-MNIST's three saccades in front of a
                  simulated 34×34 DVS pixel array → N-MNIST .bin files
  spoken-digits   0–9 in English and German (20 classes) spoken by espeak-ng,
                  through a cochlear front end → SHD-layout HDF5 files

Everything is seeded (--seed) and deterministic.`,
		Example: `  snnc data saccade-mnist --data ~/mnist -o nmnist-sim
  snnc data spoken-digits -o spoken`,
	}
	cmd.AddCommand(newDataSaccadeCmd(), newDataSpokenCmd())
	return cmd
}

// progressLine returns a progress callback printing "what: done/total" to w
// (at most every 10% when w is not a terminal) and a function ending the line.
func progressLine(w io.Writer, what string, quiet bool) (func(done, total int), func()) {
	if quiet {
		return nil, func() {}
	}
	term := isTerminal(w)
	var mu sync.Mutex
	last := time.Time{}
	lastTenth := -1
	started := false
	return func(done, total int) {
			mu.Lock()
			defer mu.Unlock()
			started = true
			if term {
				if time.Since(last) > 100*time.Millisecond || done == total {
					fmt.Fprintf(w, "\r%s: %d/%d", what, done, total)
					last = time.Now()
				}
				return
			}
			if t := done * 10 / total; t != lastTenth {
				fmt.Fprintf(w, "%s: %d/%d\n", what, done, total)
				lastTenth = t
			}
		}, func() {
			if term && started {
				fmt.Fprintln(w)
			}
		}
}

type saccadeReport struct {
	Output        string  `json:"output"`
	Source        string  `json:"source"`
	Train         int     `json:"train"`
	Test          int     `json:"test"`
	Format        string  `json:"format"`
	EventsPerSamp float64 `json:"events_per_sample"`
	Seconds       float64 `json:"seconds"`
}

func newDataSaccadeCmd() *cobra.Command {
	var (
		data, out             string
		limitTrain, limitTest int
		seed                  uint64
		workers               int
		asJSON, quiet         bool
		format                string
		tick                  time.Duration
		p                     = dvs.DefaultParams()
	)
	cmd := &cobra.Command{
		Use:   "saccade-mnist",
		Short: "Record MNIST with a simulated DVS in N-MNIST's three saccades → N-MNIST files",
		Long: `saccade-mnist places each 28×28 digit in a 34×34 field and moves it along
N-MNIST's triangle of three 100 ms saccades in front of a simulated DVS pixel
array: each pixel compares its log intensity with the level at its last event
against a contrast threshold (mismatched per pixel), fires ON or OFF events,
is refractory after each, and adds background noise events.

The output (--format nmnist) is the N-MNIST layout, OUT/Train/<label>/<n>.bin
and OUT/Test/<label>/<n>.bin, 5-byte events with µs timestamps, each file
written as soon as its digit is recorded; with -o FILE.zip the same tree is
written as one zip archive (built in memory: for subsets). --format spikes
writes OUT/train.spikes and OUT/test.spikes, snnc's compact spike-set files
(unit = polarity·34·34 + y·34 + x, times rounded to --tick), as the embedded
subset is stored. Nothing is written unless every sample is. --data reads
MNIST IDX files (default: the embedded MNIST subset).`,
		Example: `  snnc data saccade-mnist --data ~/mnist -o nmnist-sim
  snnc data saccade-mnist --limit-train 500 --limit-test 100 -o subset.zip --json
  snnc data saccade-mnist --limit-train 200 --limit-test 50 --format spikes --tick 1ms -o subset`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("saccade-mnist: -o DIR is required")
			}
			if limitTrain < 0 || limitTest < 0 || workers < 1 {
				return usagef("saccade-mnist: --limit-train, --limit-test ≥ 0 and --workers ≥ 1")
			}
			if format != "nmnist" && format != "spikes" {
				return usagef("saccade-mnist: --format %q: want nmnist or spikes", format)
			}
			if tick <= 0 || tick > time.Second {
				return usagef("saccade-mnist: --tick %v: want a duration in (0, 1s]", tick)
			}
			mnist, err := dataset.LoadOrDefault(data)
			if err != nil {
				return err
			}
			if mnist.Channels != 1 {
				return fmt.Errorf("saccade-mnist: %s has %d channels; want grey images", mnist.Name, mnist.Channels)
			}
			digits := func(sp dataset.Split, limit int) dvs.Digits {
				sp = sp.Limit(limit, mnist.ImageSize())
				return dvs.Digits{N: sp.N, Rows: mnist.Rows, Cols: mnist.Cols, Pixels: sp.Images, Labels: sp.Labels}
			}
			start := time.Now()
			prog, done := progressLine(cmd.ErrOrStderr(), "saccade-mnist", quiet)
			train, test := digits(mnist.Train, limitTrain), digits(mnist.Test, limitTest)
			n, err := writeSaccade(out, format, tick, train, test, p, seed, workers, prog)
			done()
			if err != nil {
				return err
			}
			rep := saccadeReport{Output: out, Format: format, Source: mnist.Name, Train: train.N, Test: test.N,
				EventsPerSamp: float64(n) / float64(max(1, train.N+test.N)), Seconds: time.Since(start).Seconds()}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d train + %d test samples of %s, %.0f events per sample, in %.1fs\n",
				out, rep.Train, rep.Test, rep.Source, rep.EventsPerSamp, rep.Seconds)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&data, "data", "", "directory with MNIST IDX files (default: embedded MNIST subset)")
	fl.StringVarP(&out, "output", "o", "", "output folder (N-MNIST tree) or FILE.zip")
	fl.IntVar(&limitTrain, "limit-train", 0, "record only the first N training digits (0: all)")
	fl.IntVar(&limitTest, "limit-test", 0, "record only the first N test digits (0: all)")
	fl.Uint64Var(&seed, "seed", 1, "random seed (threshold mismatch, noise)")
	fl.IntVar(&workers, "workers", runtime.NumCPU(), "digits recorded in parallel (the result does not depend on it)")
	fl.StringVar(&format, "format", "nmnist", "nmnist (N-MNIST .bin tree, or a zip with -o FILE.zip) or spikes (compact spike-set files)")
	fl.DurationVar(&tick, "tick", time.Millisecond, "time resolution of --format spikes")
	fl.Float64Var(&p.Threshold, "threshold", p.Threshold, "contrast threshold θ (natural-log units)")
	fl.Float64Var(&p.Mismatch, "mismatch", p.Mismatch, "per-pixel standard deviation of θ")
	fl.Uint32Var(&p.Refractory, "refractory-us", p.Refractory, "pixel refractory time in µs")
	fl.Float64Var(&p.NoiseRate, "noise-hz", p.NoiseRate, "background noise events per pixel per second")
	fl.BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	fl.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	return cmd
}

// writeSaccade records the two splits into out in the chosen format and
// returns the number of events.
func writeSaccade(out, format string, tick time.Duration, train, test dvs.Digits, p dvs.Params, seed uint64, workers int, prog func(done, total int)) (int, error) {
	if format == "nmnist" && !strings.HasSuffix(out, ".zip") {
		return dvs.WriteSaccadeFolder(out, train, test, p, seed, workers, prog)
	}
	set, err := dvs.SaccadeSet("saccade-mnist", train, test, p, seed, workers, prog)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range append(set.Train[:len(set.Train):len(set.Train)], set.Test...) {
		n += len(s.Events)
	}
	if format == "nmnist" {
		b, err := events.EncodeZip(set)
		if err != nil {
			return 0, err
		}
		return n, ir.WriteFileAtomic(out, b, 0o644)
	}
	splits := &events.SpikeSplits{Channels: set.Sensor.Size()}
	if splits.Train, err = events.ToSpikeSets(set.Train, set.Sensor); err != nil {
		return 0, err
	}
	if splits.Test, err = events.ToSpikeSets(set.Test, set.Sensor); err != nil {
		return 0, err
	}
	return n, events.WriteTree(out, []string{events.SpikeTrainFile, events.SpikeTestFile}, func(tmp string) error {
		return events.WriteSpikeFiles(tmp, splits, tick.Seconds())
	})
}

type spokenReport struct {
	Output         string  `json:"output"`
	Train          int     `json:"train"`
	Test           int     `json:"test"`
	Classes        int     `json:"classes"`
	Channels       int     `json:"channels"`
	SpikesPerSamp  float64 `json:"spikes_per_sample"`
	SecondsPerSamp float64 `json:"audio_seconds_per_sample"`
	Seconds        float64 `json:"seconds"`
}

func newDataSpokenCmd() *cobra.Command {
	var (
		out           string
		cfg           = spoken.Config{Front: cochlea.DefaultParams(700)}
		tick          time.Duration
		format        string
		asJSON, quiet bool
	)
	cmd := &cobra.Command{
		Use:   "spoken-digits",
		Short: "Speak 0–9 in English and German with espeak-ng and encode them as cochlear spikes",
		Long: `spoken-digits makes an SHD-like dataset: the words zero…nine (labels 0–9) and
null…neun (labels 10–19) spoken by espeak-ng with many voices (English
dialects and German × voice variants), speeds and pitches, scaled, delayed
and mixed with white noise, then encoded by a cochlear front end: a
log-spaced band-pass filterbank (--channels, 700 as SHD, 16 as Xylo Audio),
half-wave rectification and log compression, and a leaky integrate-and-fire
neuron per channel. The test split holds out voice variants.

Needs espeak-ng (Debian: apt-get install espeak-ng). The output folder gets
train.h5 and test.h5 in the SHD layout (spikes/times in seconds, spikes/units,
labels, extra/keys = the words, extra/speaker = the voice variant), or with
--format spikes train.spikes and test.spikes (snnc's compact spike-set files,
times rounded to --tick, as the embedded subset is stored), and
utterances.jsonl, how each sample was made. Nothing is written unless every
file is.`,
		Example: `  snnc data spoken-digits -o spoken
  snnc data spoken-digits --channels 16 --train-per-class 40 --test-per-class 10 -o xylo-digits
  snnc data spoken-digits --train-per-class 30 --test-per-class 10 --format spikes --tick 1ms -o subset`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usagef("spoken-digits: -o DIR is required")
			}
			if cfg.Workers < 1 {
				return usagef("spoken-digits: --workers must be at least 1")
			}
			if format != spoken.FormatH5 && format != spoken.FormatSpikes {
				return usagef("spoken-digits: --format %q: want h5 or spikes", format)
			}
			if tick <= 0 || tick > time.Second {
				return usagef("spoken-digits: --tick %v: want a duration in (0, 1s]", tick)
			}
			start := time.Now()
			prog, done := progressLine(cmd.ErrOrStderr(), "spoken-digits", quiet)
			cfg.Progress = prog
			d, err := spoken.Generate(cmd.Context(), cfg)
			done()
			if err != nil {
				return err
			}
			if err := spoken.WriteFolder(out, d, format, tick.Seconds()); err != nil {
				return err
			}
			classes := spoken.Classes
			if cfg.Classes > 0 {
				classes = cfg.Classes
			}
			rep := spokenReport{Output: out, Train: len(d.Train), Test: len(d.Test), Classes: classes, Channels: d.Channels, Seconds: time.Since(start).Seconds()}
			for _, u := range append(d.Train[:len(d.Train):len(d.Train)], d.Test...) {
				rep.SpikesPerSamp += float64(len(u.Spikes.Times))
				rep.SecondsPerSamp += u.Seconds
			}
			rep.SpikesPerSamp /= float64(rep.Train + rep.Test)
			rep.SecondsPerSamp /= float64(rep.Train + rep.Test)
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d train + %d test utterances, %d classes, %d channels, %.0f spikes and %.2f s per utterance, in %.1fs\n",
				out, rep.Train, rep.Test, rep.Classes, rep.Channels, rep.SpikesPerSamp, rep.SecondsPerSamp, rep.Seconds)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "output folder")
	fl.IntVar(&cfg.TrainPerClass, "train-per-class", 200, "training utterances per class")
	fl.IntVar(&cfg.TestPerClass, "test-per-class", 50, "test utterances per class (held-out voices)")
	fl.IntVar(&cfg.Front.Channels, "channels", 700, "cochlear channels (700 as SHD, 16 as Xylo Audio)")
	fl.IntVar(&cfg.Classes, "classes", 0, "keep the first N words, labels 0..N-1 (0: all 20; 8 for XyloAudio 2's 8 readout neurons)")
	fl.StringVar(&format, "format", spoken.FormatH5, "h5 (SHD layout) or spikes (compact spike-set files)")
	fl.DurationVar(&tick, "tick", time.Microsecond, "time resolution of --format spikes")
	fl.Uint64Var(&cfg.Seed, "seed", 1, "random seed (voices, speeds, pitches, gains, noise, initial potentials)")
	fl.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "utterances made in parallel (the result does not depend on it)")
	fl.StringVar(&cfg.Espeak, "espeak", "", "espeak-ng executable (default: espeak-ng on PATH)")
	fl.BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	fl.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	return cmd
}
