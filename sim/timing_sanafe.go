package sim

// SANA-FE's detailed timing heuristic (TimingSANAFE), re-expressed on the
// simulator's per-step data to compare with the calibrated simulator: the
// same senders, messages, generation and processing times as the contention
// model (timing.go), but SANA-FE's rule for the network instead of queues
// on links (noc.go). Read from SANA-FE's src/schedule.cpp
// (schedule_messages_timestep_detailed); our own code.
//
// Messages are taken in the order they are sent (the earliest sender's
// next message first). A message m sent at s from core a to core b,
// h tile hops apart, is "in flight" until its receiver starts it; while in
// flight it adds 1/(h+2) to the density of each of its tracked links (one
// link, the sender's, within a tile; otherwise the sender's link, the
// links it leaves tile by tile and the link into b's tile). With N the sum
// of the densities on m's links, d̄ the mean processing time of the
// messages in flight and B the buffer depth:
//
//	s' = s + (N − (h+1)·B)·d̄        if N > (h+1)·B  (the sender stalls)
//	arrive = s' + max(route latency, N·d̄/(h+1))
//	start = max(busy(b), arrive);  busy(b) = start + proc(m)
//
// and the sender's next message is sent its generation time after s'. The
// step ends at the last message processed or sent, or the last core's
// sweep, plus the sync. In-flight messages leave the tally when the next
// message sent finds their start passed.

// sanafeRoute is a route's tracked links for the heuristic: links[first:end]
// of sanafeProgram.links, each weighted 1/(h+2), and its hops h.
type sanafeRoute struct {
	first, end int32
	hops       int32
	// weight is 1/(h+2), the density a message adds to each tracked link;
	// perHop is 1/(h+1).
	weight, perHop float64
}

// sanafeProgram is the static part of the heuristic.
type sanafeProgram struct {
	route []sanafeRoute // per noc route
	links []int32
	nLink int
}

// newSanafeProgram lays out the tracked links of every route of tp:
// per core its own link, per tile one link per direction.
func newSanafeProgram(p *chipProgram, tp *timingProgram) *sanafeProgram {
	tgt := p.target
	nc := len(p.cores)
	tw, th := max(1, tgt.Chip.TileWidth), max(1, tgt.Chip.TileHeight)
	tx, ty, chips := 1, 1, 1
	for _, c := range p.cores {
		tx, ty, chips = max(tx, c.x/tw+1), max(ty, c.y/th+1), max(chips, c.chip+1)
	}
	const east, west, north, south = 0, 1, 2, 3
	dir := func(chip, x, y, d int) int32 { return int32(nc + ((chip*ty+y)*tx+x)*4 + d) }
	sp := &sanafeProgram{route: make([]sanafeRoute, len(tp.nocLinks)), nLink: nc + chips*ty*tx*4}
	for a := range nc {
		ca := &p.cores[a]
		for _, o := range tp.out[tp.outPtr[a]:tp.outPtr[a+1]] {
			cb := &p.cores[o.dst]
			ax, ay, bx, by := ca.x/tw, ca.y/th, cb.x/tw, cb.y/th
			first := int32(len(sp.links))
			hops := abs(ax-bx) + abs(ay-by)
			if ax == bx && ay == by {
				sp.links = append(sp.links, int32(a))
			} else {
				last := -1
				for x := ax; x != bx; {
					d, step := east, 1
					if bx < ax {
						d, step = west, -1
					}
					if x == ax {
						sp.links = append(sp.links, int32(a))
					} else {
						sp.links = append(sp.links, dir(cb.chip, x, ay, d))
					}
					last, x = d, x+step
				}
				for y := ay; y != by; {
					d, step := north, 1
					if by < ay {
						d, step = south, -1
					}
					if ax == bx && y == ay {
						sp.links = append(sp.links, int32(a))
					} else {
						sp.links = append(sp.links, dir(cb.chip, bx, y, last))
					}
					last, y = d, y+step
				}
				sp.links = append(sp.links, dir(cb.chip, bx, by, last))
			}
			sp.route[o.r] = sanafeRoute{first: first, end: int32(len(sp.links)), hops: int32(hops),
				weight: 1 / float64(hops+2), perHop: 1 / float64(hops+1)}
		}
	}
	return sp
}

// sanafeState is a worker's scratch for the heuristic. The messages in
// flight are kept per receiver in the order they were sent: a receiver
// starts its messages in that order (start = max(busy, arrive) never goes
// back), so each receiver's queue is sorted by start, and a min-heap of the
// receivers keyed by their first message's start finds the next message to
// leave the flight in O(log receivers).
type sanafeState struct {
	density []float64
	fin     []float64 // per receiver: busy until
	queue   [][]inFlight
	head    []int32
	recv    []recvKey // heap of receivers with messages in flight
	// sum and n: the processing times of the messages in flight, for their
	// mean.
	sum float64
	n   int
}

// inFlight is a message in flight: when its receiver starts it, its route
// and its processing time.
type inFlight struct {
	start float64
	r     int32
	proc  float64
}

// recvKey is a receiver in the heap and the start of its first message in
// flight.
type recvKey struct {
	start float64
	b     int32
}

// mean is the mean processing time of the messages in flight.
func (f *sanafeState) mean() float64 {
	if f.n == 0 {
		return 0
	}
	return f.sum / float64(f.n)
}

