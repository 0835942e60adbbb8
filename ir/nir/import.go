package nir

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/snnc/snnc/ir"
)

// recovered counts panics recovered by Decode, Import and Export (the fuzzer
// fails on one).
var recovered atomic.Int64

// Recovered reports how many panics the package has recovered from.
func Recovered() int64 { return recovered.Load() }

// DefaultDt is the time step assumed when neither the caller nor the file
// gives one (1e-4 s, as the NIR paper and Lava's and snnTorch's bridges).
const DefaultDt = 1e-4

// DefaultTimesteps is T of an imported model when neither the caller nor
// the file gives one.
const DefaultTimesteps = 100

// MaxImportSize bounds the weights and the neurons of one imported layer
// (a dilated kernel or a large input_shape could otherwise ask for more
// memory than the file justifies).
const MaxImportSize = 1 << 26

// ImportOptions control Import.
type ImportOptions struct {
	// Dt is the time step in seconds (≤ 0: the file's snnc_dt, else DefaultDt).
	Dt float64
	// Timesteps is T (≤ 0: the file's snnc_timesteps, else DefaultTimesteps).
	Timesteps int
	// ToolVersion is recorded in the provenance.
	ToolVersion string
	// SubtractIF makes IF neurons subtract the threshold after a spike
	// instead of resetting to v_reset = 0 as NIR defines: the semantics
	// Sinabs trains with, which NIR has no way to state.
	SubtractIF bool
	// Encoding is the model's input encoding, "rate" or "events" ("": the
	// file's snnc metadata, else events for models with current-based or
	// recurrent layers or an LI readout and rate for the others). NIR does
	// not say how the input arrives.
	Encoding string
}

// ImportedPrefix starts the provenance's Dataset field of an imported
// model: "imported from NIR file NAME".
const ImportedPrefix = "imported from NIR file "

// Import builds an snnc float model from a decoded NIR graph with the
// mapping of the package documentation. A graph snnc cannot run is refused
// with an *Error naming the node and the reason (wrapping ErrUnsupported).
func Import(f *File, opts ImportOptions) (m *ir.Model, err error) {
	defer func() {
		if r := recover(); r != nil {
			recovered.Add(1)
			m, err = nil, &Error{File: f.Name, Err: detail(ErrUnsupported, "internal error while importing: %v", r)}
		}
	}()
	b := &builder{file: f.Name, dt: opts.Dt, pool: 1, subtractIF: opts.SubtractIF}
	meta := f.Meta
	if meta == nil {
		meta = &Meta{}
	}
	if b.dt <= 0 {
		b.dt = meta.Dt
	}
	if b.dt <= 0 || math.IsNaN(b.dt) || math.IsInf(b.dt, 0) {
		b.dt = DefaultDt
	}
	T := opts.Timesteps
	if T <= 0 {
		T = meta.Timesteps
	}
	if T <= 0 {
		T = DefaultTimesteps
	}
	chain, err := b.chain(f.Graph)
	if err != nil {
		return nil, err
	}
	b.m = &ir.Model{Name: meta.Name, Timesteps: T, Input: ir.Input{Encoding: ir.EncodingRate, Scale: 1}}
	if b.m.Name == "" {
		b.m.Name = strings.TrimSuffix(f.Name, ".nir")
	}
	enc := meta.Encoding
	if opts.Encoding != "" {
		enc = opts.Encoding
	}
	switch enc {
	case "rate", "":
	case "direct":
		b.m.Input.Encoding = ir.EncodingDirect
	case "events":
		b.m.Input.Encoding = ir.EncodingEvents
	default:
		return nil, &Error{File: f.Name, Field: "encoding", Err: detail(ErrUnsupported, "input encoding %q: want rate, events or direct", enc)}
	}
	if meta.InputScale != 0 {
		b.m.Input.Scale = float32(meta.InputScale)
	}
	for _, n := range chain {
		if err := b.add(n.Node, n.rec); err != nil {
			return nil, err
		}
	}
	if len(b.m.Layers) == 0 {
		return nil, &Error{File: f.Name, Err: detail(ErrUnsupported, "the graph has no synapse node (Affine, Linear, Conv2d): nothing to run")}
	}
	switch meta.Reset {
	case "":
	case ir.ResetSubtractMulti.String(): // spiking neurons: see Export
		for i := range b.m.Layers[:len(b.m.Layers)-1] {
			if b.m.Layers[i].HasNeurons() {
				b.m.Layers[i].Neuron.Reset = ir.ResetSubtractMulti
			}
		}
		if b.m.Readout.Kind == ir.ReadoutSpikeCount {
			b.m.Layers[len(b.m.Layers)-1].Neuron.Reset = ir.ResetSubtractMulti
		}
	default:
		return nil, &Error{File: f.Name, Field: "snnc_reset", Err: detail(ErrUnsupported, "reset %q: want subtract-multi (or no attribute)", meta.Reset)}
	}
	last := &b.m.Layers[len(b.m.Layers)-1]
	if r := meta.ReadoutNeuron; r != nil {
		switch b.m.Readout.Kind {
		case ir.ReadoutMeanCurrent: // the readout ignores the neuron: snnc's own fields back
			last.Neuron = *r
		case ir.ReadoutMaxPotential: // the leak and decay are the LI's; the rest is unused
			last.Neuron.Threshold, last.Neuron.Reset = r.Threshold, r.Reset
		}
	}
	if enc == "" && temporal(b.m) {
		// current-based or recurrent neurons or a potential readout: the
		// model reads a stream of input spikes, one frame per step
		b.m.Input.Encoding = ir.EncodingEvents
	}
	b.m.Provenance = &ir.Provenance{Method: ir.MethodNone, Dataset: ImportedPrefix + f.Name, ToolVersion: opts.ToolVersion}
	if err := ir.Verify(b.m); err != nil {
		return nil, &Error{File: f.Name, Err: fmt.Errorf("%w: the imported model is invalid: %w", ErrUnsupported, err)}
	}
	return b.m, nil
}

