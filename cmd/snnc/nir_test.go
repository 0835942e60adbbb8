package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestNIRScripts runs the import/export scripts in testdata/nir with the
// real NIR files of ir/nir/testdata copied into each script's directory.
func TestNIRScripts(t *testing.T) {
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "ir", "nir", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/nir",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for _, name := range []string{"lif_norse.nir", "cnn_sinabs.nir"} {
				b, err := os.ReadFile(filepath.Join(fixtures, name))
				if err != nil {
					return err
				}
				if err := os.WriteFile(filepath.Join(env.WorkDir, name), b, 0o644); err != nil {
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
