#include "http/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hlog.h"
#include "lib/expose_http.h"

#define MAX_ROUTES 64

struct http_server {
    httpd *httpd;
    http_server_opts opts;
    http_route routes[MAX_ROUTES];
    size_t route_count;
    heron_family *requests;  /* heron_http_requests_total{handler,code} */
    heron_family *durations; /* heron_http_request_duration_seconds{handler} */
};

static void route_metrics(const httpd_request *req, httpd_response *resp, void *arg)
{
    http_server *s = arg;
    expose_http(s->opts.registry, req, resp);
}

static void route_healthy(const httpd_request *req, httpd_response *resp, void *arg)
{
    (void)req, (void)arg;
    httpd_reply_text(resp, 200, "Heron Server is Healthy.\n");
}

static void route_ready(const httpd_request *req, httpd_response *resp, void *arg)
{
    (void)req, (void)arg;
    httpd_reply_text(resp, 200, "Heron Server is Ready.\n");
}

static void route_quit(const httpd_request *req, httpd_response *resp, void *arg)
{
    http_server *s = arg;
    if (!s->opts.enable_lifecycle) {
        httpd_reply_text(resp, 403, "Lifecycle API is not enabled.\n");
        return;
    }
    if (strcmp(httpd_method(req), "POST") != 0 && strcmp(httpd_method(req), "PUT") != 0) {
        httpd_reply_text(resp, 405, "method not allowed: use POST\n");
        return;
    }
    httpd_reply_text(resp, 200, "Requesting termination... Goodbye!\n");
    resp->after_sent = s->opts.on_quit;
    resp->after_sent_arg = s->opts.quit_arg;
}

/* An exact path, else the first route whose path ends in '*' and is a
 * prefix of the request's (e.g. "/api/v1/label/" followed by a star). */
static const http_route *find_route(const http_server *s, const char *path)
{
    for (size_t i = 0; i < s->route_count; i++)
        if (strcmp(s->routes[i].path, path) == 0)
            return &s->routes[i];
    for (size_t i = 0; i < s->route_count; i++) {
        size_t n = strlen(s->routes[i].path);
        if (n && s->routes[i].path[n - 1] == '*' &&
            strncmp(s->routes[i].path, path, n - 1) == 0)
            return &s->routes[i];
    }
    return NULL;
}

static void dispatch(const httpd_request *req, httpd_response *resp, void *arg)
{
    http_server *s = arg;
    heron_timer t = heron_timer_start();
    const http_route *r = find_route(s, httpd_path(req));
    const char *handler = r ? r->path : "other";
    if (r)
        r->fn(req, resp, r->arg);
    else
        httpd_reply_text(resp, 404, "404 page not found\n");
    char code[8];
    snprintf(code, sizeof code, "%d", resp->status);
    heron_counter *c = heron_counter_with(s->requests, handler, code);
    if (c)
        heron_counter_inc(c);
    heron_histogram *h = heron_histogram_with(s->durations, handler);
    if (h)
        heron_timer_observe_histogram(&t, h);
}

static int add_route(http_server *s, const char *path, http_route_fn fn,
                     void *arg, heron_err *err)
{
    if (s->route_count == MAX_ROUTES)
        return err_set(err, HERON_ERANGE, "too many HTTP routes (max %d)", MAX_ROUTES);
    s->routes[s->route_count++] = (http_route){path, fn, arg};
    return 0;
}

static int self_metrics(http_server *s, heron_err *err)
{
    static const char *const req_labels[] = {"handler", "code", NULL};
    static const char *const dur_labels[] = {"handler", NULL};
    int rc = heron_counter_new(&(heron_opts){.registry = s->opts.registry,
                                             .name = "heron_http_requests_total",
                                             .help = "Counter of HTTP requests.",
                                             .labels = req_labels},
                               &s->requests, err);
    if (rc == 0)
        rc = heron_histogram_new(&(heron_opts){.registry = s->opts.registry,
                                               .name = "heron_http_request_duration_seconds",
                                               .help = "Histogram of latencies for HTTP requests.",
                                               .labels = dur_labels},
                                 NULL, &s->durations, err);
    return rc;
}

int http_server_start(const http_server_opts *o, http_server **out, heron_err *err)
{
    http_server *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(err, HERON_ENOMEM, "out of memory");
    s->opts = *o;
    int rc = self_metrics(s, err);
    if (rc == 0)
        rc = add_route(s, "/metrics", route_metrics, s, err);
    if (rc == 0)
        rc = add_route(s, "/-/healthy", route_healthy, s, err);
    if (rc == 0)
        rc = add_route(s, "/-/ready", route_ready, s, err);
    if (rc == 0)
        rc = add_route(s, "/-/quit", route_quit, s, err);
    for (const http_route *r = o->routes; rc == 0 && r && r->path; r++)
        rc = add_route(s, r->path, r->fn, r->arg, err);
    if (rc == 0)
        rc = httpd_start(o->listen_address, 64 << 20, 0, dispatch, s, &s->httpd, err);
    if (rc) {
        heron_family_unregister(s->requests, NULL);
        heron_family_unregister(s->durations, NULL);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int http_server_port(const http_server *s)
{
    return httpd_port(s->httpd);
}

void http_server_stop(http_server *s)
{
    if (!s)
        return;
    httpd_stop(s->httpd);
    heron_family_unregister(s->requests, NULL);
    heron_family_unregister(s->durations, NULL);
    free(s);
}
