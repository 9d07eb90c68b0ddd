/*
 * api.c — /api/v1/targets, /api/v1/targets/metadata, /api/v1/metadata and
 * /api/v1/status/config in Prometheus' JSON envelope (see scrape.h),
 * written with core/jsonw. What is reported is copied from the manager
 * under its lock first, so no lock is held while answering.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/jsonw.h"
#include "core/units.h"
#include "scrape/manager.h"

/* ---- envelope ---- */

static void json_labels(jsonw *w, const scrape_lset *ls)
{
    jsonw_object_begin(w);
    for (size_t i = 0; i < ls->n; i++)
        jsonw_kv_string(w, ls->v[i].name, ls->v[i].value);
    jsonw_object_end(w);
}

/* RFC 3339 with milliseconds, UTC, as Go prints a time.Time. */
static void json_time(jsonw *w, int64_t ms)
{
    if (ms == 0) {
        jsonw_string(w, "0001-01-01T00:00:00Z");
        return;
    }
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char t[64];
    size_t n = strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(t + n, sizeof t - n, ".%03dZ", (int)(ms % 1000));
    jsonw_string(w, t);
}

/* Starts {"status":"success","data": ...; the caller writes the data. */
static void reply_begin(httpd_response *resp, jsonw *w)
{
    resp->status = 200;
    resp->content_type = "application/json";
    resp->gzip_ok = 1;
    buf_reset(&resp->body);
    jsonw_init(w, &resp->body);
    jsonw_object_begin(w);
    jsonw_kv_string(w, "status", "success");
    jsonw_key(w, "data");
}

static void reply_end(jsonw *w)
{
    jsonw_object_end(w);
}

static void reply_error(httpd_response *resp, int status, const char *type, const char *msg)
{
    jsonw w;
    resp->content_type = "application/json";
    buf_reset(&resp->body);
    jsonw_init(&w, &resp->body);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "status", "error");
    jsonw_kv_string(&w, "errorType", type);
    jsonw_kv_string(&w, "error", msg);
    jsonw_object_end(&w);
    resp->status = status;
}

/* ---- /api/v1/targets ---- */

/* The scrape URL as seen from elsewhere: a loopback host (localhost,
 * 127.x, [::1]) is replaced by this machine's hostname, as Prometheus does
 * for globalUrl. */
static void global_url(jsonw *w, const char *url)
{
    const char *host = strstr(url, "://");
    if (host == NULL) {
        jsonw_string(w, url);
        return;
    }
    host += 3;
    size_t hlen = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?");
    int loop = (hlen == 9 && strncmp(host, "localhost", 9) == 0) ||
               (hlen == 5 && strncmp(host, "[::1]", 5) == 0) || strncmp(host, "127.", 4) == 0;
    char name[256];
    if (!loop || gethostname(name, sizeof name) != 0) {
        jsonw_string(w, url);
        return;
    }
    name[sizeof name - 1] = '\0';
    buf tmp;
    buf_init(&tmp, 0);
    buf_printf(&tmp, "%.*s%s%s", (int)(host - url), url, name, host + hlen);
    jsonw_string(w, tmp.data ? tmp.data : url);
    buf_free(&tmp);
}

static void write_active(jsonw *w, const scrape_target_info *t)
{
    char iv[32], to[32];
    units_format_duration(t->interval_ms, iv);
    units_format_duration(t->timeout_ms, to);
    jsonw_object_begin(w);
    jsonw_key(w, "discoveredLabels");
    json_labels(w, &t->discovered);
    jsonw_key(w, "labels");
    json_labels(w, &t->labels);
    jsonw_kv_string(w, "scrapePool", t->job);
    jsonw_kv_string(w, "scrapeUrl", t->url);
    jsonw_key(w, "globalUrl");
    global_url(w, t->url);
    jsonw_kv_string(w, "lastError", t->st.last_error);
    jsonw_key(w, "lastScrape");
    json_time(w, t->st.last_scrape_ms);
    jsonw_key(w, "lastScrapeDuration");
    jsonw_number(w, t->st.last_duration_s);
    jsonw_kv_string(w, "health", t->st.health < 0 ? "unknown" : t->st.health ? "up" : "down");
    jsonw_kv_string(w, "scrapeInterval", iv);
    jsonw_kv_string(w, "scrapeTimeout", to);
    jsonw_object_end(w);
}

