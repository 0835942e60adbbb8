package cochlea

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
)

// ErrWAV is matched by every *WAVError.
var ErrWAV = errors.New("not a readable WAV file")

// WAVError is a problem with a WAV file's bytes.
type WAVError struct {
	// File is the file ("" when decoding from memory; ReadWAV fills it in).
	File string
	// Field names the chunk or header field, e.g. "fmt chunk: bits per sample".
	Field string
	// Detail says what is wrong.
	Detail string
}

func (e *WAVError) Error() string {
	msg := "cochlea: "
	if e.File != "" {
		msg += e.File + ": "
	}
	return msg + fmt.Sprintf("%v: %s: %s", ErrWAV, e.Field, e.Detail)
}

func (e *WAVError) Unwrap() error { return ErrWAV }

// Audio is mono PCM sound.
type Audio struct {
	// Rate is the sample rate in Hz.
	Rate int
	// Samples are in [−1, 1).
	Samples []float32
}

// Duration is the length in seconds.
func (a *Audio) Duration() float64 { return float64(len(a.Samples)) / float64(a.Rate) }

// Sample rates DecodeWAV accepts.
const (
	MinRate = 4000
	MaxRate = 384000
)

var wavPanics atomic.Int64

// DecodeWAV decodes a RIFF WAVE file holding 16-bit PCM mono audio
// (format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM sub-format). Chunks other
// than "fmt " and "data" are skipped. It never panics and never reads outside
// b.
func DecodeWAV(b []byte) (a *Audio, err error) {
	defer func() {
		if p := recover(); p != nil {
			wavPanics.Add(1)
			a, err = nil, &WAVError{Field: "file", Detail: fmt.Sprintf("internal decoder error: %v", p)}
		}
	}()
	return decodeWAV(b)
}

func decodeWAV(b []byte) (*Audio, error) {
	le := binary.LittleEndian
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, &WAVError{Field: "header", Detail: "does not start with RIFF….WAVE"}
	}
	var (
		rate    int
		haveFmt bool
		data    []byte
		off     = 12
	)
	for off+8 <= len(b) {
		id, size := string(b[off:off+4]), int64(le.Uint32(b[off+4:off+8]))
		body := int64(off + 8)
		if body+size > int64(len(b)) {
			if id != "data" {
				return nil, &WAVError{Field: fmt.Sprintf("%q chunk at byte %d", id, off), Detail: fmt.Sprintf("says %d bytes, %d left in the file", size, int64(len(b))-body)}
			}
			return nil, &WAVError{Field: "data chunk", Detail: fmt.Sprintf("truncated: says %d bytes, %d left in the file", size, int64(len(b))-body)}
		}
		chunk := b[body : body+size]
		switch id {
		case "fmt ":
			if len(chunk) < 16 {
				return nil, &WAVError{Field: "fmt chunk", Detail: fmt.Sprintf("%d bytes, want at least 16", len(chunk))}
			}
			format, channels, bits := le.Uint16(chunk[0:]), le.Uint16(chunk[2:]), le.Uint16(chunk[14:])
			rate = int(le.Uint32(chunk[4:]))
			if format == 0xfffe {
				if len(chunk) < 26 {
					return nil, &WAVError{Field: "fmt chunk", Detail: "WAVE_FORMAT_EXTENSIBLE without its sub-format"}
				}
				format = le.Uint16(chunk[24:])
			}
			switch {
			case format != 1:
				return nil, &WAVError{Field: "fmt chunk: format", Detail: fmt.Sprintf("format %d, only PCM (1) is supported", format)}
			case channels != 1:
				return nil, &WAVError{Field: "fmt chunk: channels", Detail: fmt.Sprintf("%d channels, only mono is supported", channels)}
			case bits != 16:
				return nil, &WAVError{Field: "fmt chunk: bits per sample", Detail: fmt.Sprintf("%d bits, only 16-bit PCM is supported", bits)}
			case rate < MinRate || rate > MaxRate:
				return nil, &WAVError{Field: "fmt chunk: sample rate", Detail: fmt.Sprintf("%d Hz, want %d–%d Hz", rate, MinRate, MaxRate)}
			}
			haveFmt = true
		case "data":
			if data == nil {
				data = chunk
			}
		}
		off = int(body + size + size&1)
	}
	if !haveFmt {
		return nil, &WAVError{Field: "fmt chunk", Detail: "missing"}
	}
	if data == nil {
		return nil, &WAVError{Field: "data chunk", Detail: "missing"}
	}
	if len(data)%2 != 0 {
		return nil, &WAVError{Field: "data chunk", Detail: fmt.Sprintf("%d bytes is not a whole number of 16-bit samples", len(data))}
	}
	a := &Audio{Rate: rate, Samples: make([]float32, len(data)/2)}
	for i := range a.Samples {
		a.Samples[i] = float32(int16(le.Uint16(data[2*i:]))) / 32768
	}
	return a, nil
}

// EncodeWAV encodes a as a 16-bit PCM mono WAV file, clipping samples to
// [−1, 1).
func EncodeWAV(a *Audio) []byte {
	le := binary.LittleEndian
	n := len(a.Samples)
	b := make([]byte, 44+2*n)
	copy(b, "RIFF")
	le.PutUint32(b[4:], uint32(36+2*n))
	copy(b[8:], "WAVEfmt ")
	le.PutUint32(b[16:], 16)
	le.PutUint16(b[20:], 1)
	le.PutUint16(b[22:], 1)
	le.PutUint32(b[24:], uint32(a.Rate))
	le.PutUint32(b[28:], uint32(2*a.Rate))
	le.PutUint16(b[32:], 2)
	le.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	le.PutUint32(b[40:], uint32(2*n))
	for i, s := range a.Samples {
		v := max(-32768, min(32767, float64(s)*32768))
		le.PutUint16(b[44+2*i:], uint16(int16(v)))
	}
	return b
}

// ReadWAV reads and decodes a WAV file; errors name the file.
func ReadWAV(file string) (*Audio, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cochlea: %w", err)
	}
	a, err := DecodeWAV(b)
	if err != nil {
		var we *WAVError
		if errors.As(err, &we) {
			we.File = file
		}
		return nil, err
	}
	return a, nil
}
