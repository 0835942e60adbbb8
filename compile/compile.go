package compile

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Options control a compilation. The zero value compiles with the target's
// default weight precision on as few chips as needed.
type Options struct {
	// WeightBits is the weight precision (0: the target's default).
	WeightBits int
	// Chips caps the number of chips (0: the target's largest system).
	Chips int
	// Seed seeds the placement's annealing (deterministic for a seed).
	Seed uint64
	// PlaceIters is the number of annealing moves (0: scaled with the
	// number of cores; negative: greedy placement only).
	PlaceIters int
	// FiringRates gives the expected spikes per neuron per step of each
	// model layer (index of m.Layers) for the traffic estimate; missing
	// entries count as 1.
	FiringRates []float64
	// DumpAfter names a pass after which a text form of the IR is written
	// to Dump ("all" dumps after every pass).
	DumpAfter string
	Dump      io.Writer
	// Disable lists optional passes to skip (only "verify" is optional).
	Disable []string
	// GradedInput sends a direct-current input to the chip as graded
	// spikes: each step, every non-zero input value goes as one spike whose
	// integer payload is the value (targets.GradedPayload), into on-chip
	// synapses of the first layer, instead of the host computing the
	// layer's current and programming it as a bias. Only targets whose
	// backend has graded spikes (targets.Capabilities.GradedSpikes) accept
	// it; see gradedInput.
	GradedInput bool
	// GradedHidden sends the spike counts of several-spike layers
	// (ir.ResetSubtractMulti) as graded spikes: each step, a firing neuron
	// sends one spike whose payload is its count, and the next layer's
	// synapses multiply it by their weights. Without it, or on a target
	// without graded spikes, such a layer is refused (graded_hidden.go).
	GradedHidden bool
	// ConvOrder names the mapping order of every conv layer that has a
	// candidate of that name (see convorder.go, e.g. "stride-4 position
	// classes"); the others keep position-major. Empty: the compiler
	// chooses per layer on targets with population axons.
	ConvOrder string
	// AfterPass, if set, is called after every pass with the IR so far; an
	// error stops the compilation (tests run ir.Verify and Check here).
	AfterPass func(pass string, m *ir.Model) error
}

// pass is one step of the pipeline.
type pass struct {
	name string
	fn   func(*state) error
	// coreFn, if set, replaces fn for a family whose chip is one recurrent
	// population (targets.Capabilities.RecurrentCore, recurrentcore.go);
	// coreDoc describes it.
	coreFn  func(*state) error
	coreDoc string
	// splitterFn, if set, replaces fn when the compilation follows the
	// splitter plan: a family with targets.Capabilities.Splitters whose
	// model needs it (the limits pass decides, see limitsPass). The dump
	// and the pass docs name the variant.
	splitterFn func(*state) error
	// required passes cannot be disabled.
	required bool
	// doc is a one-line description (shown by --dump-after help);
	// splitterDoc describes splitterFn.
	doc, splitterDoc string
}

// passes is THE pipeline, in order.
var passes = [...]pass{
	{name: "fold", fn: fold, coreFn: foldCore, required: true, doc: "check the float model, freeze it, drop an old quantized section and mapping",
		coreDoc: "check the model; the chain is its layers with neurons"},
	{name: "limits", fn: limitsPass, coreFn: limitsCore, required: true, doc: "check the per-neuron limits of the target (fan-in, fan-out, weight types, leak); a family with splitters takes the splitter plan when the model needs it: pack cores, insert splitter layers",
		coreDoc: "every design rule of the part the model breaks (the backend's DesignRules)"},
	{name: "quantize", fn: quantize, splitterFn: quantizeTN, required: true, doc: "integer weights, exponents, thresholds, biases and decays, by the family's neuron model",
		splitterDoc: "each planned core's axon types and type weights, thresholds, leaks"},
	{name: "partition", fn: partition, coreFn: partitionCore, splitterFn: partitionTN, required: true, doc: "split layers into core-sized pieces under every core limit; lower bound",
		splitterDoc: "the planned cores as pieces, the links between them; lower bound", coreDoc: "the hidden population and the readout neurons, one piece each"},
	{name: "place", fn: place, coreFn: placeCore, splitterFn: placeSplitter, required: true, doc: "assign pieces to cores of the chips' meshes (greedy + annealing)",
		splitterDoc: "the same, with the planned links as traffic", coreDoc: "the two populations of the one chip"},
	{name: "route", fn: route, coreFn: routeCore, splitterFn: routeTN, required: true, doc: "spike routes between cores, hops and traffic",
		splitterDoc: "one route per planned link (each neuron has one target core)", coreDoc: "hidden → hidden (recurrent) and hidden → readout"},
	{name: "verify", fn: verify, required: false, doc: "check the quantized network and the mapping against the target and ir.Verify"},
	{name: "emit", fn: emit, required: true, doc: "write the mapping tables and the report"},
}

