package sim

import (
	"fmt"
	"math"
	"strings"

	"github.com/snnc/snnc/targets"
)

// Timing models (Options.Timing).
const (
	// TimingSimple: a step takes the slowest core's operations times the
	// target's latency table, plus the longest route used and the barrier
	// (see the package documentation).
	TimingSimple = "simple"
	// TimingContention asks for the target's calibrated timing
	// (targets.Timing) with the network rule its data names
	// (targets.Timing.Network): it resolves to TimingQueue or TimingSANAFE.
	TimingContention = "contention"
	// TimingQueue: the calibrated per-step work (every core's soma sweep
	// emits its spikes as axon-out messages) with the messages queued on
	// the links of the mesh and at the receivers' buffers (noc.go); a step
	// ends when the last message has been delivered and processed and every
	// core has finished its neurons, plus the sync by tiles.
	TimingQueue = "queue"
	// TimingSANAFE: the same per-step work as TimingQueue, with SANA-FE's
	// detailed heuristic for the network instead of queues on links
	// (timing_sanafe.go).
	TimingSANAFE = "sanafe"
)

// TimingModels lists the values Options.Timing accepts ("" too);
// TimingCycleModel applies to recurrent-core chips (Xylo) only.
var TimingModels = []string{TimingSimple, TimingContention, TimingQueue, TimingSANAFE, TimingCycleModel}

// ResolveTiming returns the timing model a run on target t uses for the
// requested one: "" picks contention where the target has the data and
// simple otherwise; contention becomes the network rule of the target's
// data (TimingQueue or TimingSANAFE). Asking for a contention model on a
// target without the data is an error.
func ResolveTiming(t *targets.Target, requested string) (string, error) {
	switch requested {
	case "":
		if t.TickSeconds == 0 && t.Timing.HasContention() {
			return ResolveTiming(t, TimingContention)
		}
		return TimingSimple, nil
	case TimingSimple:
		return TimingSimple, nil
	case TimingContention, TimingQueue, TimingSANAFE:
		if t.TickSeconds > 0 {
			return "", fmt.Errorf("sim: timing %q: %s runs in real-time ticks of %g s; only %q applies", requested, t.Name, t.TickSeconds, TimingSimple)
		}
		if !t.Timing.HasContention() {
			return "", fmt.Errorf("sim: timing %q: target %s has no link, buffer and message data (targets/data/%s.json: timing); use %q", requested, t.Name, t.Name, TimingSimple)
		}
		if requested != TimingContention {
			return requested, nil
		}
		if t.Timing.Network == targets.NetworkSANAFE {
			return TimingSANAFE, nil
		}
		return TimingQueue, nil
	case TimingCycleModel:
		return "", fmt.Errorf("sim: timing %q: is the timing of recurrent-core chips (Xylo), not of %s", requested, t.Name)
	}
	return "", fmt.Errorf("sim: unknown timing model %q (valid: %s)", requested, strings.Join(TimingModels, ", "))
}

// timingProgram is the static part of the contention model of a chip
// program: the links, the routes of every core and each route's
// processing time per message at its receiver.
type timingProgram struct {
	tm   *targets.Timing
	sync float64
	lat  []float64 // per link
	// Routes out of core c: out[outPtr[c]:outPtr[c+1]], in mapping order;
	// nocLinks[r] are route r's links.
	outPtr   []int32
	out      []outRoute
	nocLinks [][]int32
	// sanafe, when set, times the network with SANA-FE's heuristic
	// (TimingSANAFE) instead of the queues.
	sanafe *sanafeProgram
}

// outRoute is a route out of a core: its index in the noc, its receiver,
// the processing time of one of its messages there, and the sum of its
// links' latencies (the model without contention).
type outRoute struct {
	r, dst    int32
	proc, lat float64
}

