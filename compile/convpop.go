package compile

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Population axons: how a Loihi core stores a conv layer's synapses.
//
// A convolution shares its kernel across positions, and Loihi stores it
// shared (nengo-loihi's conv2d_loihi_weights and
// Synapse.set_population_weights). The model, for the core holding the
// neurons [start, start+count) of a conv layer in its mapping order:
//
//   - Axons. One input axon per (group, input pixel) whose receptive-field
//     neurons include one of the core's: the input channel travels with
//     the spike as its population index (atom), so all the input channels
//     of a group at one pixel share the axon. (With one group: one axon per
//     pixel.)
//
//   - Lists. The axon of pixel P has a compartment base, the smallest
//     local compartment index (0 … count−1) its synapses reach (pop16:
//     rounded down to a multiple of 4, see below), and points
//     to a synapse list: for each population (input channel ci of the
//     group) the synapses (weight W[o, ci, ky, kx], compartment index
//     relative to the base) onto every core neuron o at (oy, ox) whose
//     receptive field holds P (tap ky = P.y + ph − oy·sh, kx likewise), in
//     increasing compartment order; every population of a list has the
//     same synapses. The chip limits the base to < 256, so, as nengo-loihi
//     does, the base is split into the axon offset base mod 256 and the
//     index offset base − base mod 256, which is added to the stored
//     indices: a list is identified by (index offset, its (relative index,
//     weights) sequence).
//
//   - Sharing. Axons whose lists are identical share one stored list; the
//     core's synaptic memory is the sum over its distinct lists of
//     AxonSynapseBits(populations × compartments) in the population format:
//     compression 0, so every synapse also stores its index, of the width
//     the largest stored index (relative index + index offset) of the core
//     needs: ⌈log2(max+1)⌉ rounded up to Loihi's widths 6…12 bits (0 when
//     every stored index is 0; nengo-loihi's Synapse.idx_bits, one synapse
//     format per core and layer).
//
// Identity is exact and generic: nothing is assumed about interior or edge
// pixels. The weights compared are the float kernel (partitioning runs
// before the mapping exists and Check sees the same float weights):
// bit-identical float vectors quantize to identical integer vectors, so
// two lists sharing here share after quantization too (the count may only
// over-estimate the chip's, when distinct floats round to the same
// integers). A column — the weights W[o, 0…icg−1, ky, kx] of one output
// channel and tap over the populations — is interned once per layer; a
// list is then a sequence of (relative index, column) entries, interned
// as a trie so that equal lists get equal ids without hashing.
//
// Lists grow by appending: adding the next neuron of the range appends one
// entry (its compartment, the column of the tap through which it sees the
// pixel) to the list of every pixel in its receptive field, since
// compartments are added in increasing order. popScan keeps the distinct
// lists and their bits under these appends, so a partition can try every
// range length from a start in one sweep. Memory is not monotone in the
// range length (a truncated list that grows into a copy of another stops
// costing), axons and compartments are. But the list of a closed pixel —
// one whose last neuron (mapping order) is in the range — never changes
// again, so the distinct lists of the closed pixels are a lower bound on
// the memory of every longer range (closedBits), which ends a sweep.
//
// The figures here (base limit 256, index widths 6–12, pop16's 32 atoms,
// 4-aligned bases and 1,024 axons, 1 and 2 slots) are Loihi's; they are
// the family's data (targets.PopulationFormats, Capabilities.Populations),
// so a family with other population formats needs no edit here.
//
// Output: a neuron sends one population axon to every core of the next
// conv layer its synapses reach. Two kinds exist (nengo-loihi's
// Synapse.pop_type, Axon.slots_per_axon, hardware/builder.py and
// builder/validate.py):
//
//   - pop32: 2 of the sending core's output-axon slots per axon, any
//     compartment base (< 256);
//   - pop16: 1 slot per axon, but at most 32 populations (more need extra
//     atom bits NxSDK does not implement), every compartment base a
//     multiple of 4 (the map entry stores base/4) and at most 1024 input
//     axons on the receiving core (10 axon index bits).
//
// For pop16 the base of an axon is its smallest reached compartment rounded
// down to a multiple of 4 (popScan.align), so its stored indices start at
// that compartment mod 4 and lists of different residues differ. Partition
// tries both kinds for a conv layer with at most 32 input channels per
// group and keeps the one giving fewer cores for the layer and its source
// layer (which pays the slots). Mapping routes still count fan-out edges
// (Core.OutputRoutes); the limit is checked on edges × slots.

