package dvs

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/snnc/snnc/ir/events"
)

// ring is a digit-like test image: a bright ring on black.
func ring(w, h int) *Image {
	im := &Image{Width: w, Height: h, Pixels: make([]uint8, w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r := math.Hypot(float64(x)-float64(w)/2+0.5, float64(y)-float64(h)/2+0.5)
			if r > 6 && r < 10 {
				im.Pixels[y*w+x] = 255
			}
		}
	}
	return im
}

func TestStaticImageMakesOnlyNoise(t *testing.T) {
	p := DefaultParams()
	im := ring(28, 28)
	p.NoiseRate = 0
	evs, err := p.Record(im, Still(3, 3), 300_000, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 0 {
		t.Fatalf("a still image without noise made %d events, want 0", len(evs))
	}
	p.NoiseRate = 5 // per pixel per second: 34·34·5·0.3 s ≈ 1734 expected
	evs, err = p.Record(im, Still(3, 3), 300_000, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	want := float64(p.Width*p.Height) * p.NoiseRate * 0.3
	if got := float64(len(evs)); math.Abs(got-want) > 4*math.Sqrt(want) {
		t.Errorf("%d noise events, want %.0f ± %.0f (Poisson, 4σ)", len(evs), want, 4*math.Sqrt(want))
	}
	on := 0
	for _, e := range evs {
		on += int(e.Polarity)
	}
	if frac := float64(on) / float64(len(evs)); frac < 0.4 || frac > 0.6 {
		t.Errorf("noise is %.2f ON, want about half", frac)
	}
}

// TestMovingBarEdges moves a bright bar right across the array: ON events
// must lie at its leading (right) edge, OFF events at its trailing (left)
// edge, and no pixel fires twice within the refractory time.
func TestMovingBarEdges(t *testing.T) {
	p := DefaultParams()
	p.NoiseRate = 0
	im := &Image{Width: 12, Height: 34, Pixels: make([]uint8, 12*34)}
	for y := 0; y < 34; y++ {
		for x := 4; x < 8; x++ { // the bar: columns 4..7
			im.Pixels[y*12+x] = 255
		}
	}
	const speed = 200.0 / 1e6 // pixels per µs (200 px/s)
	path := func(t float64) (float64, float64) { return 2 + speed*t, 0 }
	evs, err := p.Record(im, path, 100_000, rand.New(rand.NewPCG(3, 4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := events.CheckStream(evs, p.Sensor()); err != nil {
		t.Fatal(err)
	}
	var on, off, onLead, offTrail int
	last := map[[2]uint16]uint32{}
	for _, e := range evs {
		ox, _ := path(float64(e.T))
		cx := float64(e.X) + 0.5
		lead, trail := ox+8, ox+4 // bar edges in field pixels at that time
		if e.Polarity == 1 {
			on++
			if math.Abs(cx-lead) <= 1.5 {
				onLead++
			}
		} else {
			off++
			if math.Abs(cx-trail) <= 1.5 {
				offTrail++
			}
		}
		k := [2]uint16{e.X, e.Y}
		if l, ok := last[k]; ok && e.T-l < p.Refractory {
			t.Fatalf("pixel (%d,%d) fired at %d and %d µs, within the %d µs refractory time", e.X, e.Y, l, e.T, p.Refractory)
		}
		last[k] = e.T
	}
	if on < 100 || off < 100 {
		t.Fatalf("%d ON and %d OFF events: the moving bar should make many of both", on, off)
	}
	if float64(onLead) < 0.95*float64(on) || float64(offTrail) < 0.95*float64(off) {
		t.Errorf("ON at the leading edge %d/%d, OFF at the trailing edge %d/%d; want ≥ 95%% each", onLead, on, offTrail, off)
	}
}

func TestRefractoryLimitsRate(t *testing.T) {
	// A pixel flickering every step would fire every step; a 2 ms dead time
	// caps it at one event per 2 ms.
	p := DefaultParams()
	p.NoiseRate, p.Width, p.Height, p.Refractory = 0, 1, 1, 2000
	im := &Image{Width: 1, Height: 1, Pixels: []uint8{255}}
	path := func(t float64) (float64, float64) {
		if int(t/100)%2 == 0 {
			return 0, 0
		}
		return 5, 0 // out of view: black
	}
	evs, err := p.Record(im, path, 20_000, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) == 0 || len(evs) > 10 {
		t.Fatalf("%d events in 20 ms with a 2 ms refractory time, want 1..10", len(evs))
	}
	for i := 1; i < len(evs); i++ {
		if evs[i].T-evs[i-1].T < 2000 {
			t.Fatalf("events at %d and %d µs", evs[i-1].T, evs[i].T)
		}
	}
}

func TestSaccadeMNISTDeterministic(t *testing.T) {
	im := ring(28, 28)
	d := Digits{N: 2, Rows: 28, Cols: 28, Pixels: append(append([]uint8{}, im.Pixels...), im.Pixels...), Labels: []uint8{0, 0}}
	a, err := SaccadeSet("t", d, Digits{Rows: 28, Cols: 28}, DefaultParams(), 7, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SaccadeSet("t", d, Digits{Rows: 28, Cols: 28}, DefaultParams(), 7, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different events with 2 workers and with 1")
	}
	if reflect.DeepEqual(a.Train[0].Events, a.Train[1].Events) {
		t.Error("two samples of the same image have identical noise and mismatch")
	}
	n := len(a.Train[0].Events)
	t.Logf("ring digit: %d events over three saccades", n)
	if n < 500 || n > 20000 {
		t.Errorf("%d events for a digit-sized ring; N-MNIST has a few thousand per digit", n)
	}
	// Each saccade makes events: none of the three 100 ms legs is silent.
	var per [3]int
	for _, e := range a.Train[0].Events {
		per[min(2, int(e.T/SaccadeDuration))]++
	}
	for i, c := range per {
		if c < n/10 {
			t.Errorf("saccade %d has %d of %d events", i, c, n)
		}
	}
	if _, err := events.EncodeNMNIST(a.Train[0].Events, DefaultParams().Sensor()); err != nil {
		t.Errorf("not encodable as N-MNIST: %v", err)
	}
}
