package sim

import (
	"math"

	"github.com/snnc/snnc/targets"
)

// Splitter layers simulated as copies of their sources' spikes.
//
// A TrueNorth splitter (compile's "<layer>.split") gives each source neuron
// one copy per target core: a neuron with one synapse from its source whose
// weight reaches the threshold, no bias, no leak, reset to zero. Such a
// copy spikes exactly at the steps its source's spike arrives and its state
// stays zero, so the layer's spikes are the copies of the spiking inputs
// and updating each copy neuron (and adding its one weight) is work that
// decides nothing. splitterCopy proves that per layer from the compiled
// data at load time, through the family kernel's own reference step (so no
// family is named here); copyInput then writes the spikes directly. The
// counts stay those of the kernel path: synaptic ops and received spikes
// per core from the layer's segments, active and idle neuron updates as
// the kernel reports them for a core of zero-state neurons with and
// without input (measured on the kernel at load time).

// splitCopy is a layer whose neuron k copies input i's spikes exactly, for
// k in [ptr[i], ptr[i+1]) of its sparseRows (each neuron has one synapse,
// neurons in input order).
type splitCopy struct {
	// activeIn and activeIdle are per local core the active neuron
	// updates the kernel reports for the core's zero-state neurons with
	// input (had) and without.
	activeIn, activeIdle []int
}

// splitterCopy returns the copy form of chip layer li, or nil when the
// compiled data does not prove that every neuron of the layer copies its
// one input exactly.
func (p *chipProgram) splitterCopy(li int) *splitCopy {
	L := &p.layers[li]
	sp := L.sp
	if sp == nil || li == 0 || L.direct || L.spans == nil || L.graded || L.gradedIn || L.gk != nil ||
		L.biasAxon != nil || L.rT != nil || L.readout || len(L.spw) != L.out || !copyRows(sp, L.bias, L.out) {
		return nil
	}
	// the reference step: from zero state, the input's weight spikes and
	// returns to zero state, no input stays at zero without a spike
	if u, v := int32(0), int32(0); L.kernel.Reference(&u, &v, 0, 0) || u != 0 || v != 0 {
		return nil
	}
	checked := map[int16]bool{}
	for _, wt := range L.spw {
		if checked[wt] {
			continue
		}
		if u, v := int32(0), int32(0); !L.kernel.Reference(&u, &v, int64(wt), 0) || u != 0 || v != 0 {
			return nil
		}
		checked[wt] = true
	}
	// the cores cover the neurons in order
	end := 0
	for _, ci := range L.cores {
		c := &p.cores[ci]
		if c.start != end {
			return nil
		}
		end = c.end
	}
	if end != L.out {
		return nil
	}
	// the kernel's active counts for a core of zero-state neurons, with
	// input (all copies spiking, or none of them) and without
	sc := &splitCopy{activeIn: make([]int, len(L.cores)), activeIdle: make([]int, len(L.cores))}
	var paths targets.KernelPaths
	for bi, ci := range L.cores {
		c := &p.cores[ci]
		n := c.end - c.start
		u, v, acc, b32, spk := make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
		bias := make([]int64, n)
		quiet, none := L.kernel.Step(u, v, acc, bias, b32, true, spk, 0, 0, n, &paths)
		for j := range acc {
			acc[j] = int32(L.spw[c.start+j])
		}
		fired, all := L.kernel.Step(u, v, acc, bias, b32, true, spk, 0, 0, n, &paths)
		late, idle := L.kernel.Step(u, v, acc, bias, b32, false, spk, 0, 0, n, &paths)
		if quiet != 0 || late != 0 || none != all || fired != n || countNonZero(u) > 0 || countNonZero(v) > 0 {
			return nil
		}
		sc.activeIn[bi], sc.activeIdle[bi] = all, idle
	}
	return sc
}

// copyRows reports whether the synapses sp of a layer of out neurons with
// the biases bias give each neuron one synapse, neurons in the order of
// their inputs, and no bias.
func copyRows[T int64 | float32](sp *sparseRows, bias []T, out int) bool {
	if len(sp.dst) != out || len(bias) != out {
		return false
	}
	for k, j := range sp.dst {
		if int(j) != k {
			return false
		}
	}
	for _, b := range bias {
		if b != 0 {
			return false
		}
	}
	return true
}

func countNonZero(x []int32) int {
	c := 0
	for _, a := range x {
		if a != 0 {
			c++
		}
	}
	return c
}

// copyInput writes the spikes of copy layer L for the input spikes in
// (increasing) to spk and counts the spikes and synapses reaching each
// core; it returns the number of spikes, or −1 when in is not increasing
// (the caller then runs the layer's synapses and kernel).
func (w *chipWorker) copyInput(L *chipLayer, in, spk []int32) int {
	n := writeCopies(L.sp.ptr, in, spk)
	if n < 0 {
		return -1
	}
	coreIn, coreSyn := w.coreIn, w.coreSyn
	for _, ci := range L.cores {
		coreIn[ci], coreSyn[ci] = 0, 0
	}
	lay := L.spans
	for _, i := range in {
		q0, q1 := i, i+1
		if !lay.one {
			q0, q1 = lay.ptr[i], lay.ptr[i+1]
		}
		for _, g := range lay.seg[q0:q1] {
			coreIn[g.core]++
			coreSyn[g.core] += int64(g.syn)
		}
	}
	if lay.allIn {
		for _, ci := range L.cores {
			coreIn[ci] = int64(len(in))
		}
	}
	return n
}

