package compile

import (
	"fmt"
	"math"

	"github.com/snnc/snnc/ir"
	"github.com/snnc/snnc/targets"
)

// Graded input (Options.GradedInput).
//
// A direct-current input x (ir.EncodingDirect) reaches the first layer as
// the float current c = W·(x·Input.Scale) + b. Without graded spikes the
// host computes c and programs it as a per-neuron bias every sample
// (DirectBias). With graded input the chip does the work: every step, each
// input i with a non-zero payload sends one graded spike
//
//	p_i = round(x_i·Input.Scale·P)   clamped to the signed payload range (targets.GradedPayload)
//
// to the first layer's input axon i, whose synapses add q_ji·p_i to the
// neuron's sum; the weight exponent then applies as for binary spikes
// (Lava's Dense with num_message_bits > 0), and b is the neuron's on-chip
// bias. P, the payload units per unit of scaled input, is 1/Input.Scale
// when that is a whole number of at least gradedMinPayloadScale that the
// payload holds (raw integer inputs such as 8-bit pixels with Scale 1/255
// go exactly: p_i = x_i), else gradedMinPayloadScale (8 bits of magnitude:
// inputs are taken to lie in [−1, 1] after Input.Scale, as the direct
// encodings here do). The quantizer scales the first layer's weights by 1/P and bounds
// the sum with the largest payload (the backend's QuantizeLayer, targets.QuantizeRequest). The quantized layer
// records the payload width and P (ir.QuantLayer.InputPayloadBits,
// InputPayloadScale); compile's Integer and the simulator read them.

// checkGradedInput refuses Options.GradedInput where it cannot apply: a
// target whose backend has no graded spikes, or an input that is not a
// direct current.
func checkGradedInput(m *ir.Model, t *targets.Target, opts Options) error {
	if !opts.GradedInput {
		return nil
	}
	if !t.Backend().Capabilities().GradedSpikes {
		return &LimitError{Layer: -1, Limit: "graded spikes", Need: 1, Have: 0, Target: t.Name,
			Detail: fmt.Sprintf("graded input: %s has binary spikes only (graded spikes: %s)", t.Name,
				targetsWith(func(c targets.Capabilities) bool { return c.GradedSpikes })),
			Hint: "compile without --graded-input"}
	}
	if m.Input.Encoding != ir.EncodingDirect {
		return fmt.Errorf("compile: graded input sends a direct-current input as graded spikes; this model's input is %s-encoded (compile without --graded-input)", m.Input.Encoding)
	}
	return nil
}

// gradedMinPayloadScale is P for inputs that are not raw integers: 8 bits
// of magnitude. A wider payload would only shrink the weights' share of
// the 32-bit synaptic sum (targets.GradedSpikes.SumBits).
const gradedMinPayloadScale = 255

// gradedPayloadScale returns P (see above) for input scale inScale and
// payloads of the given width.
func gradedPayloadScale(inScale float32, payloadBits int) float32 {
	pmax := float64(int64(1)<<(payloadBits-1) - 1)
	if inScale > 0 {
		inv := 1 / float64(inScale)
		if r := math.Round(inv); r >= gradedMinPayloadScale && r <= pmax && math.Abs(inv-r) <= 1e-4*r {
			return float32(r)
		}
	}
	return float32(min(gradedMinPayloadScale, pmax))
}

// gradedLayer reports whether chain layer k receives graded spikes, with
// their payload width, the payload units per float input unit P and the
// largest payload magnitude (1, 1, 1 for binary spikes): graded input
// (above), or the spike counts of a several-spike layer before it
// (graded_hidden.go: P = 1, payloads up to ir.MaxSpikesPerStep).
func (s *state) gradedLayer(k int) (bits int, perUnit, pmax float64) {
	if s.gradedHiddenInto(k) {
		return s.t.GradedSpikes.PayloadBits, 1, ir.MaxSpikesPerStep
	}
	if !(k == 0 && s.gradedInput) {
		return 0, 1, 1
	}
	bits = s.t.GradedSpikes.PayloadBits
	P := gradedPayloadScale(s.m.Input.Scale, bits)
	// |x·Input.Scale| ≤ 1 is assumed: the payload is at most P
	return bits, float64(P), float64(P)
}
