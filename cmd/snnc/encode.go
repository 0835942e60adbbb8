package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/cochlea"
)

func init() { register(newEncodeCmd) }

func newEncodeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "encode",
		Short: "Encode your own recordings as spikes (audio: a cochlear front end)",
		Long: `encode turns recordings into spike sets with the same front ends that make
snnc's datasets.`,
		Example: `  snnc encode audio recordings/ -o mine.h5`,
	}
	cmd.AddCommand(newEncodeAudioCmd())
	return cmd
}

type encodeAudioReport struct {
	Output         string  `json:"output"`
	Files          int     `json:"files"`
	Channels       int     `json:"channels"`
	SpikesPerFile  float64 `json:"spikes_per_file"`
	SecondsPerFile float64 `json:"audio_seconds_per_file"`
}

func newEncodeAudioCmd() *cobra.Command {
	var (
		out           string
		p             = cochlea.DefaultParams(700)
		seed          uint64
		tick          time.Duration
		asJSON, quiet bool
	)
	cmd := &cobra.Command{
		Use:   "audio WAV_DIR",
		Short: "Encode 16-bit mono WAV files into cochlear spikes (SHD layout)",
		Long: `audio encodes every WAV file (16-bit PCM, mono, any sample rate) in WAV_DIR
with the cochlear front end of snnc data spoken-digits: a log-spaced
band-pass filterbank designed for the file's rate (--channels), half-wave
rectification and log compression, and a leaky integrate-and-fire neuron
per channel. Files directly in WAV_DIR get label 0; files in decimal
subfolders WAV_DIR/<label>/ get that label.

The output, written atomically with the recordings in name order, is an
HDF5 file in the SHD layout when FILE ends in .h5 (spikes/times in seconds,
spikes/units, labels), else snnc's compact spike-set file (times rounded to
--tick). A WAV file that is not 16-bit mono PCM is reported in one line
naming the file and the field.`,
		Example: `  snnc encode audio recordings/ -o mine.h5
  snnc encode audio digits/ --channels 16 -o xylo.spikes --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("encode audio takes one folder of WAV files, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("encode audio: -o FILE is required")
			}
			if tick <= 0 || tick > time.Second {
				return usagef("encode audio: --tick %v: want a duration in (0, 1s]", tick)
			}
			prog, done := progressLine(cmd.ErrOrStderr(), "encode audio", quiet)
			recs, err := cochlea.EncodeFolder(args[0], p, seed, prog)
			done()
			if err != nil {
				return err
			}
			sets := make([]events.SpikeSet, len(recs))
			rep := encodeAudioReport{Output: out, Files: len(recs), Channels: p.Channels}
			for i, r := range recs {
				sets[i] = r.Spikes
				rep.SpikesPerFile += float64(len(r.Spikes.Times)) / float64(len(recs))
				rep.SecondsPerFile += r.Seconds / float64(len(recs))
			}
			if err := cochlea.WriteSpikes(out, sets, p.Channels, tick.Seconds()); err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d recordings from %s, %d channels, %.0f spikes and %.2f s per recording\n",
				out, rep.Files, filepath.Clean(args[0]), rep.Channels, rep.SpikesPerFile, rep.SecondsPerFile)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&out, "output", "o", "", "output spike-set file")
	fl.IntVar(&p.Channels, "channels", p.Channels, "cochlear channels (700 as SHD, 16 as Xylo Audio)")
	fl.Uint64Var(&seed, "seed", 1, "random seed (initial membrane potentials)")
	fl.DurationVar(&tick, "tick", time.Microsecond, "time resolution of the written spike times")
	fl.BoolVar(&asJSON, "json", false, "print a JSON summary on stdout")
	fl.BoolVar(&quiet, "quiet", false, "no progress on stderr")
	return cmd
}
