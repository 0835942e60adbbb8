package ir

import "fmt"

// String returns the encoding's name: "direct", "rate" or "events".
func (e Encoding) String() string {
	switch e {
	case EncodingDirect:
		return "direct"
	case EncodingRate:
		return "rate"
	case EncodingEvents:
		return "events"
	}
	return fmt.Sprintf("encoding(%d)", uint8(e))
}

// String returns the kind's name: "dense", "conv2d", "avgpool", "flatten"
// or "recurrent".
func (k LayerKind) String() string {
	switch k {
	case KindDense:
		return "dense"
	case KindConv2D:
		return "conv2d"
	case KindAvgPool:
		return "avgpool"
	case KindFlatten:
		return "flatten"
	case KindRecurrentDense:
		return "recurrent"
	case KindSparse:
		return "sparse"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// String returns the reset mode's name: "zero", "subtract", "none" or
// "subtract-multi".
func (r ResetMode) String() string {
	switch r {
	case ResetZero:
		return "zero"
	case ResetSubtract:
		return "subtract"
	case ResetNone:
		return "none"
	case ResetSubtractMulti:
		return "subtract-multi"
	}
	return fmt.Sprintf("reset(%d)", uint8(r))
}

// String returns the method's name: "asgl", "sg" or "none".
func (m Method) String() string {
	switch m {
	case MethodASGL:
		return "asgl"
	case MethodSG:
		return "sg"
	case MethodNone:
		return "none"
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// String returns the readout's name: "mean-current", "spike-count" or "max-potential".
func (k ReadoutKind) String() string {
	switch k {
	case ReadoutMeanCurrent:
		return "mean-current"
	case ReadoutSpikeCount:
		return "spike-count"
	case ReadoutMaxPotential:
		return "max-potential"
	}
	return fmt.Sprintf("readout(%d)", uint8(k))
}
