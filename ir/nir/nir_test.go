package nir_test

import (
	"bufio"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/nir"
	"github.com/snnc/snnc/sim"
)

// paperInput is the single-neuron experiment's input (testdata/SOURCE.md):
// 100 values, each followed by 9 zeros.
const paperInput = `0 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 1 0 0 0 0 1 0 0 0 1 1 0 0 1 0 1 0 0
1 1 0 1 1 1 1 1 1 1 1 1 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 0
0 0 0 0 1 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0`

func paperSteps(t *testing.T) [][]float32 {
	t.Helper()
	f := strings.Fields(paperInput)
	if len(f) != 100 {
		t.Fatalf("paper input has %d values, want 100", len(f))
	}
	steps := make([][]float32, 10*len(f))
	for i := range steps {
		steps[i] = []float32{0}
	}
	for i, s := range f {
		if s == "1" {
			steps[10*i][0] = 1
		}
	}
	return steps
}

// readTrace reads a lif_*.csv: input, voltage, spike per step.
func readTrace(t *testing.T, path string) (in, v, s []float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cols := strings.Split(strings.TrimSpace(sc.Text()), ",")
		if len(cols) != 3 {
			t.Fatalf("%s: line %q", path, sc.Text())
		}
		var x [3]float64
		for i, c := range cols {
			if x[i], err = strconv.ParseFloat(c, 64); err != nil {
				t.Fatal(err)
			}
		}
		in, v, s = append(in, x[0]), append(v, x[1]), append(s, x[2])
	}
	return in, v, s
}

