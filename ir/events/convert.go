package events

import "fmt"

// ToSpikeSets converts samples of a sensor to spike sets whose unit is the
// event's position in the per-step input, sensor.Index(e) (so a pixel
// stream's spike sets have sensor.Size() channels).
func ToSpikeSets(samples []Sample, sensor Sensor) ([]SpikeSet, error) {
	if sensor.Size() > 1<<16 {
		return nil, fmt.Errorf("events: a %d-input sensor does not fit 16-bit units", sensor.Size())
	}
	out := make([]SpikeSet, len(samples))
	for i, s := range samples {
		if err := CheckStream(s.Events, sensor); err != nil {
			return nil, inFile(err, s.Name)
		}
		ss := SpikeSet{Times: make([]float32, len(s.Events)), Units: make([]uint16, len(s.Events)), Label: s.Label}
		for j, e := range s.Events {
			ss.Times[j] = float32(float64(e.T) / 1e6)
			ss.Units[j] = uint16(sensor.Index(e))
		}
		out[i] = ss
	}
	return out, nil
}

// FromSpikeSets converts spike sets made by ToSpikeSets back to samples of
// the sensor (times rounded to µs), named prefix/<label>/<index>.
func FromSpikeSets(sets []SpikeSet, sensor Sensor, prefix string) ([]Sample, error) {
	out := make([]Sample, len(sets))
	for i := range sets {
		evs, err := sets[i].Events(sensor.Size())
		if err != nil {
			return nil, err
		}
		for j, e := range evs {
			u := int(e.X)
			evs[j] = Event{X: uint16(u % sensor.Width), Y: uint16(u / sensor.Width % sensor.Height), Polarity: uint8(u / (sensor.Width * sensor.Height)), T: e.T}
		}
		out[i] = Sample{Name: fmt.Sprintf("%s/%d/%d", prefix, sets[i].Label, i), Label: sets[i].Label, Events: evs}
	}
	return out, nil
}
