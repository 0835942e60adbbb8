package targets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
)

// DataError is a problem with a target data file: the file, the field (a
// JSON path such as "core.neurons" or "energy[1].joules.spike"; empty for
// a file that is not JSON) and what is wrong with it.
type DataError struct {
	File    string
	Field   string
	Problem string
}

func (e *DataError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("targets: %s: %s", e.File, e.Problem)
	}
	return fmt.Sprintf("targets: %s: field %s: %s", e.File, e.Field, e.Problem)
}

// Parse decodes and checks one target data file; file names it in errors.
// Every field of Target with a JSON name must be present (fields tagged
// omitempty or omitzero may be left out), no unknown field may appear, the family must
// have a backend, and every figure must be in range. The error is a
// *DataError naming the file and the first bad field. Parse never panics.
func Parse(file string, data []byte) (*Target, error) {
	bad := func(field, format string, a ...any) error {
		return &DataError{File: file, Field: field, Problem: fmt.Sprintf(format, a...)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var t Target
	if err := dec.Decode(&t); err != nil {
		var te *json.UnmarshalTypeError
		var se *json.SyntaxError
		switch {
		case errors.As(err, &te):
			return nil, bad(te.Field, "a JSON %s where %s is expected", te.Value, te.Type)
		case errors.As(err, &se):
			return nil, bad("", "not valid JSON at byte %d: %v", se.Offset, err)
		}
		return nil, bad("", "not valid JSON: %v", err)
	}
	if dec.More() {
		return nil, bad("", "data after the JSON object")
	}
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, bad("", "not valid JSON: %v", err)
	}
	if field, problem := checkFields(reflect.TypeOf(t), raw, ""); field != "" {
		return nil, bad(field, "%s", problem)
	}
	if field, problem := checkFigures(&t); field != "" {
		return nil, bad(field, "%s", problem)
	}
	if t.Timing != nil {
		if field, problem := t.Timing.check(); field != "" {
			return nil, bad("timing."+field, "%s", problem)
		}
	}
	if t.RecurrentCore != nil {
		if field, problem := t.RecurrentCore.check(); field != "" {
			return nil, bad(field, "%s", problem)
		}
	} else if t.Family == "xylo" {
		return nil, bad("recurrent_core", "missing: the xylo family needs the part's figures")
	}
	if t.Training != nil {
		if err := t.Training.Validate(file); err != nil {
			return nil, err
		}
	}
	return &t, nil
}

// checkFields returns the path of the first field of type typ that the
// decoded JSON value v lacks, or of the first field v has that typ does not
// know, and the problem ("missing" or "unknown field"); "" if none.
func checkFields(typ reflect.Type, v any, path string) (field, problem string) {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	switch typ.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return "", ""
		}
		known := map[string]bool{}
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			known[name] = true
			sub, ok := obj[name]
			if !ok {
				if strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,") {
					continue
				}
				return join(name), "missing"
			}
			if f, p := checkFields(f.Type, sub, join(name)); f != "" {
				return f, p
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !known[k] {
				return join(k), "unknown field"
			}
		}
	case reflect.Pointer:
		return checkFields(typ.Elem(), v, path)
	case reflect.Slice:
		arr, _ := v.([]any)
		for i, e := range arr {
			if f, p := checkFields(typ.Elem(), e, fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f, p
			}
		}
	}
	return "", ""
}

