package spoken

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/snnc/snnc/ir/events"
)

// File names inside a spoken-digit folder.
const (
	TrainFile      = "train.spikes"
	TestFile       = "test.spikes"
	UtterancesFile = "utterances.jsonl"
)

// EmbeddedName names the embedded subset.
const EmbeddedName = "spoken-digits-subset (embedded)"

// The embedded subset: 30 train and 10 test utterances per class, 700
// channels, spike times rounded to 1 ms, seed 1. Regenerate it (needs
// espeak-ng) with
//
//	go run ./cmd/snnc data spoken-digits --train-per-class 30 --test-per-class 10 \
//	    --channels 700 --tick 1ms --seed 1 -o ir/events/spoken/embedded
//
//go:embed embedded/train.spikes embedded/test.spikes
var embedded embed.FS

// Split is one split of a spike-set dataset.
type Split struct {
	Channels int
	Sets     []events.SpikeSet
}

// Embedded returns the embedded subset's train and test splits.
func Embedded() (train, test *Split, err error) {
	read := func(name string) (*Split, error) {
		b, err := embedded.ReadFile("embedded/" + name)
		if err != nil {
			return nil, fmt.Errorf("spoken: embedded %s: %w", name, err)
		}
		sets, ch, err := events.DecodeSpikeSets(b)
		if err != nil {
			return nil, fmt.Errorf("spoken: embedded %s: %w", name, err)
		}
		return &Split{Channels: ch, Sets: sets}, nil
	}
	if train, err = read(TrainFile); err != nil {
		return nil, nil, err
	}
	if test, err = read(TestFile); err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// ReadFolder reads train.spikes and test.spikes from dir. Errors name the
// file.
func ReadFolder(dir string) (train, test *Split, err error) {
	read := func(name string) (*Split, error) {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("spoken: %w", err)
		}
		sets, ch, err := events.DecodeSpikeSets(b)
		if err != nil {
			var fe *events.FormatError
			if errors.As(err, &fe) {
				fe.File = p
			}
			return nil, err
		}
		return &Split{Channels: ch, Sets: sets}, nil
	}
	if train, err = read(TrainFile); err != nil {
		return nil, nil, err
	}
	if test, err = read(TestFile); err != nil {
		return nil, nil, err
	}
	if train.Channels != test.Channels {
		return nil, nil, fmt.Errorf("spoken: %s: train has %d channels, test %d", dir, train.Channels, test.Channels)
	}
	return train, test, nil
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

// WriteFolder writes d into dir as train.spikes, test.spikes (spike times
// rounded to tick seconds) and utterances.jsonl (one JSON line per sample
// saying how it was made). The files are written into a temporary folder
// beside dir and moved in only when all are written; dir may exist but must
// not hold them already.
func WriteFolder(dir string, d *Dataset, tick float64) (err error) {
	names := []string{TrainFile, TestFile, UtterancesFile}
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return fmt.Errorf("spoken: write %s: %s already exists; choose an empty folder", dir, filepath.Join(dir, n))
		}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("spoken: write %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(dir))+".tmp-*")
	if err != nil {
		return fmt.Errorf("spoken: write %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	var jsonl bytes.Buffer
	enc := json.NewEncoder(&jsonl)
	for i, split := range [][]Utterance{d.Train, d.Test} {
		sets := make([]events.SpikeSet, len(split))
		for j, u := range split {
			sets[j] = u.Spikes
			enc.Encode(utteranceLine{Split: []string{"train", "test"}[i], Index: j, Label: u.Label, Word: u.Word, Voice: u.Voice,
				Speed: u.Speed, Pitch: u.Pitch, Gain: u.Gain, DelayS: u.DelayS, SNRdB: u.SNRdB, Seconds: u.Seconds, Spikes: len(u.Spikes.Times)})
		}
		b, err := events.EncodeSpikeSets(sets, d.Channels, tick)
		if err != nil {
			return fmt.Errorf("spoken: write %s: %w", dir, err)
		}
		if err := os.WriteFile(filepath.Join(tmp, names[i]), b, 0o644); err != nil {
			return fmt.Errorf("spoken: write %s: %w", dir, err)
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, UtterancesFile), jsonl.Bytes(), 0o644); err != nil {
		return fmt.Errorf("spoken: write %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("spoken: write %s: %w", dir, err)
	}
	for _, n := range names {
		if err := os.Rename(filepath.Join(tmp, n), filepath.Join(dir, n)); err != nil {
			return fmt.Errorf("spoken: write %s: %w", dir, err)
		}
	}
	return nil
}
