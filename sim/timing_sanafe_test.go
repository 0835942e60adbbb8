package sim

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
)

var updateSANAFE = flag.Bool("update", false, "rewrite testdata/sanafe-figures.golden from the current code")

// sanafeCase is a compiled network timed with SANA-FE's heuristic and the
// link buffer depth it uses (0: the target's).
type sanafeCase struct {
	name   string
	m      *ir.Model
	set    *dataset.Set
	buffer int
}

// sanafeCases are random Loihi networks (dense, conv and sparse layers,
// random placements over tiles and chips) at the target's buffer depth and
// at depths 1 and 2 (so that senders stall), and the benchmark's MLP shape
// at a smaller size (hand-compiled over 5 and 9 tiles).
func sanafeCases(tb testing.TB) []sanafeCase {
	r := rand.New(rand.NewPCG(20, 26))
	var cs []sanafeCase
	for i := range 20 {
		m, set := randomNet(r, "loihi")
		cs = append(cs, sanafeCase{fmt.Sprintf("dense%d", i), m, set, 0}, sanafeCase{fmt.Sprintf("dense%d/buffer1", i), m, set, 1})
	}
	for i := range 20 {
		m, set := randomStructNet(r, "loihi")
		cs = append(cs, sanafeCase{fmt.Sprintf("struct%d", i), m, set, 0}, sanafeCase{fmt.Sprintf("struct%d/buffer2", i), m, set, 2})
	}
	for _, perCore := range []int{64, 32} {
		set := withSamples(r, &dataset.Set{Name: "mlp", Channels: 1, Rows: 96, Cols: 1, Classes: 10}, 12)
		m := randomFloatModel(r, []int{96, 256, 256, 10}, 8)
		calibrate(tb, m, set, 0.15)
		m = handCompile(m, perCore)
		cs = append(cs, sanafeCase{fmt.Sprintf("mlp%d", perCore), m, set, 0}, sanafeCase{fmt.Sprintf("mlp%d/buffer4", perCore), m, set, 4})
	}
	return cs
}

// sanafeWorker returns a chip worker for c that times with SANA-FE's
// heuristic; network, if not nil, replaces the heuristic's code.
func sanafeWorker(tb testing.TB, c sanafeCase, network func(*stepTimer, *chipProgram, [][]int32) float64) *chipWorker {
	p, err := lowerChip(c.m)
	require.NoError(tb, err, c.name)
	if c.buffer > 0 {
		tg := *p.target
		tm := *tg.Timing
		tm.LinkBuffer = c.buffer
		tg.Timing = &tm
		p.target = &tg
	}
	p.timing = newTimingProgram(p)
	p.timing.sanafe = newSanafeProgram(p, p.timing)
	w := newChipWorker(p)
	if network != nil {
		w.tm.network = network
	}
	return w
}

// sanafeFigures runs every test sample of c and formats its figures: each
// sample's latency and the contention per layer (femtoseconds), exactly
// (shortest round-trip decimal of each float64).
func sanafeFigures(tb testing.TB, c sanafeCase, network func(*stepTimer, *chipProgram, [][]int32) float64) string {
	w := sanafeWorker(tb, c, network)
	var b strings.Builder
	b.WriteString(c.name)
	for i := range c.set.Test.N {
		_, lat := w.runSample(i, c.set.Test.Image(i, c.set.ImageSize()))
		b.WriteString(" " + strconv.FormatFloat(lat, 'g', -1, 64))
	}
	b.WriteString(" |")
	for _, f := range w.tm.contention {
		b.WriteString(" " + strconv.FormatInt(f, 10))
	}
	return b.String()
}

const sanafeGolden = "testdata/sanafe-figures.golden"

