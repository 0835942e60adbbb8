package sim

import (
	"math"

	"github.com/snnc/snnc/targets"
)

// SANA-FE's detailed timing heuristic (TimingSANAFE), re-expressed on the
// simulator's per-step data to compare with the calibrated simulator: the
// same senders, messages, generation and processing times as the contention
// model (timing.go), but SANA-FE's rule for the network instead of queues
// on links (noc.go). Read from SANA-FE's src/schedule.cpp
// (schedule_messages_timestep_detailed); our own code.
//
// Messages are taken in the order they are sent (the earliest sender's
// next message first; ties: the lower core). A message m sent at s from core a to core b,
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
// message sent finds their start passed, in order of start (ties: the
// lower receiver core).
//
// The figures are float64 results, and floating-point sums depend on
// their order: each density and the tally of processing times are updated
// message by message in exactly this order (joining when sent, leaving
// when started), and a route's densities are summed in link order.
// timing_sanafe_test.go checks the figures bit for bit against a plain
// re-statement of the rule and against figures recorded from the first
// implementation.

// The bookkeeping: the routes of every core in one table (the order of
// timingProgram.out) with everything a message needs; per receiver, its
// messages in flight in a preallocated range of one array, in the order
// they were sent (a receiver starts its messages in that order, since
// start = max(busy, arrive) never goes back, so each range is sorted by
// start); two tournament trees, one over the senders keyed by the time
// their next message is ready (ties: the lower core) and one over the
// receivers keyed by the start of their first message in flight (ties:
// the lower core), replayed leaf to root without branching on the
// comparisons (keys as float64 bits). Link loops run a fixed count per
// program (routes padded to the longest), so their exits are predicted.
// A step allocates nothing.

// sanafeRoute is a route's data for the heuristic: its receiver, tracked
// links links[first:end] (each weighted 1/(h+2) for h tile hops), the
// latency of the route without contention, the processing time of one of
// its messages at the receiver, 1/(h+1) and the capacity (h+1)·B.
type sanafeRoute struct {
	dst, first, end int32
	dstSlot         int32 // the receiver's leaf in the receivers' tree
	hops            int32
	lat, proc       float64
	weight, perHop  float64
	capacity        float64
}

// sanafeProgram is the static part of the heuristic.
type sanafeProgram struct {
	route []sanafeRoute // per route, in timingProgram.out order
	links []int32
	nLink int
	// Route r's tracked links again, padded to width (the most links of
	// any route) so that the hot loops run the same number of times for
	// every message: pad[r·width:(r+1)·width], each link with its weight,
	// the padding with weight 0 on links of their own (nLink + its
	// position in pad: their densities stay +0, adding +0 changes neither
	// a sum nor a density, and no two routes' padding wait for each
	// other's stores).
	width int
	pad   []paddedLink
	// Senders and receivers: the cores with routes out, and in, in core
	// order, so that the trees over them are no larger than they need be
	// (a route's receiver is receiverCore[route.dstSlot]).
	senderCore, receiverCore []int32
	// queueStart[i]: the first slot of receiver i's messages in flight
	// (receiverCore[i]);
	// b has room for every message it can receive in a step (one per
	// neuron of each core that sends to it).
	queueStart []int32
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
	sp := &sanafeProgram{route: make([]sanafeRoute, len(tp.out)), nLink: nc + chips*ty*tx*4}
	room := make([]int32, nc)
	for a := range nc {
		ca := &p.cores[a]
		for _, o := range tp.out[tp.outPtr[a]:tp.outPtr[a+1]] {
			cb := &p.cores[o.dst]
			room[o.dst] += int32(ca.end - ca.start)
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
			sp.route[o.r] = sanafeRoute{dst: o.dst, first: first, end: int32(len(sp.links)), hops: int32(hops),
				lat: o.lat, proc: o.proc, weight: 1 / float64(hops+2), perHop: 1 / float64(hops+1),
				capacity: float64(hops+1) * float64(tp.tm.LinkBuffer)}
		}
	}
	for _, rt := range sp.route {
		sp.width = max(sp.width, int(rt.end-rt.first))
	}
	sp.pad = make([]paddedLink, len(sp.route)*sp.width)
	for r, rt := range sp.route {
		for i := range sp.width {
			sp.pad[r*sp.width+i] = paddedLink{link: int32(sp.nLink + r*sp.width + i)}
			if k := int(rt.first) + i; k < int(rt.end) {
				sp.pad[r*sp.width+i] = paddedLink{link: sp.links[k], weight: rt.weight}
			}
		}
	}
	slot := make([]int32, nc)
	for c := range nc {
		if tp.outPtr[c+1] > tp.outPtr[c] {
			sp.senderCore = append(sp.senderCore, int32(c))
		}
		if room[c] > 0 {
			slot[c] = int32(len(sp.receiverCore))
			sp.receiverCore = append(sp.receiverCore, int32(c))
		}
	}
	sp.queueStart = make([]int32, len(sp.receiverCore)+1)
	for i, b := range sp.receiverCore {
		sp.queueStart[i+1] = sp.queueStart[i] + room[b]
	}
	for r := range sp.route {
		sp.route[r].dstSlot = slot[sp.route[r].dst]
	}
	return sp
}

