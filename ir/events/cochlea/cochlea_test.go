package cochlea

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/shd"
)

func tone(rate int, hz, amp, seconds float64) *Audio {
	a := &Audio{Rate: rate, Samples: make([]float32, int(seconds*float64(rate)))}
	for i := range a.Samples {
		a.Samples[i] = float32(amp * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return a
}

func counts(t *testing.T, e *Encoder, a *Audio) []int {
	t.Helper()
	s, err := e.Encode(a, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := make([]int, len(e.Bands()))
	for _, u := range s.Units {
		c[u]++
	}
	for i := 1; i < len(s.Times); i++ {
		if s.Times[i] < s.Times[i-1] {
			t.Fatalf("spike times not sorted at %d", i)
		}
	}
	return c
}

// TestPureToneDrivesItsBand: a tone makes most spikes in the channel whose
// band is centred nearest to it (log distance), at several rates and
// channel counts.
func TestPureToneDrivesItsBand(t *testing.T) {
	for _, c := range []struct {
		rate, channels int
		hz             float64
	}{{22050, 16, 440}, {22050, 16, 3000}, {16000, 64, 1000}, {44100, 700, 2500}, {8000, 16, 250}} {
		e, err := NewEncoder(DefaultParams(c.channels), c.rate)
		if err != nil {
			t.Fatal(err)
		}
		n := counts(t, e, tone(c.rate, c.hz, 0.3, 0.3))
		best := 0
		for k := range n {
			if n[k] > n[best] {
				best = k
			}
		}
		nearest := 0
		for k, b := range e.Bands() {
			if math.Abs(math.Log(b.CentreHz/c.hz)) < math.Abs(math.Log(e.Bands()[nearest].CentreHz/c.hz)) {
				nearest = k
			}
		}
		// With 700 dense channels neighbours are within 1%: allow ±3 channels.
		tol := 0
		if c.channels > 100 {
			tol = 3
		}
		if best < nearest-tol || best > nearest+tol {
			t.Errorf("%d Hz at %d Hz, %d channels: most spikes (%d) in channel %d (%.0f Hz), want channel %d (%.0f Hz)",
				int(c.hz), c.rate, c.channels, n[best], best, e.Bands()[best].CentreHz, nearest, e.Bands()[nearest].CentreHz)
		}
	}
}

func TestLouderMakesMoreSpikes(t *testing.T) {
	e, err := NewEncoder(DefaultParams(16), 16000)
	if err != nil {
		t.Fatal(err)
	}
	prev := -1
	for _, amp := range []float64{0.01, 0.03, 0.1, 0.3, 0.9} {
		total := 0
		for _, n := range counts(t, e, tone(16000, 800, amp, 0.3)) {
			total += n
		}
		if total <= prev {
			t.Errorf("amplitude %g: %d spikes, not more than %d at the softer level", amp, total, prev)
		}
		prev = total
	}
	silent := 0
	for _, n := range counts(t, e, tone(16000, 800, 0, 0.3)) {
		silent += n
	}
	if silent != 0 {
		t.Errorf("silence made %d spikes", silent)
	}
}

func TestEncodeDeterministic(t *testing.T) {
	e, _ := NewEncoder(DefaultParams(32), 16000)
	a := tone(16000, 600, 0.2, 0.2)
	s1, _ := e.Encode(a, 3, 9)
	s2, _ := e.Encode(a, 3, 9)
	s3, _ := e.Encode(a, 3, 10)
	if !reflect.DeepEqual(s1, s2) {
		t.Error("same seed, different spikes")
	}
	if reflect.DeepEqual(s1, s3) {
		t.Error("different seeds gave identical spikes (initial potentials not drawn from the seed)")
	}
	if s1.Label != 3 {
		t.Errorf("label %d", s1.Label)
	}
}

func TestWAVRoundTrip(t *testing.T) {
	a := tone(11025, 300, 0.5, 0.05)
	b, err := DecodeWAV(EncodeWAV(a))
	if err != nil {
		t.Fatal(err)
	}
	if b.Rate != a.Rate || len(b.Samples) != len(a.Samples) {
		t.Fatalf("rate %d, %d samples", b.Rate, len(b.Samples))
	}
	for i := range a.Samples {
		if math.Abs(float64(a.Samples[i]-b.Samples[i])) > 1.0/32768 {
			t.Fatalf("sample %d: %g, want %g", i, b.Samples[i], a.Samples[i])
		}
	}
}

func TestDecodeWAVBadInput(t *testing.T) {
	good := EncodeWAV(tone(16000, 300, 0.5, 0.01))
	patch := func(off int, v ...byte) []byte {
		b := append([]byte{}, good...)
		copy(b[off:], v)
		return b
	}
	cases := []struct {
		desc, field string
		b           []byte
	}{
		{"not RIFF", "header", []byte("hello world, this is text")},
		{"stereo", "fmt chunk: channels", patch(22, 2, 0)},
		{"8-bit", "fmt chunk: bits per sample", patch(34, 8, 0)},
		{"float", "fmt chunk: format", patch(20, 3, 0)},
		{"absurd rate", "fmt chunk: sample rate", patch(24, 1, 0, 0, 0)},
		{"truncated data", "data chunk", good[:len(good)-11]},
		{"no data chunk", "data chunk", good[:44-8]},
	}
	for _, c := range cases {
		_, err := DecodeWAV(c.b)
		var we *WAVError
		if !errors.As(err, &we) || !errors.Is(err, ErrWAV) {
			t.Errorf("%s: got %v, want a *WAVError", c.desc, err)
			continue
		}
		if we.Field != c.field {
			t.Errorf("%s: field %q, want %q (%v)", c.desc, we.Field, c.field, err)
		}
		if !strings.HasPrefix(err.Error(), "cochlea: ") {
			t.Errorf("%s: %q lacks the package prefix", c.desc, err)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	f.Add(EncodeWAV(tone(16000, 300, 0.5, 0.002)))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		before := wavPanics.Load()
		a, err := DecodeWAV(b)
		if wavPanics.Load() != before {
			t.Fatalf("decoder panicked: %v", err)
		}
		if err == nil && (a.Rate < MinRate || a.Rate > MaxRate) {
			t.Fatalf("accepted rate %d", a.Rate)
		}
	})
}

func TestWriteSpikesFormats(t *testing.T) {
	e, _ := NewEncoder(DefaultParams(16), 16000)
	s, _ := e.Encode(tone(16000, 800, 0.3, 0.1), 4, 1)
	dir := t.TempDir()
	h5 := filepath.Join(dir, "a.h5")
	if err := WriteSpikes(h5, []events.SpikeSet{s}, 16, 1e-6); err != nil {
		t.Fatal(err)
	}
	f, err := shd.ReadFile(h5)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(f.Sets[0], s) {
		t.Error("the SHD file does not read back the spike set")
	}
	spk := filepath.Join(dir, "a.spikes")
	if err := WriteSpikes(spk, []events.SpikeSet{s}, 16, 1e-6); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(spk)
	sets, ch, err := events.DecodeSpikeSets(b)
	if err != nil || ch != 16 || len(sets[0].Times) != len(s.Times) {
		t.Errorf("spike file: %v, %d channels", err, ch)
	}
}
