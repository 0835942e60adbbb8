package sim

// Synaptic delays (ir.Layer.Delay): the input of a layer with delay d at
// model step t is the previous layer's spikes of step t − d, nothing before
// step 0. On the chip the synapse delivers d steps after its usual one-step
// buffer (targets.Loihi2ArrivalStep): the pipeline's layer l at chip step k
// reads the spikes layer l−1 emitted at chip step k − 1 − d. A spikeRing
// keeps the last d+1 spike lists of the sending layer, each slot allocated
// once with the sender's size, so a step allocates nothing.

// spikeRing is the delay line of one layer's input.
type spikeRing struct {
	slots [][]int32
}

// newSpikeRing is the delay line of delay d from a layer of n neurons (nil
// for d = 0: no delay line).
func newSpikeRing(d, n int) *spikeRing {
	if d == 0 {
		return nil
	}
	r := &spikeRing{slots: make([][]int32, d+1)}
	for i := range r.slots {
		r.slots[i] = make([]int32, 0, n)
	}
	return r
}

// reset empties every slot (a new sample).
func (r *spikeRing) reset() {
	for i := range r.slots {
		r.slots[i] = r.slots[i][:0]
	}
}

// shift stores the spikes sent at step s and returns those sent at step
// s − d (empty before the first d steps after reset).
func (r *spikeRing) shift(s int, sent []int32) []int32 {
	n := len(r.slots)
	r.slots[s%n] = append(r.slots[s%n][:0], sent...)
	return r.slots[(s+1)%n] // (s − d) mod (d + 1)
}

// countRing is the delay line of a multi-spike layer's spike counts (the
// values of its spike list; ir.ResetSubtractMulti): slot s holds the
// counts of step s, each allocated once.
type countRing struct {
	slots [][]float32
}

// newCountRing is the count delay line of delay d from a layer of n
// neurons (nil for d = 0).
func newCountRing(d, n int) *countRing {
	if d == 0 {
		return nil
	}
	r := &countRing{slots: make([][]float32, d+1)}
	for i := range r.slots {
		r.slots[i] = make([]float32, n)
	}
	return r
}

// reset zeroes every slot (a new sample).
func (r *countRing) reset() {
	for _, s := range r.slots {
		clear(s)
	}
}

// shift stores the counts of step s and returns those of step s − d.
func (r *countRing) shift(s int, counts []float32) []float32 {
	n := len(r.slots)
	copy(r.slots[s%n], counts)
	return r.slots[(s+1)%n]
}

// valueRing is the delay line of a layer's input values in TraceFloat:
// slot s holds the input of step s, each allocated once.
type valueRing struct {
	slots [][]float32
	zero  []float32
}

// newValueRing is the delay line of delay d over inputs of n values (nil
// for d = 0).
func newValueRing(d, n int) *valueRing {
	if d == 0 {
		return nil
	}
	r := &valueRing{slots: make([][]float32, d+1), zero: make([]float32, n)}
	for i := range r.slots {
		r.slots[i] = make([]float32, n)
	}
	return r
}

// shift stores the input of step s and returns that of step s − d (zeros
// before step d).
func (r *valueRing) shift(s int, in []float32) []float32 {
	n := len(r.slots)
	copy(r.slots[s%n], in)
	if d := n - 1; s < d {
		return r.zero
	}
	return r.slots[(s+1)%n]
}
