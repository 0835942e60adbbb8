package ir

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode. Decode must return an error or
// a valid model, never panic, and never get as far as its recover() (the
// bounds checks must catch everything first). A decoded model must survive
// Encode and decode to an equal model (every field, reflect.DeepEqual) whose
// encoding is the same bytes.
//
// Seeds: the golden files in testdata/, truncated and mutated copies of
// them, and a compiled conv model with a mapping order (Layer.MapOrder).
// Crashers found by `go test -fuzz FuzzDecode ./ir/` are kept in
// testdata/fuzz/FuzzDecode/ and replayed by every `go test`.
func FuzzDecode(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.snn"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files in testdata/ (run go test ./ir -run TestGoldenFiles -update): %v", err)
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		for _, n := range []int{0, 4, 8, 12, len(b) / 3, len(b) / 2, len(b) - 1} {
			f.Add(b[:n])
		}
		for _, i := range []int{0, 8, 12, 16, len(b) / 4, len(b) / 2} {
			c := bytes.Clone(b)
			c[i] ^= 0xff
			f.Add(c)
		}
	}
	ordered := testConv()
	ordered.Layers[0].MapOrder = make([]int32, ordered.Layers[0].NumOutputs())
	for k := range ordered.Layers[0].MapOrder {
		ordered.Layers[0].MapOrder[k] = int32(len(ordered.Layers[0].MapOrder) - 1 - k)
	}
	if b, err := Encode(ordered); err == nil {
		f.Add(b)
		c := bytes.Clone(b)
		c[len(c)/2] ^= 0x5a
		f.Add(c)
	} else {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		before := decodePanics.Load()
		m, err := Decode(b)
		if decodePanics.Load() != before {
			t.Fatalf("Decode panicked and only recover() saved it: %v", err)
		}
		if err != nil {
			if m != nil {
				t.Fatalf("Decode returned a model and an error: %v", err)
			}
			return
		}
		if err := Verify(m); err != nil {
			t.Fatalf("Decode returned an invalid model: %v", err)
		}
		enc, err := Encode(m)
		if err != nil {
			t.Fatalf("a decoded model does not encode: %v", err)
		}
		m2, err := Decode(enc)
		if err != nil {
			t.Fatalf("a re-encoded model does not decode: %v", err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("the round trip changed the model:\n%+v\n%+v", m, m2)
		}
		enc2, err := Encode(m2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("re-encoding is not stable: %v", err)
		}
	})
}
