package main

import (
	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
)

// oneModel is the Args check of a command that takes one model file.
func oneModel(name string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usagef("%s takes one model file, got %d arguments", name, len(args))
		}
		return nil
	}
}

// writeOutput writes a finished report to the file output atomically (and
// logs it), or to stdout when output is "".
func writeOutput(cmd *cobra.Command, output string, report []byte, logf func(format string, a ...any)) error {
	if output != "" {
		if err := ir.WriteFileAtomic(output, report, 0o644); err != nil {
			return err
		}
		logf("wrote %s", output)
		return nil
	}
	_, err := cmd.OutOrStdout().Write(report)
	return err
}
