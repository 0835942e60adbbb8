package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/targets"
)

const ns = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-15+1e-9*math.Abs(b) }

// sendAll sends the messages of one sender, in order, each as soon as the
// sender is free (ready 0, no generation time), and returns the times the
// sender was free after each.
func sendAll(n *noc, routes []int, proc float64) []float64 {
	free := make([]float64, len(routes))
	t := 0.0
	for i, r := range routes {
		t = n.send(r, t, proc)
		free[i] = t
	}
	return free
}

// One link: a sender and a receiver in the same tile (injection link 0,
// ejection link 1, no latencies), 1 ns per message per link, 10 ns to
// process a message, a 16-deep buffer, 20 messages sent back to back.
//
// By hand: unblocked, message k leaves the injection link at k+1 ns and the
// ejection link at k+2 ns, arriving at k+2. The receiver starts message 0
// at 2 and then one every 10 ns: start(k) = 2+10k. Message k ≥ 16 may
// enter the buffer once message k−16 has started:
//
//	k=16: arrives 18, start(0) =  2 → enters 18
//	k=17: arrives 19, start(1) = 12 → enters 19
//	k=18: arrives 20, start(2) = 22 → enters 22, holding both links to 22
//	k=19: ready at 22, leaves the links at 23 and 24, start(3) = 32 → enters 32
//
// so the sender is stalled until 22 after message 18 and until 32 after
// message 19, and the last message is processed at start(19)+10 = 202 ns.
func TestNocSingleLinkBufferFull(t *testing.T) {
	n := newNoc([]float64{0, 0}, 2, 1*ns, 16)
	r := n.addRoute([]int32{0, 1}, 1)
	n.reset()
	routes := make([]int, 20)
	for i := range routes {
		routes[i] = r
	}
	free := sendAll(n, routes, 10*ns)
	for k := 0; k < 18; k++ {
		if !near(free[k], float64(k+1)*ns) {
			t.Errorf("message %d: sender free at %g, want %g (not blocked)", k, free[k], float64(k+1)*ns)
		}
	}
	if !near(free[18], 22*ns) || !near(free[19], 32*ns) {
		t.Errorf("sender free after messages 18, 19 at %g, %g; want 22 ns, 32 ns (stalled by the full buffer)", free[18], free[19])
	}
	if got := n.finish(); !near(got, 202*ns) {
		t.Errorf("finish %g, want 202 ns", got)
	}
	// A buffer deep enough for all never stalls the sender.
	n2 := newNoc([]float64{0, 0}, 2, 1*ns, 32)
	r2 := n2.addRoute([]int32{0, 1}, 1)
	n2.reset()
	for i := range routes {
		routes[i] = r2
	}
	free = sendAll(n2, routes, 10*ns)
	if !near(free[19], 20*ns) || !near(n2.finish(), 202*ns) {
		t.Errorf("deep buffer: sender free at %g, finish %g; want 20 ns, 202 ns", free[19], n2.finish())
	}
}

// Fan-out of 3: a sender (core 0) sends each spike to cores 1, 2 and 3 of
// its own tile (injection link 0, ejection links 1, 2, 3), 1 ns per message
// per link, 10 ns to process, a 1-deep buffer, 3 spikes: messages to
// 1,2,3,1,2,3,1,2,3.
//
// By hand: message i leaves the injection link at i+1 and arrives at i+2
// (the ejection links are free by then) for i ≤ 5. Starts: messages 0–2 at
// 2, 3, 4 (busy to 12, 13, 14); messages 3–5 arrive at 5, 6, 7, find one
// free slot each (messages 0–2 have started) and start at 12, 13, 14
// (busy to 22, 23, 24). Message 6 (to core 1) arrives at 8 but the slot
// frees only when message 3 starts, at 12: it holds the injection link to
// 12, so message 7 (to core 2, whose slot is free) cannot leave before 12
// — head-of-line blocking — and leaves the links at 13 and 14; message 8
// at 14 and 15. Starts 22, 23, 24; the last is processed at 34 ns.
func TestNocFanOutThreeCores(t *testing.T) {
	n := newNoc([]float64{0, 0, 0, 0}, 4, 1*ns, 1)
	var rs [3]int
	for i := range rs {
		rs[i] = n.addRoute([]int32{0, int32(i + 1)}, i+1)
	}
	n.reset()
	var routes []int
	for range 3 {
		routes = append(routes, rs[0], rs[1], rs[2])
	}
	free := sendAll(n, routes, 10*ns)
	want := []float64{1, 2, 3, 4, 5, 6, 12, 13, 14}
	for i := range want {
		if !near(free[i], want[i]*ns) {
			t.Errorf("message %d: sender free at %g ns, want %g ns", i, free[i]/ns, want[i])
		}
	}
	for c, w := range []float64{32, 33, 34} {
		if !near(n.recv[c+1].busy, w*ns) {
			t.Errorf("core %d busy to %g ns, want %g ns", c+1, n.recv[c+1].busy/ns, w)
		}
	}
	if !near(n.finish(), 34*ns) {
		t.Errorf("finish %g ns, want 34 ns", n.finish()/ns)
	}
}