// paddedLink is a tracked link of a route and the density its messages
// add to it.
type paddedLink struct {
	link   int32
	weight float64
}

// sanafeState is a worker's scratch for the heuristic.
type sanafeState struct {
	density []float64 // per tracked link, then the padding's
	fin     []float64 // per receiver: busy until
	// Receiver i's messages in flight (receiverCore[i]) are
	// flight[head[i]:tail[i]], within its range from queueStart[i].
	flight     []inFlight
	head, tail []int32
	snd        []sanafeSender // per sender (sanafeProgram.senderCore)
	// senders (leaves: sanafeProgram.senderCore) keyed by the time their
	// next message is ready; receivers (leaves: receiverCore) by the
	// start of their first message in flight (+Inf: none).
	senders, receivers minTree
}

// inFlight is a message in flight: when its receiver starts it, and its
// route.
type inFlight struct {
	start float64
	r     int32
}

func newSanafeState(sp *sanafeProgram, nc int) *sanafeState {
	return &sanafeState{density: make([]float64, sp.nLink+len(sp.pad)), fin: make([]float64, nc),
		flight: make([]inFlight, sp.queueStart[len(sp.receiverCore)]), head: make([]int32, len(sp.receiverCore)), tail: make([]int32, len(sp.receiverCore)),
		senders: newMinTree(len(sp.senderCore)), receivers: newMinTree(len(sp.receiverCore)),
		snd: make([]sanafeSender, len(sp.senderCore))}
}

// minTree is a tournament tree over leaves 0..n−1 keyed by non-negative
// times: node j (1 ≤ j < size) holds the key and leaf of the smallest key
// below it, the lower leaf on ties, so node 1 is the smallest key's lowest
// leaf. A key is kept as the bits of the float64 (which order non-negative
// floats and +Inf as the floats do), so that changing a leaf's key replays
// its path to the root with integer selects: one comparison per level
// against the sibling's node, which the replay does not change.
type minTree struct {
	node []treeNode // 2·size: node[size+i] is leaf i
	size int
}

// treeNode is a key (float64 bits) and its leaf.
type treeNode struct {
	key  uint64
	leaf int32
}

// absent is the key of a leaf without a time: +Inf's bits.
const absent = 0x7FF0000000000000

func newMinTree(n int) minTree {
	size := 1
	for size < n {
		size *= 2
	}
	t := minTree{node: make([]treeNode, 2*size), size: size}
	t.clear()
	return t
}

// clear makes every leaf absent.
func (t *minTree) clear() {
	for i := range t.size {
		t.node[t.size+i] = treeNode{absent, int32(i)}
	}
	for j := t.size - 1; j >= 1; j-- {
		t.node[j] = t.node[2*j]
	}
}

// min returns the smallest key (as float64 bits) and its leaf.
func (t *minTree) min() (uint64, int32) { return t.node[1].key, t.node[1].leaf }

// set gives leaf i key k (float64 bits) and replays its path. A left
// child holds the lower leaves, so a sibling on the left wins ties.
func (t *minTree) set(i int32, k uint64) {
	nd := t.node
	j := t.size + int(i)
	nd[j] = treeNode{k, i}
	for j > 1 {
		sib := nd[j^1]
		// sibling wins: sib.key < k, or ≤ k where the sibling is the
		// left child (j odd)
		if sib.key < k+uint64(j&1) {
			k, i = sib.key, sib.leaf
		}
		j >>= 1
		nd[j] = treeNode{k, i}
	}
}

// reset empties the flight for a new step.
func (f *sanafeState) reset(sp *sanafeProgram) {
	clear(f.density)
	copy(f.head, sp.queueStart)
	copy(f.tail, sp.queueStart[:len(f.tail)])
	f.receivers.clear()
}

// sanafeSender is a core sending its spikes in the heuristic: the time
// its next message is ready (and the same without the heuristic's
// delays), its current route (routes[route:routeEnd] are the rest for
// the current spike) and spike (next of spk[first:end]).
type sanafeSender struct {
	ready, ideal           float64
	perNeuron              float64
	route, routeEnd        int32
	first, next, end       int32
	neuronStart, firstSpan int32
	core                   int32
	spk                    []int32
}

// sweep moves sender sd, at time t, to its next spike: the soma sweep up
// to the spiking neuron and the spike itself; the spike's first message
// is ready one axon-out message later.
func (sd *sanafeSender) sweep(t float64, tm *targets.Timing) {
	j := sd.spk[sd.next] - sd.neuronStart
	prev := int32(-1)
	if sd.next > sd.first {
		prev = sd.spk[sd.next-1] - sd.neuronStart
	}
	sweep := float64(j-prev)*sd.perNeuron + tm.SpikeOut
	t += sweep
	sd.ideal += sweep
	sd.ready = t + tm.MessageOut
}

