package energy

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot sizes in points (1 pt = 4/3 CSS px).
const (
	plotWidth  = 450
	plotHeight = 300
)

// seriesColors colour targets and operations in plots.
var seriesColors = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // blue
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, // red
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, // purple
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // brown
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, // pink
	color.RGBA{0x7f, 0x7f, 0x7f, 0xff}, // grey
}

// SeriesColor is the i-th colour of the reports' plots (cycling).
func SeriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

// Figure is one plot of a report, rendered as an SVG document.
type Figure struct {
	// Title is a caption; SVG is the standalone SVG document.
	Title string
	SVG   []byte
}

// Figures renders the report's plots: spike counts per layer (as the
// seed's Figure 4), the energy split by operation, and for each target
// with per-core counts a heat map of synaptic operations per core on the
// mesh.
func Figures(r *Report) ([]Figure, error) {
	var figs []Figure
	add := func(title string, p *plot.Plot, err error) error {
		if err != nil {
			return err
		}
		if p == nil {
			return nil
		}
		b, err := RenderSVG(p)
		if err != nil {
			return err
		}
		figs = append(figs, Figure{Title: title, SVG: b})
		return nil
	}
	p, err := spikePlot(r)
	if err := add("Average spike counts per layer and inference (cf. the seed's Figure 4)", p, err); err != nil {
		return nil, err
	}
	p, err = splitPlot(r)
	if err := add("Energy per inference split by operation", p, err); err != nil {
		return nil, err
	}
	for i := range r.Targets {
		t := &r.Targets[i]
		if t.DoesNotFit != "" || len(t.PerCore) == 0 {
			continue
		}
		b, err := heatmapSVG(t)
		if err != nil {
			return nil, err
		}
		figs = append(figs, Figure{Title: fmt.Sprintf("%s: synaptic operations per core and inference on the mesh", t.Target), SVG: b})
	}
	return figs, nil
}

// RenderSVG draws p at the reports' plot size as a standalone SVG document.
func RenderSVG(p *plot.Plot) ([]byte, error) {
	c := vgsvg.New(plotWidth, plotHeight)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("energy: render plot: %w", err)
	}
	return buf.Bytes(), nil
}

// fitted returns the targets that have results.
func fitted(r *Report) []*TargetReport {
	var out []*TargetReport
	for i := range r.Targets {
		if r.Targets[i].DoesNotFit == "" {
			out = append(out, &r.Targets[i])
		}
	}
	return out
}

// spikePlot draws grouped bars: per layer with neurons, one bar per target.
func spikePlot(r *Report) (*plot.Plot, error) {
	ts := fitted(r)
	// Layers with neurons that spike on some target (a mean-current
	// readout never does).
	var layers []int
	for i, l := range r.Layers {
		spikes := false
		for _, t := range ts {
			spikes = spikes || i < len(t.PerLayer) && t.PerLayer[i].Ops.Spikes > 0
		}
		if l.Neurons > 0 && spikes {
			layers = append(layers, i)
		}
	}
	if len(layers) == 0 || len(ts) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = "Spike counts per layer"
	p.Y.Label.Text = "spikes / inference"
	p.Legend.Top = true
	w := vg.Points(math.Min(40, 240/float64(len(layers)*len(ts))))
	for k, t := range ts {
		vals := make(plotter.Values, len(layers))
		for j, l := range layers {
			if l < len(t.PerLayer) {
				vals[j] = t.PerLayer[l].Ops.Spikes
			}
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, fmt.Errorf("energy: spike plot: %w", err)
		}
		bars.Color = SeriesColor(k)
		bars.LineStyle.Width = 0
		bars.Offset = w * vg.Length(float64(k)-float64(len(ts)-1)/2)
		p.Add(bars)
		p.Legend.Add(t.Target, bars)
	}
	// Head room for the legend.
	top := 0.0
	for _, t := range ts {
		for _, l := range layers {
			if l < len(t.PerLayer) {
				top = max(top, t.PerLayer[l].Ops.Spikes)
			}
		}
	}
	p.Y.Min, p.Y.Max = 0, 1.25*top
	names := make([]string, len(layers))
	for j, l := range layers {
		names[j] = r.Layers[l].Name
	}
	p.NominalX(names...)
	p.Add(plotter.NewGrid())
	return p, nil
}

