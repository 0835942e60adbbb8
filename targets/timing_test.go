package targets

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTimingChecked: a data file's timing block is checked by Parse, and a
// bad figure is one DataError naming the field.
func TestTimingChecked(t *testing.T) {
	b, err := dataFS.ReadFile("data/loihi.json")
	require.NoError(t, err)
	tg, err := Parse("loihi.json", b)
	require.NoError(t, err)
	require.NotNil(t, tg.Timing)
	assert.True(t, tg.Timing.HasContention())
	for _, c := range []struct{ from, to, field string }{
		{`"soma_accounting": "every-neuron"`, `"soma_accounting": "sometimes"`, "timing.soma_accounting"},
		{`"link_buffer": 16`, `"link_buffer": -1`, "timing.link_buffer"},
		{`"synaptic_op": 3.8e-9`, `"synaptic_op": -3.8e-9`, "timing.synaptic_op"},
		{`{"tiles": 2, "seconds": 1.0e-6}`, `{"tiles": 1, "seconds": 1.0e-6}`, "timing.sync[1]"},
	} {
		s := string(b)
		require.Contains(t, s, c.from)
		_, err := Parse("loihi.json", []byte(strings.Replace(s, c.from, c.to, 1)))
		var de *DataError
		require.True(t, errors.As(err, &de), "%s: %v", c.field, err)
		assert.Equal(t, c.field, de.Field)
	}
	var none *Timing
	assert.False(t, none.HasContention(), "a target without timing data")
}
