package train

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// LayerSpec is one layer of an architecture string.
type LayerSpec struct {
	// Kind is "dense", "recurrent" (dense with V·s[t−1]), "conv", "pool" or
	// "flatten".
	Kind string
	// Out is the number of outputs of a dense layer or the output channels
	// of a convolution.
	Out int
	// Kernel, Stride and Padding of a convolution or pooling (square).
	Kernel, Stride, Padding int
	// Groups splits a convolution's channels into groups (0 or 1: none);
	// output channel c sees only the input channels of its group. Only
	// snnc train --target truenorth trains grouped convolutions.
	Groups int
	// Delay is the synaptic delay of the layer's input synapses in steps
	// (ir.Layer.Delay; suffix "dN"): the layer's input at step t is the
	// previous layer's spikes of step t − Delay.
	Delay int
	// InShape and OutShape are filled in by ParseArch.
	InShape, OutShape []int
}

// Arch is a parsed architecture: an input shape and the layers.
type Arch struct {
	// Input is [N] or [C,H,W].
	Input  []int
	Layers []LayerSpec
}

// InputSize is the number of input values.
func (a *Arch) InputSize() int { return shapeSize(a.Input) }

// Outputs is the number of outputs of the last layer.
func (a *Arch) Outputs() int { return shapeSize(a.Layers[len(a.Layers)-1].OutShape) }

var (
	convRe = regexp.MustCompile(`^(\d+)c(\d+)(?:s(\d+))?(?:p(\d+))?(?:g(\d+))?$`)
	poolRe = regexp.MustCompile(`^p(\d+)(?:s(\d+))?$`)
	// delayRe is a layer token with a synaptic delay suffix: "512d3".
	delayRe = regexp.MustCompile(`^(.+)d(\d+)$`)
)

// MaxDelay is the longest synaptic delay an architecture may give a layer:
// the IR stores it in a byte (ir.Layer.Delay). Targets limit it further
// (Loihi 2: 62 steps; chips without delays: 0).
const MaxDelay = 255

