#!/usr/bin/python3
"""Prints, as JSON, what h5py reads from an HDF5 file: every group's member
names and every dataset's and attribute's shape, dtype, storage and values
(row-major, flattened). The ir/hdf5 oracle test runs it on files the Go
writer made; make_fixtures.py uses it to write expected.json.

Usage: /usr/bin/python3 h5json.py FILE...  (one JSON object: file name → description)
"""
import json
import sys

import h5py
import numpy as np


def dtype_name(dt):
    if h5py.check_string_dtype(dt) is not None:
        info = h5py.check_string_dtype(dt)
        return "vlen string" if info.length is None else "string[%d]" % info.length
    base = h5py.check_vlen_dtype(dt)
    if base is not None:
        return "vlen " + dtype_name(base)
    if dt.kind == "b":
        return "enum int8"
    name = {"i": "int", "u": "uint", "f": "float"}[dt.kind] + str(8 * dt.itemsize)
    if dt.byteorder == ">":
        name += "be"
    return name


def plain(x):
    """A JSON value for one element: non-finite floats as "inf", "-inf", "nan"."""
    x = x.item() if hasattr(x, "item") else x
    if isinstance(x, float) and not np.isfinite(x):
        return "nan" if np.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def values(dt, data):
    data = np.asarray(data)
    flat = data.reshape(-1)
    if h5py.check_string_dtype(dt) is not None:
        return [x.decode("utf-8") if isinstance(x, bytes) else x for x in flat]
    if h5py.check_vlen_dtype(dt) is not None:
        return [[plain(v) for v in x] for x in flat]
    return [plain(x) for x in flat]


def describe(f):
    out = {"groups": {}, "datasets": {}, "attrs": {}}

    def attrs(obj):
        return {k: {"shape": list(obj.attrs.get_id(k).shape), "dtype": dtype_name(obj.attrs.get_id(k).dtype),
                    "values": values(obj.attrs.get_id(k).dtype, obj.attrs[k])} for k in obj.attrs}

    def visit(name, obj):
        path = "/" + name
        if len(obj.attrs):
            out["attrs"][path] = attrs(obj)
        if isinstance(obj, h5py.Group):
            out["groups"][path] = sorted(obj.keys())
            return
        layout = {h5py.h5d.COMPACT: "compact", h5py.h5d.CONTIGUOUS: "contiguous", h5py.h5d.CHUNKED: "chunked"}[obj.id.get_create_plist().get_layout()]
        out["datasets"][path] = {"shape": list(obj.shape), "dtype": dtype_name(obj.dtype), "layout": layout,
                                 "chunks": list(obj.chunks) if obj.chunks else None, "values": values(obj.dtype, obj[()])}

    out["groups"]["/"] = sorted(f.keys())
    if len(f.attrs):
        out["attrs"]["/"] = attrs(f)
    f.visititems(visit)
    return out



if __name__ == "__main__":
    out = {}
    for name in sys.argv[1:]:
        with h5py.File(name, "r") as f:
            out[name] = describe(f)
            out[name]["superblock"] = f.id.get_create_plist().get_version()[0]
    json.dump(out, sys.stdout, sort_keys=True, ensure_ascii=False)
