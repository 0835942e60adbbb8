package events

import (
	"fmt"
	"math"
	"sort"
)

// SpikeSet is one sample in the layout of the Spiking Heidelberg Digits:
// Times[i] is the time of spike i in seconds and Units[i] its unit
// (channel); Label is the class. It is what an SHD HDF5 file stores per
// sample under spikes/times, spikes/units and labels.
type SpikeSet struct {
	Times []float32
	Units []uint16
	Label int
}

// Events converts the spike set to a channel event stream (X = unit, times
// rounded to whole µs), sorted by time. It checks that Times and Units have
// the same length, that every unit is below channels and every time is a
// finite, non-negative number of seconds that fits in 32-bit µs.
func (s *SpikeSet) Events(channels int) ([]Event, error) {
	if len(s.Times) != len(s.Units) {
		return nil, &FormatError{Field: "spikes", Err: ErrLayout, Detail: fmt.Sprintf("%d times but %d units", len(s.Times), len(s.Units))}
	}
	evs := make([]Event, len(s.Times))
	for i, t := range s.Times {
		us := math.Round(float64(t) * 1e6)
		if !(us >= 0 && us <= math.MaxUint32) {
			return nil, &FormatError{Field: fmt.Sprintf("spikes/times[%d]", i), Err: ErrRange, Detail: fmt.Sprintf("time %g s is not in [0, %.0f s]", t, math.MaxUint32/1e6)}
		}
		if int(s.Units[i]) >= channels {
			return nil, &FormatError{Field: fmt.Sprintf("spikes/units[%d]", i), Err: ErrRange, Detail: fmt.Sprintf("unit %d but there are %d channels", s.Units[i], channels)}
		}
		evs[i] = Event{X: s.Units[i], T: uint32(us)}
	}
	sort.SliceStable(evs, func(a, b int) bool { return evs[a].T < evs[b].T })
	return evs, nil
}

// SpikeSetOf converts a channel event stream to a spike set (times in
// seconds).
func SpikeSetOf(evs []Event, label int) SpikeSet {
	s := SpikeSet{Times: make([]float32, len(evs)), Units: make([]uint16, len(evs)), Label: label}
	for i, e := range evs {
		s.Times[i] = float32(float64(e.T) / 1e6)
		s.Units[i] = e.X
	}
	return s
}
