package train

import "math"

// Output-stationary forward pass of a convolution over a spiking input.
//
// The event scatter (forwardEvents) loads and stores each output's OutC
// currents once per input that reaches it. The gather below keeps an output's
// currents in registers instead: it starts them at the bias and adds, for
// every non-zero input of its receptive field in the order channel, row,
// column, that input's value times its kernel taps, then stores them once.
// For each output that is the same sequence of fused multiply-adds, in the
// same order, as the scatter's (events are listed by step, channel,
// position), so the currents are bit for bit the same.
//
// The non-zero inputs come from row lists built once per sample: for every
// step, channel and row of the zero-padded input (Hp = InH + 2·pad rows of
// Wp = InW + 2·pad columns), the list of its non-zero values with their
// tap offsets, and a prefix count per column. The inputs a receptive field
// meets in one row are then one contiguous run of its list:
//
//	row R = (t·InC + ci)·Hp + iy,  run = ents[pc[R][x0] : pc[R][x0+K]]
//
// where x0 = ox·stride is the output's first padded column and pc[R][j] is
// the index in ents of the first non-zero at a column ≥ j. An entry's
// offset off = ci·K·K·OutC + (iy·K + ix)·OutC is its taps' offset in W
// for the output whose window starts at padded (0, 0); an output whose
// window starts at (y0, x0) reads W[off − (y0·K + x0)·OutC …].

// rowEntry is a non-zero input of a row list: its tap offset and value.
type rowEntry struct {
	off int32
	val float32
}

// gatherRunMax is the longest run a list copy moves at once (64 bytes):
// the gather applies to kernels at most this wide.
const gatherRunMax = 8

// gathers reports whether the forward pass of c uses the output-stationary
// gather: the AVX2 kernels keep 32 (or 16) output channels per output in
// registers, and copy runs of at most gatherRunMax inputs.
func (c *Conv2D) gathers() bool {
	return useAVX2 && c.outC%16 == 0 && c.k <= gatherRunMax
}

// gatherPair runs the gather kernel of c's channel chunks on a (a.chunks
// set by gatherChunks).
func (c *Conv2D) gatherPair(a *gatherArgs) {
	if c.outC%32 == 0 {
		gatherPairAVX2(a)
		return
	}
	gatherPair16AVX2(a)
}

// gatherChunks is the number of channel chunks of the gather kernels.
func (c *Conv2D) gatherChunks() int {
	if c.outC%32 == 0 {
		return c.outC / 32
	}
	return c.outC / 16
}

// paddedRows returns Hp and Wp, the padded input's rows and columns.
func (c *Conv2D) paddedRows() (hp, wp int) { return c.inH + 2*c.pad, c.inW + 2*c.pad }

// entryStrides gives a row-list entry's offset: base + ci·chan + t·step +
// iy·row + ix·OutC for the input at padded (iy, ix) of channel ci, step t.
type entryStrides struct{ base, chan_, step, row int }

// tapStrides are the forward pass's: the input's kernel taps in W for the
// output whose window starts at padded (0, 0).
func (c *Conv2D) tapStrides() entryStrides {
	return entryStrides{chan_: c.k * c.k * c.outC, row: c.k * c.outC}
}

// errorStrides are the weight gradient's (stride 1): the input's output in
// a position-major error buffer (T×P×OutC) for tap (0, 0).
func (c *Conv2D) errorStrides() entryStrides {
	return entryStrides{step: c.outPlane * c.outC, row: c.outW * c.outC}
}

// rowLists builds the row lists of channels [ci0, ci1) of sample b of in
// (S steps) with entry offsets es: ents holds the non-zero inputs row by
// row (followed by gatherRunMax spare entries, so a run can always be
// copied whole), pc the (Wp+1) prefix indices of every row (indexed as
// for all channels; other channels' rows are not written). Zero values
// (either sign) are left out, without a branch per value.
func (c *Conv2D) rowLists(in *Acts, b, ci0, ci1 int, es entryStrides, sc *convScratch) (ents []rowEntry, pc []int32) {
	S := in.Steps
	hp, wp := c.paddedRows()
	pc = sized(&sc.pc, S*c.inC*hp*(wp+1))
	ents = sized(&sc.ents, S*(ci1-ci0)*c.inPlane+gatherRunMax)
	n := int32(0)
	for t := 0; t < S; t++ {
		x := in.Row(b, t)
		for ci := ci0; ci < ci1; ci++ {
			R := (t*c.inC + ci) * hp
			n = listPlane(x[ci*c.inPlane:(ci+1)*c.inPlane], c.inW, c.pad, pc[R*(wp+1):(R+hp)*(wp+1)], ents, n,
				int32(es.base+ci*es.chan_+t*es.step), int32(es.row), int32(c.outC))
		}
	}
	clear(ents[n : n+gatherRunMax])
	return ents, pc
}

