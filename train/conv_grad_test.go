package train

import (
	"math"
	"testing"

	"github.com/snnc/snnc/ir"
)

// convMatrix returns the Out×In matrix (float64) of a convolution with
// weights w (OutC×InC×K×K) and stride s, padding p, written independently
// of the fast kernels.
func convMatrix(w []float64, inC, inH, inW, outC, k, s, p int) (m []float64, outH, outW int) {
	outH, outW = (inH+2*p-k)/s+1, (inW+2*p-k)/s+1
	in := inC * inH * inW
	m = make([]float64, outC*outH*outW*in)
	for oc := 0; oc < outC; oc++ {
		for oy := 0; oy < outH; oy++ {
			for ox := 0; ox < outW; ox++ {
				o := (oc*outH+oy)*outW + ox
				for ci := 0; ci < inC; ci++ {
					for ky := 0; ky < k; ky++ {
						for kx := 0; kx < k; kx++ {
							iy, ix := oy*s-p+ky, ox*s-p+kx
							if iy < 0 || iy >= inH || ix < 0 || ix >= inW {
								continue
							}
							m[o*in+(ci*inH+iy)*inW+ix] += w[((oc*inC+ci)*k+ky)*k+kx]
						}
					}
				}
			}
		}
	}
	return m, outH, outW
}

// matMul returns the a×c product of a×b and b×c matrices.
func matMul(x, y []float64, a, b, c int) []float64 {
	z := make([]float64, a*c)
	for i := 0; i < a; i++ {
		for k := 0; k < b; k++ {
			if v := x[i*b+k]; v != 0 {
				for j := 0; j < c; j++ {
					z[i*c+j] += v * y[k*c+j]
				}
			}
		}
	}
	return z
}

// TestConvGradientsMatchFiniteDifferences checks the conv network's
// gradients (conv W and b through stride, padding, pooling and flatten, α,
// through the time steps and the reset) against finite differences of a
// float64 reference built from dense matrices (pooling composed into the
// next layer's matrix), for ASGL with noise, ASGL with p = 0 and SG.
func TestConvGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method Method
		p      float64
	}{
		{"asgl p=0.5", ASGL, 0.5},
		{"asgl p=0", ASGL, 0},
		{"sg", SG, 1},
	} {
		t.Run(tc.name, func(t *testing.T) { checkConvGradients(t, tc.method, tc.p, ir.ResetZero) })
		// several spikes per step (--reset subtract-multi, temporal.go)
		t.Run(tc.name+" multi", func(t *testing.T) { checkConvGradients(t, tc.method, tc.p, ir.ResetSubtractMulti) })
	}
}

func checkConvGradients(t *testing.T, method Method, p float64, reset ir.ResetMode) {
	const B, T, side = 3, 4, 8
	arch, err := ParseArch("8x8x1-3c3p1-p2-4c3s2p1-3")
	if err != nil {
		t.Fatal(err)
	}
	r := newRNG(7)
	var opts []Temporal
	if reset != ir.ResetZero {
		opts = append(opts, Temporal{Reset: reset})
	}
	net := NewNetwork(arch, T, 0.6, 0.5, method, 1.2, r, opts...)
	net.LogAlpha[1] = math.Log(0.9)
	c1, c2, fc := net.Layers[0].(*Conv2D), net.Layers[2].(*Conv2D), net.Layers[4].(*Dense)
	for _, c := range []*Conv2D{c1, c2} {
		for i := range c.w.W {
			c.w.W[i] *= 2.5
		}
		for i := range c.b.W {
			c.b.W[i] = c.b.W[i]*2 + 0.3
		}
	}
	for i := range fc.w.W {
		fc.w.W[i] *= 2.5
	}
	fc.refreshAll()
	images := make([]uint8, B*side*side)
	for i := range images {
		if r.r.IntN(3) != 0 {
			images[i] = uint8(r.r.IntN(256))
		}
	}
	labels := []uint8{0, 2, 1}
	ws := gradWorkspace(net, B, p, 77)
	fastLoss := fastStep(net, ws, images, labels)

	// float64 parameters in IR layout: conv W[oc][r] = w.W[r·OutC+oc]
	convW := func(c *Conv2D) []float64 {
		w := make([]float64, len(c.w.W))
		for r := 0; r < c.rows; r++ {
			for oc := 0; oc < c.outC; oc++ {
				w[oc*c.rows+r] = float64(c.w.W[r*c.outC+oc])
			}
		}
		return w
	}
	f64 := func(x []float32) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = float64(v)
		}
		return y
	}
	w1, b1, w2, b2 := convW(c1), f64(c1.b.W), convW(c2), f64(c2.b.W)
	w3 := make([]float64, fc.in*fc.out)
	for o := 0; o < fc.out; o++ {
		for i := 0; i < fc.in; i++ {
			w3[o*fc.in+i] = float64(fc.w.W[i*fc.out+o])
		}
	}
	b3 := f64(fc.b.W)
	// pooling 3×8×8 → 3×4×4 as a 48×192 matrix
	pool := make([]float64, 48*192)
	for c := 0; c < 3; c++ {
		for y := 0; y < 8; y++ {
			for x := 0; x < 8; x++ {
				pool[((c*4+y/2)*4+x/2)*192+(c*8+y)*8+x] = 0.25
			}
		}
	}
	ref := &refTemporal{sizes: []int{64, 192, 16, 3}, T: T, gamma: 0.6, theta: 0.5, alpha: net.Alphas(), v: make([][]float64, 3),
		subtract: reset != ir.ResetZero, multi: reset == ir.ResetSubtractMulti, readout: ir.ReadoutMeanCurrent}
	expand := func(b []float64, per int) []float64 {
		e := make([]float64, len(b)*per)
		for i := range e {
			e[i] = b[i/per]
		}
		return e
	}
	rebuild := func() {
		m1, _, _ := convMatrix(w1, 1, 8, 8, 3, 3, 1, 1)
		m2, _, _ := convMatrix(w2, 3, 4, 4, 4, 3, 2, 1)
		ref.w = [][]float64{m1, matMul(m2, pool, 16, 48, 192), w3}
		ref.b = [][]float64{expand(b1, 64), expand(b2, 4), b3}
	}
	rebuild()
	ref.setInputs(images, labels)
	inWindow, spikes := 0, 0
	for k, l := range []int{0, 2} {
		ml, sp, iw := spikeMasks(net, ws, l, ref.sizes[k+1], float32(ref.alpha[k]), B)
		ref.mask = append(ref.mask, ml)
		spikes, inWindow = spikes+sp, inWindow+iw
	}
	if inWindow < 20 || spikes < 20 {
		t.Fatalf("test network too quiet: %d in window, %d spikes", inWindow, spikes)
	}
	ref.record = true
	checkLoss(t, fastLoss, ref.loss())
	ref.record = false
	if ref.multi && ref.extras < 5 {
		t.Fatalf("test network fires several spikes per step in %d neuron-steps only", ref.extras)
	}
	fd := func(v *float64) float64 {
		d := centralDiff(v, func() float64 { rebuild(); return ref.loss() })
		rebuild() // with *v restored
		return d
	}
	check := func(what string, i int, got float32, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 2e-4+2e-3*math.Abs(want) {
			t.Errorf("%s[%d]: gradient %v, finite difference %v", what, i, got, want)
		}
	}
	nonzero := 0
	for _, c := range []struct {
		conv *Conv2D
		w, b []float64
	}{{c1, w1, b1}, {c2, w2, b2}} {
		for oc := 0; oc < c.conv.outC; oc++ {
			for r := 0; r < c.conv.rows; r++ {
				want := fd(&c.w[oc*c.conv.rows+r])
				if want != 0 {
					nonzero++
				}
				check(c.conv.name+".w", oc*c.conv.rows+r, c.conv.w.G[r*c.conv.outC+oc], want)
			}
			check(c.conv.name+".b", oc, c.conv.b.G[oc], fd(&c.b[oc]))
		}
	}
	if nonzero < 40 {
		t.Errorf("only %d non-zero conv weight gradients", nonzero)
	}
	for o := 0; o < fc.out; o++ {
		for i := 0; i < fc.in; i++ {
			check("fc.w", o*fc.in+i, fc.w.G[i*fc.out+o], fd(&w3[o*fc.in+i]))
		}
	}
	if method == ASGL {
		checkAlphaGrads(t, ws, ref.alpha, B, fd, func(k int, got float32, want float64) { check("alpha", k, got, want) })
	}
}