// newTimingProgram builds the contention model of p (p.target.Timing must
// have the data).
func newTimingProgram(p *chipProgram) *timingProgram {
	tgt := p.target
	tm := tgt.Timing
	tp := &timingProgram{tm: tm, sync: tm.SyncSeconds(p.tiles)}
	nc := len(p.cores)
	tw, th := max(1, tgt.Chip.TileWidth), max(1, tgt.Chip.TileHeight)
	tx, ty, chips := max(1, (tgt.Chip.MeshWidth+tw-1)/tw), max(1, (tgt.Chip.MeshHeight+th-1)/th), 1
	for _, c := range p.cores {
		tx, ty, chips = max(tx, c.x/tw+1), max(ty, c.y/th+1), max(chips, c.chip+1)
	}
	// Links: injection per core, ejection per core, four directions per
	// tile, two directions per chip boundary.
	const east, west, north, south = 0, 1, 2, 3
	tileBase := 2 * nc
	chipBase := tileBase + chips*ty*tx*4
	nl := chipBase + chips*2
	tp.lat = make([]float64, nl)
	for c := range nc {
		tp.lat[nc+c] = tm.Local
	}
	for i := tileBase; i < chipBase; i++ {
		if (i-tileBase)%4 < 2 {
			tp.lat[i] = tm.HopEW
		} else {
			tp.lat[i] = tm.HopNS
		}
	}
	for i := chipBase; i < nl; i++ {
		tp.lat[i] = tm.HopNS * float64(max(1, tgt.Chip.ChipHops))
	}
	tile := func(chip, x, y, dir int) int32 { return int32(tileBase + ((chip*ty+y)*tx+x)*4 + dir) }
	route := func(a, b *chipCore) []int32 {
		ls := []int32{int32(a.index)}
		chip := a.chip
		for chip != b.chip {
			if chip < b.chip {
				ls = append(ls, int32(chipBase+chip*2+east))
				chip++
			} else {
				ls = append(ls, int32(chipBase+chip*2+west))
				chip--
			}
		}
		x, y := a.x/tw, a.y/th
		bx, by := b.x/tw, b.y/th
		for x != bx {
			if x < bx {
				ls = append(ls, tile(chip, x, y, east))
				x++
			} else {
				ls = append(ls, tile(chip, x, y, west))
				x--
			}
		}
		for y != by {
			if y < by {
				ls = append(ls, tile(chip, x, y, north))
				y++
			} else {
				ls = append(ls, tile(chip, x, y, south))
				y--
			}
		}
		return append(ls, int32(nc+b.index))
	}
	syn := routeSynapses(p)
	tp.outPtr = make([]int32, nc+1)
	for a := range nc {
		for _, b := range p.routesOut[a] {
			ls := route(&p.cores[a], &p.cores[b])
			l := 0.0
			for _, k := range ls {
				l += tp.lat[k]
			}
			tp.out = append(tp.out, outRoute{r: int32(len(tp.nocLinks)), dst: int32(b), proc: tm.MessageIn + syn[[2]int{a, b}]*tm.SynapticOp, lat: l})
			tp.nocLinks = append(tp.nocLinks, ls)
		}
		tp.outPtr[a+1] = int32(len(tp.out))
	}
	return tp
}

// routeSynapses returns, for every route a→b, the mean number of synaptic
// events one spike of a source neuron on core a causes on core b (the
// simulator's own count: a dense layer's spike costs one event per neuron
// of the core, a conv, sparse or crossbar layer's the synapses it meets;
// a recurrent layer's route back into its own cores as a dense layer's).
func routeSynapses(p *chipProgram) map[[2]int]float64 {
	out := map[[2]int]float64{}
	var w *chipWorker
	for li := 1; li < len(p.layers); li++ {
		L, P := &p.layers[li], &p.layers[li-1]
		for ai, a := range P.cores {
			ca := &p.cores[a]
			n := ca.end - ca.start
			if n == 0 {
				continue
			}
			sum := make(map[int]float64)
			switch {
			case L.sp != nil || L.ck != nil:
				if w == nil {
					w = newChipWorker(p)
				}
				acc := w.acc[li]
				for i := ca.start; i < ca.end; i++ {
					in := []int32{int32(i)}
					if L.sp != nil {
						w.spanInput(L, acc, in)
					} else {
						w.convInput(L, li, acc, in)
					}
					for _, b := range L.cores {
						sum[b] += float64(w.coreSyn[b])
					}
				}
				clear(acc)
			default:
				for bi, b := range L.cores {
					if !L.full && !L.recv[bi][ai] {
						continue
					}
					cb := &p.cores[b]
					if L.fan == nil {
						sum[b] = float64(n) * float64(cb.end-cb.start)
						continue
					}
					for i := ca.start; i < ca.end; i++ {
						sum[b] += float64(L.fan[bi][i])
					}
				}
			}
			for b, s := range sum {
				out[[2]int{a, b}] = s / float64(n)
			}
		}
	}
	// a recurrent layer's routes back into its own cores: a dense row, one
	// event per neuron of the receiving core
	for li := range p.layers {
		L := &p.layers[li]
		if L.rT == nil {
			continue
		}
		for bi, b := range L.cores {
			for ai, a := range L.cores {
				if L.selfFull || L.selfRecv[bi][ai] {
					out[[2]int{a, b}] = float64(p.cores[b].end - p.cores[b].start)
				}
			}
		}
	}
	return out
}

