package nir

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/hdf5"
)

// Kind is the type of a NIR node.
type Kind uint8

// The node types of NIR (neuromorphs/NIR, nir/ir/*.py).
const (
	KindInput Kind = iota
	KindOutput
	KindAffine
	KindLinear
	KindScale
	KindConv1d
	KindConv2d
	KindSumPool2d
	KindAvgPool2d
	KindFlatten
	KindLIF
	KindCubaLIF
	KindIF
	KindLI
	KindCubaLI
	KindI
	KindThreshold
	KindDelay
	KindGraph
	numKinds
)

var kindNames = [numKinds]string{"Input", "Output", "Affine", "Linear", "Scale", "Conv1d", "Conv2d",
	"SumPool2d", "AvgPool2d", "Flatten", "LIF", "CubaLIF", "IF", "LI", "CubaLI", "I", "Threshold", "Delay", "NIRGraph"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MaxDepth is the deepest nesting of NIRGraph nodes Decode accepts.
const MaxDepth = 16

// maxElements bounds every shape's element count (as ir.MaxElements).
const maxElements = 1 << 31

// Tensor is a parameter's values in row-major order; Shape is nil for a
// scalar.
type Tensor struct {
	Shape []int
	Data  []float64
}

// Size is the number of values (1 for a scalar).
func (t *Tensor) Size() int { return len(t.Data) }

// Scalar reports whether the tensor holds one value (a scalar or any shape
// of one element), which NIR broadcasts.
func (t *Tensor) Scalar() bool { return len(t.Data) == 1 }

// At returns value j, broadcasting a one-value tensor.
func (t *Tensor) At(j int) float64 {
	if len(t.Data) == 1 {
		return t.Data[0]
	}
	return t.Data[j]
}

// Node is one node of a NIR graph, its parameters checked against its type.
type Node struct {
	// Name is the node's name in its graph; Path its path from the top
	// graph ("block/lif" inside a NIRGraph node "block").
	Name, Path string
	Kind       Kind
	// Params are the node's numeric datasets by name (weight, bias, tau, …).
	Params map[string]*Tensor
	// Padding is "same" or "valid" when a convolution's padding is given
	// as a string, else "".
	Padding string
	// Graph is the subgraph of a NIRGraph node.
	Graph *Graph
	// InShape and OutShape are the shapes the node reads and writes, from
	// its parameters and its edges (nil where nothing determines them).
	InShape, OutShape []int
}

// Param returns the parameter name, or nil.
func (n *Node) Param(name string) *Tensor { return n.Params[name] }

// Edge is a directed edge between two nodes of one graph, by name.
type Edge struct{ From, To string }

// Graph is a NIR graph: nodes by name and edges. Cycles are recurrence.
type Graph struct {
	// Names lists the node names in byte order.
	Names []string
	Nodes map[string]*Node
	Edges []Edge
}

// Meta is what snnc's exporter adds to a NIR file as attributes of the
// root group (NIR readers ignore them): the IR fields NIR has no place for.
type Meta struct {
	Name       string
	Timesteps  int
	Encoding   string // ir.Encoding's name: direct, rate or events
	InputScale float64
	Readout    string // mean-current or spike-count
	Dt         float64
	// ReadoutNeuron holds the LIF fields of a mean-current readout layer
	// (unused by the readout, kept so that a round trip is exact).
	ReadoutNeuron *ir.LIF
	// Reset is "subtract-multi" when the spiking neurons reset by
	// subtraction with several spikes per step (ir.ResetSubtractMulti,
	// which NIR cannot state); "" for NIR's reset to v_reset.
	Reset string
}

// File is a decoded NIR file.
type File struct {
	// Name is the file name used in errors.
	Name string
	// Version is the NIR version string the writer stored.
	Version string
	// Graph is the top-level graph (the "node" group).
	Graph *Graph
	// Meta is snnc's own metadata, nil when the file has none.
	Meta *Meta
}

// ReadFile reads and decodes the NIR file at path (see Decode).
func ReadFile(path string) (*File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("nir: %w", err)
	}
	if fi.Size() > hdf5.MaxFileSize {
		return nil, &Error{File: filepath.Base(path), Err: detail(ErrNotNIR, "%d bytes is larger than the %d an HDF5 file may have here", fi.Size(), int64(hdf5.MaxFileSize))}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("nir: %w", err)
	}
	return Decode(filepath.Base(path), b)
}

