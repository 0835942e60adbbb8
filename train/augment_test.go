package train

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// plainLoad is loadInput's path without augmentation.
func plainLoad(row []float32, act []int32, src []uint8, scale float32) int {
	c := 0
	for i, p := range src {
		row[i] = 0
		if p != 0 {
			row[i] = float32(p) * scale
			act[c] = int32(i)
			c++
		}
	}
	return c
}

func TestAugmentShiftZeroIsIdentity(t *testing.T) {
	d := testData(t)
	sz := d.ImageSize()
	a := &augment{shift: 2, flip: true, c: d.Channels, h: d.Rows, w: d.Cols}
	for i := 0; i < 20; i++ {
		src := d.Train.Image(i, sz)
		row, act := make([]float32, sz), make([]int32, sz)
		wantRow, wantAct := make([]float32, sz), make([]int32, sz)
		for j := range row {
			row[j] = 7 // stale values must be overwritten
		}
		c := a.apply(row, act, src, 1.0/255, 0, 0, false)
		wc := plainLoad(wantRow, wantAct, src, 1.0/255)
		require.Equal(t, wc, c)
		require.Equal(t, wantRow, row)
		require.Equal(t, wantAct[:wc], act[:c])
	}
}

func TestAugmentMovesPixels(t *testing.T) {
	d := testData(t)
	sz, h, w := d.ImageSize(), d.Rows, d.Cols
	a := &augment{shift: 2, flip: true, c: 1, h: h, w: w}
	src := d.Train.Image(0, sz)
	row, act := make([]float32, sz), make([]int32, sz)
	for _, tc := range []struct {
		dx, dy int
		flip   bool
	}{{1, 0, false}, {-2, 1, false}, {0, -2, true}, {2, 2, true}} {
		c := a.apply(row, act, src, 1, tc.dx, tc.dy, tc.flip)
		n := 0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				xx := x
				if tc.flip {
					xx = w - 1 - x
				}
				sy, sx := y-tc.dy, xx-tc.dx
				want := float32(0)
				if sy >= 0 && sy < h && sx >= 0 && sx < w {
					want = float32(src[sy*w+sx])
				}
				require.Equal(t, want, row[y*w+x], "(%d,%d) %+v", y, x, tc)
				if want != 0 {
					require.Equal(t, int32(y*w+x), act[n])
					n++
				}
			}
		}
		require.Equal(t, n, c)
	}
	// flipping twice is the identity
	flipped := make([]uint8, sz)
	a.apply(row, act, src, 1, 0, 0, true)
	for i, v := range row {
		flipped[i] = uint8(v)
	}
	a.apply(row, act, flipped, 1, 0, 0, true)
	for i, v := range row {
		require.Equal(t, float32(src[i]), v)
	}
}

func TestAugmentDeterministicKeepsLabels(t *testing.T) {
	cfg := smallConfig()
	cfg.Epochs = 1
	_, plain := trainModel(t, cfg)
	cfg.Augment = "shift,flip"
	tr, a := trainModel(t, cfg)
	prev := runtime.GOMAXPROCS(1)
	_, b := trainModel(t, cfg)
	runtime.GOMAXPROCS(prev)
	require.Equal(t, a, b, "same seed with augmentation gave different models")
	require.NotEqual(t, plain, a)
	// (flipped digits in 1024 samples, one epoch: well above chance)
	require.Greater(t, tr.History[0].TestAcc, 0.2)

	// a batch's labels are the samples' labels; the images differ from
	// the plain ones but keep their mass roughly (shifts clip the border)
	idx := []int{3, 1, 4, 1, 5, 9, 2, 6}
	tr.trainBatch(idx, 1e-9)
	ws := tr.net.ws
	changed := 0
	sz := tr.Data.ImageSize()
	for b, i := range idx {
		require.Equal(t, tr.train.Labels[i], ws.labels[b])
		row := ws.in[0].Val[b*sz : (b+1)*sz]
		want := make([]float32, sz)
		plainLoad(want, make([]int32, sz), tr.train.Images[i*sz:(i+1)*sz], tr.Net.InputScale)
		var s, ws0 float32
		for j := range row {
			s += row[j]
			ws0 += want[j]
		}
		require.InDelta(t, ws0, s, 0.5*float64(ws0))
		if !equalF32(row, want) {
			changed++
		}
	}
	require.Greater(t, changed, 0)
}

func equalF32(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAugmentAllocationFree(t *testing.T) {
	d := testData(t)
	sz := d.ImageSize()
	a := &augment{shift: 2, flip: true, c: d.Channels, h: d.Rows, w: d.Cols}
	row, act := make([]float32, sz), make([]int32, sz)
	src := d.Train.Image(0, sz)
	mr := newMaskRNG(1, 0)
	allocs := testing.AllocsPerRun(100, func() { a.load(row, act, src, 1, &mr) })
	require.Zero(t, allocs)
	// the shifts cover −2…2 in both directions and flips happen
	seen := map[[3]int]bool{}
	for i := 0; i < 2000; i++ {
		mr := newMaskRNG(42, i)
		v := mr.next()
		dx := int((v>>32)*5>>32) - 2
		dy := int((v&0xffffffff)*5>>32) - 2
		seen[[3]int{dx, dy, int(mr.next() >> 63)}] = true
	}
	require.Len(t, seen, 50)
}

func TestLabelSmoothing(t *testing.T) {
	cfg := smallConfig()
	cfg.Epochs = 1
	_, plain := trainModel(t, cfg)
	cfg.LabelSmoothing = 0.1
	tr, a := trainModel(t, cfg)
	_, b := trainModel(t, cfg)
	require.Equal(t, a, b)
	require.NotEqual(t, plain, a)
	require.Greater(t, tr.History[0].TestAcc, 0.3)
	// the output gradient of each sample sums to 0 (softmax and target
	// both sum to 1)
	tr.trainBatch([]int{0, 1, 2, 3}, 1e-9)
	L := len(tr.Net.Layers)
	for b := 0; b < 4; b++ {
		var s float64
		for _, g := range tr.net.ws.gCur[L-1].Row(b, 0) {
			s += float64(g)
		}
		require.InDelta(t, 0, s, 1e-6)
	}
}

func TestAugmentSettings(t *testing.T) {
	for _, s := range []string{"", "shift", "flip", "shift,flip", " Flip , shift1 ", "shift0"} {
		_, _, err := ParseAugment(s)
		require.NoError(t, err, s)
	}
	sh, fl, _ := ParseAugment("shift3,flip")
	require.Equal(t, 3, sh)
	require.True(t, fl)
	for _, s := range []string{"rotate", "shiftx", "shift-1", "shift9"} {
		c := smallConfig()
		c.Augment = s
		var ce *ConfigError
		require.ErrorAs(t, c.Validate(), &ce, s)
		require.Equal(t, "augment", ce.Field)
	}
	c := smallConfig()
	c.LabelSmoothing = 1
	var ce *ConfigError
	require.ErrorAs(t, c.Validate(), &ce)
}
