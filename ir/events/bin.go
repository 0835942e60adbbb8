package events

import "fmt"

// Bin writes the per-step input spikes of stream s into dst: timesteps steps
// of dt µs, each sensor.Size() values laid out as sensor.Shape(), 1 where the
// step holds at least one event at that address and 0 elsewhere. Events at
// or after timesteps·dt µs are dropped. It returns how many events fell
// inside the window. It allocates nothing.
//
// It panics if dst is not timesteps·sensor.Size() long, if dt or timesteps
// is not positive, or if an event lies outside the sensor (streams from
// DecodeNMNIST and CheckStream never do).
func Bin(dst []float32, s []Event, sensor Sensor, timesteps int, dt uint32) int {
	size := sensor.Size()
	if timesteps <= 0 || dt == 0 {
		panic(fmt.Sprintf("events: Bin with %d steps of %d µs", timesteps, dt))
	}
	if len(dst) != timesteps*size {
		panic(fmt.Sprintf("events: Bin into %d values, want %d steps × %d", len(dst), timesteps, size))
	}
	clear(dst)
	end := uint64(timesteps) * uint64(dt)
	n := 0
	for _, e := range s {
		if uint64(e.T) >= end {
			continue
		}
		if int(e.X) >= sensor.Width || int(e.Y) >= sensor.Height || int(e.Polarity) >= sensor.Polarities {
			panic(fmt.Sprintf("events: Bin: event (%d,%d,%d) outside sensor %+v", e.X, e.Y, e.Polarity, sensor))
		}
		dst[int(e.T/dt)*size+sensor.Index(e)] = 1
		n++
	}
	return n
}

// BinSpikes is Bin for a spike set on channels units: dst gets timesteps
// steps of dt seconds, channels values each, 1 where unit u spiked at least
// once with k·dt ≤ time < (k+1)·dt. Spikes at or after timesteps·dt, or at a
// negative or non-finite time, are dropped. It returns how many spikes fell
// inside the window and allocates nothing.
//
// It panics if dst is not timesteps·channels long, if dt or timesteps is not
// positive, if times and units differ in length, or if a unit is not below
// channels.
func BinSpikes(dst []float32, s *SpikeSet, channels, timesteps int, dt float64) int {
	if timesteps <= 0 || !(dt > 0) {
		panic(fmt.Sprintf("events: BinSpikes with %d steps of %g s", timesteps, dt))
	}
	if len(dst) != timesteps*channels || len(s.Times) != len(s.Units) {
		panic(fmt.Sprintf("events: BinSpikes of %d times and %d units into %d values, want %d steps × %d", len(s.Times), len(s.Units), len(dst), timesteps, channels))
	}
	clear(dst)
	n := 0
	for i, t := range s.Times {
		k := float64(t) / dt
		if !(k >= 0 && k < float64(timesteps)) {
			continue
		}
		u := int(s.Units[i])
		if u >= channels {
			panic(fmt.Sprintf("events: BinSpikes: unit %d of %d channels", u, channels))
		}
		dst[int(k)*channels+u] = 1
		n++
	}
	return n
}