// popFormats are the family's population-axon formats (index widths,
// slots, pop16 limits, base limit: targets.PopulationFormats).
func popFormats(b targets.Backend) *targets.PopulationFormats {
	f := b.Capabilities().Populations
	return &f
}

// popWidth returns the index into f.IndexWidths of the narrowest width
// that holds maxIdx, or -1 if none does.
func popWidth(f *targets.PopulationFormats, maxIdx int32) int {
	if maxIdx <= 0 {
		return 0
	}
	need := bits.Len32(uint32(maxIdx))
	for i := 1; i < len(f.IndexWidths); i++ {
		if f.IndexWidths[i] >= need {
			return i
		}
	}
	return -1
}

// pop16Allowed reports whether conv layer l may be fed by pop16 axons: its
// group's input channels (the populations) are at most Pop16MaxAtoms.
func pop16Allowed(b targets.Backend, l *ir.Layer) bool {
	g := geomOf(l)
	return g.icg <= popFormats(b).Pop16MaxAtoms
}

// popSlots is the output-axon slots of one population axon of the kind.
func popSlots(b targets.Backend, pop16 bool) int {
	if pop16 {
		return popFormats(b).Pop16Slots
	}
	return popFormats(b).Pop32Slots
}

// popColumns interns the weight columns of conv layer l:
// col[(o·KH + ky)·KW + kx] is the same for two (o, ky, kx) exactly when
// their weight vectors over the group's input channels are bit-identical
// (−0 counted as +0).
func popColumns(l *ir.Layer, g *convGeom) []int32 {
	kk := g.kh * g.kw
	col := make([]int32, g.oc*kk)
	ids := map[string]int32{}
	buf := make([]byte, 4*g.icg)
	for o := 0; o < g.oc; o++ {
		for t := 0; t < kk; t++ {
			for ci := 0; ci < g.icg; ci++ {
				w := l.Weights[(o*g.icg+ci)*kk+t]
				if w == 0 {
					w = 0
				}
				binary.LittleEndian.PutUint32(buf[4*ci:], math.Float32bits(w))
			}
			id, ok := ids[string(buf)]
			if !ok {
				id = int32(len(ids))
				ids[string(buf)] = id
			}
			col[o*kk+t] = id
		}
	}
	return col
}

// popKey is a list: its parent list (a node id, or −1 − index offset/BaseLimit
// for the empty list of a base bucket) extended by one entry.
type popKey struct{ parent, rel, col int32 }

// popNode is a distinct list: its entries (compartments) and its largest
// stored index (relative index + index offset).
type popNode struct{ n, maxIdx int32 }

// popScan is the population-axon cost of a growing range of one conv
// layer's neurons on one core (see above).
type popScan struct {
	g          convGeom
	col        []int32
	b          targets.Backend
	weightBits int
	align      int32 // compartment bases are multiples of align (pop16: 4)
	f          *targets.PopulationFormats

	start, count int
	node, base   []int32 // per group·pixel: its list (0: no axon yet) and base
	touched      []int32
	nodes        []popNode // nodes[0] unused
	cnt          []int32   // axons pointing to each list
	closedCnt    []int32   // closed pixels pointing to each list
	closers      [][]int32 // per output position: the pixels whose last neuron is there
	// an order of the layer's own (g.order): the group·pixels whose last
	// neuron (mapping order) is n are closeAt[closePtr[n]:closePtr[n+1]]
	closePtr, closeAt []int32
	child             map[popKey]int32
	// child64 is child with the key packed into 64 bits (parent, then
	// rel and col in the low 32) in a table of popTable's, which finds
	// and clears faster than a Go map; used when rel (< the layer's
	// neurons) and col fit (colBits for col)
	child64   *popTable
	colBits   uint
	axons     int
	maxIdx    int32
	acc       []int64 // Σ bits of the distinct lists, per index width
	closedAcc []int64 // the same over the lists of closed pixels
	lbits     [][]int64
	nodeBits  []int64               // per list, per index width: its bits (listBits), len(acc) a list
	syn       targets.SynapseFormat // the layer's synapse format, delay field included (delayFormat)
}

