package spoken

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	"github.com/snnc/snnc/ir/events"
	"github.com/snnc/snnc/ir/events/cochlea"
	"github.com/snnc/snnc/ir/events/internal/parallel"
)

// Words are the spoken words by label: English 0–9, German 10–19.
var Words = [20]string{
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
	"null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun",
}

// Classes is the number of classes.
const Classes = len(Words)

// englishDialects and germanDialects are espeak-ng languages.
var (
	englishDialects = []string{"en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-us-nyc"}
	germanDialects  = []string{"de"}
)

// TrainVariants and TestVariants are espeak-ng voice variants; the two lists
// are disjoint, so the test split's speakers are never heard in training.
var (
	TrainVariants = []string{
		"m1", "m2", "m3", "m4", "m5", "f1", "f2", "f3", "klatt", "klatt2",
		"adam", "Alex", "Alicia", "Andy", "aunty", "belinda", "benjamin", "boris",
		"caleb", "david", "ed", "edward", "grandma", "linda", "max", "Michael",
		"paul", "rob", "steph", "travis", "zac", "norbert",
	}
	TestVariants = []string{"m6", "m7", "f4", "f5", "klatt3", "grandpa", "robert", "victor"}
)

// Config says what to generate.
type Config struct {
	// TrainPerClass and TestPerClass are utterances per class and split.
	TrainPerClass, TestPerClass int
	// Classes keeps the first Classes words (labels 0..Classes−1; 0: all
	// of Words). A chip with few readout neurons (XyloAudio 2: 8) takes
	// the first eight, zero…seven.
	Classes int
	// Front is the cochlear front end (e.g. cochlea.DefaultParams(700)).
	Front cochlea.Params
	// Seed draws every random choice.
	Seed uint64
	// Espeak is the espeak-ng executable ("" finds espeak-ng on PATH).
	Espeak string
	// Workers run espeak-ng and the front end in parallel (≥ 1).
	Workers int
	// Progress, when not nil, is called after each utterance with the
	// number done and the total (from one goroutine at a time).
	Progress func(done, total int)
}

// Utterance says how one sample was made.
type Utterance struct {
	Label   int
	Word    string
	Voice   string // LANGUAGE+VARIANT
	Speed   int    // words per minute
	Pitch   int    // 0–99
	Gain    float64
	DelayS  float64 // silence before the word, seconds
	SNRdB   float64
	Spikes  events.SpikeSet
	Seconds float64 // audio length including the delay
}

// Dataset is a generated spoken-digit set.
type Dataset struct {
	Channels    int
	Train, Test []Utterance
}

// ErrNoEspeak is returned when espeak-ng cannot be found.
var ErrNoEspeak = errors.New("spoken: espeak-ng not found (Debian: apt-get install espeak-ng)")

// FindEspeak returns the espeak-ng executable on PATH, or ErrNoEspeak.
func FindEspeak() (string, error) {
	p, err := exec.LookPath("espeak-ng")
	if err != nil {
		return "", ErrNoEspeak
	}
	return p, nil
}

// plan is the recipe of one utterance, drawn before any work so that the
// result does not depend on the number of workers.
type plan struct {
	split int // 0 train, 1 test
	index int
	u     Utterance
	seed  uint64
}

func makePlans(c Config) []plan {
	rng := rand.New(rand.NewPCG(c.Seed, 0x73706f6b656e))
	var plans []plan
	for split, per := range []int{c.TrainPerClass, c.TestPerClass} {
		variants := TrainVariants
		if split == 1 {
			variants = TestVariants
		}
		for i := 0; i < per; i++ {
			for label, word := range Words[:c.classes()] {
				dialects := englishDialects
				if label >= 10 {
					dialects = germanDialects
				}
				u := Utterance{
					Label:  label,
					Word:   word,
					Voice:  dialects[rng.IntN(len(dialects))] + "+" + variants[rng.IntN(len(variants))],
					Speed:  120 + rng.IntN(81),
					Pitch:  20 + rng.IntN(61),
					Gain:   math.Pow(10, (rng.Float64()*12-6)/20), // ±6 dB
					DelayS: 0.1 * rng.Float64(),
					SNRdB:  10 + 20*rng.Float64(),
				}
				plans = append(plans, plan{split: split, index: len(plans), u: u, seed: rng.Uint64()})
			}
		}
	}
	return plans
}

