package train

import (
	"fmt"
	"strconv"
	"strings"
)

// LayerSpec is one layer of an architecture string.
type LayerSpec struct {
	// Kind is "dense" (conv "c" and pooling "p" are reserved for later).
	Kind string
	// Out is the number of outputs of a dense layer.
	Out int
}

// Arch is a parsed architecture: an input shape and the layers.
type Arch struct {
	// Input is [N] or [C,H,W].
	Input  []int
	Layers []LayerSpec
}

// InputSize is the number of input values.
func (a *Arch) InputSize() int {
	n := 1
	for _, d := range a.Input {
		n *= d
	}
	return n
}

// ParseArch parses an architecture such as "784-512-512-10": the input size
// (N, or H×W×C written "28x28x1"), then one entry per layer. A plain number
// is a dense layer with that many outputs; the last layer is the readout.
// The syntax reserves "16c5" (conv: 16 channels, 5×5 kernel, optional
// "s2" stride and "p1" padding suffixes like "16c5s1p2") and "p2" (2×2
// average pooling) for convolutional networks, which are not implemented
// yet.
func ParseArch(s string) (*Arch, error) {
	parts := strings.Split(strings.TrimSpace(s), "-")
	if len(parts) < 2 {
		return nil, fmt.Errorf("train: architecture %q: want input-size-…-outputs, e.g. 784-512-512-10", s)
	}
	a := &Arch{}
	in, err := parseShape(parts[0])
	if err != nil {
		return nil, fmt.Errorf("train: architecture %q: input %q: %v", s, parts[0], err)
	}
	a.Input = in
	for _, p := range parts[1:] {
		n, err := strconv.Atoi(p)
		if err != nil {
			if strings.ContainsAny(p, "cp") {
				return nil, fmt.Errorf("train: architecture %q: layer %q: convolution and pooling layers are not implemented yet", s, p)
			}
			return nil, fmt.Errorf("train: architecture %q: layer %q is not a number of outputs", s, p)
		}
		if n <= 0 {
			return nil, fmt.Errorf("train: architecture %q: layer %q must have at least one output", s, p)
		}
		a.Layers = append(a.Layers, LayerSpec{Kind: "dense", Out: n})
	}
	return a, nil
}

// parseShape parses "784" as [784] and "28x28x1" (H×W×C) as [1,28,28].
func parseShape(s string) ([]int, error) {
	fs := strings.Split(s, "x")
	var d []int
	for _, f := range fs {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("not a positive size")
		}
		d = append(d, n)
	}
	switch len(d) {
	case 1:
		return d, nil
	case 2:
		return []int{1, d[0], d[1]}, nil
	case 3:
		return []int{d[2], d[0], d[1]}, nil
	}
	return nil, fmt.Errorf("want N, HxW or HxWxC")
}
