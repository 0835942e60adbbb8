package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/compile"
)

func init() { register(newDemoCmd) }

// demoStep is one stage of the demo pipeline: a title, the snnc command
// line that runs it and the outcome it expects.
type demoStep struct {
	title  string
	args   []string
	expect demoOutcome
}

// demoOutcome is what a demo step expects of its command.
type demoOutcome int

const (
	// succeeds: an error stops the demo.
	succeeds demoOutcome = iota
	// mayFail: an error is shown and the demo goes on.
	mayFail
	// doesNotFit: the step shows a model the target's limits refuse; the
	// compiler's typed limit errors are shown, and any other outcome stops
	// the demo.
	doesNotFit
)

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
				{"train an ASGL network", cat([]string{"train", "--epochs", fmt.Sprint(epochs), "--seed", s, "-o", p("model.snn")}, data), succeeds},
				{"what is in the model", []string{"inspect", p("model.snn")}, succeeds},
				{"compile it for Loihi", []string{"compile", "--target", "loihi", p("model.snn"), "-o", p("model.loihi.snn")}, succeeds},
				{"simulate the compiled model, bit-exact", cat([]string{"simulate", p("model.loihi.snn")}, data, lim), succeeds},
				{"a plain network does not fit TrueNorth", []string{"compile", "--target", "truenorth", p("model.snn"), "-o", p("model.truenorth.snn")}, doesNotFit},
				{"train inside TrueNorth's limits", cat([]string{"train", "--target", "truenorth", "--epochs", fmt.Sprint(epochs), "--seed", s, "-o", p("model-tn.snn")}, data), mayFail},
				{"compile it for TrueNorth", []string{"compile", "--target", "truenorth", p("model-tn.snn"), "-o", p("model-tn.truenorth.snn")}, mayFail},
				{"simulate it on TrueNorth", cat([]string{"simulate", p("model-tn.truenorth.snn")}, data, lim), mayFail},
				{"energy report for every target", cat([]string{"energy", p("model.snn"), "--target", "all", "--format", "html", "-o", p("report.html")}, data, lim), succeeds},
				{"energy report for the TrueNorth-trained network", cat([]string{"energy", p("model-tn.snn"), "--target", "all", "--format", "html", "-o", p("report-truenorth.html")}, data, lim), mayFail},
				{"energy report as text", cat([]string{"energy", p("model.loihi.snn"), "--target", "all"}, data, lim), succeeds},
			}
			out := cmd.OutOrStdout()
			for i, st := range steps {
				fmt.Fprintf(out, "\n== %d/%d %s\n$ snnc %s\n", i+1, len(steps), st.title, join(st.args))
				if err := st.check(runStep(cmd, st.args, out), out); err != nil {
					return err
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

// check compares the step's error with what the step expects: it returns
// the error that stops the demo, or shows an expected failure on out.
func (st *demoStep) check(err error, out io.Writer) error {
	var refused compile.LimitErrors
	switch {
	case st.expect == doesNotFit && errors.As(err, &refused):
		fmt.Fprintf(out, "(as expected for this step: %v)\n", err)
	case st.expect == doesNotFit && err == nil:
		return fmt.Errorf("demo step %q: the target accepted the model; this step shows a refusal", st.title)
	case st.expect == doesNotFit, err != nil && st.expect == succeeds:
		return fmt.Errorf("demo step %q: %w", st.title, err)
	case err != nil:
		fmt.Fprintf(out, "(as expected for this step: %v)\n", err)
	}
	return nil
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
