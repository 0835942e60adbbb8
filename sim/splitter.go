package sim

import "github.com/snnc/snnc/targets"

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
		L.biasAxon != nil || L.rT != nil || L.readout || len(sp.dst) != L.out || len(L.spw) != L.out {
		return nil
	}
	for k, j := range sp.dst { // one synapse per neuron, neurons in input order
		if int(j) != k {
			return nil
		}
	}
	for _, b := range L.bias {
		if b != 0 {
			return nil
		}
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
	for k := 1; k < len(in); k++ {
		if in[k] <= in[k-1] {
			return -1
		}
	}
	coreIn, coreSyn := w.coreIn, w.coreSyn
	for _, ci := range L.cores {
		coreIn[ci], coreSyn[ci] = 0, 0
	}
	lay, ptr := L.spans, L.sp.ptr
	n := 0
	for _, i := range in {
		q0, q1 := i, i+1
		if !lay.one {
			q0, q1 = lay.ptr[i], lay.ptr[i+1]
		}
		for _, g := range lay.seg[q0:q1] {
			coreIn[g.core]++
			coreSyn[g.core] += int64(g.syn)
		}
		for j := ptr[i]; j < ptr[i+1]; j++ {
			spk[n] = j
			n++
		}
	}
	if lay.allIn {
		for _, ci := range L.cores {
			coreIn[ci] = int64(len(in))
		}
	}
	return n
}
