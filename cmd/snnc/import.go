package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/nir"
)

func init() { register(newImportCmd) }

func newImportCmd() *cobra.Command {
	var out string
	var dt float64
	var steps int
	var subtractIF bool
	var encoding string
	cmd := &cobra.Command{
		Use:   "import MODEL.nir -o MODEL.snn",
		Short: "Import a NIR graph (Norse, snnTorch, Sinabs, Rockpool, Lava, …) as an snnc model",
		Long: `import reads a NIR file (the Neuromorphic Intermediate Representation, an HDF5
file written by the nir Python package or by snnc export) and writes the
equivalent snnc float model, ready for snnc compile, simulate and energy.

NIR is continuous-time; --dt (seconds, default 1e-4 as the NIR paper and
Lava assume) turns tau, r and v_leak into snnc's per-step leak, weights
and bias (the table is in the ir/nir package documentation). --timesteps
sets T, the steps per sample (NIR does not store it; default: the file's
snnc metadata, else 100). Imported models take rate (or binary event)
input: a value x·scale in [0,1] is the probability of an input spike per
step. CubaLIF and CubaLI become current-based neurons, a cycle
neuron → Affine/Linear → the same neuron a recurrent layer, and an LI,
CubaLI or I node before the Output the readout (maximum potential, or the
integrated current); such models read event input, one frame per step
(--encoding sets it for any model: an N-MNIST CNN reads events too).
A Delay node in front of a synapse node (or after a bias-free one) becomes
that layer's synaptic delay, delay/dt steps: one value for the node and a
whole number of steps (up to 255; loihi2 compiles up to 62).

A graph snnc cannot run (per-neuron delays, a delay that is not whole
steps of --dt, a branch or cycle that is not a chain or
a recurrence, an unknown node type) is refused in one line naming the node
and the reason; a file that is
not NIR, a node with missing or mis-shaped parameters, an edge naming an
unknown node or shapes that do not match along an edge are errors naming
the node and the dataset. No output file is written then (exit status 1).`,
		Example: `  snnc import lif_norse.nir -o lif.snn
  snnc import cnn_sinabs.nir -o cnn.snn --timesteps 300 --encoding events
  snnc import model.nir -o model.snn --dt 1e-3`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("import takes one NIR file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("import: -o MODEL.snn is required")
			}
			if cmd.Flags().Changed("dt") && !(dt > 0 && dt < 1e3) {
				return usagef("import: --dt %g: want a time step in seconds > 0", dt)
			}
			if !cmd.Flags().Changed("dt") {
				dt = 0
			}
			if encoding != "" && encoding != "rate" && encoding != "events" {
				return usagef("import: --encoding %q: want rate or events", encoding)
			}
			if steps < 0 || steps > ir.MaxTimesteps {
				return usagef("import: --timesteps %d: want 1..%d (0: the file's, else %d)", steps, ir.MaxTimesteps, nir.DefaultTimesteps)
			}
			f, err := nir.ReadFile(args[0])
			if err != nil {
				return err
			}
			m, err := nir.Import(f, nir.ImportOptions{Dt: dt, Timesteps: steps, ToolVersion: version, SubtractIF: subtractIF, Encoding: encoding})
			if err != nil {
				return err
			}
			if err := ir.WriteFile(out, m); err != nil {
				return err
			}
			s := m.Summary()
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d layers, %d neurons, %d parameters, T = %d, readout %s (from %s, NIR %s)\n",
				out, len(m.Layers), s.Neurons, s.Params, m.Timesteps, m.Readout.Kind, args[0], f.Version)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the snnc model to FILE")
	cmd.Flags().Float64Var(&dt, "dt", nir.DefaultDt, "time step in seconds for the continuous-time parameters (default: the file's snnc metadata, else 1e-4)")
	cmd.Flags().IntVar(&steps, "timesteps", 0, "time steps per sample T (0: the file's snnc metadata, else 100)")
	cmd.Flags().StringVar(&encoding, "encoding", "", "input encoding: rate (a value is a spike probability per step) or events (one frame of spikes per step); default: the file's snnc metadata, else events for current-based, recurrent or LI-readout models and rate for the others")
	cmd.Flags().BoolVar(&subtractIF, "subtract-if", false, "IF neurons subtract the threshold after a spike (Sinabs' own reset, which NIR cannot state) instead of resetting to v_reset = 0")
	return cmd
}