// splitPlot draws one 100 % stacked bar per target: each operation's share
// of the energy per inference; the target labels carry the totals.
func splitPlot(r *Report) (*plot.Plot, error) {
	ts := fitted(r)
	if len(ts) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = "Energy split by operation"
	p.Y.Label.Text = "share of energy / inference (%)"
	p.Y.Min, p.Y.Max = 0, 100
	p.Legend.Top = true
	p.Legend.Left = false
	w := vg.Points(math.Min(60, 300/float64(len(ts))))
	var below *plotter.BarChart
	for k, name := range SplitNames {
		vals := make(plotter.Values, len(ts))
		nonzero := false
		for j, t := range ts {
			if tot := t.EnergyPerInference; tot > 0 {
				vals[j] = 100 * t.Energy.Values()[k] / tot
			}
			nonzero = nonzero || vals[j] > 0
		}
		if !nonzero {
			continue
		}
		bars, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return nil, fmt.Errorf("energy: split plot: %w", err)
		}
		bars.Color = SeriesColor(k)
		bars.LineStyle.Width = 0
		if below != nil {
			bars.StackOn(below)
		}
		below = bars
		p.Add(bars)
		p.Legend.Add(name, bars)
	}
	names := make([]string, len(ts))
	for j, t := range ts {
		names[j] = t.Target + "\n" + FormatJoules(t.EnergyPerInference)
	}
	p.NominalX(names...)
	p.X.Max += 1.2 // room for the legend
	return p, nil
}

// coreGrid is a GridXYZ over the mesh cells that hold cores (chips side by
// side); cells without a core are NaN.
type coreGrid struct {
	x0, y0, w, h int
	z            []float64
}

func (g *coreGrid) Dims() (c, r int)     { return g.w, g.h }
func (g *coreGrid) Z(c, r int) float64   { return g.z[r*g.w+c] }
func (g *coreGrid) X(c int) float64      { return float64(g.x0 + c) }
func (g *coreGrid) Y(r int) float64      { return float64(g.y0 + r) }
func (g *coreGrid) at(x, y int) *float64 { return &g.z[(y-g.y0)*g.w+(x-g.x0)] }

// heatmapSVG draws the synaptic operations per core at the core's mesh
// position (chip c is shifted right by c mesh widths), with a colour bar.
func heatmapSVG(t *TargetReport) ([]byte, error) {
	meshW := 0
	for _, c := range t.PerCore {
		meshW = max(meshW, c.X+1)
	}
	pos := func(c CoreEnergy) (int, int) { return c.Chip*meshW + c.X, c.Y }
	x0, y0, x1, y1 := math.MaxInt, math.MaxInt, math.MinInt, math.MinInt
	for _, c := range t.PerCore {
		x, y := pos(c)
		x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x), max(y1, y)
	}
	// At least 2×2 cells, so that the cell size is defined.
	if x1 == x0 {
		x1++
	}
	if y1 == y0 {
		y1++
	}
	g := &coreGrid{x0: x0, y0: y0, w: x1 - x0 + 1, h: y1 - y0 + 1}
	g.z = make([]float64, g.w*g.h)
	for i := range g.z {
		g.z[i] = math.NaN()
	}
	hi := 0.0
	for _, c := range t.PerCore {
		x, y := pos(c)
		z := g.at(x, y)
		if math.IsNaN(*z) {
			*z = 0
		}
		*z += c.Ops.SynapticOps
		hi = max(hi, *z)
	}
	if hi == 0 {
		hi = 1
	}
	cm := moreland.SmoothBlueRed()
	cm.SetMin(0)
	cm.SetMax(hi)
	hm := plotter.NewHeatMap(g, cm.Palette(64))
	hm.Min, hm.Max = 0, hi
	hm.NaN = color.RGBA{0xee, 0xee, 0xee, 0xff}

	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s: synaptic ops per core (%d cores)", t.Target, len(t.PerCore))
	p.X.Label.Text = "mesh x (chips side by side)"
	p.Y.Label.Text = "mesh y"
	p.Add(hm)

	bar := plot.New()
	bar.HideX()
	bar.Y.Label.Text = "synaptic ops / inference"
	bar.Add(&plotter.ColorBar{ColorMap: cm, Vertical: true, Colors: 64})

	c := vgsvg.New(plotWidth, plotHeight)
	dc := draw.New(c)
	const barWidth = 90
	p.Draw(draw.Crop(dc, 0, -barWidth, 0, 0))
	bar.Draw(draw.Crop(dc, plotWidth-barWidth+10, 0, 0, -vg.Length(20)))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("energy: render heat map: %w", err)
	}
	return buf.Bytes(), nil
}

// InlineSVG strips the XML prologue of an SVG document so it can be
// embedded in HTML.
func InlineSVG(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s
}