// temporal reports whether m has current-based or recurrent layers or the
// max-potential readout.
func temporal(m *ir.Model) bool {
	for i := range m.Layers {
		if m.Layers[i].Kind == ir.KindRecurrentDense || m.Layers[i].Neuron.CurrentDecay != 0 {
			return true
		}
	}
	return m.Readout.Kind == ir.ReadoutMaxPotential
}

// builder turns a chain of NIR nodes into IR layers.
type builder struct {
	file string
	dt   float64
	m    *ir.Model
	// shape is the shape the next node reads.
	shape []int
	// open is the synapse layer waiting for its neuron node (nil if none).
	open *ir.Layer
	// pool is the factor a sum pooling puts on the next synapse layer's
	// weights (kh·kw; 1 after none or an average pooling).
	pool       float64
	poolNode   *Node
	done       bool
	subtractIF bool
	// readoutNode is the LI, CubaLI or I node that closed the last layer
	// (nil if none) and readout the readout it stands for.
	readoutNode *Node
	readout     ir.ReadoutKind
	// pendingDelay is a Delay node between layers waiting for the next
	// synapse node (nil if none), pendingSteps its delay (delay.go).
	pendingDelay *Node
	pendingSteps uint8
}

func (b *builder) refuse(n *Node, format string, a ...any) error {
	return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Err: detail(ErrUnsupported, format, a...)}
}

// flatNode is a node of the flattened graph: nested graphs are inlined and
// their Input and Output nodes become pass-through nodes.
type flatNode struct {
	*Node
	pass bool
}

// flatten inlines nested graphs: nodes by path, edges by path.
func flatten(g *Graph, prefix string, nodes map[string]*flatNode, edges *[]Edge, pass bool) {
	endpoint := func(end string, out bool) string {
		n := g.resolve(end)
		if n.Kind != KindGraph {
			return join(prefix, end)
		}
		if i := strings.IndexByte(end, '.'); i > 0 && n.Name != end {
			return join(join(prefix, n.Name), end[i+1:])
		}
		k := KindInput
		if out {
			k = KindOutput
		}
		for _, name := range n.Graph.Names {
			if n.Graph.Nodes[name].Kind == k {
				return join(join(prefix, n.Name), name)
			}
		}
		return join(prefix, end)
	}
	for _, name := range g.Names {
		n := g.Nodes[name]
		if n.Kind == KindGraph {
			flatten(n.Graph, join(prefix, name), nodes, edges, true)
			continue
		}
		nodes[join(prefix, name)] = &flatNode{Node: n, pass: pass && (n.Kind == KindInput || n.Kind == KindOutput)}
	}
	for _, e := range g.Edges {
		*edges = append(*edges, Edge{From: endpoint(e.From, true), To: endpoint(e.To, false)})
	}
}

