#!/usr/bin/env python3
"""An independent N-MNIST reader: the published readers' logic (Orchard's
eventvision.py, tonic's read_mnist_file) in plain Python, without numpy.

    y == 240 marks a timestamp-overflow event; every later timestamp gains
    2**13 us; all other records are events.

Prints one line per event: x y polarity t_us.
Usage: read_nmnist.py FILE.bin
"""
import sys

raw = open(sys.argv[1], "rb").read()
xs, ys = raw[0::5], raw[1::5]
ps = [b >> 7 for b in raw[2::5]]
ts = [((a & 127) << 16) | (b << 8) | c for a, b, c in zip(raw[2::5], raw[3::5], raw[4::5])]
offset = 0
for i in range(len(ys)):
    if ys[i] == 240:
        offset += 2 ** 13
        continue
    print(xs[i], ys[i], ps[i], ts[i] + offset)
