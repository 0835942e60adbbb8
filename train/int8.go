package train

import (
	"errors"
	"fmt"
	"math"

	"github.com/snnc/snnc/compile"
	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/ir/dataset"
	"github.com/snnc/snnc/targets"
)

// Training for a recurrent-population chip (snnc train --target
// xylo-audio2; a target's training section with int8 weights, see
// targets.Training.TrainsInt8). The chip's constraints are options of the
// one float Network, not a second network:
//
//	decays   γ and β_c snapped to bit shifts, 1 − 2^−dash (β_c: dash ≥ 1)
//	weights  quantization-aware: every forward pass (training, evaluation,
//	         freeze) uses w_q = round(w/Δ)·Δ, Δ = max|w|/MaxWeight per
//	         layer (a recurrent layer's W and V share Δ); the gradient at
//	         w_q updates the float w (straight-through)
//	bias     none: biases are held at 0
//	spikes   several per step (ir.ResetSubtractMulti, as the chip's hidden
//	         neurons), the recurrent weights starting at zero
//	shape    the chip's population: one recurrent hidden layer and the
//	         readout neurons, checked against the target's design rules
//	         (targets.RecurrentCoreBackend.DesignRules) before training
//
// The frozen model's weights lie on the grid, so snnc compile maps them
// exactly (compile's quantizeRecurrentCore).

// snapDecays snaps c's leak and current decay to the chip's bit shifts.
func snapDecays(c *Config, maxDash int) {
	d, _ := targets.ShiftDecay(float32(c.Decay), maxDash)
	c.Decay = targets.ShiftGamma(d)
	d, _ = targets.ShiftDecay(float32(c.CurrentDecay), maxDash)
	c.CurrentDecay = targets.ShiftGamma(max(1, d))
}

// gridQuant holds a float network's quantization-aware weights.
type gridQuant struct {
	net    *Network
	groups [][]*Param // parameters that share one grid
	biases []*Param
	saved  [][]float32 // the float weights while quantized ones are in place
	levels float64
	on     bool
}

func newGridQuant(n *Network, levels int) *gridQuant {
	q := &gridQuant{net: n, levels: float64(levels)}
	for _, ly := range n.Layers {
		switch l := ly.(type) {
		case *RecurrentDense:
			q.groups = append(q.groups, []*Param{l.w, l.v})
			q.biases = append(q.biases, l.b)
		case *Dense:
			q.groups = append(q.groups, []*Param{l.w})
			q.biases = append(q.biases, l.b)
		}
	}
	for _, g := range q.groups {
		for _, p := range g {
			q.saved = append(q.saved, make([]float32, len(p.W)))
		}
	}
	q.zeroBiases()
	return q
}

func (q *gridQuant) zeroBiases() {
	for _, b := range q.biases {
		clear(b.W)
	}
}

// apply puts the quantized weights in place (saving the float ones) and
// refreshes the layers' derived copies.
func (q *gridQuant) apply() {
	if q.on {
		return
	}
	q.zeroBiases()
	k := 0
	for _, g := range q.groups {
		var mx float64
		for _, p := range g {
			for _, w := range p.W {
				mx = math.Max(mx, math.Abs(float64(w)))
			}
		}
		delta := mx / q.levels
		for _, p := range g {
			copy(q.saved[k], p.W)
			k++
			if delta == 0 {
				continue
			}
			for i, w := range p.W {
				p.W[i] = float32(math.Round(float64(w)/delta) * delta)
			}
		}
	}
	q.on = true
	q.net.refreshAll()
}

// restore puts the float weights back (biases stay 0).
func (q *gridQuant) restore() {
	if !q.on {
		return
	}
	k := 0
	for _, g := range q.groups {
		for _, p := range g {
			copy(p.W, q.saved[k])
			k++
		}
	}
	q.zeroBiases()
	q.on = false
	q.net.refreshAll()
}

// checkInt8Shape checks the untrained network against the target's design
// rules: the model must map before it is trained.
func checkInt8Shape(cfg *Config, n *Network, t *targets.Target) error {
	rb, ok := t.Backend().(targets.RecurrentCoreBackend)
	if !ok {
		return &ConfigError{"target", fmt.Sprintf("%s has int8 training but no recurrent-core backend", t.Name)}
	}
	m := Freeze(n, nil)
	for i := range m.Layers {
		clear(m.Layers[i].Bias) // held at 0 by the training
	}
	var errs []error
	for _, v := range rb.DesignRules(compile.NetworkOf(m)) {
		errs = append(errs, errors.New(v.Detail))
	}
	if len(errs) > 0 {
		return &ConfigError{"arch", fmt.Sprintf("%s does not map onto %s: %v (the chip's network is INPUTS-Nr-OUTPUTS: one recurrent hidden layer and at most %d readout neurons, --reset subtract, --readout max-potential)",
			cfg.Arch, t.Name, errors.Join(errs...), rb.Limits().OutputNeurons)}
	}
	return nil
}

// int8Trainer is NewTrainer's float network with a target's int8 training
// options.
func int8Trainer(cfg Config, data *dataset.Set) (*Trainer, error) {
	t, err := targets.Lookup(cfg.Target)
	if err != nil {
		return nil, &ConfigError{"target", err.Error()}
	}
	rb, ok := t.Backend().(targets.RecurrentCoreBackend)
	if !ok {
		return nil, &ConfigError{"target", fmt.Sprintf("%s has int8 training but no recurrent-core backend", t.Name)}
	}
	if data.Steps == 0 {
		return nil, &ConfigError{"data", fmt.Sprintf("--target %s trains on event data (spoken, saccade, or a folder of SHD files); %s is images", t.Name, data.Name)}
	}
	snapDecays(&cfg, rb.Limits().MaxDash)
	limits, target := cfg.Limits, cfg.Target
	cfg.Limits, cfg.Target = nil, "" // the float network with the options below
	tr, err := NewTrainer(cfg, data)
	if err != nil {
		return nil, err
	}
	tr.Cfg.Limits, tr.Cfg.Target = limits, target
	// the check sees the random (dense) recurrent weights: training fills
	// the matrix, so its fan-out is the layer's width
	if err := checkInt8Shape(&tr.Cfg, tr.Net, t); err != nil {
		return nil, err
	}
	tr.net.qat = newGridQuant(tr.Net, limits.MaxWeight)
	if tr.Net.Reset == ir.ResetSubtractMulti {
		// a neuron feeds back up to 31 spikes a step: the recurrent
		// weights start at zero (the training grows them), else the
		// random recurrence drives every neuron to its limit
		for _, ly := range tr.Net.Layers {
			if r, ok := ly.(*RecurrentDense); ok {
				clear(r.v.W)
			}
		}
		tr.Net.refreshAll()
	}
	return tr, nil
}