// passOrder lists ordering constraints between passes, each with its reason;
// they are checked when the package starts.
var passOrder = [...]struct{ a, b, why string }{
	{"fold", "limits", "limits reads the validated layer chain"},
	{"limits", "quantize", "quantize assumes per-neuron limits hold (TrueNorth split path: cores planned, splitters inserted)"},
	{"quantize", "partition", "synaptic memory depends on the weight precision"},
	{"partition", "place", "placement places the pieces"},
	{"place", "route", "hops need positions"},
	{"route", "verify", "verify checks routes and output-route counts"},
	{"verify", "emit", "emit writes only a verified mapping"},
}

func init() {
	idx := map[string]int{}
	for i, p := range passes {
		idx[p.name] = i
	}
	for _, c := range passOrder {
		a, okA := idx[c.a]
		b, okB := idx[c.b]
		if !okA || !okB || a >= b {
			panic(fmt.Sprintf("compile: pass %q must come before %q: %s", c.a, c.b, c.why))
		}
	}
}

// Passes returns the names of the pipeline's passes in order.
func Passes() []string {
	names := make([]string, len(passes))
	for i, p := range passes {
		names[i] = p.name
	}
	return names
}

// OptionalPasses returns the names of the passes that Options.Disable may
// skip, in order.
func OptionalPasses() []string {
	var names []string
	for _, p := range passes {
		if !p.required {
			names = append(names, p.name)
		}
	}
	return names
}

// PassTime is the wall time of one pass.
type PassTime struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Result is a compiled model and its report.
type Result struct {
	// Model is a new model that shares the float layers with the input and
	// holds the quantized network and the mapping.
	Model  *ir.Model
	Report *Report
}

// Compile lowers m onto target t. The input model is not modified.
func Compile(m *ir.Model, t *targets.Target, opts Options) (*Result, error) {
	if m == nil || t == nil {
		return nil, errors.New("compile: nil model or target")
	}
	if opts.DumpAfter != "" && opts.DumpAfter != "all" {
		if !hasPass(opts.DumpAfter) {
			return nil, fmt.Errorf("compile: unknown pass %q for dump (valid: all, %s)", opts.DumpAfter, strings.Join(Passes(), ", "))
		}
	}
	skip := map[string]bool{}
	for _, name := range opts.Disable {
		i := passIndex(name)
		switch {
		case i < 0:
			return nil, fmt.Errorf("compile: cannot disable unknown pass %q (valid: %s)", name, strings.Join(Passes(), ", "))
		case passes[i].required:
			return nil, fmt.Errorf("compile: pass %q is required and cannot be disabled", name)
		}
		skip[name] = true
	}
	b := t.Backend()
	core := b.Capabilities().RecurrentCore
	if !core {
		if err := checkTemporal(m, t); err != nil { // temporal.go
			return nil, err
		}
	}
	if err := checkGradedInput(m, t, opts); err != nil { // graded.go
		return nil, err
	}
	if !core {
		if err := checkGradedHidden(m, t, opts); err != nil { // graded_hidden.go
			return nil, err
		}
	}
	start := time.Now()
	cp := *m
	cp.Quantized, cp.Mapping = nil, nil
	// the mapping orders are the compiler's to choose (partition,
	// convorder.go); the layers are copied so that m keeps its own
	cp.Layers = slices.Clone(m.Layers)
	for i := range cp.Layers {
		cp.Layers[i].MapOrder = nil
	}
	s := &state{m: &cp, t: t, b: b, opts: opts, report: &Report{Target: t.Name}, core: core}
	for _, p := range passes {
		if skip[p.name] {
			continue
		}
		fn, variant := p.fn, ""
		if s.splitPlan != nil && p.splitterFn != nil {
			fn, variant = p.splitterFn, " (splitter plan)"
		}
		if s.core && p.coreFn != nil {
			fn, variant = p.coreFn, " (recurrent core)"
		}
		t0 := time.Now()
		if err := fn(s); err != nil {
			return nil, err
		}
		s.report.Passes = append(s.report.Passes, PassTime{p.name, time.Since(t0).Seconds()})
		if opts.DumpAfter == p.name || opts.DumpAfter == "all" {
			w := opts.Dump
			if w == nil {
				w = io.Discard
			}
			fmt.Fprintf(w, "## after %s%s\n", p.name, variant)
			s.dump(w)
		}
		if opts.AfterPass != nil {
			if err := opts.AfterPass(p.name, s.m); err != nil {
				return nil, fmt.Errorf("compile: after pass %s: %w", p.name, err)
			}
		}
	}
	s.report.CompileSeconds = time.Since(start).Seconds()
	return &Result{Model: s.m, Report: s.report}, nil
}

