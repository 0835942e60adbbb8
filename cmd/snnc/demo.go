package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func init() { register(newDemoCmd) }

// demoStep is one stage of the demo pipeline: a title and the snnc command
// line that runs it. A step marked mayFail shows its error and goes on.
type demoStep struct {
	title   string
	args    []string
	mayFail bool
}

func newDemoCmd() *cobra.Command {
	var (
		outDir  string
		dataDir string
		epochs  int
		seed    uint64
		limit   int
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole pipeline: train, compile for loihi and truenorth, simulate, energy report",
		Long: `demo runs every stage of snnc on the embedded MNIST subset (or --data DIR)
and leaves the model files, the metrics and an html energy report in one folder:

  model.snn            the trained, frozen float network
  model.loihi.snn      compiled for Loihi (quantized and mapped)
  model-tn.snn         a TrueNorth-constrained network (trained with --target truenorth)
  model-tn.truenorth.snn  compiled for TrueNorth
  report.html          energy report for every target, with plots
  report-truenorth.html  the same for the TrueNorth-trained network

Each step prints the snnc command it runs, so the demo doubles as a tutorial.`,
		Example: `  snnc demo                      # about a minute on 2 cores
  snnc demo -o out --epochs 2
  snnc demo --data ~/datasets/fashion-mnist --limit 2000`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			p := func(name string) string { return filepath.Join(outDir, name) }
			data := []string{}
			if dataDir != "" {
				data = []string{"--data", dataDir}
			}
			lim := []string{"--limit", fmt.Sprint(limit)}
			s := fmt.Sprint(seed)
			steps := []demoStep{
				{"train an ASGL network", cat([]string{"train", "--epochs", fmt.Sprint(epochs), "--seed", s, "-o", p("model.snn")}, data), false},
				{"what is in the model", []string{"inspect", p("model.snn")}, false},
				{"compile it for Loihi", []string{"compile", "--target", "loihi", p("model.snn"), "-o", p("model.loihi.snn")}, false},
				{"simulate the compiled model, bit-exact", cat([]string{"simulate", p("model.loihi.snn")}, data, lim), false},
				{"a plain network does not fit TrueNorth", []string{"compile", "--target", "truenorth", p("model.snn"), "-o", p("model.truenorth.snn")}, true},
				{"train inside TrueNorth's limits", cat([]string{"train", "--target", "truenorth", "--epochs", fmt.Sprint(epochs), "--seed", s, "-o", p("model-tn.snn")}, data), true},
				{"compile it for TrueNorth", []string{"compile", "--target", "truenorth", p("model-tn.snn"), "-o", p("model-tn.truenorth.snn")}, true},
				{"simulate it on TrueNorth", cat([]string{"simulate", p("model-tn.truenorth.snn")}, data, lim), true},
				{"energy report for every target", cat([]string{"energy", p("model.snn"), "--target", "all", "--format", "html", "-o", p("report.html")}, data, lim), false},
				{"energy report for the TrueNorth-trained network", cat([]string{"energy", p("model-tn.snn"), "--target", "all", "--format", "html", "-o", p("report-truenorth.html")}, data, lim), true},
				{"energy report as text", cat([]string{"energy", p("model.loihi.snn"), "--target", "all"}, data, lim), false},
			}
			out := cmd.OutOrStdout()
			for i, st := range steps {
				fmt.Fprintf(out, "\n== %d/%d %s\n$ snnc %s\n", i+1, len(steps), st.title, join(st.args))
				if err := runStep(cmd, st.args, out); err != nil {
					if !st.mayFail {
						return fmt.Errorf("demo step %q: %w", st.title, err)
					}
					fmt.Fprintf(out, "(as expected for this step: %v)\n", err)
				}
			}
			fmt.Fprintf(out, "\nDone. Models and report.html are in %s\n", outDir)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&outDir, "output", "o", "snnc-demo", "folder for the models and the report")
	f.StringVar(&dataDir, "data", "", "IDX dataset folder (default: the embedded MNIST subset)")
	f.IntVar(&epochs, "epochs", 3, "training epochs")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.IntVar(&limit, "limit", 1000, "test samples to simulate")
	return cmd
}

// runStep runs one snnc command line in this process with its own root
// command, writing its output to out.
func runStep(parent *cobra.Command, args []string, out io.Writer) error {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(parent.ErrOrStderr())
	return root.ExecuteContext(parent.Context())
}

func cat(parts ...[]string) []string {
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

func join(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