// Decode decodes a NIR file held in b; name is used in errors. It checks
// every node's parameters against its type (presence, rank, shape, integer
// values, ranges), every edge's end points, and infers the shapes along the
// edges, refusing two that do not match. It never panics; every error is an
// *Error naming the node and the dataset.
func Decode(name string, b []byte) (f *File, err error) {
	defer func() {
		if r := recover(); r != nil {
			recovered.Add(1)
			f, err = nil, &Error{File: name, Err: detail(ErrNotNIR, "internal error while decoding: %v", r)}
		}
	}()
	h, err := hdf5.Decode(name, b)
	if err != nil {
		return nil, &Error{File: name, Err: fmt.Errorf("%w: %w", ErrNotNIR, err)}
	}
	d := &decoder{file: name}
	f = &File{Name: name}
	if v, err := h.Root.Dataset("version"); err == nil {
		if s, err := v.String(); err == nil {
			f.Version = s
		}
	}
	top, err := h.Root.Group("node")
	if err != nil {
		return nil, &Error{File: name, Field: "node", Err: detail(ErrNotNIR, "HDF5 file without a group /node (a NIR file has /node of type NIRGraph and /version)")}
	}
	if t, err := d.typeOf(top, ""); err != nil {
		return nil, err
	} else if t != "NIRGraph" {
		return nil, &Error{File: name, Field: "node/type", Err: detail(ErrNotNIR, "the top node is of type %q, want NIRGraph", t)}
	}
	f.Graph, err = d.graph(top, "", 0)
	if err != nil {
		return nil, err
	}
	f.Meta = readMeta(h.Root)
	return f, nil
}

type decoder struct{ file string }

func (d *decoder) fail(node *Node, field string, err error) error {
	e := &Error{File: d.file, Field: field, Err: err}
	if node != nil {
		e.Node, e.Type = node.Path, node.Kind.String()
		if node.Kind >= numKinds {
			e.Type = ""
		}
	}
	return e
}

// typeOf reads a node group's "type" dataset.
func (d *decoder) typeOf(g *hdf5.Group, path string) (string, error) {
	ds, err := g.Dataset("type")
	if err != nil {
		return "", &Error{File: d.file, Node: path, Field: "type", Err: detail(ErrParam, "missing (every NIR node has a string dataset \"type\")")}
	}
	s, err := ds.String()
	if err != nil {
		return "", &Error{File: d.file, Node: path, Field: "type", Err: fmt.Errorf("%w: %w", ErrParam, err)}
	}
	return s, nil
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "/" + name
}

