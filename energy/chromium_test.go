//go:build unix

package energy

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/energy/internal/headless"
)

// TestHTMLReportRendersInChromium opens the HTML report in headless
// Chromium, takes a 1280×2000 screenshot and checks that the page is
// rendered and that the plots are there: the figures are the only large
// saturated-colour areas of the page, so each plot shows up as a block of
// coloured pixels in its column of the figure grid (headless.CheckPage).
//
// It skips when Chromium is not installed, unless CI=true (then it fails).
func TestHTMLReportRendersInChromium(t *testing.T) {
	r := report321(t)
	var html bytes.Buffer
	require.NoError(t, WriteHTML(&html, r))
	const wantSVGs = 3
	require.Equal(t, wantSVGs, strings.Count(html.String(), "<svg"))
	headless.CheckPage(t, html.Bytes(), wantSVGs, 1280, 2000, 5000)
}
