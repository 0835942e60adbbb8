package targets

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

//go:embed data/*.json
var dataFS embed.FS

// Source is a publication or code base a number comes from.
type Source struct {
	Key      string `json:"key"`
	Citation string `json:"citation"`
}

// CoreLimits are the resources of one core.
type CoreLimits struct {
	// Neurons is the most compartments (neurons) per core.
	Neurons int `json:"neurons"`
	// InputAxons is the most distinct input axons (fan-in ids) per core.
	InputAxons int `json:"input_axons"`
	// OutputRoutes is the most output axon routes (fan-out edges) per core.
	OutputRoutes int `json:"output_routes"`
	// SynapseBits is the synaptic memory per core in bits.
	SynapseBits int64 `json:"synapse_bits"`
	// SynapseFormats is the most synapse formats per core (0: no limit).
	SynapseFormats int `json:"synapse_formats"`
	// FanIn is the most inputs per neuron (0: no limit beyond InputAxons).
	FanIn int `json:"fan_in"`
	// FanOut is the most targets per neuron (0: no limit; TrueNorth: 1).
	FanOut int `json:"fan_out"`
	// AxonTypes is the number of axon types, i.e. distinct weights a neuron
	// can see (0: weights are free; TrueNorth: 4).
	AxonTypes int `json:"axon_types"`
}

// ChipLimits describe one chip and how chips combine.
type ChipLimits struct {
	Cores      int `json:"cores"`
	MeshWidth  int `json:"mesh_width"`
	MeshHeight int `json:"mesh_height"`
	// TileWidth×TileHeight cores form a tile; hops are counted between tiles.
	TileWidth  int `json:"tile_width"`
	TileHeight int `json:"tile_height"`
	// MaxChips is the largest system (board or rack) of this family.
	MaxChips int `json:"max_chips"`
	// ChipHops is the hop cost of crossing from one chip to the next.
	ChipHops int `json:"chip_hops"`
	// Systems lists the published multi-chip systems of the family.
	Systems []System `json:"systems,omitempty"`
}

// System is a published board or rack of chips.
type System struct {
	Name  string `json:"name"`
	Chips int    `json:"chips"`
	// Source is the key of the source that gives the figure.
	Source string `json:"source"`
}

// GradedSpikes describes spikes that carry an integer payload (Loihi 2).
// The zero value means spikes are binary.
type GradedSpikes struct {
	// PayloadBits is the signed payload width snnc uses.
	PayloadBits int `json:"payload_bits"`
	// MaxPayloadBits is the widest payload the chip carries.
	MaxPayloadBits int `json:"max_payload_bits"`
	// Accumulation says how a payload p enters the synaptic sum:
	// "weight-times-payload" is Σ w·p, then the weight exponent, as a
	// binary spike's Σ w (Lava's Dense with num_message_bits > 0).
	Accumulation string `json:"accumulation"`
}

// SynapticDelays describes per-synapse delays. The zero value means the
// family has none (or snnc does not use them).
type SynapticDelays struct {
	// MaxSteps is the longest delay in steps; a delay d ∈ [0, MaxSteps]
	// is stored in Bits.Delay bits per synapse.
	MaxSteps int `json:"max_steps"`
}

// BitWidths are the integer formats of the neuron and synapse state.
type BitWidths struct {
	Weight          int   `json:"weight"`
	WeightChoices   []int `json:"weight_choices"`
	WeightExpMin    int   `json:"weight_exp_min"`
	WeightExpMax    int   `json:"weight_exp_max"`
	Threshold       int   `json:"threshold"`
	Decay           int   `json:"decay"`
	Bias            int   `json:"bias"`
	BiasExponentMax int   `json:"bias_exponent_max"`
	Potential       int   `json:"potential"`
	Current         int   `json:"current"`
	Accumulator     int   `json:"accumulator"`
	Delay           int   `json:"delay"`
}

