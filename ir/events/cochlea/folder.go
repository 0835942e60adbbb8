package cochlea

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/shd"
)

// Recording is one encoded WAV file.
type Recording struct {
	// File is the WAV file's path.
	File string
	// Seconds is the audio's length.
	Seconds float64
	Spikes  events.SpikeSet
}

// EncodeFolder encodes every .wav file in dir (label 0) and in its decimal
// label subfolders dir/<label>/*.wav (that label), in name order. The front
// end is designed once per sample rate met. Recording i's initial potentials
// come from (seed + i). progress, when not nil, is called after each file.
// A folder with no .wav file is an error; so is a subfolder whose name is
// not a label.
func EncodeFolder(dir string, p Params, seed uint64, progress func(done, total int)) ([]Recording, error) {
	type job struct {
		file  string
		label int
	}
	var jobs []job
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cochlea: %w", err)
	}
	isWAV := func(name string) bool { return strings.EqualFold(filepath.Ext(name), ".wav") }
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, "."):
		case e.IsDir():
			label, err := strconv.Atoi(name)
			if err != nil || label < 0 || label >= 1<<16 || strconv.Itoa(label) != name {
				return nil, fmt.Errorf("cochlea: %s: %q is not a label folder (a decimal number)", dir, name)
			}
			sub, err := os.ReadDir(filepath.Join(dir, name))
			if err != nil {
				return nil, fmt.Errorf("cochlea: %w", err)
			}
			for _, f := range sub {
				if !f.IsDir() && isWAV(f.Name()) {
					jobs = append(jobs, job{filepath.Join(dir, name, f.Name()), label})
				}
			}
		case isWAV(name):
			jobs = append(jobs, job{filepath.Join(dir, name), 0})
		}
	}
	if len(jobs) == 0 {
		return nil, fmt.Errorf("cochlea: %s: no .wav files (want DIR/*.wav or DIR/<label>/*.wav)", dir)
	}
	sort.SliceStable(jobs, func(a, b int) bool { return jobs[a].file < jobs[b].file })
	encoders := map[int]*Encoder{}
	out := make([]Recording, len(jobs))
	for i, j := range jobs {
		a, err := ReadWAV(j.file)
		if err != nil {
			return nil, err
		}
		e := encoders[a.Rate]
		if e == nil {
			if e, err = NewEncoder(p, a.Rate); err != nil {
				return nil, fmt.Errorf("cochlea: %s: %w", j.file, err)
			}
			encoders[a.Rate] = e
		}
		s, err := e.Encode(a, j.label, seed+uint64(i))
		if err != nil {
			return nil, fmt.Errorf("cochlea: %s: %w", j.file, err)
		}
		out[i] = Recording{File: j.file, Seconds: a.Duration(), Spikes: s}
		if progress != nil {
			progress(i+1, len(jobs))
		}
	}
	return out, nil
}

// WriteSpikes writes spike sets to path atomically: in the SHD layout when
// path ends in .h5 (see package shd), else as snnc's compact spike-set file
// with times rounded to tick seconds.
func WriteSpikes(path string, sets []events.SpikeSet, channels int, tick float64) error {
	if strings.EqualFold(filepath.Ext(path), ".h5") {
		return shd.WriteFile(path, &shd.File{Sets: sets})
	}
	b, err := events.EncodeSpikeSets(sets, channels, tick)
	if err != nil {
		return err
	}
	return ir.WriteFileAtomic(path, b, 0o644)
}
