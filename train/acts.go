package train

// Acts holds one activation tensor for a batch: for each sample b and step
// t < Steps, N values at Val[(b·Steps+t)·N:]. Steps is 1 for a tensor that
// is constant over the T time steps (a static input and the currents
// computed from it), and T otherwise.
//
// When Sparse is set, Idx[(b·Steps+t)·N:][:Cnt[b·Steps+t]] lists, in
// increasing order, the indices whose value is not zero; the other values
// are zero.
type Acts struct {
	N, Steps, Batch int
	Val             []float32
	Sparse          bool
	Idx             []int32
	Cnt             []int32
	// Spike patterns (LIF outputs with Steps ≤ 8): for sample b and input
	// i, bit t of Ones[b·N+i] is set where the value at step t is exactly 1
	// and bit t of Analog[b·N+i] where it is neither 0 nor 1. Dense layers
	// use them to add a weight row once per distinct pattern instead of
	// once per step.
	Ones, Analog []uint8
	// Sum, if not nil, holds Σ_t of each value per sample (Batch×N); the
	// LIF backward pass fills it for the error currents.
	Sum []float32
}

// maxPatternSteps is the largest T for which spike patterns are kept.
const maxPatternSteps = 8

func newActs(batch, steps, n int, sparse bool) *Acts {
	a := &Acts{N: n, Steps: steps, Batch: batch, Val: make([]float32, batch*steps*n), Sparse: sparse}
	if sparse {
		a.Idx = make([]int32, batch*steps*n)
		a.Cnt = make([]int32, batch*steps)
	}
	return a
}

// Row returns the N values of sample b at step t (t is taken modulo a
// constant tensor: a tensor with Steps = 1 returns its only step).
func (a *Acts) Row(b, t int) []float32 {
	if a.Steps == 1 {
		t = 0
	}
	o := (b*a.Steps + t) * a.N
	return a.Val[o : o+a.N]
}

// Active returns the indices of the non-zero values of sample b at step t.
func (a *Acts) Active(b, t int) []int32 {
	if a.Steps == 1 {
		t = 0
	}
	k := b*a.Steps + t
	o := k * a.N
	return a.Idx[o : o+int(a.Cnt[k])]
}

// index rebuilds the sparse lists of samples [lo, hi) from Val.
func (a *Acts) index(lo, hi int) {
	for k := lo * a.Steps; k < hi*a.Steps; k++ {
		row := a.Val[k*a.N : (k+1)*a.N]
		idx := a.Idx[k*a.N : (k+1)*a.N]
		c := 0
		for i, v := range row {
			if v != 0 {
				idx[c] = int32(i)
				c++
			}
		}
		a.Cnt[k] = int32(c)
	}
}