// step is one node of the chain; rec is the synapse node (Affine or
// Linear) that feeds a neuron node's own spikes back to it (a recurrence).
type step struct {
	*Node
	rec *Node
}

// isNeuron reports whether k is a neuron node a synapse node feeds.
func isNeuron(k Kind) bool { return spikes(k) || k == KindLI || k == KindCubaLI || k == KindI }

// spikes reports whether k is a neuron node whose output is spikes (a
// recurrence through it is snnc's V·s[t−1]; one through an LI, CubaLI or I
// node would feed back a potential).
func spikes(k Kind) bool {
	switch k {
	case KindLIF, KindCubaLIF, KindIF, KindThreshold:
		return true
	}
	return false
}

// contract removes the pass-through Input and Output nodes of nested
// graphs, joining each of their predecessors to each of their successors.
func contract(nodes map[string]*flatNode, edges []Edge) []Edge {
	for _, p := range sortedKeys(nodes) {
		if !nodes[p].pass {
			continue
		}
		var in, out, rest []Edge
		for _, e := range edges {
			switch {
			case e.To == p && e.From != p:
				in = append(in, e)
			case e.From == p && e.To != p:
				out = append(out, e)
			case e.From != p && e.To != p:
				rest = append(rest, e)
			}
		}
		for _, a := range in {
			for _, b := range out {
				rest = append(rest, Edge{From: a.From, To: b.To})
			}
		}
		edges = rest
		delete(nodes, p)
	}
	return edges
}

// without returns list without the first x.
func without(list []string, x string) []string {
	if i := slices.Index(list, x); i >= 0 {
		return slices.Delete(slices.Clone(list), i, i+1)
	}
	return list
}

// chain returns the nodes from the graph's Input to its Output, with the
// recurrences (neuron → Affine/Linear → the same neuron) taken out of the
// graph and attached to their neuron node; it refuses graphs that are not
// one such chain.
func (b *builder) chain(g *Graph) ([]step, error) {
	nodes := map[string]*flatNode{}
	var edges []Edge
	flatten(g, "", nodes, &edges, false)
	for _, e := range edges {
		if nodes[e.From] == nil || nodes[e.To] == nil {
			return nil, &Error{File: b.file, Field: "edges", Err: detail(ErrEdge, "edge %s → %s does not connect two nodes", e.From, e.To)}
		}
	}
	edges = contract(nodes, edges)
	succ, pred := map[string][]string{}, map[string][]string{}
	for _, e := range edges {
		succ[e.From] = append(succ[e.From], e.To)
		pred[e.To] = append(pred[e.To], e.From)
	}
	// recurrences: a synapse node whose only input and only output is one
	// neuron node
	rec := map[string]*Node{}
	seen := map[string]bool{}
	for _, p := range sortedKeys(nodes) {
		n := nodes[p]
		if n.Kind != KindAffine && n.Kind != KindLinear || len(pred[p]) != 1 || len(succ[p]) != 1 || pred[p][0] != succ[p][0] {
			continue
		}
		q := pred[p][0]
		if q == p || !spikes(nodes[q].Kind) {
			continue
		}
		if r := rec[q]; r != nil {
			return nil, b.refuse(nodes[q].Node, "has two recurrent synapse nodes %s and %s; snnc's recurrent layer has one matrix", r.Path, p)
		}
		rec[q] = n.Node
		seen[p] = true
		succ[q], pred[q] = without(succ[q], p), without(pred[q], p)
		delete(succ, p)
		delete(pred, p)
	}
	var inputs []string
	for _, p := range sortedKeys(nodes) {
		if n := nodes[p]; n.Kind == KindInput {
			inputs = append(inputs, p)
		}
	}
	if len(inputs) != 1 {
		return nil, &Error{File: b.file, Field: "nodes", Err: detail(ErrUnsupported, "the graph has %d Input nodes %v, snnc models have one input", len(inputs), inputs)}
	}
	notChain := func(p string) error {
		if cyc := cycle(p, succ); cyc != nil {
			return b.refuse(nodes[p].Node, "is on a cycle %s that is not a recurrence: snnc maps a cycle from a spiking neuron node (LIF, CubaLIF, IF, Threshold) through one Affine or Linear node back to it onto a recurrent layer, nothing else", strings.Join(cyc, " → "))
		}
		return nil
	}
	var chain []step
	cur := inputs[0]
	for {
		seen[cur] = true
		n := nodes[cur]
		chain = append(chain, step{Node: n.Node, rec: rec[cur]})
		next := succ[cur]
		if n.Kind == KindOutput {
			if len(next) > 0 {
				return nil, b.refuse(n.Node, "the Output node feeds %v", next)
			}
			break
		}
		if len(next) != 1 {
			if len(next) == 0 {
				return nil, b.refuse(n.Node, "the chain from the input ends here without reaching an Output node")
			}
			if err := notChain(cur); err != nil {
				return nil, err
			}
			return nil, b.refuse(n.Node, "branches into %d nodes %v; snnc runs a chain of layers (a branch that is not a chain or a recurrence is not supported)", len(next), next)
		}
		to := next[0]
		if len(pred[to]) > 1 || seen[to] {
			if err := notChain(to); err != nil {
				return nil, err
			}
			return nil, b.refuse(nodes[to].Node, "merges %d inputs %v; snnc runs a chain of layers", len(pred[to]), pred[to])
		}
		cur = to
	}
	for _, p := range sortedKeys(nodes) {
		if !seen[p] {
			if err := notChain(p); err != nil {
				return nil, err
			}
			return nil, b.refuse(nodes[p].Node, "is not on the path from the input to the output")
		}
	}
	return chain, nil
}

