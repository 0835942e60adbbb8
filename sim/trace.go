package sim

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/snnc/snnc/ir"
)

// StateTrace is every neuron's state at every step of one sample run by
// TraceFloat.
type StateTrace struct {
	// Steps is the number of steps run.
	Steps int
	// Layers are the model's indices of the layers with neurons.
	Layers []int
	// Potential[k][t·N+j] is neuron j of layer Layers[k] after step t,
	// after its reset (the state the next step starts from): u·(1−s) for
	// ResetZero, u − ϑ·s for ResetSubtract, u for ResetNone. The readout
	// layer of a mean-current model holds its current c[t], that of a
	// max-potential model its potential u[t].
	Potential [][]float32
	// Spikes[k][t·N+j] is 1 if that neuron spiked at step t.
	Spikes [][]uint8
	// Readout is the last layer's accumulated readout (Σ_t c[t], the
	// spike counts or max_t u[t]) and Prediction its argmax (lowest index
	// on ties).
	Readout    []float64
	Prediction int
}

// TraceFloat runs the float model m (the float layers of a compiled one) on
// one sample given step by step: inputs[t] is the input vector at step t
// (ir.ShapeSize(m.Input.Shape) values, multiplied by m.Input.Scale), which
// the first layer reads as s_in[t], whatever m.Input.Encoding says. It runs
// len(inputs) steps (not m.Timesteps) with the float reference's equations
// (sim/doc.go and ir.Model: current decay β_c, the recurrent V·s[t−1], the
// max-potential readout, the synaptic delays), written out plainly here, and records every
// neuron's potential and spikes. The step loop allocates nothing.
func TraceFloat(m *ir.Model, inputs [][]float32) (*StateTrace, error) {
	if err := ir.Verify(m); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	inSize := ir.ShapeSize(m.Input.Shape)
	for t, x := range inputs {
		if len(x) != inSize {
			return nil, modelErr("input step %d has %d values, the model reads %d", t, len(x), inSize)
		}
	}
	T := len(inputs)
	tr := &StateTrace{Steps: T}
	n := len(m.Layers)
	bufs := make([][]float32, n+1) // bufs[i] is layer i's input, bufs[i+1] its output (current or spikes)
	bufs[0] = make([]float32, inSize)
	u := make([][]float32, n)
	fired := make([][]float32, n)
	syn := make([][]float32, n)    // the decayed current c[t] of current-based or recurrent layers
	trace := make([]int, n)        // index into tr.Potential, or -1
	delay := make([]*valueRing, n) // a delayed layer's input line (delay.go)
	for i := range m.Layers {
		l := &m.Layers[i]
		bufs[i+1] = make([]float32, l.NumOutputs())
		delay[i] = newValueRing(int(l.Delay), l.NumInputs())
		trace[i] = -1
		if l.HasNeurons() {
			u[i], fired[i] = make([]float32, l.NumOutputs()), make([]float32, l.NumOutputs())
			if l.Neuron.CurrentDecay != 0 || l.Kind == ir.KindRecurrentDense {
				syn[i] = make([]float32, l.NumOutputs())
			}
			trace[i] = len(tr.Layers)
			tr.Layers = append(tr.Layers, i)
			tr.Potential = append(tr.Potential, make([]float32, T*l.NumOutputs()))
			tr.Spikes = append(tr.Spikes, make([]uint8, T*l.NumOutputs()))
		}
	}
	last := n - 1
	readCurrent := m.Readout.Kind == ir.ReadoutMeanCurrent
	readMax := m.Readout.Kind == ir.ReadoutMaxPotential
	tr.Readout = make([]float64, m.Layers[last].NumOutputs())
	for t, x := range inputs {
		for i, v := range x {
			bufs[0][i] = v * m.Input.Scale
		}
		for i := range m.Layers {
			l := &m.Layers[i]
			in, out := bufs[i], bufs[i+1]
			if delay[i] != nil { // s_in[t − Delay], zero before step Delay
				in = delay[i].shift(t, in)
			}
			switch l.Kind {
			case ir.KindFlatten:
				copy(out, in)
				continue
			case ir.KindAvgPool:
				avgPool(l, in, out)
				continue
			}
			current(l, in, out)
			N := len(out)
			k := trace[i]
			pot, spk := tr.Potential[k][t*N:(t+1)*N], tr.Spikes[k][t*N:(t+1)*N]
			if i == last && readCurrent {
				for j, c := range out {
					tr.Readout[j] += float64(c)
					pot[j] = c
				}
				continue
			}
			if c := syn[i]; c != nil { // c[t] = β_c·c[t−1] + W·s_in[t] + b + V·s[t−1]
				for j, x := range out {
					c[j] = float32(l.Neuron.CurrentDecay*c[j]) + x
				}
				if l.Kind == ir.KindRecurrentDense {
					N := len(c)
					for j, s := range fired[i] {
						if s != 0 {
							for o := range c {
								c[o] += l.Recurrent[o*N+j]
							}
						}
					}
				}
				copy(out, c)
			}
			g, thr := l.Neuron.Leak, l.Neuron.Threshold
			if i == last && readMax { // u[t] = γ·u[t−1] + c[t], readout max_t u[t]
				for j, c := range out {
					uu := float32(g*u[i][j]) + c
					u[i][j], pot[j] = uu, uu
					if t == 0 || float64(uu) > tr.Readout[j] {
						tr.Readout[j] = float64(uu)
					}
				}
				continue
			}
			for j, c := range out {
				var uu float32
				switch l.Neuron.Reset {
				case ir.ResetZero:
					uu = float32(float32(g*u[i][j])*(1-fired[i][j])) + c
				case ir.ResetSubtract:
					uu = float32(g*float32(u[i][j]-float32(thr*fired[i][j]))) + c
				default:
					uu = float32(g*u[i][j]) + c
				}
				s := float32(0)
				if uu >= thr {
					s = 1
				}
				u[i][j], fired[i][j], out[j] = uu, s, s
				spk[j] = uint8(s)
				switch l.Neuron.Reset {
				case ir.ResetZero:
					pot[j] = uu * (1 - s)
				case ir.ResetSubtract:
					pot[j] = uu - thr*s
				default:
					pot[j] = uu
				}
				if i == last {
					tr.Readout[j] += float64(s)
				}
			}
		}
	}
	for j, a := range tr.Readout {
		if a > tr.Readout[tr.Prediction] {
			tr.Prediction = j
		}
	}
	return tr, nil
}

