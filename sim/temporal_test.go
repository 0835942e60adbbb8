package sim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

// temporalModel is a random event-input network 12-9r-7-4 whose weights are
// multiples of 1/8 and whose decays are ½: every value the float reference
// computes is then exact in float32 and float64 alike (T = 12), so the
// plain float64 loop below must agree spike for spike.
func temporalModel(seed uint64, reset ir.ResetMode, readout ir.ReadoutKind, beta float32) *ir.Model {
	r := rand.New(rand.NewPCG(seed, 1))
	w := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(r.IntN(15)-7) / 8
		}
		return x
	}
	nr := ir.LIF{Leak: 0.5, Threshold: 1.5, Reset: reset, CurrentDecay: beta}
	return &ir.Model{
		Name: "t", Input: ir.Input{Shape: []int{12}, Encoding: ir.EncodingEvents, Scale: 1}, Timesteps: 12,
		Readout: ir.Readout{Kind: readout},
		Layers: []ir.Layer{
			{Name: "rec1", Kind: ir.KindRecurrentDense, InShape: []int{12}, OutShape: []int{9}, Weights: w(108), Recurrent: w(81), Bias: w(9), Neuron: nr},
			{Name: "fc2", Kind: ir.KindDense, InShape: []int{9}, OutShape: []int{7}, Weights: w(63), Bias: w(7), Neuron: nr},
			{Name: "fc3", Kind: ir.KindDense, InShape: []int{7}, OutShape: []int{4}, Weights: w(28), Bias: make([]float32, 4), Neuron: nr},
		},
	}
}

// refTemporalRun is the plain float64 loop: Eq. 19 as written, with the
// weights in the model's Out×In layout; a layer with a synaptic delay d
// looks its input up in the previous layer's outputs of step t − d. It
// returns the prediction and the spikes per layer.
func refTemporalRun(m *ir.Model, x []uint8) (int, []int) {
	T, L := m.Timesteps, len(m.Layers)
	c := make([][]float64, L)
	u := make([][]float64, L)
	s := make([][]float64, L)
	for l := range m.Layers {
		n := m.Layers[l].NumOutputs()
		c[l], u[l], s[l] = make([]float64, n), make([]float64, n), make([]float64, n)
	}
	spikes := make([]int, L)
	acc := make([]float64, m.Layers[L-1].NumOutputs())
	nin := ir.ShapeSize(m.Input.Shape)
	hist := make([][][]float64, L) // hist[l][t]: layer l's spikes of step t
	for t := 0; t < T; t++ {
		in := make([]float64, nin)
		for i := range in {
			in[i] = float64(x[t*nin+i])
		}
		for l := range m.Layers {
			ly := &m.Layers[l]
			nIn, nOut := ly.NumInputs(), ly.NumOutputs()
			nr := ly.Neuron
			if d := int(ly.Delay); d > 0 {
				in = make([]float64, nIn)
				if t >= d {
					in = hist[l-1][t-d]
				}
			}
			beta, gamma, theta := float64(nr.CurrentDecay), float64(nr.Leak), float64(nr.Threshold)
			cin := make([]float64, nOut)
			for o := range cin {
				cin[o] = float64(ly.Bias[o])
				for i := 0; i < nIn; i++ {
					cin[o] += float64(ly.Weights[o*nIn+i]) * in[i]
				}
			}
			next := make([]float64, nOut)
			for o := 0; o < nOut; o++ {
				rec := 0.0
				if ly.Kind == ir.KindRecurrentDense {
					for j := 0; j < nOut; j++ {
						rec += float64(ly.Recurrent[o*nOut+j]) * s[l][j]
					}
				}
				c[l][o] = beta*c[l][o] + cin[o] + rec
				last := l == L-1
				switch {
				case last && m.Readout.Kind == ir.ReadoutMeanCurrent:
					acc[o] += cin[o]
				case last && m.Readout.Kind == ir.ReadoutMaxPotential:
					u[l][o] = gamma*u[l][o] + c[l][o]
					if t == 0 || u[l][o] > acc[o] {
						acc[o] = u[l][o]
					}
				default:
					if nr.Reset == ir.ResetSubtract {
						u[l][o] = gamma*(u[l][o]-theta*s[l][o]) + c[l][o]
					} else {
						u[l][o] = gamma*u[l][o]*(1-s[l][o]) + c[l][o]
					}
					if u[l][o] >= theta {
						next[o] = 1
						spikes[l]++
						if last {
							acc[o]++
						}
					}
				}
			}
			s[l] = next
			hist[l] = append(hist[l], next)
			in = next
		}
	}
	best := 0
	for o, a := range acc {
		if a > acc[best] {
			best = o
		}
	}
	return best, spikes
}

