package train

// augment is the training-time data augmentation: a random translation by
// up to ±shift pixels in each direction (vacated pixels are 0) and, if flip,
// a horizontal flip with probability ½. The choices of a sample come from
// its own maskRNG (derived from the batch seed and the sample's position),
// so they do not depend on which goroutine loads it.
type augment struct {
	shift   int
	flip    bool
	c, h, w int // image shape, channel-major (CHW)
}

// load writes the augmented image src (raw bytes, CHW) scaled by scale
// into row and lists its non-zero pixels in act; it returns their number.
// It does not allocate.
func (a *augment) load(row []float32, act []int32, src []uint8, scale float32, r *maskRNG) int {
	dx, dy, flip := 0, 0, false
	if a.shift > 0 {
		span := uint64(2*a.shift + 1)
		v := r.next()
		dx = int((v>>32)*span>>32) - a.shift
		dy = int((v&0xffffffff)*span>>32) - a.shift
	}
	if a.flip {
		flip = r.next()>>63 == 1
	}
	return a.apply(row, act, src, scale, dx, dy, flip)
}

// apply writes src translated by (dx, dy) (output pixel (y, x) is input
// pixel (y−dy, x'−dx), x' = w−1−x when flipped) into row and act.
func (a *augment) apply(row []float32, act []int32, src []uint8, scale float32, dx, dy int, flip bool) int {
	c := 0
	h, w := a.h, a.w
	for ch := 0; ch < a.c; ch++ {
		base := ch * h * w
		for y := 0; y < h; y++ {
			sy := y - dy
			o := base + y*w
			if sy < 0 || sy >= h {
				clear(row[o : o+w])
				continue
			}
			srow := src[base+sy*w : base+sy*w+w]
			for x := 0; x < w; x++ {
				xx := x
				if flip {
					xx = w - 1 - x
				}
				sx := xx - dx
				var p uint8
				if sx >= 0 && sx < w {
					p = srow[sx]
				}
				if p != 0 {
					row[o+x] = float32(p) * scale
					act[c] = int32(o + x)
					c++
				} else {
					row[o+x] = 0
				}
			}
		}
	}
	return c
}
