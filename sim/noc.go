package sim

// The network-on-chip contention model: one chip step's spike messages
// queued on the links of the mesh and at their receivers.
//
// Links are one-message-at-a-time servers: a message occupies a link for
// linkMsg seconds (the inverse of its bandwidth) and then takes the link's
// latency to reach the next one. A route is the links a message crosses in
// order: the sender core's injection link, the chip-to-chip links, the
// east-west links, the north-south links (dimension-order routing) and the
// receiver core's ejection link. Messages are queued in the order they are
// sent; a message waits for a link only if the link is busy when it gets
// there (a message queued later that reaches a link before the previous
// occupant started on it goes ahead without delaying that one: with zero
// link time there is no link contention at all).
//
// At the end of its route a message waits in the receiver's input buffer,
// which holds at most buf messages that have arrived and not yet started
// processing. A message that finds the buffer full stays in the link and
// holds every link of its route until a slot frees (the start of the
// message buf places ahead of it at that receiver); messages behind it on
// those links wait too, and since the first link of every route is the
// sender's injection link, the sender stalls until it is free again.
// The receiver processes its messages one after another, each for its
// processing time (message-in latency plus its synaptic events).
//
// For message m to receiver d, with k messages already sent to d in the
// step and links l_1..l_h:
//
//	t_0 = ready(m)
//	t_i = max(t_{i−1}, free(l_i)) + linkMsg   if t_{i−1} ≥ free(l_i) − linkMsg (else t_{i−1} + linkMsg)
//	free(l_i) = max(free(l_i), t_i);  t_i += lat(l_i)
//	arrive = t_h
//	enter  = max(arrive, start(k−buf))          (k ≥ buf; else arrive)
//	free(l_i) = max(free(l_i), enter) for every i
//	start(k) = max(enter, busy(d));  busy(d) = start(k) + proc(m)
//
// and the sender may emit its next message at free(l_1). The step's
// network time is the last busy(d): when the last message has been
// delivered and processed. Everything is preallocated; a step allocates
// nothing.
type noc struct {
	linkMsg float64
	buf     int
	// Per link: the time it is free again and its latency.
	link []nocLink
	// Route r: its links are links[route[r].first:route[r].end], its
	// receiver route[r].dst.
	route []nocRoute
	links []int32
	// Per receiver core: its state, and the processing start of its last
	// buf messages (a ring of buf entries per core).
	recv []nocRecv
	ring []float64
}

// nocRoute is a route's links (a range of noc.links) and its receiver.
type nocRoute struct{ first, end, dst int32 }

// nocRecv is a receiver's state in a step: busy until, messages received,
// and the ring position of its next message.
type nocRecv struct {
	busy       float64
	recvd, pos int32
}

// nocLink is one link's state and latency.
type nocLink struct{ free, lat float64 }

// newNoc returns a model with nLinks links (latencies lat) and nCores
// receivers; routes are added with addRoute. A buffer depth below 1 is
// taken as 1.
func newNoc(lat []float64, nCores int, linkMsg float64, buf int) *noc {
	buf = max(buf, 1)
	links := make([]nocLink, len(lat))
	for i, l := range lat {
		links[i].lat = l
	}
	return &noc{
		linkMsg: linkMsg,
		buf:     buf,
		link:    links,
		recv:    make([]nocRecv, nCores),
		ring:    make([]float64, nCores*buf),
	}
}

// addRoute adds a route over links to receiver dst and returns its index.
func (n *noc) addRoute(links []int32, dst int) int {
	first := int32(len(n.links))
	n.links = append(n.links, links...)
	n.route = append(n.route, nocRoute{first, int32(len(n.links)), int32(dst)})
	return len(n.route) - 1
}

// reset starts a step: every link free, every receiver idle.
func (n *noc) reset() {
	for i := range n.link {
		n.link[i].free = 0
	}
	clear(n.recv)
}

// setBusy makes receiver core c busy until t (its own work that does not
// overlap with processing messages).
func (n *noc) setBusy(c int, t float64) { n.recv[c].busy = max(n.recv[c].busy, t) }

// send queues a message on route r, ready to leave its sender at ready,
// taking proc seconds to process at the receiver. It returns when the
// sender's injection link is free again (the sender stalls until then).
func (n *noc) send(r int, ready, proc float64) float64 {
	rt := n.route[r]
	ls := n.links[rt.first:rt.end]
	t, msg := ready, n.linkMsg
	for _, l := range ls {
		k := &n.link[l]
		if t >= k.free-msg { // the link is busy when the message gets there
			t = fmax(t, k.free)
		}
		t += msg
		k.free = fmax(k.free, t)
		t += k.lat
	}
	rc := &n.recv[rt.dst]
	slot := &n.ring[int(rt.dst)*n.buf+int(rc.pos)]
	if rc.pos++; int(rc.pos) == n.buf {
		rc.pos = 0
	}
	enter := t
	if int(rc.recvd) >= n.buf && *slot > enter {
		enter = *slot
		for _, l := range ls {
			n.link[l].free = fmax(n.link[l].free, enter)
		}
	}
	start := fmax(enter, rc.busy)
	rc.busy = start + proc
	*slot = start
	rc.recvd++
	if len(ls) == 0 {
		return t
	}
	return n.link[ls[0]].free
}

// finish is the time the last message has been processed (0 without
// messages and busy receivers).
func (n *noc) finish() float64 {
	m := 0.0
	for i := range n.recv {
		m = max(m, n.recv[i].busy)
	}
	return m
}
