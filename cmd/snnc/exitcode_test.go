package main

import (
	"os"
	"testing"
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
