package plan

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/snnc/snnc/energy"
)

// Figures renders the sweep's plots as SVG (energy.Figure): accuracy
// against energy per inference, one series per target (energy against
// latency for an estimate, which has no accuracy); the Pareto front over
// energy and latency among every chip point that fits; and the cores of
// every point that fits.
func Figures(r *Result) ([]energy.Figure, error) {
	var figs []energy.Figure
	add := func(title string, p *plot.Plot, err error) error {
		if err != nil || p == nil {
			return err
		}
		b, err := energy.RenderSVG(p)
		if err != nil {
			return err
		}
		figs = append(figs, energy.Figure{Title: title, SVG: b})
		return nil
	}
	p, title, err := tradeoffPlot(r)
	if err := add(title, p, err); err != nil {
		return nil, err
	}
	p, err = paretoPlot(r)
	if err := add("Pareto front: the chip points no other point beats in accuracy, energy and latency at once (ringed in red, joined); shaded: where a front point is at least as good in energy and latency", p, err); err != nil {
		return nil, err
	}
	p, err = coresPlot(r)
	if err := add("Cores per point (chips in the label when more than one)", p, err); err != nil {
		return nil, err
	}
	return figs, nil
}

// fitting returns the points with figures and a positive energy (a log
// axis needs it), seed45nm included when chipOnly is false.
func fitting(r *Result, chipOnly bool) []*Point {
	var out []*Point
	for i := range r.Points {
		p := &r.Points[i]
		if p.Fits() && p.EnergyPerInference > 0 && (!chipOnly || p.Latency > 0) {
			out = append(out, p)
		}
	}
	return out
}

// targetColor colours a target the same in every plot: by its place among
// the sweep's targets.
func targetColor(r *Result, name string) color.Color {
	var all []*Point
	for i := range r.Points {
		all = append(all, &r.Points[i])
	}
	return energy.SeriesColor(max(0, slices.Index(targetsOf(all), name)))
}

// targetsOf lists the targets of ps in order of first appearance.
func targetsOf(ps []*Point) []string {
	var out []string
	for _, p := range ps {
		if !slices.Contains(out, p.Target) {
			out = append(out, p.Target)
		}
	}
	return out
}

// tradeoffPlot: accuracy (%) against energy per inference (log), one
// scatter per target; for an estimate latency against energy.
func tradeoffPlot(r *Result) (*plot.Plot, string, error) {
	withAcc := !r.Estimate
	ps := fitting(r, r.Estimate)
	if len(ps) == 0 {
		return nil, "", nil
	}
	p := plot.New()
	p.X.Label.Text = "energy / inference (J, log scale)"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	title := "Accuracy against energy per inference, per target"
	p.Title.Text = "Accuracy vs energy"
	p.Y.Label.Text = "accuracy (%)"
	if !withAcc {
		title = "Latency against energy per inference, per target (estimate: no accuracy)"
		p.Title.Text = "Latency vs energy (estimate)"
		p.Y.Label.Text = "latency / inference (s, log scale)"
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	p.Legend.Top = true
	p.Legend.Left = true
	if withAcc && r.FloatAccuracy != nil {
		// The band within one point of the float model: where an objective
		// such as loss<=1 looks.
		f := 100 * *r.FloatAccuracy
		lo, hi := ps[0].EnergyPerInference, ps[0].EnergyPerInference
		for _, pt := range ps {
			lo, hi = min(lo, pt.EnergyPerInference), max(hi, pt.EnergyPerInference)
		}
		lo, hi = lo/1.5, hi*1.5
		band, err := plotter.NewPolygon(plotter.XYs{{X: lo, Y: f - 1}, {X: hi, Y: f - 1}, {X: hi, Y: f}, {X: lo, Y: f}})
		if err != nil {
			return nil, "", fmt.Errorf("plan: trade-off plot: %w", err)
		}
		band.Color = color.RGBA{0xa8, 0xec, 0x98, 0xff}
		band.LineStyle.Width = 0
		p.Add(band)
		p.Legend.Add(fmt.Sprintf("within 1 point of the float model (T = %d)", r.Timesteps), band)
	}
	for _, name := range targetsOf(ps) {
		var xys plotter.XYs
		for _, pt := range ps {
			if pt.Target != name {
				continue
			}
			y := pt.Latency
			if withAcc {
				if pt.Accuracy == nil {
					continue
				}
				y = 100 * *pt.Accuracy
			}
			xys = append(xys, plotter.XY{X: pt.EnergyPerInference, Y: y})
		}
		if len(xys) == 0 {
			continue
		}
		// Joined in order of energy: the target's trade-off curve.
		slices.SortStableFunc(xys, func(a, b plotter.XY) int { return cmpFloat(a.X, b.X) })
		line, sc, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, "", fmt.Errorf("plan: trade-off plot: %w", err)
		}
		line.Color = targetColor(r, name)
		line.Width = vg.Points(1.5)
		sc.Color = targetColor(r, name)
		sc.Radius = vg.Points(5)
		sc.Shape = draw.CircleGlyph{}
		p.Add(line, sc)
		p.Legend.Add(name, line, sc)
	}
	if withAcc {
		lo, hi := p.Y.Min, p.Y.Max
		span := max(hi-lo, 1)
		p.Y.Min, p.Y.Max = lo-0.1*span, hi+0.45*span // room for the legend
		p.X.Min, p.X.Max = p.X.Min/1.2, p.X.Max*1.2
	} else {
		padLog(&p.X.Min, &p.X.Max)
		padLog(&p.Y.Min, &p.Y.Max)
	}
	p.Add(plotter.NewGrid())
	return p, title, nil
}