func newPopScan(l *ir.Layer, b targets.Backend, weightBits int, pop16 bool) *popScan {
	g := geomOf(l)
	n := g.groups * g.ih * g.iw
	f := popFormats(b)
	align := int32(1)
	if pop16 {
		align = f.Pop16Align
	}
	nw := len(f.IndexWidths)
	p := &popScan{g: g, col: popColumns(l, &g), b: b, weightBits: weightBits, align: align, f: f, syn: delayFormat(targets.SynapseFormat{WeightBits: weightBits}, l),
		acc: make([]int64, nw), closedAcc: make([]int64, nw), lbits: make([][]int64, nw),
		node: make([]int32, n), base: make([]int32, n), child: map[popKey]int32{},
		closers: make([][]int32, g.oh*g.ow)}
	// the last output row (column) whose window holds input row iy (column ix)
	last := func(i, o, s, p, k int) int {
		j := min(o-1, (i+p)/s)
		if j < 0 || i+p-j*s >= k {
			return -1
		}
		return j
	}
	nCols := int32(0)
	for _, c := range p.col {
		nCols = max(nCols, c+1)
	}
	p.colBits = uint(bits.Len32(uint32(nCols)))
	if p.colBits+uint(bits.Len(uint(g.oc*g.oh*g.ow))) <= 32 {
		p.child64 = newPopTable()
	}
	for iy := 0; iy < g.ih; iy++ {
		oy := last(iy, g.oh, g.sh, g.ph, g.kh)
		for ix := 0; ix < g.iw && oy >= 0; ix++ {
			if ox := last(ix, g.ow, g.sw, g.pw, g.kw); ox >= 0 {
				p.closers[oy*g.ow+ox] = append(p.closers[oy*g.ow+ox], int32(iy*g.iw+ix))
			}
		}
	}
	if g.order != nil {
		p.closeByOrder()
	}
	return p
}

// closeByOrder lists, for a layer in an order of its own, the group·pixels
// each neuron closes: those whose receptive-field neurons all come at or
// before it in the mapping order.
func (p *popScan) closeByOrder() {
	g := &p.g
	N := g.oc * g.oh * g.ow
	lastN := make([]int32, len(p.node))
	for i := range lastN {
		lastN[i] = -1
	}
	for n := range N {
		c := g.canon(n)
		gi, r := c/(g.ocg*g.oh*g.ow), c%(g.ocg*g.oh*g.ow)
		pos := r / g.ocg
		oy, ox := pos/g.ow, pos%g.ow
		ky0, ky1, kx0, kx1 := g.window(oy, ox)
		for ky := ky0; ky < ky1; ky++ {
			for kx := kx0; kx < kx1; kx++ {
				k := gi*g.ih*g.iw + (oy*g.sh-g.ph+ky)*g.iw + ox*g.sw - g.pw + kx
				lastN[k] = max(lastN[k], int32(n))
			}
		}
	}
	p.closePtr = make([]int32, N+1)
	for _, n := range lastN {
		if n >= 0 {
			p.closePtr[n+1]++
		}
	}
	for n := range N {
		p.closePtr[n+1] += p.closePtr[n]
	}
	p.closeAt = make([]int32, p.closePtr[N])
	fill := slices.Clone(p.closePtr[:N])
	for k, n := range lastN {
		if n >= 0 {
			p.closeAt[fill[n]] = int32(k)
			fill[n]++
		}
	}
}

