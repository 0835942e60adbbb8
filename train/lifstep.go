package train

import (
	"encoding/binary"
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
// of byte i/8) in increasing order into idx and returns their number. It
// reads eight bytes at a time (one little-endian word: bit k of the word
// at byte j is neuron 8j+k), so a run of silent neurons costs one test.
func listBits(m []uint8, idx []int32) int {
	c := 0
	j := 0
	for ; j+8 <= len(m); j += 8 {
		v := binary.LittleEndian.Uint64(m[j:])
		for ; v != 0; v &= v - 1 {
			idx[c] = int32(j*8 + bits.TrailingZeros64(v))
			c++
		}
	}
	for ; j < len(m); j++ {
		for v := m[j]; v != 0; v &= v - 1 {
			idx[c] = int32(j*8 + bits.TrailingZeros8(v))
			c++
		}
	}
	return c
}

// lifBack is the vector part of one backward step of N LIF neurons (see
// Network.lifBackward), with gn = gun on entry:
//
//	g   = gs − γ·gn·u,  x = u − ϑ,  w = 1[|x| < α/2],  gw = g·w
//	gun = γ·gn·(1 − sv) + gw/α
//	gc  = gun  (or gc += gun with sum set)
//	lanes[i mod 8] −= gw·x
//
// with inva = 1/α and halfBits the float32 bits of α/2; no fused
// multiply-add, so the AVX2 kernel and the portable loop agree bit for bit.
func lifBack(u, sv, gs, gun, gc []float32, gamma, theta, inva float32, halfBits uint32, sum bool, lanes *[8]float32) {
	n := len(u)
	sv, gs, gun, gc = sv[:n], gs[:n], gun[:n], gc[:n]
	n8 := 0
	if useAVX2 {
		n8 = n &^ 7
		if n8 > 0 {
			s := 0
			if sum {
				s = 1
			}
			lifBackAVX2(&u[0], &sv[0], &gs[0], &gun[0], &gc[0], n8, gamma, theta, inva, halfBits, s, lanes)
		}
	}
	lifBackGeneric(u, sv, gs, gun, gc, gamma, theta, inva, halfBits, sum, lanes, n8)
}

// lifBackGeneric is lifBack's portable loop for the neurons from n8 (a
// multiple of 8) on.
func lifBackGeneric(u, sv, gs, gun, gc []float32, gamma, theta, inva float32, halfBits uint32, sum bool, lanes *[8]float32, n8 int) {
	for i := n8; i < len(u); i++ {
		gng := gun[i] * gamma
		ui := u[i]
		g := gs[i] - gng*ui
		x := ui - theta
		// 1 inside the window, 0 outside, without a branch
		w := float32(((math.Float32bits(x) & 0x7fffffff) - halfBits) >> 31)
		gw := g * w
		gu := gng*(1-sv[i]) + gw*inva
		lanes[i%8] -= gw * x
		gun[i] = gu
		if sum {
			gc[i] += gu
		} else {
			gc[i] = gu
		}
	}
}

// sumLanes returns ((l0 + l1) + (l2 + l3)) + ((l4 + l5) + (l6 + l7)).
func sumLanes(l *[8]float32) float32 {
	return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]))
}

// mixWindow is ASGL's mixing inside the surrogate window (the neurons whose
// bit is set in win, in increasing order): H_α ∈ (0,1) keeps the spike
// with probability p (a draw of mr below thr), else it takes the analog
// value sv = (u − ϑ)/α + 1/2 and the neuron's bit in spk is set. One draw
// of the sample's mask stream per window neuron, in order; the bitmap is
// read eight bytes at a time like listBits, and a draw's outcome selects
// the value without a branch (it goes either way as often).
func mixWindow(win, spk []uint8, u, sv []float32, theta, inva float32, thr uint64, mr *maskRNG) {
	st := mr.s // the stream's state in a register (maskRNG.next inlined)
	j0 := 0
	if nw := min(len(win)/8, len(u)/64, len(sv)/64); useMixAVX2 && nw > 0 {
		_ = spk[8*nw-1]
		k := newMixConsts(theta, inva, thr)
		mixWindowAVX2(&win[0], &spk[0], &u[0], &sv[0], nw, &k, &st)
		j0 = 8 * nw
	}
	for j := j0; j < len(win); j += 8 {
		var v uint64
		whole := j+8 <= len(win)
		if whole {
			v = binary.LittleEndian.Uint64(win[j:])
		} else {
			for q := len(win) - 1; q >= j; q-- {
				v = v<<8 | uint64(win[q])
			}
		}
		if v == 0 {
			continue
		}
		var set uint64
		for ; v != 0; v &= v - 1 {
			k := bits.TrailingZeros64(v)
			i := j*8 + k
			st += 0x9e3779b97f4a7c15
			// the draw is below 2³² and thr at most 2³²: the difference
			// wraps (top bit set) exactly when the draw is below thr, so
			// analog is 1 for a draw of at least thr, without a branch
			analog := ((mix64(st)>>32 - thr) >> 63) ^ 1
			a := math.Float32bits((u[i]-theta)*inva + 0.5)
			old := math.Float32bits(sv[i])
			sv[i] = math.Float32frombits(old ^ (old^a)&-uint32(analog))
			set |= analog << k
		}
		if whole {
			binary.LittleEndian.PutUint64(spk[j:], binary.LittleEndian.Uint64(spk[j:])|set)
			continue
		}
		for q := j; q < len(win); q++ {
			spk[q] |= uint8(set >> (8 * (q - j)))
		}
	}
	mr.s = st
}

// mixConsts are mixWindowAVX2's constants, each filling a 32-byte vector
// (field offsets fixed in kernels_amd64.s).
type mixConsts struct {
	ramp, step         [4]uint64 // the first four draws' state offsets, and four draws
	m1lo, m1hi         [4]uint64 // mix64's multipliers, 32 bits at a time
	m2lo, m2hi         [4]uint64
	thr                [4]uint64
	bits               [8]uint32 // 1 << lane
	theta, inva, halfs [8]float32
}

func newMixConsts(theta, inva float32, thr uint64) mixConsts {
	const m1, m2 = 0xbf58476d1ce4e5b9, 0x94d049bb133111eb
	c := uint64(0x9e3779b97f4a7c15) // the stream's increment (maskRNG.next)
	var k mixConsts
	for l := range 4 {
		k.ramp[l] = c * uint64(l+1) // wraps, as the state does
		k.step[l] = 4 * c
		k.m1lo[l], k.m1hi[l] = m1&0xffffffff, m1>>32
		k.m2lo[l], k.m2hi[l] = m2&0xffffffff, m2>>32
		k.thr[l] = thr
	}
	for l := range 8 {
		k.bits[l] = 1 << l
		k.theta[l], k.inva[l], k.halfs[l] = theta, inva, 0.5
	}
	return k
}
