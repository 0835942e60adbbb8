package targets

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPipelineAsksTheBackend: outside targets, the pipeline's code never
// compares a family or target name (it asks the Backend). It scans the
// non-test Go files of compile, sim, energy and train for a Family comparison or
// a target name used as a string literal in code.
func TestPipelineAsksTheBackend(t *testing.T) {
	family := regexp.MustCompile(`\.Family\b`)
	var names []string
	for _, n := range append(AllNames(), Families()...) {
		names = append(names, regexp.QuoteMeta(`"`+n+`"`))
	}
	literal := regexp.MustCompile(strings.Join(names, "|"))
	files := 0
	for _, dir := range []string{"../compile", "../sim", "../energy", "../train"} {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			for i, line := range strings.Split(string(b), "\n") {
				code, _, _ := strings.Cut(line, "//")
				assert.False(t, family.MatchString(code), "%s:%d compares a family: %s", path, i+1, line)
				assert.False(t, literal.MatchString(code), "%s:%d names a target in code: %s", path, i+1, line)
			}
			return nil
		})
		require.NoError(t, err)
	}
	require.Positive(t, files)
}
