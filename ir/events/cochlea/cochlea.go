package cochlea

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/snnc/snnc/ir/events"
)

// Params configure the front end (see the package documentation).
type Params struct {
	// Channels is the number of frequency channels N (700 for SHD-like data,
	// 16 for Xylo-like data).
	Channels int
	// LowHz and HighHz bound the centre frequencies; HighHz is lowered to
	// 0.45 of the sample rate when above it.
	LowHz, HighHz float64
	// Reference is a_ref of the log compression (full scale is 1).
	Reference float64
	// Gain scales the compressed signal into the integrator (per second).
	Gain float64
	// Tau is the integrator's leak time constant in seconds.
	Tau float64
	// Refractory is the minimum time between two spikes of a channel, in
	// seconds.
	Refractory float64
}

// DefaultParams returns the front end with n channels between 100 Hz and
// 8 kHz.
func DefaultParams(n int) Params {
	return Params{Channels: n, LowHz: 100, HighHz: 8000, Reference: 0.002, Gain: 100, Tau: 0.01, Refractory: 0.002}
}

func (p Params) check() error {
	switch {
	case p.Channels < 1 || p.Channels > 1<<16:
		return fmt.Errorf("cochlea: %d channels, want 1–65536", p.Channels)
	case !(p.LowHz > 0 && p.HighHz > p.LowHz):
		return fmt.Errorf("cochlea: band %g–%g Hz, want 0 < low < high", p.LowHz, p.HighHz)
	case !(p.Reference > 0 && p.Gain > 0 && p.Tau > 0 && p.Refractory >= 0):
		return fmt.Errorf("cochlea: reference %g, gain %g, τ %g s, refractory %g s: want positive values", p.Reference, p.Gain, p.Tau, p.Refractory)
	}
	return nil
}

// Band is one channel's band-pass filter.
type Band struct {
	// CentreHz and WidthHz are f_k and B_k.
	CentreHz, WidthHz float64
	b0, b2, a1, a2    float64 // normalised biquad (b1 = 0 for the band-pass)
}

// Filterbank designs the channels' filters for a sample rate.
func (p Params) Filterbank(rate int) ([]Band, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	lo, hi := p.LowHz, min(p.HighHz, 0.45*float64(rate))
	if hi <= lo {
		return nil, fmt.Errorf("cochlea: a %d Hz rate leaves no band above %g Hz", rate, lo)
	}
	n := p.Channels
	ratio := 1.0
	if n > 1 {
		ratio = math.Pow(hi/lo, 1/float64(n-1))
	}
	bands := make([]Band, n)
	for k := range bands {
		f := lo * math.Pow(ratio, float64(k))
		if n == 1 {
			f = math.Sqrt(lo * hi)
		}
		erb := 24.7 * (4.37*f/1000 + 1)
		bw := max(erb, f*(ratio-1))
		q := f / bw
		w := 2 * math.Pi * f / float64(rate)
		alpha := math.Sin(w) / (2 * q)
		a0 := 1 + alpha
		bands[k] = Band{CentreHz: f, WidthHz: bw, b0: alpha / a0, b2: -alpha / a0, a1: -2 * math.Cos(w) / a0, a2: (1 - alpha) / a0}
	}
	return bands, nil
}

// Encoder turns audio into spikes. It is read-only once made, so one
// Encoder serves any number of goroutines.
type Encoder struct {
	p     Params
	rate  int
	bands []Band
}

// NewEncoder designs the front end for audio at rate Hz.
func NewEncoder(p Params, rate int) (*Encoder, error) {
	bands, err := p.Filterbank(rate)
	if err != nil {
		return nil, err
	}
	return &Encoder{p: p, rate: rate, bands: bands}, nil
}

// Bands returns the channels' filters.
func (e *Encoder) Bands() []Band { return e.bands }

// Encode turns a into a spike set with the given label; seed draws the
// initial membrane potentials.
func (e *Encoder) Encode(a *Audio, label int, seed uint64) (events.SpikeSet, error) {
	if a.Rate != e.rate {
		return events.SpikeSet{}, fmt.Errorf("cochlea: audio at %d Hz, encoder designed for %d Hz", a.Rate, e.rate)
	}
	rng := rand.New(rand.NewPCG(seed, 0x636f63686c6561))
	type spike struct {
		n    int
		unit uint16
	}
	var spikes []spike
	dt := 1 / float64(e.rate)
	leak := math.Exp(-dt / e.p.Tau)
	in := e.p.Gain * dt
	inv := 1 / e.p.Reference
	refr := int(math.Ceil(e.p.Refractory * float64(e.rate)))
	for k, b := range e.bands {
		v := rng.Float64()
		// Two cascaded biquads, direct form I.
		var x1, x2, y1, y2, z1, z2 float64
		last := -refr - 1
		for n, s := range a.Samples {
			x := float64(s)
			y := b.b0*x + b.b2*x2 - b.a1*y1 - b.a2*y2
			z := b.b0*y + b.b2*y2 - b.a1*z1 - b.a2*z2 // y2 is still y[n−2]
			x2, x1 = x1, x
			y2, y1 = y1, y
			z2, z1 = z1, z
			v *= leak
			if z > 0 {
				v += in * math.Log1p(z*inv)
			}
			if v >= 1 && n-last >= refr {
				spikes = append(spikes, spike{n, uint16(k)})
				v--
				last = n
			}
		}
	}
	slices.SortStableFunc(spikes, func(a, b spike) int { return cmp.Compare(a.n, b.n) })
	out := events.SpikeSet{Times: make([]float32, len(spikes)), Units: make([]uint16, len(spikes)), Label: label}
	for i, s := range spikes {
		out.Times[i] = float32(float64(s.n) * dt)
		out.Units[i] = s.unit
	}
	return out, nil
}