// classes is the number of words generated.
func (c Config) classes() int {
	if c.Classes <= 0 || c.Classes > len(Words) {
		return len(Words)
	}
	return c.Classes
}

// Generate speaks and encodes the dataset. Utterances come out ordered by
// split, then by round, then by label.
func Generate(ctx context.Context, c Config) (*Dataset, error) {
	if c.Classes < 0 || c.Classes > len(Words) {
		return nil, fmt.Errorf("spoken: %d classes: want 1..%d (0: all)", c.Classes, len(Words))
	}
	if c.TrainPerClass < 0 || c.TestPerClass < 0 || c.TrainPerClass+c.TestPerClass == 0 {
		return nil, fmt.Errorf("spoken: %d train and %d test utterances per class: want at least one", c.TrainPerClass, c.TestPerClass)
	}
	exe := c.Espeak
	if exe == "" {
		var err error
		if exe, err = FindEspeak(); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp("", "snnc-spoken-*")
	if err != nil {
		return nil, fmt.Errorf("spoken: %w", err)
	}
	defer os.RemoveAll(tmp)
	plans := makePlans(c)
	out := make([]Utterance, len(plans))
	var (
		mu       sync.Mutex
		encoders = map[int]*cochlea.Encoder{} // by sample rate; an Encoder is read-only once built
		done     int
	)
	encoderFor := func(rate int) (*cochlea.Encoder, error) {
		mu.Lock()
		defer mu.Unlock()
		if e := encoders[rate]; e != nil {
			return e, nil
		}
		e, err := cochlea.NewEncoder(c.Front, rate)
		if err != nil {
			return nil, err
		}
		encoders[rate] = e
		return e, nil
	}
	err = parallel.Map(ctx, len(plans), c.Workers, func(i int) (Utterance, error) {
		return speak(ctx, exe, filepath.Join(tmp, fmt.Sprintf("u%d.wav", i)), plans[i], encoderFor)
	}, func(i int, u Utterance) error {
		out[i] = u
		done++
		if c.Progress != nil {
			c.Progress(done, len(plans))
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("spoken: %w", err)
		}
		return nil, err
	}
	d := &Dataset{Channels: c.Front.Channels}
	for i, p := range plans {
		if p.split == 0 {
			d.Train = append(d.Train, out[i])
		} else {
			d.Test = append(d.Test, out[i])
		}
	}
	return d, nil
}

// speak runs espeak-ng for one plan and encodes the result.
func speak(ctx context.Context, exe, wav string, p plan, encoderFor func(int) (*cochlea.Encoder, error)) (Utterance, error) {
	u := p.u
	cmd := exec.CommandContext(ctx, exe, "-v", u.Voice, "-s", fmt.Sprint(u.Speed), "-p", fmt.Sprint(u.Pitch), "-w", wav, u.Word)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return u, fmt.Errorf("spoken: espeak-ng -v %s %q: %v: %s", u.Voice, u.Word, err, msg)
	}
	a, err := cochlea.ReadWAV(wav)
	os.Remove(wav)
	if err != nil {
		return u, fmt.Errorf("spoken: espeak-ng output: %w", err)
	}
	rng := rand.New(rand.NewPCG(p.seed, 1))
	a = Degrade(a, u.Gain, u.DelayS, u.SNRdB, rng)
	e, err := encoderFor(a.Rate)
	if err != nil {
		return u, err
	}
	if u.Spikes, err = e.Encode(a, u.Label, p.seed); err != nil {
		return u, err
	}
	u.Seconds = a.Duration()
	return u, nil
}

// Degrade scales a by gain, puts delay seconds of silence before it and adds
// white Gaussian noise at snrDB below the (scaled) signal's RMS power. It
// returns new audio.
func Degrade(a *cochlea.Audio, gain, delay, snrDB float64, rng *rand.Rand) *cochlea.Audio {
	pad := int(delay * float64(a.Rate))
	out := &cochlea.Audio{Rate: a.Rate, Samples: make([]float32, pad+len(a.Samples))}
	var power float64
	for i, s := range a.Samples {
		v := gain * float64(s)
		out.Samples[pad+i] = float32(v)
		power += v * v
	}
	if len(a.Samples) > 0 {
		power /= float64(len(a.Samples))
	}
	sigma := math.Sqrt(power / math.Pow(10, snrDB/10))
	for i := range out.Samples {
		out.Samples[i] = float32(max(-1, min(1, float64(out.Samples[i])+sigma*rng.NormFloat64())))
	}
	return out
}
