/* api_status — /api/v1/status/{buildinfo,runtimeinfo,flags,tsdb}. The
 * tsdb statistics come from one pass over the head's series, counted in a
 * small string table, top 10 of each list as Prometheus reports them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/units.h"
#include "http/api.h"

static const char *const get_only[] = {"GET", NULL};

void api_buildinfo(const httpd_request *req, httpd_response *resp, void *arg)
{
    (void)arg;
    if (!api_method_ok(req, resp, get_only))
        return;
    jsonw w;
    api_reply_begin(resp, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "version", HERON_VERSION);
    jsonw_kv_string(&w, "revision", "");
    jsonw_kv_string(&w, "branch", "");
    jsonw_kv_string(&w, "buildUser", "");
    jsonw_kv_string(&w, "buildDate", "");
    jsonw_kv_string(&w, "goVersion", "");
    jsonw_object_end(&w);
    api_reply_end(resp, &w);
}

static void rfc3339(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + k, n - k, ".%03dZ", (int)(ms % 1000));
}

void api_runtimeinfo(const httpd_request *req, httpd_response *resp, void *arg)
{
    api_server *a = arg;
    if (!api_method_ok(req, resp, get_only))
        return;
    char start[64], cwd[1024];
    rfc3339(a->start_time_ms, start, sizeof start);
    if (!getcwd(cwd, sizeof cwd))
        strcpy(cwd, "");
    tsdb_stats st;
    tsdb_get_stats(a->db, &st);
    jsonw w;
    api_reply_begin(resp, &w);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "startTime", start);
    jsonw_kv_string(&w, "CWD", cwd);
    jsonw_key(&w, "reloadConfigSuccess");
    jsonw_bool(&w, 1);
    jsonw_kv_string(&w, "lastConfigTime", start);
    jsonw_kv_int(&w, "corruptionCount", (int64_t)st.wal_corruptions);
    jsonw_kv_int(&w, "goroutineCount", 0);
    jsonw_kv_int(&w, "GOMAXPROCS", sysconf(_SC_NPROCESSORS_ONLN));
    jsonw_kv_string(&w, "GOGC", "");
    jsonw_kv_string(&w, "GODEBUG", "");
    jsonw_kv_string(&w, "storageRetention", a->retention);
    jsonw_object_end(&w);
    api_reply_end(resp, &w);
}

void api_flags(const httpd_request *req, httpd_response *resp, void *arg)
{
    api_server *a = arg;
    if (!api_method_ok(req, resp, get_only))
        return;
    jsonw w;
    api_reply_begin(resp, &w);
    jsonw_object_begin(&w);
    for (const flag_spec *f = a->flags; f && f->name; f++) {
        char v[64];
        const char *s = v;
        switch (f->kind) {
        case FLAG_STRING:
            s = *(const char **)f->target ? *(const char **)f->target : "";
            break;
        case FLAG_BOOL:
            s = *(int *)f->target ? "true" : "false";
            break;
        case FLAG_DURATION:
            units_format_duration(*(int64_t *)f->target, v);
            break;
        default:
            snprintf(v, sizeof v, "%lld", (long long)*(int64_t *)f->target);
            break;
        }
        jsonw_kv_string(&w, f->name, s);
    }
    jsonw_object_end(&w);
    api_reply_end(resp, &w);
}

/* ---- /api/v1/status/tsdb ------------------------------------------------- */

typedef struct count_entry {
    char *key;
    uint64_t count;
} count_entry;

typedef struct count_table {
    count_entry *e;
    size_t cap, n;
} count_table;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Adds by to key's count; 1 when the key is new, -1 on no memory. */
static int count_add(count_table *t, const char *key, uint64_t by)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        count_entry *e = calloc(cap, sizeof *e);
        if (!e)
            return -1;
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->e[i].key)
                continue;
            size_t j = str_hash(t->e[i].key) & (cap - 1);
            while (e[j].key)
                j = (j + 1) & (cap - 1);
            e[j] = t->e[i];
        }
        free(t->e);
        t->e = e;
        t->cap = cap;
    }
    size_t j = str_hash(key) & (t->cap - 1);
    while (t->e[j].key) {
        if (strcmp(t->e[j].key, key) == 0) {
            t->e[j].count += by;
            return 0;
        }
        j = (j + 1) & (t->cap - 1);
    }
    if (!(t->e[j].key = strdup(key)))
        return -1;
    t->e[j].count = by;
    t->n++;
    return 1;
}