// TestConvReadoutEqualsDenseReadout checks a convolutional readout whose
// kernel covers its whole input (one output position) against the
// equivalent flatten + dense readout: same loss and same gradients for
// every parameter. (A conv readout's error has one step while its input
// has T; this once panicked.)
func TestConvReadoutEqualsDenseReadout(t *testing.T) {
	const B, T, side = 3, 4, 8
	build := func(s string) (*Network, *workspace) {
		arch, err := ParseArch(s)
		if err != nil {
			t.Fatal(err)
		}
		net := NewNetwork(arch, T, 0.6, 0.5, ASGL, 1.2, newRNG(7))
		ws := gradWorkspace(net, B, 0.5, 77)
		return net, ws
	}
	cn, cws := build("8x8x1-3c3p1-p2-3c4")
	dn, dws := build("8x8x1-3c3p1-p2-3")
	c1, d1 := cn.Layers[0].(*Conv2D), dn.Layers[0].(*Conv2D)
	cro, dro := cn.Layers[2].(*Conv2D), dn.Layers[len(dn.Layers)-1].(*Dense)
	copy(d1.w.W, c1.w.W)
	copy(d1.b.W, c1.b.W)
	if len(cro.w.W) != len(dro.w.W) {
		t.Fatalf("readout weights %d vs %d", len(cro.w.W), len(dro.w.W))
	}
	for i := range cro.w.W {
		cro.w.W[i] *= 3 // make the readout matter
	}
	copy(dro.w.W, cro.w.W) // both are In×Out with In in CHW order
	copy(dro.b.W, cro.b.W)
	dro.refreshAll()
	r := newRNG(9)
	images := make([]uint8, B*side*side)
	for i := range images {
		images[i] = uint8(r.r.IntN(256))
	}
	labels := []uint8{0, 2, 1}
	cl, dl := fastStep(cn, cws, images, labels), fastStep(dn, dws, images, labels)
	if math.Abs(cl-dl) > 1e-5*math.Abs(dl) {
		t.Fatalf("loss: conv readout %v, dense readout %v", cl, dl)
	}
	near := func(name string, a, b []float32) {
		t.Helper()
		var scale float64
		for _, v := range b {
			scale = math.Max(scale, math.Abs(float64(v)))
		}
		if scale == 0 {
			t.Fatalf("%s: zero gradient", name)
		}
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-4*scale {
				t.Fatalf("%s[%d]: conv readout %g, dense readout %g", name, i, a[i], b[i])
			}
		}
	}
	near("readout W", cro.w.G, dro.w.G)
	near("readout b", cro.b.G, dro.b.G)
	near("conv1 W", c1.w.G, d1.w.G)
	near("conv1 b", c1.b.G, d1.b.G)
}
