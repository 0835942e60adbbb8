package compile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestDumpGolden compares the text dump of every pass of a small
// compilation with testdata/dump.golden (refresh with -update).
func TestDumpGolden(t *testing.T) {
	m := RandomDense([]int{12, 10, 6, 3}, 4, 1)
	m.Input.Encoding = ir.EncodingRate
	var buf bytes.Buffer
	_, err := Compile(m, loihi(t), Options{DumpAfter: "all", Dump: &buf})
	require.NoError(t, err)
	path := filepath.Join("testdata", "dump.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, string(want), buf.String())
}