// listPlane lists the rows of a channel plane (rows of w values, zero
// padded by pad on every side; len(pc) is (rows+2·pad)·(w+2·pad+1)) into
// ents from index n on, entry offsets off + iy·rowStep + ix·colStep at
// padded (iy, ix), and returns the next free index.
func listPlane(x []float32, w, pad int, pc []int32, ents []rowEntry, n, off, rowStep, colStep int32) int32 {
	wp := w + 2*pad
	hp := len(pc) / (wp + 1)
	if useListAVX2 && pad == 0 && len(x) > 0 && len(x) == hp*w && len(ents)-int(n) >= len(x)+8 {
		return n + int32(listPlaneAVX2(&x[0], w, hp, &pc[0], &ents[n], n, off, rowStep, colStep, &rowListTables))
	}
	for iy := 0; iy < hp; iy++ {
		pr := pc[iy*(wp+1) : (iy+1)*(wp+1)]
		sy := iy - pad
		if sy < 0 || sy >= len(x)/w {
			for j := range pr {
				pr[j] = n
			}
			continue
		}
		for j := 0; j < pad; j++ {
			pr[j] = n
		}
		row := x[sy*w : (sy+1)*w]
		n = listRow(row, pr[pad:pad+w], ents[n:int(n)+w], n, off+int32(iy)*rowStep+int32(pad)*colStep, colStep)
		for j := pad + w; j < len(pr); j++ {
			pr[j] = n
		}
	}
	return n
}

// listRow lists the non-zero values of row as entries e (off, off+step, …
// for the row's columns) and sets pr[j] to n plus the number of non-zero
// values before column j; it returns n plus their number. len(pr) and
// len(e) are len(row). A small function of its own so the loop keeps its
// values in registers.
//
//go:noinline
func listRow(row []float32, pr []int32, e []rowEntry, n, off, step int32) int32 {
	pr, e = pr[:len(row)], e[:len(row)]
	k := 0
	for j, v := range row {
		pr[j] = n + int32(k)
		e[k] = rowEntry{off: off, val: v}
		off += step
		// 1 unless the bits without the sign are 0
		k += int((math.Float32bits(v)&0x7fffffff + 0x7fffffff) >> 31)
	}
	return n + int32(k)
}

// listTables are listPlaneAVX2's look-up tables, indexed by the mask m of
// the non-zero values among eight: prefix[m][i] is the number of set bits
// of m below bit i, perm[m] the set bits' positions in increasing order
// (0 after them), lanes the numbers 0 … 7.
type listTables struct {
	prefix, perm [256][8]int32
	lanes        [8]int32
}

var rowListTables = func() (t listTables) {
	for m := range 256 {
		k := int32(0)
		for i := range 8 {
			t.prefix[m][i] = k
			if m>>i&1 != 0 {
				t.perm[m][k] = int32(i)
				k++
			}
		}
	}
	for i := range t.lanes {
		t.lanes[i] = int32(i)
	}
	return t
}()

// gatherArgs is what the AVX2 gather kernel reads (field offsets are
// fixed in kernels_amd64.s): two outputs at a time, each with its own
// list, so the two dependency chains of fused multiply-adds overlap.
type gatherArgs struct {
	ents   *rowEntry // the sample's row lists
	runs   *int64    // byte offsets in pc of the first prefix of each (ci, ky) row of a receptive field
	nruns  int       // InC·K
	kbytes int       // 4·K: from a run's first prefix to its end
	pc     [2]*int32 // each output's prefix of (ci 0, ky 0, its first column)
	list   [2]*rowEntry
	base   [2]int // each output's offset subtracted from an entry's off (floats)
	w      *float32
	init   [2]*float32 // each output's OutC starting values
	y      [2]*float32 // each output's OutC results
	chunks int         // OutC/32 (or OutC/16)
}

