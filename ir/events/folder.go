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

// WriteFolder writes s in the layout ReadFolder reads, naming samples
// Train/<label>/<n>.bin with n counted per split from 1 (five digits, as
// N-MNIST). It builds the tree in a temporary folder beside dir and moves
// Train and Test into dir only when every file is written, so an error or an
// interrupt leaves no half-written dataset; dir may exist but must not
// already hold Train or Test.
func WriteFolder(dir string, s *Set) (err error) {
	for _, split := range []string{TrainFolder, TestFolder} {
		if _, err := os.Stat(filepath.Join(dir, split)); err == nil {
			return fmt.Errorf("events: write %s: %s already exists; choose an empty folder", dir, filepath.Join(dir, split))
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
	for _, split := range []struct {
		name    string
		samples []Sample
	}{{TrainFolder, s.Train}, {TestFolder, s.Test}} {
		for i, smp := range split.samples {
			b, err := EncodeNMNIST(smp.Events, s.Sensor)
			if err != nil {
				return fmt.Errorf("events: write %s sample %d (%s): %w", split.name, i, smp.Name, err)
			}
			ldir := filepath.Join(tmp, split.name, strconv.Itoa(smp.Label))
			if err := os.MkdirAll(ldir, 0o755); err != nil {
				return fmt.Errorf("events: write %s: %w", dir, err)
			}
			if err := os.WriteFile(filepath.Join(ldir, fmt.Sprintf("%05d.bin", i+1)), b, 0o644); err != nil {
				return fmt.Errorf("events: write %s: %w", dir, err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("events: write %s: %w", dir, err)
	}
	for _, split := range []string{TrainFolder, TestFolder} {
		src := filepath.Join(tmp, split)
		if _, err := os.Stat(src); err != nil {
			continue // an empty split
		}
		if err := os.Rename(src, filepath.Join(dir, split)); err != nil {
			return fmt.Errorf("events: write %s: %w", dir, err)
		}
	}
	return nil
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
			w, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("%s/%d/%05d.bin", split.name, smp.Label, i+1), Method: zip.Deflate})
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
