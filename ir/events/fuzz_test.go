package events

import (
	"testing"
)

// FuzzDecodeNMNIST: any bytes decode to an error or to a stream that lies in
// the sensor, never goes backwards and re-encodes to the same events.
func FuzzDecodeNMNIST(f *testing.F) {
	f.Add(rawEvent(1, 2, 1, 300))
	f.Add(append(append(rawEvent(1, 2, 1, 300), 0, OverflowY, 0, 0, 0), rawEvent(33, 33, 0, 5)...))
	f.Add([]byte{1, 2, 3})
	b, _ := EncodeNMNIST([]Event{{T: 1}, {X: 3, Y: 9, Polarity: 1, T: 1 << 24}}, NMNISTSensor)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		before := decodePanics.Load()
		evs, err := DecodeNMNIST(b, NMNISTSensor)
		if decodePanics.Load() != before {
			t.Fatalf("decoder panicked: %v", err)
		}
		if err != nil {
			return
		}
		if err := CheckStream(evs, NMNISTSensor); err != nil {
			t.Fatalf("decoded stream is invalid: %v", err)
		}
		re, err := EncodeNMNIST(evs, NMNISTSensor)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		back, err := DecodeNMNIST(re, NMNISTSensor)
		if err != nil || len(back) != len(evs) {
			t.Fatalf("re-decode: %v (%d events, want %d)", err, len(back), len(evs))
		}
		for i := range back {
			if back[i] != evs[i] {
				t.Fatalf("event %d: %+v after a round trip, want %+v", i, back[i], evs[i])
			}
		}
	})
}