// cycle returns a cycle through start (start → … → start), or nil.
func cycle(start string, succ map[string][]string) []string {
	var path []string
	seen := map[string]bool{}
	var dfs func(p string) bool
	dfs = func(p string) bool {
		path = append(path, p)
		for _, q := range succ[p] {
			if q == start {
				path = append(path, q)
				return true
			}
			if !seen[q] {
				seen[q] = true
				if dfs(q) {
					return true
				}
			}
		}
		path = path[:len(path)-1]
		return false
	}
	if dfs(start) {
		return path
	}
	return nil
}

// add maps one node of the chain; rec is the synapse node of a neuron
// node's recurrence, or nil.
func (b *builder) add(n *Node, rec *Node) error {
	if b.done {
		return b.refuse(n, "follows the Output node")
	}
	if rec != nil && !isNeuron(n.Kind) {
		return b.refuse(rec, "feeds back into %s, which is not a neuron node", n.Path)
	}
	if r := b.readoutNode; r != nil && n.Kind != KindOutput {
		return b.refuse(r, "a %s node is a readout: it must feed the Output node, here it feeds %s", r.Kind, n.Path)
	}
	switch n.Kind {
	case KindInput:
		s := n.OutShape
		if len(s) == 2 { // [C,L] for a Conv1d: snnc's [C,1,L]
			s = []int{s[0], 1, s[1]}
		}
		if len(s) != 1 && len(s) != 3 {
			return b.refuse(n, "input shape %v: snnc inputs are vectors [N], sequences [C,L] or images [C,H,W]", s)
		}
		b.m.Input.Shape = slices.Clone(s)
		b.shape = b.m.Input.Shape
	case KindOutput:
		if b.pendingDelay != nil {
			return b.refuse(b.pendingDelay, "delays the Output: snnc delays synapses' input, not the readout")
		}
		if b.poolNode != nil {
			return b.refuse(b.poolNode, "pooling must feed a synapse node (it is folded into the next layer's weights)")
		}
		switch {
		case b.open != nil:
			b.m.Readout.Kind = ir.ReadoutMeanCurrent
			b.m.Layers = append(b.m.Layers, *b.open)
			b.open = nil
		case b.readoutNode != nil:
			b.m.Readout.Kind = b.readout
		default:
			b.m.Readout.Kind = ir.ReadoutSpikeCount
		}
		b.done = true
	case KindAffine, KindLinear:
		return b.dense(n)
	case KindConv1d, KindConv2d:
		return b.conv(n)
	case KindSumPool2d, KindAvgPool2d:
		return b.pooling(n)
	case KindFlatten:
		if b.open != nil {
			return b.refuse(n, "a flatten between a synapse node and its neurons")
		}
		if len(b.shape) == 1 {
			return nil
		}
		out := []int{ir.ShapeSize(b.shape)}
		if !slices.Equal(n.OutShape, out) && n.OutShape != nil {
			return b.refuse(n, "flattens %v to %v; snnc flattens whole [C,H,W] tensors to vectors", n.InShape, n.OutShape)
		}
		b.m.Layers = append(b.m.Layers, ir.Layer{Name: n.Path, Kind: ir.KindFlatten, InShape: b.shape, OutShape: out})
		b.shape = out
	case KindScale:
		if b.open == nil {
			return b.refuse(n, "a Scale node must follow a synapse node (it is folded into its weights)")
		}
		return b.scale(n)
	case KindLIF, KindIF, KindThreshold, KindCubaLIF, KindLI, KindCubaLI, KindI:
		return b.neurons(n, rec)
	case KindDelay:
		return b.delay(n) // delay.go
	default:
		return b.refuse(n, "node type %s is not supported", n.Kind)
	}
	return nil
}

