package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/snnc/snnc/targets"
	"github.com/spf13/cobra"
)

// version is the tool version, set at link time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// commands holds the constructors of the subcommands; each subcommand's file
// registers itself in an init function.
var commands []func() *cobra.Command

func register(newCmd func() *cobra.Command) { commands = append(commands, newCmd) }

// usageError marks an error in the command line itself (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "snnc",
		Short: "snnc — a train-to-chip compiler for spiking neural networks",
		Long: `snnc trains spiking neural networks with Adaptive Smoothing Gradient Learning
(ASGL), freezes them to spike-only inference, compiles them onto Loihi- or
TrueNorth-style neuromorphic chips, simulates the compiled model bit-exactly and
reports its energy.

Every stage reads and writes one FlatBuffers file format (.snn).`,
		Example: `  snnc train -o model.snn                    # train on the embedded MNIST subset
  snnc compile --target loihi model.snn -o model.loihi.snn
  snnc simulate model.loihi.snn
  snnc energy model.loihi.snn --target all
  snnc inspect model.loihi.snn`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// The root runs only when no subcommand matches its first
		// argument: that is an unknown command (exit code 2); without
		// arguments it prints the help.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return unknownCommand(cmd, args[0])
		},
		SuggestionsMinimumDistance: 2,
	}
	var chipFiles []string
	root.PersistentFlags().StringArrayVar(&chipFiles, "chip", nil,
		"load a chip's data file (JSON, as targets/data/*.json) so that --target can name it; repeatable. A chip of a known family needs nothing else")
	root.PersistentPreRunE = func(*cobra.Command, []string) error {
		return targets.UseDataFiles(chipFiles)
	}
	for _, c := range commands {
		root.AddCommand(c())
	}
	markUsageErrors(root)
	return root
}

// unknownCommand is the usage error for a first argument that names no
// command, with cobra's suggestions of close names.
func unknownCommand(root *cobra.Command, name string) error {
	msg := fmt.Sprintf("unknown command %q for %q", name, root.CommandPath())
	if close := root.SuggestionsFor(name); len(close) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(close, "\n\t")
	}
	return usageError{errors.New(msg)}
}

// markUsageErrors makes argument-count errors and flag errors of every
// command usage errors (exit code 2).
func markUsageErrors(c *cobra.Command) {
	if args := c.Args; args != nil {
		c.Args = func(cmd *cobra.Command, a []string) error {
			if err := args(cmd, a); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	for _, sub := range c.Commands() {
		markUsageErrors(sub)
	}
}

// run executes the command line and returns the process exit code. Errors
// are printed here, once, as one line on stderr.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintf(os.Stderr, "snnc: %v\n", err)
	return exitCode(err)
}

// exitCode is the process exit status for a command's error: 2 for a bad
// command line (usageError), 130 for an interrupt, 1 for any other error.
func exitCode(err error) int {
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	case errors.Is(err, context.Canceled):
		return 130
	}
	return 1
}
