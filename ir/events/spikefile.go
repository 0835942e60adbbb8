package events

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// The spike-set file is snnc's own compact container for SpikeSets, used
// for the embedded spoken-digit subset and, until the HDF5 writer lands, for
// generated spoken digits. It is gzip-compressed; inside:
//
//	"SNNCSPK1"                      magic, 8 bytes
//	uvarint channels                units are below this
//	uvarint tick                    time resolution in nanoseconds
//	uvarint samples
//	per sample:
//	  uvarint label
//	  uvarint spikes
//	  per spike, sorted by (time, unit):
//	    uvarint Δtick               ticks since the previous spike
//	    uvarint unit or Δunit       Δunit when Δtick = 0 (units ascend), else the unit
//
// Times are rounded to whole ticks on writing.
const spikeMagic = "SNNCSPK1"

// maxSpikeFileBytes bounds the decompressed size of a spike-set file.
const maxSpikeFileBytes = 1 << 30

// EncodeSpikeSets writes sets in the spike-set format with time resolution
// tick seconds (e.g. 1e-6). Every unit must be below channels.
func EncodeSpikeSets(sets []SpikeSet, channels int, tick float64) ([]byte, error) {
	if channels < 1 || channels > 1<<16 || !(tick >= 1e-9 && tick <= 1) {
		return nil, fmt.Errorf("events: spike sets with %d channels and a %g s tick", channels, tick)
	}
	tickNS := uint64(math.Round(tick * 1e9))
	var raw []byte
	raw = append(raw, spikeMagic...)
	raw = binary.AppendUvarint(raw, uint64(channels))
	raw = binary.AppendUvarint(raw, tickNS)
	raw = binary.AppendUvarint(raw, uint64(len(sets)))
	type spike struct {
		tick uint64
		unit uint16
	}
	var sp []spike
	for i, s := range sets {
		if len(s.Times) != len(s.Units) || s.Label < 0 {
			return nil, fmt.Errorf("events: spike set %d: %d times, %d units, label %d", i, len(s.Times), len(s.Units), s.Label)
		}
		sp = sp[:0]
		for j, t := range s.Times {
			tk := math.Round(float64(t) * 1e9 / float64(tickNS))
			if !(tk >= 0 && tk < 1<<53) || int(s.Units[j]) >= channels {
				return nil, fmt.Errorf("events: spike set %d spike %d: time %g s, unit %d of %d channels", i, j, t, s.Units[j], channels)
			}
			sp = append(sp, spike{uint64(tk), s.Units[j]})
		}
		slices.SortFunc(sp, func(a, b spike) int {
			if c := cmp.Compare(a.tick, b.tick); c != 0 {
				return c
			}
			return cmp.Compare(a.unit, b.unit)
		})
		raw = binary.AppendUvarint(raw, uint64(s.Label))
		raw = binary.AppendUvarint(raw, uint64(len(sp)))
		var lastTick uint64
		var lastUnit uint16
		for j, x := range sp {
			d := x.tick - lastTick
			raw = binary.AppendUvarint(raw, d)
			if d == 0 && j > 0 {
				raw = binary.AppendUvarint(raw, uint64(x.unit-lastUnit))
			} else {
				raw = binary.AppendUvarint(raw, uint64(x.unit))
			}
			lastTick, lastUnit = x.tick, x.unit
		}
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(raw)
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeSpikeSets reads a spike-set file. It never panics, never reads
// outside its input and allocates no more than the data can justify; errors
// are *FormatError (File empty).
func DecodeSpikeSets(b []byte) (sets []SpikeSet, channels int, err error) {
	defer func() {
		if p := recover(); p != nil {
			decodePanics.Add(1)
			sets, channels, err = nil, 0, &FormatError{Err: ErrRange, Detail: fmt.Sprintf("internal decoder error: %v", p)}
		}
	}()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, 0, &FormatError{Field: "gzip", Err: ErrLayout, Detail: err.Error()}
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxSpikeFileBytes+1))
	if err != nil {
		return nil, 0, &FormatError{Field: "gzip", Err: ErrTruncated, Detail: err.Error()}
	}
	if len(raw) > maxSpikeFileBytes {
		return nil, 0, &FormatError{Field: "gzip", Err: ErrRange, Detail: fmt.Sprintf("more than %d bytes uncompressed", maxSpikeFileBytes)}
	}
	return decodeSpikeSets(raw)
}

// decodeSpikeSetsSafe decodes the uncompressed layer with DecodeSpikeSets'
// panic guard (for the fuzz test).
func decodeSpikeSetsSafe(raw []byte) (sets []SpikeSet, channels int, err error) {
	defer func() {
		if p := recover(); p != nil {
			decodePanics.Add(1)
			sets, channels, err = nil, 0, &FormatError{Err: ErrRange, Detail: fmt.Sprintf("internal decoder error: %v", p)}
		}
	}()
	return decodeSpikeSets(raw)
}

