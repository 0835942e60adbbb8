//go:build unix

package plan

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/energy/internal/headless"
)

// TestHTMLRendersInChromium opens the plan's HTML page in headless
// Chromium and finds its three plots in the screenshot, as the energy
// report's test does (headless.Analyse). It skips when Chromium is not
// installed, unless CI=true.
func TestHTMLRendersInChromium(t *testing.T) {
	bin, err := headless.Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but %v", err)
		}
		t.Skip(err)
	}
	s := testSettings(t)
	s.Targets = []string{energy.SeedTarget, "loihi", "loihi2", "truenorth"}
	s.WeightBits, s.Timesteps = []int{0, 4}, []int{2, 4}
	res, err := Run(context.Background(), testModel(), s)
	require.NoError(t, err)
	dir := t.TempDir()
	page := filepath.Join(dir, "plan.html")
	var html bytes.Buffer
	require.NoError(t, WriteHTML(&html, res))
	require.NoError(t, os.WriteFile(page, html.Bytes(), 0o644))
	const wantSVGs = 3
	require.Equal(t, wantSVGs, strings.Count(html.String(), "<svg"))

	// The table comes first: a tall window reaches the plots below it.
	img, err := headless.Screenshot(context.Background(), bin, page, dir, 1280, 2400)
	require.NoError(t, err)
	pg := headless.Analyse(img, 1500)
	t.Logf("non-white %.1f%%, luminance variance %.0f, plot regions %v", 100*pg.NonWhite, pg.Variance, pg.Plots)
	assert.Greater(t, pg.NonWhite, 0.05, "page looks blank")
	assert.Greater(t, pg.Variance, 100.0, "page looks uniform")
	assert.GreaterOrEqual(t, len(pg.Plots), wantSVGs, "expected %d plots rendered, found coloured regions %v", wantSVGs, pg.Plots)
	if keep := os.Getenv("SNNC_KEEP_SCREENSHOT"); keep != "" {
		b, _ := os.ReadFile(filepath.Join(dir, "screenshot.png"))
		_ = os.WriteFile(keep, b, 0o644)
	}
}
