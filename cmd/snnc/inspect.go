package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
)

func init() { register(newInspectCmd) }

func newInspectCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Summarise a model file: layers, provenance, quantization and mapping",
		Long: `inspect decodes and verifies a .snn model file and prints a summary: the input,
the number of time steps T, every layer (kind, shapes, convolution window,
parameter and neuron counts, LIF leak γ, threshold ϑ and reset, weight
range), the readout, how the model was made (provenance), its quantization
for a target (weight bits; per layer weight exponent, threshold, decays,
leak) and its mapping onto cores (chips, cores used and the lower bound,
cores per layer, routes and hops).

--json prints the same summary as one JSON object (counts and ranges, never
the weight arrays). A truncated or corrupt file is reported in one line and
inspect exits with status 1.`,
		Example: `  snnc inspect model.snn
  snnc inspect model.loihi.snn --json
  snnc inspect model.loihi.snn --json | jq '.mapping.cores_per_layer'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("inspect takes one model file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			rep, err := ir.InspectFile(args[0])
			if err != nil {
				return err
			}
			if err := nameMapOrders(rep); err != nil {
				return err
			}
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(rep)
			}
			return writeInspect(cmd.OutOrStdout(), rep)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as one JSON object")
	return cmd
}

// nameMapOrders replaces the "own order" of the summary's conv layers by
// the name of the candidate order it is (compile.ConvOrderName).
func nameMapOrders(r *ir.FileSummary) error {
	own := false
	for _, l := range r.Summary.Layers {
		own = own || l.MapOrder == "own order"
	}
	if !own {
		return nil
	}
	m, err := ir.ReadFile(r.File)
	if err != nil {
		return err
	}
	for i := range r.Summary.Layers {
		if ls := &r.Summary.Layers[i]; ls.MapOrder == "own order" && i < len(m.Layers) {
			ls.MapOrder = compile.ConvOrderName(&m.Layers[i])
		}
	}
	return nil
}

// writeInspect prints the summary as text.
func writeInspect(out io.Writer, r *ir.FileSummary) error {
	s := &r.Summary
	w := &inspWriter{w: out}
	name := ""
	if s.Name != "" {
		name = fmt.Sprintf(" %q", s.Name)
	}
	w.printf("%s:%s (snnc file format %d, %d bytes)\n", r.File, name, s.FormatVersion, r.Bytes)
	w.printf("input       %s, %s encoding, scale %s\n", inspShape(s.Input.Shape), s.Input.Encoding, inspNum(s.Input.Scale))
	w.printf("timesteps   T = %d\n", s.Timesteps)
	w.printf("readout     %s of layer %d\n", s.Readout, len(s.Layers)-1)
	w.printf("layers      %d layers, %s parameters, %s neurons, %s synapses\n",
		len(s.Layers), inspCount(s.Params), inspCount(s.Neurons), inspCount(s.Synapses))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tname\tkind\tin → out\twindow\tparams\tneurons\tγ\tϑ\treset\tweights\tbias")
	for _, l := range s.Layers {
		window, lifG, lifT, reset := "", "", "", ""
		if l.Kernel != nil {
			window = fmt.Sprintf("k%d×%d s%d×%d p%d×%d", l.Kernel[0], l.Kernel[1], l.Stride[0], l.Stride[1], l.Padding[0], l.Padding[1])
			if l.Groups > 1 {
				window += fmt.Sprintf(" g%d", l.Groups)
			}
		}
		if l.Neuron != nil {
			lifG, lifT, reset = inspNum(l.Neuron.Leak), inspNum(l.Neuron.Threshold), l.Neuron.Reset
			if !l.Spiking {
				reset = "(readout)"
			}
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s → %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			l.Index, l.Name, l.Kind, inspShape(l.InShape), inspShape(l.OutShape), window,
			inspDash(l.Params), inspDash(l.Neurons), lifG, lifT, reset, inspRange(l.Weights), inspRange(l.Bias))
	}
	tw.Flush()
	for _, l := range s.Layers {
		if l.Recurrent != nil {
			w.printf("            layer %d recurrent weights %s\n", l.Index, inspRange(l.Recurrent))
		}
		if l.MapOrder != "" {
			w.printf("            layer %d (%s) mapping order: %s\n", l.Index, l.Name, l.MapOrder)
		}
		if l.Delay > 0 {
			w.printf("            layer %d (%s) synaptic delay %d steps: its input at step t is the previous layer's output of step t − %d\n", l.Index, l.Name, l.Delay, l.Delay)
		}
	}

	if p := s.Provenance; p != nil {
		w.printf("provenance  method %s", p.Method)
		if p.Dataset != "" {
			w.printf(", dataset %s", p.Dataset)
		}
		w.printf(", %d epochs, seed %d, test accuracy %s\n", p.Epochs, p.Seed, inspNum(p.TestAccuracy))
		milestones := "none"
		if len(p.Milestones) > 0 {
			milestones = fmt.Sprint(p.Milestones)
		}
		w.printf("            surrogate α %s, noise p %s, ζ %s, milestones %s\n", inspNums(p.Alphas), inspNum(p.NoiseP), inspNum(p.NoiseZeta), milestones)
		if p.ToolVersion != "" || p.Target != "" {
			tgt := p.Target
			if tgt == "" {
				tgt = "none"
			}
			w.printf("            written by snnc %s, trained for target %s\n", inspOrDash(p.ToolVersion), tgt)
		}
	} else {
		w.printf("provenance  none\n")
	}

	if q := s.Quantized; q != nil {
		w.printf("quantized   target %s, %d-bit weights\n", q.Target, q.WeightBits)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  #\tname\tw-exp\tscale\tthreshold\tneg-thr\tbias-exp\tdecay u/v\tleak\treset\tweights\tbias\taxon types")
		for i, l := range q.Layers {
			if s.Layers[i].Neurons == 0 {
				fmt.Fprintf(tw, "  %d\t%s\t(no neurons)\n", l.Index, l.Name)
				continue
			}
			axons := "-"
			if l.AxonTypes > 0 {
				axons = fmt.Sprintf("%d, type weights %s", l.AxonTypes, inspIntRange(l.TypeWeights))
			}
			fmt.Fprintf(tw, "  %d\t%s\t%d\t%s\t%d\t%d\t%d\t%d/%d\t%d\t%s\t%s\t%s\t%s\n",
				l.Index, l.Name, l.WeightExponent, inspNum(l.Scale), l.Threshold, l.NegThreshold, l.BiasExponent,
				l.DecayU, l.DecayV, l.Leak, l.Reset, inspIntRange(l.Weights), inspIntRange(l.Bias), axons)
		}
		tw.Flush()
	} else {
		w.printf("quantized   no (float model)\n")
	}

	if mp := s.Mapping; mp != nil {
		w.printf("mapping     target %s, %d chip(s) of %d×%d cores, %d cores used (lower bound %d)\n",
			mp.Target, mp.Chips, mp.MeshWidth, mp.MeshHeight, mp.Cores, mp.LowerBoundCores)
		var per []string
		for i, n := range mp.CoresPerLayer {
			if s.Layers[i].Neurons > 0 {
				per = append(per, fmt.Sprintf("%s %d", inspLayerLabel(s.Layers[i]), n))
			}
		}
		w.printf("            cores per layer: %s\n", strings.Join(per, ", "))
		w.printf("            %d routes, %d hops in total (max %d per route), %s axon·hops\n",
			mp.Routes, mp.TotalHops, mp.MaxHops, inspCount(mp.AxonHops))
		w.printf("            %s input axons, %s synapse bits\n", inspCount(mp.InputAxons), inspCount(mp.SynapseBits))
	} else {
		w.printf("mapping     no (not compiled)\n")
	}
	return w.err
}

// inspWriter remembers the first write error.
type inspWriter struct {
	w   io.Writer
	err error
}

func (e *inspWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *inspWriter) printf(format string, a ...any) { fmt.Fprintf(e, format, a...) }

func inspLayerLabel(l ir.LayerSummary) string {
	if l.Name != "" {
		return l.Name
	}
	return fmt.Sprintf("layer %d", l.Index)
}

func inspShape(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func inspNum(x float32) string { return fmt.Sprintf("%.4g", x) }

func inspNums(xs []float32) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = inspNum(x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func inspRange(r *ir.Range) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("[%s, %s]", inspNum(r.Min), inspNum(r.Max))
}

func inspIntRange(r *ir.IntRange) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("[%d, %d]", r.Min, r.Max)
}

func inspDash(n int) string {
	if n == 0 {
		return "-"
	}
	return inspCount(int64(n))
}

func inspOrDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// inspCount formats n with thin thousands separators (1,234,567).
func inspCount(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