void scrape_api_targets(const httpd_request *req, httpd_response *resp, void *arg)
{
    scrape_manager *m = arg;
    const char *state = httpd_query(req, "state");
    int want_active = 1, want_dropped = 1;
    if (state && *state) {
        if (strcasecmp(state, "active") == 0)
            want_dropped = 0;
        else if (strcasecmp(state, "dropped") == 0)
            want_active = 0;
        else if (strcasecmp(state, "any") != 0) {
            reply_error(resp, 400, "bad_data", "state must be active, dropped or any");
            return;
        }
    }
    scrape_target_info *ts;
    size_t n;
    heron_err err = {0};
    if (scrape_manager_snapshot(m, &ts, &n, &err) < 0) {
        reply_error(resp, 500, "internal", err.msg);
        return;
    }
    jsonw w;
    reply_begin(resp, &w);
    jsonw_object_begin(&w);
    jsonw_key(&w, "activeTargets");
    jsonw_array_begin(&w);
    for (size_t i = 0; want_active && i < n; i++)
        if (ts[i].active)
            write_active(&w, &ts[i]);
    jsonw_array_end(&w);
    jsonw_key(&w, "droppedTargets");
    jsonw_array_begin(&w);
    for (size_t i = 0; want_dropped && i < n; i++) {
        if (ts[i].active)
            continue;
        jsonw_object_begin(&w);
        jsonw_key(&w, "discoveredLabels");
        json_labels(&w, &ts[i].discovered);
        jsonw_object_end(&w);
    }
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    reply_end(&w);
    scrape_target_infos_free(ts, n);
}

/* ---- /api/v1/targets/metadata ---- */

typedef struct meta_query {
    scrape_lset match; /* target labels that must be equal */
    const char *metric;
    long limit;
    long count;
    jsonw *w;
} meta_query;

/* Parses `{a="b", c="d"}` (equality matchers only) into ls. */
static int parse_match_target(const char *s, scrape_lset *ls)
{
    while (*s == ' ')
        s++;
    if (*s++ != '{')
        return -1;
    for (;;) {
        while (*s == ' ' || *s == ',')
            s++;
        if (*s == '}')
            return s[1] == '\0' ? 0 : -1;
        const char *name = s;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
               (*s >= '0' && *s <= '9'))
            s++;
        size_t nlen = (size_t)(s - name);
        while (*s == ' ')
            s++;
        if (nlen == 0 || *s != '=' || s[1] != '"')
            return -1;
        s += 2;
        char val[1024];
        size_t vlen = 0;
        while (*s && *s != '"' && vlen + 1 < sizeof val) {
            if (*s == '\\' && s[1])
                s++;
            val[vlen++] = *s++;
        }
        if (*s != '"')
            return -1;
        s++;
        if (scrape_lset_setn(ls, name, nlen, val, vlen) < 0)
            return -1;
    }
}

static void meta_one(const scrape_lset *target, const char *name, const char *type,
                     const char *help, const char *unit, void *arg)
{
    meta_query *q = arg;
    if (q->limit >= 0 && q->count >= q->limit)
        return;
    if (q->metric && strcmp(q->metric, name) != 0)
        return;
    for (size_t i = 0; i < q->match.n; i++) {
        const char *v = scrape_lset_get(target, q->match.v[i].name);
        if (v == NULL || strcmp(v, q->match.v[i].value) != 0)
            return;
    }
    q->count++;
    jsonw_object_begin(q->w);
    jsonw_key(q->w, "target");
    json_labels(q->w, target);
    jsonw_kv_string(q->w, "metric", name);
    jsonw_kv_string(q->w, "type", type);
    jsonw_kv_string(q->w, "help", help);
    jsonw_kv_string(q->w, "unit", unit);
    jsonw_object_end(q->w);
}

/* Parses an optional non-negative `limit`; -1 when absent. */
static int parse_limit(const httpd_request *req, long *limit)
{
    const char *lim = httpd_query(req, "limit");
    *limit = -1;
    if (!lim || !*lim)
        return 0;
    char *end;
    *limit = strtol(lim, &end, 10);
    return *end || *limit < 0 ? -1 : 0;
}