func (b *builder) takePool() float64 {
	f := b.pool
	b.pool, b.poolNode = 1, nil
	return f
}

func (b *builder) dense(n *Node) error {
	if b.open != nil {
		return b.refuse(n, "follows the synapse node %s without neurons between them; compose the two", b.open.Name)
	}
	w := n.Params["weight"]
	out, in := w.Shape[0], w.Shape[1]
	if len(b.shape) == 3 && ir.ShapeSize(b.shape) == in {
		b.m.Layers = append(b.m.Layers, ir.Layer{Name: n.Path + ".flatten", Kind: ir.KindFlatten, InShape: b.shape, OutShape: []int{in}})
		b.shape = []int{in}
	}
	if len(b.shape) != 1 || b.shape[0] != in {
		return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: "weight", Err: detail(ErrShape, "reads %d inputs, the previous node writes shape %v", in, b.shape)}
	}
	f := b.takePool()
	l := ir.Layer{Name: n.Path, Kind: ir.KindDense, InShape: b.shape, OutShape: []int{out},
		Weights: make([]float32, out*in), Bias: make([]float32, out)}
	for i, x := range w.Data {
		l.Weights[i] = float32(x * f)
	}
	if bias := n.Params["bias"]; bias != nil {
		for j := range l.Bias {
			l.Bias[j] = float32(bias.At(j))
		}
	}
	b.takeDelay(&l)
	b.open = &l
	b.shape = l.OutShape
	return nil
}

