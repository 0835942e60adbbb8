package train

import (
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/eventset"
)

// EventSet bins a dataset of spike sets into T steps of dt seconds per
// sample (eventset.Bin).
func EventSet(name string, d *events.SpikeSplits, shape []int, T int, dt float64) (*dataset.Set, error) {
	return eventset.Bin(name, d, shape, T, dt)
}

// The event datasets LoadEventSet knows by name (eventset.Spoken and
// eventset.Saccade).
const (
	SpokenDataset  = eventset.Spoken
	SaccadeDataset = eventset.Saccade
)

// LoadEventSet loads an event dataset and bins it into T steps of dt
// seconds (eventset.Load, which every command shares).
func LoadEventSet(spec string, T int, dt float64) (*dataset.Set, error) {
	return eventset.Load(spec, T, dt)
}