// reset empties the core and starts its range at neuron start.
func (p *popScan) reset(start int) {
	for _, k := range p.touched {
		p.node[k] = 0
	}
	p.touched = p.touched[:0]
	clear(p.acc)
	p.nodes = append(p.nodes[:0], popNode{})
	p.nodeBits = append(p.nodeBits[:0], p.acc...) // list 0 (unused); acc is zero here
	p.cnt = append(p.cnt[:0], 0)
	p.closedCnt = append(p.closedCnt[:0], 0)
	clear(p.child)
	if p.child64 != nil {
		p.child64.reset()
	}
	p.start, p.count, p.axons, p.maxIdx = start, 0, 0, 0
	clear(p.closedAcc)
}

// listBits is the memory of a list of n compartments at index width w.
func (p *popScan) listBits(n int32, w int) int64 {
	lb := p.lbits[w]
	for int(n) >= len(lb) {
		m := len(lb)
		iw := p.f.IndexWidths[w]
		sf := p.syn
		sf.Sparse, sf.IndexBits = iw > 0, iw
		lb = append(lb, p.b.AxonSynapseBits(m*p.g.icg, sf))
	}
	p.lbits[w] = lb
	return lb[n]
}

func (p *popScan) keep(id int32) {
	p.cnt[id]++
	if p.cnt[id] == 1 {
		nb := p.nodeBits[int(id)*len(p.acc):]
		for w := range p.acc {
			p.acc[w] += nb[w]
		}
	}
}

func (p *popScan) drop(id int32) {
	p.cnt[id]--
	if p.cnt[id] == 0 {
		nb := p.nodeBits[int(id)*len(p.acc):]
		for w := range p.acc {
			p.acc[w] -= nb[w]
		}
	}
}

// add puts the next neuron of the layer (mapping order) on the core.
func (p *popScan) add() { p.addNeuron(p.start+p.count, true) }

// addNeuron puts neuron n (mapping index) on the core at the next
// compartment. Pixels are closed (see closedBits) only when close is set
// and the neurons come in mapping order from start; any other order of
// any set of neurons gives exact axons and bits.
func (p *popScan) addNeuron(n int, close bool) {
	g := &p.g
	mapped := n
	n = g.canon(n)
	local := int32(p.count)
	p.count++
	block := g.ocg * g.oh * g.ow
	gi, r := n/block, n%block
	pos, cp := r/g.ocg, r%g.ocg
	oy, ox := pos/g.ow, pos%g.ow
	cols := p.col[(gi*g.ocg+cp)*g.kh*g.kw:]
	pix := gi * g.ih * g.iw
	ky0, ky1, kx0, kx1 := g.window(oy, ox)
	for ky := ky0; ky < ky1; ky++ {
		iy := oy*g.sh - g.ph + ky
		for kx := kx0; kx < kx1; kx++ {
			ix := ox*g.sw - g.pw + kx
			k := pix + iy*g.iw + ix
			key := popKey{col: cols[ky*g.kw+kx]}
			var off int32 // the list's index offset
			if nd := p.node[k]; nd == 0 {
				p.axons++
				b := local - local%p.align
				p.base[k] = b
				p.touched = append(p.touched, int32(k))
				off = b - b%p.f.BaseLimit
				key.parent, key.rel = -1-off/p.f.BaseLimit, local-b
			} else {
				p.drop(nd)
				b := p.base[k]
				off = b - b%p.f.BaseLimit
				key.parent, key.rel = nd, local-b
			}
			id, ok := p.childOf(key)
			if !ok {
				var n0 int32
				if key.parent > 0 {
					n0 = p.nodes[key.parent].n
				}
				id = int32(len(p.nodes))
				p.nodes = append(p.nodes, popNode{n: n0 + 1, maxIdx: key.rel + off})
				for w := range p.acc {
					p.nodeBits = append(p.nodeBits, p.listBits(n0+1, w))
				}
				p.cnt = append(p.cnt, 0)
				p.closedCnt = append(p.closedCnt, 0)
				p.setChild(key, id)
			}
			p.keep(id)
			p.maxIdx = max(p.maxIdx, p.nodes[id].maxIdx)
			p.node[k] = id
		}
	}
	switch {
	case close && p.closePtr != nil:
		for _, k := range p.closeAt[p.closePtr[mapped]:p.closePtr[mapped+1]] {
			p.closePixel(int(k))
		}
	case close && cp == g.ocg-1: // the last neuron of its position: close pixels
		for _, q := range p.closers[pos] {
			p.closePixel(pix + int(q))
		}
	}
}