func (b *builder) conv(n *Node) error {
	if b.open != nil {
		return b.refuse(n, "follows the synapse node %s without neurons between them; compose the two", b.open.Name)
	}
	d := &decoder{file: b.file}
	w := n.Params["weight"]
	dims := len(w.Shape) - 2 // 1 (Conv1d over [C,L], run as a Conv2d over [C,1,L]) or 2
	if len(b.shape) != 3 || (dims == 1 && b.shape[1] != 1) {
		return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: "weight", Err: detail(ErrShape, "reads shape %v, want [C,H,W] (Conv1d: [C,L])", b.shape)}
	}
	oc, icg := w.Shape[0], w.Shape[1]
	kh, kw := 1, w.Shape[2]
	if dims == 2 {
		kh, kw = w.Shape[2], w.Shape[3]
	}
	stride, _ := d.ints(n, "stride", dims, 1)
	pad, _ := d.ints(n, "padding", dims, 0)
	dil, _ := d.ints(n, "dilation", dims, 1)
	if dims == 1 {
		stride, pad, dil = []int{1, stride[0]}, []int{0, pad[0]}, []int{1, dil[0]}
	}
	groups, _ := d.ints(n, "groups", 1, 1)
	if b.shape[0] != icg*groups[0] {
		return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: "weight", Err: detail(ErrShape, "reads %d channels (%d per group × %d groups), the previous node writes shape %v", icg*groups[0], icg, groups[0], b.shape)}
	}
	// dilation: the kernel with zeros between its taps
	eh, ew := dil[0]*(kh-1)+1, dil[1]*(kw-1)+1
	if n.Padding == "same" {
		if eh%2 == 0 || ew%2 == 0 {
			return b.refuse(n, "padding \"same\" with the even kernel %d×%d pads asymmetrically; snnc pads symmetrically", eh, ew)
		}
		pad = []int{(eh - 1) / 2, (ew - 1) / 2}
	}
	f := b.takePool()
	l := ir.Layer{Name: n.Path, Kind: ir.KindConv2D, InShape: b.shape, Kernel: [2]int{eh, ew},
		Stride: [2]int{stride[0], stride[1]}, Padding: [2]int{pad[0], pad[1]}, Bias: make([]float32, oc)}
	if groups[0] > 1 {
		l.Groups = groups[0]
	}
	if eh > b.shape[1]+2*pad[0] || ew > b.shape[2]+2*pad[1] {
		return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: "weight", Err: detail(ErrShape, "the %d×%d window does not fit the padded input %v", eh, ew, b.shape)}
	}
	l.OutShape = []int{oc, (b.shape[1]+2*pad[0]-eh)/stride[0] + 1, (b.shape[2]+2*pad[1]-ew)/stride[1] + 1}
	if taps := float64(oc) * float64(icg) * float64(eh) * float64(ew); taps > MaxImportSize || float64(oc)*float64(l.OutShape[1])*float64(l.OutShape[2]) > MaxImportSize {
		return b.refuse(n, "a %d×%d (dilated) kernel over %v makes %.3g weights and %d×%d×%d neurons; the importer's limit is %d of each", eh, ew, b.shape, taps, oc, l.OutShape[1], l.OutShape[2], MaxImportSize)
	}
	l.Weights = make([]float32, oc*icg*eh*ew)
	for o := range oc {
		for c := range icg {
			for y := range kh {
				for x := range kw {
					l.Weights[((o*icg+c)*eh+y*dil[0])*ew+x*dil[1]] = float32(w.Data[((o*icg+c)*kh+y)*kw+x] * f)
				}
			}
		}
	}
	if bias := n.Params["bias"]; bias != nil {
		for j := range l.Bias {
			l.Bias[j] = float32(bias.At(j))
		}
	}
	b.takeDelay(&l)
	b.open = &l
	b.shape = l.OutShape
	return nil
}

func (b *builder) pooling(n *Node) error {
	if b.open != nil {
		return b.refuse(n, "pooling between a synapse node and its neurons")
	}
	if b.poolNode != nil {
		return b.refuse(n, "follows the pooling node %s", b.poolNode.Path)
	}
	if len(b.shape) != 3 {
		return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: "kernel_size", Err: detail(ErrShape, "reads shape %v, want [C,H,W]", b.shape)}
	}
	d := &decoder{file: b.file}
	k, _ := d.ints(n, "kernel_size", 2, 1)
	s, _ := d.ints(n, "stride", 2, 0)
	p, _ := d.ints(n, "padding", 2, 0)
	if n.Params["stride"] == nil {
		s = k
	}
	if !slices.Equal(s, k) || p[0] != 0 || p[1] != 0 {
		return b.refuse(n, "pooling with kernel %v, stride %v, padding %v: snnc folds only non-overlapping windows (stride = kernel) without padding into the next layer", k, s, p)
	}
	if b.shape[1] < k[0] || b.shape[2] < k[1] {
		return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: "kernel_size", Err: detail(ErrShape, "the %v window is larger than the input %v", k, b.shape)}
	}
	out := []int{b.shape[0], b.shape[1] / k[0], b.shape[2] / k[1]}
	b.m.Layers = append(b.m.Layers, ir.Layer{Name: n.Path, Kind: ir.KindAvgPool, InShape: b.shape, OutShape: out,
		Kernel: [2]int{k[0], k[1]}, Stride: [2]int{k[0], k[1]}})
	b.shape = out
	b.poolNode = n
	if n.Kind == KindSumPool2d {
		b.pool = float64(k[0] * k[1]) // sum = average × window, on the next layer's weights
	}
	return nil
}

// rowsPerValue is how many consecutive neurons of the open layer share one
// weight row scale: 1 for dense, H·W for conv (one value per channel).
func (b *builder) perChannel() int {
	if b.open.Kind == ir.KindConv2D {
		return b.open.OutShape[1] * b.open.OutShape[2]
	}
	return 1
}