// graph decodes a NIRGraph group (with "nodes" and "edges").
func (d *decoder) graph(g *hdf5.Group, path string, depth int) (*Graph, error) {
	self := &Node{Path: path, Kind: KindGraph}
	if path == "" {
		self = nil
	}
	if depth > MaxDepth {
		return nil, d.fail(self, "nodes", detail(ErrUnsupported, "NIRGraph nodes nested more than %d deep", MaxDepth))
	}
	nodes, err := g.Group("nodes")
	if err != nil {
		return nil, d.fail(self, "nodes", detail(ErrNotNIR, "a NIRGraph needs a group \"nodes\""))
	}
	gr := &Graph{Nodes: map[string]*Node{}}
	for _, sg := range nodes.Groups() {
		n, err := d.node(sg, join(path, sg.Name()), depth)
		if err != nil {
			return nil, err
		}
		gr.Names = append(gr.Names, n.Name)
		gr.Nodes[n.Name] = n
	}
	for _, ds := range nodes.Datasets() {
		return nil, d.fail(&Node{Path: join(path, ds.Name()), Kind: numKinds}, "", detail(ErrParam, "is a dataset, want a node group"))
	}
	if len(gr.Names) == 0 {
		return nil, d.fail(self, "nodes", detail(ErrParam, "the graph has no nodes"))
	}
	ed, err := g.Dataset("edges")
	if err != nil {
		return nil, d.fail(self, "edges", detail(ErrNotNIR, "a NIRGraph needs a dataset \"edges\""))
	}
	var ends []string
	if ed.Len() > 0 {
		if ends, err = ed.Strings(); err != nil {
			return nil, d.fail(self, "edges", fmt.Errorf("%w: %w", ErrEdge, err))
		}
	}
	if len(ends)%2 != 0 || (len(ends) > 0 && (len(ed.Shape) != 2 || ed.Shape[1] != 2)) {
		return nil, d.fail(self, "edges", detail(ErrEdge, "has shape %v, want N×2 (source, target)", ed.Shape))
	}
	for i := 0; i+1 < len(ends); i += 2 {
		e := Edge{From: ends[i], To: ends[i+1]}
		for _, end := range []string{e.From, e.To} {
			if gr.resolve(end) == nil {
				return nil, d.fail(self, "edges", detail(ErrEdge, "edge %d (%s → %s) names node %q, which the graph does not have", i/2, e.From, e.To, end))
			}
		}
		gr.Edges = append(gr.Edges, e)
	}
	if err := d.inferShapes(gr); err != nil {
		return nil, err
	}
	return gr, nil
}

// resolve returns the node an edge end names: a node, or "sub.port" for a
// port of a NIRGraph node sub.
func (g *Graph) resolve(end string) *Node {
	if n := g.Nodes[end]; n != nil {
		return n
	}
	if i := strings.IndexByte(end, '.'); i > 0 {
		if n := g.Nodes[end[:i]]; n != nil && n.Kind == KindGraph && n.Graph.Nodes[end[i+1:]] != nil {
			return n
		}
	}
	return nil
}

// param kinds.
const (
	pAny    = iota // any shape (neuron parameters: broadcast to the node's shape)
	pMatrix        // rank 2
	pVector        // rank 1
	pInts          // a scalar or rank-1 integers (stride, padding, …)
	pInt           // one integer
	pShape         // rank-1 positive integers (a tensor shape), may be empty
	pConv1         // rank 3 (Conv1d weight)
	pConv2         // rank 4 (Conv2d weight)
)

type paramSpec struct {
	name     string
	kind     int
	required bool
}

// specs lists each node type's parameters (NIR 1.0, nir/ir/*.py).
var specs = [numKinds][]paramSpec{
	KindInput:     {{"shape", pShape, true}},
	KindOutput:    {{"shape", pShape, false}},
	KindAffine:    {{"weight", pMatrix, true}, {"bias", pAny, true}},
	KindLinear:    {{"weight", pMatrix, true}},
	KindScale:     {{"scale", pAny, true}},
	KindConv1d:    {{"weight", pConv1, true}, {"bias", pAny, false}, {"stride", pInts, false}, {"padding", pInts, false}, {"dilation", pInts, false}, {"groups", pInt, false}, {"input_shape", pShape, false}},
	KindConv2d:    {{"weight", pConv2, true}, {"bias", pAny, false}, {"stride", pInts, false}, {"padding", pInts, false}, {"dilation", pInts, false}, {"groups", pInt, false}, {"input_shape", pShape, false}},
	KindSumPool2d: {{"kernel_size", pInts, true}, {"stride", pInts, false}, {"padding", pInts, false}},
	KindAvgPool2d: {{"kernel_size", pInts, true}, {"stride", pInts, false}, {"padding", pInts, false}},
	KindFlatten:   {{"start_dim", pInt, false}, {"end_dim", pInt, false}, {"input_type", pShape, false}},
	KindLIF:       {{"tau", pAny, true}, {"r", pAny, true}, {"v_leak", pAny, true}, {"v_threshold", pAny, true}, {"v_reset", pAny, false}},
	KindCubaLIF:   {{"tau_syn", pAny, true}, {"tau_mem", pAny, true}, {"r", pAny, true}, {"v_leak", pAny, true}, {"v_threshold", pAny, true}, {"w_in", pAny, false}, {"v_reset", pAny, false}},
	KindIF:        {{"r", pAny, true}, {"v_threshold", pAny, true}, {"v_reset", pAny, false}},
	KindLI:        {{"tau", pAny, true}, {"r", pAny, true}, {"v_leak", pAny, true}},
	KindCubaLI:    {{"tau_syn", pAny, true}, {"tau_mem", pAny, true}, {"r", pAny, true}, {"v_leak", pAny, true}, {"w_in", pAny, false}},
	KindI:         {{"r", pAny, true}},
	KindThreshold: {{"threshold", pAny, true}},
	KindDelay:     {{"delay", pAny, true}},
}

