package plan

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseObjective(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Objective
	}{
		{"min-energy", Objective{Goal: MetricEnergy}},
		{"max-acc", Objective{Maximise: true, Goal: MetricAccuracy}},
		{"min-energy:loss<=0.5", Objective{Goal: MetricEnergy, Constraints: []Constraint{{MetricLoss, "<=", 0.5}}}},
		{"min-chips:acc>=97", Objective{Goal: MetricChips, Constraints: []Constraint{{MetricAccuracy, ">=", 97}}}},
		{"min-chips:acc>=97%", Objective{Goal: MetricChips, Constraints: []Constraint{{MetricAccuracy, ">=", 97}}}},
		{" min-latency : energy < 20uJ , cores<=8 ", Objective{Goal: MetricLatency, Constraints: []Constraint{{MetricEnergy, "<", 20e-6}, {MetricCores, "<=", 8}}}},
		{"min-edp:latency<1ms,agreement>99.5", Objective{Goal: MetricEDP, Constraints: []Constraint{{MetricLatency, "<", 1e-3}, {MetricAgreement, ">", 99.5}}}},
		{"min-energy:latency<=250µs", Objective{Goal: MetricEnergy, Constraints: []Constraint{{MetricLatency, "<=", 250e-6}}}},
		{"min-cores:energy=3e-6", Objective{Goal: MetricCores, Constraints: []Constraint{{MetricEnergy, "=", 3e-6}}}},
		{"min-energy:edp<2nJs", Objective{Goal: MetricEnergy, Constraints: []Constraint{{MetricEDP, "<", 2e-9}}}},
		{"min-energy:energy<=5pJ", Objective{Goal: MetricEnergy, Constraints: []Constraint{{MetricEnergy, "<=", 5e-12}}}},
	} {
		t.Run(tc.text, func(t *testing.T) {
			o, err := ParseObjective(tc.text)
			require.NoError(t, err)
			tc.want.Text = tc.text
			for i := range tc.want.Constraints {
				assert.InDelta(t, tc.want.Constraints[i].Value, o.Constraints[i].Value, 1e-9*abs(tc.want.Constraints[i].Value))
				o.Constraints[i].Value = tc.want.Constraints[i].Value
			}
			assert.Equal(t, &tc.want, o)
		})
	}
}

func abs(v float64) float64 { return max(v, -v) }

func TestParseObjectiveErrors(t *testing.T) {
	for _, tc := range []struct{ text, problem string }{
		{"", `the goal "" must be min-METRIC or max-METRIC`},
		{"energy", `the goal "energy" must be min-METRIC or max-METRIC`},
		{"least-energy", `must be min-METRIC or max-METRIC`},
		{"min-power", `unknown metric "power"`},
		{"min-energy:", `no constraint after ':'`},
		{"min-energy:loss", `want METRIC OP NUMBER`},
		{"min-energy:loss<=", `"" is not a number`},
		{"min-energy:loss<=abc", `"" is not a number`},
		{"min-energy:loss<=0.5.1", `"0.5.1" is not a number`},
		{"min-energy:loss=<0.5", `want one comparison`},
		{"min-energy:loss<<0.5", `want one comparison`},
		{"min-energy:speed>3", `unknown metric "speed"`},
		{"min-energy:energy<3kJ", `unit "kJ"`},
		{"min-energy:latency<3J", `unit "J": want s`},
		{"min-energy:acc>97pc", `unit "pc": want percent`},
		{"min-energy:cores<3.5x", `a count takes no unit`},
		{"min-energy:energy<NaN", `is not a number`},
		{"min-energy:energy<1e999", `is not a number`},
		{"min-energy:acc>=97,,", `want METRIC OP NUMBER`},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, err := ParseObjective(tc.text)
			var oe *ObjectiveError
			require.True(t, errors.As(err, &oe), "%v", err)
			assert.Contains(t, err.Error(), tc.problem)
		})
	}
}

func FuzzParseObjective(f *testing.F) {
	for _, s := range []string{"min-energy:loss<=0.5", "min-chips:acc>=97", "max-acc:latency<1ms,energy<=3uJ", "min-edp:edp<2nJs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseObjective(s)
		if err != nil {
			return
		}
		if _, ok := metricUnits[o.Goal]; !ok {
			t.Fatalf("%q: goal %q accepted", s, o.Goal)
		}
		for _, c := range o.Constraints {
			if _, ok := metricUnits[c.Metric]; !ok || c.Op == "" {
				t.Fatalf("%q: constraint %+v accepted", s, c)
			}
		}
	})
}
