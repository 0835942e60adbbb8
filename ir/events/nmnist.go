package events

import (
	"fmt"
	"sync/atomic"
)

// NMNIST format constants (see the package documentation).
const (
	// NMNISTEventBytes is the size of one encoded event.
	NMNISTEventBytes = 5
	// OverflowY is the y address that marks a timestamp-overflow event.
	OverflowY = 240
	// OverflowIncrement is what the published readers add, in µs, to every
	// timestamp after an overflow marker.
	OverflowIncrement = 1 << 13
	// maxRawTimestamp is the largest 23-bit timestamp field.
	maxRawTimestamp = 1<<23 - 1
)

// decodePanics counts panics recovered by DecodeNMNIST; the fuzz test fails
// if one ever happens.
var decodePanics atomic.Int64

// DecodeNMNIST decodes one N-MNIST binary file's bytes into events, applying
// the overflow markers, and checks every event against sensor (whose height
// must be at most OverflowY) and that timestamps never go backwards.
//
// It never panics and never reads outside b; errors are *FormatError with an
// empty File (ReadNMNIST fills it in).
func DecodeNMNIST(b []byte, sensor Sensor) (evs []Event, err error) {
	defer func() {
		if p := recover(); p != nil {
			decodePanics.Add(1)
			evs, err = nil, &FormatError{Err: ErrRange, Detail: fmt.Sprintf("internal decoder error: %v", p)}
		}
	}()
	return decodeNMNIST(b, sensor)
}

func decodeNMNIST(b []byte, sensor Sensor) ([]Event, error) {
	if sensor.Height > OverflowY || sensor.Width > 256 || sensor.Polarities > 2 {
		return nil, &FormatError{Err: ErrRange, Detail: fmt.Sprintf("sensor %d×%d×%d does not fit the N-MNIST format (at most 2×240×256)", sensor.Polarities, sensor.Height, sensor.Width)}
	}
	if r := len(b) % NMNISTEventBytes; r != 0 {
		n := len(b) / NMNISTEventBytes
		return nil, &FormatError{Field: fmt.Sprintf("event %d (byte %d)", n, n*NMNISTEventBytes), Err: ErrTruncated,
			Detail: fmt.Sprintf("%d bytes is not a whole number of %d-byte events (%d bytes left over)", len(b), NMNISTEventBytes, r)}
	}
	n := len(b) / NMNISTEventBytes
	evs := make([]Event, 0, n)
	var offset, last uint64
	for i := 0; i < n; i++ {
		r := b[i*NMNISTEventBytes : (i+1)*NMNISTEventBytes]
		if r[1] == OverflowY {
			offset += OverflowIncrement
			continue
		}
		t := offset + (uint64(r[2]&0x7f)<<16 | uint64(r[3])<<8 | uint64(r[4]))
		e := Event{X: uint16(r[0]), Y: uint16(r[1]), Polarity: r[2] >> 7}
		field := func() string { return fmt.Sprintf("event %d (byte %d)", i, i*NMNISTEventBytes) }
		if fe := checkEvent(e, sensor); fe != nil {
			fe.Field = field()
			return nil, fe
		}
		if t < last {
			return nil, &FormatError{Field: field(), Err: ErrTimeOrder,
				Detail: fmt.Sprintf("t = %d µs after t = %d µs (overflow markers applied)", t, last)}
		}
		if t > 1<<32-1 {
			return nil, &FormatError{Field: field(), Err: ErrRange, Detail: fmt.Sprintf("t = %d µs does not fit 32 bits", t)}
		}
		last = t
		e.T = uint32(t)
		evs = append(evs, e)
	}
	return evs, nil
}

// EncodeNMNIST encodes events in the N-MNIST binary format, inserting
// overflow markers where a timestamp does not fit the 23-bit field. It
// checks the events as DecodeNMNIST does, so what it writes reads back.
func EncodeNMNIST(evs []Event, sensor Sensor) ([]byte, error) {
	if sensor.Height > OverflowY || sensor.Width > 256 || sensor.Polarities > 2 {
		return nil, &FormatError{Err: ErrRange, Detail: fmt.Sprintf("sensor %d×%d×%d does not fit the N-MNIST format (at most 2×240×256)", sensor.Polarities, sensor.Height, sensor.Width)}
	}
	if err := CheckStream(evs, sensor); err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(evs)*NMNISTEventBytes)
	var offset uint64
	for _, e := range evs {
		if over := uint64(e.T) - offset; over > maxRawTimestamp {
			k := (over - maxRawTimestamp + OverflowIncrement - 1) / OverflowIncrement
			for ; k > 0; k-- {
				b = append(b, 0, OverflowY, 0, 0, 0)
				offset += OverflowIncrement
			}
		}
		raw := uint64(e.T) - offset
		b = append(b, byte(e.X), byte(e.Y), e.Polarity<<7|byte(raw>>16)&0x7f, byte(raw>>8), byte(raw))
	}
	return b, nil
}
