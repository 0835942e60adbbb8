package events

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
)

// Split folder names of the N-MNIST layout.
const (
	TrainFolder = "Train"
	TestFolder  = "Test"
)

// maxLabel bounds label folder names.
const maxLabel = 1 << 16

// ReadNMNIST reads one N-MNIST binary file. Errors name the file.
func ReadNMNIST(file string, sensor Sensor) ([]Event, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	evs, err := DecodeNMNIST(b, sensor)
	return evs, inFile(err, file)
}

// ReadFolder reads a dataset laid out as N-MNIST is distributed:
// dir/Train/<label>/<id>.bin and dir/Test/<label>/<id>.bin. Files whose names
// start with '.' are skipped; anything else that is not a .bin file inside a
// decimal label folder is an error.
func ReadFolder(dir string, sensor Sensor) (*Set, error) {
	s, err := ReadFS(os.DirFS(dir), sensor)
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.File = filepath.Join(dir, filepath.FromSlash(fe.File))
		}
		return nil, err
	}
	s.Name = filepath.Base(filepath.Clean(dir))
	return s, nil
}

// ReadFS reads a dataset in the layout of ReadFolder from the root of fsys
// (a folder, an embedded tree, a zip archive). Errors name files relative to
// the root.
func ReadFS(fsys fs.FS, sensor Sensor) (*Set, error) {
	s := &Set{Sensor: sensor}
	for _, split := range []struct {
		name string
		dst  *[]Sample
	}{{TrainFolder, &s.Train}, {TestFolder, &s.Test}} {
		samples, err := readSplit(fsys, split.name, sensor)
		if err != nil {
			return nil, err
		}
		*split.dst = samples
		for _, smp := range samples {
			s.Classes = max(s.Classes, smp.Label+1)
		}
	}
	return s, nil
}

func readSplit(fsys fs.FS, split string, sensor Sensor) ([]Sample, error) {
	labels, err := fs.ReadDir(fsys, split)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &FormatError{File: split, Err: ErrLayout, Detail: "no such folder (want Train/<label>/<id>.bin and Test/<label>/<id>.bin)"}
		}
		return nil, fmt.Errorf("events: %w", err)
	}
	var out []Sample
	for _, ld := range labels {
		if strings.HasPrefix(ld.Name(), ".") {
			continue
		}
		lpath := path.Join(split, ld.Name())
		label, err := strconv.Atoi(ld.Name())
		if !ld.IsDir() || err != nil || label < 0 || label >= maxLabel || strconv.Itoa(label) != ld.Name() {
			return nil, &FormatError{File: lpath, Err: ErrLayout, Detail: fmt.Sprintf("%q is not a label folder (a decimal number below %d)", ld.Name(), maxLabel)}
		}
		files, err := fs.ReadDir(fsys, lpath)
		if err != nil {
			return nil, fmt.Errorf("events: %w", err)
		}
		for _, f := range files {
			if strings.HasPrefix(f.Name(), ".") {
				continue
			}
			fpath := path.Join(lpath, f.Name())
			if f.IsDir() || !strings.HasSuffix(f.Name(), ".bin") {
				return nil, &FormatError{File: fpath, Err: ErrLayout, Detail: "not an N-MNIST .bin file"}
			}
			b, err := fs.ReadFile(fsys, fpath)
			if err != nil {
				return nil, fmt.Errorf("events: %w", err)
			}
			evs, err := DecodeNMNIST(b, sensor)
			if err != nil {
				return nil, inFile(err, fpath)
			}
			out = append(out, Sample{Name: fpath, Label: label, Events: evs})
		}
	}
	if len(out) == 0 {
		return nil, &FormatError{File: split, Err: ErrEmpty, Detail: "no .bin samples in any label folder"}
	}
	return out, nil
}

