/*
 * peer — test support: servers started by a test (heron, Prometheus) on
 * free loopback ports, and HTTP requests to them. Every wait is bounded;
 * a peer is stopped by its PID only (SIGTERM, then SIGKILL after 10 s).
 */
#ifndef HERON_TESTS_PEER_H
#define HERON_TESTS_PEER_H

#include <sys/types.h>

#include "core/buf.h"

typedef struct peer {
    const char *name;
    pid_t pid;
    int port;
    char base[64]; /* http://127.0.0.1:port */
} peer;

/* A port that was free a moment ago, or -1. */
int peer_free_port(void);
/* Runs argv (argv[0] a path) with stderr to log and waits up to 60 s for
 * GET /-/ready to answer 200. p->port must be set. 0 or -1. */
int peer_start(peer *p, char *const argv[], const char *log);
void peer_stop(peer *p);
/* GET (form NULL) or form POST; returns the status (0: no answer) with the
 * NUL-terminated body in out. */
long peer_http(const char *url, const char *form, buf *out);
/* Same with another method and no body (e.g. "PUT"). */
long peer_http_method(const char *url, const char *method, buf *out);
/* Percent-encodes s for a URL query into out (n bytes). */
void peer_url_escape(const char *s, char *out, size_t n);
/* A fresh directory under $TMPDIR or /tmp; peer_rmdir removes a tree. */
int peer_tmpdir(char *out, size_t n);
void peer_rmdir(const char *dir);

#endif
