package events

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// rawEvent encodes one event by hand, bit by bit as the format describes.
func rawEvent(x, y, p byte, t uint32) []byte {
	return []byte{x, y, p<<7 | byte(t>>16&0x7f), byte(t >> 8), byte(t)}
}

func TestDecodeNMNISTHandEncoded(t *testing.T) {
	var b []byte
	b = append(b, rawEvent(3, 4, 1, 0x12345)...)
	b = append(b, rawEvent(33, 0, 0, 0x7fffff)...)
	got, err := DecodeNMNIST(b, NMNISTSensor)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{X: 3, Y: 4, Polarity: 1, T: 0x12345}, {X: 33, Y: 0, Polarity: 0, T: 0x7fffff}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestDecodeNMNISTOverflowMarkers(t *testing.T) {
	// Two markers (y = 240, other bytes arbitrary) between events: every
	// later timestamp gains 2·2^13 µs, as the published readers compute it.
	var b []byte
	b = append(b, rawEvent(1, 1, 1, 8000)...)
	b = append(b, 7, OverflowY, 0x81, 2, 3)
	b = append(b, 0, OverflowY, 0, 0, 0)
	b = append(b, rawEvent(2, 2, 0, 100)...) // 100 + 16384 = 16484 ≥ 8000
	got, err := DecodeNMNIST(b, NMNISTSensor)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{X: 1, Y: 1, Polarity: 1, T: 8000}, {X: 2, Y: 2, T: 100 + 2*8192}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestEncodeNMNISTRoundTrip(t *testing.T) {
	cases := []struct {
		desc    string
		evs     []Event
		markers int
	}{
		{"empty stream", nil, 0},
		{"short stream", []Event{{X: 0, Y: 0, Polarity: 0, T: 0}, {X: 33, Y: 33, Polarity: 1, T: 299999}}, 0},
		{"timestamp at the 23-bit limit", []Event{{X: 5, Y: 6, T: 1<<23 - 1}}, 0},
		{"timestamp past the 23-bit limit needs one marker", []Event{{X: 5, Y: 6, T: 1 << 23}}, 1},
		{"long recording", []Event{{T: 10}, {X: 1, T: 1<<23 + 5000}, {X: 2, Polarity: 1, T: 3 << 23}}, (3<<23 - (1<<23 - 1) + 8191) / 8192},
	}
	for _, c := range cases {
		b, err := EncodeNMNIST(c.evs, NMNISTSensor)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		if n := len(b)/5 - len(c.evs); n != c.markers {
			t.Errorf("%s: %d overflow markers, want %d", c.desc, n, c.markers)
		}
		got, err := DecodeNMNIST(b, NMNISTSensor)
		if err != nil {
			t.Fatalf("%s: %v", c.desc, err)
		}
		if len(got) != len(c.evs) || (len(got) > 0 && !reflect.DeepEqual(got, c.evs)) {
			t.Errorf("%s: round trip gave %+v, want %+v", c.desc, got, c.evs)
		}
	}
}

func TestDecodeNMNISTBadInput(t *testing.T) {
	ok := rawEvent(1, 1, 1, 500)
	cases := []struct {
		desc   string
		b      []byte
		sensor Sensor
		want   error
		field  string
	}{
		{"truncated event", append(append([]byte{}, ok...), 1, 2, 3), NMNISTSensor, ErrTruncated, "event 1 (byte 5)"},
		{"x outside the sensor", rawEvent(34, 0, 0, 0), NMNISTSensor, ErrRange, "event 0 (byte 0)"},
		{"y outside the sensor", append(append([]byte{}, ok...), rawEvent(0, 34, 0, 600)...), NMNISTSensor, ErrRange, "event 1 (byte 5)"},
		{"polarity on a one-polarity sensor", rawEvent(0, 0, 1, 0), Sensor{Width: 34, Height: 34, Polarities: 1}, ErrRange, "event 0 (byte 0)"},
		{"timestamp goes backwards", append(append([]byte{}, ok...), rawEvent(0, 0, 0, 499)...), NMNISTSensor, ErrTimeOrder, "event 1 (byte 5)"},
		{"backwards even after a marker", append(append(rawEvent(0, 0, 0, 9000), 0, OverflowY, 0, 0, 0), rawEvent(0, 0, 0, 0)...), NMNISTSensor, ErrTimeOrder, "event 2 (byte 10)"},
		{"sensor too high for the format", nil, Sensor{Width: 10, Height: 241, Polarities: 2}, ErrRange, ""},
	}
	for _, c := range cases {
		_, err := DecodeNMNIST(c.b, c.sensor)
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want a *FormatError matching %v", c.desc, err, c.want)
			continue
		}
		if fe.Field != c.field {
			t.Errorf("%s: field %q, want %q (%v)", c.desc, fe.Field, c.field, err)
		}
		if !strings.HasPrefix(err.Error(), "events: ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: message %q is not one line with the package prefix", c.desc, err)
		}
	}
}

