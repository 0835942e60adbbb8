package nir

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by Error; test with errors.Is.
var (
	// ErrNotNIR: the file is not HDF5, or is HDF5 without NIR's layout
	// (no "node" group of type NIRGraph with "nodes" and "edges").
	ErrNotNIR = errors.New("not a NIR file")
	// ErrParam: a node's parameter is missing, mis-shaped or out of range.
	ErrParam = errors.New("bad parameter")
	// ErrEdge: an edge names a node the graph does not have.
	ErrEdge = errors.New("bad edge")
	// ErrShape: the shapes of two nodes do not match along an edge.
	ErrShape = errors.New("shape mismatch")
	// ErrUnsupported: a valid NIR graph that snnc's IR cannot (yet) run
	// (Import) or an IR model NIR cannot express (Export).
	ErrUnsupported = errors.New("not supported")
)

// Error is the error of every decoding, import and export failure: the file,
// the node (its path inside nested graphs, "conv1" or "block/lif"), the
// field (a parameter dataset, "edges", "type") and the cause, which wraps
// one of the sentinel errors above (or an *hdf5.FormatError). It prints as
// one line:
//
//	nir: model.nir: node 3 (IF): v_threshold: bad parameter: has shape [16 16], want [16 16 16] or a scalar
type Error struct {
	File  string
	Node  string
	Type  string
	Field string
	Err   error
}

func (e *Error) Error() string {
	s := "nir: " + e.File
	if e.Node != "" {
		s += ": node " + e.Node
		if e.Type != "" {
			s += " (" + e.Type + ")"
		}
	}
	if e.Field != "" {
		s += ": " + e.Field
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// detail wraps a sentinel with a description.
func detail(sentinel error, format string, a ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, a...))
}
