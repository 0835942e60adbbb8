package plan

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/sim"
	"github.com/snnc/snnc/targets"
)

// testModel is a small untrained dense network on MNIST's 784 pixels: it
// compiles for the Loihi targets and not for TrueNorth (direct input,
// fan-in), which is what the sweep must show.
func testModel() *ir.Model { return compile.RandomDense([]int{784, 48, 10}, 4, 7) }

var (
	testSetOnce sync.Once
	testSet     *dataset.Set
	testSetErr  error
)

func embeddedSet(t *testing.T) *dataset.Set {
	t.Helper()
	testSetOnce.Do(func() { testSet, testSetErr = dataset.Default() })
	require.NoError(t, testSetErr)
	return testSet
}

const testLimit = 24

func testSettings(t *testing.T) Settings {
	return Settings{
		Targets:    []string{energy.SeedTarget, "loihi", "loihi2", "truenorth"},
		WeightBits: []int{0, 6},
		Timesteps:  []int{2, 0},
		Data:       embeddedSet(t),
		Limit:      testLimit,
		Jobs:       2,
	}
}

// TestPointsEqualByHand: every point's figures are those of compiling,
// simulating and pricing by hand with the same settings (compile.Compile
// with the weight bits, the compiled model run for T steps by sim.Run with
// the float reference beside it, energy.Chip with the target's first
// energy model; seed45nm: sim.RunFloat and energy.Seed).
func TestPointsEqualByHand(t *testing.T) {
	m := testModel()
	s := testSettings(t)
	s.Graded = []bool{false, true}
	res, err := Run(context.Background(), m, s)
	require.NoError(t, err)
	// seed45nm has float weights: its two precisions are one point.
	require.Len(t, res.Points, (1+3*2)*2*2)
	ctx := context.Background()
	fits := 0
	for i := range res.Points {
		p := &res.Points[i]
		t.Run(p.Label(), func(t *testing.T) {
			if !p.Fits() {
				return
			}
			fits++
			opts := sim.Options{Limit: testLimit, Reference: true}
			var want *energy.TargetReport
			cores, chips := 0, 0
			if p.Target == energy.SeedTarget {
				fm := *m
				fm.Timesteps = p.Timesteps
				st, err := sim.RunFloat(ctx, &fm, s.Data, opts)
				require.NoError(t, err)
				want, err = energy.Seed(&fm, energy.FromStats(st), energy.Seed45nm)
				require.NoError(t, err)
			} else {
				tg, err := targets.Lookup(p.Target)
				require.NoError(t, err)
				gi, gh := gradedOptions(m, p.Graded)
				res, err := compile.Compile(m, tg, compile.Options{WeightBits: p.WeightBits, GradedInput: gi, GradedHidden: gh})
				require.NoError(t, err)
				cm := *res.Model
				cm.Timesteps = p.Timesteps
				st, err := sim.Run(ctx, &cm, s.Data, opts)
				require.NoError(t, err)
				want, err = energy.Chip(&cm, energy.FromStats(st), tg, &tg.Energy[0])
				require.NoError(t, err)
				cores, chips = res.Report.Cores, res.Report.Chips
				require.Equal(t, st.Agreement(), *p.Agreement, "agreement")
				require.Equal(t, st.ReferenceAccuracy(), *p.ReferenceAccuracy, "float reference accuracy")
			}
			assert.Equal(t, want.EnergyPerInference, p.EnergyPerInference, "energy per inference")
			assert.Equal(t, want.Latency, p.Latency, "latency")
			assert.Equal(t, want.EDP, p.EDP, "EDP")
			assert.Equal(t, *want.Accuracy, *p.Accuracy, "accuracy")
			assert.Equal(t, want.Steps, p.Steps, "steps")
			assert.Equal(t, testLimit, p.Samples)
			assert.Equal(t, cores, p.Cores, "cores")
			assert.Equal(t, chips, p.Chips, "chips")
		})
	}
	// seed45nm, the two Loihis at both precisions and both T, and loihi2
	// with graded input too.
	assert.Equal(t, 2+2*2*2+2*2, fits)
	// T changes the run, not the compilation: the steps differ by 2.
	byLabel := map[string]*Point{}
	for i := range res.Points {
		byLabel[res.Points[i].Label()] = &res.Points[i]
	}
	assert.Equal(t, byLabel["loihi 8-bit T=4"].Steps-2, byLabel["loihi 8-bit T=2"].Steps)
	assert.Equal(t, byLabel["loihi 8-bit T=4"].Cores, byLabel["loihi 8-bit T=2"].Cores)
	// Six compilations (2 Loihis × 2 precisions, loihi2 with graded input
	// at both) and TrueNorth's refusal.
	assert.Equal(t, 7, res.Compiled)
	assert.Equal(t, "loihi has binary spikes only", byLabel["loihi 8-bit T=4 graded"].NotApplicable)
	assert.True(t, byLabel["loihi2 8-bit T=4 graded"].Fits())
	tn := byLabel["truenorth 9-bit T=4"]
	require.NotNil(t, tn)
	assert.Contains(t, tn.DoesNotFit, "direct-current input")
	assert.Greater(t, len(tn.Limits), 1, "every limit broken is listed")
	assert.Contains(t, byLabel["truenorth 6-bit T=4"].NotApplicable, "no 6-bit weights")
	require.NotNil(t, res.FloatAccuracy)
	assert.Equal(t, *byLabel["seed45nm float T=4"].Accuracy, *res.FloatAccuracy, "the baseline is the float model at its own T")
}

