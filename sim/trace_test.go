package sim

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/snnc/snnc/ir"
)

func oneNeuron(reset ir.ResetMode) *ir.Model {
	return &ir.Model{Timesteps: 1, Input: ir.Input{Shape: []int{1}, Scale: 1}, Readout: ir.Readout{Kind: ir.ReadoutSpikeCount},
		Layers: []ir.Layer{{Name: "n", Kind: ir.KindDense, InShape: []int{1}, OutShape: []int{1}, Weights: []float32{1}, Bias: []float32{0},
			Neuron: ir.LIF{Leak: 0.5, Threshold: 1, Reset: reset}}}}
}

// TestTraceFloatByHand checks one neuron against its update worked out by
// hand, for each reset mode.
func TestTraceFloatByHand(t *testing.T) {
	in := [][]float32{{0.6}, {0.6}, {0.6}, {0.6}}
	for _, tc := range []struct {
		reset  ir.ResetMode
		pot    []float64
		spikes []uint8
	}{
		// u: 0.6, 0.9, 1.05 (spike), then 0.5·u(1−s)+0.6, 0.5·(u−1)+0.6 or 0.5·u+0.6
		{ir.ResetZero, []float64{0.6, 0.9, 0, 0.6}, []uint8{0, 0, 1, 0}},
		{ir.ResetSubtract, []float64{0.6, 0.9, 0.05, 0.625}, []uint8{0, 0, 1, 0}},
		{ir.ResetNone, []float64{0.6, 0.9, 1.05, 1.125}, []uint8{0, 0, 1, 1}},
	} {
		tr, err := TraceFloat(oneNeuron(tc.reset), in)
		if err != nil {
			t.Fatal(err)
		}
		for i := range in {
			if math.Abs(float64(tr.Potential[0][i])-tc.pot[i]) > 1e-6 || tr.Spikes[0][i] != tc.spikes[i] {
				t.Errorf("reset %v step %d: potential %v spike %d, want %v %d", tc.reset, i, tr.Potential[0][i], tr.Spikes[0][i], tc.pot[i], tc.spikes[i])
			}
		}
	}
}

// TestTraceFloatAllocations: the step loop allocates nothing (the same
// allocations for 10 and 200 steps).
func TestTraceFloatAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's instrumentation allocates")
	}
	m := oneNeuron(ir.ResetZero)
	steps := func(n int) [][]float32 {
		s := make([][]float32, n)
		for i := range s {
			s[i] = []float32{0.7}
		}
		return s
	}
	short, long := steps(10), steps(200)
	a := testing.AllocsPerRun(5, func() { TraceFloat(m, short) })
	b := testing.AllocsPerRun(5, func() { TraceFloat(m, long) })
	if a != b {
		t.Fatalf("%v allocations for 10 steps, %v for 200", a, b)
	}
}

func TestStepsCSV(t *testing.T) {
	steps, err := ReadStepsCSV("in.csv", strings.NewReader("a,b\n1,0\n\n# comment\n0.5, 2\n"), 2)
	if err != nil || len(steps) != 2 || steps[1][0] != 0.5 || steps[1][1] != 2 {
		t.Fatalf("steps %v, err %v", steps, err)
	}
	for _, bad := range []string{"1,2,3\n", "1,x\n1,2\n0,0\nx,1\n", "", "1,NaN\n"} {
		if _, err := ReadStepsCSV("in.csv", strings.NewReader(bad), 2); err == nil || !strings.HasPrefix(err.Error(), "sim: in.csv") {
			t.Errorf("%q: err = %v, want one naming the file", bad, err)
		}
	}
	tr, _ := TraceFloat(oneNeuron(ir.ResetZero), [][]float32{{2}})
	var buf bytes.Buffer
	if err := tr.WriteCSV(&buf, oneNeuron(ir.ResetZero)); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != StateCSVHeader+"0,n,0,0,1\n" {
		t.Errorf("csv %q", got)
	}
}

// TestTraceFloatTemporal: TraceFloat on recurrent, current-based models
// with each readout, with and without synaptic delays, gives the plain
// float64 loop's prediction and spikes (the models are exact in float32,
// see temporalModel).
func TestTraceFloatTemporal(t *testing.T) {
	const T, nin = 12, 12
	r := rand.New(rand.NewPCG(5, 6))
	for _, reset := range []ir.ResetMode{ir.ResetZero, ir.ResetSubtract} {
		for _, ro := range []ir.ReadoutKind{ir.ReadoutMeanCurrent, ir.ReadoutMaxPotential, ir.ReadoutSpikeCount} {
			for _, delays := range [][]uint8{nil, {0, 3, 2}} {
				m := temporalModel(2, reset, ro, 0.5)
				for l, d := range delays {
					m.Layers[l].Delay = d
				}
				spikes := 0
				for range 10 {
					x := make([]uint8, T*nin)
					steps := make([][]float32, T)
					for k := range steps {
						steps[k] = make([]float32, nin)
						for j := range steps[k] {
							if r.IntN(3) == 0 {
								x[k*nin+j], steps[k][j] = 1, 1
							}
						}
					}
					pred, spk := refTemporalRun(m, x)
					tr, err := TraceFloat(m, steps)
					if err != nil {
						t.Fatal(err)
					}
					if tr.Prediction != pred {
						t.Fatalf("%v/%v: prediction %d, plain loop %d", reset, ro, tr.Prediction, pred)
					}
					for k, li := range tr.Layers {
						n := 0
						for _, s := range tr.Spikes[k] {
							n += int(s)
						}
						if li < len(m.Layers)-1 || ro == ir.ReadoutSpikeCount {
							if n != spk[li] {
								t.Fatalf("%v/%v: layer %d: %d spikes, plain loop %d", reset, ro, li, n, spk[li])
							}
						}
						spikes += n
					}
				}
				if spikes == 0 {
					t.Fatalf("%v/%v: no spikes: the comparison says nothing", reset, ro)
				}
			}
		}
	}
}
