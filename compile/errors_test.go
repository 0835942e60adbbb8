package compile

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/targets"
)

// TestLimitErrorsListEveryViolation checks that the limits pass returns
// every violation as one LimitErrors, in layer order, and that errors.As
// reaches both the list and its first *LimitError.
func TestLimitErrorsListEveryViolation(t *testing.T) {
	tg, err := targets.Lookup("truenorth")
	require.NoError(t, err)
	// 784-32-16-10 with rate input and γ = 0.9: fc1 reads 784 inputs (a
	// core has 256 axons); fc1 and fc2 have many distinct weights per sign
	// and a multiplicative leak; fc3 is the host-side readout.
	m := rateModel(RandomDense([]int{784, 32, 16, 10}, 4, 1))
	_, err = Compile(m, tg, Options{})
	var les LimitErrors
	require.ErrorAs(t, err, &les, "%v", err)
	type violation struct {
		layer int
		limit string
	}
	want := []violation{
		{0, "input axons per neuron"}, {0, "axon types"}, {0, "multiplicative leak"},
		{1, "axon types"}, {1, "multiplicative leak"},
	}
	var got []violation
	var lines []string
	for _, le := range les {
		got = append(got, violation{le.Layer, le.Limit})
		lines = append(lines, le.Error())
	}
	assert.Equal(t, want, got)
	assert.Equal(t, strings.Join(lines, "\n"), err.Error(), "one line per violation, as errors.Join")

	var first *LimitError
	require.ErrorAs(t, err, &first)
	assert.Same(t, les[0], first)
	assert.True(t, errors.Is(err, les[1]), "Unwrap lists every violation")
}

// TestLimitErrorsNilWhenFit checks that a model within the limits gets a
// nil error, not an empty LimitErrors in an error interface.
func TestLimitErrorsNilWhenFit(t *testing.T) {
	tg := loihi(t)
	res, err := Compile(RandomDense([]int{64, 16, 10}, 2, 1), tg, Options{})
	require.True(t, err == nil, "err = %#v", err)
	require.NotNil(t, res)
	assert.Nil(t, LimitErrors(nil).orNil())
}
