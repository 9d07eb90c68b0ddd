/*
 * scrape_loop.c — one target's scrape results into the tsdb (see
 * scrape_loop.h).
 */
#include "scrape/scrape_loop.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "scrape/smap.h"

/* Series cache entry: one series as written in the target's exposition,
 * in one allocation with its key. The final labels are not kept: the ref
 * stands for them, and in the rare case the tsdb no longer knows the ref
 * (the series was dropped from the head) they are built again from the
 * exposition. */
typedef struct sentry {
    struct sentry *prev, *next;
    size_t klen;
    uint64_t hash;
    tsdb_ref ref;
    uint64_t last_iter; /* the last scrape that had it */
    unsigned char dropped;     /* metric relabeling drops it */
    unsigned char explicit_ts; /* its last sample carried its own timestamp */
    unsigned char in_prev;     /* part of the previous successful scrape */
    char key[];
} sentry;

typedef struct mentry {
    char *name, *help, *unit;
    scrape_mtype type;
} mentry;

enum { REPORT_UP, REPORT_DURATION, REPORT_SCRAPED, REPORT_POST, REPORT_ADDED, NREPORT };
static const char *const report_names[NREPORT] = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added"};

/* Evict cache entries not seen for this many scrapes. */
#define CACHE_KEEP_ITERS 10

struct scrape_loop {
    scrape_loop_opts o;
    scrape_lset target;
    tsdb_appender *app;
    scrape_parser parser;
    smap cache;
    sentry *head;
    /* The entries in the order the last scrape listed them (prev) and the
     * order being built (cur): targets list their series in the same order
     * every time, so the next sample is usually prev[k], found without
     * hashing, with sequential memory access. */
    sentry **prev, **cur;
    size_t nprev, ncur, order_cap;
    uint64_t iter;
    buf scratch;
    scrape_lset report[NREPORT];
    tsdb_ref report_ref[NREPORT];
    int reported; /* report series exist */
    pthread_mutex_t mu; /* guards st and the metadata */
    scrape_loop_status st;
    smap meta;
    mentry **metas;
    size_t nmeta, meta_cap;
};