// childOf returns the list that key (a list extended by one entry) is,
// if it is on the core yet.
func (p *popScan) childOf(key popKey) (int32, bool) {
	if p.child64 != nil {
		return p.child64.get(p.pack(key))
	}
	id, ok := p.child[key]
	return id, ok
}

func (p *popScan) setChild(key popKey, id int32) {
	if p.child64 != nil {
		p.child64.set(p.pack(key), id)
		return
	}
	p.child[key] = id
}

// pack is key in 64 bits: the parent (its 32 bits), then rel and col.
func (p *popScan) pack(key popKey) uint64 {
	return uint64(uint32(key.parent))<<32 | uint64(uint32(key.rel))<<p.colBits | uint64(uint32(key.col))
}

// closePixel counts the list of group·pixel k, whose last neuron is on
// the core, among the closed lists.
func (p *popScan) closePixel(k int) {
	id := p.node[k]
	p.closedCnt[id]++
	if p.closedCnt[id] == 1 {
		nb := p.nodeBits[int(id)*len(p.acc):]
		for w := range p.closedAcc {
			p.closedAcc[w] += nb[w]
		}
	}
}

// bits is the core's synaptic memory (math.MaxInt64 if an index is wider
// than Loihi's widest).
func (p *popScan) bits() int64 {
	w := popWidth(p.f, p.maxIdx)
	if w < 0 {
		return math.MaxInt64
	}
	return p.acc[w]
}

// closedBits is a lower bound on bits() after any further adds: the lists
// of the closed pixels at the current index width (math.MaxInt64 if it is
// wider than Loihi's widest already).
func (p *popScan) closedBits() int64 {
	w := popWidth(p.f, p.maxIdx)
	if w < 0 {
		return math.MaxInt64
	}
	return p.closedAcc[w]
}

// popLowerBound returns, for conv layer l with on-chip input on Loihi, the
// input axons and synapse bits any partition needs in total: every
// (group, pixel) that reaches a neuron needs an axon on some core, and
// every distinct column the layer uses (an output channel's weights at a
// tap some output position sees, over the group's input channels, see
// popColumns) is stored at least once, icg synapses, at the narrowest
// format (no index bits) and with the fewest block headers
// (MinAxonSynapseBits of their total).
func popLowerBound(l *ir.Layer, b targets.Backend, weightBits int) (axons, bits int64) {
	g := geomOf(l)
	for _, n := range g.layerFan() {
		if n > 0 {
			axons++
		}
	}
	axons *= int64(g.groups)
	rowUsed := make([]bool, g.kh)
	for oy := 0; oy < g.oh; oy++ {
		for ky := range rowUsed {
			if iy := oy*g.sh - g.ph + ky; iy >= 0 && iy < g.ih {
				rowUsed[ky] = true
			}
		}
	}
	colUsed := make([]bool, g.kw)
	for ox := 0; ox < g.ow; ox++ {
		for kx := range colUsed {
			if ix := ox*g.sw - g.pw + kx; ix >= 0 && ix < g.iw {
				colUsed[kx] = true
			}
		}
	}
	col := popColumns(l, &g)
	seen := map[int32]bool{}
	for o := 0; o < g.oc; o++ {
		for ky := 0; ky < g.kh; ky++ {
			for kx := 0; kx < g.kw; kx++ {
				if rowUsed[ky] && colUsed[kx] {
					seen[col[(o*g.kh+ky)*g.kw+kx]] = true
				}
			}
		}
	}
	bits = b.MinAxonSynapseBits(len(seen)*g.icg, delayFormat(targets.SynapseFormat{WeightBits: weightBits}, l))
	return axons, bits
}

