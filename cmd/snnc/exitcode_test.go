package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/snnc/snnc/compile"
)

// TestExitCodes checks the process exit codes: 0 on success, 2 for a bad
// command line, 1 for other failures.
func TestExitCodes(t *testing.T) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	stderr := os.Stderr
	os.Stderr = devnull
	defer func() { os.Stderr = stderr }()
	cases := []struct {
		desc string
		args []string
		want int
	}{
		{"version", []string{"version", "--json"}, 0},
		{"unknown command", []string{"frobnicate"}, 2},
		{"unknown flag", []string{"version", "--bogus"}, 2},
		{"extra argument", []string{"version", "x"}, 2},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			stdout := os.Stdout
			os.Stdout = devnull
			got := run(c.args)
			os.Stdout = stdout
			if got != c.want {
				t.Errorf("snnc %v: exit %d, want %d", c.args, got, c.want)
			}
		})
	}
}

// TestExitCodeOfTypedErrors: the exit status comes from the error's type,
// never from its text.
func TestExitCodeOfTypedErrors(t *testing.T) {
	cases := []struct {
		desc string
		err  error
		want int
	}{
		{"success", nil, 0},
		{"usage error, wrapped", fmt.Errorf("energy: %w", usagef("unknown format %q", "pdf")), 2},
		{"interrupted", fmt.Errorf("simulate: %w", context.Canceled), 130},
		{"limits broken", fmt.Errorf("m.snn does not fit truenorth:\n%w", compile.LimitErrors{{Layer: 0, Limit: "fan-in"}}), 1},
		{"text that looks like a usage error", errors.New("unknown command \"x\" for \"snnc\""), 1},
	}
	for _, c := range cases {
		if got := exitCode(c.err); got != c.want {
			t.Errorf("%s: exitCode(%v) = %d, want %d", c.desc, c.err, got, c.want)
		}
	}
}