// portGroups are sub-groups a node may hold instead of a dataset (newer
// NIR writes input_type and output_type as dicts: a group with one
// dataset per port).
var portGroups = map[string]string{"input_type": "input", "output_type": "output"}

// node decodes one node group.
func (d *decoder) node(g *hdf5.Group, path string, depth int) (*Node, error) {
	t, err := d.typeOf(g, path)
	if err != nil {
		return nil, err
	}
	n := &Node{Name: g.Name(), Path: path, Kind: numKinds, Params: map[string]*Tensor{}}
	for k := range numKinds {
		if kindNames[k] == t {
			n.Kind = k
		}
	}
	if n.Kind == numKinds {
		return nil, &Error{File: d.file, Node: path, Type: t, Field: "type", Err: detail(ErrUnsupported, "unknown node type %q", t)}
	}
	if n.Kind == KindGraph {
		n.Graph, err = d.graph(g, path, depth+1)
		if err != nil {
			return nil, err
		}
		n.InShape, n.OutShape = n.Graph.port(KindInput), n.Graph.port(KindOutput)
		return n, nil
	}
	for _, ps := range specs[n.Kind] {
		ds, err := g.Dataset(ps.name)
		if err != nil {
			if port, ok := portGroups[ps.name]; ok {
				ds = portDataset(g, ps.name, port)
			}
			if ps.name == "shape" && n.Kind <= KindOutput {
				ds = portDataset(g, []string{"input_type", "output_type"}[n.Kind], []string{"input", "output"}[n.Kind])
			}
		}
		if ds == nil {
			if ps.required {
				return nil, d.fail(n, ps.name, detail(ErrParam, "missing"))
			}
			continue
		}
		if ps.name == "padding" && ds.Datatype != nil && (ds.Datatype.Class == hdf5.ClassString || ds.Datatype.Class == hdf5.ClassVarString) {
			s, err := ds.String()
			if err != nil {
				return nil, d.fail(n, ps.name, fmt.Errorf("%w: %w", ErrParam, err))
			}
			if s != "same" && s != "valid" {
				return nil, d.fail(n, ps.name, detail(ErrParam, "is %q, want \"same\", \"valid\" or integers", s))
			}
			n.Padding = s
			continue
		}
		t, err := d.tensor(n, ps, ds)
		if err != nil {
			return nil, err
		}
		n.Params[ps.name] = t
	}
	if err := d.check(n); err != nil {
		return nil, err
	}
	return n, nil
}

// portDataset returns the dataset port of the group name inside g, or the
// group's only dataset, or nil.
func portDataset(g *hdf5.Group, name, port string) *hdf5.Dataset {
	pg, err := g.Group(name)
	if err != nil {
		return nil
	}
	if ds, err := pg.Dataset(port); err == nil {
		return ds
	}
	if dss := pg.Datasets(); len(dss) == 1 {
		return dss[0]
	}
	return nil
}

