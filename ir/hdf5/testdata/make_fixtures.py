#!/usr/bin/python3
"""Writes the HDF5 conformance corpus of ir/hdf5 with h5py, and expected.json.

Run from ir/hdf5/testdata with Debian's h5py: /usr/bin/python3 make_fixtures.py
Every file is written with libver='earliest' (h5py's default: superblock 0,
symbol-table groups, version 1 object headers and B-trees) and
libver='latest' (superblock 3, version 2 object headers, compact/dense link
storage, layout-4 chunk indexes); all but the largest also with
libver='v108' (superblock 2, version 2 object headers, layout 3). expected.json records, per file, every
group's member names and every dataset's and attribute's shape, dtype,
storage and values (row-major, flattened), so the Go tests compare value for
value without Python.
"""
import json
import os

import h5py
import numpy as np

from h5json import describe

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "conformance")
rng = np.random.default_rng(1)


def vlen_str():
    return h5py.string_dtype("utf-8")


def content_basic(f):
    """Numeric types, byte orders, scalars, N-d arrays, strings, attributes."""
    g = f.create_group("numbers")
    for t in ["i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8"]:
        info = np.iinfo(t)
        vals = np.array([info.min, -1 if info.min < 0 else 0, 0, 1, 7, info.max], dtype=t)
        g.create_dataset(t, data=vals)
        g.create_dataset(">" + t, data=vals.astype(">" + t))
    g.create_dataset("f4", data=np.array([0.0, -1.5, 3.25, 1e-30, np.float32(np.pi)], dtype="f4"))
    g.create_dataset("f8", data=np.array([0.0, -1.5, np.pi, 1e300, -2.5e-300], dtype="f8"))
    g.create_dataset(">f4", data=np.array([1.5, -2.0], dtype=">f4"))
    g.create_dataset(">f8", data=np.array([np.e, -0.0], dtype=">f8"))
    g.create_dataset("bool", data=np.array([True, False, True]))
    s = f.create_group("shapes")
    s.create_dataset("scalar_f8", data=np.float64(2.5))
    s.create_dataset("scalar_i8", data=np.int64(-7))
    s.create_dataset("empty", data=np.zeros((0,), dtype="f4"))
    s.create_dataset("matrix", data=rng.standard_normal((3, 4)))
    s.create_dataset("cube", data=np.arange(24, dtype="i4").reshape(2, 3, 4))
    s.create_dataset("w4d", data=rng.standard_normal((2, 2, 3, 3)).astype("f4"))
    t = f.create_group("strings")
    t.create_dataset("fixed", data=np.array([b"ab", b"hello", b""], dtype="S5"))
    t.create_dataset("vlen", data=np.array(["Input", "LIF", "ünïcode", ""], dtype=object), dtype=vlen_str())
    t.create_dataset("scalar", data="NIRGraph", dtype=vlen_str())
    t.create_dataset("edges", data=np.array([["input", "0"], ["0", "1"], ["1", "output"]], dtype=object), dtype=vlen_str())
    # Compact layout (h5py's low-level API: the high-level one has no switch).
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    data = np.arange(6, dtype="<f8").reshape(2, 3) / 4
    space = h5py.h5s.create_simple(data.shape)
    dsid = h5py.h5d.create(f.id, b"compact", h5py.h5t.IEEE_F64LE, space, dcpl=dcpl)
    dsid.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
    # Attributes on the root, a group and a dataset.
    f.attrs["title"] = "conformance"
    f.attrs["version"] = np.int32(3)
    g.attrs["scale"] = np.float64(0.5)
    g.attrs["dims"] = np.array([1, 2, 3], dtype="i2")
    g["f8"].attrs["unit"] = np.bytes_(b"volt")
    g["f8"].attrs["names"] = np.array(["a", "bc"], dtype=object)


