// Package dataset reads labelled image datasets in the IDX format (MNIST,
// Fashion-MNIST and their kin), plain or gzip-compressed, and ships a small
// MNIST subset embedded in the binary as the default dataset.
//
// Decoding never panics and never allocates more than the file can justify:
// every header is checked against the bytes that follow it.
package dataset