int scrape_loop_new(const scrape_loop_opts *o, scrape_loop **out, heron_err *err)
{
    scrape_loop *l = calloc(1, sizeof *l);
    if (l == NULL)
        return err_set(err, HERON_ENOMEM, "out of memory");
    l->o = *o;
    l->o.labels = NULL;
    buf_init(&l->scratch, 0);
    pthread_mutex_init(&l->mu, NULL);
    l->st.health = -1;
    int rc = scrape_lset_copy(&l->target, o->labels);
    for (int i = 0; rc == 0 && i < NREPORT; i++) {
        rc = scrape_lset_copy(&l->report[i], o->labels);
        if (rc == 0)
            rc = scrape_lset_set(&l->report[i], "__name__", report_names[i]);
    }
    if (rc < 0) {
        scrape_loop_free(l);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    rc = tsdb_appender_new(o->db, &l->app, err);
    if (rc < 0) {
        scrape_loop_free(l);
        return rc;
    }
    *out = l;
    return 0;
}

static void sentry_free(sentry *s)
{
    free(s);
}

void scrape_loop_free(scrape_loop *l)
{
    if (l == NULL)
        return;
    for (sentry *s = l->head, *n; s; s = n) {
        n = s->next;
        sentry_free(s);
    }
    smap_free(&l->cache);
    for (size_t i = 0; i < l->nmeta; i++) {
        free(l->metas[i]->name);
        free(l->metas[i]->help);
        free(l->metas[i]->unit);
        free(l->metas[i]);
    }
    free(l->metas);
    smap_free(&l->meta);
    free(l->prev);
    free(l->cur);
    for (int i = 0; i < NREPORT; i++)
        scrape_lset_free(&l->report[i]);
    scrape_lset_free(&l->target);
    scrape_parser_free(&l->parser);
    tsdb_appender_free(l->app);
    buf_free(&l->scratch);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/* ---- building a series' labels (cache misses only) ---- */

/* Prometheus' resolveConflictingExposedLabels: an exposed label that a
 * target label overrides is kept as exported_<name> (prefixed again while
 * that name is taken). */
static int rename_conflicts(const scrape_lset *exposed, const scrape_lset *target,
                            scrape_lset *res, heron_err *err)
{
    const tsdb_label *conf[64];
    size_t nconf = 0;
    for (size_t i = 0; i < target->n && nconf < 64; i++)
        if (scrape_lset_get(exposed, target->v[i].name))
            conf[nconf++] = &target->v[i];
    /* Shorter names first, stably. */
    for (size_t i = 1; i < nconf; i++)
        for (size_t k = i; k > 0 && strlen(conf[k - 1]->name) > strlen(conf[k]->name); k--) {
            const tsdb_label *t = conf[k];
            conf[k] = conf[k - 1];
            conf[k - 1] = t;
        }
    char *used[64];
    int rc = 0;
    size_t nused = 0;
    for (size_t i = 0; i < nconf && rc == 0; i++) {
        char *name = strdup(conf[i]->name);
        for (int guard = 0; name && guard < 16; guard++) {
            char *next;
            if (asprintf(&next, "exported_%s", name) < 0)
                next = NULL;
            free(name);
            name = next;
            if (name == NULL)
                break;
            int taken = scrape_lset_get(exposed, name) || scrape_lset_get(target, name);
            for (size_t k = 0; k < nused && !taken; k++)
                taken = strcmp(used[k], name) == 0;
            if (!taken)
                break;
        }
        if (name == NULL || scrape_lset_set(res, name, scrape_lset_get(exposed, conf[i]->name)) < 0) {
            free(name);
            rc = err_set(err, HERON_ENOMEM, "out of memory");
            break;
        }
        used[nused++] = name;
    }
    for (size_t k = 0; k < nused; k++)
        free(used[k]);
    return rc;
}

static int check_limits(const scrape_loop *l, const scrape_lset *ls, heron_err *err)
{
    const char *metric = scrape_lset_get(ls, "__name__");
    if (l->o.label_limit && ls->n > l->o.label_limit)
        return err_set(err, HERON_ERANGE,
                       "label_limit exceeded (metric: %.50s, number of labels: %zu, limit: %llu)",
                       metric, ls->n, (unsigned long long)l->o.label_limit);
    for (size_t i = 0; i < ls->n; i++) {
        size_t nl = strlen(ls->v[i].name), vl = strlen(ls->v[i].value);
        if (l->o.label_name_length_limit && nl > l->o.label_name_length_limit)
            return err_set(err, HERON_ERANGE,
                           "label_name_length_limit exceeded (metric: %.50s, label name: %.50s, "
                           "length: %zu, limit: %llu)",
                           metric, ls->v[i].name, nl,
                           (unsigned long long)l->o.label_name_length_limit);
        if (l->o.label_value_length_limit && vl > l->o.label_value_length_limit)
            return err_set(err, HERON_ERANGE,
                           "label_value_length_limit exceeded (metric: %.50s, label name: %.50s, "
                           "value: \"%.50s\", length: %zu, limit: %llu)",
                           metric, ls->v[i].name, ls->v[i].value, vl,
                           (unsigned long long)l->o.label_value_length_limit);
    }
    return 0;
}

/* The final labels of the current sample; 1 kept, 0 dropped, < 0 error. */
static int build_labels(scrape_loop *l, scrape_lset *res, heron_err *err)
{
    const scrape_parser *p = &l->parser;
    scrape_lset exposed = {0};
    int rc = scrape_lset_setn(&exposed, "__name__", 8, p->name, p->name_len);
    for (size_t i = 0; rc == 0 && i < p->nlabels; i++) {
        const scrape_plabel *pl = &p->labels[i];
        const char *v = pl->value;
        size_t vlen = pl->value_len;
        if (pl->escaped) {
            buf_reset(&l->scratch);
            if (buf_reserve(&l->scratch, vlen + 1) < 0) {
                rc = HERON_ENOMEM;
                break;
            }
            vlen = scrape_unescape(v, vlen, l->scratch.data);
            v = l->scratch.data;
        }
        char name[256];
        if (pl->name_len >= sizeof name) {
            rc = err_set(err, HERON_EINVAL, "label name too long in series %.*s",
                         (int)p->name_len, p->name);
            break;
        }
        memcpy(name, pl->name, pl->name_len);
        name[pl->name_len] = '\0';
        if (scrape_lset_get(&exposed, name) || strcmp(name, "__name__") == 0) {
            rc = err_set(err, HERON_EINVAL, "label name \"%s\" is not unique in series %.*s",
                         name, (int)p->series_len, p->series);
            break;
        }
        rc = scrape_lset_setn(&exposed, name, pl->name_len, v, vlen);
    }
    if (rc == 0)
        rc = scrape_lset_copy(res, &exposed);
    for (size_t i = 0; rc == 0 && i < l->target.n; i++) {
        const tsdb_label *t = &l->target.v[i];
        if (l->o.honor_labels && scrape_lset_get(&exposed, t->name))
            continue;
        rc = scrape_lset_set(res, t->name, t->value);
    }
    if (rc == 0 && !l->o.honor_labels)
        rc = rename_conflicts(&exposed, &l->target, res, err);
    scrape_lset_free(&exposed);
    if (rc == HERON_ENOMEM)
        return err_set(err, HERON_ENOMEM, "out of memory");
    if (rc < 0)
        return rc;
    rc = scrape_relabel_process(l->o.metric_relabel, l->o.nmetric_relabel, res);
    if (rc <= 0)
        return rc < 0 ? err_set(err, HERON_ENOMEM, "out of memory") : 0;
    if (scrape_lset_get(res, "__name__") == NULL)
        return err_set(err, HERON_EINVAL, "missing metric name (__name__ label)");
    rc = check_limits(l, res, err);
    return rc < 0 ? rc : 1;
}

/* A cache miss: builds the series' labels, appends its sample (when the
 * series is kept) and caches it. NULL with err set when the scrape must
 * fail. *appended: 1 when the sample went in, 0 when dropped or refused. */
static sentry *sentry_add(scrape_loop *l, uint64_t hash, int64_t t, int *appended,
                          heron_err *err)
{
    const scrape_parser *p = &l->parser;
    *appended = 0;
    sentry *s = calloc(1, sizeof *s + p->series_len);
    if (s == NULL) {
        err_set(err, HERON_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(s->key, p->series, p->series_len);
    s->klen = p->series_len;
    s->hash = hash;
    scrape_lset ls = {0};
    int rc = build_labels(l, &ls, err);
    if (rc == 1) {
        heron_err aerr = {0};
        int arc = tsdb_append(l->app, &s->ref, ls.v, ls.n, t, p->value, &aerr);
        if (arc == 0)
            *appended = 1;
        else if (arc != HERON_ESTATE && arc != HERON_ERANGE)
            rc = err_set(err, arc, "%s", aerr.msg);
    }
    scrape_lset_free(&ls);
    if (rc < 0 || smap_put(&l->cache, hash, s->key, s->klen, s) < 0) {
        if (rc >= 0)
            err_set(err, HERON_ENOMEM, "out of memory");
        sentry_free(s);
        return NULL;
    }
    s->dropped = rc == 0;
    s->next = l->head;
    if (l->head)
        l->head->prev = s;
    l->head = s;
    return s;
}

/* A cache hit whose ref the tsdb has forgotten: labels again, from the
 * exposition. */
static int append_rebuilt(scrape_loop *l, sentry *s, int64_t t, heron_err *err)
{
    scrape_lset ls = {0};
    int rc = build_labels(l, &ls, err);
    if (rc == 1) {
        heron_err aerr = {0};
        s->ref = 0;
        rc = tsdb_append(l->app, &s->ref, ls.v, ls.n, t, l->parser.value, &aerr);
        if (rc < 0 && rc != HERON_ESTATE && rc != HERON_ERANGE)
            err_set(err, rc, "%s", aerr.msg);
    }
    scrape_lset_free(&ls);
    return rc;
}

static void sentry_evict(scrape_loop *l, sentry *s)
{
    smap_del(&l->cache, s->hash, s->key, s->klen);
    if (s->prev)
        s->prev->next = s->next;
    else
        l->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    sentry_free(s);
}

/* ---- metadata ---- */

static int set_str(char **dst, const char *s, size_t n)
{
    if (*dst && strlen(*dst) == n && memcmp(*dst, s, n) == 0)
        return 0;
    char *d = strndup(s, n);
    if (d == NULL)
        return HERON_ENOMEM;
    free(*dst);
    *dst = d;
    return 0;
}

static void meta_update(scrape_loop *l, int entry)
{
    const scrape_parser *p = &l->parser;
    uint64_t h = smap_hash(p->name, p->name_len);
    mentry *m = smap_get(&l->meta, h, p->name, p->name_len);
    pthread_mutex_lock(&l->mu);
    if (m == NULL) {
        if (l->nmeta == l->meta_cap) {
            size_t cap = l->meta_cap ? l->meta_cap * 2 : 32;
            mentry **nm = realloc(l->metas, cap * sizeof *nm);
            if (nm == NULL)
                goto out;
            l->metas = nm;
            l->meta_cap = cap;
        }
        m = calloc(1, sizeof *m);
        if (m == NULL || (m->name = strndup(p->name, p->name_len)) == NULL ||
            smap_put(&l->meta, h, m->name, p->name_len, m) < 0) {
            if (m)
                free(m->name);
            free(m);
            goto out;
        }
        l->metas[l->nmeta++] = m;
    }
    if (entry == SCRAPE_ENTRY_TYPE) {
        m->type = p->type;
    } else if (entry == SCRAPE_ENTRY_UNIT) {
        set_str(&m->unit, p->text, p->text_len);
    } else if (entry == SCRAPE_ENTRY_HELP) {
        if (!p->text_escaped) {
            set_str(&m->help, p->text, p->text_len);
        } else if (buf_reserve(&l->scratch, p->text_len + 1) == 0) {
            size_t n = scrape_unescape(p->text, p->text_len, l->scratch.data);
            set_str(&m->help, l->scratch.data, n);
        }
    }
out:
    pthread_mutex_unlock(&l->mu);
}

void scrape_loop_each_metadata(scrape_loop *l, scrape_meta_fn fn, void *arg)
{
    pthread_mutex_lock(&l->mu);
    for (size_t i = 0; i < l->nmeta; i++) {
        const mentry *m = l->metas[i];
        fn(m->name, scrape_mtype_name(m->type), m->help ? m->help : "",
           m->unit ? m->unit : "", arg);
    }
    pthread_mutex_unlock(&l->mu);
}

/* ---- scraping ---- */

static void report(scrape_loop *l, int64_t ts, const double vals[NREPORT])
{
    for (int i = 0; i < NREPORT; i++)
        tsdb_append(l->app, &l->report_ref[i], l->report[i].v, l->report[i].n, ts, vals[i],
                    NULL);
    l->reported = 1;
}

/* Appends the samples of the body; 0 or the error that fails the scrape. */
/* Appends s to the order being built; grows both order arrays together,
 * so steady-state scrapes allocate nothing. */
static void order_push(scrape_loop *l, sentry *s)
{
    if (l->ncur == l->order_cap) {
        size_t cap = l->order_cap ? l->order_cap * 2 : 256;
        sentry **a = realloc(l->cur, cap * sizeof *a);
        if (a == NULL)
            return; /* only the fast path suffers */
        l->cur = a;
        sentry **b = realloc(l->prev, cap * sizeof *b);
        if (b == NULL)
            return;
        l->prev = b;
        l->order_cap = cap;
    }
    l->cur[l->ncur++] = s;
}

static int append_body(scrape_loop *l, const char *body, size_t len, scrape_format fmt,
                       int64_t ts, uint64_t counts[3], heron_err *err)
{
    scrape_parser *p = &l->parser;
    uint64_t iter = l->iter;
    scrape_parser_init(p, fmt, body, len);
    l->ncur = 0;
    int e;
    while ((e = scrape_parser_next(p, err)) > 0) {
        if (e != SCRAPE_ENTRY_SAMPLE) {
            meta_update(l, e);
            continue;
        }
        size_t k = (size_t)counts[0]++;
        sentry *s = NULL;
        uint64_t h = 0;
        if (k < l->nprev && l->prev[k]->klen == p->series_len &&
            memcmp(l->prev[k]->key, p->series, p->series_len) == 0) {
            s = l->prev[k];
        } else {
            h = smap_hash(p->series, p->series_len);
            s = smap_get(&l->cache, h, p->series, p->series_len);
        }
        int explicit_ts = l->o.honor_timestamps && p->has_ts;
        int64_t t = explicit_ts ? p->ts : ts;
        if (s == NULL) {
            int appended;
            if ((s = sentry_add(l, h, t, &appended, err)) == NULL)
                return err->code ? err->code : HERON_ENOMEM;
            s->last_iter = iter;
            order_push(l, s);
            if (s->dropped)
                continue;
            counts[1]++;
            counts[2] += (uint64_t)appended;
        } else {
            s->last_iter = iter;
            order_push(l, s);
            if (s->dropped)
                continue;
            counts[1]++;
            int rc = tsdb_append(l->app, &s->ref, NULL, 0, t, p->value, NULL);
            if (rc == HERON_EINVAL)
                rc = append_rebuilt(l, s, t, err);
            if (rc < 0 && rc != HERON_ESTATE && rc != HERON_ERANGE)
                return rc; /* out of order, duplicate, too old, series limit: skipped */
        }
        if (l->o.sample_limit && counts[1] > l->o.sample_limit)
            return err_set(err, HERON_ERANGE, "sample limit exceeded");
        s->explicit_ts = (unsigned char)explicit_ts;
    }
    return e < 0 ? e : 0;
}

int scrape_loop_ingest(scrape_loop *l, const char *body, size_t len, scrape_format fmt,
                       int64_t ts_ms, double duration_s, const char *fetch_error,
                       heron_err *err)
{
    heron_err e = {0};
    uint64_t counts[3] = {0, 0, 0}; /* scraped, post relabeling, series added */
    uint64_t iter = ++l->iter;
    int rc;
    if (body == NULL)
        rc = err_set(&e, HERON_EIO, "%s", fetch_error ? fetch_error : "scrape failed");
    else
        rc = append_body(l, body, len, fmt, ts_ms, counts, &e);
    if (rc < 0)
        tsdb_appender_rollback(l->app);
    int ok = rc == 0;
    /* The order of this scrape is the guess for the next one; on failure
     * the old guess stays until an eviction makes it unsafe. */
    if (ok && body != NULL) {
        sentry **t = l->prev;
        l->prev = l->cur;
        l->cur = t;
        l->nprev = l->ncur;
    }
    l->ncur = 0;
    double stale = tsdb_stale_nan();
    for (sentry *s = l->head, *n; s; s = n) {
        n = s->next;
        int seen = ok && s->last_iter == iter && !s->dropped;
        if (s->in_prev && !seen && !s->explicit_ts)
            tsdb_append(l->app, &s->ref, NULL, 0, ts_ms, stale, NULL);
        s->in_prev = (unsigned char)seen;
        if (s->last_iter + CACHE_KEEP_ITERS < iter) {
            sentry_evict(l, s);
            l->nprev = 0; /* the order may name it: drop the guess */
        }
    }
    double vals[NREPORT] = {ok ? 1 : 0, duration_s, (double)counts[0], (double)counts[1],
                            ok ? (double)counts[2] : 0};
    report(l, ts_ms, vals);
    heron_err cerr = {0};
    if (tsdb_appender_commit(l->app, &cerr) < 0 && ok) {
        rc = err_set(&e, cerr.code, "%s", cerr.msg);
        ok = 0;
    }
    pthread_mutex_lock(&l->mu);
    l->st.health = ok;
    l->st.last_scrape_ms = ts_ms;
    l->st.last_duration_s = duration_s;
    l->st.samples_scraped = counts[0];
    l->st.samples_post_relabel = counts[1];
    l->st.series_added = ok ? counts[2] : 0;
    snprintf(l->st.last_error, sizeof l->st.last_error, "%s", ok ? "" : e.msg);
    pthread_mutex_unlock(&l->mu);
    if (!ok && err)
        *err = e;
    return ok ? 0 : (rc < 0 ? rc : HERON_EIO);
}

void scrape_loop_stop(scrape_loop *l, int64_t ts_ms)
{
    double stale = tsdb_stale_nan();
    for (sentry *s = l->head; s; s = s->next)
        if (s->in_prev && !s->explicit_ts) {
            tsdb_append(l->app, &s->ref, NULL, 0, ts_ms, stale, NULL);
            s->in_prev = 0;
        }
    if (l->reported) {
        double vals[NREPORT];
        for (int i = 0; i < NREPORT; i++)
            vals[i] = stale;
        report(l, ts_ms, vals);
    }
    tsdb_appender_commit(l->app, NULL);
}

void scrape_loop_get_status(scrape_loop *l, scrape_loop_status *out)
{
    pthread_mutex_lock(&l->mu);
    *out = l->st;
    pthread_mutex_unlock(&l->mu);
}