// OpTable gives one number per operation kind: joules for an energy table,
// seconds for a latency table. Hops are per tile-to-tile hop.
type OpTable struct {
	SynapticOp    float64 `json:"synaptic_op"`
	NeuronActive  float64 `json:"neuron_active"`
	NeuronIdle    float64 `json:"neuron_idle"`
	Spike         float64 `json:"spike"`
	HopEW         float64 `json:"hop_ew"`
	HopNS         float64 `json:"hop_ns"`
	ChipHop       float64 `json:"chip_hop"`
	BarrierMin    float64 `json:"barrier_min"`
	BarrierMax    float64 `json:"barrier_max"`
	StaticPerStep float64 `json:"static_per_step"`
	HostMAC       float64 `json:"host_mac"`

	// GradedSynapticOp is a synaptic op on a graded spike (a multiply by
	// the payload); 0 for a family without graded spikes.
	GradedSynapticOp float64 `json:"graded_synaptic_op,omitempty"`
}

// EnergyModel is a named per-operation energy table with its sources.
type EnergyModel struct {
	Name    string   `json:"name"`
	Joules  OpTable  `json:"joules"`
	Sources []string `json:"sources"`
	Note    string   `json:"note"`
	// Estimate, when set, says the table is derived, not measured, and
	// how: the formula with its inputs. Reports that use the model print
	// it (the Note starts with "ESTIMATE" and repeats the short form).
	Estimate string `json:"estimate,omitempty"`
	// ScaledFrom ("target/model") and Scale: each per-operation energy is
	// the named model's times Scale (host MACs and graded ops excepted,
	// see Estimate).
	ScaledFrom string  `json:"scaled_from,omitempty"`
	Scale      float64 `json:"scale,omitempty"`
	// MessageOut is the energy of one axon-out message (J): one per
	// destination core a spike goes to (0 where the sources give none).
	MessageOut float64 `json:"message_out,omitempty"`
}

// Target is one chip family.
type Target struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Experimental targets are described, backed and conformance-tested in
	// this package but not yet compiled or simulated by the pipeline:
	// Names (the --target lists and --target all) leaves them out, Lookup
	// still finds them.
	Experimental bool `json:"experimental,omitempty"`
	// Family selects the backend, the code of the chip family (see
	// Backend and Families): "loihi", "loihi2" or "truenorth". A new chip
	// of a known family is only a data file.
	Family string `json:"family"`
	// Leak is the kind of leak the neuron update has: "multiplicative"
	// (v·(1−d), Loihi) or "linear" (v − λ, TrueNorth).
	Leak string `json:"leak"`
	// HostBias reports whether the host can program a per-neuron bias per
	// sample, which lowers a direct-current input exactly (Loihi: yes).
	HostBias bool `json:"host_bias"`
	// SynapseMemory is the synaptic-memory cost model of one core.
	SynapseMemory SynapseMemory `json:"synapse_memory"`
	Core          CoreLimits    `json:"core"`
	Chip          ChipLimits    `json:"chip"`
	Bits          BitWidths     `json:"bits"`
	// Energy lists energy models; the first is the default.
	Energy []EnergyModel `json:"energy"`
	// Latency is seconds per operation (BarrierMin/Max for 1 tile and the
	// whole chip).
	Latency        OpTable  `json:"latency"`
	LatencySources []string `json:"latency_sources"`
	// LatencyEstimate, when set, says how the latency table was derived
	// (formula and inputs) where it is not measured.
	LatencyEstimate string `json:"latency_estimate,omitempty"`
	// GradedSpikes and SynapticDelays are zero for families without them.
	GradedSpikes   GradedSpikes   `json:"graded_spikes,omitzero"`
	SynapticDelays SynapticDelays `json:"synaptic_delays,omitzero"`
	// Timing is the calibrated per-step timing model (messages, somas,
	// sync by tiles, links); zero where the target has no such data.
	// nil (null in the file) where the target has no such data.
	Timing *Timing `json:"timing,omitzero"`
	// TickSeconds is the wall time of one step when the chip runs in real
	// time (TrueNorth: 1 ms); 0 when steps run as fast as they complete.
	TickSeconds float64  `json:"tick_seconds"`
	Sources     []Source `json:"sources"`
	// RecurrentCore holds the figures of a chip that is one recurrent
	// population (family "xylo"); nil for the others.
	RecurrentCore *RecurrentCoreLimits `json:"recurrent_core,omitempty"`
	// Training, if set, is how the chip's limits shape training (see
	// Training); nil for a target that trains as the float default.
	Training *Training `json:"training,omitempty"`
	// Notes records assumptions (facts marked unconfirmed).
	Notes []string `json:"notes"`
	// Provenance maps a figure's JSON path ("core.neurons",
	// "energy[0].joules.synaptic_op") to where it comes from: source keys,
	// or "assumed:" with the formula. Targets written since Loihi 2 give
	// one for every figure.
	Provenance map[string]string `json:"provenance,omitempty"`
}

