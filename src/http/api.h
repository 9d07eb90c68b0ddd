/*
 * api — heron server's Prometheus HTTP API (/api/v1/...) and the
 * remote_write receiver, with Prometheus 2.42's JSON shapes, status codes
 * and errorType values.
 *
 * api_server_init fills the route table the HTTP front serves (pass
 * api_server_routes() as http_server_opts.routes). The database, engine and
 * flag table belong to the caller and must outlive the HTTP server.
 * Handlers are thread-safe: they share only the engine and the database.
 */
#ifndef HERON_HTTP_API_H
#define HERON_HTTP_API_H

#include <stdint.h>

#include "core/buf.h"
#include "core/flags.h"
#include "core/jsonw.h"
#include "http/server.h"
#include "promql/engine.h"
#include "tsdb/tsdb.h"

#define API_MAX_ROUTES 24

typedef struct api_server {
    tsdb_db *db;
    promql_engine *engine;
    int enable_admin;
    int enable_remote_write;
    const flag_spec *flags;  /* for /api/v1/status/flags; may be NULL */
    const char *retention;   /* e.g. "15d", for runtimeinfo */
    int64_t start_time_ms;
    heron_counter *write_samples, *write_requests, *write_failures;
    http_route routes[API_MAX_ROUTES];
} api_server;

typedef struct api_options {
    tsdb_db *db;
    promql_engine *engine;
    int enable_admin;
    int enable_remote_write;
    const flag_spec *flags;
    const char *retention;
    heron_registry *registry; /* remote-write self-metrics; NULL: none */
} api_options;

int api_server_init(api_server *a, const api_options *o, heron_err *err);
/* The route table, ended by a NULL path. */
const http_route *api_server_routes(const api_server *a);

/* ---- parameters (api_params.c) ----------------------------------------- */

/* A request's parameters as Go's Request.Form sees them: the
 * application/x-www-form-urlencoded body of a POST or PUT first, then the
 * URL query. */
typedef struct api_params {
    size_t n, cap;
    char **names;
    char **values;
} api_params;

int api_params_read(const httpd_request *req, api_params *p, heron_err *err);
/* What every parameterised handler does first: reads the parameters and,
 * when they cannot be read, replies 400 with form_error (NULL: the parse
 * error itself) and returns non-zero with nothing left to free. */
int api_params_open(const httpd_request *req, httpd_response *resp,
                    const char *form_error, api_params *p);
void api_params_free(api_params *p);
/* The first value of name, or NULL. */
const char *api_param(const api_params *p, const char *name);
/* Every value of name, in order: writes up to max pointers, returns the
 * count (which may exceed max). */
size_t api_param_all(const api_params *p, const char *name, const char **out,
                     size_t max);
/* Decodes application/x-www-form-urlencoded s[0..len) into p. */
int api_params_parse_form(api_params *p, const char *s, size_t len);

/* Prometheus' timestamps: Unix seconds as a float (rounded to ms) or RFC
 * 3339; the special min/max times Go clients send map to INT64_MIN/MAX/2.
 * Errors read `cannot parse "x" to a valid timestamp`. */
int api_parse_time(const char *s, int64_t *ms, heron_err *err);
/* Durations: float seconds or Prometheus notation ("5m"). Errors read
 * `cannot parse "x" to a valid duration`. */
int api_parse_duration(const char *s, int64_t *ms, heron_err *err);

#define API_MIN_TIME (INT64_MIN / 2)
#define API_MAX_TIME (INT64_MAX / 2)

/* ---- responses (api.c) ----------------------------------------------- */

typedef enum api_errtype {
    API_ERR_BAD_DATA,
    API_ERR_EXECUTION,
    API_ERR_TIMEOUT,
    API_ERR_CANCELED,
    API_ERR_INTERNAL,
    API_ERR_UNAVAILABLE,
    API_ERR_NOT_FOUND
} api_errtype;

/* {"status":"error","errorType":...,"error":msg} with the matching code. */
void api_reply_error(httpd_response *resp, api_errtype t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Starts {"status":"success","data": and returns the writer positioned for
 * the data value; finish with api_reply_end. */
void api_reply_begin(httpd_response *resp, jsonw *w);
void api_reply_end(httpd_response *resp, jsonw *w);
/* 405 unless the method is one of the NULL-terminated list. */
int api_method_ok(const httpd_request *req, httpd_response *resp,
                  const char *const *allowed);
/* Writes a label set as a JSON object. */
void api_write_labels(jsonw *w, const tsdb_label *ls, size_t n);
/* Parses match[] selectors into matcher sets for the tsdb. On error replies
 * 400 and returns non-zero. The sets are freed with api_matchers_free. */
typedef struct api_matchers {
    size_t nsets;
    tsdb_matcher ***sets;
    size_t *lens;
} api_matchers;
int api_matchers_parse(const char *const *sel, size_t n, api_matchers *out,
                       httpd_response *resp);
void api_matchers_free(api_matchers *m);

/* ---- handlers ----------------------------------------------------------- */

void api_query(const httpd_request *req, httpd_response *resp, void *arg);
void api_query_range(const httpd_request *req, httpd_response *resp, void *arg);
void api_format_query(const httpd_request *req, httpd_response *resp, void *arg);
void api_series(const httpd_request *req, httpd_response *resp, void *arg);
void api_labels(const httpd_request *req, httpd_response *resp, void *arg);
void api_label_values(const httpd_request *req, httpd_response *resp, void *arg);
void api_exemplars(const httpd_request *req, httpd_response *resp, void *arg);
void api_buildinfo(const httpd_request *req, httpd_response *resp, void *arg);
void api_runtimeinfo(const httpd_request *req, httpd_response *resp, void *arg);
void api_flags(const httpd_request *req, httpd_response *resp, void *arg);
void api_tsdb_status(const httpd_request *req, httpd_response *resp, void *arg);
void api_delete_series(const httpd_request *req, httpd_response *resp, void *arg);
void api_clean_tombstones(const httpd_request *req, httpd_response *resp, void *arg);
void api_write(const httpd_request *req, httpd_response *resp, void *arg);

#endif