// TestCacheSecondRunComputesNothing counts compilations and simulations:
// a second run of the same sweep computes none and gives the same points;
// one more T computes only the new points, compiling nothing.
func TestCacheSecondRunComputesNothing(t *testing.T) {
	m := testModel()
	s := testSettings(t)
	s.Targets = []string{"loihi", "truenorth", energy.SeedTarget}
	s.Timesteps = []int{4}
	s.CacheDir = t.TempDir()
	ctx := context.Background()

	first, err := Run(ctx, m, s)
	require.NoError(t, err)
	assert.Equal(t, 3, first.Compiled, "loihi at 8 and 6 bits, truenorth's refusal")
	assert.Equal(t, 3, first.Simulated, "loihi twice and seed45nm")

	second, err := Run(ctx, m, s)
	require.NoError(t, err)
	assert.Zero(t, second.Compiled)
	assert.Zero(t, second.Simulated)
	require.Len(t, second.Points, len(first.Points))
	for i := range first.Points {
		a, b := first.Points[i], second.Points[i]
		assert.Equal(t, a.NotApplicable == "", b.Cached, "%s: cached", a.Label())
		b.Cached = a.Cached
		assert.Equal(t, a, b, "point %d from the cache", i)
	}

	s.Timesteps = []int{4, 2}
	third, err := Run(ctx, m, s)
	require.NoError(t, err)
	assert.Zero(t, third.Compiled, "a new T reuses the compiled networks")
	assert.Equal(t, 3, third.Simulated, "only the T = 2 points (truenorth's refusal is cached)")

	// Another model is another key.
	other := compile.RandomDense([]int{784, 48, 10}, 4, 8)
	fourth, err := Run(ctx, other, s)
	require.NoError(t, err)
	assert.Equal(t, 3, fourth.Compiled)
}

// TestCacheSurvivesInterrupt cancels the sweep after its first point: the
// finished points are in the cache and a rerun computes only the others.
func TestCacheSurvivesInterrupt(t *testing.T) {
	m := testModel()
	s := testSettings(t)
	s.Targets = []string{"loihi", "loihi2"}
	s.WeightBits = []int{0}
	s.Timesteps = []int{2, 3, 4}
	s.Jobs = 1
	s.CacheDir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s.Progress = func(p Progress) { cancel() }
	res, err := Run(ctx, m, s)
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	assert.Equal(t, 1, res.Finished)
	assert.Equal(t, 1, res.Simulated)

	s.Progress = nil
	again, err := Run(context.Background(), m, s)
	require.NoError(t, err)
	assert.Equal(t, 6, again.Finished)
	assert.Equal(t, 5+1, again.Simulated, "the five other points and the float baseline")
	assert.Equal(t, 1, again.Compiled, "loihi2's network (loihi's was compiled before the interrupt)")
}

