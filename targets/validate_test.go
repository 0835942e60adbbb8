package targets

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// edit returns the loihi data file with old replaced by new (once).
func edit(t *testing.T, old, new string) []byte {
	t.Helper()
	b, err := dataFS.ReadFile("data/loihi.json")
	require.NoError(t, err)
	s := string(b)
	require.Contains(t, s, old)
	return []byte(strings.Replace(s, old, new, 1))
}

// TestParseBadInput: a broken data file gives one error line naming the
// file and the field.
func TestParseBadInput(t *testing.T) {
	cases := []struct {
		desc, old, new, field, problem string
	}{
		{"unknown family", `"family": "loihi"`, `"family": "spinnaker"`, "family", `unknown family "spinnaker" (known: ` + strings.Join(Families(), ", ") + `)`},
		{"missing field", `"neurons": 1024,`, ``, "core.neurons", "missing"},
		{"missing nested in a list", `"name": "davies2018",`, ``, "energy[0].name", "missing"},
		{"figure out of range", `"neurons": 1024`, `"neurons": 0`, "core.neurons", "0 is outside"},
		{"negative energy", `"synaptic_op": 23.6e-12`, `"synaptic_op": -1`, "energy[0].joules.synaptic_op", "want a finite figure ≥ 0"},
		{"weight choice beyond the field", `"weight_choices": [`, `"weight_choices": [12, `, "bits.weight_choices[0]", "outside 1..8"},
		{"wrong type", `"neurons": 1024`, `"neurons": "many"`, "core.neurons", "a JSON string"},
		{"unknown field", `"neurons": 1024`, `"neurons": 1024, "nuerons": 3`, "core.nuerons", "unknown field"},
		{"unknown source", `"sources": ["davies2018"]`, `"sources": ["nobody"]`, "energy[0].sources[0]", `unknown source "nobody"`},
		{"bad leak", `"leak": "multiplicative"`, `"leak": "none"`, "leak", `"none"`},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			_, err := Parse("x/loihi.json", edit(t, c.old, c.new))
			require.Error(t, err)
			var de *DataError
			require.True(t, errors.As(err, &de), "error %v is not a *DataError", err)
			assert.Equal(t, "x/loihi.json", de.File)
			assert.Equal(t, c.field, de.Field)
			assert.Contains(t, de.Problem, c.problem)
			msg := err.Error()
			assert.NotContains(t, msg, "\n", "one line")
			assert.True(t, strings.HasPrefix(msg, "targets: x/loihi.json: field "+c.field+": "), msg)
		})
	}
	_, err := Parse("f.json", []byte(`{"name": `))
	var de *DataError
	require.True(t, errors.As(err, &de))
	assert.Equal(t, "f.json", de.File)
}

// TestParseDataFiles: every embedded file parses, and writing it back gives
// the same target (nothing is dropped on the way).
func TestParseDataFiles(t *testing.T) {
	for _, name := range AllNames() {
		b, err := dataFS.ReadFile("data/" + name + ".json")
		require.NoError(t, err)
		tg, err := Parse(name, b)
		require.NoError(t, err, name)
		assert.Equal(t, name, tg.Name)
	}
}

// FuzzParse: Parse never panics, and what it accepts has a backend and
// figures in range.
func FuzzParse(f *testing.F) {
	for _, name := range AllNames() {
		b, err := dataFS.ReadFile("data/" + name + ".json")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tg, err := Parse("fuzz.json", b)
		if err != nil {
			var de *DataError
			if !errors.As(err, &de) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one DataError line", err)
			}
			return
		}
		be := tg.Backend()
		if be.NeuronModel() == 0 {
			t.Fatal("backend without a neuron model")
		}
		if field, _ := checkFigures(tg); field != "" {
			t.Fatalf("accepted a bad %s", field)
		}
	})
}

// TestParseMutations feeds Parse 5,000 random byte-level mutations of the
// data files (the fuzzer's job, run deterministically in every go test):
// no panic, and every error is one DataError line.
func TestParseMutations(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	var seeds [][]byte
	for _, name := range AllNames() {
		b, err := dataFS.ReadFile("data/" + name + ".json")
		require.NoError(t, err)
		seeds = append(seeds, b)
	}
	digits := []byte(`-0123456789.e"{}[],:`)
	accepted := 0
	for i := range 5000 {
		b := append([]byte(nil), seeds[i%len(seeds)]...)
		for range 1 + r.IntN(4) {
			j := r.IntN(len(b))
			switch r.IntN(3) {
			case 0: // replace a byte with a JSON-ish one
				b[j] = digits[r.IntN(len(digits))]
			case 1: // delete a span
				b = append(b[:j], b[min(len(b), j+1+r.IntN(40)):]...)
			default: // duplicate a span
				k := min(len(b), j+1+r.IntN(40))
				b = append(b[:k], append(append([]byte(nil), b[j:k]...), b[k:]...)...)
			}
			if len(b) == 0 {
				b = []byte("{")
			}
		}
		tg, err := Parse("m.json", b)
		if err != nil {
			var de *DataError
			require.True(t, errors.As(err, &de), "%v", err)
			require.NotContains(t, err.Error(), "\n")
			continue
		}
		accepted++
		field, _ := checkFigures(tg)
		require.Empty(t, field)
		tg.Backend()
	}
	t.Logf("%d of 5000 mutations accepted", accepted)
}