func hasPass(name string) bool { return passIndex(name) >= 0 }

func passIndex(name string) int {
	for i, p := range passes {
		if p.name == name {
			return i
		}
	}
	return -1
}

// PassDocs returns "name: description" lines for help texts.
func PassDocs() []string {
	var out []string
	for _, p := range passes {
		out = append(out, fmt.Sprintf("%-9s %s", p.name, p.doc))
		if p.splitterDoc != "" {
			out = append(out, fmt.Sprintf("%-9s   splitter plan: %s", "", p.splitterDoc))
		}
		if p.coreDoc != "" {
			out = append(out, fmt.Sprintf("%-9s   recurrent core: %s", "", p.coreDoc))
		}
	}
	return out
}

// state is what the passes share.
type state struct {
	m    *ir.Model
	t    *targets.Target
	b    targets.Backend
	opts Options

	// chain lists the model layers with neurons, in order.
	chain []int
	// hostInput: the first neuron layer gets a direct current from the host.
	hostInput bool
	// gradedInput: that current goes as graded spikes into on-chip
	// synapses (Options.GradedInput); hostInput is then false.
	gradedInput bool
	weightBits  int

	// partition
	pieces []piece
	// layerPieces[k] is the range of pieces of chain layer k.
	layerPieces [][2]int
	lower       []int    // lower bound per chain layer
	boundBy     []string // the limit that gives it
	binding     []string
	// pop16[k]: chain layer k (a Loihi conv layer) is fed by pop16 axons
	// (see convpop.go).
	pop16 []bool
	// orderName[k] names chain layer k's mapping order (conv layers,
	// convorder.go; "" for other layers) and convAlign[k] the range
	// lengths its cut favours (nil: ConvOrder's).
	orderName []string
	convAlign [][]int
	// quickCut: partitionConv cuts greedily (the longest range from
	// each start), to screen candidate orders
	quickCut bool
	// namedOrder: some conv layer took Options.ConvOrder
	namedOrder bool
	// coreCaps[k]: popCoreCap of chain layer k (convlb.go), once computed.
	coreCaps map[int]int

	// place
	chips int
	slot  []int // slot of each piece
	// greedyCost and placeCost are Σ traffic×hops before/after annealing.
	greedyCost, placeCost float64

	// splitPlan is the plan of a model on the splitter plan (nil
	// otherwise); the passes' splitterFn variants run when it is set.
	splitPlan *tnPlan
	// core: the target's chip is one recurrent population; the passes'
	// coreFn variants run (recurrentcore.go).
	core bool

	report *Report
}

// piece is a core-sized part of a layer.
type piece struct {
	chain        int // index into state.chain
	start, count int
	axons        int
	bits         int64
	routes       int
}
