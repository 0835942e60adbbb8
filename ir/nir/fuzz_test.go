package nir_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/snnc/snnc/ir/nir"
)

// FuzzDecodeNIR decodes, imports and re-exports arbitrary bytes, seeded
// with the real files: no panic (recovered panics count as failures) in
// Decode, Import or Export.
func FuzzDecodeNIR(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.nir"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		before := nir.Recovered()
		g, err := nir.Decode("fuzz.nir", b)
		if err == nil {
			if m, err := nir.Import(g, nir.ImportOptions{Timesteps: 2}); err == nil {
				if _, err := nir.Export(m, nir.ExportOptions{}); err != nil {
					t.Logf("export of an imported model: %v", err)
				}
			}
		}
		if nir.Recovered() != before {
			t.Fatal("a panic was recovered")
		}
	})
}