// endSANAFE times the step's messages with SANA-FE's heuristic.
func (s *stepTimer) endSANAFE(p *chipProgram, spk [][]int32) float64 {
	tp, sp, f := s.tp, s.tp.sanafe, s.sf
	tm := tp.tm
	f.reset(sp)
	sq := &f.senders
	sq.clear()
	last := 0.0
	for i, c := range sp.senderCore {
		cc := &p.cores[c]
		sd := &f.snd[i]
		*sd = sanafeSender{core: c, first: s.spkOff[c], next: s.spkOff[c], end: s.spkEnd[c], neuronStart: int32(cc.start),
			route: tp.outPtr[c], firstSpan: tp.outPtr[c], routeEnd: tp.outPtr[c+1], spk: spk[cc.layer]}
		if n := cc.end - cc.start; n > 0 {
			sd.perNeuron = s.soma[c] / float64(n)
		}
		if sd.next < sd.end {
			sd.sweep(0, tm)
			sq.set(int32(i), math.Float64bits(sd.ready))
		}
	}
	for c := range p.cores {
		busy := s.host[c]
		if !tm.PhasesOverlap {
			busy += s.soma[c] + float64(s.spkEnd[c]-s.spkOff[c])*tm.SpikeOut
		}
		f.fin[c] = busy
		s.idealBusy[c] = busy
		if s.spkOff[c] == s.spkEnd[c] || tp.outPtr[c+1] == tp.outPtr[c] {
			last = max(last, s.soma[c]+float64(s.spkEnd[c]-s.spkOff[c])*tm.SpikeOut)
		}
	}
	// The hot loop works on locals: the tallies, and the slices it
	// indexes.
	msgOut := tm.MessageOut
	routes, pad, width, density := sp.route, sp.pad, sp.width, f.density
	snd := f.snd
	flight, head, tail, fins, ideal := f.flight, f.head, f.tail, f.fin, s.idealBusy
	rv := &f.receivers
	sum, n := 0.0, 0
	for {
		k, slot := sq.min()
		if k == absent {
			break
		}
		sd := &snd[slot]
		sent := sd.ready
		ri := sd.route
		rt := &routes[ri]
		// Every message whose receiver has started it by now leaves the
		// flight, in order of start.
		for {
			k, bs := rv.min()
			if k > math.Float64bits(sent) {
				break
			}
			h := head[bs]
			lr := flight[h].r
			for _, pl := range pad[int(lr)*width : int(lr+1)*width] {
				density[pl.link] -= pl.weight
			}
			sum -= routes[lr].proc
			if n--; n == 0 {
				sum = 0 // no drift left behind an empty flight
			}
			h++
			head[bs] = h
			next := uint64(absent)
			if h < tail[bs] {
				next = math.Float64bits(flight[h].start)
			}
			rv.set(bs, next)
		}
		// The density on its links, which it then joins.
		N := 0.0
		for _, pl := range pad[int(ri)*width : int(ri+1)*width] {
			d := density[pl.link]
			N += d
			density[pl.link] = d + pl.weight
		}
		arrive := sent + rt.lat
		if N > 0 {
			mean := 0.0
			if n > 0 {
				mean = sum / float64(n)
			}
			if N > rt.capacity {
				sent += (N - rt.capacity) * mean
			}
			arrive = sent + fmax(rt.lat, N*mean*rt.perHop)
		}
		// The receiver starts it when free; the step's end takes the
		// receivers' last busy times after the loop (a message ends after
		// it is sent: start ≥ arrive ≥ sent).
		b := rt.dst
		start := fmax(fins[b], arrive)
		fins[b] = start + rt.proc
		// Without the heuristic's delays the message leaves when ready
		// and arrives its route latency later.
		sd.ideal += msgOut
		ideal[b] = fmax(ideal[b], sd.ideal+rt.lat) + rt.proc
		// in flight
		sum += rt.proc
		n++
		bs := rt.dstSlot
		q := tail[bs]
		flight[q] = inFlight{start, ri}
		tail[bs] = q + 1
		if head[bs] == q {
			rv.set(bs, math.Float64bits(start))
		}
		// The sender's next message: the next route of this spike, or the
		// next spike's sweep, or the rest of the sweep.
		switch {
		case ri+1 < sd.routeEnd:
			sd.route = ri + 1
			sd.ready = sent + msgOut
		case sd.next+1 < sd.end:
			sd.route = sd.firstSpan
			sd.next++
			sd.sweep(sent, tm)
		default:
			last = max(last, sent+s.soma[sd.core]-float64(sd.spk[sd.end-1]-sd.neuronStart+1)*sd.perNeuron)
			sq.set(slot, absent)
			continue
		}
		sq.set(slot, math.Float64bits(sd.ready))
	}
	for _, b := range f.fin {
		last = max(last, b)
	}
	s.addContention(p, f.fin)
	return last + tp.sync
}