// checkFigures returns the first field of t whose figure is out of range
// and what is wrong with it ("" if all are in range).
func checkFigures(t *Target) (field, problem string) {
	type intRange struct {
		field     string
		v, lo, hi int64
	}
	c, ch, b, sm := &t.Core, &t.Chip, &t.Bits, &t.SynapseMemory
	const big = math.MaxInt32
	for _, r := range []intRange{
		{"core.neurons", int64(c.Neurons), 1, big},
		{"core.input_axons", int64(c.InputAxons), 1, big},
		{"core.output_routes", int64(c.OutputRoutes), 1, big},
		{"core.synapse_bits", c.SynapseBits, 1, math.MaxInt64 / 2},
		{"core.synapse_formats", int64(c.SynapseFormats), 0, big},
		{"core.fan_in", int64(c.FanIn), 0, big},
		{"core.fan_out", int64(c.FanOut), 0, big},
		{"core.axon_types", int64(c.AxonTypes), 0, 255},
		{"chip.cores", int64(ch.Cores), 1, big},
		{"chip.mesh_width", int64(ch.MeshWidth), 1, big},
		{"chip.mesh_height", int64(ch.MeshHeight), 1, big},
		{"chip.tile_width", int64(ch.TileWidth), 1, big},
		{"chip.tile_height", int64(ch.TileHeight), 1, big},
		{"chip.max_chips", int64(ch.MaxChips), 1, big},
		{"chip.chip_hops", int64(ch.ChipHops), 0, big},
		// weights are stored as int16
		{"bits.weight", int64(b.Weight), 1, 16},
		{"bits.weight_exp_min", int64(b.WeightExpMin), -31, 31},
		{"bits.weight_exp_max", int64(b.WeightExpMax), int64(b.WeightExpMin), 31},
		{"bits.threshold", int64(b.Threshold), 1, 31},
		{"bits.decay", int64(b.Decay), 0, 31},
		{"bits.bias", int64(b.Bias), 1, 31},
		{"bits.bias_exponent_max", int64(b.BiasExponentMax), 0, 31},
		{"bits.potential", int64(b.Potential), 2, 32},
		{"bits.current", int64(b.Current), 0, 32},
		{"bits.accumulator", int64(b.Accumulator), 0, 63},
		{"bits.delay", int64(b.Delay), 0, 31},
		{"synapse_memory.block_synapses", int64(sm.BlockSynapses), 1, big},
		{"synapse_memory.block_header_bits", int64(sm.BlockHeaderBits), 0, big},
		{"synapse_memory.word_bits", int64(sm.WordBits), 1, big},
		{"synapse_memory.delay_bits", int64(sm.DelayBits), 0, 64},
		{"synapse_memory.tag_bits", int64(sm.TagBits), 0, 64},
		{"synapse_memory.index_bits", int64(sm.IndexBits), 0, 64},
	} {
		if r.v < r.lo || r.v > r.hi {
			return r.field, fmt.Sprintf("%d is outside %d..%d", r.v, r.lo, r.hi)
		}
	}
	if _, ok := families[t.Family]; !ok {
		return "family", fmt.Sprintf("unknown family %q (known: %s)", t.Family, strings.Join(Families(), ", "))
	}
	if t.Name == "" {
		return "name", "empty"
	}
	if t.Leak != "multiplicative" && t.Leak != "linear" {
		return "leak", fmt.Sprintf("%q, want multiplicative or linear", t.Leak)
	}
	if ch.Cores != ch.MeshWidth*ch.MeshHeight {
		return "chip.cores", fmt.Sprintf("%d cores on a %d×%d mesh", ch.Cores, ch.MeshWidth, ch.MeshHeight)
	}
	if ch.MeshWidth%ch.TileWidth != 0 || ch.MeshHeight%ch.TileHeight != 0 {
		return "chip.tile_width", fmt.Sprintf("%d×%d tiles do not divide the %d×%d mesh", ch.TileWidth, ch.TileHeight, ch.MeshWidth, ch.MeshHeight)
	}
	if len(b.WeightChoices) == 0 {
		return "bits.weight_choices", "empty"
	}
	for i, w := range b.WeightChoices {
		if w < 1 || w > b.Weight {
			return fmt.Sprintf("bits.weight_choices[%d]", i), fmt.Sprintf("%d is outside 1..%d (bits.weight)", w, b.Weight)
		}
	}
	keys := map[string]bool{}
	for i, s := range t.Sources {
		switch {
		case s.Key == "":
			return fmt.Sprintf("sources[%d].key", i), "empty"
		case s.Citation == "":
			return fmt.Sprintf("sources[%d].citation", i), "empty"
		case keys[s.Key]:
			return fmt.Sprintf("sources[%d].key", i), fmt.Sprintf("%q appears twice", s.Key)
		}
		keys[s.Key] = true
	}
	cites := func(field string, refs []string) (string, string) {
		if len(refs) == 0 {
			return field, "no source"
		}
		for i, k := range refs {
			if !keys[k] {
				return fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("unknown source %q", k)
			}
		}
		return "", ""
	}
	if len(t.Energy) == 0 {
		return "energy", "no energy model"
	}
	for i := range t.Energy {
		e := &t.Energy[i]
		p := fmt.Sprintf("energy[%d]", i)
		if e.Name == "" {
			return p + ".name", "empty"
		}
		if f, pr := checkOpTable(p+".joules", &e.Joules); f != "" {
			return f, pr
		}
		if !(e.Joules.SynapticOp > 0) && !(e.Joules.StaticPerStep > 0) {
			return p + ".joules.synaptic_op", "must be positive (or static_per_step, for a model priced by measured power)"
		}
		if f, pr := cites(p+".sources", e.Sources); f != "" {
			return f, pr
		}
	}
	if f, pr := checkOpTable("latency", &t.Latency); f != "" {
		return f, pr
	}
	if f, pr := cites("latency_sources", t.LatencySources); f != "" {
		return f, pr
	}
	if !(t.TickSeconds >= 0) || math.IsInf(t.TickSeconds, 0) {
		return "tick_seconds", fmt.Sprintf("%v, want a finite figure ≥ 0", t.TickSeconds)
	}
	return "", ""
}

// checkOpTable checks that every figure of an energy or latency table is
// finite and not negative.
func checkOpTable(path string, o *OpTable) (field, problem string) {
	v := reflect.ValueOf(o).Elem()
	for i := range v.NumField() {
		x := v.Field(i).Float()
		if !(x >= 0) || math.IsInf(x, 0) {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			return path + "." + name, fmt.Sprintf("%v, want a finite figure ≥ 0", x)
		}
	}
	return "", ""
}
