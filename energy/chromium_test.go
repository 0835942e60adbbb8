//go:build unix

package energy

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromiumBinaries are the names headless Chromium is looked up under
// (Debian's package "chromium" installs /usr/bin/chromium).
var chromiumBinaries = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// TestHTMLReportRendersInChromium opens the HTML report in headless
// Chromium, takes a 1280×2000 screenshot and checks that the page is
// rendered and that the plots are there: the figures are the only large
// saturated-colour areas of the page, so each plot shows up as a block of
// coloured pixels in its column of the figure grid.
//
// It skips when Chromium is not installed, unless CI=true (then it fails).
func TestHTMLReportRendersInChromium(t *testing.T) {
	bin := ""
	for _, b := range chromiumBinaries {
		if p, err := exec.LookPath(b); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but no Chromium found (looked for %s); install the Debian package chromium", strings.Join(chromiumBinaries, ", "))
		}
		t.Skipf("no Chromium installed (looked for %s); apt-get install chromium to run this test", strings.Join(chromiumBinaries, ", "))
	}

	r := report321(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var html bytes.Buffer
	require.NoError(t, WriteHTML(&html, r))
	require.NoError(t, os.WriteFile(page, html.Bytes(), 0o644))
	const wantSVGs = 3
	require.Equal(t, wantSVGs, strings.Count(html.String(), "<svg"))

	shot := filepath.Join(dir, "out.png")
	profile := filepath.Join(dir, "profile")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--screenshot="+shot, "--window-size=1280,2000",
		"file://"+page)
	// Chromium starts helper processes: run it in its own process group and
	// end the whole group if it hangs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "chromium: %s", out)

	f, err := os.Open(shot)
	require.NoError(t, err, "chromium wrote no screenshot: %s", out)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	b := img.Bounds()
	require.Equal(t, 1280, b.Dx())
	require.Equal(t, 2000, b.Dy())

	// Rendered and not blank: enough non-white pixels and some variance.
	var nonWhite, n int
	var sum, sumSq float64
	colored := make([][]bool, b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		colored[y-b.Min.Y] = make([]bool, b.Dx())
		for x := b.Min.X; x < b.Max.X; x++ {
			rr, gg, bb, _ := img.At(x, y).RGBA()
			r8, g8, b8 := int(rr>>8), int(gg>>8), int(bb>>8)
			lum := float64(r8+g8+b8) / 3
			sum += lum
			sumSq += lum * lum
			n++
			if r8 < 240 || g8 < 240 || b8 < 240 {
				nonWhite++
			}
			colored[y-b.Min.Y][x-b.Min.X] = max(r8, g8, b8)-min(r8, g8, b8) > 80
		}
	}
	mean := sum / float64(n)
	variance := sumSq/float64(n) - mean*mean
	t.Logf("non-white %.1f%%, luminance variance %.0f", 100*float64(nonWhite)/float64(n), variance)
	assert.Greater(t, float64(nonWhite)/float64(n), 0.05, "page looks blank")
	assert.Greater(t, variance, 100.0, "page looks uniform")

	// Plots: split the page into bands of rows that hold coloured pixels
	// (gaps of ≥ 8 rows end a band) and count coloured pixels per band in
	// the left and right column of the figure grid. Each plot is a region
	// with thousands of coloured pixels; text never is.
	const minPlotPixels = 5000
	var regions []string
	rowCount := func(y, x0, x1 int) int {
		c := 0
		for x := x0; x < x1; x++ {
			if colored[y][x] {
				c++
			}
		}
		return c
	}
	mid := b.Dx() / 2
	for y := 0; y < b.Dy(); {
		if rowCount(y, 0, b.Dx()) == 0 {
			y++
			continue
		}
		start, gap, left, right := y, 0, 0, 0
		for ; y < b.Dy() && gap < 8; y++ {
			l, r := rowCount(y, 0, mid), rowCount(y, mid, b.Dx())
			left, right = left+l, right+r
			if l+r == 0 {
				gap++
			} else {
				gap = 0
			}
		}
		if left >= minPlotPixels {
			regions = append(regions, "left@"+strconv.Itoa(start))
		}
		if right >= minPlotPixels {
			regions = append(regions, "right@"+strconv.Itoa(start))
		}
	}
	t.Logf("plot regions: %v", regions)
	assert.GreaterOrEqual(t, len(regions), wantSVGs, "expected %d plots rendered, found coloured regions %v", wantSVGs, regions)
	if t.Failed() {
		if keep := os.Getenv("SNNC_KEEP_SCREENSHOT"); keep != "" {
			_ = os.WriteFile(keep, mustRead(t, shot), 0o644)
			t.Logf("screenshot kept at %s", keep)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