// TestSANAFERecordedFigures: the heuristic's per-sample latencies and
// contention on sanafeCases are exactly those recorded from the first
// implementation (a heap of messages per receiver); -update rewrites them.
func TestSANAFERecordedFigures(t *testing.T) {
	cs := sanafeCases(t)
	var got []string
	for _, c := range cs {
		got = append(got, sanafeFigures(t, c, nil))
	}
	if *updateSANAFE {
		require.NoError(t, os.MkdirAll(filepath.Dir(sanafeGolden), 0o755))
		require.NoError(t, os.WriteFile(sanafeGolden, []byte(strings.Join(got, "\n")+"\n"), 0o644))
	}
	f, err := os.Open(sanafeGolden)
	require.NoError(t, err)
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		want = append(want, sc.Text())
	}
	require.NoError(t, sc.Err())
	require.Len(t, got, len(want))
	for i := range want {
		require.Equal(t, want[i], got[i])
	}
}

// TestSANAFEMatchesReference: the heuristic's figures equal, bit for bit,
// those of refSANAFE (a plain re-statement of the rule: the senders and
// the messages in flight in plain lists, searched linearly). The same
// comparison fails for the reference with one of its rules changed, so
// the cases exercise each of them.
func TestSANAFEMatchesReference(t *testing.T) {
	cs := sanafeCases(t)
	perturbed := map[string]int{}
	for _, c := range cs {
		want := sanafeFigures(t, c, nil)
		require.Equal(t, want, sanafeFigures(t, c, refSANAFE(refRule{})), c.name)
		for _, rule := range []refRule{{landAtEnd: true}, {noStall: true}, {meanOfAll: true}, {lowestSenderLast: true}} {
			if sanafeFigures(t, c, refSANAFE(rule)) != want {
				perturbed[fmt.Sprintf("%+v", rule)]++
			}
		}
	}
	require.Len(t, perturbed, 4, "each changed rule changes some figure: %v", perturbed)
}

// TestSANAFENoAllocation: a sample timed with the heuristic allocates
// nothing, on the MLP cases (thousands of messages per sample, senders
// stalled).
func TestSANAFENoAllocation(t *testing.T) {
	for _, c := range sanafeCases(t) {
		if !strings.HasPrefix(c.name, "mlp") {
			continue
		}
		w := sanafeWorker(t, c, nil)
		x := c.set.Test.Image(0, c.set.ImageSize())
		w.runSample(0, x)
		require.Zero(t, testing.AllocsPerRun(5, func() { w.runSample(0, x) }), c.name)
	}
}

// refRule changes one rule of refSANAFE, to show that the cases see it:
// landAtEnd keeps a message in flight until its receiver has finished it
// (not started it); noStall never stalls a sender; meanOfAll
// takes the mean processing time over every message sent in the step, not
// only those in flight; lowestSenderLast breaks ties between senders ready
// together in favour of the higher core index.
type refRule struct{ landAtEnd, noStall, meanOfAll, lowestSenderLast bool }

