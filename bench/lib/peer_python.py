#!/usr/bin/python3
"""The same figures as bench_lib, for the Prometheus Python client 0.16
(Debian's python3-prometheus-client): the peer heron's libheron replaces.
Prints `name value unit` lines prefixed with python_client_."""
import time

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

r = CollectorRegistry()
c = Counter('bench_incs', 'x', registry=r)
n = 1_000_000
t = time.perf_counter()
for _ in range(n):
    c.inc()
print(f'python_client_counter_inc_1thread {(time.perf_counter() - t) / n * 1e9:.2f} ns/op')

h = Histogram('bench_observe', 'x', registry=r)
t = time.perf_counter()
for i in range(n):
    h.observe(0.0005 * (i % 100))
print(f'python_client_histogram_observe {(time.perf_counter() - t) / n * 1e9:.2f} ns/op')

lc = Counter('bench_lookup', 'x', ['method', 'path', 'code'], registry=r)
t = time.perf_counter()
for _ in range(n):
    lc.labels('GET', '/api/v1/query', '200').inc()
print(f'python_client_labelled_lookup {(time.perf_counter() - t) / n * 1e9:.2f} ns/op')

r2 = CollectorRegistry()
for i in range(100):
    f = Counter(f'bench_family_{i}', 'A benchmark family.', ['instance', 'job'], registry=r2)
    for j in range(1000):
        f.labels(f'host-{j}:9100', 'node').inc(i * j + 0.5)
t = time.perf_counter()
rounds = 2
for _ in range(rounds):
    generate_latest(r2)
print(f'python_client_exposition_text_100k_series {100000 / ((time.perf_counter() - t) / rounds):.0f} series/s')
