/*
 * testutil.h — helpers shared by the collect tests and bench/collect:
 * running a server process on a free loopback port, fetching a page over
 * HTTP/1.0, reading a process's CPU time and RSS, and parsing the
 * Prometheus text format into families and samples.
 *
 * Everything returned is owned by the caller (tu_expo_free). Loops are
 * bounded; processes are stopped by the pid tu_spawn returned.
 */
#ifndef HERON_TESTS_COLLECT_TESTUTIL_H
#define HERON_TESTS_COLLECT_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include "core/buf.h"

/* A port that was free on 127.0.0.1 a moment ago (0 on failure). */
int tu_free_port(void);

/* fork+exec argv with stdout and stderr appended to log_path (NULL:
 * /dev/null). Returns the child's pid or -1. */
pid_t tu_spawn(char *const argv[], const char *log_path);

/* Polls GET path until it answers 200, at most `attempts` times 50 ms
 * apart. 0 when it did. */
int tu_wait_http(int port, const char *path, int attempts);

/* GET http://127.0.0.1:port/path into body (headers stripped). Returns the
 * HTTP status, or -1 when nothing came back. */
int tu_http_get(int port, const char *path, buf *body);

/* A kept-alive HTTP/1.1 connection, as Prometheus scrapes: GET path with
 * an optional Accept-Encoding (e.g. "gzip"; the body is then returned as
 * it came, undecoded). Handles Content-Length and chunked bodies and
 * reconnects when the server closed. Returns the status or -1. */
typedef struct tu_conn {
    int fd;   /* -1 until connected */
    int port;
    buf in;   /* bytes read but not yet consumed */
} tu_conn;

void tu_conn_init(tu_conn *c, int port);
int tu_conn_get(tu_conn *c, const char *path, const char *encoding, buf *body);
void tu_conn_close(tu_conn *c);

/* SIGTERM, then SIGKILL after 5 s; reaps the child. */
void tu_stop(pid_t pid);

/* utime+stime of pid in seconds; VmRSS of pid in bytes. <0 on failure. */
double tu_proc_cpu_seconds(pid_t pid);
double tu_proc_rss_bytes(pid_t pid);

typedef struct tu_family {
    char *name;
    char *type;         /* "counter", "gauge", ... ("untyped" if none) */
    char *label_names;  /* sorted, comma-separated, of its first sample */
} tu_family;

typedef struct tu_sample {
    char *name;
    char *labels;       /* canonical: sorted name="value" pairs, comma-joined */
    size_t family;      /* index into fams */
    double value;
} tu_sample;

typedef struct tu_expo {
    tu_family *fams;
    size_t nfams;
    tu_sample *samples;
    size_t nsamples;
} tu_expo;

/* Parses text-format exposition. 0, or -1 naming nothing (malformed). */
int tu_parse(const char *text, tu_expo *out);
void tu_expo_free(tu_expo *e);
const tu_family *tu_family_find(const tu_expo *e, const char *name);
/* The sample with this name and canonical labels ("" for none), or NULL. */
const tu_sample *tu_sample_find(const tu_expo *e, const char *name,
                                const char *labels);

#endif