void scrape_api_targets_metadata(const httpd_request *req, httpd_response *resp, void *arg)
{
    scrape_manager *m = arg;
    jsonw w;
    meta_query q = {.metric = httpd_query(req, "metric"), .w = &w};
    const char *mt = httpd_query(req, "match_target");
    if (mt && *mt && parse_match_target(mt, &q.match) < 0) {
        scrape_lset_free(&q.match);
        reply_error(resp, 400, "bad_data",
                    "match_target: want a label set like {job=\"node\"} (equality only)");
        return;
    }
    if (parse_limit(req, &q.limit) < 0) {
        scrape_lset_free(&q.match);
        reply_error(resp, 400, "bad_data", "limit must be a non-negative integer");
        return;
    }
    if (q.metric && *q.metric == '\0')
        q.metric = NULL;
    /* Written into the response under the manager's lock: memory only. */
    reply_begin(resp, &w);
    jsonw_array_begin(&w);
    scrape_manager_each_metadata(m, meta_one, &q);
    jsonw_array_end(&w);
    reply_end(&w);
    scrape_lset_free(&q.match);
}

/* ---- /api/v1/metadata ---- */

/* One (metric, type, help, unit) seen on some target. */
typedef struct meta_entry {
    char *name, *type, *help, *unit;
} meta_entry;

typedef struct meta_list {
    meta_entry *v;
    size_t n, cap;
    const char *metric;
    int failed;
} meta_list;

static void meta_collect(const scrape_lset *target, const char *name, const char *type,
                         const char *help, const char *unit, void *arg)
{
    (void)target;
    meta_list *l = arg;
    if (l->failed || (l->metric && strcmp(l->metric, name) != 0))
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        meta_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->failed = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    meta_entry *e = &l->v[l->n];
    e->name = strdup(name);
    e->type = strdup(type);
    e->help = strdup(help);
    e->unit = strdup(unit);
    l->n++;
    if (!e->name || !e->type || !e->help || !e->unit)
        l->failed = 1;
}

static int meta_cmp(const void *pa, const void *pb)
{
    const meta_entry *a = pa, *b = pb;
    int c = strcmp(a->name, b->name);
    if (!c)
        c = strcmp(a->type, b->type);
    if (!c)
        c = strcmp(a->help, b->help);
    return c ? c : strcmp(a->unit, b->unit);
}

static void meta_list_free(meta_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].type);
        free(l->v[i].help);
        free(l->v[i].unit);
    }
    free(l->v);
}

/* Prometheus' /api/v1/metadata: per metric name the distinct (type, help,
 * unit) triples its targets report; `limit` caps the number of metrics. */
void scrape_api_metadata(const httpd_request *req, httpd_response *resp, void *arg)
{
    long limit;
    if (parse_limit(req, &limit) < 0) {
        reply_error(resp, 400, "bad_data", "limit must be a non-negative integer");
        return;
    }
    meta_list l = {.metric = httpd_query(req, "metric")};
    if (l.metric && !*l.metric)
        l.metric = NULL;
    scrape_manager_each_metadata(arg, meta_collect, &l);
    if (l.failed) {
        meta_list_free(&l);
        reply_error(resp, 500, "internal", "out of memory collecting metadata");
        return;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, meta_cmp);
    jsonw w;
    reply_begin(resp, &w);
    jsonw_object_begin(&w);
    long metrics = 0;
    for (size_t i = 0; i < l.n;) {
        if (limit >= 0 && metrics == limit)
            break;
        metrics++;
        jsonw_key(&w, l.v[i].name);
        jsonw_array_begin(&w);
        size_t j = i;
        for (; j < l.n && strcmp(l.v[j].name, l.v[i].name) == 0; j++) {
            if (j > i && meta_cmp(&l.v[j], &l.v[j - 1]) == 0)
                continue; /* the same triple from another target */
            jsonw_object_begin(&w);
            jsonw_kv_string(&w, "type", l.v[j].type);
            jsonw_kv_string(&w, "help", l.v[j].help);
            jsonw_kv_string(&w, "unit", l.v[j].unit);
            jsonw_object_end(&w);
        }
        jsonw_array_end(&w);
        i = j;
    }
    jsonw_object_end(&w);
    reply_end(&w);
    meta_list_free(&l);
}

/* ---- /api/v1/status/config ---- */

void scrape_api_status_config(const httpd_request *req, httpd_response *resp, void *arg)
{
    (void)req;
    char *text = scrape_manager_config_text(arg);
    jsonw w;
    reply_begin(resp, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "yaml", text ? text : "");
    jsonw_object_end(&w);
    reply_end(&w);
    free(text);
}