def content_chunked(f):
    """Chunked datasets: shapes that do not divide, filters, many chunks."""
    a = rng.standard_normal((10, 7))
    f.create_dataset("plain", data=a, chunks=(4, 3))
    f.create_dataset("gzip1", data=a, chunks=(4, 3), compression="gzip", compression_opts=1)
    f.create_dataset("gzip9_shuffle", data=a.astype("f4"), chunks=(3, 7), compression="gzip", compression_opts=9, shuffle=True)
    f.create_dataset("shuffle_i2", data=np.arange(-50, 50, dtype="i2"), chunks=(16,), shuffle=True)
    f.create_dataset("fletcher", data=np.arange(30, dtype="i4"), chunks=(8,), fletcher32=True)
    f.create_dataset("cube_gzip", data=np.arange(5 * 6 * 7, dtype="u2").reshape(5, 6, 7), chunks=(2, 3, 4), compression="gzip")
    f.create_dataset("one_chunk", data=np.arange(12, dtype="i8").reshape(3, 4), chunks=(3, 4))
    f.create_dataset("one_chunk_gzip", data=np.arange(12, dtype="i8").reshape(3, 4), chunks=(3, 4), compression="gzip")
    f.create_dataset("many_chunks", data=np.arange(400, dtype="f8"), chunks=(2,))
    f.create_dataset("many_chunks_gzip", data=np.arange(400, dtype="i4"), chunks=(2,), compression="gzip")
    f.create_dataset("paged_chunks", data=np.arange(2200, dtype="u1"), chunks=(2,))
    f.create_dataset("sparse", shape=(20,), dtype="f4", chunks=(5,))[5:10] = 1.5
    f.create_dataset("sparse_fill", shape=(4, 6), dtype="i2", chunks=(2, 2), fillvalue=-7, compression="gzip")[0:2, 2:4] = 3
    f.create_dataset("unwritten_fill", shape=(5,), dtype="f8", fillvalue=2.5)
    r = f.create_dataset("resizable", shape=(5,), maxshape=(None,), dtype="f8", chunks=(4,))
    r[:] = np.arange(5)
    r.resize((123,))
    r[5:] = np.arange(5, 123) * 0.5
    r = f.create_dataset("resizable_gzip", shape=(0, 3), maxshape=(None, 3), dtype="i4", chunks=(2, 3), compression="gzip")
    r.resize((301, 3))
    r[:] = np.arange(903).reshape(301, 3)
    # Enough chunks to reach the extensible array's super blocks.
    r = f.create_dataset("resizable_long", shape=(0,), maxshape=(None,), dtype="i2", chunks=(1,))
    r.resize((600,))
    r[:] = np.arange(600) - 300
    r = f.create_dataset("resizable_2d", shape=(3, 4), maxshape=(None, None), dtype="f4", chunks=(2, 2))
    r[:] = np.arange(12).reshape(3, 4)
    r.resize((5, 9))
    r[3:, :] = 7
    r = f.create_dataset("resizable_2d_gzip", shape=(30, 40), maxshape=(None, None), dtype="i8", chunks=(4, 4), compression="gzip", shuffle=True)
    r[:] = np.arange(1200).reshape(30, 40)
    r = f.create_dataset("resizable_col", shape=(4, 3), maxshape=(4, None), dtype="i2", chunks=(2, 2))
    r[:] = np.arange(12).reshape(4, 3)
    r.resize((4, 11))
    r[:, 3:] = -1


def content_vlen(f):
    """SHD's layout: vlen float and uint16 sequences, labels."""
    n = 5
    times = [np.sort(rng.random(k)).astype("f4") for k in [3, 0, 7, 1, 12]]
    units = [rng.integers(0, 700, len(t)).astype("u2") for t in times]
    s = f.create_group("spikes")
    ds = s.create_dataset("times", (n,), dtype=h5py.vlen_dtype(np.dtype("f4")))
    for i, t in enumerate(times):
        ds[i] = t
    ds = s.create_dataset("units", (n,), dtype=h5py.vlen_dtype(np.dtype("u2")))
    for i, u in enumerate(units):
        ds[i] = u
    ds = f.create_dataset("times16", (3,), dtype=h5py.vlen_dtype(np.dtype("f2")))
    ds[0], ds[1], ds[2] = np.array([0.5, 1e-3, 65504, -2.0**-24], dtype="f2"), np.array([], dtype="f2"), np.array([np.pi], dtype="f2")
    f.create_dataset("half", data=np.array([0, -0.0, 1, 0.1, 6.1e-5, np.inf, -np.inf], dtype="f2"))
    ds = f.create_dataset("times64", (3,), dtype=h5py.vlen_dtype(np.dtype("f8")))
    ds[0], ds[1], ds[2] = np.array([0.5, 1e-9]), np.array([]), np.array([np.pi])
    f.create_dataset("labels", data=np.array([3, 1, 4, 1, 5], dtype="u1"))
    f.create_dataset("labels16", data=np.array([300, 1, 19], dtype="u2"))
    ds = f.create_dataset("times_chunked", (4,), dtype=h5py.vlen_dtype(np.dtype("f4")), chunks=(2,), compression="gzip")
    for i in range(4):
        ds[i] = np.arange(i, dtype="f4") / 8
    f.create_dataset("strings_chunked", data=np.array(["x", "yy", "zzz"], dtype=object), dtype=vlen_str(), chunks=(2,), compression="gzip")
    f.attrs["seq"] = np.array([1.5, 2.5])


def content_links(f):
    """Many links and attributes: dense storage with libver='latest'."""
    g = f.create_group("many")
    for i in range(300):
        g.create_group("g%03d" % i)
    g2 = f.create_group("some")
    for i in range(20):
        g2.create_dataset("d%02d" % i, data=np.array([i], dtype="i4"))
    d = f.create_dataset("attrs", data=np.arange(3, dtype="f8"))
    for i in range(30):
        d.attrs["a%02d" % i] = np.float64(i) / 4
    d.attrs["s"] = "dense string attribute"
    for i in range(12):
        f.attrs["r%02d" % i] = np.int64(i * i)


CONTENT = {"basic": content_basic, "chunked": content_chunked, "vlen": content_vlen, "links": content_links}


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {"h5py": h5py.version.version, "hdf5": h5py.version.hdf5_version, "files": {}}
    for name, fill in CONTENT.items():
        # v108 (superblock 2, v2 object headers, layout 3 with v1 B-tree
        # chunk indexes) for the smaller contents only.
        for libver in ["earliest", "v108", "latest"] if name != "links" else ["earliest", "latest"]:
            fname = "%s_%s.h5" % (name, libver)
            path = os.path.join(OUT, fname)
            with h5py.File(path, "w", libver=libver, track_order=False) as f:
                fill(f)
            with h5py.File(path, "r") as f:
                d = describe(f)
            d["libver"] = libver
            expected["files"][fname] = d
    with open(os.path.join(HERE, "expected.json"), "w") as fp:
        json.dump(expected, fp, indent=0, sort_keys=True, ensure_ascii=False)
        fp.write("\n")


if __name__ == "__main__":
    main()
