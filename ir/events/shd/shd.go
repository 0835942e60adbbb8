package shd

import (
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/hdf5"
)

// File is the content of one SHD-layout file.
type File struct {
	// Sets are the samples, in file order.
	Sets []events.SpikeSet
	// Keys names the classes (label → name); nil when the file has none.
	Keys []string
	// Speakers is one speaker id per sample; nil when the file has none.
	Speakers []int
}

// Channels returns one more than the largest unit of any sample (0 when
// there are no spikes).
func (f *File) Channels() int {
	n := 0
	for _, s := range f.Sets {
		for _, u := range s.Units {
			n = max(n, int(u)+1)
		}
	}
	return n
}

// Encode writes f in the SHD layout.
func Encode(f *File) ([]byte, error) {
	if f.Speakers != nil && len(f.Speakers) != len(f.Sets) {
		return nil, fmt.Errorf("shd: %d speakers for %d samples", len(f.Speakers), len(f.Sets))
	}
	times := make([][]float32, len(f.Sets))
	units := make([][]uint16, len(f.Sets))
	labels := make([]uint16, len(f.Sets))
	for i, s := range f.Sets {
		if len(s.Times) != len(s.Units) || s.Label < 0 || s.Label > math.MaxUint16 {
			return nil, fmt.Errorf("shd: sample %d: %d times, %d units, label %d", i, len(s.Times), len(s.Units), s.Label)
		}
		times[i], units[i], labels[i] = s.Times, s.Units, uint16(s.Label)
	}
	w := hdf5.NewWriter()
	sp, err := w.Root().CreateGroup("spikes")
	if err != nil {
		return nil, fmt.Errorf("shd: %w", err)
	}
	if _, err := sp.CreateVarLen("times", times); err != nil {
		return nil, fmt.Errorf("shd: %w", err)
	}
	if _, err := sp.CreateVarLen("units", units); err != nil {
		return nil, fmt.Errorf("shd: %w", err)
	}
	if _, err := w.Root().CreateDataset("labels", []int{len(labels)}, labels); err != nil {
		return nil, fmt.Errorf("shd: %w", err)
	}
	if f.Keys != nil || f.Speakers != nil {
		extra, err := w.Root().CreateGroup("extra")
		if err != nil {
			return nil, fmt.Errorf("shd: %w", err)
		}
		if f.Keys != nil {
			if _, err := extra.CreateStrings("keys", []int{len(f.Keys)}, f.Keys); err != nil {
				return nil, fmt.Errorf("shd: %w", err)
			}
		}
		if f.Speakers != nil {
			sp := make([]uint16, len(f.Speakers))
			for i, s := range f.Speakers {
				if s < 0 || s > math.MaxUint16 {
					return nil, fmt.Errorf("shd: sample %d: speaker %d", i, s)
				}
				sp[i] = uint16(s)
			}
			if _, err := extra.CreateDataset("speaker", []int{len(sp)}, sp); err != nil {
				return nil, fmt.Errorf("shd: %w", err)
			}
		}
	}
	b, err := w.Bytes()
	if err != nil {
		return nil, fmt.Errorf("shd: %w", err)
	}
	return b, nil
}

// WriteFile encodes f and writes it to path atomically.
func WriteFile(path string, f *File) error {
	b, err := Encode(f)
	if err != nil {
		return err
	}
	return ir.WriteFileAtomic(path, b, 0o644)
}

// ReadFile reads an SHD-layout file.
func ReadFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("shd: %w", err)
	}
	return Decode(path, b)
}

// layoutErr is a member of the wrong kind or shape.
func layoutErr(file, member, format string, a ...any) error {
	return &events.FormatError{File: file, Field: member, Err: events.ErrLayout, Detail: fmt.Sprintf(format, a...)}
}

// Decode reads an SHD-layout file's bytes; name is used in errors. It never
// panics (ir/hdf5 guarantees the container; this function checks the
// layout): spike times must be finite, non-negative and fit 32-bit µs
// (so that every sample converts to events).
func Decode(name string, b []byte) (*File, error) {
	h, err := hdf5.Decode(name, b)
	if err != nil {
		return nil, fmt.Errorf("shd: %w", err)
	}
	member := func(path string) (*hdf5.Dataset, error) {
		ds, err := h.Root.Dataset(path)
		if err != nil {
			if errors.Is(err, hdf5.ErrNotFound) {
				return nil, layoutErr(name, path, "missing: not an SHD-layout file (want spikes/times, spikes/units and labels)")
			}
			return nil, fmt.Errorf("shd: %w", err)
		}
		if len(ds.Shape) != 1 {
			return nil, layoutErr(name, path, "shape %v, want one dimension", ds.Shape)
		}
		return ds, nil
	}
	td, err := member("spikes/times")
	if err != nil {
		return nil, err
	}
	ud, err := member("spikes/units")
	if err != nil {
		return nil, err
	}
	ld, err := member("labels")
	if err != nil {
		return nil, err
	}
	times, err := td.VarLenFloat32s()
	if err != nil {
		return nil, layoutErr(name, "spikes/times", "%v", err)
	}
	units, err := ud.VarLenUint16s()
	if err != nil {
		return nil, layoutErr(name, "spikes/units", "%v", err)
	}
	labels, err := ld.Int64s()
	if err != nil {
		return nil, layoutErr(name, "labels", "%v", err)
	}
	if len(times) != len(units) || len(times) != len(labels) {
		return nil, layoutErr(name, "labels", "%d spike-time rows, %d unit rows and %d labels; want the same number", len(times), len(units), len(labels))
	}
	f := &File{Sets: make([]events.SpikeSet, len(times))}
	for i := range times {
		if len(times[i]) != len(units[i]) {
			return nil, layoutErr(name, fmt.Sprintf("spikes/units[%d]", i), "%d units for %d spike times", len(units[i]), len(times[i]))
		}
		if labels[i] < 0 || labels[i] > math.MaxUint16 {
			return nil, layoutErr(name, fmt.Sprintf("labels[%d]", i), "label %d", labels[i])
		}
		for j, t := range times[i] {
			if !(t >= 0 && float64(t) < math.MaxUint32/1e6) {
				return nil, &events.FormatError{File: name, Field: fmt.Sprintf("spikes/times[%d][%d]", i, j), Err: events.ErrRange, Detail: fmt.Sprintf("time %g s", t)}
			}
		}
		f.Sets[i] = events.SpikeSet{Times: times[i], Units: units[i], Label: int(labels[i])}
	}
	if keys, err := h.Root.Dataset("extra/keys"); err == nil {
		if f.Keys, err = keys.Strings(); err != nil {
			return nil, layoutErr(name, "extra/keys", "%v", err)
		}
	}
	if sd, err := h.Root.Dataset("extra/speaker"); err == nil {
		sp, err := sd.Int64s()
		if err != nil || len(sp) != len(f.Sets) {
			return nil, layoutErr(name, "extra/speaker", "%d speakers for %d samples (%v)", len(sp), len(f.Sets), err)
		}
		f.Speakers = make([]int, len(sp))
		for i, s := range sp {
			f.Speakers[i] = int(s)
		}
	}
	return f, nil
}
