// Package events holds event streams — the input of event cameras and
// cochleas — and the file formats they travel in.
//
// An Event is one address-event: a pixel (x, y) or a channel (x, with y = 0),
// a polarity (0 = OFF, 1 = ON; always 0 for a channel) and a timestamp in
// microseconds. A Sample is a stream of events with its label and the Sensor
// it came from; a Set holds a train and a test split of samples.
//
// # N-MNIST binary format
//
// Orchard et al. 2015 (N-MNIST, N-Caltech101) store one sample per file as a
// sequence of 5-byte events, no header:
//
//	byte 0      x address (8 bits)
//	byte 1      y address (8 bits)
//	byte 2      bit 7: polarity (1 = ON, 0 = OFF); bits 6–0: timestamp bits 22–16
//	bytes 3, 4  timestamp bits 15–0 (big-endian)
//
// The timestamp is a 23-bit microsecond counter. An event whose y address is
// 240 is not an event but a timestamp-overflow marker: every later timestamp
// is increased by OverflowIncrement. The published readers (Orchard's
// eventvision.py and Read_Ndataset.m, tonic's read_mnist_file) all add 2^13
// µs per marker, so this package does the same, and its writer emits markers
// that those readers decode to the same times. (A 23-bit counter would wrap at
// 2^23 µs ≈ 8.4 s; N-MNIST's ~300 ms recordings never reach it, so the
// distributed files contain no markers and the two readings never differ on
// them.) Because y = 240 is reserved, a sensor may be at most 240 pixels
// high; x may use all 256 values.
//
// A dataset is a folder tree as N-MNIST is distributed:
//
//	DIR/Train/<label>/<id>.bin
//	DIR/Test/<label>/<id>.bin
//
// with decimal label folder names.
//
// # Binning
//
// Networks take spikes per time step. Bin turns a stream into T steps of dt
// microseconds: the input at step t is 1 at (polarity, y, x) if the stream has
// at least one event there with t·dt ≤ timestamp < (t+1)·dt, else 0, laid
// out [C,H,W] = polarity × y × x (a channel stream is [channels]). Events at
// or after T·dt are dropped. Timestamps count from the recording's start
// (0 µs), not from the first event. BinSpikes does the same for a spike set
// on C channels, with dt in seconds, laid out [C].
//
// # Spike sets
//
// A SpikeSet is the per-sample layout of the Spiking Heidelberg Digits (SHD):
// spike times in seconds and the unit (channel) of each spike, and a label.
// It converts to and from a channel event stream.
//
// Decoding never panics and never reads outside its input: every error about
// a file is a *FormatError naming the file, the field and what is wrong.
package events
