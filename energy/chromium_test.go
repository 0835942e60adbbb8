//go:build unix

package energy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/energy/internal/headless"
)

// TestHTMLReportRendersInChromium opens the HTML report in headless
// Chromium, takes a 1280×2000 screenshot and checks that the page is
// rendered and that the plots are there: the figures are the only large
// saturated-colour areas of the page, so each plot shows up as a block of
// coloured pixels in its column of the figure grid (headless.Analyse).
//
// It skips when Chromium is not installed, unless CI=true (then it fails).
func TestHTMLReportRendersInChromium(t *testing.T) {
	bin, err := headless.Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skip(err)
	}

	r := report321(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	var html bytes.Buffer
	require.NoError(t, WriteHTML(&html, r))
	require.NoError(t, os.WriteFile(page, html.Bytes(), 0o644))
	const wantSVGs = 3
	require.Equal(t, wantSVGs, strings.Count(html.String(), "<svg"))

	img, err := headless.Screenshot(context.Background(), bin, page, dir, 1280, 2000)
	require.NoError(t, err)
	b := img.Bounds()
	require.Equal(t, 1280, b.Dx())
	require.Equal(t, 2000, b.Dy())

	pg := headless.Analyse(img, 5000)
	t.Logf("non-white %.1f%%, luminance variance %.0f, plot regions %v", 100*pg.NonWhite, pg.Variance, pg.Plots)
	assert.Greater(t, pg.NonWhite, 0.05, "page looks blank")
	assert.Greater(t, pg.Variance, 100.0, "page looks uniform")
	assert.GreaterOrEqual(t, len(pg.Plots), wantSVGs, "expected %d plots rendered, found coloured regions %v", wantSVGs, pg.Plots)
	if t.Failed() {
		if keep := os.Getenv("SNNC_KEEP_SCREENSHOT"); keep != "" {
			_ = os.WriteFile(keep, mustRead(t, filepath.Join(dir, "screenshot.png")), 0o644)
			t.Logf("screenshot kept at %s", keep)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
