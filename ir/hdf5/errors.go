package hdf5

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by FormatError; test with errors.Is.
var (
	// ErrTruncated: an offset or a length points past the end of the file.
	ErrTruncated = errors.New("truncated or out of bounds")
	// ErrCorrupt: a field holds a value the format does not allow.
	ErrCorrupt = errors.New("corrupt")
	// ErrUnsupported: a valid feature outside the subset this package reads.
	ErrUnsupported = errors.New("unsupported")
	// ErrChecksum: a v2 structure's Jenkins lookup3 checksum does not match.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrCycle: object headers, continuation blocks, B-tree or heap nodes
	// refer back to themselves.
	ErrCycle = errors.New("reference cycle")
	// ErrTooLarge: a claimed size exceeds what the file can hold.
	ErrTooLarge = errors.New("too large for the file")
	// ErrType: the stored datatype cannot be read as the requested Go type.
	ErrType = errors.New("wrong datatype")
	// ErrNotFound: no member or attribute of that name.
	ErrNotFound = errors.New("not found")
)

// FormatError is the error of every decoding failure: the file, the path of
// the object inside it ("/node/edges"), the field or structure being read
// ("layout message", "B-tree node at 0x1a0") and the cause, which wraps one of
// the sentinel errors above. It prints as one line:
//
//	hdf5: model.nir: /node/edges: datatype message: unsupported: class 6
type FormatError struct {
	File  string
	Path  string
	Field string
	Err   error
}

func (e *FormatError) Error() string {
	path := e.Path
	if path == "" {
		path = "/"
	}
	return fmt.Sprintf("hdf5: %s: %s: %s: %v", e.File, path, e.Field, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// detail wraps a sentinel error with a description.
func detail(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}