// tensor reads a numeric dataset and checks its rank.
func (d *decoder) tensor(n *Node, ps paramSpec, ds *hdf5.Dataset) (*Tensor, error) {
	t := &Tensor{}
	size := 1
	for _, x := range ds.Shape {
		if x > maxElements || size*int(x) >= maxElements {
			return nil, d.fail(n, ps.name, detail(ErrParam, "shape %v has too many elements", ds.Shape))
		}
		size *= int(x)
		t.Shape = append(t.Shape, int(x))
	}
	if ds.Len() != size {
		return nil, d.fail(n, ps.name, detail(ErrParam, "shape %v but %d values", ds.Shape, ds.Len()))
	}
	if size > 0 {
		var err error
		if t.Data, err = ds.Float64s(); err != nil {
			return nil, d.fail(n, ps.name, fmt.Errorf("%w: %w", ErrParam, err))
		}
	}
	for i, x := range t.Data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, d.fail(n, ps.name, detail(ErrParam, "value %d is %v, want finite numbers", i, x))
		}
	}
	rank := len(t.Shape)
	want := ""
	switch ps.kind {
	case pMatrix:
		if rank != 2 {
			want = "2 dimensions (out × in)"
		}
	case pVector:
		if rank != 1 {
			want = "1 dimension"
		}
	case pConv1:
		if rank != 3 {
			want = "3 dimensions (out channels × in channels/groups × kernel)"
		}
	case pConv2:
		if rank != 4 {
			want = "4 dimensions (out channels × in channels/groups × kernel height × width)"
		}
	case pInts, pInt, pShape:
		switch {
		case ps.kind == pInt && size != 1:
			want = "one integer"
		case ps.kind != pInt && rank > 1:
			want = "a scalar or 1 dimension"
		}
		for i, x := range t.Data {
			if x != math.Trunc(x) || math.Abs(x) > 1<<30 {
				return nil, d.fail(n, ps.name, detail(ErrParam, "value %d is %v, want integers", i, x))
			}
			if ps.kind == pShape && x < 1 {
				return nil, d.fail(n, ps.name, detail(ErrParam, "dimension %d is %v, want ≥ 1", i, x))
			}
		}
	}
	if ps.kind != pShape && ps.kind != pInts && size == 0 {
		want = "at least one value"
	}
	if want != "" {
		return nil, d.fail(n, ps.name, detail(ErrParam, "has shape %v, want %s", t.Shape, want))
	}
	return t, nil
}

// ints returns an integer parameter as d values (broadcasting one value),
// or def when absent.
func (d *decoder) ints(n *Node, name string, dims int, def int) ([]int, error) {
	out := make([]int, dims)
	t := n.Params[name]
	switch {
	case t == nil:
		for i := range out {
			out[i] = def
		}
	case len(t.Data) == 1:
		for i := range out {
			out[i] = int(t.Data[0])
		}
	case len(t.Data) == dims:
		for i := range out {
			out[i] = int(t.Data[i])
		}
	default:
		return nil, d.fail(n, name, detail(ErrParam, "has %d values, want 1 or %d", len(t.Data), dims))
	}
	return out, nil
}

func shapeInts(t *Tensor) []int {
	if t == nil || len(t.Data) == 0 {
		return nil
	}
	s := make([]int, len(t.Data))
	for i, x := range t.Data {
		s[i] = int(x)
	}
	return s
}

