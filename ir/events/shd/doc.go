// Package shd reads and writes spike sets in the layout of the Spiking
// Heidelberg Digits and Spiking Speech Commands (Cramer et al. 2020), HDF5
// files as h5py writes them:
//
//	spikes/times    N variable-length sequences of spike times in seconds
//	                (float16 in the published files; any float or integer
//	                type is read; written as float32)
//	spikes/units    N variable-length sequences of units (unsigned, ≤ 16 bits)
//	labels          N integer labels
//	extra/keys      optional: the class names, label → name (strings)
//	extra/speaker   optional: N integer speaker ids
//
// Sample i is spikes/times[i], spikes/units[i] (the same length) and
// labels[i]. Other members (SHD's extra/meta_info) are ignored on reading.
//
// The HDF5 bytes are read and written by ir/hdf5. A file of another layout
// — a member missing, of the wrong type or of mismatched lengths — is one
// *events.FormatError naming the file and the member, matching
// events.ErrLayout; errors of the HDF5 container itself are ir/hdf5's
// *FormatError, wrapped.
package shd
