#!/usr/bin/python3
"""Writes h5py_shd.h5: a small file in the SHD layout exactly as the
published SHD files store it (float16 spike times, uint16 units, uint16
labels, extra/keys and extra/speaker), with h5py (Debian's python3-h5py).

The same samples are written by snnc in shd_test.go (fixtureSets); the test
checks that both files read identically. Regenerate with
    /usr/bin/python3 ir/events/shd/testdata/make_fixture.py
"""
import os

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
times = [
    np.array([0.0, 0.001, 0.25, 0.5], dtype=np.float16),
    np.array([], dtype=np.float16),
    np.array([0.125, 1.0], dtype=np.float16),
]
units = [
    np.array([0, 699, 3, 3], dtype=np.uint16),
    np.array([], dtype=np.uint16),
    np.array([42, 7], dtype=np.uint16),
]
labels = np.array([5, 0, 19], dtype=np.uint16)
speakers = np.array([1, 2, 1], dtype=np.uint16)

with h5py.File(os.path.join(here, "h5py_shd.h5"), "w") as f:
    g = f.create_group("spikes")
    g.create_dataset("times", data=np.array(times, dtype=object), dtype=h5py.vlen_dtype(np.float16))
    g.create_dataset("units", data=np.array(units, dtype=object), dtype=h5py.vlen_dtype(np.uint16))
    f.create_dataset("labels", data=labels)
    e = f.create_group("extra")
    e.create_dataset("keys", data=["zero", "eins", "neun"], dtype=h5py.string_dtype())
    e.create_dataset("speaker", data=speakers)
    e.create_dataset("meta_info", data=np.array([0, 1, 2]))
