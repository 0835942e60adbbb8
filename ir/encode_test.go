package ir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	flatbuffers "github.com/google/flatbuffers/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/snnc/snnc/ir/internal/fb"
)

var update = flag.Bool("update", false, "rewrite the golden model files in testdata/")

func TestRoundTrip(t *testing.T) {
	for _, tm := range testModels {
		t.Run(tm.file, func(t *testing.T) {
			m := tm.make()
			require.NoError(t, Verify(m))
			b, err := Encode(m)
			require.NoError(t, err)
			assert.Equal(t, FileIdentifier, string(b[4:8]))
			got, err := Decode(b)
			require.NoError(t, err)
			require.Equal(t, m, got)
			// Encoding is deterministic.
			b2, err := Encode(got)
			require.NoError(t, err)
			assert.Equal(t, b, b2)
		})
	}
}

// TestRoundTripGradedInput: the graded-input, delay and mapping-order
// fields survive a round trip, and a file without them (every older file)
// decodes them as 0 and empty.
func TestRoundTripGradedInput(t *testing.T) {
	m := testConv()
	require.NotNil(t, m.Quantized)
	plain, err := Encode(m)
	require.NoError(t, err)
	m.Layers[len(m.Layers)-1].Delay = 62
	m.Quantized.Layers[0].InputPayloadBits = 24
	m.Quantized.Layers[0].InputPayloadScale = 255
	n := m.Layers[0].NumOutputs()
	m.Layers[0].MapOrder = make([]int32, n)
	for k := range n {
		m.Layers[0].MapOrder[k] = int32((k*5 + 3) % n) // 5 is prime to n = 72
	}
	require.NoError(t, Verify(m))
	b, err := Encode(m)
	require.NoError(t, err)
	got, err := Decode(b)
	require.NoError(t, err)
	require.Equal(t, m, got)
	old, err := Decode(plain)
	require.NoError(t, err)
	assert.Zero(t, old.Quantized.Layers[0].InputPayloadBits)
	assert.Zero(t, old.Quantized.Layers[0].InputPayloadScale)
	assert.Empty(t, old.Layers[0].MapOrder)
}

func TestRoundTripMinimal(t *testing.T) {
	// No provenance, quantized or mapping sections; zero-valued scalars.
	m := &Model{
		Input:     Input{Shape: []int{1}},
		Timesteps: 1,
		Layers: []Layer{{Kind: KindDense, InShape: []int{1}, OutShape: []int{1},
			Weights: []float32{0}, Bias: []float32{0}}},
	}
	b, err := Encode(m)
	require.NoError(t, err)
	got, err := Decode(b)
	require.NoError(t, err)
	require.Equal(t, m, got)
}

func TestGoldenFiles(t *testing.T) {
	for _, tm := range testModels {
		path := filepath.Join("testdata", tm.file)
		m := tm.make()
		if *update {
			require.NoError(t, WriteFile(path, m))
		}
		want, err := Encode(m)
		require.NoError(t, err)
		b, err := os.ReadFile(path)
		require.NoError(t, err, "run go test ./ir -run TestGoldenFiles -update")
		assert.True(t, bytes.Equal(want, b), "%s differs from the encoding of its model; if the format changed on purpose, run go test ./ir -run TestGoldenFiles -update", path)
		got, err := ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
}

func TestWriteFileRejectsInvalid(t *testing.T) {
	m := testMLP()
	m.Timesteps = 0
	path := filepath.Join(t.TempDir(), "bad.snn")
	err := WriteFile(path, m)
	require.ErrorIs(t, err, ErrInvalid)
	_, statErr := os.Stat(path)
	assert.True(t, os.IsNotExist(statErr))
}

func TestReadFileErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadFile(filepath.Join(dir, "missing.snn"))
	require.ErrorIs(t, err, os.ErrNotExist)

	b, err := Encode(testConv())
	require.NoError(t, err)
	path := filepath.Join(dir, "cut.snn")
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o644))
	_, err = ReadFile(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.NotContains(t, err.Error(), "\n")
}