// stepTimer times the chip steps of one worker with the contention model.
// It allocates nothing per step.
type stepTimer struct {
	tp  *timingProgram
	net *noc
	// idealBusy is each receiver's busy time without contention (no link
	// occupancy, buffers that never fill): a message arrives its route's
	// latency after it is ready and waits only for its receiver.
	idealBusy []float64
	// fin is each receiver's busy time with contention (scratch).
	fin []float64
	// sf is the scratch of SANA-FE's heuristic (TimingSANAFE only).
	sf *sanafeState
	// network times a step's messages with the program's network rule:
	// endQueue (TimingQueue) or endSANAFE (TimingSANAFE).
	network func(s *stepTimer, p *chipProgram, spk [][]int32) float64
	// Per core in the current step: soma time (accesses and updates), the
	// spikes it emitted (positions in its layer's spike list), host input
	// busy time, and the sender's state.
	soma           []float64
	spkOff, spkEnd []int32
	host           []float64
	snd            []sender
	q              senderQueue
	// layerOfCore maps a core to its layer's model index; contention[l]
	// accumulates the femtoseconds by which layer l's receivers finish
	// later than without contention (integers, so that the totals do not
	// depend on how samples are split between workers); layerCont,
	// layerIdeal are per-step scratch.
	layerOfCore           []int
	contention            []int64
	layerCont, layerIdeal []float64
}

// sender is one core emitting its spikes as messages.
type sender struct {
	core       int
	clock      float64 // time of the sender with contention
	ideal      float64 // its time without contention
	next       int32   // next spike (index into its layer's spike list)
	end        int32
	done       float64
	route      int32 // next route of the current spike (TimingSANAFE)
	start, cnt int
	perNeuron  float64
	ready      float64 // time its next message is ready
}

// senderQueue is a binary min-heap of senders by ready time (ties: core
// index).
type senderQueue []*sender

func (q senderQueue) less(i, j int) bool {
	if q[i].ready != q[j].ready {
		return q[i].ready < q[j].ready
	}
	return q[i].core < q[j].core
}

// init orders the heap.
func (q senderQueue) init() {
	for i := len(q)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}

// down restores the heap below i.
func (q senderQueue) down(i int) {
	n := len(q)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			return
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
}

// pop removes the first sender.
func (q *senderQueue) pop() {
	h := *q
	n := len(h) - 1
	h[0] = h[n]
	*q = h[:n]
	(*q).down(0)
}

func newStepTimer(p *chipProgram, tp *timingProgram) *stepTimer {
	nc := len(p.cores)
	tm := tp.tm
	s := &stepTimer{
		tp:          tp,
		net:         newNoc(tp.lat, nc, tm.LinkMessage, tm.LinkBuffer),
		idealBusy:   make([]float64, nc),
		fin:         make([]float64, nc),
		soma:        make([]float64, nc),
		spkOff:      make([]int32, nc),
		spkEnd:      make([]int32, nc),
		host:        make([]float64, nc),
		snd:         make([]sender, nc),
		q:           make(senderQueue, 0, nc),
		layerOfCore: make([]int, nc),
		contention:  make([]int64, len(p.net.m.Layers)),
		layerCont:   make([]float64, len(p.net.m.Layers)),
		layerIdeal:  make([]float64, len(p.net.m.Layers)),
	}
	for _, o := range tp.out {
		s.net.addRoute(tp.nocLinks[o.r], int(o.dst))
	}
	for c := range p.cores {
		s.layerOfCore[c] = p.layers[p.cores[c].layer].model
	}
	s.network = (*stepTimer).endQueue
	if tp.sanafe != nil {
		s.sf = newSanafeState(tp.sanafe, nc)
		s.network = (*stepTimer).endSANAFE
	}
	return s
}

// begin starts a step.
func (s *stepTimer) begin() {
	clear(s.soma)
	clear(s.spkOff)
	clear(s.spkEnd)
	clear(s.host)
}

// core records core c's work in the step: soma accesses and updates, its
// spikes at positions [off, end) of its layer's spike list, and the host
// input it processed (messages and synaptic events).
func (s *stepTimer) core(c int, accesses, updates int64, off, end int, hostMsgs, hostSyn int64) {
	tm := s.tp.tm
	s.soma[c] = float64(accesses)*tm.SomaAccess + float64(updates)*tm.SomaUpdate
	s.spkOff[c], s.spkEnd[c] = int32(off), int32(end)
	s.host[c] = float64(hostMsgs)*tm.MessageIn + float64(hostSyn)*tm.SynapticOp
}

