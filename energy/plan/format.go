package plan

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/snnc/snnc/energy"
)

// Formats are the output formats of Write.
var Formats = []string{"text", "json", "csv", "html"}

// Write writes r in format (one of Formats).
func Write(w io.Writer, r *Result, format string) error {
	switch format {
	case "text", "":
		return WriteText(w, r)
	case "json":
		return WriteJSON(w, r)
	case "csv":
		return WriteCSV(w, r)
	case "html":
		return WriteHTML(w, r)
	}
	return fmt.Errorf("plan: unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

// WriteJSON writes r as one indented JSON object.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// Columns are the table's columns (text, CSV header and HTML).
var Columns = []string{"target", "weight bits", "T", "graded", "accuracy", "agreement", "energy/inference", "latency", "EDP", "cores", "chips", "pareto", "fits"}

// Label names a point's settings: "loihi 8-bit T=4" ("graded" added when
// on; seed45nm has float weights).
func (p *Point) Label() string {
	b := "float"
	if p.WeightBits > 0 {
		b = strconv.Itoa(p.WeightBits) + "-bit"
	}
	s := fmt.Sprintf("%s %s T=%d", p.Target, b, p.Timesteps)
	if p.Graded {
		s += " graded"
	}
	return s
}

// Status is the "fits" column: "fits", "does not fit: LIMIT" or "n/a:
// REASON".
func (p *Point) Status() string {
	switch {
	case p.NotApplicable != "":
		return "n/a: " + p.NotApplicable
	case p.DoesNotFit != "":
		return "does not fit: " + strings.TrimPrefix(p.DoesNotFit, "compile: ")
	case p.Cores == 0 && p.Target == energy.SeedTarget:
		return "fits (no chip: arithmetic model)"
	}
	return "fits"
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%.2f%%", 100**v)
}

// cells is a point's row in the table's units.
func (p *Point) cells() []string {
	bits, graded := "float", "off"
	if p.WeightBits > 0 {
		bits = strconv.Itoa(p.WeightBits)
	}
	if p.Graded {
		graded = "on"
	}
	row := []string{p.Target, bits, strconv.Itoa(p.Timesteps), graded}
	if !p.Fits() {
		row = append(row, "", "", "", "", "", "", "", "")
		if p.DoesNotFit != "" && p.Cores > 0 {
			row[9], row[10] = strconv.Itoa(p.Cores), strconv.Itoa(p.Chips)
		}
		return append(row, p.Status())
	}
	dash := func(ok bool, s string) string {
		if !ok {
			return "—"
		}
		return s
	}
	pareto := ""
	if p.Pareto {
		pareto = "*"
	}
	return append(row, pct(p.Accuracy), pct(p.Agreement), energy.FormatJoules(p.EnergyPerInference),
		dash(p.Latency > 0, energy.FormatSeconds(p.Latency)), dash(p.EDP > 0, energy.FormatEDP(p.EDP)),
		dash(p.Cores > 0, strconv.Itoa(p.Cores)), dash(p.Chips > 0, strconv.Itoa(p.Chips)), pareto, p.Status())
}

// heading says what the sweep is of.
func (r *Result) heading() string {
	s := fmt.Sprintf("snnc plan — model %s (T = %d)", r.Model, r.Timesteps)
	if r.Estimate {
		return s + fmt.Sprintf(", ESTIMATE: every spiking neuron assumed to fire with probability %g per step; accuracy unknown", r.Rate)
	}
	s += ", dataset " + r.Dataset
	if len(r.Points) > 0 {
		for i := range r.Points {
			if n := r.Points[i].Samples; n > 0 {
				s += fmt.Sprintf(" (%d test samples)", n)
				break
			}
		}
	}
	if r.FloatAccuracy != nil {
		s += ", float accuracy " + pct(r.FloatAccuracy)
	}
	return s
}

// ParetoLabels lists the points on the Pareto front.
func (r *Result) ParetoLabels() []string {
	var out []string
	for i := range r.Points {
		if r.Points[i].Pareto {
			out = append(out, r.Points[i].Label())
		}
	}
	return out
}

// answerText is one objective's answer as a sentence.
func (r *Result) answerText(a Answer) string {
	if a.Point < 0 {
		return fmt.Sprintf("%s: none (%s)", a.Objective, a.Reason)
	}
	p := &r.Points[a.Point]
	s := fmt.Sprintf("%s: %s — %s per inference", a.Objective, p.Label(), energy.FormatJoules(p.EnergyPerInference))
	if p.Latency > 0 {
		s += ", " + energy.FormatSeconds(p.Latency)
	}
	if p.Cores > 0 {
		s += fmt.Sprintf(", %d cores on %d chip(s)", p.Cores, p.Chips)
	}
	if p.Accuracy != nil {
		s += ", accuracy " + pct(p.Accuracy)
		if l, ok := r.Loss(p); ok {
			s += fmt.Sprintf(" (loss %.2f points)", l)
		}
	}
	return s
}

// refusals lists, once per target and weight precision, every limit the
// model breaks.
func (r *Result) refusals() (heads []string, lines [][]string) {
	seen := map[string]bool{}
	for i := range r.Points {
		p := &r.Points[i]
		if p.DoesNotFit == "" {
			continue
		}
		h := fmt.Sprintf("%s, %d-bit weights", p.Target, p.WeightBits)
		if seen[h] {
			continue
		}
		seen[h] = true
		heads = append(heads, h)
		var ls []string
		for _, l := range p.Limits {
			ls = append(ls, strings.TrimPrefix(l, "compile: "))
		}
		lines = append(lines, ls)
	}
	return heads, lines
}

func (r *Result) anyFits() bool {
	for i := range r.Points {
		if r.Points[i].Fits() && r.Points[i].Target != energy.SeedTarget {
			return true
		}
	}
	return false
}

// WriteText writes the table, the Pareto front, the objectives' answers
// and the limits broken.
func WriteText(w io.Writer, r *Result) error {
	ew := &bytes.Buffer{}
	fmt.Fprintln(ew, r.heading())
	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(Columns, "\t"))
	for i := range r.Points {
		fmt.Fprintln(tw, strings.Join(r.Points[i].cells(), "\t"))
	}
	tw.Flush()
	fmt.Fprintln(ew)
	if front := r.ParetoLabels(); len(front) > 0 {
		what := "accuracy ↑, energy ↓, latency ↓"
		if r.Estimate {
			what = "energy ↓, latency ↓"
		}
		fmt.Fprintf(ew, "Pareto front (%s; * in the table): %s\n", what, strings.Join(front, "; "))
	} else {
		fmt.Fprintln(ew, "Pareto front: empty (no chip point fits)")
	}
	for _, a := range r.Objectives {
		fmt.Fprintf(ew, "objective %s\n", r.answerText(a))
	}
	if heads, lines := r.refusals(); len(heads) > 0 {
		fmt.Fprintln(ew)
		if !r.anyFits() {
			fmt.Fprintln(ew, "The model fits no chip target. Binding limits:")
		} else {
			fmt.Fprintln(ew, "Limits broken:")
		}
		for i, h := range heads {
			fmt.Fprintf(ew, "  %s:\n", h)
			for _, l := range lines[i] {
				fmt.Fprintf(ew, "    %s\n", l)
			}
		}
	}
	_, err := w.Write(ew.Bytes())
	return err
}

// WriteCSV writes one row per point: the settings, the status and its
// reason (every limit broken, joined by " | "), the figures in SI units (J,
// s, J·s, fractions), and the Pareto mark.
func WriteCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"target", "weight_bits", "timesteps", "graded", "status", "reason", "samples", "accuracy", "reference_accuracy", "agreement",
		"energy_per_inference_j", "latency_s", "edp_js", "cores", "chips", "steps", "pareto", "energy_model", "timing_model", "estimate"})
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return g(*v)
	}
	for i := range r.Points {
		p := &r.Points[i]
		status, reason := "fits", ""
		switch {
		case p.NotApplicable != "":
			status, reason = "n/a", p.NotApplicable
		case p.DoesNotFit != "":
			status, reason = "does_not_fit", strings.Join(p.Limits, " | ")
		}
		row := []string{p.Target, strconv.Itoa(p.WeightBits), strconv.Itoa(p.Timesteps), strconv.FormatBool(p.Graded), status, reason}
		if p.Fits() {
			row = append(row, strconv.Itoa(p.Samples), opt(p.Accuracy), opt(p.ReferenceAccuracy), opt(p.Agreement),
				g(p.EnergyPerInference), g(p.Latency), g(p.EDP), strconv.Itoa(p.Cores), strconv.Itoa(p.Chips), strconv.Itoa(p.Steps),
				strconv.FormatBool(p.Pareto), p.EnergyModel, p.Timing, strconv.FormatBool(p.Estimate))
		} else {
			row = append(row, make([]string, 14)...)
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}