// check checks a node's parameters against each other and sets the
// shapes its parameters determine.
func (d *decoder) check(n *Node) error {
	p := n.Params
	switch n.Kind {
	case KindInput, KindOutput:
		s := shapeInts(p["shape"])
		if n.Kind == KindInput && len(s) == 0 {
			return d.fail(n, "shape", detail(ErrParam, "is empty, want the input's shape"))
		}
		if len(s) > 0 {
			if _, err := checkedSize(s); err != nil {
				return d.fail(n, "shape", err)
			}
		}
		n.InShape, n.OutShape = s, s
	case KindAffine, KindLinear:
		w := p["weight"]
		if b := p["bias"]; b != nil && !b.Scalar() && !(len(b.Shape) == 1 && b.Shape[0] == w.Shape[0]) {
			return d.fail(n, "bias", detail(ErrParam, "has shape %v, want [%d] (one per output of the %v weight)", b.Shape, w.Shape[0], w.Shape))
		}
		n.InShape, n.OutShape = []int{w.Shape[1]}, []int{w.Shape[0]}
	case KindConv1d, KindConv2d:
		dims := len(p["weight"].Shape) - 2
		w := p["weight"]
		groups, err := d.ints(n, "groups", 1, 1)
		if err != nil {
			return err
		}
		if groups[0] < 1 || w.Shape[0]%groups[0] != 0 {
			return d.fail(n, "groups", detail(ErrParam, "is %d, want ≥ 1 dividing the %d output channels", groups[0], w.Shape[0]))
		}
		if b := p["bias"]; b != nil && !b.Scalar() && !(len(b.Shape) == 1 && b.Shape[0] == w.Shape[0]) {
			return d.fail(n, "bias", detail(ErrParam, "has shape %v, want [%d] (one per output channel)", b.Shape, w.Shape[0]))
		}
		for _, f := range []string{"stride", "dilation"} {
			v, err := d.ints(n, f, dims, 1)
			if err != nil {
				return err
			}
			for _, x := range v {
				if x < 1 {
					return d.fail(n, f, detail(ErrParam, "is %v, want ≥ 1", v))
				}
			}
		}
		pad, err := d.ints(n, "padding", dims, 0)
		if err != nil {
			return err
		}
		for _, x := range pad {
			if x < 0 {
				return d.fail(n, "padding", detail(ErrParam, "is %v, want ≥ 0", pad))
			}
		}
		if s := shapeInts(p["input_shape"]); len(s) > 0 {
			if len(s) != dims {
				return d.fail(n, "input_shape", detail(ErrParam, "has %d values, want %d (the spatial size)", len(s), dims))
			}
			n.InShape = append([]int{w.Shape[1] * groups[0]}, s...)
			out, err := d.derive(n, n.InShape)
			if err != nil {
				return err
			}
			n.OutShape = out
		}
	case KindSumPool2d, KindAvgPool2d:
		for _, f := range []string{"kernel_size", "stride", "padding"} {
			v, err := d.ints(n, f, 2, 0)
			if err != nil {
				return err
			}
			if (f != "padding" && p[f] != nil && (v[0] < 1 || v[1] < 1)) || v[0] < 0 || v[1] < 0 {
				return d.fail(n, f, detail(ErrParam, "is %v, want positive", v))
			}
		}
	case KindFlatten:
		if s := shapeInts(p["input_type"]); len(s) > 0 { // an empty input_type says nothing
			n.InShape = s
			out, err := d.derive(n, s)
			if err != nil {
				return err
			}
			n.OutShape = out
		}
	default: // neurons, Scale, Threshold, Delay: parameters broadcast to one shape
		var shape []int
		var from string
		for _, ps := range specs[n.Kind] {
			t := p[ps.name]
			if t == nil || t.Scalar() {
				continue
			}
			if shape == nil {
				shape, from = t.Shape, ps.name
			} else if !slices.Equal(shape, t.Shape) {
				return d.fail(n, ps.name, detail(ErrParam, "has shape %v, want %s's %v or one value", t.Shape, from, shape))
			}
		}
		if err := d.ranges(n); err != nil {
			return err
		}
		n.InShape, n.OutShape = shape, shape
	}
	return nil
}

