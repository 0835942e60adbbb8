package sim

import (
	"slices"
	"testing"
)

// stepRecord is one chip step's input to the step timer: per core its soma
// time, spike range and host time, and the layers' spike lists.
type stepRecord struct {
	soma, host     []float64
	spkOff, spkEnd []int32
	spk            [][]int32
}

// BenchmarkSANAFEStep replays the network part of the steps of the
// MNIST benchmark's first 500 samples (BenchmarkSimulateMNIST's model and
// mapping) through SANA-FE's heuristic alone: CPU ns per message.
func BenchmarkSANAFEStep(b *testing.B) {
	set := loadMNIST(b)
	m := mnistModel(b, set)
	p, err := lowerChip(m)
	if err != nil {
		b.Fatal(err)
	}
	p.timing = newTimingProgram(p)
	p.timing.sanafe = newSanafeProgram(p, p.timing)
	w := newChipWorker(p)
	var steps []stepRecord
	messages := 0
	w.tm.network = func(s *stepTimer, p *chipProgram, spk [][]int32) float64 {
		r := stepRecord{soma: slices.Clone(s.soma), host: slices.Clone(s.host), spkOff: slices.Clone(s.spkOff), spkEnd: slices.Clone(s.spkEnd)}
		for _, l := range spk {
			r.spk = append(r.spk, slices.Clone(l))
		}
		for c := range p.cores {
			messages += int(s.spkEnd[c]-s.spkOff[c]) * int(s.tp.outPtr[c+1]-s.tp.outPtr[c])
		}
		steps = append(steps, r)
		return s.endSANAFE(p, spk)
	}
	const samples = 500
	for i := range samples {
		w.runSample(i, set.Test.Image(i, set.ImageSize()))
	}
	s := newStepTimer(p, p.timing)
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for b.Loop() {
		for i := range steps {
			r := &steps[i]
			copy(s.soma, r.soma)
			copy(s.host, r.host)
			copy(s.spkOff, r.spkOff)
			copy(s.spkEnd, r.spkEnd)
			s.end(p, r.spk)
		}
	}
	b.ReportMetric((cpuSeconds()-cpu0)*1e9/float64(b.N)/float64(messages), "cpu-ns/message")
	b.ReportMetric(float64(messages)/samples, "messages/sample")
}
