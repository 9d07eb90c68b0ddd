/*
 * httpd — a small HTTP server on libmicrohttpd, shared by `heron server`,
 * `heron agent` and libheron's embeddable /metrics endpoint.
 *
 * One handler function sees every request after its body has been read in
 * full (bodies beyond max_body get 413 without reaching the handler). The
 * handler fills an httpd_response; the server adds gzip when the handler
 * allows it and the client asks for it. Handlers run on several threads at
 * once (see httpd_start), so they must be thread-safe. httpd_stop waits for running
 * handlers and frees the server.
 */
#ifndef HERON_CORE_HTTPD_H
#define HERON_CORE_HTTPD_H

#include <stddef.h>

#include "core/buf.h"
#include "heron.h"

typedef struct httpd httpd;
typedef struct httpd_request httpd_request;

#define HTTPD_MAX_EXTRA_HEADERS 4

typedef struct httpd_response {
    int status;               /* default 200 */
    const char *content_type; /* static string; default text/plain */
    buf body;
    int gzip_ok;              /* may be compressed if the client accepts */
    const char *headers[HTTPD_MAX_EXTRA_HEADERS][2]; /* static name/value */
    /* Called once the response has been sent (e.g. to shut down after
     * answering /-/quit). */
    void (*after_sent)(void *arg);
    void *after_sent_arg;
} httpd_response;

typedef void (*httpd_handler_fn)(const httpd_request *req, httpd_response *resp,
                                 void *arg);

const char *httpd_method(const httpd_request *req);
const char *httpd_path(const httpd_request *req);
/* A request header (case-insensitive name), or NULL. */
const char *httpd_header(const httpd_request *req, const char *name);
/* A URL query argument, or NULL. */
const char *httpd_query(const httpd_request *req, const char *name);
const char *httpd_body(const httpd_request *req, size_t *len);
/* Calls fn for every URL query argument in order, repeated names included
 * (value may be NULL for a bare `?name`). */
typedef void (*httpd_arg_fn)(void *arg, const char *name, const char *value);
void httpd_query_each(const httpd_request *req, httpd_arg_fn fn, void *arg);

/* Adds a response header; names and values must outlive the response. */
void httpd_add_header(httpd_response *resp, const char *name, const char *value);
/* Sets status and a plain-text body in one call. */
void httpd_reply_text(httpd_response *resp, int status, const char *text);

/* address: "host:port", "[v6]:port" or ":port"; port 0 picks a free port.
 * pool_threads 0 gives each connection its own thread (handlers may block,
 * e.g. long queries); N > 0 serves all connections from N epoll threads,
 * cheaper per connection, for servers whose handlers are short (/metrics). */
int httpd_start(const char *address, size_t max_body, unsigned pool_threads,
                httpd_handler_fn fn, void *arg, httpd **out, heron_err *err);
int httpd_port(const httpd *h);
void httpd_stop(httpd *h);

#endif
