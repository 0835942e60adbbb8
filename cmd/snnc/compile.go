package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

func init() { register(newCompileCmd) }

func newCompileCmd() *cobra.Command {
	var (
		target     string
		output     string
		weightBits int
		chips      int
		dumpAfter  string
		disable    []string
		seed       uint64
		asJSON     bool
		graded     bool
		gradedHid  bool
		convOrder  string
	)
	cmd := &cobra.Command{
		Use:   "compile --target T model.snn [-o out.snn]",
		Short: "Quantize a model and map it onto a neuromorphic target's cores",
		Long: `compile lowers a frozen float model onto a chip family: it quantizes weights,
thresholds, biases and leaks to the target's integer formats, splits every
layer into core-sized pieces under all per-core limits (compartments, input
axons, output routes, synaptic memory), places the pieces on the chips'
meshes minimising spike traffic × hops, routes them, verifies the result and
writes the compiled model (the same .snn format, with its quantized section
and mapping).

It prints a mapping report: cores and chips used, the lower bound on cores
the limits imply, cores per layer and the limit that binds, the utilisation
of each limit and the spike traffic in hops. A model that breaks a limit is
refused with every violation: the layer, the limit, what it needs and what
the target has.

Convolutions: average pooling that feeds a convolution or a dense layer is
folded into it exactly. On loihi a convolution is stored as the chip stores
it: one population axon per input pixel (the channel travels with the
spike) and every distinct synapse list once per core; the neurons of each
such layer go to cores in the order (position-major, channel blocks,
strided position or row classes, column-interleaved row classes, tiles)
that needs the fewest cores for the layer and its source layer, shown in
the report's order column (--conv-order names one instead). A conv layer
fed by the host's current has no input synapses: its order is
"route-balanced" where spreading its pixels by how many of the next
layer's cores they reach saves cores (its output routes bind).

On truenorth, a model trained with snnc train --target truenorth (grouped
fan-in, trinary weights per neuron or per conv channel, γ = 1, rate input)
is packed into cores by the '+' and '−' typed axons its neurons use,
splitter layers give every neuron exactly one target (core, axon), and the
readout currents are accumulated by the host from the last hidden layer's
spikes. The chip has no weight sharing: splitters and convolutions fed by
them are written as sparse layers (their synapses listed per neuron); a
convolution fed by the host keeps its kernels.

Graded input (--graded-input, loihi2): a direct-current input goes to the
chip as graded spikes, every step one spike per non-zero input whose integer
payload is the input value (raw 8-bit pixels exactly; Lava's 24-bit
num_message_bits), into on-chip synapses of the first layer that add
weight × payload. Without it the host computes the first layer's current
with MACs and programs it as a per-neuron bias. Targets with binary spikes
only refuse the flag.

Synaptic delays (loihi2): a layer trained or imported with a delay (snnc
train --arch 784-512-256d3-10, a NIR Delay node) receives the previous
layer's spikes that many steps later. Loihi 2 stores a 6-bit delay field in
every synapse of such a layer (0–62 steps, as lava-dl netx), dense synapses
and conv population-axon lists alike, and the synaptic memory counts it.
Targets without delays (loihi, truenorth, xylo) and delays over 62 steps
are refused, naming the layer and the numbers.

Graded hidden spikes (--graded-hidden, loihi2): a layer trained with
several spikes per step (snnc train --reset subtract-multi: up to 31 per
step) sends, per step, one graded spike per firing neuron whose payload is
its spike count; the next layer's synapses add weight × payload. Without
the flag, and on targets with binary spikes only, such a layer is refused.

Passes (for --dump-after; "all" dumps after each):
  ` + strings.Join(compile.PassDocs(), "\n  "),
		Example: `  snnc compile --target loihi model.snn -o model.loihi.snn
  snnc compile --target loihi model.snn --weight-bits 6 --chips 2
  snnc compile --target loihi model.snn --dump-after quantize
  snnc compile --target loihi model.snn --json
  snnc compile --target loihi2 delayed.snn   # a model with synaptic delays (--arch …-256d3-…)
  snnc compile --target loihi2 multi.snn --graded-hidden   # multi.snn: snnc train --reset subtract-multi
  snnc compile --target truenorth model.snn      # explains why a plain model does not fit
  snnc train --target truenorth -o tn.snn && snnc compile --target truenorth tn.snn
  snnc train --target truenorth --arch 28x28x1-16c5s2-64c3g4-10 -o tnconv.snn && snnc compile --target truenorth tnconv.snn`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("compile takes one model file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if target == "" {
				return usagef("compile: --target is required (valid: %s)", strings.Join(targets.Names(), ", "))
			}
			t, err := targets.Lookup(target)
			if err != nil {
				return usageError{err}
			}
			if weightBits != 0 {
				if _, _, err := t.Backend().WeightGrid(weightBits); err != nil {
					return usageError{err}
				}
			}
			if graded && !t.Backend().Capabilities().GradedSpikes {
				return usagef("compile: --graded-input: %s has binary spikes only (graded spikes: %s)", t.Name, strings.Join(gradedTargets(), ", "))
			}
			if gradedHid && !t.Backend().Capabilities().GradedSpikes {
				return usagef("compile: --graded-hidden: %s has binary spikes only (graded spikes: %s)", t.Name, strings.Join(gradedTargets(), ", "))
			}
			if chips < 0 {
				return usagef("compile: --chips %d: want a positive number of chips (0: as many as needed)", chips)
			}
			for _, p := range disable {
				if !contains(compile.Passes(), p) {
					return usagef("compile: --disable %q: unknown pass (valid: %s)", p, strings.Join(compile.Passes(), ", "))
				}
				if !contains(compile.OptionalPasses(), p) {
					return usagef("compile: --disable %q: the pass is required (optional: %s)", p, strings.Join(compile.OptionalPasses(), ", "))
				}
			}
			if dumpAfter != "" && dumpAfter != "all" && !contains(compile.Passes(), dumpAfter) {
				return usagef("compile: --dump-after %q: unknown pass (valid: all, %s)", dumpAfter, strings.Join(compile.Passes(), ", "))
			}
			in := args[0]
			if output == "" {
				output = strings.TrimSuffix(in, ".snn") + "." + t.Name + ".snn"
			}
			if output == in {
				return usagef("compile: -o %s would overwrite the input model", output)
			}
			m, err := ir.ReadFile(in)
			if err != nil {
				return err
			}
			var dump io.Writer = cmd.OutOrStdout()
			if asJSON {
				dump = cmd.ErrOrStderr()
			}
			res, err := compile.Compile(m, t, compile.Options{WeightBits: weightBits, Chips: chips, Seed: seed, DumpAfter: dumpAfter, Dump: dump, Disable: disable, GradedInput: graded, GradedHidden: gradedHid, ConvOrder: convOrder})
			if err != nil {
				var le *compile.LimitError
				if errors.As(err, &le) {
					return fmt.Errorf("%s does not fit %s:\n%w", in, t.Name, err)
				}
				return err
			}
			if err := ir.WriteFile(output, res.Model); err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
					*compile.Report
					Input  string `json:"input"`
					Output string `json:"output"`
				}{res.Report, in, output})
			}
			res.Report.WriteText(cmd.OutOrStdout())
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", output)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "target chip family ("+strings.Join(targets.Names(), ", ")+")")
	f.StringVarP(&output, "output", "o", "", "compiled model file (default: MODEL.TARGET.snn)")
	f.IntVar(&weightBits, "weight-bits", 0, "weight precision in bits (default: the target's widest)")
	f.IntVar(&chips, "chips", 0, "most chips to use (default: as many as needed, up to the largest system)")
	f.StringVar(&dumpAfter, "dump-after", "", "print a text form of the IR after this pass (or all)")
	f.StringSliceVar(&disable, "disable", nil, "skip optional passes (verify)")
	f.Uint64Var(&seed, "seed", 1, "seed of the placement's annealing")
	f.BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	f.BoolVar(&graded, "graded-input", false, "send a direct-current input as graded spikes (payload = the input value) into the first layer's on-chip synapses, instead of a host-computed bias (targets with graded spikes: "+strings.Join(gradedTargets(), ", ")+")")
	f.BoolVar(&gradedHid, "graded-hidden", false, "send the spike counts of several-spike layers (snnc train --reset subtract-multi) as graded spikes, one per firing neuron and step (targets with graded spikes: "+strings.Join(gradedTargets(), ", ")+")")
	f.StringVar(&convOrder, "conv-order", "", "map every conv layer fed by population axons in this order where it has one (e.g. \"position-major\", \"stride-4 position classes\"; default: the compiler chooses per layer)")
	return cmd
}

// gradedTargets lists the targets whose backend has graded spikes.
func gradedTargets() []string {
	var names []string
	for _, name := range targets.Names() {
		if t, err := targets.Lookup(name); err == nil && t.Backend().Capabilities().GradedSpikes {
			names = append(names, name)
		}
	}
	return names
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