// scaleRows multiplies neuron j's synapses and bias by k(j) and adds e(j)
// to its bias; for conv layers k and e must be equal within a channel.
func (b *builder) scaleRows(n *Node, field string, k, e func(j int) float64) error {
	l := b.open
	per := b.perChannel()
	rows := len(l.Bias)
	rowLen := len(l.Weights) / rows
	for r := range rows {
		kr, er := k(r*per), e(r*per)
		for j := r * per; j < (r+1)*per; j++ {
			if k(j) != kr || e(j) != er {
				return b.refuse(n, "%s differs within output channel %d of %s: a convolution's neurons share one scale per channel", field, r, l.Name)
			}
		}
		if kr != 1 {
			for i := r * rowLen; i < (r+1)*rowLen; i++ {
				l.Weights[i] = float32(float64(l.Weights[i]) * kr)
			}
			for i := r * rows; i < (r+1)*rows && len(l.Recurrent) > 0; i++ {
				l.Recurrent[i] = float32(float64(l.Recurrent[i]) * kr)
			}
		}
		l.Bias[r] = float32(float64(l.Bias[r])*kr + er)
	}
	return nil
}

func (b *builder) scale(n *Node) error {
	s := n.Params["scale"]
	if !s.Scalar() && s.Size() != b.open.NumOutputs() {
		return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: "scale", Err: detail(ErrShape, "has %d values, the layer %s has %d outputs", s.Size(), b.open.Name, b.open.NumOutputs())}
	}
	return b.scaleRows(n, "scale", s.At, func(int) float64 { return 0 })
}

// neuronStep is one neuron's discrete-time update (the table in doc.go):
// c[t] = decay·c[t−1] + gain·(W·s_in[t] + b) + extra, u[t] = leak·u[t−1] + c[t],
// spikes at u ≥ theta.
type neuronStep struct {
	leak, decay, gain, extra, theta float64
}

// discretise maps neuron j of node n to snnc's step with dt.
func (b *builder) discretise(n *Node, j int) (neuronStep, error) {
	p := n.Params
	at := func(name string, def float64) float64 {
		if t := p[name]; t != nil {
			return t.At(j)
		}
		return def
	}
	// a = dt/τ, refusing τ < dt (the forward-Euler step would overshoot)
	frac := func(name string) (float64, error) {
		tau := p[name].At(j)
		if a := b.dt / tau; a <= 1 {
			return a, nil
		}
		return 0, b.refuse(n, "%s = %g s is shorter than dt = %g s: the forward-Euler step is unstable; pass a smaller --dt", name, tau, b.dt)
	}
	var s neuronStep
	switch n.Kind {
	case KindLIF, KindLI:
		a, err := frac("tau")
		if err != nil {
			return s, err
		}
		s = neuronStep{leak: 1 - a, gain: a * at("r", 1), extra: a * at("v_leak", 0), theta: at("v_threshold", 1)}
	case KindCubaLIF, KindCubaLI:
		as, err := frac("tau_syn")
		if err != nil {
			return s, err
		}
		am, err := frac("tau_mem")
		if err != nil {
			return s, err
		}
		s = neuronStep{leak: 1 - am, decay: 1 - as, gain: am * at("r", 1) * as * at("w_in", 1), extra: am * at("v_leak", 0), theta: at("v_threshold", 1)}
		if s.extra != 0 && s.decay != 0 {
			return s, b.refuse(n, "v_leak = %g with a synaptic current (tau_syn > dt): snnc's current starts at 0, so a leak towards v_leak would be late by the current's rise; only v_leak = 0 maps exactly", at("v_leak", 0))
		}
	case KindIF, KindI:
		s = neuronStep{leak: 1, gain: at("r", 1), theta: at("v_threshold", 1)}
	case KindThreshold:
		s = neuronStep{leak: 0, gain: 1, theta: at("threshold", 1)}
	}
	if s.decay >= 1 { // β_c rounds to 1 when dt ≪ τ_syn
		return s, b.refuse(n, "tau_syn is so much longer than dt = %g s that the current decay rounds to 1", b.dt)
	}
	return s, nil
}