// TestCorruptCacheEntryIsRecomputed: an unreadable entry counts as missing.
func TestCorruptCacheEntryIsRecomputed(t *testing.T) {
	m := testModel()
	s := testSettings(t)
	s.Targets = []string{"loihi"}
	s.WeightBits, s.Timesteps = nil, nil
	s.CacheDir = t.TempDir()
	_, err := Run(context.Background(), m, s)
	require.NoError(t, err)
	c := openCache(s.CacheDir)
	for _, kind := range []string{"compile", "point"} {
		ents, err := filepathGlob(c, kind)
		require.NoError(t, err)
		require.NotEmpty(t, ents)
		for _, e := range ents {
			require.NoError(t, writeFile(e, []byte("{garbage")))
		}
	}
	res, err := Run(context.Background(), m, s)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Compiled)
	assert.Equal(t, 2, res.Simulated, "the loihi point and the baseline")
}

func TestSettingsErrors(t *testing.T) {
	m := testModel()
	for _, tc := range []struct {
		name  string
		edit  func(*Settings)
		field string
	}{
		{"unknown target", func(s *Settings) { s.Targets = []string{"loihi3"} }, "Targets"},
		{"all inside a list", func(s *Settings) { s.Targets = []string{energy.AllTargets} }, "Targets"},
		{"negative bits", func(s *Settings) { s.WeightBits = []int{-1} }, "WeightBits"},
		{"negative T", func(s *Settings) { s.Timesteps = []int{-2} }, "Timesteps"},
		{"negative limit", func(s *Settings) { s.Limit = -1 }, "Limit"},
		{"rate above 1", func(s *Settings) { s.Estimate, s.Rate = true, 1.5 }, "Rate"},
		{"timing", func(s *Settings) { s.Timing = "fast" }, "Timing"},
		{"energy model", func(s *Settings) { s.EnergyModel = "nope" }, "EnergyModel"},
		{"jobs", func(s *Settings) { s.Jobs = -1 }, "Jobs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Settings{Data: embeddedSet(t)}
			tc.edit(&s)
			_, err := Run(context.Background(), m, s)
			var se *SettingsError
			require.True(t, errors.As(err, &se), "%v", err)
			assert.Equal(t, tc.field, se.Field)
		})
	}
}

// TestFitsNowhere: a model no chip target takes gives every point's
// binding limit and the text says so; it is not an error.
func TestFitsNowhere(t *testing.T) {
	s := testSettings(t)
	s.Targets = []string{"truenorth"}
	s.WeightBits, s.Timesteps = nil, nil
	res, err := Run(context.Background(), testModel(), s)
	require.NoError(t, err)
	require.Len(t, res.Points, 1)
	assert.NotEmpty(t, res.Points[0].DoesNotFit)
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, res))
	out := buf.String()
	assert.Contains(t, out, "The model fits no chip target. Binding limits:")
	assert.Contains(t, out, "truenorth, 9-bit weights:")
	assert.Contains(t, out, "fan-in")
	assert.Contains(t, out, "Pareto front: empty")
}

