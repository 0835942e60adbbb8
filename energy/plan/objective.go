package plan

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ObjectiveGrammar is the syntax of an objective, for help texts and
// errors.
const ObjectiveGrammar = `objective  = goal [ ":" constraint { "," constraint } ]
goal       = ( "min-" | "max-" ) metric
constraint = metric ( "<=" | ">=" | "<" | ">" | "=" ) number [ unit ]
metric     = energy | latency | edp | cores | chips | acc | loss | agreement
units      energy J (pJ nJ uJ µJ mJ; bare: J), latency s (ns us µs ms; bare: s),
           edp Js (bare: Js), acc, loss, agreement in percent (points; "%" optional),
           cores and chips counts; loss = the float model's accuracy at its own T
           minus the point's`

// Metric is a figure of a point an objective can rank or bound.
type Metric string

// The metrics of objectives.
const (
	MetricEnergy    Metric = "energy"
	MetricLatency   Metric = "latency"
	MetricEDP       Metric = "edp"
	MetricCores     Metric = "cores"
	MetricChips     Metric = "chips"
	MetricAccuracy  Metric = "acc"
	MetricLoss      Metric = "loss"
	MetricAgreement Metric = "agreement"
)

var metricUnits = map[Metric]string{
	MetricEnergy: "J", MetricLatency: "s", MetricEDP: "Js",
	MetricCores: "", MetricChips: "", MetricAccuracy: "%", MetricLoss: "%", MetricAgreement: "%",
}

// Constraint bounds a metric: Metric Op Value (Value in J, s, J·s, counts
// or percent).
type Constraint struct {
	Metric Metric
	Op     string
	Value  float64
}

// Objective picks the point that minimises (or maximises) Goal among the
// points that fit and meet every constraint.
type Objective struct {
	// Text is the objective as written.
	Text        string
	Maximise    bool
	Goal        Metric
	Constraints []Constraint
}

// ObjectiveError is a malformed objective.
type ObjectiveError struct {
	Text, Problem string
}

func (e *ObjectiveError) Error() string {
	return fmt.Sprintf("plan: objective %q: %s", e.Text, e.Problem)
}

// ParseObjective parses an objective (ObjectiveGrammar), e.g.
// "min-energy:loss<=0.5" or "min-chips:acc>=97,latency<1ms".
func ParseObjective(text string) (*Objective, error) {
	fail := func(format string, a ...any) (*Objective, error) {
		return nil, &ObjectiveError{Text: text, Problem: fmt.Sprintf(format, a...)}
	}
	o := &Objective{Text: text}
	goal, rest, hasRest := strings.Cut(strings.TrimSpace(text), ":")
	goal = strings.TrimSpace(goal)
	switch {
	case strings.HasPrefix(goal, "min-"):
	case strings.HasPrefix(goal, "max-"):
		o.Maximise = true
	default:
		return fail("the goal %q must be min-METRIC or max-METRIC (metrics: %s)", goal, metricList())
	}
	o.Goal = Metric(goal[4:])
	if _, ok := metricUnits[o.Goal]; !ok {
		return fail("unknown metric %q (metrics: %s)", goal[4:], metricList())
	}
	if !hasRest {
		return o, nil
	}
	if strings.TrimSpace(rest) == "" {
		return fail("no constraint after ':'")
	}
	for _, part := range strings.Split(rest, ",") {
		c, err := parseConstraint(strings.TrimSpace(part))
		if err != "" {
			return fail("constraint %q: %s", part, err)
		}
		o.Constraints = append(o.Constraints, c)
	}
	return o, nil
}

func metricList() string {
	return "energy, latency, edp, cores, chips, acc, loss, agreement"
}