// forwardGather computes the currents of samples [lo, hi), output by
// output (see the top of this file): from a spiking input, or from a
// constant one (Steps 1, the direct-current first layer; the same sums as
// forwardColumns, whose inputs of 0 and the gather's weights of 0 add
// only zeros).
func (c *Conv2D) forwardGather(in, out *Acts, lo, hi int) {
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	P, OC, S, K, s := c.outPlane, c.outC, in.Steps, c.k, c.stride
	hp, wp := c.paddedRows()
	y := sc.stack(S * P * OC)
	runs := sized(&sc.runs, c.inC*K)
	for ci := 0; ci < c.inC; ci++ {
		for ky := 0; ky < K; ky++ {
			runs[ci*K+ky] = int64(4 * (ci*hp + ky) * (wp + 1))
		}
	}
	lists := sized(&sc.lists, 2*(c.inC*K*K+gatherRunMax))
	half := len(lists) / 2
	a := gatherArgs{runs: &runs[0], nruns: c.inC * K, kbytes: 4 * K, w: &c.w.W[0], chunks: c.gatherChunks(),
		init: [2]*float32{&c.b.W[0], &c.b.W[0]},
		list: [2]*rowEntry{&lists[0], &lists[half]}}
	for b := lo; b < hi; b++ {
		ents, pc := c.rowLists(in, b, 0, c.inC, c.tapStrides(), sc)
		a.ents = &ents[0]
		for t := 0; t < S; t++ {
			for p := 0; p < P; p += 2 {
				for k := range 2 {
					q := min(p+k, P-1) // an odd last output is computed twice
					oy, ox := q/c.outW, q%c.outW
					a.pc[k] = &pc[((t*c.inC)*hp+oy*s)*(wp+1)+ox*s]
					a.base[k] = (oy*s*K + ox*s) * OC
					a.y[k] = &y[(t*P+q)*OC]
				}
				c.gatherPair(&a)
			}
			transposeInto(out.Row(b, t), y[t*P*OC:], P, OC)
		}
	}
}

// gathersGrad reports whether the weight gradient uses the tap-stationary
// gather (accumGather): as gathers, for stride 1 (a tap's inputs in one
// row are then one run) and output rows of at most gatherRunMax.
func (c *Conv2D) gathersGrad() bool {
	return c.gathers() && c.stride == 1 && c.outW <= gatherRunMax
}

// accumGather adds the weight gradient of input channels [ci0, ci1) tap by
// tap, the transpose of forwardGather: the gradient of tap (ci, ky, kx)
// starts at its value so far and adds, for every non-zero input v of
// channel ci at step t that meets an output o through the tap, v·G[t][o]
// (the position-major error currents), in the order step, row, column:
// for each tap the same fused multiply-adds in the same order as
// accumEvents. Samples in order. Stride 1 only (gathersGrad).
func (c *Conv2D) accumGather(ci0, ci1 int, in, gOut *Acts, n int) {
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	P, OC, S, K := c.outPlane, c.outC, in.Steps, c.k
	hp, wp := c.paddedRows()
	g := sc.stack(S * P * OC)
	runs := sized(&sc.runs, S*c.outH)
	for t := 0; t < S; t++ {
		for oy := 0; oy < c.outH; oy++ {
			runs[t*c.outH+oy] = int64(4 * (t*c.inC*hp + oy) * (wp + 1))
		}
	}
	lists := sized(&sc.lists, 2*(S*P+gatherRunMax))
	half := len(lists) / 2
	a := gatherArgs{runs: &runs[0], nruns: len(runs), kbytes: 4 * c.outW, w: &g[0], chunks: c.gatherChunks(),
		list: [2]*rowEntry{&lists[0], &lists[half]}}
	r0, r1 := ci0*K*K, ci1*K*K
	for b := 0; b < n; b++ {
		if !c.positionMajor(gOut, b, S, g) {
			continue
		}
		ents, pc := c.rowLists(in, b, ci0, ci1, c.errorStrides(), sc)
		a.ents = &ents[0]
		for r := r0; r < r1; r += 2 {
			for k := range 2 {
				q := min(r+k, r1-1) // an odd last tap is computed twice
				ci, ky, kx := q/(K*K), q/K%K, q%K
				a.pc[k] = &pc[(ci*hp+ky)*(wp+1)+kx]
				a.base[k] = (ky*c.outW + kx) * OC
				a.init[k] = &c.w.G[q*OC]
				a.y[k] = a.init[k]
			}
			c.gatherPair(&a)
		}
	}
}

