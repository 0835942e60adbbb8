package dataset

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
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

// FuzzDecodeIDX feeds arbitrary bytes to DecodeIDX and, as the test images
// of both splits (gzip-compressed when gz), through Load from a directory:
// the whole loader, with the decompressed-size bound lowered to 64 KiB so
// that gzip bombs reach it. DecodeIDX must return dims that match its data;
// Load must fail with a "dataset: " error or return a set whose images are
// the decoded ones, N×H×W×C files moved to channel-major order.
func FuzzDecodeIDX(f *testing.F) {
	saved := maxFileBytes
	maxFileBytes = 1 << 16
	f.Cleanup(func() { maxFileBytes = saved })
	f.Add(EncodeIDX([]int{2, 2, 2}, make([]uint8, 8)), false)
	f.Add(EncodeIDX([]int{5}, []uint8{1, 2, 3, 4, 5}), false)
	f.Add(EncodeIDX([]int{2, 3, 2, 3}, []uint8{ // N×H×W×C
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
		19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36}), true)
	f.Add(EncodeIDX([]int{1, 300, 240}, make([]uint8, 300*240)), true) // above the bound once decompressed
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false)
	f.Fuzz(func(t *testing.T, b []byte, gz bool) {
		dims, data, err := DecodeIDX(b)
		if err == nil {
			n := 1
			for _, d := range dims {
				n *= d
			}
			if n != len(data) {
				t.Fatalf("dims %v but %d bytes", dims, len(data))
			}
		}
		dir := t.TempDir()
		img := b
		if gz {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			zw.Write(b)
			zw.Close()
			img = buf.Bytes()
		}
		nLabels := 1
		if err == nil {
			nLabels = dims[0]
		}
		lab := EncodeIDX([]int{nLabels}, make([]uint8, nLabels))
		suffix := map[bool]string{false: "", true: ".gz"}[gz]
		for name, content := range map[string][]byte{"train-images-idx3-ubyte" + suffix: img, "t10k-images-idx3-ubyte" + suffix: img,
			"train-labels-idx1-ubyte": lab, "t10k-labels-idx1-ubyte": lab} {
			if err := os.WriteFile(filepath.Join(dir, name), content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, lerr := Load(dir)
		if lerr != nil {
			if !strings.HasPrefix(lerr.Error(), "dataset: ") {
				t.Fatalf("error without the package prefix: %v", lerr)
			}
			return
		}
		if err != nil {
			t.Fatalf("Load accepted images that DecodeIDX refuses: %v", err)
		}
		size := s.ImageSize()
		if s.Test.N != dims[0] || len(s.Test.Images) != s.Test.N*size || size*dims[0] != len(data) {
			t.Fatalf("dims %v: set of %d images of %v", dims, s.Test.N, s.Shape())
		}
		if len(dims) == 4 { // pixel (c, y, x) of image k came from [k][y][x][c]
			H, W, C := dims[1], dims[2], dims[3]
			for k := 0; k < dims[0]; k++ {
				for c := 0; c < C; c++ {
					for y := 0; y < H; y++ {
						for x := 0; x < W; x++ {
							if got, want := s.Test.Images[k*size+(c*H+y)*W+x], data[k*size+(y*W+x)*C+c]; got != want {
								t.Fatalf("image %d channel %d (%d,%d): %d, want %d", k, c, y, x, got, want)
							}
						}
					}
				}
			}
		} else if !bytes.Equal(s.Test.Images, data) {
			t.Fatal("images differ from the file")
		}
	})
}

// TestGunzipSizeHint: the buffer is sized from the gzip trailer, but the
// output never depends on it: a file of two gzip members (the trailer
// holds the last one's size only) and one of several MB come back whole.
func TestGunzipSizeHint(t *testing.T) {
	gz := func(p []byte) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, err := zw.Write(p)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		return b.Bytes()
	}
	big := bytes.Repeat([]byte("snnc idx "), 1<<19)
	small := []byte("tail")
	for _, c := range []struct {
		name string
		in   []byte
		want []byte
	}{
		{"one member", gz(big), big},
		{"two members, the last small", append(gz(big), gz(small)...), append(append([]byte(nil), big...), small...)},
		{"empty", gz(nil), nil},
	} {
		out, err := maybeGunzip(c.in)
		require.NoError(t, err, c.name)
		require.True(t, bytes.Equal(c.want, out), c.name)
	}
}
