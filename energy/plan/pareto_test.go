package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func acc(v float64) *float64 { return &v }

// paretoPoints is a hand-made sweep. By hand, with accuracy ↑, energy ↓
// and latency ↓:
//
//	a  97%  2 µJ  100 µs   front: nothing is as accurate at that energy
//	b  95%  1 µJ  100 µs   front: least energy
//	c  95%  3 µJ  100 µs   dominated by a (more accurate, less energy, same latency)
//	d  97%  2 µJ  100 µs   front: equal to a, and equal points do not dominate
//	e  90%  5 µJ   10 µs   front: fastest
//	f  99%  9 µJ  900 µs   front: most accurate
//	g  90%  5 µJ   20 µs   dominated by e
//	h  does not fit, n/a, seed45nm (no latency): never on the front
func paretoPoints() []Point {
	pt := func(name string, a, e, l float64) Point {
		return Point{Target: name, Timesteps: 4, WeightBits: 8, Accuracy: acc(a), EnergyPerInference: e, Latency: l, Cores: 1, Chips: 1}
	}
	return []Point{
		pt("a", 0.97, 2e-6, 100e-6),
		pt("b", 0.95, 1e-6, 100e-6),
		pt("c", 0.95, 3e-6, 100e-6),
		pt("d", 0.97, 2e-6, 100e-6),
		pt("e", 0.90, 5e-6, 10e-6),
		pt("f", 0.99, 9e-6, 900e-6),
		pt("g", 0.90, 5e-6, 20e-6),
		{Target: "nofit", DoesNotFit: "compile: too big", Timesteps: 4},
		{Target: "na", NotApplicable: "no 3-bit weights", Timesteps: 4},
		{Target: "seed45nm", Timesteps: 4, Accuracy: acc(1), EnergyPerInference: 1e-9},
	}
}

func front(ps []Point) []string {
	var out []string
	for _, p := range ps {
		if p.Pareto {
			out = append(out, p.Target)
		}
	}
	return out
}

func TestParetoHandComputed(t *testing.T) {
	ps := paretoPoints()
	MarkPareto(ps)
	assert.Equal(t, []string{"a", "b", "d", "e", "f"}, front(ps))

	// Without accuracy (an estimate) only energy and latency count: a and
	// d (2 µJ, 100 µs) lose to b (1 µJ, 100 µs), f to everything faster
	// and cheaper; b and e remain.
	for i := range ps {
		ps[i].Accuracy = nil
	}
	MarkPareto(ps)
	assert.Equal(t, []string{"b", "e"}, front(ps))

	// Marks are recomputed, not accumulated.
	ps = paretoPoints()[:1]
	ps[0].Pareto = false
	MarkPareto(ps)
	assert.Equal(t, []string{"a"}, front(ps))
}

func TestAnswer(t *testing.T) {
	r := &Result{Points: paretoPoints(), FloatAccuracy: acc(0.98)}
	MarkPareto(r.Points)
	r.Points[1].Cores, r.Points[1].Chips = 12, 2 // b
	r.Points[5].Chips = 1                        // f
	for _, tc := range []struct {
		objective, want, reason string
	}{
		{"min-energy", "b", ""},
		{"min-energy:loss<=0.5", "f", ""},   // only f loses < 0.5 points (98 → 99 is a gain)
		{"min-energy:loss<=1", "a", ""},     // a and d tie: the earlier
		{"min-energy:acc>=95", "b", ""},     // 95 ≥ 95
		{"min-energy:acc>95", "a", ""},      // strictly
		{"min-latency", "e", ""},            // 10 µs
		{"min-latency:energy<5uJ", "b", ""}, // a, b, c, d share 100 µs: ties go to the least energy
		{"max-acc", "f", ""},                // 99%
		{"max-acc:latency<=100us", "a", ""}, // 97%, a before d
		{"min-chips:acc>=97", "a", ""},      // a, d, f have 1 chip: the least energy of them
		{"min-edp", "", "no chip point that fits has a edp figure"},
		{"min-energy:acc>=99.5", "", "no chip point that fits meets every constraint"},
		{"min-energy:energy<=1.5e-6", "b", ""},
		{"min-energy:energy<=1500nJ", "b", ""},
		{"min-energy:energy<=0.0015mJ", "b", ""},
	} {
		t.Run(tc.objective, func(t *testing.T) {
			o, err := ParseObjective(tc.objective)
			require.NoError(t, err)
			a := r.Answer(o)
			if tc.want == "" {
				assert.Equal(t, -1, a.Point)
				assert.Equal(t, tc.reason, a.Reason)
				return
			}
			require.GreaterOrEqual(t, a.Point, 0, a.Reason)
			assert.Equal(t, tc.want, r.Points[a.Point].Target)
		})
	}
}