// siftDown restores the receiver heap below i.
func (f *sanafeState) siftDown(i int) {
	q := f.recv
	n := len(q)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && q[r].start < q[l].start {
			m = r
		}
		if q[i].start <= q[m].start {
			return
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
}

// push puts message m to receiver b in flight.
func (f *sanafeState) push(b int32, m inFlight) {
	empty := int(f.head[b]) == len(f.queue[b])
	f.queue[b] = append(f.queue[b], m)
	if !empty {
		return // b's first message is unchanged
	}
	f.recv = append(f.recv, recvKey{m.start, b})
	q := f.recv
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].start <= q[i].start {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

// land takes out of the flight every message its receiver has started by
// time t.
func (f *sanafeState) land(sp *sanafeProgram, t float64) {
	for len(f.recv) > 0 && f.recv[0].start <= t {
		b := f.recv[0].b
		m := &f.queue[b][f.head[b]]
		f.track(sp, m.r, m.proc, -1)
		f.head[b]++
		if h := int(f.head[b]); h < len(f.queue[b]) {
			f.recv[0].start = f.queue[b][h].start
		} else {
			n := len(f.recv) - 1
			f.recv[0] = f.recv[n]
			f.recv = f.recv[:n]
		}
		f.siftDown(0)
	}
}

// reset empties the flight for a new step.
func (f *sanafeState) reset() {
	clear(f.density)
	for b := range f.queue {
		f.queue[b] = f.queue[b][:0]
	}
	clear(f.head)
	f.recv = f.recv[:0]
	f.sum, f.n = 0, 0
}

func newSanafeState(sp *sanafeProgram, nc int) *sanafeState {
	return &sanafeState{density: make([]float64, sp.nLink), fin: make([]float64, nc),
		queue: make([][]inFlight, nc), head: make([]int32, nc), recv: make([]recvKey, 0, nc)}
}

// track adds (sign 1) or removes (−1) message route r from the densities
// and the processing times of the messages in flight.
func (f *sanafeState) track(sp *sanafeProgram, r int32, proc float64, sign float64) {
	rt := &sp.route[r]
	w := sign * rt.weight
	for _, l := range sp.links[rt.first:rt.end] {
		f.density[l] += w
	}
	f.sum += sign * proc
	f.n += int(sign)
	if f.n == 0 {
		f.sum = 0 // no drift left behind an empty flight
	}
}

// endSANAFE times the step's messages with SANA-FE's heuristic.
func (s *stepTimer) endSANAFE(p *chipProgram, spk [][]int32) float64 {
	tp, sp, f := s.tp, s.tp.sanafe, s.sf
	tm := tp.tm
	f.reset()
	s.q = s.q[:0]
	last := 0.0
	for c := range p.cores {
		busy := s.host[c]
		if !tm.PhasesOverlap {
			busy += s.soma[c] + float64(s.spkEnd[c]-s.spkOff[c])*tm.SpikeOut
		}
		f.fin[c] = busy
		s.idealBusy[c] = busy
		cc := &p.cores[c]
		sd := &s.snd[c]
		*sd = sender{core: c, next: s.spkOff[c], end: s.spkEnd[c], start: cc.start, cnt: cc.end - cc.start}
		if sd.cnt > 0 {
			sd.perNeuron = s.soma[c] / float64(sd.cnt)
		}
		if sd.next < sd.end && tp.outPtr[c+1] > tp.outPtr[c] {
			s.advance(sd, spk[cc.layer])
			s.q = append(s.q, sd)
		} else {
			last = max(last, s.soma[c]+float64(sd.end-sd.next)*tm.SpikeOut)
		}
	}
	s.q.init()
	for len(s.q) > 0 {
		sd := s.q[0]
		c := sd.core
		o := tp.out[tp.outPtr[c]+sd.route]
		sent := sd.ready
		f.land(sp, sent)
		rt := &sp.route[o.r]
		density := 0.0
		for _, l := range sp.links[rt.first:rt.end] {
			density += f.density[l]
		}
		arrive := sent + o.lat
		if density > 0 {
			mean := f.mean()
			if capacity := float64(rt.hops+1) * float64(tm.LinkBuffer); density > capacity {
				sent += (density - capacity) * mean
			}
			arrive = sent + fmax(o.lat, density*mean*rt.perHop)
		}
		start := fmax(f.fin[o.dst], arrive)
		f.fin[o.dst] = start + o.proc
		last = fmax(last, fmax(f.fin[o.dst], sent))
		// Without the heuristic's delays the message leaves when ready
		// and arrives its route latency later.
		sd.ideal += tm.MessageOut
		s.idealBusy[o.dst] = fmax(s.idealBusy[o.dst], sd.ideal+o.lat) + o.proc
		f.track(sp, o.r, o.proc, 1)
		f.push(o.dst, inFlight{start, o.r, o.proc})
		// The sender's next message: the next route of this spike, or the
		// next spike's sweep, or the rest of the sweep.
		sd.clock = sent
		sd.route++
		if tp.outPtr[c]+sd.route < tp.outPtr[c+1] {
			sd.ready = sent + tm.MessageOut
			s.q.down(0)
			continue
		}
		sd.route = 0
		sd.next++
		if sd.next < sd.end {
			s.advance(sd, spk[p.cores[c].layer])
			s.q.down(0)
			continue
		}
		last = max(last, sent+s.soma[c]-float64(spk[p.cores[c].layer][sd.end-1]-int32(sd.start)+1)*sd.perNeuron)
		s.q.pop()
	}
	for _, b := range f.fin {
		last = max(last, b)
	}
	s.addContention(p, f.fin)
	return last + tp.sync
}
