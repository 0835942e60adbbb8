package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/nir"
)

func init() { register(newExportCmd) }

func newExportCmd() *cobra.Command {
	var out string
	var dt float64
	cmd := &cobra.Command{
		Use:   "export MODEL.snn -o MODEL.nir",
		Short: "Export an snnc model as a NIR graph for other SNN frameworks and chips",
		Long: `export writes the float network of an snnc model (a float model, or the float
layers of a compiled one) as a NIR file: an HDF5 file with a "node" group
of type NIRGraph (one group per node with a "type" dataset and its
parameters), "edges" and "version", which the nir Python package and the
frameworks that read NIR (Lava, snnTorch, Norse, Sinabs, Rockpool, SpiNNaker2)
load.

Dense layers become Affine nodes, conv2d layers Conv2d, average pooling
AvgPool2d, flatten Flatten; a layer's neurons become a LIF node with
tau = dt/(1−γ) and r = tau/dt (IF when γ = 1), current-based neurons a
CubaLIF node (tau_syn = dt/(1−β_c), w_in = tau_syn/dt), a recurrent layer
an Affine node, its neurons and a Linear node on a cycle, and the readout
of a max-potential model an LI (or CubaLI) node, written for the time step
--dt (default 1e-4 s). snnc export then snnc import gives the same model
back. Layers NIR cannot express (subtractive reset, sparse layers) are
refused in one line naming the layer, and no file is written.`,
		Example: `  snnc export model.snn -o model.nir
  snnc export model.loihi.snn -o model.nir   # the float layers of a compiled model`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("export takes one model file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("export: -o MODEL.nir is required")
			}
			if !(dt > 0 && dt < 1e3) {
				return usagef("export: --dt %g: want a time step in seconds > 0", dt)
			}
			m, err := ir.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			w, err := nir.Export(m, nir.ExportOptions{Dt: dt, File: out})
			if err != nil {
				return err
			}
			if err := w.WriteFile(out); err != nil {
				return err
			}
			note := ""
			if m.Quantized != nil {
				note = fmt.Sprintf(" (the float layers; the %s quantization and mapping have no NIR form)", m.Quantized.Target)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d layers as NIR %s, dt %g s%s\n", out, len(m.Layers), nir.Version, dt, note)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the NIR graph to FILE")
	cmd.Flags().Float64Var(&dt, "dt", nir.DefaultDt, "time step in seconds the continuous-time parameters are written for")
	return cmd
}