// ParseArch parses an architecture such as "784-512-512-10" or
// "28x28x1-16c5-p2-32c5-p2-10". The first entry is the input: N, or H×W×C
// written "28x28x1". Then one entry per layer:
//
//	512        dense layer with 512 outputs
//	240r       recurrent dense layer with 240 neurons: c[t] = W·s_in[t] +
//	           V·s[t−1] + b, V the 240×240 weights on the layer's own spikes
//	           of the previous step (not as the last layer)
//	16c5       convolution: 16 output channels, 5×5 kernel, stride 1, no
//	           padding; "16c3s2p1" sets stride 2 and padding 1; a suffix
//	           "g4" ("32c3g4", "32c3s1p1g4"; order c, s, p, g) splits the
//	           channels into 4 groups, each output channel seeing only its
//	           group's input channels (both channel counts must be
//	           multiples of the groups; --target truenorth only)
//	p2         2×2 average pooling with stride 2; "p3s2" sets the stride
//
// A dense, recurrent or conv token may end in "dN", a synaptic delay of N
// steps on the layer's input synapses ("512d3", "240rd2", "32c3s2d1"): the
// layer's input at step t is the previous layer's spikes of step t − N
// (nothing before step 0). Not on the first layer with neurons (the input
// is not delayed) nor on a pooling layer; at most MaxDelay steps.
//
// A dense layer after an image-shaped tensor gets a flatten layer in front.
// Convolutions and dense layers have LIF neurons, except the last layer,
// which is the readout; pooling averages spikes and has no neurons.
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
	shape := in
	bad := func(p, format string, args ...any) error {
		return fmt.Errorf("train: architecture %q: layer %q: %s", s, p, fmt.Sprintf(format, args...))
	}
	neurons := false // a layer with neurons came before
	for _, p := range parts[1:] {
		var l LayerSpec
		tok, delay := p, 0
		if m := delayRe.FindStringSubmatch(p); m != nil {
			tok, delay = m[1], atoi(m[2])
			if delay < 0 || delay > MaxDelay {
				return nil, bad(p, "synaptic delay of %s steps: want 0…%d", m[2], MaxDelay)
			}
		}
		digits, recurrent := strings.CutSuffix(tok, "r")
		if n, err := strconv.Atoi(digits); err == nil {
			if n <= 0 {
				return nil, bad(p, "must have at least one output")
			}
			if len(shape) == 3 {
				a.Layers = append(a.Layers, LayerSpec{Kind: "flatten", InShape: shape, OutShape: []int{shapeSize(shape)}})
				shape = []int{shapeSize(shape)}
			}
			l = LayerSpec{Kind: "dense", Out: n, InShape: shape, OutShape: []int{n}}
			if recurrent {
				l.Kind = "recurrent"
			}
		} else if m := convRe.FindStringSubmatch(tok); m != nil {
			l = LayerSpec{Kind: "conv", Out: atoi(m[1]), Kernel: atoi(m[2]), Stride: atoiOr(m[3], 1), Padding: atoiOr(m[4], 0), Groups: atoiOr(m[5], 0)}
			if m[5] != "" && l.Groups <= 0 {
				return nil, bad(p, "groups must be positive")
			}
		} else if m := poolRe.FindStringSubmatch(tok); m != nil && tok == p {
			k := atoi(m[1])
			l = LayerSpec{Kind: "pool", Kernel: k, Stride: atoiOr(m[2], k)}
		} else {
			return nil, bad(p, "want a number of outputs (512), a recurrent layer (240r), a convolution (16c5, 16c3s1p1, 32c3g4) or a pooling (p2); dense, recurrent and conv layers may end in a synaptic delay dN (512d3)")
		}
		if delay > 0 && !neurons {
			return nil, bad(p, "a synaptic delay on the first layer with neurons: the input is not delayed (put it on a later layer)")
		}
		l.Delay = delay
		neurons = neurons || l.Kind != "pool"
		if l.Kind == "conv" || l.Kind == "pool" {
			if len(shape) != 3 {
				return nil, bad(p, "needs an image-shaped input (write the input as HxWxC)")
			}
			if l.Kernel <= 0 || l.Stride <= 0 || (l.Kind == "conv" && l.Out <= 0) || l.Padding >= l.Kernel {
				return nil, bad(p, "kernel, stride and channels must be positive and padding smaller than the kernel")
			}
			c := shape[0]
			if l.Kind == "conv" {
				if g := max(1, l.Groups); c%g != 0 || l.Out%g != 0 {
					return nil, bad(p, "%d groups must divide both the %d input and the %d output channels", g, c, l.Out)
				}
				c = l.Out
			}
			oh := (shape[1]+2*l.Padding-l.Kernel)/l.Stride + 1
			ow := (shape[2]+2*l.Padding-l.Kernel)/l.Stride + 1
			if oh <= 0 || ow <= 0 {
				return nil, bad(p, "kernel %d is larger than the %d×%d input", l.Kernel, shape[1], shape[2])
			}
			l.InShape, l.OutShape = shape, []int{c, oh, ow}
		}
		a.Layers = append(a.Layers, l)
		shape = l.OutShape
	}
	if last := a.Layers[len(a.Layers)-1]; last.Kind == "recurrent" {
		return nil, fmt.Errorf("train: architecture %q: the last layer is the readout and cannot be recurrent (write 700-240r-20)", s)
	} else if last.Kind != "dense" && last.Kind != "conv" {
		return nil, fmt.Errorf("train: architecture %q: the last layer must be dense or a convolution", s)
	} else if last.Kind == "conv" && (last.OutShape[1] != 1 || last.OutShape[2] != 1) {
		return nil, fmt.Errorf("train: architecture %q: a convolutional readout must have one output position per class (its kernel covering the whole %d×%d input), not %d×%d; or end with a dense layer",
			s, last.InShape[1], last.InShape[2], last.OutShape[1], last.OutShape[2])
	}
	return a, nil
}

// noGroups returns a ConfigError if a convolution of a has groups: only
// the TrueNorth trainer trains grouped convolutions.
func (a *Arch) noGroups(s string) error {
	nc := 0
	for _, l := range a.Layers {
		if l.Kind != "conv" {
			continue
		}
		nc++
		if l.Groups > 1 {
			return &ConfigError{"arch", fmt.Sprintf("%q: layer conv%d (%d groups): groups: only with --target truenorth", s, nc, l.Groups)}
		}
	}
	return nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

func atoiOr(s string, def int) int {
	if s == "" {
		return def
	}
	return atoi(s)
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

// DefaultLR is snnc train's initial learning rate for the optimizer and
// the architecture arch: 0.1 for SGD; for Adam 3e-3 when arch has a
// convolution (MNIST's 28x28x1-16c5-p2-32c5-p2-10: 91% after one epoch of
// 8,000 samples where 1e-3 gives 84%, ≥ 99% after 6 epochs), else 1e-3.
func DefaultLR(arch, optimizer string) float64 {
	if optimizer == OptSGD {
		return 0.1
	}
	if a, err := ParseArch(arch); err == nil {
		for _, l := range a.Layers {
			if l.Kind == "conv" {
				return 3e-3
			}
		}
	}
	return 1e-3
}
