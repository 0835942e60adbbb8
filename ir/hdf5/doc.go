// Package hdf5 reads and writes HDF5 files in pure Go (no cgo, no libhdf5):
// enough of the format for NIR graphs (neuromorphs/NIR) and the SHD/SSC
// spoken-digit datasets, as h5py writes them.
//
// # Reading
//
//	f, err := hdf5.Open("model.nir")          // or hdf5.Decode(name, bytes)
//	g, err := f.Root.Group("node/nodes/lif")
//	tau, err := g.Dataset("tau")              // Shape, Datatype, Layout, Attrs
//	v, err := tau.Float64s()                  // any integer or float type
//	edges, _ := f.Root.Dataset("node/edges")  // N×2 variable-length strings
//	s, err := edges.Strings()                 // row-major: s[2i], s[2i+1]
//	t, err := f.Root.Dataset("spikes/times")  // SHD: one spike train per sample
//	times, err := t.VarLenFloat64s()          // [][]float64, seconds
//	u, err := f.Root.Dataset("spikes/units")
//	units, err := u.VarLenUint16s()           // [][]uint16
//
// Decode reads the superblock and every object header reachable from the
// root, so a File that decodes is a complete tree: Group.Names, Groups,
// Datasets, Member("a/b"), Attrs. Values are decoded when a typed reader
// asks: Float64s, Float32s, Int64s, Uint64s, Strings; Float64, Int64 and
// String for scalars; VarLenFloat64s, VarLenFloat32s, VarLenUint16s and
// VarLenInt64s for variable-length sequences — on datasets and attributes
// alike. A File's readers may be called from several goroutines.
//
// # What is read (the supported subset)
//
//	superblock      versions 0 and 1 (libver earliest), 2 (v108) and 3 (latest);
//	                found at 0, 512, 1024, …; 2-, 4- or 8-byte offsets and lengths
//	object headers  version 1 (8-byte aligned messages) and version 2 ("OHDR",
//	                checksummed), with continuation blocks (v1 plain, v2 "OCHK")
//	groups          symbol table (v1 B-tree type 0 + "SNOD" nodes + local heap);
//	                compact link messages; dense links (link info → fractal heap
//	                "FRHP"/"FHDB"/"FHIB" + v2 B-tree type 5 name index); hard links
//	                only (soft and external links are skipped)
//	datasets        compact, contiguous and chunked (layout messages 1–4); data
//	                never written (undefined address, missing chunks) reads as
//	                the fill value (fill value messages, old and versions 1–3)
//	chunk indexes   v1 B-tree type 1 (layouts 1–3); layout 4: single chunk,
//	                implicit, fixed array ("FAHD"/"FADB", paged), extensible
//	                array ("EAHD"/"EAIB"/"EASB"/"EADB"), v2 B-tree types 10/11
//	filters         deflate (1), shuffle (2), fletcher32 (3, verified); any
//	                other filter is ErrUnsupported
//	datatypes       integers of 1, 2, 4, 8 bytes, signed or unsigned, either byte
//	                order; IEEE binary16/32/64, either byte order; fixed-length
//	                strings (null-terminated, null- or space-padded); variable-
//	                length strings and sequences (global heap "GCOL"); enums over
//	                integers (h5py's bool) read as integers; other classes decode
//	                as ClassOther and their values cannot be read
//	dataspaces      scalar, simple N-d (rank ≤ 32) with maximum dimensions, null
//	attributes      messages versions 1–3 (compact) and dense (attribute info →
//	                fractal heap + v2 B-tree type 8)
//	checksums       Jenkins lookup3 of every v2 structure, verified (ErrChecksum)
//
// Not read: shared object header messages and committed datatypes used by
// datasets, virtual datasets, external storage, filtered fractal heaps,
// huge heap objects held in a B-tree, compound, array, reference, bitfield
// and opaque values.
//
// # Robustness
//
// Decoding is from one []byte (Open reads the file whole, at most
// MaxFileSize bytes) and never panics: every address and length is checked
// against the buffer before use (the cursor type returns zeros and records
// the failure instead of reading past the end). Structures that refer back to
// themselves — continuation blocks, B-tree and heap nodes, a group that
// contains itself — are ErrCycle; the number of metadata nodes one decode or
// read may visit is bounded by the file size. Allocation is bounded by the
// file size, with b the file's length:
//
//	contiguous and compact data     ≤ b bytes
//	chunked data                    ≤ 1032·b + 1 MiB (deflate's largest ratio),
//	                                and the chunks decoded ≤ the chunk grid
//	a reader's result               ≤ 8 × the bytes above
//	variable-length data read       ≤ b bytes in total
//
// so a dataset claiming 2^40 elements in a 1 KB file is ErrTooLarge, not an
// allocation. The public entry points also recover from panics (counted, and
// FuzzDecode fails on one), as a last line of defence.
//
// Every decoding error is a *FormatError{File, Path, Field, Err}: one line
// naming the file, the object's path and the field, wrapping one of
// ErrTruncated, ErrCorrupt, ErrUnsupported, ErrChecksum, ErrCycle,
// ErrTooLarge, ErrType (test with errors.Is and errors.As):
//
//	hdf5: model.nir: /node/nodes/0/weight: layout message: truncated or out of bounds: …
//
// # Writing
//
//	w := hdf5.NewWriter()
//	node, _ := w.Root().CreateGroup("node")
//	node.CreateStrings("type", nil, []string{"NIRGraph"})           // scalar string
//	node.CreateStrings("edges", []int{2, 2}, []string{"input", "lif", "lif", "output"})
//	ds, _ := lif.CreateDataset("tau", []int{4}, []float32{…})      // numbers, N-d or scalar
//	s.CreateVarLen("times", [][]float32{…})                          // vlen float32/float64/uint16/int32/int64
//	ds.SetAttr("unit", nil, "s")                                     // numbers, strings
//	err := w.WriteFile("model.nir")                                  // temp file + rename
//
// The writer produces the simplest layout libhdf5 (h5py) reads, the one of
// HDF5 1.8 (libver v108):
//
//	superblock 2 at 0: 8-byte offsets and lengths, base 0, no extension,
//	    root group object header address, end-of-file address, lookup3 checksum
//	objects, children before parents, each at a multiple of 8:
//	    object header version 2, one chunk (4-byte size), attribute phase
//	    change values max(8, attributes)/6 so that every attribute stays
//	    compact, lookup3 checksum
//	group:   link info (no dense storage), group info, one link message per
//	         member (hard link, UTF-8 name), attribute info + attribute
//	         messages (version 3) when it has attributes
//	dataset: dataspace (version 2; scalar or simple), datatype, fill value
//	         (version 3, none set), layout version 3 contiguous (undefined
//	         address when empty), then its attributes as for groups
//	numbers: little-endian integers and IEEE floats as given
//	strings: variable-length UTF-8 over uint8 (h5py's str dtype)
//	vlen:    each dataset's or attribute's elements in global heap
//	         collections of ≥ 4 KiB (≤ 65535 objects, ≈ 1 MiB each), elements
//	         {length, collection address, object index}
//
// Attributes are held in object header messages, so one attribute's value
// is limited to 64 KiB (as in libhdf5 without dense attribute storage).
// Writing is to bytes (Bytes); WriteFile writes them to a temporary file in
// the target's directory, syncs it and renames it over the target.
package hdf5
