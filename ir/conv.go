package ir

// ConvTaps calls fn(in, out, w) for every synapse of a Conv2D layer: from
// input in to output out (both flat CHW indices) with weight index w into
// the layer's OutC×InC×KH×KW weights. Taps that fall into the zero padding
// are skipped. The layer's shapes must be [C,H,W] (as Verify checks).
func ConvTaps(l *Layer, fn func(in, out, w int)) {
	ic, ih, iw := l.InShape[0], l.InShape[1], l.InShape[2]
	oc, oh, ow := l.OutShape[0], l.OutShape[1], l.OutShape[2]
	kh, kw := l.Kernel[0], l.Kernel[1]
	sh, sw := max(1, l.Stride[0]), max(1, l.Stride[1])
	ph, pw := l.Padding[0], l.Padding[1]
	for c := 0; c < oc; c++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				out := (c*oh+oy)*ow + ox
				for ci := 0; ci < ic; ci++ {
					for ky := 0; ky < kh; ky++ {
						iy := oy*sh - ph + ky
						if iy < 0 || iy >= ih {
							continue
						}
						for kx := 0; kx < kw; kx++ {
							ix := ox*sw - pw + kx
							if ix < 0 || ix >= iw {
								continue
							}
							fn((ci*ih+iy)*iw+ix, out, ((c*ic+ci)*kh+ky)*kw+kx)
						}
					}
				}
			}
		}
	}
}