// SampleFile is where sample i (from 0) of a split with the given label
// lies in an N-MNIST tree: Split/<label>/<i+1>.bin, five digits as N-MNIST.
func SampleFile(split string, label, i int) string {
	return path.Join(split, strconv.Itoa(label), fmt.Sprintf("%05d.bin", i+1))
}

// WriteSampleFile encodes a stream in the N-MNIST format and writes it at
// root/SampleFile(split, label, i), creating the label folder.
func WriteSampleFile(root, split string, label, i int, evs []Event, sensor Sensor) error {
	b, err := EncodeNMNIST(evs, sensor)
	if err != nil {
		return fmt.Errorf("events: %s sample %d: %w", split, i, err)
	}
	p := filepath.Join(root, filepath.FromSlash(SampleFile(split, label, i)))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	return nil
}

// WriteTree writes the top-level entries (files or folders) of dir without
// ever leaving a half-written one: fill writes them into a temporary folder
// beside dir, and only when it succeeds are they moved into dir. dir may
// exist but must not hold any of the entries yet; entries fill did not make
// are skipped.
func WriteTree(dir string, entries []string, fill func(tmp string) error) error {
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(dir, e)); err == nil {
			return fmt.Errorf("events: write %s: %s already exists; choose an empty folder", dir, filepath.Join(dir, e))
		}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("events: write %s: %w", dir, err)
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(filepath.Clean(dir))+".tmp-*")
	if err != nil {
		return fmt.Errorf("events: write %s: %w", dir, err)
	}
	defer os.RemoveAll(tmp)
	if err := fill(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("events: write %s: %w", dir, err)
	}
	for _, e := range entries {
		src := filepath.Join(tmp, e)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := os.Rename(src, filepath.Join(dir, e)); err != nil {
			return fmt.Errorf("events: write %s: %w", dir, err)
		}
	}
	return nil
}

// WriteFolder writes s in the layout ReadFolder reads (see SampleFile for
// the names) through WriteTree: an error or an interrupt leaves no
// half-written dataset; dir may exist but must not already hold Train or
// Test.
func WriteFolder(dir string, s *Set) error {
	return WriteTree(dir, []string{TrainFolder, TestFolder}, func(tmp string) error {
		for _, split := range []struct {
			name    string
			samples []Sample
		}{{TrainFolder, s.Train}, {TestFolder, s.Test}} {
			for i, smp := range split.samples {
				if err := WriteSampleFile(tmp, split.name, smp.Label, i, smp.Events, s.Sensor); err != nil {
					return fmt.Errorf("events: write %s (%s): %w", dir, smp.Name, err)
				}
			}
		}
		return nil
	})
}

// EncodeZip writes s as a zip archive holding the N-MNIST folder tree
// (Train/<label>/<n>.bin, Test/<label>/<n>.bin, deflated), named as
// WriteFolder names them. ReadZip reads it back.
func EncodeZip(s *Set) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, split := range []struct {
		name    string
		samples []Sample
	}{{TrainFolder, s.Train}, {TestFolder, s.Test}} {
		for i, smp := range split.samples {
			b, err := EncodeNMNIST(smp.Events, s.Sensor)
			if err != nil {
				return nil, fmt.Errorf("events: %s sample %d (%s): %w", split.name, i, smp.Name, err)
			}
			w, err := zw.CreateHeader(&zip.FileHeader{Name: SampleFile(split.name, smp.Label, i), Method: zip.Deflate})
			if err != nil {
				return nil, fmt.Errorf("events: zip: %w", err)
			}
			if _, err := w.Write(b); err != nil {
				return nil, fmt.Errorf("events: zip: %w", err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("events: zip: %w", err)
	}
	return buf.Bytes(), nil
}

// ReadZip reads a dataset from a zip archive of the N-MNIST folder tree.
// Errors name files inside the archive.
func ReadZip(b []byte, sensor Sensor) (*Set, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, &FormatError{Field: "zip", Err: ErrLayout, Detail: err.Error()}
	}
	return ReadFS(zr, sensor)
}