// Lookup returns the target with the given name, checked by Parse. An
// unknown name's error lists the known ones.
func Lookup(name string) (*Target, error) {
	if t, ok, err := lookupLoaded(name); ok {
		return t, err
	}
	file := "data/" + name + ".json"
	b, err := dataFS.ReadFile(file)
	if err != nil || strings.ContainsAny(name, "/\\") {
		return nil, fmt.Errorf("targets: unknown target %q (valid: %s; a chip of your own: load its data file with snnc --chip FILE.json)", name, strings.Join(Names(), ", "))
	}
	t, err := Parse("targets/"+file, b)
	if err != nil {
		return nil, err
	}
	if t.Name != name {
		return nil, &DataError{File: "targets/" + file, Field: "name", Problem: fmt.Sprintf("%q, want the file's name %q", t.Name, name)}
	}
	return t, nil
}

// Names lists the targets the pipeline compiles for: every embedded data
// file but the experimental ones (see Target.Experimental), sorted, then
// the chips loaded with UseDataFiles.
func Names() []string {
	var names []string
	for _, n := range AllNames() {
		var head struct {
			Experimental bool `json:"experimental"`
		}
		b, err := dataFS.ReadFile("data/" + n + ".json")
		if err == nil && json.Unmarshal(b, &head) == nil && head.Experimental {
			continue
		}
		names = append(names, n)
	}
	return append(names, loadedNames()...)
}

// AllNames lists every target data file, experimental ones included,
// sorted. The conformance suite runs over all of them.
func AllNames() []string {
	ents, _ := dataFS.ReadDir("data")
	var names []string
	for _, e := range ents {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(names)
	return names
}

// EnergyModelNamed returns the target's energy model with that name, or the
// default when name is "".
func (t *Target) EnergyModelNamed(name string) (*EnergyModel, error) {
	if name == "" && len(t.Energy) > 0 {
		return &t.Energy[0], nil
	}
	var names []string
	for i := range t.Energy {
		if t.Energy[i].Name == name {
			return &t.Energy[i], nil
		}
		names = append(names, t.Energy[i].Name)
	}
	return nil, fmt.Errorf("targets: %s has no energy model %q (valid: %s)", t.Name, name, strings.Join(names, ", "))
}

// CoreHops returns the tile hops between two cores given by their chip
// index and core-grid coordinates, with dimension-order routing: ew and ns
// are the east-west and north-south tile hops, chips the chip boundaries
// crossed (chips are in a row; a crossing costs Chip.ChipHops hops).
func (t *Target) CoreHops(chipA, xa, ya, chipB, xb, yb int) (ew, ns, chips int) {
	tw, th := max(1, t.Chip.TileWidth), max(1, t.Chip.TileHeight)
	ew = abs(xa/tw - xb/tw)
	ns = abs(ya/th - yb/th)
	chips = abs(chipA - chipB)
	return
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
