package compile

import (
	"errors"
	"fmt"
	"strings"
)

// LimitError reports a target limit the model breaks: which layer, which
// limit, what the layer needs and what the target has. Match it with
// errors.As; where Compile finds several at once it returns them as
// LimitErrors, which errors.As also looks through.
type LimitError struct {
	// Layer is the model layer index (-1 for the whole model, e.g. chips).
	Layer     int
	LayerName string
	// Limit names the limit, e.g. "input axons per neuron" or "synaptic memory".
	Limit string
	// Need is what the layer needs and Have what the target offers, in the
	// unit the limit is counted in (Unit).
	Need, Have int64
	// Unit is what Need and Have count (e.g. "axons", "bits", "cores").
	Unit string
	// Target is the target's name.
	Target string
	// Detail replaces the generic "needs … has …" wording when set.
	Detail string
	// Hint says how to fix it (e.g. "retrain with snnc train --target truenorth").
	Hint string
}

func (e *LimitError) Error() string {
	var b strings.Builder
	b.WriteString("compile: ")
	if e.Layer >= 0 {
		fmt.Fprintf(&b, "layer %d (%s): ", e.Layer, e.LayerName)
	}
	if e.Detail != "" {
		b.WriteString(e.Detail)
	} else {
		fmt.Fprintf(&b, "%s: needs %d %s, %s has %d", e.Limit, e.Need, e.Unit, e.Target, e.Have)
	}
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// LimitErrors is every limit a model breaks, in the order the check found
// them: the limits pass reports all violations at once, not just the first.
// Match it with errors.As to act on the whole list; errors.As with a
// *LimitError finds the first one (Unwrap returns each).
type LimitErrors []*LimitError

// Error is one line per violation, as errors.Join writes them.
func (e LimitErrors) Error() string {
	var b strings.Builder
	for i, le := range e {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(le.Error())
	}
	return b.String()
}

// Unwrap returns the violations for errors.Is and errors.As.
func (e LimitErrors) Unwrap() []error {
	errs := make([]error, len(e))
	for i, le := range e {
		errs[i] = le
	}
	return errs
}

// orNil returns e as an error, or nil when it lists no violation (a nil
// LimitErrors in an error interface would not compare equal to nil).
func (e LimitErrors) orNil() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// withLimits returns the violations of first followed by those of then,
// as one LimitErrors, when both are limit violations (or nil); any other
// error of either is returned as it is, first's before then's.
func withLimits(first, then error) error {
	var errs LimitErrors
	for _, err := range []error{first, then} {
		var les LimitErrors
		var le *LimitError
		switch {
		case err == nil:
		case errors.As(err, &les):
			errs = append(errs, les...)
		case errors.As(err, &le):
			errs = append(errs, le)
		default:
			return err
		}
	}
	return errs.orNil()
}
