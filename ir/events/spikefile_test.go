package events

import (
	"errors"
	"math"
	"testing"
)

func TestSpikeSetsRoundTrip(t *testing.T) {
	sets := []SpikeSet{
		{Times: []float32{0.5, 0.000001, 0.000001, 0.25}, Units: []uint16{3, 699, 2, 0}, Label: 19},
		{Label: 0},
		{Times: []float32{1.5}, Units: []uint16{5}, Label: 7},
	}
	for _, tick := range []float64{1e-6, 1e-3} {
		b, err := EncodeSpikeSets(sets, 700, tick)
		if err != nil {
			t.Fatal(err)
		}
		got, ch, err := DecodeSpikeSets(b)
		if err != nil {
			t.Fatal(err)
		}
		if ch != 700 || len(got) != len(sets) {
			t.Fatalf("tick %g: %d channels, %d sets", tick, ch, len(got))
		}
		for i, s := range sets {
			// Decoded spikes are sorted by (time, unit): compare as events.
			want, _ := s.Events(700)
			gotEv, err := got[i].Events(700)
			if err != nil || got[i].Label != s.Label || len(gotEv) != len(want) {
				t.Fatalf("tick %g set %d: %+v, want %+v (%v)", tick, i, got[i], s, err)
			}
			for j := range want {
				dt := math.Abs(float64(gotEv[j].T) - float64(want[j].T))
				if dt > tick*1e6/2+1 {
					t.Errorf("tick %g set %d spike %d: %+v, want %+v", tick, i, j, gotEv[j], want[j])
				}
			}
		}
	}
	if _, err := EncodeSpikeSets([]SpikeSet{{Times: []float32{0}, Units: []uint16{700}}}, 700, 1e-6); err == nil {
		t.Error("unit 700 of 700 channels was accepted")
	}
}

func TestDecodeSpikeSetsBadInput(t *testing.T) {
	b, _ := EncodeSpikeSets([]SpikeSet{{Times: []float32{0.1, 0.2}, Units: []uint16{1, 2}, Label: 1}}, 4, 1e-6)
	if _, _, err := DecodeSpikeSets(b[:len(b)-5]); err == nil {
		t.Error("truncated gzip accepted")
	}
	if _, _, err := DecodeSpikeSets([]byte("plain text")); !errors.Is(err, ErrLayout) {
		t.Errorf("not gzip: %v", err)
	}
}

func FuzzDecodeSpikeSets(f *testing.F) {
	b, _ := EncodeSpikeSets([]SpikeSet{{Times: []float32{0.1, 0.2, 0.2}, Units: []uint16{1, 2, 3}, Label: 1}, {Label: 2}}, 4, 1e-3)
	f.Add(b)
	raw := []byte(spikeMagic + "\x04\xe8\x07\x01\x01\x02\x00\x01\x00\x01")
	f.Add(raw)
	f.Fuzz(func(t *testing.T, b []byte) {
		before := decodePanics.Load()
		// Fuzz the uncompressed layer directly: gzip itself is the standard
		// library's.
		sets, ch, err := decodeSpikeSetsSafe(b)
		if decodePanics.Load() != before {
			t.Fatalf("decoder panicked: %v", err)
		}
		if err != nil {
			return
		}
		for _, s := range sets {
			if _, err := s.Events(ch); err != nil {
				t.Fatalf("decoded set is invalid: %v", err)
			}
		}
	})
}
