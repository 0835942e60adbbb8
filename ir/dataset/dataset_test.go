package dataset

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDefault(t *testing.T) {
	s, err := Default()
	require.NoError(t, err)
	require.Equal(t, []int{1, 28, 28}, s.Shape())
	require.Equal(t, 10, s.Classes)
	require.Greater(t, s.Train.N, 1000)
	require.Greater(t, s.Test.N, 500)
	require.Len(t, s.Train.Images, s.Train.N*784)
	// Every class is present in both splits.
	for _, sp := range []Split{s.Train, s.Test} {
		seen := map[uint8]int{}
		for _, l := range sp.Labels {
			seen[l]++
		}
		require.Len(t, seen, 10)
	}
}

func writeSet(t *testing.T, dir string, gz bool, imgDims []int, nLabels int) {
	t.Helper()
	n := 1
	for _, d := range imgDims {
		n *= d
	}
	img := EncodeIDX(imgDims, make([]uint8, n))
	lab := EncodeIDX([]int{nLabels}, make([]uint8, nLabels))
	for _, f := range []struct {
		name string
		b    []byte
	}{{"train-images-idx3-ubyte", img}, {"train-labels-idx1-ubyte", lab}, {"t10k-images-idx3-ubyte", img}, {"t10k-labels-idx1-ubyte", lab}} {
		b, name := f.b, f.name
		if gz {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(b)
			zw.Close()
			b, name = buf.Bytes(), name+".gz"
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	}
}

func TestLoad(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeSet(t, dir, gz, []int{3, 4, 5}, 3)
		s, err := Load(dir)
		require.NoError(t, err)
		require.Equal(t, []int{1, 4, 5}, s.Shape())
		require.Equal(t, 3, s.Test.N)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		desc string
		make func(dir string)
		want string
	}{
		{"missing files", func(string) {}, "no train-images file"},
		{"label count differs", func(dir string) { writeSet(t, dir, false, []int{3, 4, 5}, 2) }, "3 images but 2 labels"},
		{"truncated", func(dir string) {
			writeSet(t, dir, false, []int{3, 4, 5}, 3)
			p := filepath.Join(dir, "t10k-images-idx3-ubyte")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-7], 0o644)
		}, "malformed IDX file"},
		{"corrupt gzip", func(dir string) {
			writeSet(t, dir, false, []int{3, 4, 5}, 3)
			os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte.gz"), []byte{0x1f, 0x8b, 1, 2, 3}, 0o644)
		}, "gzip"},
	}
	for _, c := range cases {
		t.Run(c.desc, func(t *testing.T) {
			dir := t.TempDir()
			c.make(dir)
			_, err := Load(dir)
			require.ErrorContains(t, err, c.want)
		})
	}
}

func FuzzDecodeIDX(f *testing.F) {
	f.Add(EncodeIDX([]int{2, 2, 2}, make([]uint8, 8)))
	f.Add(EncodeIDX([]int{5}, []uint8{1, 2, 3, 4, 5}))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		dims, data, err := DecodeIDX(b)
		if err != nil {
			return
		}
		n := 1
		for _, d := range dims {
			n *= d
		}
		if n != len(data) {
			t.Fatalf("dims %v but %d bytes", dims, len(data))
		}
	})
}