func TestBinHandComputed(t *testing.T) {
	// A 3×2 sensor, 2 polarities: [2,2,3] per step, 4 steps of 10 µs.
	sensor := Sensor{Width: 3, Height: 2, Polarities: 2}
	evs := []Event{
		{X: 0, Y: 0, Polarity: 0, T: 0},  // step 0, index 0
		{X: 0, Y: 0, Polarity: 0, T: 9},  // step 0 again: still 1
		{X: 2, Y: 1, Polarity: 1, T: 10}, // step 1, index 6+3+2 = 11
		{X: 1, Y: 0, Polarity: 1, T: 25}, // step 2, index 6+0+1 = 7
		{X: 1, Y: 1, Polarity: 0, T: 39}, // step 3, index 3+1 = 4
		{X: 1, Y: 1, Polarity: 0, T: 40}, // past 4·10 µs: dropped
	}
	dst := make([]float32, 4*12)
	for i := range dst {
		dst[i] = 7 // Bin must clear what was there
	}
	n := Bin(dst, evs, sensor, 4, 10)
	want := make([]float32, 4*12)
	want[0*12+0], want[1*12+11], want[2*12+7], want[3*12+4] = 1, 1, 1, 1
	if !reflect.DeepEqual(dst, want) {
		t.Errorf("binned\n%v\nwant\n%v", dst, want)
	}
	if n != 5 {
		t.Errorf("%d events inside the window, want 5", n)
	}
	if got := sensor.Shape(); !reflect.DeepEqual(got, []int{2, 2, 3}) {
		t.Errorf("shape %v", got)
	}
	if got := Channels(700).Shape(); !reflect.DeepEqual(got, []int{700}) {
		t.Errorf("channel shape %v", got)
	}
}

func TestBinAllocatesNothing(t *testing.T) {
	evs := []Event{{X: 1, Y: 2, T: 5}, {X: 3, Y: 4, Polarity: 1, T: 900}}
	dst := make([]float32, 10*NMNISTSensor.Size())
	if a := testing.AllocsPerRun(20, func() { Bin(dst, evs, NMNISTSensor, 10, 100) }); a != 0 {
		t.Errorf("Bin allocates %.0f times per call", a)
	}
}

func TestSpikeSetEvents(t *testing.T) {
	s := SpikeSet{Times: []float32{0.5, 0.001}, Units: []uint16{3, 699}, Label: 4}
	evs, err := s.Events(700)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{X: 699, T: 1000}, {X: 3, T: 500000}}
	if !reflect.DeepEqual(evs, want) {
		t.Errorf("got %+v, want %+v", evs, want)
	}
	if _, err := s.Events(600); !errors.Is(err, ErrRange) {
		t.Errorf("unit 699 of 600 channels: %v", err)
	}
	back := SpikeSetOf(evs, 4)
	if back.Units[0] != 699 || back.Times[1] != 0.5 || back.Label != 4 {
		t.Errorf("SpikeSetOf: %+v", back)
	}
}

func TestFolderRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nmnist")
	s := &Set{Sensor: NMNISTSensor,
		Train: []Sample{{Label: 3, Events: []Event{{X: 1, Y: 2, T: 7}}}, {Label: 0, Events: []Event{{X: 33, Y: 33, Polarity: 1, T: 9 << 20}}}},
		Test:  []Sample{{Label: 9, Events: nil}},
	}
	if err := WriteFolder(dir, s); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFolder(dir, NMNISTSensor)
	if err != nil {
		t.Fatal(err)
	}
	if got.Classes != 10 || len(got.Train) != 2 || len(got.Test) != 1 {
		t.Fatalf("read back %d classes, %d+%d samples", got.Classes, len(got.Train), len(got.Test))
	}
	// ReadDir sorts: label folder "0" before "3".
	if got.Train[0].Label != 0 || got.Train[0].Name != "Train/0/00002.bin" || !reflect.DeepEqual(got.Train[0].Events, s.Train[1].Events) {
		t.Errorf("train[0] = %+v", got.Train[0])
	}
	if !reflect.DeepEqual(got.Train[1].Events, s.Train[0].Events) || got.Test[0].Label != 9 {
		t.Errorf("samples differ: %+v", got)
	}
	if err := WriteFolder(dir, s); err == nil {
		t.Error("writing over an existing dataset succeeded")
	}
}

