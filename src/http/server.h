/*
 * server.h — the HTTP front of `heron server`: routes requests to handlers
 * and records heron_http_requests_total / heron_http_request_duration_seconds.
 *
 * Handlers run on the connection's thread and must be thread-safe. The
 * route table is fixed when the server starts. http_server_stop waits for
 * running requests and frees the server.
 */
#ifndef HERON_HTTP_SERVER_H
#define HERON_HTTP_SERVER_H

#include "core/httpd.h"
#include "heron.h"

typedef struct http_server http_server;

typedef void (*http_route_fn)(const httpd_request *req, httpd_response *resp,
                              void *arg);

typedef struct http_route {
    const char *path;   /* exact path, or a prefix ending in '*' */
    http_route_fn fn;
    void *arg;
} http_route;

typedef struct http_server_opts {
    const char *listen_address;
    heron_registry *registry;  /* served on /metrics; self-metrics go here */
    int enable_lifecycle;      /* POST /-/quit, /-/reload */
    void (*on_quit)(void *arg);/* called by POST /-/quit */
    void *quit_arg;
    const http_route *routes;  /* extra routes, ended by a NULL path */
} http_server_opts;

int http_server_start(const http_server_opts *o, http_server **out,
                      heron_err *err);
int http_server_port(const http_server *s);
void http_server_stop(http_server *s);

#endif