func TestTemporalFloatMatchesPlainLoop(t *testing.T) {
	const N, T = 40, 12
	r := rand.New(rand.NewPCG(3, 4))
	set := &dataset.Set{Name: "random events", Channels: 1, Rows: 1, Cols: 12, Steps: T, Classes: 4,
		Test: dataset.Split{N: N, Images: make([]uint8, N*T*12), Labels: make([]uint8, N)}}
	for i := range set.Test.Images {
		if r.IntN(3) == 0 {
			set.Test.Images[i] = 1
		}
	}
	for i := range set.Test.Labels {
		set.Test.Labels[i] = uint8(r.IntN(4))
	}
	for _, reset := range []ir.ResetMode{ir.ResetZero, ir.ResetSubtract} {
		for _, ro := range []ir.ReadoutKind{ir.ReadoutMeanCurrent, ir.ReadoutMaxPotential, ir.ReadoutSpikeCount} {
			for _, beta := range []float32{0, 0.5} {
				for _, delays := range [][]uint8{nil, {0, 2, 1}} {
					t.Run(fmt.Sprintf("%v/%v/β=%v/delays=%v", reset, ro, beta, delays), func(t *testing.T) {
						// the first of a few seeds whose network is lively:
						// every layer spikes and the predictions differ
						for seed := uint64(1); seed <= 80; seed++ {
							m := temporalModel(seed, reset, ro, beta)
							for l, d := range delays {
								m.Layers[l].Delay = d
							}
							if !IsTemporal(m) {
								t.Fatal("not temporal")
							}
							st, err := RunFloat(context.Background(), m, set, Options{Workers: 1})
							if err != nil {
								t.Fatal(err)
							}
							want := make([]int, len(m.Layers))
							classes := map[int]bool{}
							for i := 0; i < N; i++ {
								pred, spk := refTemporalRun(m, set.Test.Images[i*T*12:(i+1)*T*12])
								if st.Predictions[i] != pred {
									t.Fatalf("seed %d, sample %d: prediction %d, plain loop %d", seed, i, st.Predictions[i], pred)
								}
								classes[pred] = true
								for l := range spk {
									want[l] += spk[l]
								}
							}
							for l := range want {
								if got := st.PerLayer[l].Spikes; got != int64(want[l]) {
									t.Fatalf("seed %d, layer %d: %d spikes, plain loop %d", seed, l, got, want[l])
								}
							}
							// the general float reference (conv temporal models
							// run in it) computes the same
							p, err := lowerFloat(m)
							if err != nil {
								t.Fatal(err)
							}
							fw := newFloatWorker(p)
							for i := 0; i < N; i++ {
								if got := fw.runSample(i, set.Test.Images[i*T*12:(i+1)*T*12], nil); got != st.Predictions[i] {
									t.Fatalf("seed %d, sample %d: general float reference predicts %d, temporal %d", seed, i, got, st.Predictions[i])
								}
							}
							for l := range want {
								if got := fw.perLayer[l].Spikes; got != int64(want[l]) {
									t.Fatalf("seed %d, layer %d: general float reference %d spikes, plain loop %d", seed, l, got, want[l])
								}
							}
							lively := want[0] >= 50 && want[1] >= 20 && len(classes) >= 2
							if ro == ir.ReadoutSpikeCount {
								lively = lively && want[2] >= 20
							}
							if lively {
								return
							}
						}
						t.Error("no seed gave a lively test network")
					})
				}
			}
		}
	}
}

func TestTemporalFloatRefusesWhatItCannotRun(t *testing.T) {
	m := temporalModel(1, ir.ResetZero, ir.ReadoutMeanCurrent, 0.5)
	set := &dataset.Set{Name: "wrong", Channels: 1, Rows: 1, Cols: 12, Classes: 4,
		Test: dataset.Split{N: 1, Images: make([]uint8, 12), Labels: make([]uint8, 1)}}
	if _, err := RunFloat(context.Background(), m, set, Options{}); err == nil {
		t.Error("an image set ran through an event model")
	}
}
