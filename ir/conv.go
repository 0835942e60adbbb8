package ir

// ConvTaps calls fn(in, out, w) for every synapse of a Conv2D layer: from
// input in to output out (both flat CHW indices) with weight index w into
// the layer's OutC×(InC/Groups)×KH×KW weights. Taps that fall into the zero
// padding are skipped; with Groups > 1 an output channel sees only its
// group's input channels. The layer's shapes must be [C,H,W] and its
// channels multiples of the groups (as Verify checks).
func ConvTaps(l *Layer, fn func(in, out, w int)) {
	ic, ih, iw := l.InShape[0], l.InShape[1], l.InShape[2]
	oc, oh, ow := l.OutShape[0], l.OutShape[1], l.OutShape[2]
	kh, kw := l.Kernel[0], l.Kernel[1]
	sh, sw := max(1, l.Stride[0]), max(1, l.Stride[1])
	ph, pw := l.Padding[0], l.Padding[1]
	g := l.NumGroups()
	icg, ocg := ic/g, max(1, oc/g)
	for c := 0; c < oc; c++ {
		c0 := (c / ocg) * icg // first input channel of c's group
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				out := (c*oh+oy)*ow + ox
				for cg := 0; cg < icg; cg++ {
					ci := c0 + cg
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
							fn((ci*ih+iy)*iw+ix, out, ((c*icg+cg)*kh+ky)*kw+kx)
						}
					}
				}
			}
		}
	}
}

// EachSynapse calls fn(in, out, w) for every synapse of a Dense,
// RecurrentDense (feed-forward weights only), Conv2D or Sparse layer: from
// input in to output neuron out (flat indices) with weight index w into
// l.Weights. Dense layers list every pair, zero weights included. Other
// kinds have no synapses. The layer must pass Verify.
func EachSynapse(l *Layer, fn func(in, out, w int)) {
	switch l.Kind {
	case KindDense, KindRecurrentDense:
		in, out := l.NumInputs(), l.NumOutputs()
		for o := 0; o < out; o++ {
			for i := 0; i < in; i++ {
				fn(i, o, o*in+i)
			}
		}
	case KindConv2D:
		ConvTaps(l, fn)
	case KindSparse:
		for o := 0; o+1 < len(l.RowStart); o++ {
			for k := l.RowStart[o]; k < l.RowStart[o+1]; k++ {
				fn(int(l.Cols[k]), o, int(k))
			}
		}
	}
}
