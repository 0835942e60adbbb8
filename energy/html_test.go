package energy

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteHTMLSelfContained(t *testing.T) {
	r := report321(t)
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, r, "html"))
	s := buf.String()
	figs, err := Figures(r)
	require.NoError(t, err)
	require.Len(t, figs, 3, "spike counts, energy split, loihi core heat map")
	assert.Equal(t, len(figs), strings.Count(s, "<svg"), "every figure is inline SVG")
	assert.NotContains(t, s, "<?xml", "SVG prologues are stripped")
	assert.NotContains(t, s, "<script")
	assert.NotContains(t, s, "<link")
	assert.NotContains(t, s, " src=")
	// The only references allowed are SVG namespaces, fragment and data: URLs.
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(s, -1) {
		assert.True(t, strings.HasPrefix(m[1], "data:") || strings.HasPrefix(m[1], "#"), "external reference %q", m[1])
	}
	for _, want := range []string{"30.3 pJ", "davies2018", "does not fit", "Davies et al., Loihi", "Horowitz", "Spike counts per layer", "Energy split by operation", "synaptic ops per core"} {
		assert.Contains(t, s, want)
	}
}
