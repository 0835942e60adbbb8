package dataset

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

//go:embed embedded/*.gz
var embedded embed.FS

// DefaultName is the name of the embedded dataset.
const DefaultName = "mnist-subset (embedded)"

// maxFileBytes bounds the decompressed size of one IDX file (1 GiB; a
// variable so that the fuzzer can reach the bound).
var maxFileBytes = 1 << 30

// Split is one part (train or test) of a dataset: N images of Rows×Cols×
// Channels bytes each, stored contiguously, and one label per image.
type Split struct {
	N      int
	Images []uint8
	Labels []uint8
}

// Set is a labelled image dataset.
type Set struct {
	// Name names the dataset (its directory, or DefaultName).
	Name string
	// Channels, Rows and Cols are the shape of one image (CHW).
	Channels, Rows, Cols int
	// Classes is one more than the largest label.
	Classes int
	// Steps is 0 for images; for binned event streams it is the number
	// of time steps T, and each sample is T steps of C·H·W spikes (0 or 1),
	// step-major.
	Steps int
	Train Split
	Test  Split
}

// Shape returns [C,H,W].
func (s *Set) Shape() []int { return []int{s.Channels, s.Rows, s.Cols} }

// ImageSize is the number of values in one sample: C·H·W for an image,
// Steps·C·H·W for binned events.
func (s *Set) ImageSize() int { return max(1, s.Steps) * s.StepSize() }

// StepSize is the number of values of one time step, C·H·W: the network's
// input size.
func (s *Set) StepSize() int { return s.Channels * s.Rows * s.Cols }

// Image returns image i of the split (a view, not a copy).
func (sp *Split) Image(i, size int) []uint8 { return sp.Images[i*size : (i+1)*size] }

// Limit returns a copy of the split header holding at most n samples (n ≤ 0: all).
func (sp Split) Limit(n, size int) Split {
	if n <= 0 || n >= sp.N {
		return sp
	}
	return Split{N: n, Images: sp.Images[:n*size], Labels: sp.Labels[:n]}
}

// ErrFormat is wrapped by every error about a malformed file.
var ErrFormat = errors.New("malformed IDX file")

// file names tried for each part, in order; ".gz" variants are also tried.
var partNames = map[string][]string{
	"train-images": {"train-images-idx3-ubyte", "train-images.idx3-ubyte"},
	"train-labels": {"train-labels-idx1-ubyte", "train-labels.idx1-ubyte"},
	"test-images":  {"t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte", "test-images-idx3-ubyte"},
	"test-labels":  {"t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte", "test-labels-idx1-ubyte"},
}

// Load reads a dataset from the four IDX files in dir (train-images-idx3-ubyte,
// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
// each optionally gzip-compressed with a .gz suffix).
func Load(dir string) (*Set, error) {
	open := func(part string) ([]byte, error) {
		for _, n := range partNames[part] {
			for _, suffix := range []string{".gz", ""} {
				p := filepath.Join(dir, n+suffix)
				b, err := os.ReadFile(p)
				if errors.Is(err, fs.ErrNotExist) {
					continue
				}
				if err != nil {
					return nil, fmt.Errorf("dataset: %w", err)
				}
				b, err = maybeGunzip(b)
				if err != nil {
					return nil, fmt.Errorf("dataset: %s: %w", p, err)
				}
				return b, nil
			}
		}
		return nil, fmt.Errorf("dataset: %s: no %s file (looked for %s[.gz])", dir, part, partNames[part][0])
	}
	s, err := build(filepath.Base(filepath.Clean(dir)), open)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Default returns the embedded MNIST subset.
func Default() (*Set, error) {
	open := func(part string) ([]byte, error) {
		b, err := embedded.ReadFile("embedded/" + part + ".gz")
		if err != nil {
			return nil, fmt.Errorf("dataset: embedded %s: %w", part, err)
		}
		return maybeGunzip(b)
	}
	return build(DefaultName, open)
}

// LoadOrDefault loads dir, or the embedded default when dir is "".
func LoadOrDefault(dir string) (*Set, error) {
	if dir == "" {
		return Default()
	}
	return Load(dir)
}

func build(name string, open func(part string) ([]byte, error)) (*Set, error) {
	s := &Set{Name: name}
	var shapes [2][]int
	for i, sp := range []*Split{&s.Train, &s.Test} {
		prefix := []string{"train", "test"}[i]
		ib, err := open(prefix + "-images")
		if err != nil {
			return nil, err
		}
		lb, err := open(prefix + "-labels")
		if err != nil {
			return nil, err
		}
		dims, images, err := DecodeIDX(ib)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s %s images: %w", name, prefix, err)
		}
		ldims, labels, err := DecodeIDX(lb)
		if err != nil {
			return nil, fmt.Errorf("dataset: %s %s labels: %w", name, prefix, err)
		}
		if len(dims) < 2 || len(dims) > 4 {
			return nil, fmt.Errorf("dataset: %s %s images: %w: %d dimensions, want 3 (N×H×W) or 4 (N×H×W×C)", name, prefix, ErrFormat, len(dims))
		}
		if len(ldims) != 1 {
			return nil, fmt.Errorf("dataset: %s %s labels: %w: %d dimensions, want 1", name, prefix, ErrFormat, len(ldims))
		}
		if ldims[0] != dims[0] {
			return nil, fmt.Errorf("dataset: %s %s: %d images but %d labels", name, prefix, dims[0], ldims[0])
		}
		sp.N, sp.Images, sp.Labels = dims[0], images, labels
		shapes[i] = dims[1:]
		if len(dims) == 4 { // N×H×W×C → store as CHW
			sp.Images = hwcToCHW(images, dims[0], dims[1], dims[2], dims[3])
		}
		for _, l := range labels {
			s.Classes = max(s.Classes, int(l)+1)
		}
	}
	if fmt.Sprint(shapes[0]) != fmt.Sprint(shapes[1]) {
		return nil, fmt.Errorf("dataset: %s: train images are %v but test images are %v", name, shapes[0], shapes[1])
	}
	sh := shapes[0]
	s.Channels, s.Rows, s.Cols = 1, sh[0], 1
	if len(sh) >= 2 {
		s.Cols = sh[1]
	}
	if len(sh) == 3 {
		s.Channels = sh[2]
	}
	if s.Train.N == 0 || s.Test.N == 0 {
		return nil, fmt.Errorf("dataset: %s: empty split", name)
	}
	return s, nil
}