func TestReadFolderBadInput(t *testing.T) {
	good := rawEvent(1, 1, 0, 10)
	cases := []struct {
		desc  string
		files map[string][]byte
		want  error
		file  string
	}{
		{"empty folder", map[string][]byte{}, ErrLayout, "Train"},
		{"no samples", map[string][]byte{"Train/1/.keep": nil, "Test/1/00001.bin": good}, ErrEmpty, "Train"},
		{"wrong label folder", map[string][]byte{"Train/seven/00001.bin": good, "Test/1/00001.bin": good}, ErrLayout, "Train/seven"},
		{"stray file", map[string][]byte{"Train/1/00001.bin": good, "Train/1/notes.txt": good, "Test/1/00001.bin": good}, ErrLayout, "Train/1/notes.txt"},
		{"truncated file", map[string][]byte{"Train/1/00001.bin": good, "Test/2/00001.bin": good[:4]}, ErrTruncated, "Test/2/00001.bin"},
		{"event out of range", map[string][]byte{"Train/1/00001.bin": rawEvent(99, 1, 0, 0), "Test/2/00001.bin": good}, ErrRange, "Train/1/00001.bin"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		for name, b := range c.files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := ReadFolder(dir, NMNISTSensor)
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want a *FormatError matching %v", c.desc, err, c.want)
			continue
		}
		if want := filepath.Join(dir, filepath.FromSlash(c.file)); fe.File != want {
			t.Errorf("%s: names file %q, want %q", c.desc, fe.File, want)
		}
	}
}

func TestZipRoundTrip(t *testing.T) {
	s := &Set{Sensor: NMNISTSensor,
		Train: []Sample{{Label: 1, Events: []Event{{X: 1, Y: 2, T: 7}}}},
		Test:  []Sample{{Label: 2, Events: []Event{{X: 3, Y: 4, Polarity: 1, T: 70}}}},
	}
	b, err := EncodeZip(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadZip(b, NMNISTSensor)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Train[0].Events, s.Train[0].Events) || !reflect.DeepEqual(got.Test[0].Events, s.Test[0].Events) || got.Classes != 3 {
		t.Errorf("zip round trip: %+v", got)
	}
	if _, err := ReadZip(b[:len(b)/2], NMNISTSensor); !errors.Is(err, ErrLayout) {
		t.Errorf("a cut zip: %v", err)
	}
}

func TestBinSpikesHandComputed(t *testing.T) {
	// 3 channels, 3 steps of 0.01 s.
	s := &SpikeSet{Times: []float32{0, 0.005, 0.015, 0.029, 0.031, -1}, Units: []uint16{2, 2, 0, 1, 1, 0}}
	dst := make([]float32, 9)
	n := BinSpikes(dst, s, 3, 3, 0.01)
	want := []float32{0, 0, 1, 1, 0, 0, 0, 1, 0}
	if !reflect.DeepEqual(dst, want) || n != 4 {
		t.Errorf("binned %v (%d inside), want %v (4 inside)", dst, n, want)
	}
	if a := testing.AllocsPerRun(20, func() { BinSpikes(dst, s, 3, 3, 0.01) }); a != 0 {
		t.Errorf("BinSpikes allocates %.0f times per call", a)
	}
}

// BenchmarkBin bins a saccade-sized stream (5400 events) into 30 steps of
// 10 ms on the N-MNIST sensor.
func BenchmarkBin(b *testing.B) {
	evs := make([]Event, 5400)
	for i := range evs {
		evs[i] = Event{X: uint16(i % 34), Y: uint16(i / 34 % 34), Polarity: uint8(i % 2), T: uint32(i * 55)}
	}
	dst := make([]float32, 30*NMNISTSensor.Size())
	b.ReportAllocs()
	for b.Loop() {
		Bin(dst, evs, NMNISTSensor, 30, 10_000)
	}
}

// TestPublishedReaderReadsOurFiles: a file written by EncodeNMNIST, with
// overflow markers, reads the same through testdata/read_nmnist.py, the
// published readers' logic transcribed independently (skipped without
// python3).
func TestPublishedReaderReadsOurFiles(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	evs := []Event{{X: 1, Y: 2, Polarity: 1, T: 5}, {X: 33, Y: 0, T: 1<<23 + 77}, {X: 4, Y: 33, Polarity: 1, T: 3<<23 + 12345}}
	b, err := EncodeNMNIST(evs, NMNISTSensor)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ovf.bin")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, "testdata/read_nmnist.py", file).Output()
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&want, "%d %d %d %d\n", e.X, e.Y, e.Polarity, e.T)
	}
	if string(out) != want.String() {
		t.Errorf("the published reader read\n%s\nwant\n%s", out, want.String())
	}
}
