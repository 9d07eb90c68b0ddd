#!/usr/bin/python3
"""Writes expositions made by python3-prometheus-client into DIR:
py.txt (text 0.0.4) and py.om (OpenMetrics 1.0). Usage: peer_expose.py DIR"""
import sys

from prometheus_client import (CollectorRegistry, Counter, Enum, Gauge,
                               Histogram, Info, Summary, generate_latest)
from prometheus_client.openmetrics import exposition as om

reg = CollectorRegistry()
c = Counter('train_steps', 'Optimizer steps taken.', ['job', 'rank'],
            registry=reg)
c.labels('llm-7b', '0').inc(1234)
c.labels('llm-7b', '1').inc(1233.5)
c.labels('quote"and\\back\nslash', 'ünï').inc()
c2 = Counter('tokens_processed', 'Tokens with exemplar.', registry=reg)
c2.inc(42, exemplar={'trace_id': 'abc123'})
g = Gauge('gpu_temperature_celsius', 'GPU temperature.\nSecond "line" \\',
          ['gpu'], registry=reg)
for i in range(8):
    g.labels(str(i)).set(40.5 + i)
g2 = Gauge('loss', 'Training loss.', registry=reg)
g2.set(float('nan'))
g3 = Gauge('big', 'Large and tiny values.', ['k'], registry=reg)
g3.labels('inf').set(float('inf'))
g3.labels('ninf').set(float('-inf'))
g3.labels('tiny').set(1.5e-300)
g3.labels('huge').set(1.7976931348623157e308)
g3.labels('neg').set(-0.1)
h = Histogram('step_seconds', 'Step time.', ['phase'],
              buckets=(.01, .1, 1, 10), registry=reg)
for v in (0.005, 0.05, 0.5, 5, 50):
    h.labels('forward').observe(v)
h.labels('backward').observe(0.2, exemplar={'trace_id': 'x'})
s = Summary('batch_bytes', 'Batch size.', registry=reg)
s.observe(1024)
s.observe(4096)
i = Info('model', 'Model being trained.', registry=reg)
i.info({'name': 'llama', 'params': '7b'})
e = Enum('phase', 'Training phase.', states=['warmup', 'train', 'eval'],
         registry=reg)
e.state('train')

out = sys.argv[1]
with open(out + '/py.txt', 'wb') as f:
    f.write(generate_latest(reg))
with open(out + '/py.om', 'wb') as f:
    f.write(om.generate_latest(reg))
