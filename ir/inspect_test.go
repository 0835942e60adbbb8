package ir

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInspectFile summarises a real file: its size on disk, the summary of
// the model Decode returns, and one JSON object with "file" and "bytes"
// beside the summary's own fields.
func TestInspectFile(t *testing.T) {
	path := filepath.Join("testdata", "mlp.snn")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	m, err := Decode(b)
	require.NoError(t, err)

	fs, err := InspectFile(path)
	require.NoError(t, err)
	assert.Equal(t, path, fs.File)
	assert.Equal(t, len(b), fs.Bytes)
	assert.Equal(t, m.Summary(), fs.Summary)

	js, err := json.Marshal(fs)
	require.NoError(t, err)
	var obj map[string]any
	require.NoError(t, json.Unmarshal(js, &obj))
	assert.Equal(t, path, obj["file"])
	assert.Equal(t, float64(len(b)), obj["bytes"])
	assert.Contains(t, obj, "layers", "the summary's fields are at the top level")
	assert.Contains(t, obj, "timesteps")
}

// TestInspectFileErrors: a missing file and a truncated one are errors
// naming the file; the truncated one wraps the decoder's *DecodeError.
func TestInspectFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := InspectFile(filepath.Join(dir, "missing.snn"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "missing.snn")
	assert.True(t, errors.Is(err, os.ErrNotExist))

	b, err := os.ReadFile(filepath.Join("testdata", "mlp.snn"))
	require.NoError(t, err)
	short := filepath.Join(dir, "short.snn")
	require.NoError(t, os.WriteFile(short, b[:len(b)/2], 0o644))
	_, err = InspectFile(short)
	var de *DecodeError
	require.ErrorAs(t, err, &de)
	assert.Contains(t, err.Error(), "short.snn: ir: ")
}