// end runs the step's messages through the network and returns the step's
// time: the last message processed or the last core done, whichever is
// later, plus the sync. spk are the layers' spike lists.
func (s *stepTimer) end(p *chipProgram, spk [][]int32) float64 {
	return s.network(s, p, spk)
}

// endQueue times the step's messages with the link queues (noc.go).
func (s *stepTimer) endQueue(p *chipProgram, spk [][]int32) float64 {
	tm := s.tp.tm
	s.net.reset()
	s.q = s.q[:0]
	for c := range p.cores {
		busy := s.host[c]
		if !tm.PhasesOverlap {
			busy += s.soma[c] + float64(s.spkEnd[c]-s.spkOff[c])*tm.SpikeOut
		}
		s.net.setBusy(c, busy)
		s.idealBusy[c] = busy
		cc := &p.cores[c]
		sd := &s.snd[c]
		*sd = sender{core: c, next: s.spkOff[c], end: s.spkEnd[c], start: cc.start, cnt: cc.end - cc.start}
		if sd.cnt > 0 {
			sd.perNeuron = s.soma[c] / float64(sd.cnt)
		}
		if sd.next < sd.end && s.tp.outPtr[c+1] > s.tp.outPtr[c] {
			s.advance(sd, spk[cc.layer])
			s.q = append(s.q, sd)
		} else {
			sd.done = s.soma[c] + float64(sd.end-sd.next)*tm.SpikeOut
			sd.ideal = sd.done
		}
	}
	s.q.init()
	tp := s.tp
	for len(s.q) > 0 {
		// The earliest sender sends the messages of its next spike, one
		// per route, back to back.
		sd := s.q[0]
		c := sd.core
		clock, ideal, msgOut := sd.clock, sd.ideal, tm.MessageOut
		for _, o := range tp.out[tp.outPtr[c]:tp.outPtr[c+1]] {
			clock += msgOut
			clock = fmax(clock, s.net.send(int(o.r), clock, o.proc))
			ideal += msgOut
			s.idealBusy[o.dst] = fmax(s.idealBusy[o.dst], ideal+o.lat) + o.proc
		}
		sd.clock, sd.ideal = clock, ideal
		sd.next++
		if sd.next < sd.end {
			s.advance(sd, spk[p.cores[c].layer])
			s.q.down(0)
			continue
		}
		// The rest of the sweep after the last spike.
		sd.done = sd.clock + s.soma[c] - float64(spk[p.cores[c].layer][sd.end-1]-int32(sd.start)+1)*sd.perNeuron
		s.q.pop()
	}
	t := max(s.net.finish(), 0)
	for c := range p.cores {
		t = max(t, s.snd[c].done)
		s.fin[c] = s.net.recv[c].busy
	}
	s.addContention(p, s.fin)
	return t + s.tp.sync
}

// addContention adds to each layer the time by which its receiving cores
// finish later (fin, per core) than without contention (idealBusy).
func (s *stepTimer) addContention(p *chipProgram, fin []float64) {
	clear(s.layerCont)
	clear(s.layerIdeal)
	for c := range p.cores {
		l := s.layerOfCore[c]
		s.layerCont[l] = max(s.layerCont[l], fin[c])
		s.layerIdeal[l] = max(s.layerIdeal[l], s.idealBusy[c])
	}
	for l := range s.layerCont {
		if d := s.layerCont[l] - s.layerIdeal[l]; d > 0 {
			s.contention[l] += int64(math.Round(d * 1e15))
		}
	}
}

// advance moves sender sd to its next spike: the soma sweep up to the
// spiking neuron and the spike itself; its first message is ready one
// axon-out message later.
func (s *stepTimer) advance(sd *sender, spk []int32) {
	tm := s.tp.tm
	j := spk[sd.next] - int32(sd.start) // position of the neuron in its core
	var prev int32 = -1
	if sd.next > s.spkOff[sd.core] {
		prev = spk[sd.next-1] - int32(sd.start)
	}
	sweep := float64(j-prev)*sd.perNeuron + tm.SpikeOut
	sd.clock += sweep
	sd.ideal += sweep
	sd.ready = sd.clock + tm.MessageOut
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// fmax is max for times (never NaN): one comparison instead of the
// builtin's NaN and signed-zero rules (measured faster here than both the
// builtin and an integer max of the bit patterns).
func fmax(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// nonZeroState counts the neurons with a non-zero potential, current or
// bias: those a soma update changes outside a layer's valid steps.
func nonZeroState(u, v []int32, bias []int64) int {
	v, bias = v[:len(u)], bias[:len(u)]
	c := 0
	for j := range u {
		if int64(u[j]|v[j])|bias[j] != 0 {
			c++
		}
	}
	return c
}