// padLog widens a log axis by a factor on each side (and keeps it from
// collapsing to one value).
func padLog(lo, hi *float64) {
	*lo, *hi = *lo/1.5, *hi*1.5
}

// paretoPlot: latency against energy (both log) for every chip point that
// fits, coloured by target; the Pareto front ringed in red and joined in
// order of energy, and the region it beats in energy and latency shaded.
func paretoPlot(r *Result) (*plot.Plot, error) {
	ps := fitting(r, true)
	if len(ps) == 0 {
		return nil, nil
	}
	// Axis bounds: the data, widened on a log scale (room on the right for
	// the labels and at the top for the legend).
	x0, x1, y0, y1 := math.Inf(1), 0.0, math.Inf(1), 0.0
	for _, pt := range ps {
		x0, x1 = min(x0, pt.EnergyPerInference), max(x1, pt.EnergyPerInference)
		y0, y1 = min(y0, pt.Latency), max(y1, pt.Latency)
	}
	x0, x1, y0, y1 = x0/1.5, x1*6, y0/1.5, y1*4.5

	p := plot.New()
	p.Title.Text = "Pareto front"
	p.X.Label.Text = "energy / inference (J, log scale)"
	p.Y.Label.Text = "latency / inference (s, log scale)"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Legend.Top = true

	var front plotter.XYs
	var labels []string
	for _, pt := range ps {
		if pt.Pareto {
			front = append(front, plotter.XY{X: pt.EnergyPerInference, Y: pt.Latency})
			l := pt.Label()
			if pt.Accuracy != nil {
				l += " " + pct(pt.Accuracy)
			}
			labels = append(labels, l)
		}
	}
	idx := make([]int, len(front))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmpFloat(front[a].X, front[b].X)*2 + cmpFloat(front[a].Y, front[b].Y)
	})
	sorted := make(plotter.XYs, len(front))
	sortedLabels := make([]string, len(front))
	for i, j := range idx {
		sorted[i], sortedLabels[i] = front[j], labels[j]
	}
	if len(sorted) > 0 {
		shade, err := plotter.NewPolygon(staircase(sorted, x1, y1))
		if err != nil {
			return nil, fmt.Errorf("plan: Pareto plot: %w", err)
		}
		shade.Color = color.RGBA{0xff, 0xbc, 0xac, 0xff}
		shade.LineStyle.Width = 0
		p.Add(shade)
		p.Legend.Add("beaten by the front in energy and latency", shade)
	}
	p.Add(plotter.NewGrid())
	for _, name := range targetsOf(ps) {
		var xys plotter.XYs
		for _, pt := range ps {
			if pt.Target == name {
				xys = append(xys, plotter.XY{X: pt.EnergyPerInference, Y: pt.Latency})
			}
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("plan: Pareto plot: %w", err)
		}
		sc.GlyphStyle.Color = targetColor(r, name)
		sc.GlyphStyle.Radius = vg.Points(3.5)
		sc.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(sc)
		p.Legend.Add(name, sc)
	}
	if len(sorted) > 0 {
		red := color.RGBA{0xd6, 0x27, 0x28, 0xff}
		line, pts, err := plotter.NewLinePoints(sorted)
		if err != nil {
			return nil, fmt.Errorf("plan: Pareto plot: %w", err)
		}
		line.Color = red
		line.Width = vg.Points(1.5)
		pts.Color = red
		pts.Radius = vg.Points(5.5)
		pts.Shape = draw.RingGlyph{}
		p.Add(line, pts)
		p.Legend.Add("Pareto front", line, pts)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: sorted, Labels: sortedLabels})
		if err != nil {
			return nil, fmt.Errorf("plan: Pareto plot: %w", err)
		}
		for i := range lb.TextStyle {
			lb.TextStyle[i].Font.Size = vg.Points(7)
		}
		lb.Offset = vg.Point{X: vg.Points(7), Y: vg.Points(-2)}
		p.Add(lb)
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = x0, x1, y0, y1
	return p, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// staircase is the region of the energy–latency plane that some point of
