package energy

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/snnc/snnc/targets"
)

// Formats lists the report formats Write accepts.
var Formats = []string{"text", "json", "csv", "markdown", "html"}

// Write renders r in the named format (one of Formats).
func Write(w io.Writer, r *Report, format string) error {
	switch format {
	case "text":
		return WriteText(w, r)
	case "json":
		return WriteJSON(w, r)
	case "csv":
		return WriteCSV(w, r)
	case "markdown", "md":
		return WriteMarkdown(w, r)
	case "html":
		return WriteHTML(w, r)
	}
	return fmt.Errorf("energy: unknown format %q (valid: %s)", format, strings.Join(Formats, ", "))
}

// WriteJSON writes r as one indented JSON object.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// FormatJoules formats an energy with an SI prefix ("30.3 pJ").
func FormatJoules(j float64) string { return si(j, "J") }

// FormatSeconds formats a time with an SI prefix ("2 µs").
func FormatSeconds(s float64) string { return si(s, "s") }

// FormatEDP formats an energy-delay product with an SI prefix ("1.2 nJ·s").
func FormatEDP(js float64) string { return si(js, "J·s") }

func si(v float64, unit string) string {
	if v == 0 {
		return "0 " + unit
	}
	prefixes := []struct {
		p string
		f float64
	}{{"", 1}, {"m", 1e-3}, {"µ", 1e-6}, {"n", 1e-9}, {"p", 1e-12}, {"f", 1e-15}}
	a := math.Abs(v)
	if a >= 1 {
		return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
	}
	for _, p := range prefixes {
		if a >= p.f*(1-1e-12) {
			return strconv.FormatFloat(v/p.f, 'g', 4, 64) + " " + p.p + unit
		}
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
}

// count formats an operation count per inference.
func count(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	if math.Abs(v) >= 1e6 {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func ratio(v float64) string {
	if v == 0 {
		return "—"
	}
	return fmt.Sprintf("%.4g (%.2f%%)", v, 100*v)
}

// summaryRows are the side-by-side summary: a label and one cell per target.
func summaryRows(r *Report) [][]string {
	row := func(label string, f func(t *TargetReport) string) []string {
		out := []string{label}
		for i := range r.Targets {
			t := &r.Targets[i]
			if t.DoesNotFit != "" {
				if label == "energy model" {
					out = append(out, "does not fit")
				} else {
					out = append(out, "—")
				}
				continue
			}
			out = append(out, f(t))
		}
		return out
	}
	lat := func(f func(t *TargetReport) string) func(t *TargetReport) string {
		return func(t *TargetReport) string {
			if t.Latency == 0 {
				return "—"
			}
			return f(t)
		}
	}
	head := []string{""}
	for _, t := range r.Targets {
		head = append(head, t.Target)
	}
	rows := [][]string{
		head,
		row("energy model", func(t *TargetReport) string {
			if t.Estimate {
				return t.EnergyModel + " (estimate)"
			}
			return t.EnergyModel
		}),
		row("energy / inference", func(t *TargetReport) string { return FormatJoules(t.EnergyPerInference) }),
		row("AC (synaptic events) / inference", func(t *TargetReport) string { return count(t.AC) }),
		row("MAC / inference", func(t *TargetReport) string { return count(t.MAC) }),
		row("graded synaptic ops / inference", func(t *TargetReport) string { return count(t.Ops.GradedSynapticOps) }),
		row("graded input spikes / inference", func(t *TargetReport) string { return count(t.Ops.GradedInputMessages) }),
		row("graded hidden spikes / inference", func(t *TargetReport) string { return count(t.Ops.GradedSpikes) }),
		row("graded spikes' payload / inference", func(t *TargetReport) string { return count(t.Ops.GradedSpikePayload) }),
		row("ANN MAC / inference (Eq. 21)", func(t *TargetReport) string { return count(t.ANNMAC) }),
		row("ANN energy (4.6 pJ/MAC)", func(t *TargetReport) string { return FormatJoules(t.ANNEnergy) }),
		row("SNN/ANN energy ratio", func(t *TargetReport) string { return ratio(t.Ratio) }),
		row("spikes / inference", func(t *TargetReport) string { return count(t.Ops.Spikes) }),
		row("steps / inference", func(t *TargetReport) string { return strconv.Itoa(t.Steps) }),
		row("latency / inference", lat(func(t *TargetReport) string { return FormatSeconds(t.Latency) })),
		row("timing model", lat(func(t *TargetReport) string {
			if t.Timing == "" {
				return "—"
			}
			return t.Timing
		})),
		row("inferences / s", lat(func(t *TargetReport) string { return strconv.FormatFloat(t.Throughput, 'g', 5, 64) })),
		row("energy-delay product", lat(func(t *TargetReport) string { return si(t.EDP, "J·s") })),
		row("samples", func(t *TargetReport) string {
			if t.Estimate {
				return fmt.Sprintf("estimate, rate %g", t.Rate)
			}
			return strconv.Itoa(t.Samples)
		}),
		row("accuracy", func(t *TargetReport) string {
			if t.Accuracy == nil {
				return "—"
			}
			return fmt.Sprintf("%.2f%%", 100**t.Accuracy)
		}),
	}
	graded := false
	for _, t := range r.Targets {
		graded = graded || t.Ops.GradedSynapticOps > 0
	}
	if !graded { // the graded rows only where graded input ran
		rows = slices.DeleteFunc(rows, func(row []string) bool { return strings.HasPrefix(row[0], "graded ") })
	}
	return rows
}

// splitRows gives energy per inference by operation, one column per target.
func splitRows(r *Report) [][]string {
	head := []string{"operation"}
	for _, t := range r.Targets {
		head = append(head, t.Target)
	}
	rows := [][]string{head}
	for k, name := range SplitNames {
		row := []string{name}
		nonzero := false
		for _, t := range r.Targets {
			if t.DoesNotFit != "" {
				row = append(row, "—")
				continue
			}
			v := t.Energy.Values()[k]
			nonzero = nonzero || v != 0
			row = append(row, FormatJoules(v))
		}
		if nonzero {
			rows = append(rows, row)
		}
	}
	return rows
}

func layerRows(t *TargetReport) [][]string {
	rows := [][]string{{"layer", "name", "spikes", "synaptic ops", "neuron upd. active", "neuron upd. idle", "hops", "host MACs", "ANN MACs", "energy"}}
	for _, l := range t.PerLayer {
		rows = append(rows, []string{strconv.Itoa(l.Index), l.Name, count(l.Ops.Spikes), count(l.Ops.SynapticOps),
			count(l.Ops.NeuronActive), count(l.Ops.NeuronIdle), count(l.Ops.HopsEW + l.Ops.HopsNS + l.Ops.ChipHops),
			count(l.Ops.HostMACs), count(l.ANNMAC), FormatJoules(l.Energy)})
	}
	return rows
}

// maxCoreRows bounds the per-core tables of the text and markdown reports
// (JSON and CSV list every core).
const maxCoreRows = 32

func coreRows(t *TargetReport) (rows [][]string, omitted int) {
	rows = [][]string{{"core", "chip", "x", "y", "layer", "synaptic ops", "spikes", "hops", "energy"}}
	for i, c := range t.PerCore {
		if i == maxCoreRows {
			return rows, len(t.PerCore) - i
		}
		rows = append(rows, []string{strconv.Itoa(c.Index), strconv.Itoa(c.Chip), strconv.Itoa(c.X), strconv.Itoa(c.Y),
			strconv.Itoa(c.Layer), count(c.Ops.SynapticOps), count(c.Ops.Spikes),
			count(c.Ops.HopsEW + c.Ops.HopsNS + c.Ops.ChipHops), FormatJoules(c.Energy)})
	}
	return rows, 0
}

func stepRows(t *TargetReport) [][]string {
	rows := [][]string{{"step", "synaptic ops", "spikes", "neuron upd. active", "hops", "energy"}}
	for _, s := range t.PerStep {
		rows = append(rows, []string{strconv.Itoa(s.Step), count(s.Ops.SynapticOps), count(s.Ops.Spikes),
			count(s.Ops.NeuronActive), count(s.Ops.HopsEW + s.Ops.HopsNS + s.Ops.ChipHops), FormatJoules(s.Energy)})
	}
	return rows
}

func heading(r *Report) string {
	s := fmt.Sprintf("model %s: T = %d, %s input", orDash(r.Model), r.Timesteps, r.Encoding)
	if r.Dataset != "" {
		s += ", dataset " + r.Dataset
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "(unnamed)"
	}
	return s
}

const estimateBanner = "PLANNING ESTIMATE from an assumed firing rate: nothing was simulated."

// reportStyle is how a plain-text or Markdown report spells its parts.
type reportStyle struct {
	table func(ew *errWriter, rows [][]string)
	// doesNotFit lists a target that does not fit, one line per reason.
	doesNotFit func(ew *errWriter, target string, reasons []string)
	// section and subsection start a part of the report.
	section, subsection func(ew *errWriter, title string)
	// model is a target's section title; more is the line after a cut
	// per-core table.
	model func(target, energyModel string) string
	more  string
	// note, source and latencySource format one entry of a target's notes
	// and citations; sources starts their list and end closes the target.
	modelNote                   func(energyModel, note string) string
	note, source, latencySource string
	sources, end                string
}

var textStyle = reportStyle{
	table: func(ew *errWriter, rows [][]string) {
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, row := range rows {
			fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
		}
		tw.Flush()
	},
	doesNotFit: func(ew *errWriter, target string, reasons []string) {
		ew.printf("\n%s: does not fit: %s\n", target, strings.Join(reasons, "\n    "))
	},
	section:    func(ew *errWriter, title string) { ew.printf("\n%s\n", title) },
	subsection: func(ew *errWriter, title string) { ew.printf("\n%s\n", title) },
	model: func(target, energyModel string) string {
		return fmt.Sprintf("\n== %s — energy model %s ==\n", target, energyModel)
	},
	more:          "… %d more cores (all are in --format json or csv)\n",
	modelNote:     func(m, n string) string { return fmt.Sprintf("\nEnergy model %s: %s\n", m, n) },
	note:          "Note: %s\n",
	sources:       "Sources:\n",
	source:        "  [%s] %s\n",
	latencySource: "  latency: [%s] %s\n",
}

var markdownStyle = reportStyle{
	table: func(ew *errWriter, rows [][]string) {
		for i, row := range rows {
			cells := make([]string, len(row))
			for j, c := range row {
				cells[j] = strings.ReplaceAll(c, "|", `\|`)
			}
			ew.printf("| %s |\n", strings.Join(cells, " | "))
			if i == 0 {
				ew.printf("|%s\n", strings.Repeat(" --- |", len(row)))
			}
		}
		ew.printf("\n")
	},
	doesNotFit: func(ew *errWriter, target string, reasons []string) {
		ew.printf("- **%s: does not fit:**\n", target)
		for _, line := range reasons {
			ew.printf("  - %s\n", line)
		}
	},
	section:    func(ew *errWriter, title string) { ew.printf("\n## %s\n\n", title) },
	subsection: func(ew *errWriter, title string) { ew.printf("### %s\n\n", title) },
	model: func(target, energyModel string) string {
		return fmt.Sprintf("## %s — energy model `%s`\n\n", target, energyModel)
	},
	more:          "… %d more cores (all are in `--format json` or `csv`).\n\n",
	modelNote:     func(m, n string) string { return fmt.Sprintf("Energy model `%s`: %s\n\n", m, n) },
	note:          "- %s\n",
	sources:       "\nSources:\n\n",
	source:        "- [%s] %s\n",
	latencySource: "- latency: [%s] %s\n",
	end:           "\n",
}

// WriteText writes r as aligned plain-text tables.
func WriteText(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("snnc energy report — %s\n", heading(r))
	if r.Estimate {
		ew.printf("%s\n", estimateBanner)
	}
	ew.printf("\n")
	writeSections(ew, r, &textStyle)
	return ew.err
}

// WriteMarkdown writes r as GitHub-flavoured Markdown tables.
func WriteMarkdown(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	ew.printf("# snnc energy report\n\n%s\n\n", heading(r))
	if r.Estimate {
		ew.printf("> **%s**\n\n", estimateBanner)
	}
	writeSections(ew, r, &markdownStyle)
	return ew.err
}

// writeSections writes the report's tables and notes in style st: the
// summary, the targets that do not fit, the split by operation, then per
// target its layers, cores, steps, notes and sources.
func writeSections(ew *errWriter, r *Report, st *reportStyle) {
	st.table(ew, summaryRows(r))
	for _, t := range r.Targets {
		if t.DoesNotFit != "" {
			st.doesNotFit(ew, t.Target, strings.Split(t.DoesNotFit, "\n"))
		}
	}
	st.section(ew, "Energy per inference by operation")
	st.table(ew, splitRows(r))
	for i := range r.Targets {
		t := &r.Targets[i]
		if t.DoesNotFit != "" {
			continue
		}
		ew.printf("%s", st.model(t.Target, t.EnergyModel))
		if len(t.PerLayer) > 0 {
			st.subsection(ew, "Per layer (per inference)")
			st.table(ew, layerRows(t))
		}
		if len(t.PerCore) > 0 {
			rows, omitted := coreRows(t)
			st.subsection(ew, fmt.Sprintf("Per core (per inference; %d cores)", len(t.PerCore)))
			st.table(ew, rows)
			if omitted > 0 {
				ew.printf(st.more, omitted)
			}
		}
		if len(t.PerStep) > 0 {
			st.subsection(ew, "Per step (per inference)")
			st.table(ew, stepRows(t))
		}
		if t.EnergyModelNote != "" {
			ew.printf("%s", st.modelNote(t.EnergyModel, t.EnergyModelNote))
		}
		for _, n := range t.Notes {
			ew.printf(st.note, n)
		}
		ew.printf("%s", st.sources)
		for _, s := range t.Sources {
			ew.printf(st.source, s.Key, s.Citation)
		}
		for _, s := range t.LatencySources {
			ew.printf(st.latencySource, s.Key, s.Citation)
		}
		ew.printf("%s", st.end)
	}
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"target", "energy_model", "estimate", "scope", "index", "name", "chip", "x", "y", "layer",
	"synaptic_ops", "neuron_active", "neuron_idle", "spikes", "spikes_local", "hops_ew", "hops_ns", "chip_hops", "host_macs",
	"ann_mac", "energy_j", "snn_ann_energy_ratio", "latency_per_inference_s", "energy_delay_product_js", "sources"}

// WriteCSV writes r as one table: a row per target total ("total"), layer,
// core and step, all per inference; a target that does not fit has one row
// of scope "does_not_fit" with the reason as its name. The total row carries
// the ratio, latency, energy-delay product and the energy model's sources.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	cw.Write(CSVHeader)
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for i := range r.Targets {
		t := &r.Targets[i]
		if t.DoesNotFit != "" {
			row := make([]string, len(CSVHeader))
			row[0], row[3], row[5] = t.Target, "does_not_fit", t.DoesNotFit
			cw.Write(row)
			continue
		}
		emit := func(scope string, index int, name string, chip, x, y, layer string, o Ops, ann, e float64, tail ...string) {
			row := []string{t.Target, t.EnergyModel, strconv.FormatBool(t.Estimate), scope, strconv.Itoa(index), name, chip, x, y, layer,
				g(o.SynapticOps), g(o.NeuronActive), g(o.NeuronIdle), g(o.Spikes), g(o.SpikesLocal), g(o.HopsEW), g(o.HopsNS), g(o.ChipHops), g(o.HostMACs),
				g(ann), g(e)}
			for len(tail) < 4 {
				tail = append(tail, "")
			}
			cw.Write(append(row, tail...))
		}
		var cites []string
		for _, src := range append(append([]targets.Source{}, t.Sources...), t.LatencySources...) {
			cites = append(cites, "["+src.Key+"] "+src.Citation)
		}
		emit("total", 0, "", "", "", "", "", t.Ops, t.ANNMAC, t.EnergyPerInference, g(t.Ratio), g(t.Latency), g(t.EDP), strings.Join(cites, "; "))
		for _, l := range t.PerLayer {
			emit("layer", l.Index, l.Name, "", "", "", strconv.Itoa(l.Index), l.Ops, l.ANNMAC, l.Energy)
		}
		for _, c := range t.PerCore {
			emit("core", c.Index, "", strconv.Itoa(c.Chip), strconv.Itoa(c.X), strconv.Itoa(c.Y), strconv.Itoa(c.Layer), c.Ops, 0, c.Energy)
		}
		for _, s := range t.PerStep {
			emit("step", s.Step, "", "", "", "", "", s.Ops, 0, s.Energy)
		}
	}
	cw.Flush()
	return cw.Error()
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, a ...any) { fmt.Fprintf(e, format, a...) }