func TestDecodeHeaderErrors(t *testing.T) {
	good, err := Encode(testMLP())
	require.NoError(t, err)

	_, err = Decode(nil)
	assert.ErrorIs(t, err, ErrTruncated)
	_, err = Decode(good[:7])
	assert.ErrorIs(t, err, ErrTruncated)

	bad := bytes.Clone(good)
	copy(bad[4:8], "XXXX")
	_, err = Decode(bad)
	assert.ErrorIs(t, err, ErrIdentifier)
	assert.EqualError(t, err, `ir: not an snnc model file: file identifier is "XXXX", want "SNN1"`)
	var de *DecodeError
	assert.True(t, errors.As(err, &de))
}

// buildModel finishes a hand-built root table in b.
func finish(b *flatbuffers.Builder, root flatbuffers.UOffsetT) []byte {
	b.FinishWithFileIdentifier(root, []byte(FileIdentifier))
	return b.FinishedBytes()
}

func TestDecodeRejectsNewerVersion(t *testing.T) {
	b := flatbuffers.NewBuilder(0)
	fb.ModelStart(b)
	fb.ModelAddFormatVersion(b, FormatVersion+1)
	_, err := Decode(finish(b, fb.ModelEnd(b)))
	require.ErrorIs(t, err, ErrVersion)
	assert.Contains(t, err.Error(), "newer snnc")

	b = flatbuffers.NewBuilder(0)
	fb.ModelStart(b)
	_, err = Decode(finish(b, fb.ModelEnd(b)))
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "format_version")
}

// TestDecodeBoundsAllocation builds a file whose layers vector points
// 10000 times at one layer with a 4096-weight vector: decoding it naively
// would allocate 10000×16 KiB from a 60 KiB file.
func TestDecodeBoundsAllocation(t *testing.T) {
	b := flatbuffers.NewBuilder(0)
	ws := make([]float32, 4096)
	e := &encoder{b: b}
	weights := e.floats(ws)
	shape := e.ints([]int{1})
	fb.LayerStart(b)
	fb.LayerAddWeights(b, weights)
	fb.LayerAddInShape(b, shape)
	layer := fb.LayerEnd(b)
	offs := make([]flatbuffers.UOffsetT, 10000)
	for i := range offs {
		offs[i] = layer
	}
	layers := b.CreateVectorOfTables(offs)
	fb.ModelStart(b)
	fb.ModelAddFormatVersion(b, FormatVersion)
	fb.ModelAddLayers(b, layers)
	buf := finish(b, fb.ModelEnd(b))
	_, err := Decode(buf)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "more bytes than")
}

func TestDecodeTruncatedEverywhere(t *testing.T) {
	for _, tm := range testModels {
		b, err := Encode(tm.make())
		require.NoError(t, err)
		for n := range len(b) {
			before := decodePanics.Load()
			m, err := Decode(b[:n])
			require.Equal(t, before, decodePanics.Load(), "decoder panicked on %s cut to %d bytes", tm.file, n)
			if err == nil {
				// Only trailing padding or a string's NUL terminator
				// may be cut without losing data.
				require.GreaterOrEqual(t, n, len(b)-8, "%s cut to %d bytes decodes", tm.file, n)
				require.Equal(t, tm.make(), m)
			}
		}
	}
}

func TestDecodeBitFlips(t *testing.T) {
	for _, tm := range testModels {
		b, err := Encode(tm.make())
		require.NoError(t, err)
		for i := range len(b) {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				c := bytes.Clone(b)
				c[i] ^= x
				before := decodePanics.Load()
				m, err := Decode(c)
				require.Equal(t, before, decodePanics.Load(), "decoder panicked on %s with byte %d ^ %#x", tm.file, i, x)
				if err == nil {
					require.NoError(t, Verify(m))
				}
			}
		}
	}
}

func TestDecodeOffsetPastEnd(t *testing.T) {
	b, err := Encode(testMLP())
	require.NoError(t, err)
	c := bytes.Clone(b)
	binary.LittleEndian.PutUint32(c, uint32(len(c)+100))
	_, err = Decode(c)
	require.ErrorIs(t, err, ErrTruncated)
}