// ranges checks the physical ranges of neuron parameters.
func (d *decoder) ranges(n *Node) error {
	for _, name := range []string{"tau", "tau_mem", "tau_syn"} {
		if t := n.Params[name]; t != nil {
			for i, x := range t.Data {
				if x <= 0 {
					return d.fail(n, name, detail(ErrParam, "value %d is %v, want a positive time constant (seconds)", i, x))
				}
			}
		}
	}
	if t := n.Params["delay"]; t != nil {
		for i, x := range t.Data {
			if x < 0 {
				return d.fail(n, "delay", detail(ErrParam, "value %d is %v, want ≥ 0", i, x))
			}
		}
	}
	return nil
}

func checkedSize(s []int) (int, error) {
	n := 1
	for _, x := range s {
		if x < 1 {
			return 0, detail(ErrParam, "shape %v has a dimension below 1", s)
		}
		if n > maxElements/x {
			return 0, detail(ErrParam, "shape %v has too many elements", s)
		}
		n *= x
	}
	return n, nil
}

// derive computes a node's output shape from its input shape.
func (d *decoder) derive(n *Node, in []int) ([]int, error) {
	size, err := checkedSize(in)
	if err != nil {
		return nil, d.fail(n, "input shape", fmt.Errorf("%w: %w", ErrShape, err))
	}
	switch n.Kind {
	case KindConv1d, KindConv2d, KindSumPool2d, KindAvgPool2d:
		dims := 2
		var kernel []int
		pad, _ := d.ints(n, "padding", dims, 0)
		dil := []int{1, 1}
		stride, _ := d.ints(n, "stride", dims, 1)
		ch := 0
		if n.Kind == KindConv1d || n.Kind == KindConv2d {
			w := n.Params["weight"]
			dims = len(w.Shape) - 2
			kernel = w.Shape[2:]
			pad, _ = d.ints(n, "padding", dims, 0)
			dil, _ = d.ints(n, "dilation", dims, 1)
			stride, _ = d.ints(n, "stride", dims, 1)
			g, _ := d.ints(n, "groups", 1, 1)
			ch = w.Shape[0]
			if len(in) != dims+1 || in[0] != w.Shape[1]*g[0] {
				return nil, d.fail(n, "weight", detail(ErrShape, "input of shape %v, want [%d, …] with %d spatial dimensions (%d in channels per group × %d groups)", in, w.Shape[1]*g[0], dims, w.Shape[1], g[0]))
			}
		} else {
			kernel, _ = d.ints(n, "kernel_size", 2, 1)
			if n.Params["stride"] == nil {
				stride = kernel
			}
			if len(in) != 3 {
				return nil, d.fail(n, "kernel_size", detail(ErrShape, "input of shape %v, want [C, H, W]", in))
			}
			ch = in[0]
		}
		out := []int{ch}
		for i := range dims {
			ke := dil[i]*(kernel[i]-1) + 1
			p := pad[i]
			if n.Padding == "same" {
				p = (ke - 1) / 2
				if stride[i] != 1 {
					return nil, d.fail(n, "padding", detail(ErrParam, "\"same\" with stride %d, want stride 1", stride[i]))
				}
			}
			o := (in[1+i]+2*p-ke)/stride[i] + 1
			if n.Padding == "same" {
				o = in[1+i]
			}
			if in[1+i]+2*p < ke || o < 1 {
				return nil, d.fail(n, "kernel", detail(ErrShape, "the %d-wide window does not fit the padded input %v", ke, in))
			}
			out = append(out, o)
		}
		return out, nil
	case KindFlatten:
		start, _ := d.ints(n, "start_dim", 1, 0)
		end, _ := d.ints(n, "end_dim", 1, -1)
		s, e := start[0], end[0]
		if s < 0 {
			s += len(in)
		}
		if e < 0 {
			e += len(in)
		}
		if s < 0 || e >= len(in) || s > e {
			return nil, d.fail(n, "start_dim", detail(ErrShape, "dimensions %d..%d of an input of shape %v", start[0], end[0], in))
		}
		m := 1
		for _, x := range in[s : e+1] {
			m *= x
		}
		out := append(append(append([]int(nil), in[:s]...), m), in[e+1:]...)
		return out, nil
	case KindAffine, KindLinear, KindInput:
		return n.OutShape, nil
	}
	_ = size
	return in, nil
}