// parseConstraint parses "metric op number[unit]"; the string is the
// problem ("" when it parses).
func parseConstraint(s string) (Constraint, string) {
	var c Constraint
	i := strings.IndexAny(s, "<>=")
	if i < 0 {
		return c, "want METRIC OP NUMBER, with OP one of <=, >=, <, >, ="
	}
	c.Metric = Metric(strings.TrimSpace(s[:i]))
	if _, ok := metricUnits[c.Metric]; !ok {
		return c, fmt.Sprintf("unknown metric %q (metrics: %s)", c.Metric, metricList())
	}
	rest := s[i:]
	for _, op := range []string{"<=", ">=", "<", ">", "="} {
		if strings.HasPrefix(rest, op) {
			c.Op, rest = op, strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if strings.ContainsAny(rest, "<>=") {
		return c, "want one comparison (<=, >=, <, >, =)"
	}
	v, err := parseQuantity(rest, metricUnits[c.Metric])
	if err != "" {
		return c, err
	}
	c.Value = v
	return c, ""
}

// siPrefixes scale a unit.
var siPrefixes = map[string]float64{"": 1, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "m": 1e-3}

// parseQuantity parses a finite number with an optional unit: unit with an
// SI prefix for J, s and Js; "%" for percentages; nothing for counts.
func parseQuantity(s, unit string) (float64, string) {
	num := strings.TrimRightFunc(s, func(r rune) bool { return !strings.ContainsRune("0123456789.+-eE", r) })
	suffix := strings.TrimSpace(s[len(num):])
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Sprintf("%q is not a number", strings.TrimSpace(num))
	}
	switch unit {
	case "":
		if suffix != "" {
			return 0, fmt.Sprintf("a count takes no unit, got %q", suffix)
		}
	case "%":
		if suffix != "" && suffix != "%" {
			return 0, fmt.Sprintf("unit %q: want percent (%%) or no unit", suffix)
		}
	default:
		if suffix == "" {
			return v, ""
		}
		prefix, ok := strings.CutSuffix(suffix, unit)
		f, known := siPrefixes[prefix]
		if !ok || !known {
			return 0, fmt.Sprintf("unit %q: want %s with an optional prefix p, n, u (µ) or m", suffix, unit)
		}
		v *= f
	}
	return v, ""
}

// value is metric m of point p in the objective's units (ok false when the
// point has no such figure). Only chip points that fit have figures here:
// seed45nm prices arithmetic, it is not a chip one could choose.
func (r *Result) value(p *Point, m Metric) (float64, bool) {
	if !p.Fits() || p.Cores == 0 {
		return 0, false
	}
	switch m {
	case MetricEnergy:
		return p.EnergyPerInference, true
	case MetricLatency:
		return p.Latency, p.Latency > 0
	case MetricEDP:
		return p.EDP, p.EDP > 0
	case MetricCores:
		return float64(p.Cores), p.Cores > 0
	case MetricChips:
		return float64(p.Chips), p.Chips > 0
	case MetricAccuracy:
		if p.Accuracy == nil {
			return 0, false
		}
		return 100 * *p.Accuracy, true
	case MetricLoss:
		return r.Loss(p)
	case MetricAgreement:
		if p.Agreement == nil {
			return 0, false
		}
		return 100 * *p.Agreement, true
	}
	return 0, false
}

// holds compares v with the bound, taking values within a relative 1e-9
// as equal: "100us" is 100·1e-6 in floating point, a latency of 100e-6 s
// meets latency<=100us, and an accuracy loss 0.98 − 0.97 meets loss<=1.
func (c Constraint) holds(v float64) bool {
	eq := math.Abs(v-c.Value) <= 1e-9*math.Max(math.Abs(v), math.Abs(c.Value))
	switch c.Op {
	case "<=":
		return v < c.Value || eq
	case ">=":
		return v > c.Value || eq
	case "<":
		return v < c.Value && !eq
	case ">":
		return v > c.Value && !eq
	}
	return eq
}

// Answer is an objective's answer: the index of the best point in
// Result.Points, or -1 with the reason none qualifies.
type Answer struct {
	Objective string `json:"objective"`
	Point     int    `json:"point"`
	Reason    string `json:"reason,omitempty"`
}

// Answer picks the best point for o: among the chip points that fit, have the
// goal's figure and meet every constraint, the least (or greatest) goal;
// ties go to the lower energy, then the earlier point.
func (r *Result) Answer(o *Objective) Answer {
	a := Answer{Objective: o.Text, Point: -1}
	var best, bestE float64
	known, meets := 0, 0
	for i := range r.Points {
		p := &r.Points[i]
		g, ok := r.value(p, o.Goal)
		if !ok {
			continue
		}
		known++
		all := true
		for _, c := range o.Constraints {
			v, ok := r.value(p, c.Metric)
			if !ok || !c.holds(v) {
				all = false
				break
			}
		}
		if !all {
			continue
		}
		meets++
		if o.Maximise {
			g = -g
		}
		if a.Point < 0 || g < best || g == best && p.EnergyPerInference < bestE {
			a.Point, best, bestE = i, g, p.EnergyPerInference
		}
	}
	switch {
	case known == 0:
		a.Reason = fmt.Sprintf("no chip point that fits has a %s figure", o.Goal)
	case meets == 0:
		a.Reason = "no chip point that fits meets every constraint"
	}
	return a
}
