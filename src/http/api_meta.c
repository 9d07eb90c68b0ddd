/* api_meta — /api/v1/series, /api/v1/labels, /api/v1/label/<name>/values
 * and /api/v1/query_exemplars (heron keeps no exemplars yet, so it answers
 * empty as Prometheus does for an empty store). /api/v1/metadata comes from
 * the scrape manager (src/scrape/api.c). */
#include <stdlib.h>
#include <string.h>

#include "core/promnames.h"
#include "core/err.h"
#include "http/api.h"

#define API_MAX_MATCH 256

static const char *const get_post[] = {"GET", "POST", NULL};

/* What the three listing handlers read: params, range and match[] sets. */
typedef struct listing {
    api_params p;
    int64_t start, end;
    api_matchers m;
} listing;

/* 0 when ready; otherwise the reply is written. */
static int listing_read(const httpd_request *req, httpd_response *resp,
                        int need_match, listing *l)
{
    heron_err err = {0};
    memset(l, 0, sizeof *l);
    if (!api_method_ok(req, resp, get_post))
        return -1;
    if (api_params_open(req, resp, "error parsing form values", &l->p))
        return -1;
    const char *sel[API_MAX_MATCH];
    size_t nsel = api_param_all(&l->p, "match[]", sel, API_MAX_MATCH);
    const char *s = api_param(&l->p, "start"), *e = api_param(&l->p, "end");
    l->start = API_MIN_TIME;
    l->end = API_MAX_TIME;
    int bad = 1;
    if (need_match && nsel == 0)
        api_reply_error(resp, API_ERR_BAD_DATA, "no match[] parameter provided");
    else if (nsel > API_MAX_MATCH)
        api_reply_error(resp, API_ERR_BAD_DATA, "too many match[] parameters (max %d)",
                        API_MAX_MATCH);
    else if (s && *s && api_parse_time(s, &l->start, &err))
        api_reply_error(resp, API_ERR_BAD_DATA,
                        "invalid parameter \"start\": Invalid time value for "
                        "'start': %s", err.msg);
    else if (e && *e && api_parse_time(e, &l->end, &err))
        api_reply_error(resp, API_ERR_BAD_DATA,
                        "invalid parameter \"end\": Invalid time value for "
                        "'end': %s", err.msg);
    else if (api_matchers_parse(sel, nsel, &l->m, resp) == 0)
        bad = 0;
    if (bad)
        api_params_free(&l->p);
    return bad ? -1 : 0;
}

static void listing_free(listing *l)
{
    api_matchers_free(&l->m);
    api_params_free(&l->p);
}

/* ---- /api/v1/series ------------------------------------------------------ */

typedef struct series_item {
    tsdb_label *ls;
    size_t n;
} series_item;

typedef struct series_list {
    series_item *v;
    size_t count, cap;
} series_list;

static int series_add(series_list *sl, const tsdb_label *src, size_t n)
{
    if (sl->count == sl->cap) {
        size_t cap = sl->cap ? sl->cap * 2 : 64;
        series_item *v = realloc(sl->v, cap * sizeof *v);
        if (!v)
            return -1;
        sl->v = v;
        sl->cap = cap;
    }
    tsdb_label *copy = calloc(n ? n : 1, sizeof *copy);
    if (!copy)
        return -1;
    sl->v[sl->count].ls = copy;
    sl->v[sl->count++].n = n;
    for (size_t i = 0; i < n; i++) {
        copy[i].name = strdup(src[i].name);
        copy[i].value = strdup(src[i].value);
        if (!copy[i].name || !copy[i].value)
            return -1;
    }
    return 0;
}

static void series_free(series_list *sl)
{
    for (size_t i = 0; i < sl->count; i++) {
        for (size_t j = 0; j < sl->v[i].n; j++) {
            free((char *)sl->v[i].ls[j].name);
            free((char *)sl->v[i].ls[j].value);
        }
        free(sl->v[i].ls);
    }
    free(sl->v);
}

