package events_test

import (
	"fmt"

	"github.com/snnc/snnc/ir/events"
)

// Two events of an N-MNIST file, read and binned into 3 steps of 1 ms.
func ExampleBin() {
	file := []byte{
		3, 4, 0x80, 0x01, 0xf4, // x 3, y 4, ON, t = 500 µs
		3, 4, 0x00, 0x09, 0xc4, // x 3, y 4, OFF, t = 2500 µs
	}
	evs, err := events.DecodeNMNIST(file, events.NMNISTSensor)
	if err != nil {
		fmt.Println(err)
		return
	}
	s := events.NMNISTSensor
	input := make([]float32, 3*s.Size())
	events.Bin(input, evs, s, 3, 1000)
	for k := 0; k < 3; k++ {
		step := input[k*s.Size() : (k+1)*s.Size()]
		on := step[(1*34+4)*34+3]
		off := step[(0*34+4)*34+3]
		fmt.Printf("step %d: ON %v, OFF %v\n", k, on, off)
	}
	// Output:
	// step 0: ON 1, OFF 0
	// step 1: ON 0, OFF 0
	// step 2: ON 0, OFF 1
}