// neurons closes the open synapse layer with the neuron node n and its
// recurrent synapse node rec (nil if none), as the mapping table in doc.go
// says.
func (b *builder) neurons(n *Node, rec *Node) error {
	if b.open == nil {
		return b.refuse(n, "a neuron node must follow a synapse node (Affine, Linear, Conv2d)")
	}
	l := b.open
	N := l.NumOutputs()
	p := n.Params
	for name, t := range p {
		if !t.Scalar() && t.Size() != N {
			return &Error{File: b.file, Node: n.Path, Type: n.Kind.String(), Field: name, Err: detail(ErrShape, "has %d values, the layer %s has %d neurons", t.Size(), l.Name, N)}
		}
	}
	if rec != nil {
		if err := b.recurrence(rec, l); err != nil {
			return err
		}
	}
	reset := ir.ResetZero
	if vr := p["v_reset"]; vr != nil {
		for j := range N {
			if vr.At(j) != 0 {
				return b.refuse(n, "v_reset is %v: snnc resets to 0 (or subtracts the threshold)", vr.At(j))
			}
		}
	}
	if n.Kind == KindIF && b.subtractIF {
		reset = ir.ResetSubtract // Sinabs' own IF (MembraneSubtract), which NIR cannot express
	}
	steps := make([]neuronStep, N)
	for j := range N {
		s, err := b.discretise(n, j)
		if err != nil {
			return err
		}
		steps[j] = s
		if s.leak != steps[0].leak || s.decay != steps[0].decay {
			return b.refuse(n, "time constants differ between neurons (leak %v and %v, current decay %v and %v): snnc has one leak and one current decay per layer",
				steps[0].leak, s.leak, steps[0].decay, s.decay)
		}
	}
	readout := map[Kind]ir.ReadoutKind{KindLI: ir.ReadoutMaxPotential, KindCubaLI: ir.ReadoutMaxPotential, KindI: ir.ReadoutMeanCurrent}
	ro, isReadout := readout[n.Kind]
	thr := steps[0].theta
	uniform := true
	for _, s := range steps {
		uniform = uniform && s.theta == thr
	}
	if isReadout {
		thr, uniform = 1, true // no threshold: the readout layer does not spike
	}
	if !uniform { // per-neuron thresholds: divide each neuron's input by its threshold
		for j := range steps {
			s := &steps[j]
			if s.theta <= 0 {
				return b.refuse(n, "v_threshold %v of neuron %d: per-neuron thresholds are normalised to 1, which needs positive thresholds", s.theta, j)
			}
			s.gain /= s.theta
			s.extra /= s.theta
		}
		thr = 1
	}
	if err := b.scaleRows(n, "r, tau, w_in or v_threshold", func(j int) float64 { return steps[j].gain }, func(j int) float64 { return steps[j].extra }); err != nil {
		return err
	}
	l.Neuron = ir.LIF{Leak: float32(steps[0].leak), Threshold: float32(thr), Reset: reset, CurrentDecay: float32(steps[0].decay)}
	if isReadout {
		b.readoutNode, b.readout = n, ro
	}
	b.m.Layers = append(b.m.Layers, *l)
	b.open = nil
	return nil
}

// recurrence makes the open dense layer l recurrent with the weights of the
// synapse node rec (its bias adds to the layer's).
func (b *builder) recurrence(rec *Node, l *ir.Layer) error {
	if l.Kind != ir.KindDense {
		return b.refuse(rec, "a recurrence into the %s layer %s: snnc's recurrent layers are dense", l.Kind, l.Name)
	}
	N := l.NumOutputs()
	w := rec.Params["weight"]
	if w.Shape[0] != N || w.Shape[1] != N {
		return &Error{File: b.file, Node: rec.Path, Type: rec.Kind.String(), Field: "weight", Err: detail(ErrShape, "has shape %v, the recurrent layer %s has %d neurons (want %d×%d)", w.Shape, l.Name, N, N, N)}
	}
	l.Kind = ir.KindRecurrentDense
	l.Recurrent = make([]float32, N*N)
	for i, x := range w.Data {
		l.Recurrent[i] = float32(x)
	}
	if bias := rec.Params["bias"]; bias != nil {
		for j := range l.Bias {
			l.Bias[j] = float32(float64(l.Bias[j]) + bias.At(j))
		}
	}
	return nil
}
