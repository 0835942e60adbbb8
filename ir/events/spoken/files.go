package spoken

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/shd"
)

// UtterancesFile is written beside the spike files: how each sample was made.
const UtterancesFile = "utterances.jsonl"

// EmbeddedName names the embedded subset.
const EmbeddedName = "spoken-digits-subset (embedded)"

// The embedded subset: 30 train and 10 test utterances per class, 700
// channels, spike times rounded to 1 ms, seed 1 (2.3 MB). Regenerate it
// (needs espeak-ng; about 2 CPU-minutes) with
//
//	go run ./cmd/snnc data spoken-digits --train-per-class 30 --test-per-class 10 \
//	    --channels 700 --format spikes --tick 1ms --seed 1 -o DIR
//
// and copy DIR/train.spikes and DIR/test.spikes into ir/events/spoken/embedded.
//
//go:embed embedded/train.spikes embedded/test.spikes
var embedded embed.FS

// Embedded returns the embedded subset.
func Embedded() (*events.SpikeSplits, error) {
	sub, err := fs.Sub(embedded, "embedded")
	if err != nil {
		return nil, fmt.Errorf("spoken: embedded: %w", err)
	}
	d, err := events.ReadSpikeFiles(sub)
	if err != nil {
		return nil, fmt.Errorf("spoken: embedded subset: %w", err)
	}
	return d, nil
}

// utteranceLine is one line of utterances.jsonl: how a sample was made.
type utteranceLine struct {
	Split   string  `json:"split"`
	Index   int     `json:"index"`
	Label   int     `json:"label"`
	Word    string  `json:"word"`
	Voice   string  `json:"voice"`
	Speed   int     `json:"speed_wpm"`
	Pitch   int     `json:"pitch"`
	Gain    float64 `json:"gain"`
	DelayS  float64 `json:"delay_s"`
	SNRdB   float64 `json:"snr_db"`
	Seconds float64 `json:"seconds"`
	Spikes  int     `json:"spikes"`
}

// SpikeSplits returns the dataset's spike sets.
func (d *Dataset) SpikeSplits() *events.SpikeSplits {
	s := &events.SpikeSplits{Channels: d.Channels}
	for _, u := range d.Train {
		s.Train = append(s.Train, u.Spikes)
	}
	for _, u := range d.Test {
		s.Test = append(s.Test, u.Spikes)
	}
	return s
}

// Output formats of WriteFolder.
const (
	// FormatH5 is the SHD layout: train.h5 and test.h5.
	FormatH5 = "h5"
	// FormatSpikes is snnc's compact spike-set files: train.spikes and
	// test.spikes.
	FormatSpikes = "spikes"
)

// SHD-layout file names of WriteFolder.
const (
	TrainH5 = "train.h5"
	TestH5  = "test.h5"
)

// Speaker is the speaker id of a voice in the SHD layout's extra/speaker:
// the index of its variant in TrainVariants followed by TestVariants (-1 for
// a variant in neither).
func Speaker(voice string) int {
	v := voice
	if i := strings.LastIndexByte(voice, '+'); i >= 0 {
		v = voice[i+1:]
	}
	for i, name := range append(append([]string{}, TrainVariants...), TestVariants...) {
		if name == v {
			return i
		}
	}
	return -1
}

// SHD returns a split in the SHD layout: spike sets, the words as
// extra/keys and the voices' Speaker ids as extra/speaker.
func SHD(split []Utterance) *shd.File {
	f := &shd.File{Keys: Words[:], Sets: make([]events.SpikeSet, len(split)), Speakers: make([]int, len(split))}
	for i, u := range split {
		f.Sets[i], f.Speakers[i] = u.Spikes, max(0, Speaker(u.Voice))
	}
	return f
}

// WriteFolder writes d into dir in the given format — FormatH5: train.h5 and
// test.h5 in the SHD layout (float32 times); FormatSpikes: train.spikes and
// test.spikes with times rounded to tick seconds (events.ReadSpikeFolder
// reads them) — and utterances.jsonl (one JSON line per sample saying how it
// was made), through events.WriteTree: nothing half-written; dir may exist
// but must not hold these files yet.
func WriteFolder(dir string, d *Dataset, format string, tick float64) error {
	var names []string
	switch format {
	case FormatH5:
		names = []string{TrainH5, TestH5}
	case FormatSpikes:
		names = []string{events.SpikeTrainFile, events.SpikeTestFile}
	default:
		return fmt.Errorf("spoken: format %q: want %s or %s", format, FormatH5, FormatSpikes)
	}
	return events.WriteTree(dir, append(names, UtterancesFile), func(tmp string) error {
		if format == FormatSpikes {
			if err := events.WriteSpikeFiles(tmp, d.SpikeSplits(), tick); err != nil {
				return fmt.Errorf("spoken: write %s: %w", dir, err)
			}
		} else {
			for i, split := range [][]Utterance{d.Train, d.Test} {
				b, err := shd.Encode(SHD(split))
				if err != nil {
					return fmt.Errorf("spoken: write %s: %w", dir, err)
				}
				if err := os.WriteFile(filepath.Join(tmp, names[i]), b, 0o644); err != nil {
					return fmt.Errorf("spoken: write %s: %w", dir, err)
				}
			}
		}
		var jsonl bytes.Buffer
		enc := json.NewEncoder(&jsonl)
		for i, split := range [][]Utterance{d.Train, d.Test} {
			for j, u := range split {
				enc.Encode(utteranceLine{Split: []string{"train", "test"}[i], Index: j, Label: u.Label, Word: u.Word, Voice: u.Voice,
					Speed: u.Speed, Pitch: u.Pitch, Gain: u.Gain, DelayS: u.DelayS, SNRdB: u.SNRdB, Seconds: u.Seconds, Spikes: len(u.Spikes.Times)})
			}
		}
		if err := os.WriteFile(filepath.Join(tmp, UtterancesFile), jsonl.Bytes(), 0o644); err != nil {
			return fmt.Errorf("spoken: write %s: %w", dir, err)
		}
		return nil
	})
}
