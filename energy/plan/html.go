package plan

import (
	"html/template"
	"io"
	"strings"

	"github.com/snnc/snnc/energy"
)

// WriteHTML writes r as one self-contained HTML page: the table (Pareto
// points marked), the objectives' answers, the limits broken, and the
// plots of Figures as inline SVG, in the energy report's style; no scripts
// and no external resources.
func WriteHTML(w io.Writer, r *Result) error {
	figs, err := Figures(r)
	if err != nil {
		return err
	}
	type row struct {
		Cells  []string
		Pareto bool
		Fits   bool
	}
	type refusal struct {
		Head  string
		Lines []string
	}
	data := struct {
		Style      template.CSS
		R          *Result
		Heading    string
		Columns    []string
		Rows       []row
		Front      string
		Answers    []string
		NoFit      bool
		Refusals   []refusal
		Figures    []energy.HTMLFigure
		Estimate   bool
		ParetoWhat string
	}{Style: energy.HTMLStyle + planStyle, R: r, Heading: r.heading(), Columns: Columns,
		Front: strings.Join(r.ParetoLabels(), "; "), NoFit: !r.anyFits(), Estimate: r.Estimate,
		ParetoWhat: "accuracy ↑, energy ↓, latency ↓"}
	if r.Estimate {
		data.ParetoWhat = "energy ↓, latency ↓"
	}
	for i := range r.Points {
		p := &r.Points[i]
		data.Rows = append(data.Rows, row{Cells: p.cells(), Pareto: p.Pareto, Fits: p.Fits()})
	}
	for _, a := range r.Objectives {
		data.Answers = append(data.Answers, r.answerText(a))
	}
	heads, lines := r.refusals()
	for i, h := range heads {
		data.Refusals = append(data.Refusals, refusal{h, lines[i]})
	}
	data.Figures = energy.InlineFigures(figs)
	return planPage.Execute(w, data)
}

const planStyle = `
table#points tr:first-child td { font-weight: normal; background: none; }
table#points th { background: #f2f2f2; }
table#points td { white-space: nowrap; }
table#points td:last-child, table#points th:last-child { text-align: left; white-space: normal; }
tr.pareto td { background: #e6f4ea; font-weight: bold; }
tr.nofit td { color: #777; }
pre.limits { color: #444; }
`

var planPage = template.Must(template.New("plan").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>snnc plan — {{.R.Model}}</title>
<style>{{.Style}}</style>
</head>
<body>
<h1>snnc plan</h1>
<p class="sub">{{.Heading}}</p>
{{if .Estimate}}<div class="banner">ESTIMATE: firing rates assumed, nothing simulated; accuracy unknown.</div>{{end}}
<table id="points">
<tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr class="{{if .Pareto}}pareto{{else if not .Fits}}nofit{{end}}">{{range .Cells}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<p>{{if .Front}}<b>Pareto front</b> ({{.ParetoWhat}}; highlighted): {{.Front}}{{else}}Pareto front: empty (no chip point fits).{{end}}</p>
{{if .Answers}}<ul id="objectives">{{range .Answers}}<li>objective {{.}}</li>{{end}}</ul>{{end}}
{{if .Refusals}}<h2 class="nofit">{{if .NoFit}}The model fits no chip target: binding limits{{else}}Limits broken{{end}}</h2>
{{range .Refusals}}<p><b>{{.Head}}</b></p><pre class="limits">{{range .Lines}}{{.}}
{{end}}</pre>{{end}}{{end}}
<div class="figs">
{{range .Figures}}<figure>{{.SVG}}<figcaption>{{.Title}}</figcaption></figure>
{{end}}</div>
</body>
</html>
`))