// port returns the shape of a graph's only node of kind k, or nil.
func (g *Graph) port(k Kind) []int {
	var found *Node
	for _, name := range g.Names {
		if n := g.Nodes[name]; n.Kind == k {
			if found != nil {
				return nil
			}
			found = n
		}
	}
	if found == nil {
		return nil
	}
	return found.OutShape
}

// compatible reports whether a node writing shape out may feed a node
// reading shape in: equal shapes, or equal sizes where one end is an Input
// or Output node (writers disagree on singleton dimensions there:
// Rockpool's Output of a 1-neuron graph has shape [1 1 1]).
func compatible(from, to *Node, out, in []int) bool {
	if slices.Equal(out, in) {
		return true
	}
	lenient := from.Kind == KindInput || to.Kind == KindOutput || from.Kind == KindGraph || to.Kind == KindGraph
	a, errA := checkedSize(out)
	b, errB := checkedSize(in)
	return lenient && errA == nil && errB == nil && a == b
}

// inferShapes propagates shapes along the edges until nothing changes and
// checks every edge whose two ends are known.
func (d *decoder) inferShapes(g *Graph) error {
	for range len(g.Edges) + 1 {
		changed := false
		for _, e := range g.Edges {
			from, to := g.resolve(e.From), g.resolve(e.To)
			if from.OutShape == nil {
				continue
			}
			if to.InShape == nil {
				to.InShape = from.OutShape
				if to.OutShape == nil {
					out, err := d.derive(to, to.InShape)
					if err != nil {
						return err
					}
					to.OutShape = out
				}
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, e := range g.Edges {
		from, to := g.resolve(e.From), g.resolve(e.To)
		if from.OutShape != nil && to.InShape != nil && !compatible(from, to, from.OutShape, to.InShape) {
			return d.fail(to, "input", detail(ErrShape, "edge %s → %s: %s writes shape %v, %s reads %v", e.From, e.To, e.From, from.OutShape, e.To, to.InShape))
		}
	}
	return nil
}

// readMeta reads snnc's root attributes, or returns nil.
func readMeta(root *hdf5.Group) *Meta {
	a, err := root.Attr("snnc_timesteps")
	if err != nil {
		return nil
	}
	m := &Meta{}
	if t, err := a.Int64(); err == nil && t > 0 && t <= 1<<16 {
		m.Timesteps = int(t)
	}
	str := func(name string) string {
		if a, err := root.Attr(name); err == nil {
			if s, err := a.String(); err == nil {
				return s
			}
		}
		return ""
	}
	num := func(name string) float64 {
		if a, err := root.Attr(name); err == nil {
			if x, err := a.Float64(); err == nil && !math.IsNaN(x) && !math.IsInf(x, 0) {
				return x
			}
		}
		return 0
	}
	m.Name, m.Encoding, m.Readout = str("snnc_name"), str("snnc_encoding"), str("snnc_readout")
	m.InputScale, m.Dt = num("snnc_input_scale"), num("snnc_dt")
	m.Reset = str("snnc_reset")
	if a, err := root.Attr("snnc_readout_neuron"); err == nil {
		if v, err := a.Float64s(); err == nil && len(v) == 3 && v[2] >= 0 && v[2] <= float64(ir.ResetSubtractMulti) && v[2] == math.Trunc(v[2]) {
			m.ReadoutNeuron = &ir.LIF{Leak: float32(v[0]), Threshold: float32(v[1]), Reset: ir.ResetMode(v[2])}
		}
	}
	return m
}

// sortedKeys returns a map's keys in order (for deterministic output).
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
