#!/usr/bin/python3
"""Prints what prometheus_client's own parsers extract from an exposition,
in parse_dump's canonical form (see parse_dump.c). Usage:
peer_parse.py text|openmetrics FILE"""
import math
import sys

from prometheus_client.openmetrics import parser as om_parser
from prometheus_client import parser as text_parser


def esc(s):
    return s.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def val(v):
    if math.isnan(v):
        return 'NaN'
    if math.isinf(v):
        return '+Inf' if v > 0 else '-Inf'
    return '%.17g' % v


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    with open(path, encoding='utf-8') as f:
        data = f.read()
    if fmt == 'openmetrics':
        fams = om_parser.text_string_to_metric_families(data)
    else:
        fams = text_parser.text_string_to_metric_families(data)
    out = []
    for fam in fams:
        name = fam.name
        # The text parser names a counter family without its "_total" even
        # when the TYPE line has it; print the name as written.
        if (fmt == 'text' and fam.type == 'counter' and
                ('# TYPE %s_total counter' % name) in data):
            name += '_total'
        if fam.type not in ('unknown', 'untyped'):
            out.append('T %s %s' % (name, fam.type))
        if fam.documentation:
            out.append('H %s %s' % (name, esc(fam.documentation)))
        for s in fam.samples:
            labels = ','.join('%s="%s"' % (k, esc(v))
                              for k, v in sorted(s.labels.items()))
            line = 'S %s{%s} %s' % (s.name, labels, val(s.value))
            if s.timestamp is not None:
                ts = s.timestamp
                if fmt == 'openmetrics':
                    # Timestamp(sec, nsec): Prometheus keeps whole ms.
                    ms = int(float(ts) * 1000)
                else:
                    ms = int(round(ts * 1000))
                line += ' %d' % ms
            out.append(line)
    print('\n'.join(out))


main()
