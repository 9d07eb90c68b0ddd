#!/usr/bin/python3
"""Regenerates tests/data/core/floats.tsv for test_fmt.c: doubles (as exact
hex) and how the Prometheus Python client 0.16 writes them.

    /usr/bin/python3 tests/core/gen_floats.py > tests/data/core/floats.tsv
"""
import math
import random
import struct

from prometheus_client.utils import floatToGoString

values = [0.0, -0.0, 1.0, -1.0, 0.1, 0.005, 1e-4, 1e-5, 123456.0, 999999.0,
          1e6, 1234567.0, 1e15, 1e16, 1e17, 2 ** 53, 2 ** 53 + 2, 1e20, 1e300,
          5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 0.3,
          2 / 3, 1 / 3, 100.5, -123456789.25, 4.35, 1700000000.5, 3.14159,
          float('inf'), float('-inf'), float('nan'), 9007199254740993.0,
          0.1 + 0.2, 1e21, 1e22, 1e23, 5e-5, -5e-5, 12345.678901234567]
rng = random.Random(42)
for _ in range(300):
    values.append(struct.unpack('<d', struct.pack('<Q', rng.getrandbits(64)))[0])
for _ in range(300):
    values.append(rng.uniform(-1e7, 1e7))
for _ in range(200):
    values.append(float(rng.randrange(-10 ** 12, 10 ** 12)))
for _ in range(200):
    values.append(round(rng.uniform(0, 1000), rng.randrange(0, 6)))
for v in map(float, values):
    if math.isnan(v):
        print('nan\tNaN')
    else:
        print(f'{v.hex()}\t{floatToGoString(v)}')