// popNeuronNeed is what the neediest single neuron of conv layer l takes
// on a Loihi core of its own: one axon per input pixel of its receptive
// field and one list per distinct column among its taps (one compartment
// at index 0, so no index bits). It is what popScan gives for a range of
// one neuron, maximised over the neurons (for checkLimits).
func popNeuronNeed(l *ir.Layer, b targets.Backend, weightBits int) (axons, bits int64) {
	g := geomOf(l)
	type span struct{ lo, hi int }
	spans := func(o, s, p, k, in int) []span {
		var out []span
		for y := 0; y < o; y++ {
			sp := span{max(0, p-y*s), min(k-1, in-1+p-y*s)}
			if sp.lo <= sp.hi && !slices.Contains(out, sp) {
				out = append(out, sp)
			}
		}
		return out
	}
	rows := spans(g.oh, g.sh, g.ph, g.kh, g.ih)
	cols := spans(g.ow, g.sw, g.pw, g.kw, g.iw)
	col := popColumns(l, &g)
	stamp := make([]int, len(col))
	mark := 0
	most := 0
	for _, r := range rows {
		for _, c := range cols {
			axons = max(axons, int64((r.hi-r.lo+1)*(c.hi-c.lo+1)))
			for o := 0; o < g.oc; o++ {
				mark++
				n := 0
				for ky := r.lo; ky <= r.hi; ky++ {
					for kx := c.lo; kx <= c.hi; kx++ {
						if id := col[(o*g.kh+ky)*g.kw+kx]; stamp[id] != mark {
							stamp[id] = mark
							n++
						}
					}
				}
				most = max(most, n)
			}
		}
	}
	return axons, int64(most) * b.AxonSynapseBits(g.icg, delayFormat(targets.SynapseFormat{WeightBits: weightBits}, l))
}

// popTable maps 64-bit keys to list ids (popScan.child64): open
// addressing with linear probing in a power-of-two table, each slot
// stamped with the generation it was written in, so that reset (once per
// swept start) is O(1) instead of a clear of the whole table.
type popTable struct {
	keys  []uint64
	vals  []int32
	gens  []uint32 // a slot is used if its stamp is gen
	gen   uint32
	n     int  // used slots
	shift uint // 64 − log2(len(keys))
}

func newPopTable() *popTable {
	t := &popTable{gen: 1}
	t.alloc(64)
	return t
}

func (t *popTable) alloc(size int) {
	t.keys, t.vals, t.gens = make([]uint64, size), make([]int32, size), make([]uint32, size)
	t.shift = uint(64 - bits.Len(uint(size-1)))
}

// slot is where key is, or the free slot where it goes.
func (t *popTable) slot(key uint64) int {
	mask := len(t.keys) - 1
	i := int((key * 0x9e3779b97f4a7c15) >> t.shift)
	for t.gens[i] == t.gen && t.keys[i] != key {
		i = (i + 1) & mask
	}
	return i
}

func (t *popTable) get(key uint64) (int32, bool) {
	i := t.slot(key)
	if t.gens[i] != t.gen {
		return 0, false
	}
	return t.vals[i], true
}

// set adds key (not in the table) with value id.
func (t *popTable) set(key uint64, id int32) {
	if 2*(t.n+1) > len(t.keys) { // at most half full
		keys, vals, gens, gen := t.keys, t.vals, t.gens, t.gen
		t.alloc(2 * len(keys))
		t.gen = 1
		for i, g := range gens {
			if g == gen {
				j := t.slot(keys[i])
				t.keys[j], t.vals[j], t.gens[j] = keys[i], vals[i], t.gen
			}
		}
	}
	i := t.slot(key)
	t.keys[i], t.vals[i], t.gens[i] = key, id, t.gen
	t.n++
}

// reset empties the table.
func (t *popTable) reset() {
	t.n = 0
	t.gen++
	if t.gen == 0 { // wrapped: no stamp may look current
		clear(t.gens)
		t.gen = 1
	}
}