static void count_free(count_table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->e[i].key);
    free(t->e);
}

static int by_count_desc(const void *x, const void *y)
{
    const count_entry *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return strcmp(a->key, b->key);
}

static void write_top(jsonw *w, const char *key, count_table *t)
{
    count_entry *v = malloc((t->n + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < t->cap; i++)
        if (t->e[i].key)
            v[n++] = t->e[i];
    if (n)
        qsort(v, n, sizeof *v, by_count_desc);
    jsonw_key(w, key);
    jsonw_array_begin(w);
    for (size_t i = 0; i < n && i < 10; i++) {
        jsonw_object_begin(w);
        jsonw_kv_string(w, "name", v[i].key);
        jsonw_kv_int(w, "value", (int64_t)v[i].count);
        jsonw_object_end(w);
    }
    jsonw_array_end(w);
    free(v);
}

void api_tsdb_status(const httpd_request *req, httpd_response *resp, void *arg)
{
    api_server *a = arg;
    if (!api_method_ok(req, resp, get_only))
        return;
    tsdb_stats st;
    tsdb_get_stats(a->db, &st);
    count_table names = {0}, pairs = {0}, values = {0}, bytes = {0};
    heron_err err = {0};
    tsdb_matcher *m = NULL;
    tsdb_querier *q = NULL;
    tsdb_series_set *set = NULL;
    int rc = 0, any = st.head_series > 0;
    if (any)
        rc = tsdb_matcher_new(TSDB_MATCH_RE, "__name__", ".+", &m, &err);
    if (any && !rc)
        rc = tsdb_querier_new(a->db, st.head_mint, st.head_maxt, &q, &err);
    if (any && !rc)
        rc = tsdb_querier_select(q, (const tsdb_matcher *const *)&m, 1, &set, &err);
    buf key;
    buf_init(&key, 0);
    while (any && !rc && tsdb_series_set_next(set) > 0) {
        size_t n;
        const tsdb_label *ls = tsdb_series_set_labels(set, &n);
        for (size_t i = 0; i < n && !rc; i++) {
            if (strcmp(ls[i].name, "__name__") == 0 &&
                count_add(&names, ls[i].value, 1) < 0)
                rc = -1;
            buf_reset(&key);
            buf_printf(&key, "%s=%s", ls[i].name, ls[i].value);
            int added = count_add(&pairs, key.data, 1);
            if (added < 0)
                rc = -1;
            if (added == 1 && (count_add(&values, ls[i].name, 1) < 0 ||
                               count_add(&bytes, ls[i].name,
                                         strlen(ls[i].value)) < 0))
                rc = -1;
        }
    }
    buf_free(&key);
    tsdb_series_set_free(set);
    tsdb_querier_free(q);
    tsdb_matcher_free(m);
    if (rc) {
        api_reply_error(resp, API_ERR_INTERNAL, "%s",
                        err.msg[0] ? err.msg : "out of memory");
    } else {
        jsonw w;
        api_reply_begin(resp, &w);
        jsonw_object_begin(&w);
        jsonw_key(&w, "headStats");
        jsonw_object_begin(&w);
        jsonw_kv_int(&w, "numSeries", (int64_t)st.head_series);
        jsonw_kv_int(&w, "numLabelPairs", (int64_t)pairs.n);
        jsonw_kv_int(&w, "chunkCount", (int64_t)st.head_chunks);
        jsonw_kv_int(&w, "minTime", st.head_series ? st.head_mint : 0);
        jsonw_kv_int(&w, "maxTime", st.head_series ? st.head_maxt : 0);
        jsonw_object_end(&w);
        write_top(&w, "seriesCountByMetricName", &names);
        write_top(&w, "labelValueCountByLabelName", &values);
        write_top(&w, "memoryInBytesByLabelName", &bytes);
        write_top(&w, "seriesCountByLabelValuePair", &pairs);
        jsonw_object_end(&w);
        api_reply_end(resp, &w);
    }
    count_free(&names);
    count_free(&pairs);
    count_free(&values);
    count_free(&bytes);
}
