/* api_query — /api/v1/query, /api/v1/query_range and
 * /api/v1/format_query: parameter checks with Prometheus' messages, the
 * engine call and the result as Prometheus' JSON. */
#include <stdlib.h>
#include <string.h>

#include "core/fmt.h"
#include "core/hclock.h"
#include "http/api.h"

static const char *const get_post[] = {"GET", "POST", NULL};

static void write_point(jsonw *w, int64_t t, double v)
{
    jsonw_array_begin(w);
    jsonw_prom_time(w, t);
    jsonw_prom_value(w, v);
    jsonw_array_end(w);
}

/* A range answer's timestamps lie on its steps, shared by every series:
 * each step's text is made once, when first needed. */
typedef struct step_texts {
    int64_t start, step;
    size_t n;
    char (*text)[24]; /* NULL: format every time */
    uint8_t *len;     /* 0: not made yet */
} step_texts;

static void step_texts_init(step_texts *st, int64_t start, int64_t end, int64_t step)
{
    memset(st, 0, sizeof *st);
    if (step <= 0 || end < start)
        return;
    st->start = start;
    st->step = step;
    st->n = (size_t)((end - start) / step) + 1;
    st->text = malloc(st->n * sizeof *st->text);
    st->len = calloc(st->n, 1);
    if (!st->text || !st->len) { /* formatting each time is still right */
        free(st->text);
        free(st->len);
        st->text = NULL;
        st->len = NULL;
    }
}

static void step_texts_free(step_texts *st)
{
    free(st->text);
    free(st->len);
}

/* Writes t as Prometheus does; returns the length. */
static size_t time_text(step_texts *st, char *o, int64_t t)
{
    if (!st || !st->text || t < st->start || (t - st->start) % st->step)
        return jsonw_prom_time_text(o, t);
    size_t i = (size_t)((t - st->start) / st->step);
    if (i >= st->n)
        return jsonw_prom_time_text(o, t);
    if (!st->len[i])
        st->len[i] = (uint8_t)jsonw_prom_time_text(st->text[i], t);
    memcpy(o, st->text[i], st->len[i]);
    return st->len[i];
}

/* A series' points encoded straight into the output: [[t,"v"],...].
 * Matrices are most of a dashboard's answer, so this skips the writer's
 * per-token bookkeeping. */
static void write_points(jsonw *w, step_texts *st, const tsdb_sample *p, size_t n)
{
    buf *out = jsonw_raw_begin(w);
    buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (buf_reserve(out, FMT_FIXED_MAX + 40))
            break;
        char *o = out->data + out->len;
        if (i)
            *o++ = ',';
        *o++ = '[';
        o += time_text(st, o, p[i].t);
        *o++ = ',';
        *o++ = '"';
        o += fmt_double_fixed(o, p[i].v);
        *o++ = '"';
        *o++ = ']';
        out->len = (size_t)(o - out->data);
    }
    buf_putc(out, ']');
}

static void write_result(jsonw *w, step_texts *st, const promql_result *r)
{
    static const char *const names[] = {
        [PROMQL_TYPE_SCALAR] = "scalar", [PROMQL_TYPE_VECTOR] = "vector",
        [PROMQL_TYPE_MATRIX] = "matrix", [PROMQL_TYPE_STRING] = "string"};
    jsonw_object_begin(w);
    jsonw_kv_string(w, "resultType", names[r->type]);
    jsonw_key(w, "result");
    if (r->type == PROMQL_TYPE_SCALAR) {
        write_point(w, r->t, r->scalar);
    } else if (r->type == PROMQL_TYPE_STRING) {
        jsonw_array_begin(w);
        jsonw_prom_time(w, r->t);
        jsonw_string(w, r->string);
        jsonw_array_end(w);
    } else {
        jsonw_array_begin(w);
        for (size_t k = 0; k < r->nseries; k++) {
            const promql_rseries *s = &r->series[k];
            jsonw_object_begin(w);
            jsonw_key(w, "metric");
            api_write_labels(w, s->labels, s->nlabels);
            if (r->type == PROMQL_TYPE_VECTOR) {
                jsonw_key(w, "value");
                write_point(w, s->points[0].t, s->points[0].v);
            } else {
                jsonw_key(w, "values");
                write_points(w, st, s->points, s->npoints);
            }
            jsonw_object_end(w);
        }
        jsonw_array_end(w);
    }
    jsonw_object_end(w);
}

/* Prometheus prefixes a bad instant query with the parameter's name but
 * reports a bad range query as it is. st: a range query's steps, or NULL. */
