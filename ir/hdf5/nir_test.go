package hdf5

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestRealNIRFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/nir/*.nir")
	if len(files) != 4 {
		t.Fatalf("want 4 NIR fixtures, found %d", len(files))
	}
	for _, name := range files {
		f, err := Open(name)
		if err != nil {
			t.Fatal(err)
		}
		var sb strings.Builder
		if err := describe(f.Root, &sb); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s (superblock %d):\n%s", name, f.Superblock, sb.String())
	}
}
