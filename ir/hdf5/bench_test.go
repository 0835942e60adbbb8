package hdf5

import (
	"math/rand"
	"os"
	"testing"
)

// BenchmarkReadNIR decodes the Sinabs CNN (274 KB, 15 nodes) and reads
// every dataset.
func BenchmarkReadNIR(b *testing.B) {
	data, err := os.ReadFile("testdata/nir/cnn_sinabs.nir")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		if err := readEverything("cnn_sinabs.nir", data); err != nil {
			b.Fatal(err)
		}
	}
}

// shdLike is an SHD-shaped file: samples of ~1,000 spikes (float32 times,
// uint16 units) and uint8 labels.
func shdLike(b *testing.B, samples int) []byte {
	data, err := shdWriter(b, samples).Bytes()
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func shdWriter(b *testing.B, samples int) *Writer {
	rng := rand.New(rand.NewSource(1))
	times := make([][]float32, samples)
	units := make([][]uint16, samples)
	labels := make([]uint8, samples)
	for i := range times {
		n := 500 + rng.Intn(1000)
		times[i] = make([]float32, n)
		units[i] = make([]uint16, n)
		for j := range times[i] {
			times[i][j] = float32(j) * 1e-3
			units[i][j] = uint16(rng.Intn(700))
		}
		labels[i] = uint8(rng.Intn(20))
	}
	w := NewWriter()
	s, _ := w.Root().CreateGroup("spikes")
	if _, err := s.CreateVarLen("times", times); err != nil {
		b.Fatal(err)
	}
	if _, err := s.CreateVarLen("units", units); err != nil {
		b.Fatal(err)
	}
	if _, err := w.Root().CreateDataset("labels", []int{samples}, labels); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkReadSHD reads spikes/times and spikes/units of 1,000 samples.
func BenchmarkReadSHD(b *testing.B) {
	data := shdLike(b, 1000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := Decode("shd.h5", data)
		if err != nil {
			b.Fatal(err)
		}
		t, _ := f.Root.Dataset("spikes/times")
		u, _ := f.Root.Dataset("spikes/units")
		if _, err := t.VarLenFloat32s(); err != nil {
			b.Fatal(err)
		}
		if _, err := u.VarLenUint16s(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteSHD encodes the same 1,000 samples.
func BenchmarkWriteSHD(b *testing.B) {
	w := shdWriter(b, 1000)
	data, err := w.Bytes()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}
