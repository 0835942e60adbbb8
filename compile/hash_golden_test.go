package compile

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// goldenModels are the models TestCompiledGolden compiles for every target:
// dense and conv, direct-current and rate input, and TrueNorth-style
// networks that take the splitter plan.
var goldenModels = []struct {
	name  string
	model func() *ir.Model
}{
	{"dense-direct", func() *ir.Model { return RandomDense([]int{64, 48, 10}, 4, 1) }},
	{"dense-rate", func() *ir.Model { return rateModel(RandomDense([]int{100, 300, 10}, 4, 2)) }},
	{"conv-direct", func() *ir.Model { return RandomConv(16, 1, 4, 3, 1) }},
	{"conv-rate", func() *ir.Model { return rateModel(RandomConv(16, 2, 4, 3, 2)) }},
	{"tn-dense", func() *ir.Model { return trueNorthModel([]int{64, 32, 10}, 4, 1) }},
	{"tn-grouped", func() *ir.Model { return groupedTrueNorth(64, []int{64, 32}, 16, 2, 10, 4, 3) }},
	{"tn-conv", func() *ir.Model {
		return tnConvModel([]int{1, 12, 12}, []tnConv{{out: 8, k: 3, stride: 1}, {out: 16, k: 3, stride: 1, groups: 4}, {pool: 2}}, 10, 8, false, 1)
	}},
}

// TestCompiledGolden compiles every golden model for every target and
// compares the SHA-256 of the encoded result (or of the error text, for a
// model that does not fit) with testdata/compiled.sha256. A refactoring of
// the pipeline or the backends keeps the files byte-identical; a change
// that means to change them refreshes the file with -update (and says why
// in its commit). A new target needs -update once.
func TestCompiledGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every model for every target")
	}
	var lines []string
	for _, name := range targets.Names() {
		tg, err := targets.Lookup(name)
		require.NoError(t, err)
		for _, gm := range goldenModels {
			res, err := Compile(gm.model(), tg, Options{Seed: 1})
			var b []byte
			if err != nil {
				b = []byte("error: " + err.Error())
			} else {
				b, err = ir.Encode(res.Model)
				require.NoError(t, err)
			}
			lines = append(lines, fmt.Sprintf("%s %s %x", name, gm.name, sha256.Sum256(b)))
		}
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	path := filepath.Join("testdata", "compiled.sha256")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./compile -run TestCompiledGolden -update")
	assert.Equal(t, string(want), got, "compiled files changed (a new target? refresh with -update)")
}