// The weight gradient from whole rows. For stride 1, the inputs that meet
// tap (ci, ky, ·) at step t are those of rows ky … ky+OutH−1 of channel ci:
// one contiguous range of the row lists, the same for every kx. The error
// currents are laid out position-major with K−1 columns of zeros on both
// sides of every output row (Wg = OutW + 2·(K−1) columns), so an input
// meets tap kx at column ix − kx whether or not that output exists (a
// missing one contributes v·0). Each range is then walked once for up to
// three taps at a time, their 32-channel chunks in registers. A tap's sum
// runs over its inputs in the order step, row, column, as accumEvents's,
// with extra terms v·0 only: the gradient starts at +0 and a sum that
// starts at +0 never becomes −0, so adding ±0 leaves every bit as it is.

// tapArgs is what tapsAVX2 reads (field offsets fixed in kernels_amd64.s).
type tapArgs struct {
	ents    *rowEntry // the sample's row lists (entries with errorRowStrides)
	ranges  *int32    // begin and end in ents of each step's range
	nranges int
	g       *float32 // the padded error currents of one 32-channel chunk
	base    int      // subtracted from an entry's off for the first tap
	oc      int      // OutC: from one tap to the next, in G and in the gradient
	acc     *float32 // the first tap's chunk of the gradient
	ntaps   int      // 1 to 3
}

// gathersRows reports whether the weight gradient from a spiking input
// uses the whole rows (accumRows): stride 1, 32-channel chunks, AVX2.
func (c *Conv2D) gathersRows() bool {
	return useAVX2 && c.stride == 1 && c.outC%32 == 0
}

// errorRowStrides are accumRows's entry offsets: the input's output for
// tap (0, 0) in the padded error buffer (T×OutH×Wg×OutC).
func (c *Conv2D) errorRowStrides() entryStrides {
	wg := c.outW + 2*(c.k-1)
	return entryStrides{base: (c.k - 1) * c.outC, step: c.outH * wg * c.outC, row: wg * c.outC}
}

// accumRows adds the weight gradient of input channels [ci0, ci1) from
// whole rows (see above). Samples in order.
func (c *Conv2D) accumRows(ci0, ci1 int, in, gOut *Acts, n int) {
	sc := convScratchPool.Get().(*convScratch)
	defer convScratchPool.Put(sc)
	P, OC, S, K := c.outPlane, c.outC, in.Steps, c.k
	hp, wp := c.paddedRows()
	wg := c.outW + 2*(K-1)
	g := sc.stack(S * P * OC)
	gp := sized(&sc.gpad, S*c.outH*wg*OC)
	clear(gp) // the padding stays 0
	ranges := sized(&sc.ranges, 2*S)
	a := tapArgs{ranges: &ranges[0], nranges: S, oc: OC}
	es := c.errorRowStrides()
	for b := 0; b < n; b++ {
		if !c.positionMajor(gOut, b, S, g) {
			continue
		}
		for t := 0; t < S; t++ {
			for oy := 0; oy < c.outH; oy++ {
				copy(gp[((t*c.outH+oy)*wg+K-1)*OC:((t*c.outH+oy)*wg+K-1+c.outW)*OC], g[(t*P+oy*c.outW)*OC:])
			}
		}
		ents, pc := c.rowLists(in, b, ci0, ci1, es, sc)
		a.ents = &ents[0]
		for ci := ci0; ci < ci1; ci++ {
			for ky := 0; ky < K; ky++ {
				for t := 0; t < S; t++ {
					R := (t*c.inC+ci)*hp + ky
					ranges[2*t] = pc[R*(wp+1)]
					ranges[2*t+1] = pc[(R+c.outH-1)*(wp+1)+wp]
				}
				for kx := 0; kx < K; kx += 3 {
					a.ntaps = min(3, K-kx)
					for ch := 0; ch < OC; ch += 32 {
						a.g = &gp[ch]
						a.base = (ky*wg + kx) * OC
						a.acc = &c.w.G[((ci*K+ky)*K+kx)*OC+ch]
						tapsAVX2(&a)
					}
				}
			}
		}
	}
}