// writeCopies writes to spk the neurons [ptr[i], ptr[i+1]) of each input
// i in in, the copies of its spike, and returns their number n (it may
// write anything to spk past n); −1, having written nothing, when in is
// not strictly increasing (the copies would then not be in order, or an
// input would reach its copies twice).
func writeCopies(ptr, in, spk []int32) int {
	for k := 1; k < len(in); k++ {
		if in[k] <= in[k-1] {
			return -1
		}
	}
	n := 0
	for _, i := range in {
		j0, j1 := ptr[i], ptr[i+1]
		if c := int(j1 - j0); c <= 8 && n+8 <= len(spk) {
			// up to 8 copies (most sources): 8 stores without a loop
			// whose trip count changes from source to source, the ones
			// past the copies overwritten by the next source or unread
			s := spk[n : n+8 : n+8]
			s[0], s[1], s[2], s[3] = j0, j0+1, j0+2, j0+3
			s[4], s[5], s[6], s[7] = j0+4, j0+5, j0+6, j0+7
			n += c
			continue
		}
		for j := j0; j < j1; j++ {
			spk[n] = j
			n++
		}
	}
	return n
}

// The float reference of a splitter.
//
// The float model of a compiled TrueNorth net keeps the splitter as a
// sparse layer of float LIF neurons (weight ≥ ϑ, no bias): the float
// reference too would update all of its copies at every step and add each
// one weight. floatCopyOf proves from the float layer, through lifUpdate
// itself, that each copy neuron moves between two states only, rest
// (u = 0, no spike) and fired (u = u₁, spiked), driven by its one input:
// its input's weight from either state spikes and leads to fired, no
// input from either state leads to rest (zero of either sign), and u₁ ≠ 0.
// Then the layer's state is its previous step's spikes, and runSample
// writes the copies' spikes directly (writeCopies), leaving u and fired at
// zero, with the counts of the neuron loop: every neuron active at a step
// with input, else those at fired (u₁ ≠ 0, no current).

// floatCopy is a float layer whose neuron k copies input i's spikes, for
// k in [ptr[i], ptr[i+1]) of its sparseRows.
type floatCopy struct {
	// u1[k] and fired1 are neuron k's state after a spike (u₁ depends on
	// the weight).
	u1     []float32
	fired1 float32
}

// floatCopyOf returns the copy form of float layer L, or nil when its data
// does not prove that every neuron copies its one input exactly.
func floatCopyOf(L *netLayer) *floatCopy {
	sp := L.sp
	if sp == nil || !L.spiking || L.readout || L.decay != 0 || L.rfw != nil || L.ck != nil || !copyRows(sp, L.fb, L.out) {
		return nil
	}
	// nine neurons: a group of eight through lifAVX2 (on AVX2 machines)
	// and one through the portable loop
	const n = 9
	u, fired, c := make([]float32, n), make([]float32, n), make([]float32, n)
	spk := make([]int32, n)
	step := func(x float32) int {
		for j := range c {
			c[j] = x
		}
		k, _ := lifUpdate(L, u, fired, c, spk, x != 0)
		return k
	}
	same := func(a []float32, x float32) bool {
		for _, v := range a {
			if v != x || (x != 0 && math.Float32bits(v) != math.Float32bits(x)) {
				return false
			}
		}
		return true
	}
	fc := &floatCopy{u1: make([]float32, L.out)}
	checked := map[uint32]float32{} // weight bits → u₁
	for k, wt := range sp.fw {
		if u1, ok := checked[math.Float32bits(wt)]; ok {
			fc.u1[k] = u1
			continue
		}
		clear(u)
		clear(fired)
		if step(0) != 0 || !same(u, 0) || !same(fired, 0) { // rest, no input
			return nil
		}
		if step(wt) != n { // rest, input: fired
			return nil
		}
		u1, f1 := u[0], fired[0]
		if u1 == 0 || !same(u, u1) || !same(fired, f1) || (k > 0 && math.Float32bits(f1) != math.Float32bits(fc.fired1)) {
			return nil
		}
		fc.u1[k], fc.fired1 = u1, f1
		checked[math.Float32bits(wt)] = u1
		if step(wt) != n || !same(u, u1) || !same(fired, f1) { // fired, input: fired
			return nil
		}
		if step(0) != 0 || !same(u, 0) || !same(fired, 0) { // fired, no input: rest
			return nil
		}
	}
	return fc
}

// restore writes the state of a copy layer whose previous step's spikes
// are prev to u and fired (which hold zeros), for the neuron loop.
func (fc *floatCopy) restore(u, fired []float32, prev []int32) {
	for _, j := range prev {
		u[j], fired[j] = fc.u1[j], fc.fired1
	}
}
