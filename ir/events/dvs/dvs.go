package dvs

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/snnc/snnc/ir/events"
)

// Params are the sensor's parameters (see the package documentation).
type Params struct {
	// Width and Height are the pixel array's size.
	Width, Height int
	// Threshold is the contrast threshold θ in natural-log units.
	Threshold float64
	// Mismatch is the standard deviation of θ across pixels.
	Mismatch float64
	// Refractory is the pixel's dead time after an event, in µs.
	Refractory uint32
	// NoiseRate is the background activity per pixel, in events per second.
	NoiseRate float64
	// Dark is the dark current relative to a white pixel (0 < Dark < 1).
	Dark float64
	// Step is the simulation time step in µs.
	Step uint32
}

// DefaultParams returns an N-MNIST-like 34×34 sensor: θ = 0.3 ± 0.03,
// 1 ms refractory time, 0.2 noise events per pixel per second, dark current
// 5% of white, 100 µs steps.
func DefaultParams() Params {
	return Params{Width: 34, Height: 34, Threshold: 0.3, Mismatch: 0.03, Refractory: 1000,
		NoiseRate: 0.2, Dark: 0.05, Step: 100}
}

// Sensor is the event address space of the pixel array (2 polarities).
func (p Params) Sensor() events.Sensor {
	return events.Sensor{Width: p.Width, Height: p.Height, Polarities: 2}
}

func (p Params) check() error {
	switch {
	case p.Width <= 0 || p.Width > 256 || p.Height <= 0 || p.Height > events.OverflowY:
		return fmt.Errorf("dvs: sensor %d×%d: the N-MNIST format holds at most 256×240 pixels", p.Width, p.Height)
	case !(p.Threshold > 0) || !(p.Mismatch >= 0):
		return fmt.Errorf("dvs: threshold %g ± %g: want a positive threshold and a non-negative mismatch", p.Threshold, p.Mismatch)
	case !(p.Dark > 0 && p.Dark < 1):
		return fmt.Errorf("dvs: dark current %g: want 0 < dark < 1", p.Dark)
	case p.Step == 0 || !(p.NoiseRate >= 0):
		return fmt.Errorf("dvs: step %d µs, noise %g Hz: want a positive step and a non-negative rate", p.Step, p.NoiseRate)
	}
	return nil
}

// Image is a grey image, row-major, 0 = black, 255 = white.
type Image struct {
	Width, Height int
	Pixels        []uint8
}

// at samples the image bilinearly at (u, v) in pixel units (pixel centres at
// half-integers), black outside.
func (im *Image) at(u, v float64) float64 {
	u, v = u-0.5, v-0.5
	x0, y0 := math.Floor(u), math.Floor(v)
	fx, fy := u-x0, v-y0
	ix, iy := int(x0), int(y0)
	px := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= im.Width || y >= im.Height {
			return 0
		}
		return float64(im.Pixels[y*im.Width+x])
	}
	return (1-fy)*((1-fx)*px(ix, iy)+fx*px(ix+1, iy)) + fy*((1-fx)*px(ix, iy+1)+fx*px(ix+1, iy+1))
}

// Path gives the image's top-left corner in field pixels at time t µs.
type Path func(t float64) (x, y float64)

// Still is a Path that never moves, with the corner at (x, y).
func Still(x, y float64) Path { return func(float64) (float64, float64) { return x, y } }

// SaccadeDuration is the length of one saccade of Saccades, in µs.
const SaccadeDuration = 100_000

// saccadeCorners are the triangle's vertices (see the package documentation).
var saccadeCorners = [4][2]float64{{1, 4.5}, {5, 4.5}, {3, 1}, {1, 4.5}}

// Saccades returns N-MNIST's three-saccade triangle and its duration in µs.
func Saccades() (Path, uint32) {
	return func(t float64) (float64, float64) {
		leg := int(t / SaccadeDuration)
		if t < 0 {
			return saccadeCorners[0][0], saccadeCorners[0][1]
		}
		if leg >= 3 {
			return saccadeCorners[3][0], saccadeCorners[3][1]
		}
		u := (t - float64(leg)*SaccadeDuration) / SaccadeDuration
		s := (1 - math.Cos(math.Pi*u)) / 2
		a, b := saccadeCorners[leg], saccadeCorners[leg+1]
		return a[0] + s*(b[0]-a[0]), a[1] + s*(b[1]-a[1])
	}, 3 * SaccadeDuration
}

