#!/usr/bin/python3
"""Scrape targets for the end-to-end test, on 127.0.0.1:PORT.
  peer_target.py app PORT   a prometheus_client app whose series carry
                            job/instance labels (exported_* renaming),
                            a histogram, a summary and escapes
  peer_target.py hang PORT  accepts requests and answers only after 30 s
                            (past any scrape_timeout)
  peer_target.py tls PORT CERT KEY
                            HTTPS; answers tls_host{host="<Host header>"} 1
  peer_target.py auth PORT AUTHORIZATION
                            answers 401 unless the request's Authorization
                            header is exactly AUTHORIZATION"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

mode, port = sys.argv[1], int(sys.argv[2])

if mode == 'app':
    from prometheus_client import (CollectorRegistry, Counter, Gauge,
                                   Histogram, Summary, start_http_server)
    reg = CollectorRegistry()
    c = Counter('train_steps', 'Steps.', ['job', 'rank'], registry=reg)
    c.labels('trainer', '0').inc(10)
    c.labels('trainer', '1').inc(12)
    g = Gauge('gpu_mem_bytes', 'Memory "used".', ['instance', 'gpu'], registry=reg)
    g.labels('node-1', '0').set(1.5e10)
    g.labels('node-1', '1').set(2.5e10)
    h = Histogram('step_seconds', 'Step time.', buckets=(0.1, 1, 10),
                  registry=reg)
    h.observe(0.5)
    s = Summary('batch_bytes', 'Batch.', registry=reg)
    s.observe(100)
    e = Gauge('escaped', 'Escapes.', ['path'], registry=reg)
    e.labels('C:\\data\n"x"').set(1)
    start_http_server(port, addr='127.0.0.1', registry=reg)
    while True:
        time.sleep(3600)
elif mode == 'auth':
    want = sys.argv[3]

    class Auth(BaseHTTPRequestHandler):
        def do_GET(self):
            ok = self.headers.get('Authorization') == want
            body = b'auth_ok 1\n' if ok else b'unauthorized\n'
            self.send_response(200 if ok else 401)
            self.send_header('Content-Type', 'text/plain; version=0.0.4')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    ThreadingHTTPServer(('127.0.0.1', port), Auth).serve_forever()
elif mode == 'tls':
    import ssl

    class Tls(BaseHTTPRequestHandler):
        def do_GET(self):
            body = ('tls_host{host="%s"} 1\n' % self.headers.get('Host')).encode()
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain; version=0.0.4')
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    srv = ThreadingHTTPServer(('127.0.0.1', port), Tls)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()
elif mode == 'hang':
    class Hang(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(30)
            try:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'late 1\n')
            except OSError:
                pass

        def log_message(self, *args):
            pass
    ThreadingHTTPServer(('127.0.0.1', port), Hang).serve_forever()