static int series_cmp(const void *x, const void *y)
{
    const series_item *a = x, *b = y;
    return tsdb_labels_cmp(a->ls, a->n, b->ls, b->n);
}

/* Appends the series of one matcher set to sl. */
static int select_into(tsdb_querier *q, tsdb_matcher **ms, size_t n,
                       series_list *sl, heron_err *err)
{
    tsdb_series_set *set;
    int rc = tsdb_querier_select(q, (const tsdb_matcher *const *)ms, n, &set, err);
    if (rc)
        return rc;
    int r;
    while ((r = tsdb_series_set_next(set)) > 0) {
        size_t nl;
        const tsdb_label *ls = tsdb_series_set_labels(set, &nl);
        if (series_add(sl, ls, nl)) {
            rc = err_set(err, HERON_ENOMEM, "out of memory listing series");
            break;
        }
    }
    if (r < 0 && !rc) {
        *err = *tsdb_series_set_err(set);
        rc = HERON_EIO;
    }
    tsdb_series_set_free(set);
    return rc;
}

void api_series(const httpd_request *req, httpd_response *resp, void *arg)
{
    api_server *a = arg;
    listing l;
    if (listing_read(req, resp, 1, &l))
        return;
    heron_err err = {0};
    tsdb_querier *q = NULL;
    series_list sl = {0};
    int rc = tsdb_querier_new(a->db, l.start, l.end, &q, &err);
    for (size_t i = 0; !rc && i < l.m.nsets; i++)
        rc = select_into(q, l.m.sets[i], l.m.lens[i], &sl, &err);
    tsdb_querier_free(q);
    if (rc) {
        api_reply_error(resp, API_ERR_INTERNAL, "%s", err.msg);
    } else {
        if (sl.count)
            qsort(sl.v, sl.count, sizeof *sl.v, series_cmp);
        jsonw w;
        api_reply_begin(resp, &w);
        jsonw_array_begin(&w);
        for (size_t i = 0; i < sl.count; i++) {
            if (i && series_cmp(&sl.v[i], &sl.v[i - 1]) == 0)
                continue;
            api_write_labels(&w, sl.v[i].ls, sl.v[i].n);
        }
        jsonw_array_end(&w);
        api_reply_end(resp, &w);
    }
    series_free(&sl);
    listing_free(&l);
}

/* ---- /api/v1/labels and /api/v1/label/<name>/values ---------------------- */

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* Writes the sorted union of the string lists as a JSON array. */
static void reply_strings(httpd_response *resp, tsdb_strings *lists, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += lists[i].n;
    char **all = malloc((total + 1) * sizeof *all);
    if (!all) {
        api_reply_error(resp, API_ERR_INTERNAL, "out of memory");
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < lists[i].n; j++)
            all[k++] = lists[i].v[j];
    if (k)
        qsort(all, k, sizeof *all, cmp_str);
    jsonw w;
    api_reply_begin(resp, &w);
    jsonw_array_begin(&w);
    for (size_t i = 0; i < k; i++)
        if (i == 0 || strcmp(all[i], all[i - 1]) != 0)
            jsonw_string(&w, all[i]);
    jsonw_array_end(&w);
    api_reply_end(resp, &w);
    free(all);
}

/* Label names (name == NULL) or one label's values, over every match[]
 * set or all series. */
static void list_labels(const httpd_request *req, httpd_response *resp,
                        api_server *a, const char *name)
{
    listing l;
    if (listing_read(req, resp, 0, &l))
        return;
    heron_err err = {0};
    tsdb_querier *q = NULL;
    size_t nl = l.m.nsets ? l.m.nsets : 1;
    tsdb_strings *lists = calloc(nl, sizeof *lists);
    int rc = lists ? tsdb_querier_new(a->db, l.start, l.end, &q, &err)
                   : err_set(&err, HERON_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nl; i++) {
        const tsdb_matcher *const *ms =
            l.m.nsets ? (const tsdb_matcher *const *)l.m.sets[i] : NULL;
        size_t n = l.m.nsets ? l.m.lens[i] : 0;
        rc = name ? tsdb_querier_label_values(q, name, ms, n, &lists[i], &err)
                  : tsdb_querier_label_names(q, ms, n, &lists[i], &err);
    }
    tsdb_querier_free(q);
    if (rc)
        api_reply_error(resp, API_ERR_INTERNAL, "%s", err.msg);
    else
        reply_strings(resp, lists, nl);
    for (size_t i = 0; lists && i < nl; i++)
        tsdb_strings_free(&lists[i]);
    free(lists);
    listing_free(&l);
}

