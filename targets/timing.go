package targets

import (
	"fmt"
	"sort"
)

// Soma accounting modes (Timing.SomaAccounting).
const (
	// SomaEveryNeuron: the chip reads every mapped neuron's soma every
	// step (Loihi's compartments are swept in order whether or not they
	// have input); an update is charged on top wherever the neuron's
	// potential, bias or input is non-zero.
	SomaEveryNeuron = "every-neuron"
	// SomaActiveOnly: only neurons with input or non-zero state are read
	// and updated.
	SomaActiveOnly = "active-only"
)

// Network rules of the contention timing (Timing.Network): how messages
// that share the mesh delay one another.
const (
	// NetworkQueues: every link is a queue served one message per
	// LinkMessage, with a LinkBuffer-deep buffer at its receiving end; a
	// message that finds the buffer full holds the link (sim/noc.go).
	NetworkQueues = "queues"
	// NetworkSANAFE: SANA-FE's detailed heuristic (src/schedule.cpp): the
	// messages in flight on a message's route delay its arrival by their
	// mean processing time, and its sender stalls when they exceed the
	// route's buffers (sim/timing_sanafe.go).
	NetworkSANAFE = "sanafe-detailed"
)

// Timing is a target's calibrated per-step timing model: the per-operation
// latencies of a core's pipeline, the cost of a spike message at both ends,
// how a core's neurons are accounted, the end-of-step synchronisation by
// tiles used, and the network-on-chip links (bandwidth and buffer depth)
// that the contention model queues messages on. The zero value means the
// target has no such data; the simulator then offers the simple timing only.
//
// A spike leaves its core as one axon-out message per destination core
// (MessageOut), crosses the mesh tile by tile (HopEW, HopNS; LinkMessage is
// how long one message occupies a link, LinkBuffer how many messages a
// link's input buffer holds), and is received (MessageIn) and processed
// synapse by synapse (SynapticOp) at its destination.
type Timing struct {
	// SynapticOp is the latency of one synaptic event at the receiver (s).
	SynapticOp float64 `json:"synaptic_op"`
	// MessageIn is the receiver's latency per incoming message (s).
	MessageIn float64 `json:"message_in"`
	// MessageOut is the sender's latency per axon-out message (s).
	MessageOut float64 `json:"message_out"`
	// SomaAccess is the latency of reading one neuron's soma (s); SomaUpdate
	// is added where the neuron is updated; SpikeOut where it spikes.
	SomaAccess float64 `json:"soma_access"`
	SomaUpdate float64 `json:"soma_update"`
	SpikeOut   float64 `json:"spike_out"`
	// SomaAccounting is SomaEveryNeuron or SomaActiveOnly.
	SomaAccounting string `json:"soma_accounting"`
	// PhasesOverlap: a core processes incoming messages (synaptic phase)
	// while it updates its neurons (a core's time is the larger of the
	// two); false: the phases add.
	PhasesOverlap bool `json:"phases_overlap"`
	// HopEW and HopNS are the latencies of one tile-to-tile hop (s); Local
	// is the latency of a delivery within a tile.
	HopEW float64 `json:"hop_ew"`
	HopNS float64 `json:"hop_ns"`
	Local float64 `json:"local"`
	// LinkMessage is the time one message occupies a link (the inverse of
	// its bandwidth in messages per second).
	LinkMessage float64 `json:"link_message"`
	// LinkBuffer is the depth, in messages, of a link's input buffer; a
	// message that finds its destination's buffer full waits in the link
	// and holds it (the sender stalls behind it).
	LinkBuffer int `json:"link_buffer"`
	// Network is the rule the contention timing applies on the mesh:
	// NetworkQueues ("" means it) or NetworkSANAFE.
	Network string `json:"network"`
	// Sync is the end-of-step synchronisation by tiles used, as measured
	// points sorted by Tiles; between points it is interpolated linearly,
	// beyond the last the last point holds.
	Sync []SyncPoint `json:"sync"`
	// Sources are the keys (Target.Sources) the figures come from; Note
	// says how they were obtained.
	Sources []string `json:"sources"`
	Note    string   `json:"note"`
}

// SyncPoint is the end-of-step synchronisation time for a number of tiles.
type SyncPoint struct {
	Tiles   int     `json:"tiles"`
	Seconds float64 `json:"seconds"`
}

// HasContention reports whether the target has the data the contention
// timing model needs (link bandwidth, buffer depth, message and synapse
// latencies).
func (t *Timing) HasContention() bool {
	return t != nil && t.LinkMessage > 0 && t.LinkBuffer > 0 && t.SynapticOp > 0 && len(t.Sync) > 0
}

// SyncSeconds is the end-of-step synchronisation time for a mapping that
// uses tiles tiles: linear between the measured points, the first point's
// figure below it and the last point's above it (0 without points).
//
//	sync(n) = s_i + (n − n_i)·(s_{i+1} − s_i)/(n_{i+1} − n_i)   for n_i ≤ n ≤ n_{i+1}
func (t *Timing) SyncSeconds(tiles int) float64 {
	p := t.Sync
	switch {
	case len(p) == 0:
		return 0
	case tiles <= p[0].Tiles:
		return p[0].Seconds
	case tiles >= p[len(p)-1].Tiles:
		return p[len(p)-1].Seconds
	}
	i := sort.Search(len(p), func(i int) bool { return p[i].Tiles >= tiles })
	a, b := p[i-1], p[i]
	return a.Seconds + float64(tiles-a.Tiles)*(b.Seconds-a.Seconds)/float64(b.Tiles-a.Tiles)
}

// check returns the first field of the timing data that is out of range
// and the problem ("" if none).
func (t *Timing) check() (field, problem string) {
	switch t.SomaAccounting {
	case SomaEveryNeuron, SomaActiveOnly, "":
	default:
		return "soma_accounting", fmt.Sprintf("%q (valid: %s, %s)", t.SomaAccounting, SomaEveryNeuron, SomaActiveOnly)
	}
	switch t.Network {
	case NetworkQueues, NetworkSANAFE, "":
	default:
		return "network", fmt.Sprintf("%q (valid: %s, %s)", t.Network, NetworkQueues, NetworkSANAFE)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"synaptic_op", t.SynapticOp}, {"message_in", t.MessageIn}, {"message_out", t.MessageOut},
		{"soma_access", t.SomaAccess}, {"soma_update", t.SomaUpdate}, {"spike_out", t.SpikeOut},
		{"hop_ew", t.HopEW}, {"hop_ns", t.HopNS}, {"local", t.Local}, {"link_message", t.LinkMessage}} {
		if !(f.v >= 0 && f.v < 1) {
			return f.name, fmt.Sprintf("%g s: want a latency in [0, 1) s", f.v)
		}
	}
	if t.LinkBuffer < 0 || t.LinkBuffer > 1<<16 {
		return "link_buffer", fmt.Sprintf("%d messages: want 0 to 65536", t.LinkBuffer)
	}
	for i, p := range t.Sync {
		if p.Tiles < 1 || !(p.Seconds >= 0 && p.Seconds < 1) || (i > 0 && p.Tiles <= t.Sync[i-1].Tiles) {
			return fmt.Sprintf("sync[%d]", i), "tiles must be ≥ 1 and increasing, seconds in [0, 1)"
		}
	}
	return "", ""
}
