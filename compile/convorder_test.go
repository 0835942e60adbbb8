package compile

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestScreenOrders: screenOrders keeps the first candidate whatever its
// estimate, drops candidates that fit nothing (-1), keeps those within
// orderScreenMargin cores of the best estimate and, with quarter, within
// a quarter of it if that is more, in the candidates' order.
func TestScreenOrders(t *testing.T) {
	names := func(cs []convOrderCandidate) []string {
		var n []string
		for _, c := range cs {
			n = append(n, c.name)
		}
		return n
	}
	est := map[string]int{"first": 60, "best": 40, "near": 40 + orderScreenMargin, "far": 40 + orderScreenMargin + 1, "quarter": 50, "none": -1}
	cands := []convOrderCandidate{{name: "first"}, {name: "far"}, {name: "best"}, {name: "none"}, {name: "near"}, {name: "quarter"}}
	estimate := func(c convOrderCandidate) int { return est[c.name] }
	assert.Equal(t, []string{"first", "best", "near"}, names(screenOrders(cands, false, estimate)))
	assert.Equal(t, []string{"first", "far", "best", "near", "quarter"}, names(screenOrders(cands, true, estimate)))
	est["first"] = -1
	assert.Equal(t, []string{"first", "best", "near"}, names(screenOrders(cands, false, estimate)), "the first is kept even if it fits nothing")
}