void api_labels(const httpd_request *req, httpd_response *resp, void *arg)
{
    list_labels(req, resp, arg, NULL);
}

void api_label_values(const httpd_request *req, httpd_response *resp, void *arg)
{
    static const char prefix[] = "/api/v1/label/", suffix[] = "/values";
    const char *path = httpd_path(req);
    size_t plen = strlen(path), pre = sizeof prefix - 1, suf = sizeof suffix - 1;
    if (plen < pre + suf || strcmp(path + plen - suf, suffix) != 0) {
        httpd_reply_text(resp, 404, "404 page not found\n");
        return;
    }
    size_t nlen = plen - pre - suf;
    char name[256];
    if (!prom_label_name_valid(path + pre, nlen) || nlen >= sizeof name) {
        api_reply_error(resp, API_ERR_BAD_DATA, "invalid label name: \"%.*s\"",
                        (int)(nlen < 200 ? nlen : 200), path + pre);
        return;
    }
    memcpy(name, path + pre, nlen);
    name[nlen] = 0;
    list_labels(req, resp, arg, name);
}

/* ---- metadata and exemplars ------------------------------------------------ */

static int has_selector(const promql_node *n)
{
    switch (n->kind) {
    case PROMQL_VECTOR_SELECTOR:
    case PROMQL_MATRIX_SELECTOR:
        return 1;
    case PROMQL_SUBQUERY:
        return has_selector(n->u.sq.expr);
    case PROMQL_PAREN:
        return has_selector(n->u.paren.expr);
    case PROMQL_UNARY:
        return has_selector(n->u.unary.expr);
    case PROMQL_BINARY:
        return has_selector(n->u.binary.lhs) || has_selector(n->u.binary.rhs);
    case PROMQL_AGGREGATE:
        return has_selector(n->u.agg.expr) || (n->u.agg.param && has_selector(n->u.agg.param));
    case PROMQL_CALL:
        for (size_t i = 0; i < n->u.call.nargs; i++)
            if (has_selector(n->u.call.args[i]))
                return 1;
        return 0;
    default:
        return 0;
    }
}

/* heron keeps no exemplars yet: the parameters are checked as Prometheus
 * checks them and a valid request gets an empty list (204 without a body
 * when the query selects nothing, as Prometheus answers). */
void api_exemplars(const httpd_request *req, httpd_response *resp, void *arg)
{
    (void)arg;
    listing l;
    if (listing_read(req, resp, 0, &l))
        return;
    if (l.end < l.start) {
        api_reply_error(resp, API_ERR_BAD_DATA,
                        "end timestamp must not be before start timestamp");
        listing_free(&l);
        return;
    }
    const char *q = api_param(&l.p, "query");
    promql_arena arena;
    promql_arena_init(&arena, 64 << 20);
    promql_node *node;
    heron_err err = {0};
    if (promql_parse(q ? q : "", q ? strlen(q) : 0, &arena, &node, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA, "%s", err.msg);
    } else if (!has_selector(node)) { /* Prometheus: no data, no content */
        buf_reset(&resp->body);
        resp->status = 204;
    } else {
        jsonw w;
        api_reply_begin(resp, &w);
        jsonw_array_begin(&w);
        jsonw_array_end(&w);
        api_reply_end(resp, &w);
    }
    promql_arena_free(&arena);
    listing_free(&l);
}
