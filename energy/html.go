package energy

import (
	"html/template"
	"io"
)

// WriteHTML writes r as one self-contained HTML file: the tables of the
// Markdown report and the plots of Figures as inline SVG (made with
// gonum.org/v1/plot), with no scripts and no external resources.
func WriteHTML(w io.Writer, r *Report) error {
	figs, err := Figures(r)
	if err != nil {
		return err
	}
	type target struct {
		*TargetReport
		Layers, Steps [][]string
		Cores         [][]string
		CoresOmitted  int
	}
	data := struct {
		R        *Report
		Heading  string
		Banner   string
		Summary  [][]string
		Split    [][]string
		Figures  []HTMLFigure
		Targets  []target
		Formulas string
		Style    template.CSS
	}{Style: HTMLStyle, R: r, Heading: heading(r), Summary: summaryRows(r), Split: splitRows(r), Formulas: formulas, Figures: InlineFigures(figs)}
	if r.Estimate {
		data.Banner = estimateBanner
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		tt := target{TargetReport: t}
		if t.DoesNotFit == "" {
			tt.Layers, tt.Steps = layerRows(t), stepRows(t)
			if len(t.PerCore) > 0 {
				tt.Cores, tt.CoresOmitted = coreRows(t)
			}
		}
		data.Targets = append(data.Targets, tt)
	}
	return htmlReport.Execute(w, data)
}

// HTMLFigure is a Figure ready for an html/template page: its SVG inline.
type HTMLFigure struct {
	Title string
	SVG   template.HTML
}

// InlineFigures prepares figures for an HTML page. The SVG comes from
// gonum/plot's SVG canvas, which escapes all text, so it is trusted as
// HTML.
func InlineFigures(figs []Figure) []HTMLFigure {
	out := make([]HTMLFigure, len(figs))
	for i, f := range figs {
		out[i] = HTMLFigure{Title: f.Title, SVG: template.HTML(InlineSVG(f.SVG))}
	}
	return out
}

const formulas = `seed45nm (ASGL appendix A.6): N_AC = Σ_t Σ_l Σ_i f_i^l s_i^l[t] (Eq. 20), N_MAC = Σ_l Σ_i f_i^l (Eq. 21);
E_SNN = 0.9 pJ · N_AC + 4.6 pJ · MAC(first layer, direct-current input, once per inference); E_ANN = 4.6 pJ · N_MAC.
Chip targets: E = Σ_op N_op · E_op (synaptic op, neuron update active/idle, spike, E-W/N-S/chip hop, host MAC) + steps · (barrier + static);
SNN/ANN ratio = E / E_ANN; latency from the simulator's cycle model; EDP = E · latency.`

// HTMLStyle is the style sheet of the HTML reports (energy's and the
// planning sweep's).
const HTMLStyle = `body { font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; margin: 16px 24px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px 0; }
h2 { font-size: 18px; margin: 18px 0 6px 0; }
h3 { font-size: 15px; margin: 12px 0 4px 0; }
p.sub { margin: 0 0 8px 0; color: #555; }
.banner { background: #fff3cd; border: 1px solid #e0b000; padding: 6px 10px; font-weight: bold; margin: 8px 0; }
.nofit { color: #a00; }
table { border-collapse: collapse; font-size: 13px; margin: 4px 0 8px 0; }
th, td { border: 1px solid #ccc; padding: 2px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr:first-child td { font-weight: bold; background: #f2f2f2; }
.figs { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; width: 600px; }
figure svg { width: 600px; height: 400px; display: block; }
figcaption { font-size: 12px; color: #444; }
pre { font-size: 12px; background: #f8f8f8; padding: 6px; white-space: pre-wrap; }
`

var htmlReport = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>snnc energy report — {{.R.Model}}</title>
<style>
{{.Style}}</style>
</head>
<body>
<h1>snnc energy report</h1>
<p class="sub">{{.Heading}}</p>
{{if .Banner}}<div class="banner">{{.Banner}}</div>{{end}}
<table id="summary">
{{range .Summary}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .Targets}}{{if .DoesNotFit}}<p class="nofit"><b>{{.Target}}: does not fit:</b></p><pre class="nofit">{{.DoesNotFit}}</pre>{{end}}{{end}}
<div class="figs">
{{range .Figures}}<figure>{{.SVG}}<figcaption>{{.Title}}</figcaption></figure>
{{end}}</div>
<h2>Energy per inference by operation</h2>
<table>
{{range .Split}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .Targets}}{{if not .DoesNotFit}}
<h2>{{.Target}} — energy model <code>{{.EnergyModel}}</code>{{if .Estimate}} (estimate){{end}}</h2>
{{if .EnergyModelNote}}<p>{{.EnergyModelNote}}</p>{{end}}
{{if .Notes}}<ul>{{range .Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<h3>Sources</h3>
<ul>{{range .Sources}}<li>[{{.Key}}] {{.Citation}}</li>{{end}}{{range .LatencySources}}<li>latency: [{{.Key}}] {{.Citation}}</li>{{end}}</ul>
{{if .PerLayer}}<h3>Per layer (per inference)</h3>
<table>{{range .Layers}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}
{{if .Cores}}<h3>Per core (per inference; {{len .PerCore}} cores)</h3>
<table>{{range .Cores}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{if .CoresOmitted}}<p>… {{.CoresOmitted}} more cores (all are in --format json or csv).</p>{{end}}{{end}}
{{if .PerStep}}<h3>Per step (per inference)</h3>
<table>{{range .Steps}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>{{end}}
{{end}}{{end}}
<h2>Method</h2>
<pre>{{.Formulas}}</pre>
</body>
</html>
`))
