//go:build unix

package plan

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/energy"
	"github.com/snnc/snnc/energy/internal/headless"
)

// TestHTMLRendersInChromium opens the plan's HTML page in headless
// Chromium and finds its three plots in the screenshot, as the energy
// report's test does (headless.CheckPage; the plots here are sparser, so a
// region needs fewer coloured pixels). It skips when Chromium is not
// installed, unless CI=true.
func TestHTMLRendersInChromium(t *testing.T) {
	s := testSettings(t)
	s.Targets = []string{energy.SeedTarget, "loihi", "loihi2", "truenorth"}
	s.WeightBits, s.Timesteps = []int{0, 4}, []int{2, 4}
	res, err := Run(context.Background(), testModel(), s)
	require.NoError(t, err)
	var html bytes.Buffer
	require.NoError(t, WriteHTML(&html, res))
	const wantSVGs = 3
	require.Equal(t, wantSVGs, strings.Count(html.String(), "<svg"))
	// The table comes first: a tall window reaches the plots below it.
	headless.CheckPage(t, html.Bytes(), wantSVGs, 1280, 2400, 1500)
}