// refSANAFE is SANA-FE's detailed heuristic as timing_sanafe.go's
// documentation states it, written plainly (allocating, linear searches)
// on the step timer's per-core data: the earliest ready sender (ties: the
// lower core) sends its next message; first every message in flight whose
// receiver has started it by then leaves the flight, in order of start
// (ties: the lower receiver core); then with N the sum of the densities
// on the message's links, d̄ the mean processing time in flight and B the
// buffer, the sender stalls by (N − (h+1)·B)·d̄ if positive, the message
// arrives max(latency, N·d̄/(h+1)) later and starts when its receiver is
// free.
func refSANAFE(rule refRule) func(*stepTimer, *chipProgram, [][]int32) float64 {
	return func(s *stepTimer, p *chipProgram, spk [][]int32) float64 {
		tp, sp, tm := s.tp, s.tp.sanafe, s.tp.tm
		nc := len(p.cores)
		density := make([]float64, sp.nLink)
		busy := make([]float64, nc)
		type flying struct {
			start, proc float64
			r, dst      int32
		}
		var flight []flying
		sum, n := 0.0, 0
		allSum, allN := 0.0, 0
		// move adds (sign 1) or removes (−1) a message from the tallies
		move := func(r int32, proc, sign float64) {
			rt := sp.route[r]
			for _, l := range sp.links[rt.first:rt.end] {
				density[l] += sign * rt.weight
			}
			sum += sign * proc
			n += int(sign)
			if n == 0 {
				sum = 0
			}
		}
		type snd struct {
			core                    int
			clock, ideal, ready     float64
			next, end               int32
			route                   int
			perNeuron               float64
			routes                  []outRoute
			neuronStart, firstSpike int32
		}
		// sweep moves a sender to its next spike's first message
		sweep := func(sd *snd) {
			j := spk[p.cores[sd.core].layer][sd.next] - sd.neuronStart
			prev := int32(-1)
			if sd.next > sd.firstSpike {
				prev = spk[p.cores[sd.core].layer][sd.next-1] - sd.neuronStart
			}
			d := float64(j-prev)*sd.perNeuron + tm.SpikeOut
			sd.clock += d
			sd.ideal += d
			sd.ready = sd.clock + tm.MessageOut
		}
		var senders []*snd
		last := 0.0
		for c := range nc {
			b := s.host[c]
			if !tm.PhasesOverlap {
				b += s.soma[c] + float64(s.spkEnd[c]-s.spkOff[c])*tm.SpikeOut
			}
			busy[c] = b
			s.idealBusy[c] = b
			cc := &p.cores[c]
			sd := &snd{core: c, next: s.spkOff[c], end: s.spkEnd[c], firstSpike: s.spkOff[c], neuronStart: int32(cc.start),
				routes: tp.out[tp.outPtr[c]:tp.outPtr[c+1]]}
			if cc.end > cc.start {
				sd.perNeuron = s.soma[c] / float64(cc.end-cc.start)
			}
			if sd.next < sd.end && len(sd.routes) > 0 {
				sweep(sd)
				senders = append(senders, sd)
			} else {
				last = max(last, s.soma[c]+float64(sd.end-sd.next)*tm.SpikeOut)
			}
		}
		for len(senders) > 0 {
			k := 0
			for i, sd := range senders {
				if sd.ready < senders[k].ready || (rule.lowestSenderLast && sd.ready == senders[k].ready) {
					k = i
				}
			}
			sd := senders[k]
			o := sd.routes[sd.route]
			sent := sd.ready
			for {
				f := -1
				for i, m := range flight {
					t := m.start
					if rule.landAtEnd {
						t += m.proc
					}
					if t <= sent && (f < 0 || m.start < flight[f].start || (m.start == flight[f].start && m.dst < flight[f].dst)) {
						f = i
					}
				}
				if f < 0 {
					break
				}
				move(flight[f].r, flight[f].proc, -1)
				flight = append(flight[:f], flight[f+1:]...)
			}
			rt := sp.route[o.r]
			N := 0.0
			for _, l := range sp.links[rt.first:rt.end] {
				N += density[l]
			}
			arrive := sent + o.lat
			if N > 0 {
				mean := 0.0
				if n > 0 {
					mean = sum / float64(n)
				}
				if rule.meanOfAll {
					mean = allSum / float64(allN)
				}
				if capacity := float64(rt.hops+1) * float64(tm.LinkBuffer); N > capacity && !rule.noStall {
					sent += (N - capacity) * mean
				}
				arrive = sent + max(o.lat, N*mean*rt.perHop)
			}
			start := max(busy[o.dst], arrive)
			busy[o.dst] = start + o.proc
			last = max(last, busy[o.dst], sent)
			sd.ideal += tm.MessageOut
			s.idealBusy[o.dst] = max(s.idealBusy[o.dst], sd.ideal+o.lat) + o.proc
			move(o.r, o.proc, 1)
			allSum += o.proc
			allN++
			flight = append(flight, flying{start, o.proc, o.r, o.dst})
			sd.clock = sent
			if sd.route++; sd.route < len(sd.routes) {
				sd.ready = sent + tm.MessageOut
				continue
			}
			sd.route = 0
			if sd.next++; sd.next < sd.end {
				sweep(sd)
				continue
			}
			lastNeuron := spk[p.cores[sd.core].layer][sd.end-1] - sd.neuronStart
			last = max(last, sent+s.soma[sd.core]-float64(lastNeuron+1)*sd.perNeuron)
			senders = append(senders[:k], senders[k+1:]...)
		}
		for _, b := range busy {
			last = max(last, b)
		}
		s.addContention(p, busy)
		return last + tp.sync
	}
}