// current computes c = W·in + b of a dense, conv or sparse layer.
func current(l *ir.Layer, in, c []float32) {
	switch l.Kind {
	case ir.KindDense, ir.KindRecurrentDense:
		nin := len(in)
		for o := range c {
			s := l.Bias[o]
			row := l.Weights[o*nin : (o+1)*nin]
			for i, x := range in {
				if x != 0 {
					s += row[i] * x
				}
			}
			c[o] = s
		}
	case ir.KindConv2D:
		per := l.OutShape[1] * l.OutShape[2]
		for o := range c {
			c[o] = l.Bias[o/per]
		}
		ir.ConvTaps(l, func(i, o, w int) {
			if x := in[i]; x != 0 {
				c[o] += l.Weights[w] * x
			}
		})
	case ir.KindSparse:
		for o := range c {
			s := l.Bias[o]
			for k := l.RowStart[o]; k < l.RowStart[o+1]; k++ {
				s += l.Weights[k] * in[l.Cols[k]]
			}
			c[o] = s
		}
	}
}

// avgPool averages each window of a [C,H,W] input (zero padding counted in
// the window, as PyTorch's default).
func avgPool(l *ir.Layer, in, out []float32) {
	ih, iw := l.InShape[1], l.InShape[2]
	oh, ow := l.OutShape[1], l.OutShape[2]
	inv := 1 / float32(l.Kernel[0]*l.Kernel[1])
	for c := 0; c < l.OutShape[0]; c++ {
		for oy := range oh {
			for ox := range ow {
				var s float32
				for ky := range l.Kernel[0] {
					y := oy*l.Stride[0] - l.Padding[0] + ky
					if y < 0 || y >= ih {
						continue
					}
					for kx := range l.Kernel[1] {
						x := ox*l.Stride[1] - l.Padding[1] + kx
						if x >= 0 && x < iw {
							s += in[(c*ih+y)*iw+x]
						}
					}
				}
				out[(c*oh+oy)*ow+ox] = s * inv
			}
		}
	}
}

// ReadStepsCSV reads one sample given step by step: one row per step, one
// column per input (comma-separated numbers; blank lines and lines starting
// with '#' are skipped; a first row that does not parse as numbers is a
// header and skipped). name is used in errors.
func ReadStepsCSV(name string, r io.Reader, inputs int) ([][]float32, error) {
	var steps [][]float32
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<26)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		cols := strings.Split(text, ",")
		row := make([]float32, len(cols))
		var bad error
		for i, c := range cols {
			x, err := strconv.ParseFloat(strings.TrimSpace(c), 32)
			if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
				bad = fmt.Errorf("sim: %s: line %d, column %d: %q is not a finite number", name, line, i+1, c)
				break
			}
			row[i] = float32(x)
		}
		if bad != nil {
			if len(steps) == 0 && line == 1 {
				continue // a header
			}
			return nil, bad
		}
		if len(row) != inputs {
			return nil, fmt.Errorf("sim: %s: line %d has %d columns, the model has %d inputs", name, line, len(row), inputs)
		}
		steps = append(steps, row)
		if len(steps) > ir.MaxTimesteps {
			return nil, fmt.Errorf("sim: %s: more than %d steps", name, ir.MaxTimesteps)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sim: %s: %w", name, err)
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("sim: %s: no steps (want one row per step, one column per input)", name)
	}
	return steps, nil
}

// StateCSVHeader is the first line WriteCSV writes.
const StateCSVHeader = "step,layer,neuron,potential,spike\n"

// WriteCSV writes the trace as CSV, one line per step and neuron:
// step, the layer's name, the neuron's index, its potential after the step
// and 1 if it spiked.
func (tr *StateTrace) WriteCSV(w io.Writer, m *ir.Model) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(StateCSVHeader)
	var buf []byte
	for t := range tr.Steps {
		for k, li := range tr.Layers {
			N := len(tr.Potential[k]) / max(1, tr.Steps)
			for j := range N {
				buf = strconv.AppendInt(buf[:0], int64(t), 10)
				buf = append(buf, ',')
				buf = append(buf, m.Layers[li].Name...)
				buf = append(buf, ',')
				buf = strconv.AppendInt(buf, int64(j), 10)
				buf = append(buf, ',')
				buf = strconv.AppendFloat(buf, float64(tr.Potential[k][t*N+j]), 'g', -1, 32)
				buf = append(buf, ',', '0'+tr.Spikes[k][t*N+j], '\n')
				bw.Write(buf)
			}
		}
	}
	return bw.Flush()
}
