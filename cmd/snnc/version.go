package main

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/snnc/snnc/ir"
)

func init() { register(newVersionCmd) }

func newVersionCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "version",
		Short:   "Print the snnc version and file-format version",
		Args:    cobra.NoArgs,
		Example: "  snnc version\n  snnc version --json",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(map[string]any{
					"version": version, "format_version": ir.FormatVersion, "go": runtime.Version(),
				})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "snnc %s (file format %d, %s)\n", version, ir.FormatVersion, runtime.Version())
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as one JSON object")
	return cmd
}
