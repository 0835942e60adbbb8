package events

import (
	"errors"
	"fmt"
)

// Event is one address-event.
type Event struct {
	// X is the pixel column or the channel.
	X uint16
	// Y is the pixel row (0 for a channel stream).
	Y uint16
	// Polarity is 1 for ON (brighter), 0 for OFF (darker) and for channels.
	Polarity uint8
	// T is the timestamp in microseconds from the start of the recording.
	T uint32
}

// Sensor is the address space of a stream: Polarities × Height × Width
// inputs. A channel stream (a cochlea) has Height 1, Polarities 1 and one
// column per channel.
type Sensor struct {
	Width, Height, Polarities int
}

// NMNISTSensor is the N-MNIST sensor: 34×34 pixels, ON and OFF.
var NMNISTSensor = Sensor{Width: 34, Height: 34, Polarities: 2}

// Channels returns the sensor of a channel stream with n channels.
func Channels(n int) Sensor { return Sensor{Width: n, Height: 1, Polarities: 1} }

// Size is the number of inputs per time step, Polarities·Height·Width.
func (s Sensor) Size() int { return s.Width * s.Height * s.Polarities }

// Shape is the per-step input shape: [C,H,W], or [channels] for a channel
// stream.
func (s Sensor) Shape() []int {
	if s.Height == 1 && s.Polarities == 1 {
		return []int{s.Width}
	}
	return []int{s.Polarities, s.Height, s.Width}
}

// Index is the position of event e in a per-step input laid out as Shape.
func (s Sensor) Index(e Event) int {
	return (int(e.Polarity)*s.Height+int(e.Y))*s.Width + int(e.X)
}

// Sample is one labelled recording.
type Sample struct {
	// Name identifies the sample, e.g. its file "Train/3/00012.bin".
	Name   string
	Label  int
	Events []Event
}

// Set is a labelled event dataset with a train and a test split.
type Set struct {
	// Name names the dataset (its folder, or the name of an embedded set).
	Name   string
	Sensor Sensor
	// Classes is one more than the largest label.
	Classes int
	Train   []Sample
	Test    []Sample
}

// Errors matched with errors.Is by every *FormatError.
var (
	// ErrTruncated: the data ends inside an event or a record.
	ErrTruncated = errors.New("truncated")
	// ErrRange: an address or a value is outside what the sensor or the
	// format allows.
	ErrRange = errors.New("out of range")
	// ErrTimeOrder: a timestamp is earlier than the one before it.
	ErrTimeOrder = errors.New("timestamps go backwards")
	// ErrEmpty: a folder or a split holds no samples.
	ErrEmpty = errors.New("empty")
	// ErrLayout: a file or folder is not where or what the layout says.
	ErrLayout = errors.New("wrong layout")
)

// FormatError is a problem with an event file or dataset folder.
type FormatError struct {
	// File is the file or folder ("" when decoding bytes from memory).
	File string
	// Field names where in the file, e.g. "event 12 (byte 60)".
	Field string
	// Err is ErrTruncated, ErrRange, ErrTimeOrder, ErrEmpty or ErrLayout.
	Err error
	// Detail says what is wrong.
	Detail string
}

func (e *FormatError) Error() string {
	msg := "events: "
	if e.File != "" {
		msg += e.File + ": "
	}
	if e.Field != "" {
		msg += e.Field + ": "
	}
	return msg + fmt.Sprintf("%v: %s", e.Err, e.Detail)
}

func (e *FormatError) Unwrap() error { return e.Err }

// inFile sets the file of err when it is a *FormatError without one.
func inFile(err error, file string) error {
	var fe *FormatError
	if errors.As(err, &fe) && fe.File == "" {
		fe.File = file
	}
	return err
}

// CheckStream checks that every event of s lies inside the sensor and that
// timestamps never decrease.
func CheckStream(s []Event, sensor Sensor) error {
	var last uint32
	for i, e := range s {
		if err := checkEvent(e, sensor); err != nil {
			err.Field = fmt.Sprintf("event %d", i)
			return err
		}
		if e.T < last {
			return &FormatError{Field: fmt.Sprintf("event %d", i), Err: ErrTimeOrder,
				Detail: fmt.Sprintf("t = %d µs after t = %d µs", e.T, last)}
		}
		last = e.T
	}
	return nil
}

func checkEvent(e Event, sensor Sensor) *FormatError {
	switch {
	case int(e.X) >= sensor.Width:
		return &FormatError{Err: ErrRange, Detail: fmt.Sprintf("x = %d outside the sensor's width %d", e.X, sensor.Width)}
	case int(e.Y) >= sensor.Height:
		return &FormatError{Err: ErrRange, Detail: fmt.Sprintf("y = %d outside the sensor's height %d", e.Y, sensor.Height)}
	case int(e.Polarity) >= sensor.Polarities:
		return &FormatError{Err: ErrRange, Detail: fmt.Sprintf("polarity %d but the sensor has %d", e.Polarity, sensor.Polarities)}
	}
	return nil
}
