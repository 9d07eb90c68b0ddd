#!/usr/bin/python3
"""Regenerates tests/data/lib/golden.{txt,om} with the real Prometheus Python
client (Debian's python3-prometheus-client 0.16), for test_golden.c.

    PROMETHEUS_DISABLE_CREATED_SERIES=True /usr/bin/python3 tests/lib/gen_goldens.py text > tests/data/lib/golden.txt
    /usr/bin/python3 tests/lib/gen_goldens.py openmetrics > tests/data/lib/golden.om

The clock is frozen at 1700000000.5 so _created samples and exemplar
timestamps are reproducible; test_golden.c freezes heron's clock at the same
instant and builds the same metrics in the same order. Text output is made
without _created series: heron, like the Go client, writes them only in
OpenMetrics.
"""
import sys
import time

time.time = lambda: 1700000000.5

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram,
                               Summary, generate_latest)
from prometheus_client.openmetrics.exposition import generate_latest as generate_om

r = CollectorRegistry()

requests = Counter('http_requests', 'Requests served, by "method" and code.\nSecond line \\ backslash.',
                   ['method', 'code'], registry=r)
requests.labels('GET', '200').inc(3)
requests.labels('POST', '500').inc(0.25)
requests.labels('we"ird\\va\nlue', '404').inc()

tasks = Counter('tasks_learned_total', 'Tasks learned so far.', registry=r)
tasks.inc(7, exemplar={'trace_id': 'abc123'})

transferred = Counter('transferred', 'Bytes moved.', registry=r, unit='bytes')
transferred.inc(1234567)

loss = Gauge('training_loss', 'Current training loss.', registry=r)
loss.set(0.0123)
accuracy = Gauge('training_accuracy', 'Accuracy.', registry=r)
accuracy.set(0.9375)
memory = Gauge('memory_usage_bytes', 'Memory in use.', ['device'], registry=r)
memory.labels('cuda:0').set(1e20)
memory.labels('cuda:1').set(2147483648)
memory.labels('cpu').set(-1e-7)
memory.labels('disk').set(float('inf'))
memory.labels('swap').set(float('-inf'))
memory.labels('nan').set(float('nan'))
retention = Gauge('knowledge_retention_score', 'Retention per task.', ['task_id'], registry=r)
retention.labels('1').set(0.1)
retention.labels('2').set(123456.789)
retention.labels('3').set(1e-5)

inference = Histogram('inference_duration_seconds', 'Inference latency.', ['model'],
                      buckets=[0.001, 0.01, 0.1, 1, 10], registry=r)
inference.labels('resnet').observe(0.005)
inference.labels('resnet').observe(0.5, exemplar={'trace_id': 'def456'})
inference.labels('resnet').observe(42)

default_hist = Histogram('request_size', 'Default buckets.', registry=r, unit='bytes')
default_hist.observe(0.3)

batch = Summary('batch_seconds', 'Batch time.', registry=r)
batch.observe(1.5)
batch.observe(2.25)

if sys.argv[1] == 'text':
    sys.stdout.write(generate_latest(r).decode())
else:
    sys.stdout.write(generate_om(r).decode())
