package train

import (
	"math"
	"math/rand/v2"
)

// rng is the trainer's single source of randomness (initialisation,
// shuffling, per-batch mask seeds). Its state is saved in checkpoints.
type rng struct {
	pcg *rand.PCG
	r   *rand.Rand
}

func newRNG(seed uint64) *rng { return newRNGStream(seed, seed^0x5851f42d4c957f2d) }

// newRNGStream is a PCG generator with the given seed and stream (the
// trinary networks' trainer uses stream 0x736e6e63, "snnc").
func newRNGStream(seed, stream uint64) *rng {
	p := rand.NewPCG(seed, stream)
	return &rng{pcg: p, r: rand.New(p)}
}

func (g *rng) uniform(lo, hi float32) float32 { return lo + (hi-lo)*g.r.Float32() }

func (g *rng) state() ([]byte, error) { return g.pcg.MarshalBinary() }

func (g *rng) setState(b []byte) error { return g.pcg.UnmarshalBinary(b) }

// maskRNG is a tiny splitmix64 generator for the Bernoulli spike masks; one
// is seeded per sample from the batch seed and the sample's position, so the
// masks do not depend on which goroutine handles the sample.
type maskRNG struct{ s uint64 }

func newMaskRNG(batchSeed uint64, b int) maskRNG {
	return maskRNG{s: batchSeed ^ (uint64(b+1) * 0x9e3779b97f4a7c15)}
}

func (m *maskRNG) next() uint64 {
	m.s += 0x9e3779b97f4a7c15
	return mix64(m.s)
}

// mix64 is splitmix64's output function of the state z.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// pThreshold converts a probability to a threshold on 32 random bits.
func pThreshold(p float64) uint64 {
	return uint64(math.Round(p * (1 << 32)))
}
