package compile_test

import (
	"fmt"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Compile a 784-512-512-10 network with spike (rate-coded) input for Loihi
// and read the mapping report.
func ExampleCompile() {
	m := compile.RandomDense([]int{784, 512, 512, 10}, 8, 1)
	m.Input.Encoding = ir.EncodingRate
	t, err := targets.Lookup("loihi")
	if err != nil {
		panic(err)
	}
	res, err := compile.Compile(m, t, compile.Options{})
	if err != nil {
		panic(err)
	}
	r := res.Report
	fmt.Printf("%d cores on %d chip, lower bound %d\n", r.Cores, r.Chips, r.LowerBoundCores)
	for _, l := range r.Layers {
		fmt.Printf("%s: %d cores, at most %d neurons each, bound by %s\n", l.Name, l.Cores, l.MaxNeuronsPerCore, l.Binding)
	}
	// Output:
	// 8 cores on 1 chip, lower bound 8
	// fc1: 4 cores, at most 128 neurons each, bound by synaptic memory
	// fc2: 3 cores, at most 171 neurons each, bound by synaptic memory
	// fc3: 1 cores, at most 10 neurons each, bound by none (one core)
}
