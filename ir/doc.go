// Package ir is snnc's intermediate representation: the plain Go types of a
// spiking network (float, quantized for a target, and mapped onto cores),
// their FlatBuffers encoding (schemas/snn.fbs), and Verify, which checks
// every invariant a stage relies on.
//
// Every snnc stage reads and writes this one format. Decoding bytes from
// outside never panics: Decode checks every offset and length before the
// generated accessors touch them, and returns an error instead.
package ir