// front (sorted by energy) beats in both, up to (xMax, yMax): the union of
// the quadrants [e, xMax] × [l, yMax], as a polygon.
func staircase(front plotter.XYs, xMax, yMax float64) plotter.XYs {
	out := plotter.XYs{{X: front[0].X, Y: yMax}}
	low := math.Inf(1)
	for _, f := range front {
		if f.Y >= low {
			continue // inside the region already
		}
		if low < math.Inf(1) {
			out = append(out, plotter.XY{X: f.X, Y: low})
		}
		out = append(out, plotter.XY{X: f.X, Y: f.Y})
		low = f.Y
	}
	return append(out, plotter.XY{X: xMax, Y: low}, plotter.XY{X: xMax, Y: yMax})
}

// coresPlot: one bar per chip point that fits (cores), coloured by target.
func coresPlot(r *Result) (*plot.Plot, error) {
	var ps []*Point
	for i := range r.Points {
		if pt := &r.Points[i]; pt.Fits() && pt.Cores > 0 {
			ps = append(ps, pt)
		}
	}
	if len(ps) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = "Cores per point"
	p.Y.Label.Text = "cores"
	p.Legend.Top = true
	names := targetsOf(ps)
	w := vg.Points(math.Min(24, 300/float64(len(ps))))
	top := 0.0
	for _, name := range names {
		vals := make(plotter.Values, len(ps))
		for j, pt := range ps {
			if pt.Target == name {
				vals[j] = float64(pt.Cores)
				top = max(top, vals[j])
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, fmt.Errorf("plan: cores plot: %w", err)
		}
		bars.Color = targetColor(r, name)
		bars.LineStyle.Width = 0
		p.Add(bars)
		p.Legend.Add(name, bars)
	}
	labels := make([]string, len(ps))
	for j, pt := range ps {
		labels[j] = fmt.Sprintf("%db T%d", pt.WeightBits, pt.Timesteps)
		if pt.Graded {
			labels[j] += " g"
		}
		if pt.Chips > 1 {
			labels[j] += fmt.Sprintf(" ×%d", pt.Chips)
		}
	}
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = math.Pi / 3
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.Y.Min, p.Y.Max = 0, 1.3*top
	p.Add(plotter.NewGrid())
	return p, nil
}