static void reply_result(httpd_response *resp, int rc, const promql_result *r,
                         const heron_err *err, step_texts *st)
{
    int range = st != NULL;
    if (rc) {
        const char *msg = r->error ? r->error : err->msg;
        switch (r->errtype) {
        case PROMQL_ERR_BAD_DATA:
            api_reply_error(resp, API_ERR_BAD_DATA, "%s%s",
                            range ? "" : "invalid parameter \"query\": ", msg);
            break;
        case PROMQL_ERR_TIMEOUT:
            api_reply_error(resp, API_ERR_TIMEOUT, "%s", msg);
            break;
        case PROMQL_ERR_INTERNAL:
            api_reply_error(resp, API_ERR_INTERNAL, "%s", msg);
            break;
        default:
            api_reply_error(resp, API_ERR_EXECUTION, "%s", msg);
            break;
        }
        return;
    }
    jsonw w;
    api_reply_begin(resp, &w);
    write_result(&w, st, r);
    api_reply_end(resp, &w);
}

/* The optional timeout parameter; 0 when absent. -1 after replying 400. */
static int64_t timeout_param(const api_params *p, httpd_response *resp)
{
    const char *to = api_param(p, "timeout");
    int64_t ms = 0;
    heron_err err = {0};
    if (to && *to && api_parse_duration(to, &ms, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA, "invalid parameter \"timeout\": %s",
                        err.msg);
        return -1;
    }
    return ms;
}

void api_query(const httpd_request *req, httpd_response *resp, void *arg)
{
    api_server *a = arg;
    if (!api_method_ok(req, resp, get_post))
        return;
    api_params p;
    heron_err err = {0};
    if (api_params_open(req, resp, NULL, &p))
        return;
    int64_t t = hclock_wall_ns() / 1000000;
    const char *ts = api_param(&p, "time");
    int64_t timeout;
    if (ts && *ts && api_parse_time(ts, &t, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA,
                        "invalid parameter \"time\": Invalid time value for "
                        "'time': %s", err.msg);
    } else if ((timeout = timeout_param(&p, resp)) >= 0) {
        const char *q = api_param(&p, "query");
        promql_result r;
        int rc = promql_engine_instant(a->engine, q ? q : "", t, timeout, &r, &err);
        reply_result(resp, rc, &r, &err, NULL);
        promql_result_free(&r);
    }
    api_params_free(&p);
}

void api_query_range(const httpd_request *req, httpd_response *resp, void *arg)
{
    api_server *a = arg;
    if (!api_method_ok(req, resp, get_post))
        return;
    api_params p;
    heron_err err = {0};
    if (api_params_open(req, resp, NULL, &p))
        return;
    const char *s = api_param(&p, "start"), *e = api_param(&p, "end");
    const char *st = api_param(&p, "step");
    int64_t start, end, step, timeout;
    if (api_parse_time(s ? s : "", &start, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA, "invalid parameter \"start\": %s", err.msg);
    } else if (api_parse_time(e ? e : "", &end, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA, "invalid parameter \"end\": %s", err.msg);
    } else if (end < start) {
        api_reply_error(resp, API_ERR_BAD_DATA, "invalid parameter \"end\": end "
                        "timestamp must not be before start time");
    } else if (api_parse_duration(st ? st : "", &step, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA, "invalid parameter \"step\": %s", err.msg);
    } else if (step <= 0) {
        api_reply_error(resp, API_ERR_BAD_DATA,
                        "invalid parameter \"step\": zero or negative query "
                        "resolution step widths are not accepted. Try a "
                        "positive integer");
    } else if ((end - start) / step > 11000) {
        api_reply_error(resp, API_ERR_BAD_DATA,
                        "exceeded maximum resolution of 11,000 points per "
                        "timeseries. Try decreasing the query resolution "
                        "(?step=XX)");
    } else if ((timeout = timeout_param(&p, resp)) >= 0) {
        const char *q = api_param(&p, "query");
        promql_result r;
        int rc = promql_engine_range(a->engine, q ? q : "", start, end, step,
                                     timeout, &r, &err);
        step_texts steps;
        step_texts_init(&steps, start, end, step);
        reply_result(resp, rc, &r, &err, &steps);
        step_texts_free(&steps);
        promql_result_free(&r);
    }
    api_params_free(&p);
}

void api_format_query(const httpd_request *req, httpd_response *resp, void *arg)
{
    (void)arg;
    if (!api_method_ok(req, resp, get_post))
        return;
    api_params p;
    heron_err err = {0};
    if (api_params_open(req, resp, NULL, &p))
        return;
    const char *q = api_param(&p, "query");
    if (!q)
        q = "";
    promql_arena arena;
    promql_arena_init(&arena, 64 << 20);
    promql_node *node;
    if (promql_parse(q, strlen(q), &arena, &node, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA, "invalid parameter \"query\": %s",
                        err.msg);
    } else {
        buf text;
        buf_init(&text, 0);
        promql_print(node, &text);
        jsonw w;
        api_reply_begin(resp, &w);
        jsonw_string_n(&w, text.data ? text.data : "", text.len);
        api_reply_end(resp, &w);
        buf_free(&text);
    }
    promql_arena_free(&arena);
    api_params_free(&p);
}