func hwcToCHW(src []uint8, n, h, w, c int) []uint8 {
	dst := make([]uint8, len(src))
	size := h * w * c
	for k := 0; k < n; k++ {
		s, d := src[k*size:(k+1)*size], dst[k*size:(k+1)*size]
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for ch := 0; ch < c; ch++ {
					d[ch*h*w+y*w+x] = s[(y*w+x)*c+ch]
				}
			}
		}
	}
	return dst
}

func maybeGunzip(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		return b, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %v", ErrFormat, err)
	}
	// The trailer's ISIZE (the size modulo 2^32, of the last member) sizes
	// the buffer, so that a large file is not copied and re-allocated as
	// it grows; it is only a hint, bounded by the limit and by deflate's
	// largest ratio (1032:1).
	hint := int64(1)
	if len(b) >= 4 { // gzip.NewReader has read a 10-byte header
		hint += int64(binary.LittleEndian.Uint32(b[len(b)-4:]))
	}
	hint = min(hint, int64(maxFileBytes)+1, 1032*int64(len(b))+1)
	out := make([]byte, 0, hint)
	lr := io.LimitReader(zr, int64(maxFileBytes)+1)
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
		}
		n, err := lr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrFormat, err)
		}
	}
	if len(out) > maxFileBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrFormat, maxFileBytes)
	}
	return out, nil
}

// DecodeIDX decodes an unsigned-byte IDX file: a 4-byte magic (0, 0, type
// 0x08, number of dimensions), the dimensions as big-endian uint32, then the
// data. It returns the dimensions and the data (a view into b).
func DecodeIDX(b []byte) (dims []int, data []uint8, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("%w: %d bytes, too short for a header", ErrFormat, len(b))
	}
	if b[0] != 0 || b[1] != 0 {
		return nil, nil, fmt.Errorf("%w: bad magic %#x%02x", ErrFormat, b[0], b[1])
	}
	if b[2] != 0x08 {
		return nil, nil, fmt.Errorf("%w: element type %#x, only unsigned bytes (0x08) are supported", ErrFormat, b[2])
	}
	nd := int(b[3])
	if nd == 0 || nd > 4 {
		return nil, nil, fmt.Errorf("%w: %d dimensions", ErrFormat, nd)
	}
	if len(b) < 4+4*nd {
		return nil, nil, fmt.Errorf("%w: truncated header", ErrFormat)
	}
	total := 1
	for i := 0; i < nd; i++ {
		d := binary.BigEndian.Uint32(b[4+4*i:])
		if d == 0 || int64(d) > int64(maxFileBytes) {
			return nil, nil, fmt.Errorf("%w: dimension %d is %d", ErrFormat, i, d)
		}
		dims = append(dims, int(d))
		total *= int(d)
		if total > maxFileBytes {
			return nil, nil, fmt.Errorf("%w: %v elements is too many", ErrFormat, dims)
		}
	}
	body := b[4+4*nd:]
	if len(body) != total {
		return nil, nil, fmt.Errorf("%w: header says %v = %d bytes of data, file has %d", ErrFormat, dims, total, len(body))
	}
	return dims, body, nil
}

// EncodeIDX encodes unsigned-byte data with the given dimensions as IDX.
func EncodeIDX(dims []int, data []uint8) []byte {
	b := make([]byte, 4+4*len(dims), 4+4*len(dims)+len(data))
	b[2], b[3] = 0x08, byte(len(dims))
	for i, d := range dims {
		binary.BigEndian.PutUint32(b[4+4*i:], uint32(d))
	}
	return append(b, data...)
}