// TestEstimate: --rate plans without data: accuracy is empty, the figures
// are energy's estimate of the compiled network at that T.
func TestEstimate(t *testing.T) {
	m := testModel()
	s := Settings{Targets: []string{"loihi"}, Timesteps: []int{2}, Estimate: true, Rate: 0.1}
	res, err := Run(context.Background(), m, s)
	require.NoError(t, err)
	require.Len(t, res.Points, 1)
	p := res.Points[0]
	require.True(t, p.Fits())
	assert.Nil(t, p.Accuracy)
	assert.Nil(t, res.FloatAccuracy)
	assert.True(t, p.Estimate)

	tg, err := targets.Lookup("loihi")
	require.NoError(t, err)
	c, err := compile.Compile(m, tg, compile.Options{FiringRates: []float64{0.1, 0.1}})
	require.NoError(t, err)
	cm := *c.Model
	cm.Timesteps = 2
	run, err := energy.Estimate(&cm, tg, 0.1)
	require.NoError(t, err)
	want, err := energy.Chip(&cm, run, tg, &tg.Energy[0])
	require.NoError(t, err)
	assert.Equal(t, want.EnergyPerInference, p.EnergyPerInference)
	assert.Equal(t, want.Latency, p.Latency)
	assert.True(t, p.Pareto, "the only chip point is on the front")

	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, res))
	assert.Contains(t, buf.String(), "ESTIMATE")
}

// TestGradedAxis: graded spikes are n/a with a reason where the target
// has binary spikes only, and where the compiler refuses graded input (an
// input that is not a direct current).
func TestGradedAxis(t *testing.T) {
	s := testSettings(t)
	s.WeightBits, s.Timesteps = nil, nil
	s.Graded = []bool{true}
	m := testModel()
	m.Input.Encoding = ir.EncodingRate
	res, err := Run(context.Background(), m, s)
	require.NoError(t, err)
	for _, p := range res.Points {
		require.NotEmpty(t, p.NotApplicable, p.Label())
		switch p.Target {
		case "loihi2":
			assert.Contains(t, p.NotApplicable, "compile: graded input sends a direct-current input as graded spikes; this model's input is rate-encoded")
		case energy.SeedTarget:
			assert.Equal(t, "the seed's arithmetic model has no spikes to grade", p.NotApplicable)
		default:
			assert.Equal(t, p.Target+" has binary spikes only", p.NotApplicable)
		}
	}
	assert.Equal(t, 1, res.Compiled, "loihi2's refusal")
}

func TestWriteFormats(t *testing.T) {
	s := testSettings(t)
	s.Targets = []string{"loihi", "truenorth", energy.SeedTarget}
	s.WeightBits = []int{0, 3}
	s.Timesteps = nil
	res, err := Run(context.Background(), testModel(), s)
	require.NoError(t, err)
	o, err := ParseObjective("min-energy:agreement>=0")
	require.NoError(t, err)
	res.Objectives = append(res.Objectives, res.Answer(o))

	var text, csvOut, js, html bytes.Buffer
	require.NoError(t, Write(&text, res, "text"))
	require.NoError(t, Write(&csvOut, res, "csv"))
	require.NoError(t, Write(&js, res, "json"))
	require.NoError(t, Write(&html, res, "html"))
	assert.Error(t, Write(&text, res, "xml"))

	for _, p := range res.Points {
		assert.Contains(t, text.String(), p.Status())
	}
	assert.Contains(t, text.String(), "n/a: truenorth has no 3-bit weights")
	assert.Contains(t, text.String(), "objective min-energy:agreement>=0: loihi ")
	assert.Equal(t, len(res.Points)+1, strings.Count(csvOut.String(), "\n"))
	assert.Contains(t, js.String(), `"not_applicable": "truenorth has no 3-bit weights`)
	h := html.String()
	assert.Equal(t, 3, strings.Count(h, "<svg"), "accuracy vs energy, Pareto front, cores")
	assert.NotContains(t, h, "<script")
	assert.NotContains(t, h, "src=")
	assert.NotContains(t, h, "href=")
	assert.Contains(t, h, `class="pareto"`)
}

// TestHashKeysSeparateParts: the key is over length-prefixed parts.
func TestHashKeysSeparateParts(t *testing.T) {
	assert.NotEqual(t, keyOf("ab", "c"), keyOf("a", "bc"))
	assert.Equal(t, keyOf("a", "b"), keyOf("a", "b"))
	assert.Len(t, keyOf(), 64)
}

func filepathGlob(c *Cache, kind string) ([]string, error) {
	return filepath.Glob(filepath.Join(c.dir, kind, "*"))
}

func writeFile(path string, b []byte) error { return os.WriteFile(path, b, 0o644) }
