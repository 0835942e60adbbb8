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
