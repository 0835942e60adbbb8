//go:build unix

// Package headless renders HTML reports in headless Chromium for the
// tests of the energy and planning reports: it finds the browser, takes a
// screenshot of a page, and finds the plots in it (the large areas of
// saturated colour).
package headless

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Binaries are the names headless Chromium is looked up under (Debian's
// package "chromium" installs /usr/bin/chromium).
var Binaries = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// ErrNoChromium is returned by Find when no Chromium is installed.
var ErrNoChromium = errors.New("no Chromium installed (looked for " + strings.Join(Binaries, ", ") + "); apt-get install chromium")

// Find returns the path of the first Chromium binary on PATH.
func Find() (string, error) {
	for _, b := range Binaries {
		if p, err := exec.LookPath(b); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Screenshot opens the HTML file page in headless Chromium (bin) with a
// window of width×height pixels and returns the decoded screenshot. Scratch
// files (profile, PNG) go to dir; the PNG stays there as screenshot.png.
func Screenshot(ctx context.Context, bin, page, dir string, width, height int) (image.Image, error) {
	shot := filepath.Join(dir, "screenshot.png")
	profile := filepath.Join(dir, "profile")
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	abs, err := filepath.Abs(page)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile, "--screenshot="+shot,
		"--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height),
		"file://"+abs)
	// Chromium starts helper processes: run it in its own process group and
	// end the whole group if it hangs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("chromium: %w: %s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		return nil, fmt.Errorf("chromium wrote no screenshot: %w", err)
	}
	defer f.Close()
	return png.Decode(f)
}

// Page summarises a screenshot.
type Page struct {
	// NonWhite is the fraction of pixels that are not (nearly) white and
	// Variance the variance of the luminance: a blank page has both near 0.
	NonWhite, Variance float64
	// Plots lists the regions that hold at least minPixels saturated
	// pixels, as "left@Y" or "right@Y" (column of a two-column figure grid,
	// first row of the band).
	Plots []string
}

// Analyse splits the page into bands of rows holding saturated pixels
// (gaps of 8 or more rows end a band) and counts the saturated pixels of
// each band in the left and the right half: each plot is a region with
// thousands of coloured pixels, text never is.
func Analyse(img image.Image, minPixels int) Page {
	b := img.Bounds()
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
	var p Page
	if n > 0 {
		mean := sum / float64(n)
		p.NonWhite = float64(nonWhite) / float64(n)
		p.Variance = sumSq/float64(n) - mean*mean
	}
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
		if left >= minPixels {
			p.Plots = append(p.Plots, "left@"+strconv.Itoa(start))
		}
		if right >= minPixels {
			p.Plots = append(p.Plots, "right@"+strconv.Itoa(start))
		}
	}
	return p
}

// CheckPage is the test of an HTML report: it opens html in headless
// Chromium at width×height, then requires a rendered page (more than 5 %
// non-white pixels, luminance variance above 100) with at least wantPlots
// plot regions of minPixels saturated pixels (Analyse). It skips when no
// Chromium is installed, unless CI=true (then it fails). With
// SNNC_KEEP_SCREENSHOT=FILE the screenshot is kept in FILE.
func CheckPage(t testing.TB, html []byte, wantPlots, width, height, minPixels int) {
	t.Helper()
	bin, err := Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err := Screenshot(context.Background(), bin, page, dir, width, height)
	if err != nil {
		t.Fatal(err)
	}
	if keep := os.Getenv("SNNC_KEEP_SCREENSHOT"); keep != "" {
		if b, err := os.ReadFile(filepath.Join(dir, "screenshot.png")); err == nil {
			_ = os.WriteFile(keep, b, 0o644)
			t.Logf("screenshot kept at %s", keep)
		}
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Fatalf("screenshot is %d×%d, want %d×%d", b.Dx(), b.Dy(), width, height)
	}
	pg := Analyse(img, minPixels)
	t.Logf("non-white %.1f%%, luminance variance %.0f, plot regions %v", 100*pg.NonWhite, pg.Variance, pg.Plots)
	if pg.NonWhite <= 0.05 {
		t.Errorf("page looks blank: %.1f%% non-white pixels", 100*pg.NonWhite)
	}
	if pg.Variance <= 100 {
		t.Errorf("page looks uniform: luminance variance %.0f", pg.Variance)
	}
	if len(pg.Plots) < wantPlots {
		t.Errorf("expected %d plots rendered, found coloured regions %v", wantPlots, pg.Plots)
	}
}
