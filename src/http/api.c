/* api — the API's route table and what every handler shares: the JSON
 * envelope, error replies with Prometheus' errorType and status code,
 * method checks and match[] selectors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hclock.h"
#include "http/api.h"

static const struct {
    const char *name;
    int status;
} api_errors[] = {
    [API_ERR_BAD_DATA] = {"bad_data", 400},
    [API_ERR_EXECUTION] = {"execution", 422},
    [API_ERR_TIMEOUT] = {"timeout", 503},
    [API_ERR_CANCELED] = {"canceled", 503},
    [API_ERR_INTERNAL] = {"internal", 500},
    [API_ERR_UNAVAILABLE] = {"unavailable", 503},
    [API_ERR_NOT_FOUND] = {"not_found", 404},
};

void api_reply_error(httpd_response *resp, api_errtype t, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    buf_reset(&resp->body);
    jsonw w;
    jsonw_init(&w, &resp->body);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "status", "error");
    jsonw_kv_string(&w, "errorType", api_errors[t].name);
    jsonw_kv_string(&w, "error", msg);
    jsonw_object_end(&w);
    resp->status = api_errors[t].status;
    resp->content_type = "application/json";
}

void api_reply_begin(httpd_response *resp, jsonw *w)
{
    buf_reset(&resp->body);
    jsonw_init(w, &resp->body);
    jsonw_object_begin(w);
    jsonw_kv_string(w, "status", "success");
    jsonw_key(w, "data");
}

void api_reply_end(httpd_response *resp, jsonw *w)
{
    jsonw_object_end(w);
    resp->status = 200;
    resp->content_type = "application/json";
    resp->gzip_ok = 1;
}

int api_method_ok(const httpd_request *req, httpd_response *resp,
                  const char *const *allowed)
{
    const char *m = httpd_method(req);
    for (size_t i = 0; allowed[i]; i++)
        if (strcmp(m, allowed[i]) == 0)
            return 1;
    httpd_reply_text(resp, 405, "Method Not Allowed\n");
    return 0;
}

void api_write_labels(jsonw *w, const tsdb_label *ls, size_t n)
{
    jsonw_object_begin(w);
    for (size_t i = 0; i < n; i++)
        jsonw_kv_string(w, ls[i].name, ls[i].value);
    jsonw_object_end(w);
}

void api_matchers_free(api_matchers *m)
{
    for (size_t i = 0; i < m->nsets; i++) {
        for (size_t j = 0; j < m->lens[i]; j++)
            tsdb_matcher_free(m->sets[i][j]);
        free(m->sets[i]);
    }
    free(m->sets);
    free(m->lens);
    memset(m, 0, sizeof *m);
}

int api_matchers_parse(const char *const *sel, size_t n, api_matchers *out,
                       httpd_response *resp)
{
    memset(out, 0, sizeof *out);
    out->sets = calloc(n + 1, sizeof *out->sets);
    out->lens = calloc(n + 1, sizeof *out->lens);
    if (!out->sets || !out->lens) {
        api_reply_error(resp, API_ERR_INTERNAL, "out of memory");
        api_matchers_free(out);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        promql_arena arena;
        promql_arena_init(&arena, 1 << 20);
        promql_node *node;
        heron_err err = {0};
        int rc = promql_parse(sel[i], strlen(sel[i]), &arena, &node, &err);
        if (!rc && node->kind != PROMQL_VECTOR_SELECTOR)
            rc = err_set(&err, HERON_EINVAL, "1:1: parse error: expected a "
                         "vector selector, got %s", sel[i]);
        /* Prometheus parses match[] as a bare selector and checks the
         * matchers afterwards, with its own message */
        if (rc && strstr(err.msg, "must contain at least one non-empty matcher"))
            snprintf(err.msg, sizeof err.msg,
                     "match[] must contain at least one non-empty matcher");
        int nonempty = 0;
        for (size_t j = 0; !rc && j < node->u.vs.nmatchers; j++)
            nonempty |= !node->u.vs.matchers[j].matches_empty;
        if (!rc && !nonempty)
            rc = err_set(&err, HERON_EINVAL,
                         "match[] must contain at least one non-empty matcher");
        if (!rc) {
            size_t nm = node->u.vs.nmatchers;
            out->sets[i] = calloc(nm + 1, sizeof **out->sets);
            if (!out->sets[i])
                rc = err_set(&err, HERON_ENOMEM, "out of memory");
            out->nsets = i + 1;
            for (size_t j = 0; !rc && j < nm; j++) {
                const promql_matcher *m = &node->u.vs.matchers[j];
                rc = promql_matcher_compile(m, &out->sets[i][j], &err);
                if (!rc)
                    out->lens[i] = j + 1;
            }
        }
        promql_arena_free(&arena);
        if (rc) {
            api_reply_error(resp, API_ERR_BAD_DATA,
                            "invalid parameter \"match[]\": %s", err.msg);
            api_matchers_free(out);
            return -1;
        }
    }
    return 0;
}

int api_server_init(api_server *a, const api_options *o, heron_err *err)
{
    (void)err;
    memset(a, 0, sizeof *a);
    a->db = o->db;
    a->engine = o->engine;
    a->enable_admin = o->enable_admin;
    a->enable_remote_write = o->enable_remote_write;
    a->flags = o->flags;
    a->retention = o->retention ? o->retention : "";
    a->start_time_ms = hclock_wall_ns() / 1000000;
    if (o->registry) {
        heron_family *f;
        heron_opts ho = {.registry = o->registry};
        ho.name = "heron_remote_write_samples_received_total";
        ho.help = "Samples accepted by the remote_write receiver.";
        if (heron_counter_new(&ho, &f, NULL) == 0)
            a->write_samples = heron_counter_with(f);
        ho.name = "heron_remote_write_requests_total";
        ho.help = "Requests to the remote_write receiver.";
        if (heron_counter_new(&ho, &f, NULL) == 0)
            a->write_requests = heron_counter_with(f);
        ho.name = "heron_remote_write_request_failures_total";
        ho.help = "Remote_write requests refused (bad body or append error).";
        if (heron_counter_new(&ho, &f, NULL) == 0)
            a->write_failures = heron_counter_with(f);
    }
    static const struct {
        const char *path;
        http_route_fn fn;
    } table[] = {
        {"/api/v1/query", api_query},
        {"/api/v1/query_range", api_query_range},
        {"/api/v1/format_query", api_format_query},
        {"/api/v1/series", api_series},
        {"/api/v1/labels", api_labels},
        {"/api/v1/label/*", api_label_values},
        {"/api/v1/query_exemplars", api_exemplars},
        {"/api/v1/status/buildinfo", api_buildinfo},
        {"/api/v1/status/runtimeinfo", api_runtimeinfo},
        {"/api/v1/status/flags", api_flags},
        {"/api/v1/status/tsdb", api_tsdb_status},
        {"/api/v1/admin/tsdb/delete_series", api_delete_series},
        {"/api/v1/admin/tsdb/clean_tombstones", api_clean_tombstones},
        {"/api/v1/write", api_write},
    };
    size_t n = sizeof table / sizeof *table;
    for (size_t i = 0; i < n; i++)
        a->routes[i] = (http_route){table[i].path, table[i].fn, a};
    a->routes[n].path = NULL;
    return 0;
}

const http_route *api_server_routes(const api_server *a)
{
    return a->routes;
}
