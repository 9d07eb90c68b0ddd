#!/usr/bin/env python3
"""Regenerates data/format_golden.txt from a real Prometheus 2.42.

Starts a throwaway `prometheus` (the Debian package) on a free loopback
port, sends every query of data/queries_*.txt and the eval expressions of
the shared conformance files to /api/v1/format_query, and writes one
record per query:

    Q <query>
    A <formatted query>        or        E <error message>

A formatted query that spans several lines (Prometheus' prettier splits
expressions longer than 100 characters) continues on lines starting
with "+ ". Regex syntax errors are left out: Go's RE2 words them
differently from PCRE2. Stops the server by its PID.
"""
import glob, json, os, re, signal, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
conf = os.path.join(here, '..', '..', '..', 'shared', 'conformance', 'promql')

def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port

def queries():
    qs = []
    for f in sorted(glob.glob(os.path.join(here, 'data', 'queries_*.txt'))):
        qs += [l.rstrip('\n') for l in open(f) if l.strip()]
    files = sorted(glob.glob(os.path.join(conf, '*.test')))
    for f in files:
        for l in open(f):
            m = re.match(r'^\s*eval(?:_(?:fail|ordered))?\s+instant\s+(?:at\s+\S+)?\s+(.+)$', l, re.I)
            if m:
                qs.append(m.group(1).strip())
    seen, out = set(), []
    for q in qs:
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out

def main():
    tmp = tempfile.mkdtemp()
    cfg = os.path.join(tmp, 'p.yml')
    open(cfg, 'w').write('global:\n  scrape_interval: 1h\n')
    port = free_port()
    proc = subprocess.Popen(['prometheus', '--config.file=' + cfg,
                             '--web.listen-address=127.0.0.1:%d' % port,
                             '--storage.tsdb.path=' + os.path.join(tmp, 'data')],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = 'http://127.0.0.1:%d/api/v1/format_query' % port
        for _ in range(100):
            try:
                urllib.request.urlopen('http://127.0.0.1:%d/-/ready' % port)
                break
            except Exception:
                time.sleep(0.1)
        out = []
        for q in queries():
            data = urllib.parse.urlencode({'query': q}).encode()
            try:
                d = json.load(urllib.request.urlopen(url, data))
            except urllib.error.HTTPError as e:
                d = json.load(e)
            if d['status'] == 'success':
                out.append('Q %s\nA %s\n' % (q, d['data'].replace('\n', '\n+ ')))
            else:
                msg = d['error'].replace('invalid parameter "query": ', '', 1)
                if 'error parsing regexp' in msg or '\n' in msg:
                    continue
                out.append('Q %s\nE %s\n' % (q, msg))
        open(os.path.join(here, 'data', 'format_golden.txt'), 'w').write(''.join(out))
        print('%d records' % len(out))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

if __name__ == '__main__':
    main()
