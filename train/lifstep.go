package train

import (
	"math"
	"math/bits"
)

// lifStep is the vector part of one training step of N LIF neurons:
//
//	u = c                          (first step)
//	u = γ·up·(1 − sp) + c          (later steps; no fused multiply-add, as the Go loops)
//	x = u − ϑ,  sv = Θ(x),  bit i of spk = Θ(x_i),  bit i of win = |x_i| < α/2
//
// with halfBits the float32 bits of α/2 (compared as integers, a NaN is
// outside every window). spk and win hold ⌈N/8⌉ bytes, neuron i at bit
// i mod 8 of byte i/8. up and sp are nil on the first step.
func lifStep(u, up, sp, c []float32, gamma, theta float32, halfBits uint32, sv []float32, spk, win []uint8) {
	n := len(u)
	c, sv = c[:n], sv[:n]
	spk, win = spk[:(n+7)/8], win[:(n+7)/8]
	first := up == nil
	if !first {
		up, sp = up[:n], sp[:n]
	}
	n8 := 0
	if useAVX2 {
		n8 = n &^ 7
		if n8 > 0 {
			f := 0
			var pu, ps *float32
			if first {
				f, pu, ps = 1, &c[0], &c[0]
			} else {
				pu, ps = &up[0], &sp[0]
			}
			lifStepAVX2(&u[0], pu, ps, &c[0], n8, gamma, theta, halfBits, f, &sv[0], &spk[0], &win[0])
		}
	}
	lifStepGeneric(u, up, sp, c, gamma, theta, halfBits, sv, spk, win, n8)
}

// lifStepGeneric is lifStep's portable loop for the neurons from n8 (a
// multiple of 8) on.
func lifStepGeneric(u, up, sp, c []float32, gamma, theta float32, halfBits uint32, sv []float32, spk, win []uint8, n8 int) {
	first := up == nil
	clear(spk[n8/8 : (len(u)+7)/8])
	clear(win[n8/8 : (len(u)+7)/8])
	for i := n8; i < len(u); i++ {
		if first {
			u[i] = c[i]
		} else {
			u[i] = gamma*up[i]*(1-sp[i]) + c[i]
		}
		xb := math.Float32bits(u[i] - theta)
		bit := xb>>31 ^ 1
		sv[i] = float32(bit)
		spk[i/8] |= uint8(bit) << (i % 8)
		win[i/8] |= uint8((xb&0x7fffffff-halfBits)>>31) << (i % 8)
	}
}

// listBits writes the indices of the set bits of m (neuron i at bit i mod 8
// of byte i/8) in increasing order into idx and returns their number.
func listBits(m []uint8, idx []int32) int {
	c := 0
	for j, v := range m {
		for ; v != 0; v &= v - 1 {
			idx[c] = int32(j*8 + bits.TrailingZeros8(v))
			c++
		}
	}
	return c
}
