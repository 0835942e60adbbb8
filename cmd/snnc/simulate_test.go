package main

import (
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// TestSimulateScripts runs testdata/simulate/*.txtar in a directory holding
// models made here: float.snn (784-64-10), loihi.snn (it, compiled),
// small.loihi.snn (a 100-input model, which does not fit MNIST) and
// noroute.loihi.snn (loihi.snn with its first route removed).
func TestSimulateScripts(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	float := compile.RandomDense([]int{784, 64, 10}, 4, 1)
	float.Input.Scale = 1.0 / 255
	res, err := compile.Compile(float, tg, compile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	small, err := compile.Compile(compile.RandomDense([]int{100, 16, 10}, 4, 1), tg, compile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	noroute := *res.Model
	mp := *noroute.Mapping
	mp.Routes = mp.Routes[1:]
	noroute.Mapping = &mp
	models := map[string]*ir.Model{"float.snn": float, "loihi.snn": res.Model, "small.loihi.snn": small.Model, "noroute.loihi.snn": &noroute}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/simulate",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			for name, m := range models {
				if err := ir.WriteFile(filepath.Join(env.WorkDir, name), m); err != nil {
					return err
				}
			}
			return nil
		},
	})
}