func importFile(t *testing.T, name string) *ir.Model {
	t.Helper()
	f, err := nir.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := nir.Import(f, nir.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestLIFNorse runs lif_norse.nir on the paper's input and compares the
// spikes and the voltage with the paper's exact solution and Norse's run.
func TestLIFNorse(t *testing.T) {
	m := importFile(t, "lif_norse.nir")
	if l := m.Layers[0].Neuron; math.Abs(float64(l.Leak)-0.96) > 1e-6 || math.Abs(float64(l.Threshold)-0.1) > 1e-7 || l.Reset != ir.ResetZero {
		t.Fatalf("neuron %+v, want γ = 1 − dt/τ = 0.96, ϑ = 0.1, reset to zero", l)
	}
	steps := paperSteps(t)
	tr, err := sim.TraceFloat(m, steps)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"lif_exact.csv", "lif_norse.csv"} {
		in, v, s := readTrace(t, filepath.Join("testdata", ref))
		if len(in) != len(steps) {
			t.Fatalf("%s has %d steps, want %d", ref, len(in), len(steps))
		}
		var maxErr, sumErr float64
		var got, want []int
		for i := range in {
			if float32(in[i]) != steps[i][0] {
				t.Fatalf("%s: step %d input %v, the paper's input has %v", ref, i, in[i], steps[i][0])
			}
			if tr.Spikes[0][i] != 0 {
				got = append(got, i)
			}
			if s[i] != 0 {
				want = append(want, i)
			}
			e := math.Abs(float64(tr.Potential[0][i]) - v[i])
			maxErr = max(maxErr, e)
			sumErr += e
		}
		if len(want) != 4 || !equalInts(got, want) {
			t.Errorf("%s: spikes at steps %v, want %v", ref, got, want)
		}
		t.Logf("%s: spikes at steps %v; voltage error max %.3g, mean %.3g (threshold 0.1)", ref, got, maxErr, sumErr/float64(len(in)))
		limit := 1e-6 // Norse computes the same forward-Euler update in float32
		if ref == "lif_exact.csv" {
			limit = 0.01 // forward Euler against the exact solution: first-order in dt/τ = 0.04
		}
		if maxErr > limit {
			t.Errorf("%s: voltage error %g, want ≤ %g", ref, maxErr, limit)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRealFiles imports every real file: each imports, and the mapping
// gives the parameters the file states.
func TestRealFiles(t *testing.T) {
	for _, tc := range []struct {
		file   string
		layers []ir.LayerKind
		check  func(t *testing.T, m *ir.Model)
	}{
		{"lif_norse.nir", []ir.LayerKind{ir.KindDense}, func(t *testing.T, m *ir.Model) {
			if w := m.Layers[0].Weights[0]; math.Abs(float64(w)-0.04) > 1e-7 {
				t.Errorf("weight %v, want w·r·dt/τ = 0.04", w)
			}
		}},
		{"lif_rockpool.nir", []ir.LayerKind{ir.KindDense}, func(t *testing.T, m *ir.Model) {
			// Rockpool's weight 0.04 and r 24.02: 0.04·24.02·0.04 ≈ 0.0384
			if w := m.Layers[0].Weights[0]; math.Abs(float64(w)-0.04*24.019737*0.04) > 1e-6 {
				t.Errorf("weight %v, want w·r·dt/τ", w)
			}
		}},
		{"two_lif_neurons.nir", []ir.LayerKind{ir.KindDense, ir.KindDense}, func(t *testing.T, m *ir.Model) {
			// v_leak 1.2 with dt/τ = 0.01 becomes a bias of 0.012
			if b := m.Layers[0].Bias[0]; math.Abs(float64(b)-0.012) > 1e-7 {
				t.Errorf("bias %v, want dt/τ·v_leak = 0.012", b)
			}
		}},
		{"cnn_sinabs.nir", []ir.LayerKind{ir.KindConv2D, ir.KindConv2D, ir.KindAvgPool, ir.KindConv2D, ir.KindAvgPool, ir.KindFlatten, ir.KindDense, ir.KindDense}, func(t *testing.T, m *ir.Model) {
			if m.Readout.Kind != ir.ReadoutSpikeCount {
				t.Errorf("readout %v, want spike counts of the last IF layer", m.Readout.Kind)
			}
			for _, i := range []int{0, 1, 3, 6, 7} {
				if n := m.Layers[i].Neuron; n.Leak != 1 || n.Reset != ir.ResetZero {
					t.Errorf("layer %d neuron %+v, want IF: γ = 1, reset to v_reset = 0", i, n)
				}
			}
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			m := importFile(t, tc.file)
			var kinds []ir.LayerKind
			for _, l := range m.Layers {
				kinds = append(kinds, l.Kind)
			}
			if len(kinds) != len(tc.layers) {
				t.Fatalf("layers %v, want %v", kinds, tc.layers)
			}
			for i := range kinds {
				if kinds[i] != tc.layers[i] {
					t.Fatalf("layers %v, want %v", kinds, tc.layers)
				}
			}
			if p := m.Provenance; p == nil || p.Method != ir.MethodNone || p.Dataset != nir.ImportedPrefix+tc.file {
				t.Errorf("provenance %+v, want method none and the source file", p)
			}
			tc.check(t, m)
		})
	}
}

var _ = errors.Is

// TestLIFRockpool runs Rockpool's copy of the neuron (weight 0.04, r =
// 24.02: an input gain w·r = 0.961 where Norse's file has 1) on the
// paper's input. It spikes 4 times, as every platform does; the 4% lower
// gain puts the last three spikes 10 to 20 steps later than Norse's file
// does. (Rockpool's own run, lif_rockpool.csv, spikes at 450, 500, 710
// and 760: Rockpool's simulator discretises differently.)
func TestLIFRockpool(t *testing.T) {
	m := importFile(t, "lif_rockpool.nir")
	tr, err := sim.TraceFloat(m, paperSteps(t))
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for i, s := range tr.Spikes[0] {
		if s != 0 {
			got = append(got, i)
		}
	}
	if want := []int{460, 520, 720, 780}; !equalInts(got, want) {
		t.Errorf("spikes at steps %v, want %v", got, want)
	}
}
