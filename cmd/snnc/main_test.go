package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/snnc/snnc/ir/dataset"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"snnc": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScripts runs the end-to-end CLI scripts in testdata/script: every
// command's happy path, --help, and its errors and exit codes on bad input.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// truncate SRC DST writes the first half of SRC to DST.
			"truncate": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: truncate SRC DST")
				}
				b, err := os.ReadFile(ts.MkAbs(args[0]))
				ts.Check(err)
				ts.Check(os.WriteFile(ts.MkAbs(args[1]), b[:len(b)/2], 0o644))
			},
			"exits":     exitsCmd,
			"interrupt": interruptCmd,
			"mksubset":  mksubsetCmd,
		},
	})
}

// exitsCmd is "exits CODE PROG [ARGS...]": it runs PROG as exec does and
// requires the exit status CODE (`! exec` cannot tell 1 from 2).
func exitsCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	if got := exitStatus(ts, ts.Exec(args[1], args[2:]...)); got != want {
		ts.Fatalf("%s: exit status %d, want %d", strings.Join(args[1:], " "), got, want)
	}
}

// exitStatus is the exit status that err from running a program means.
func exitStatus(ts *testscript.TestScript, err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	ts.Fatalf("%v", err)
	return -1
}

// interruptCmd is "interrupt CODE PATTERN snnc [ARGS...]": it starts snnc,
// sends it an interrupt (Ctrl-C) once a line of its stderr contains
// PATTERN, and requires the exit status CODE. Its stderr is then what the
// stderr command checks.
func interruptCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: interrupt CODE PATTERN PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	prog := ""
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		if p := filepath.Join(dir, args[2]); fileExists(p) {
			prog = p
			break
		}
	}
	if prog == "" {
		ts.Fatalf("%s not found in $PATH", args[2])
	}
	cmd := exec.Command(prog, args[3:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"), "HOME="+ts.Getenv("HOME"), "TMPDIR="+ts.Getenv("TMPDIR"))
	stderr, err := cmd.StderrPipe()
	ts.Check(err)
	ts.Check(cmd.Start())
	var lines []string
	sent := false
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if !sent && strings.Contains(sc.Text(), args[1]) {
			ts.Check(cmd.Process.Signal(os.Interrupt))
			sent = true
		}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		ts.Fatalf("%s did not stop after the interrupt", args[2])
	}
	ts.Logf("[stderr]\n%s", strings.Join(lines, "\n"))
	if !sent {
		ts.Fatalf("%s ended before printing %q", args[2], args[1])
	}
	if got := exitStatus(ts, err); got != want {
		ts.Fatalf("exit status %d after the interrupt, want %d", got, want)
	}
	ts.Check(os.WriteFile(ts.MkAbs("interrupt.stderr"), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// mksubsetCmd is "mksubset DIR NTRAIN NTEST": it writes the first NTRAIN
// training and NTEST test samples of the embedded MNIST subset to DIR as
// the four IDX files that --data reads.
func mksubsetCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: mksubset DIR NTRAIN NTEST")
	}
	ntrain, err := strconv.Atoi(args[1])
	ts.Check(err)
	ntest, err := strconv.Atoi(args[2])
	ts.Check(err)
	d, err := dataset.Default()
	ts.Check(err)
	dir := ts.MkAbs(args[0])
	ts.Check(os.MkdirAll(dir, 0o755))
	size := d.ImageSize()
	for _, part := range []struct {
		images, labels string
		split          dataset.Split
	}{
		{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", d.Train.Limit(ntrain, size)},
		{"t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", d.Test.Limit(ntest, size)},
	} {
		sp := part.split
		ts.Check(os.WriteFile(filepath.Join(dir, part.images), dataset.EncodeIDX([]int{sp.N, d.Rows, d.Cols}, sp.Images), 0o644))
		ts.Check(os.WriteFile(filepath.Join(dir, part.labels), dataset.EncodeIDX([]int{sp.N}, sp.Labels), 0o644))
	}
}
