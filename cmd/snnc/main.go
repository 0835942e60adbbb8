// Command snnc is a train-to-chip compiler for spiking neural networks:
// ASGL training, FlatBuffers IR, quantization and mapping onto Loihi- and
// TrueNorth-style chips, a bit-exact event-driven simulator and energy reports.
package main

import "os"

func main() { os.Exit(run(os.Args[1:])) }
