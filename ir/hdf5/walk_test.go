package hdf5

import (
	"bytes"
	"fmt"
	"strings"
)

// describe lists a group tree with every dataset's values, one line per
// object, for tests and debugging.
func describe(g *Group, sb *strings.Builder) error {
	fmt.Fprintf(sb, "%s/ attrs=%d\n", g.Path, len(g.Attrs))
	for _, ds := range g.Datasets() {
		var val any
		var err error
		switch ds.Datatype.Class {
		case ClassString, ClassVarString:
			val, err = ds.Strings()
		case ClassVarSeq:
			val, err = ds.VarLenFloat64s()
		default:
			val, err = ds.Float64s()
		}
		if err != nil {
			return err
		}
		s := fmt.Sprint(val)
		if len(s) > 80 {
			s = s[:80] + "…"
		}
		fmt.Fprintf(sb, "%s %v %s %s %v: %s\n", ds.Path, ds.Shape, ds.Datatype, ds.Layout, ds.Filters, s)
	}
	for _, s := range g.Groups() {
		if err := describe(s, sb); err != nil {
			return err
		}
	}
	return nil
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
