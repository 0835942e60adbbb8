package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestNIRScripts runs the import/export scripts in testdata/nir with the
// real NIR files of ir/nir/testdata and its bad files (testdata/bad: one
// case of the bad-input list each) copied into each script's
// directory.
func TestNIRScripts(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "ir", "nir", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/nir",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			paths, _ := filepath.Glob(filepath.Join(fixtures, "bad", "*.nir"))
			paths = append(paths, filepath.Join(fixtures, "lif_norse.nir"), filepath.Join(fixtures, "cnn_sinabs.nir"), filepath.Join(fixtures, "rsynaptic.nir"))
			for _, path := range paths {
				b, err := os.ReadFile(path)
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, filepath.Base(path)), b, 0o644); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){"exits": exitsCmd, "truncate": func(ts *testscript.TestScript, neg bool, args []string) {
			b, err := os.ReadFile(ts.MkAbs(args[0]))
			ts.Check(err)
			ts.Check(os.WriteFile(ts.MkAbs(args[1]), b[:len(b)/2], 0o644))
		}},
	})
}