// Link latencies add along the route, and setBusy delays the receiver.
func TestNocLatencyAndBusy(t *testing.T) {
	// injection (0 latency), one east hop (4 ns), ejection (2 ns).
	n := newNoc([]float64{0, 4 * ns, 2 * ns}, 2, 1*ns, 4)
	r := n.addRoute([]int32{0, 1, 2}, 1)
	n.reset()
	n.setBusy(1, 50*ns)
	// leaves link 0 at 1, link 1 at 2 (+4 → 6), link 2 at 7 (+2 → 9):
	// arrives at 9, starts at 50 (busy), done at 60.
	if f := n.send(r, 0, 10*ns); !near(f, 1*ns) {
		t.Errorf("sender free at %g ns, want 1", f/ns)
	}
	if !near(n.finish(), 60*ns) {
		t.Errorf("finish %g ns, want 60", n.finish()/ns)
	}
}

// The end-of-step synchronisation by tiles, SANA-FE's Loihi table
// {1: 0.6 µs, 2: 1.0 µs, 4: 1.4 µs, 29: 1.8 µs}: 1 and 2 tiles are table
// points; 16 tiles lies between 4 and 29: 1.4 + (16−4)·(1.8−1.4)/(29−4) =
// 1.592 µs.
func TestSyncByTiles(t *testing.T) {
	tg, err := targets.Lookup("loihi")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tiles int
		want  float64
	}{{1, 0.6e-6}, {2, 1.0e-6}, {16, 1.592e-6}, {29, 1.8e-6}, {64, 1.8e-6}} {
		if got := tg.Timing.SyncSeconds(c.tiles); !near(got, c.want) {
			t.Errorf("sync at %d tiles = %g, want %g", c.tiles, got, c.want)
		}
	}
}

func TestNocAllocates0(t *testing.T) {
	n := newNoc([]float64{0, 0, 0, 0}, 4, 1*ns, 2)
	var rs [3]int
	for i := range rs {
		rs[i] = n.addRoute([]int32{0, int32(i + 1)}, i+1)
	}
	a := testing.AllocsPerRun(100, func() {
		n.reset()
		t := 0.0
		for i := range 60 {
			t = n.send(rs[i%3], t, 10*ns)
		}
		_ = n.finish()
	})
	if a != 0 {
		t.Errorf("a step allocates %g times", a)
	}
}

// TestContentionVanishes: on random Loihi networks, with links that take
// no time per message and buffers deeper than any step's messages, every
// layer's contention delay is zero and a sample's time does not change
// with the buffer depth; with the real links and a 1-deep buffer it is
// never shorter.
func TestContentionVanishes(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 26))
	for n := 0; n < 20; n++ {
		m, set := randomNet(r, "loihi")
		x := set.Test.Image(0, set.ImageSize())
		run := func(linkMsg float64, buf int) (float64, []int64) {
			p, err := lowerChip(m)
			require.NoError(t, err)
			tg := *p.target
			tm := *tg.Timing
			tm.LinkMessage, tm.LinkBuffer = linkMsg, buf
			tg.Timing = &tm
			p.target = &tg
			p.timing = newTimingProgram(p)
			w := newChipWorker(p)
			_, lat := w.runSample(0, x)
			return lat, w.tm.contention
		}
		free, c := run(0, 1<<12)
		for l, v := range c {
			assert.Zero(t, v, "net %d layer %d", n, l)
		}
		deeper, _ := run(0, 1<<13)
		assert.Equal(t, free, deeper, "net %d", n)
		tight, _ := run(4.1e-9, 1)
		assert.GreaterOrEqual(t, tight, free, "net %d", n)
	}
}
