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
			sp.route[o.r] = sanafeRoute{first, int32(len(sp.links)), int32(hops)}
		}
	}
	return sp
}

// sanafeState is a worker's scratch for the heuristic.
type sanafeState struct {
	density []float64
	fin     []float64 // per receiver: busy until
	flight  flightHeap
	mean    float64
	n       int
}

// inFlight is a message in flight: when its receiver starts it, its route
// and its processing time.
type inFlight struct {
	start float64
	r     int32
	proc  float64
}

// flightHeap is a min-heap of messages in flight by start time.
type flightHeap []inFlight

func (h *flightHeap) push(m inFlight) {
	*h = append(*h, m)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].start <= q[i].start {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *flightHeap) pop() inFlight {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q[r].start < q[l].start {
			m = r
		}
		if q[i].start <= q[m].start {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	*h = q
	return top
}

func newSanafeState(sp *sanafeProgram, nc int) *sanafeState {
	return &sanafeState{density: make([]float64, sp.nLink), fin: make([]float64, nc)}
}

// track adds (sign 1) or removes (−1) message route r from the densities
// and the mean processing time of the messages in flight.
func (f *sanafeState) track(sp *sanafeProgram, r int32, proc float64, sign float64) {
	rt := sp.route[r]
	w := sign / (2 + float64(rt.hops))
	for _, l := range sp.links[rt.first:rt.end] {
		f.density[l] += w
	}
	if sign > 0 {
		f.mean += (proc - f.mean) / float64(f.n+1)
		f.n++
		return
	}
	if f.n > 1 {
		f.mean += (f.mean - proc) / float64(f.n-1)
	} else {
		f.mean = 0
	}
	f.n--
}

// endSANAFE times the step's messages with SANA-FE's heuristic.
func (s *stepTimer) endSANAFE(p *chipProgram, spk [][]int32) float64 {
	tp, sp, f := s.tp, s.tp.sanafe, s.sf
	tm := tp.tm
	clear(f.density)
	f.flight = f.flight[:0]
	f.mean, f.n = 0, 0
	s.q = s.q[:0]
	last := 0.0
	for c := range p.cores {
		busy := s.host[c]
		if !tm.PhasesOverlap {
			busy += s.soma[c] + float64(s.spkEnd[c]-s.spkOff[c])*tm.SpikeOut
		}
		f.fin[c] = busy
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
		for len(f.flight) > 0 && f.flight[0].start <= sent {
			m := f.flight.pop()
			f.track(sp, m.r, m.proc, -1)
		}
		rt := sp.route[o.r]
		density := 0.0
		for _, l := range sp.links[rt.first:rt.end] {
			density += f.density[l]
		}
		h1 := float64(rt.hops + 1)
		if capacity := h1 * float64(tm.LinkBuffer); density > capacity {
			sent += (density - capacity) * f.mean
		}
		arrive := sent + max(o.lat, density*f.mean/h1)
		start := max(f.fin[o.dst], arrive)
		f.fin[o.dst] = start + o.proc
		last = max(last, f.fin[o.dst], sent)
		f.track(sp, o.r, o.proc, 1)
		f.flight.push(inFlight{start, o.r, o.proc})
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
	return last + tp.sync
}