// Record simulates the pixel array watching im move along path for duration
// µs and returns the events sorted by time. rng draws the threshold mismatch
// and the noise.
func (p Params) Record(im *Image, path Path, duration uint32, rng *rand.Rand) ([]events.Event, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	if im.Width <= 0 || im.Height <= 0 || len(im.Pixels) != im.Width*im.Height {
		return nil, fmt.Errorf("dvs: image %d×%d with %d pixels", im.Width, im.Height, len(im.Pixels))
	}
	n := p.Width * p.Height
	type pixel struct {
		ref, prev   float64 // log intensity at the last event; at the last step
		thOn, thOff float64
		last        float64 // time of the last event, µs (−∞: none yet)
		nextNoise   float64 // time of the next noise event, µs
	}
	px := make([]pixel, n)
	minTh := p.Threshold / 4
	logAt := func(i int, t float64) float64 {
		ox, oy := path(t)
		x, y := i%p.Width, i/p.Width
		v := im.at(float64(x)+0.5-ox, float64(y)+0.5-oy)
		return math.Log(p.Dark + (1-p.Dark)*v/255)
	}
	nextNoise := func(t float64) float64 {
		if p.NoiseRate == 0 {
			return math.Inf(1)
		}
		return t + rng.ExpFloat64()/p.NoiseRate*1e6
	}
	for i := range px {
		l := logAt(i, 0)
		px[i] = pixel{ref: l, prev: l, last: math.Inf(-1),
			thOn:  max(minTh, p.Threshold+p.Mismatch*rng.NormFloat64()),
			thOff: max(minTh, p.Threshold+p.Mismatch*rng.NormFloat64())}
		px[i].nextNoise = nextNoise(0)
	}
	var out []events.Event
	refr := float64(p.Refractory)
	emit := func(i int, t float64, pol uint8) {
		out = append(out, events.Event{X: uint16(i % p.Width), Y: uint16(i / p.Width), Polarity: pol, T: uint32(t)})
	}
	step := float64(p.Step)
	dark := dark(im, path, p, duration)
	for k := 1; float64(k)*step <= float64(duration); k++ {
		t0, t1 := float64(k-1)*step, float64(k)*step
		ox, oy := path(t1)
		for i := range px {
			q := &px[i]
			for q.nextNoise < t1 {
				if tn := q.nextNoise; tn-q.last >= refr {
					emit(i, math.Floor(tn), uint8(rng.IntN(2)))
					q.last = math.Floor(tn)
				}
				q.nextNoise = nextNoise(q.nextNoise)
			}
			if dark[i] {
				continue // L = L_ref = ln b throughout: no change events
			}
			x, y := i%p.Width, i/p.Width
			v := im.at(float64(x)+0.5-ox, float64(y)+0.5-oy)
			l := math.Log(p.Dark + (1-p.Dark)*v/255)
			d := l - q.ref
			var pol uint8
			var th float64
			switch {
			case d >= q.thOn:
				pol, th = 1, q.ref+q.thOn
			case -d >= q.thOff:
				pol, th = 0, q.ref-q.thOff
			default:
				q.prev = l
				continue
			}
			// Crossing time, linear between the two samples.
			te := t1
			if l != q.prev {
				f := (th - q.prev) / (l - q.prev)
				te = t0 + step*min(1, max(0, f))
			}
			te = math.Ceil(te)
			if te-q.last < refr {
				te = q.last + refr
				if te > t1 { // still refractory: try again next step
					q.prev = l
					continue
				}
			}
			emit(i, te, pol)
			q.last, q.ref, q.prev = te, l, l
		}
	}
	slices.SortStableFunc(out, func(a, b events.Event) int { return cmp.Compare(a.T, b.T) })
	return out, nil
}

// dark reports the pixels that see black throughout the recording: every
// image pixel their bilinear sample can touch, over the path's bounding box
// (sampled at every step), is 0. Skipping them changes no event: their log
// intensity stays ln b, equal to L_ref.
func dark(im *Image, path Path, p Params, duration uint32) []bool {
	oxMin, oyMin := path(0)
	oxMax, oyMax := oxMin, oyMin
	for k := 1; float64(k)*float64(p.Step) <= float64(duration); k++ {
		ox, oy := path(float64(k) * float64(p.Step))
		oxMin, oxMax, oyMin, oyMax = min(oxMin, ox), max(oxMax, ox), min(oyMin, oy), max(oyMax, oy)
	}
	out := make([]bool, p.Width*p.Height)
	for i := range out {
		x, y := float64(i%p.Width), float64(i/p.Width)
		x0, x1 := int(math.Floor(x-oxMax)), int(math.Floor(x-oxMin))+1
		y0, y1 := int(math.Floor(y-oyMax)), int(math.Floor(y-oyMin))+1
		black := true
		for iy := max(0, y0); iy <= min(im.Height-1, y1) && black; iy++ {
			for ix := max(0, x0); ix <= min(im.Width-1, x1); ix++ {
				if im.Pixels[iy*im.Width+ix] != 0 {
					black = false
					break
				}
			}
		}
		out[i] = black
	}
	return out
}