func decodeSpikeSets(raw []byte) ([]SpikeSet, int, error) {
	if len(raw) < len(spikeMagic) || string(raw[:len(spikeMagic)]) != spikeMagic {
		return nil, 0, &FormatError{Field: "header", Err: ErrLayout, Detail: "not an snnc spike-set file (no SNNCSPK1 magic)"}
	}
	r := raw[len(spikeMagic):]
	next := func(field string) (uint64, error) {
		v, n := binary.Uvarint(r)
		if n <= 0 {
			return 0, &FormatError{Field: field, Err: ErrTruncated, Detail: fmt.Sprintf("no varint at byte %d", len(raw)-len(r))}
		}
		r = r[n:]
		return v, nil
	}
	channels, err := next("channels")
	if err != nil {
		return nil, 0, err
	}
	tickNS, err := next("tick")
	if err != nil {
		return nil, 0, err
	}
	if channels < 1 || channels > 1<<16 || tickNS < 1 || tickNS > 1e9 {
		return nil, 0, &FormatError{Field: "header", Err: ErrRange, Detail: fmt.Sprintf("%d channels, %d ns tick", channels, tickNS)}
	}
	n, err := next("samples")
	if err != nil {
		return nil, 0, err
	}
	if n > uint64(len(r)/2) { // each sample takes at least 2 bytes
		return nil, 0, &FormatError{Field: "samples", Err: ErrTruncated, Detail: fmt.Sprintf("%d samples in %d bytes", n, len(r))}
	}
	// Times are bounded so that every spike set converts to events.
	// (1 s below the limit: float32 seconds round by up to ~0.5 ms there.)
	maxTicks := uint64(math.MaxUint32-1_000_000) * 1000 / tickNS
	sets := make([]SpikeSet, n)
	for i := range sets {
		f := func(s string) string { return fmt.Sprintf("sample %d: %s", i, s) }
		label, err := next(f("label"))
		if err != nil {
			return nil, 0, err
		}
		if label > 1<<16 {
			return nil, 0, &FormatError{Field: f("label"), Err: ErrRange, Detail: fmt.Sprintf("label %d", label)}
		}
		count, err := next(f("spikes"))
		if err != nil {
			return nil, 0, err
		}
		if count > uint64(len(r)/2) { // each spike takes at least 2 bytes
			return nil, 0, &FormatError{Field: f("spikes"), Err: ErrTruncated, Detail: fmt.Sprintf("%d spikes in %d bytes", count, len(r))}
		}
		s := SpikeSet{Label: int(label), Times: make([]float32, count), Units: make([]uint16, count)}
		var tick, unit uint64
		for j := range s.Times {
			d, err := next(f(fmt.Sprintf("spike %d", j)))
			if err != nil {
				return nil, 0, err
			}
			u, err := next(f(fmt.Sprintf("spike %d", j)))
			if err != nil {
				return nil, 0, err
			}
			if d > maxTicks || tick+d > maxTicks {
				return nil, 0, &FormatError{Field: f(fmt.Sprintf("spike %d", j)), Err: ErrRange, Detail: fmt.Sprintf("time past %.0f s (the 32-bit µs range of an event stream)", math.MaxUint32/1e6)}
			}
			tick += d
			if u >= channels {
				return nil, 0, &FormatError{Field: f(fmt.Sprintf("spike %d", j)), Err: ErrRange, Detail: fmt.Sprintf("unit (or unit step) %d but there are %d channels", u, channels)}
			}
			if d == 0 && j > 0 {
				u += unit
			}
			if u >= channels {
				return nil, 0, &FormatError{Field: f(fmt.Sprintf("spike %d", j)), Err: ErrRange, Detail: fmt.Sprintf("unit %d but there are %d channels", u, channels)}
			}
			unit = u
			s.Times[j] = float32(float64(tick) * float64(tickNS) / 1e9)
			s.Units[j] = uint16(u)
		}
		sets[i] = s
	}
	if len(r) != 0 {
		return nil, 0, &FormatError{Field: "end", Err: ErrLayout, Detail: fmt.Sprintf("%d bytes after the last sample", len(r))}
	}
	return sets, int(channels), nil
}

// Names of the two spike-set files of a split dataset folder.
const (
	SpikeTrainFile = "train.spikes"
	SpikeTestFile  = "test.spikes"
)

// SpikeSplits is a dataset of spike sets: a train and a test split over the
// same channels.
type SpikeSplits struct {
	Channels    int
	Train, Test []SpikeSet
}

// WriteSpikeFiles writes the splits as train.spikes and test.spikes (times
// rounded to tick seconds) into root, a folder that exists.
func WriteSpikeFiles(root string, d *SpikeSplits, tick float64) error {
	for _, f := range []struct {
		name string
		sets []SpikeSet
	}{{SpikeTrainFile, d.Train}, {SpikeTestFile, d.Test}} {
		b, err := EncodeSpikeSets(f.sets, d.Channels, tick)
		if err != nil {
			return fmt.Errorf("events: %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(root, f.name), b, 0o644); err != nil {
			return fmt.Errorf("events: %w", err)
		}
	}
	return nil
}

// ReadSpikeFiles reads train.spikes and test.spikes from fsys's root (a
// folder with os.DirFS, an embedded tree). Errors name the file.
func ReadSpikeFiles(fsys fs.FS) (*SpikeSplits, error) {
	d := &SpikeSplits{}
	var chans [2]int
	for i, f := range []struct {
		name string
		dst  *[]SpikeSet
	}{{SpikeTrainFile, &d.Train}, {SpikeTestFile, &d.Test}} {
		b, err := fs.ReadFile(fsys, f.name)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		sets, ch, err := DecodeSpikeSets(b)
		if err != nil {
			return nil, inFile(err, f.name)
		}
		*f.dst, chans[i] = sets, ch
	}
	if chans[0] != chans[1] {
		return nil, &FormatError{File: SpikeTestFile, Field: "header", Err: ErrLayout, Detail: fmt.Sprintf("%d channels, but %s has %d", chans[1], SpikeTrainFile, chans[0])}
	}
	d.Channels = chans[0]
	return d, nil
}

// ReadSpikeFolder is ReadSpikeFiles on a folder; errors name the full path.
func ReadSpikeFolder(dir string) (*SpikeSplits, error) {
	d, err := ReadSpikeFiles(os.DirFS(dir))
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.File = filepath.Join(dir, fe.File)
		}
		return nil, err
	}
	return d, nil
}
