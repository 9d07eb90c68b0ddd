/* engine — query entry points: limits (concurrency slots, deadline,
 * samples), parsing, evaluation over the step grid and shaping the result
 * the way Prometheus returns it. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/hclock.h"
#include "promql/engine.h"
#include "promql/eval.h"

struct promql_engine {
    tsdb_db *db;
    promql_engine_opts o;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int active;
    heron_gauge *m_active;
    heron_counter *m_queries, *m_failed, *m_samples;
    heron_histogram *m_duration;
};

static void register_metrics(promql_engine *e, heron_registry *reg)
{
    heron_family *f;
    heron_opts o = {.registry = reg};
    o.name = "heron_engine_queries";
    o.help = "The current number of queries being executed or waiting.";
    if (heron_gauge_new(&o, &f, NULL) == 0)
        e->m_active = heron_gauge_with(f);
    o.name = "heron_engine_queries_total";
    o.help = "Queries evaluated by the PromQL engine.";
    if (heron_counter_new(&o, &f, NULL) == 0)
        e->m_queries = heron_counter_with(f);
    o.name = "heron_engine_query_failures_total";
    o.help = "Queries that ended in an error.";
    if (heron_counter_new(&o, &f, NULL) == 0)
        e->m_failed = heron_counter_with(f);
    o.name = "heron_engine_query_samples_total";
    o.help = "Samples loaded by queries.";
    if (heron_counter_new(&o, &f, NULL) == 0)
        e->m_samples = heron_counter_with(f);
    o.name = "heron_engine_query_duration_seconds";
    o.help = "Query evaluation time, including the wait for a slot.";
    if (heron_histogram_new(&o, NULL, &f, NULL) == 0)
        e->m_duration = heron_histogram_with(f);
}

int promql_engine_new(tsdb_db *db, const promql_engine_opts *opts,
                      promql_engine **out, heron_err *err)
{
    promql_engine *e = calloc(1, sizeof *e);
    if (!e)
        return err_set(err, HERON_ENOMEM, "out of memory creating engine");
    e->db = db;
    if (opts)
        e->o = *opts;
    if (e->o.lookback_ms <= 0)
        e->o.lookback_ms = 5 * 60 * 1000;
    if (e->o.timeout_ms <= 0)
        e->o.timeout_ms = 2 * 60 * 1000;
    if (e->o.subquery_step_ms <= 0)
        e->o.subquery_step_ms = 60 * 1000;
    if (!e->o.max_samples)
        e->o.max_samples = 50000000;
    if (e->o.max_concurrent <= 0)
        e->o.max_concurrent = 20;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    if (e->o.registry)
        register_metrics(e, e->o.registry);
    *out = e;
    return 0;
}

void promql_engine_free(promql_engine *e)
{
    if (!e)
        return;
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
    free(e);
}

void promql_result_free(promql_result *r)
{
    if (r)
        promql_arena_free(&r->arena);
}

/* Waits for a query slot until the deadline (monotonic ns). */
static int slot_acquire(promql_engine *e, uint64_t deadline)
{
    struct timespec now_rt;
    clock_gettime(CLOCK_REALTIME, &now_rt);
    uint64_t now = hclock_mono_ns();
    uint64_t wait = deadline > now ? deadline - now : 0;
    uint64_t abs_ns = (uint64_t)now_rt.tv_sec * 1000000000ull +
                      (uint64_t)now_rt.tv_nsec + wait;
    struct timespec until = {(time_t)(abs_ns / 1000000000ull),
                             (long)(abs_ns % 1000000000ull)};
    int rc = 0;
    pthread_mutex_lock(&e->mu);
    while (e->active >= e->o.max_concurrent && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&e->cv, &e->mu, &until);
    int ok = e->active < e->o.max_concurrent;
    if (ok)
        e->active++;
    pthread_mutex_unlock(&e->mu);
    return ok ? 0 : -1;
}

static void slot_release(promql_engine *e)
{
    pthread_mutex_lock(&e->mu);
    e->active--;
    pthread_cond_signal(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static int cmp_series(const void *x, const void *y)
{
    const promql_rseries *a = x, *b = y;
    return tsdb_labels_cmp(a->labels, a->nlabels, b->labels, b->nlabels);
}

/* Shapes the root value into the result. */
static int shape(ev_ctx *c, const ev_value *v, int range, promql_result *r)
{
    r->type = v->type;
    if (v->type == PROMQL_TYPE_STRING) {
        r->string = v->str;
        return 0;
    }
    if (v->type == PROMQL_TYPE_SCALAR && !range) {
        r->scalar = v->sc[0];
        return 0;
    }
    size_t n = v->type == PROMQL_TYPE_SCALAR ? 1 : v->n;
    r->series = ev_alloc(c, (n ? n : 1) * sizeof *r->series);
    if (!r->series)
        return HERON_ENOMEM;
    if (range)
        r->type = PROMQL_TYPE_MATRIX;
    for (size_t k = 0; k < n; k++) {
        promql_rseries *o = &r->series[r->nseries];
        tsdb_sample *pts;
        size_t np = 0;
        if (v->type == PROMQL_TYPE_MATRIX) { /* instant query of a range */
            const ev_rseries *rs = &v->ms[k];
            int64_t end = v->wend[0], start = ev_sub(end, v->range_ms);
            pts = ev_alloc(c, (rs->n ? rs->n : 1) * sizeof *pts);
            if (!pts)
                return HERON_ENOMEM;
            for (size_t j = 0; j < rs->n; j++)
                if (rs->s[j].t >= start && rs->s[j].t <= end)
                    pts[np++] = rs->s[j];
            o->labels = rs->ls;
            o->nlabels = rs->nls;
        } else {
            pts = ev_alloc(c, c->nsteps * sizeof *pts);
            if (!pts)
                return HERON_ENOMEM;
            for (size_t i = 0; i < c->nsteps; i++) {
                int ok = v->type == PROMQL_TYPE_SCALAR || v->vs[k].ok[i];
                if (!ok)
                    continue;
                pts[np].t = c->ts[i];
                pts[np++].v = v->type == PROMQL_TYPE_SCALAR ? v->sc[i]
                                                           : v->vs[k].v[i];
            }
            o->labels = v->type == PROMQL_TYPE_SCALAR ? NULL : v->vs[k].ls;
            o->nlabels = v->type == PROMQL_TYPE_SCALAR ? 0 : v->vs[k].nls;
        }
        if (!np)
            continue;
        o->points = pts;
        o->npoints = np;
        r->nseries++;
    }
    if (range || v->type == PROMQL_TYPE_MATRIX)
        qsort(r->series, r->nseries, sizeof *r->series, cmp_series);
    return 0;
}

static int run(promql_engine *e, const char *query, int64_t start,
               int64_t end, int64_t step, int range, int64_t timeout_ms,
               promql_result *r, heron_err *err)
{
    memset(r, 0, sizeof *r);
    promql_arena_init(&r->arena, 0);
    heron_timer timer = heron_timer_start();
    if (e->m_queries)
        heron_counter_inc(e->m_queries);
    if (timeout_ms <= 0 || timeout_ms > e->o.timeout_ms)
        timeout_ms = e->o.timeout_ms;
    uint64_t deadline = hclock_mono_ns() + (uint64_t)timeout_ms * 1000000ull;

    char c_msg[sizeof ((ev_ctx *)0)->msg] = "";
    promql_node *root;
    int rc = promql_parse(query, strlen(query), &r->arena, &root, err);
    if (rc) {
        r->errtype = PROMQL_ERR_BAD_DATA;
        goto done;
    }
    if (range && root->type != PROMQL_TYPE_SCALAR &&
        root->type != PROMQL_TYPE_VECTOR) {
        r->errtype = PROMQL_ERR_BAD_DATA;
        rc = err_set(err, HERON_EINVAL,
                     "invalid expression type \"%s\" for range query, must "
                     "be Scalar or instant Vector",
                     promql_type_name(root->type));
        goto done;
    }
    if (e->m_active)
        heron_gauge_inc(e->m_active);
    if (slot_acquire(e, deadline)) {
        r->errtype = PROMQL_ERR_TIMEOUT;
        rc = err_set(err, HERON_ERANGE, "query timed out in query queue");
        if (e->m_active)
            heron_gauge_dec(e->m_active);
        goto done;
    }

    size_t nsteps = (size_t)(((uint64_t)end - (uint64_t)start) / (uint64_t)step) + 1;
    ev_ctx c;
    memset(&c, 0, sizeof c);
    c.db = e->db;
    c.arena = &r->arena;
    c.start_ms = start;
    c.end_ms = end;
    c.lookback_ms = e->o.lookback_ms;
    c.subquery_step_ms = e->o.subquery_step_ms;
    c.deadline_ns = deadline;
    c.max_samples = e->o.max_samples;
    c.err = err;
    int64_t *ts = NULL;
    rc = ev_count_samples(&c, nsteps); /* bounds the step arrays */
    if (!rc && !(ts = ev_alloc(&c, nsteps * sizeof *ts)))
        rc = HERON_ENOMEM;
    if (!rc) {
        for (size_t i = 0; i < nsteps; i++)
            ts[i] = start + (int64_t)i * step;
        c.ts = ts;
        c.nsteps = nsteps;
        ev_value v;
        rc = ev_eval(&c, root, &v);
        if (!rc)
            rc = shape(&c, &v, range, r);
    }
    memcpy(c_msg, c.msg, sizeof c_msg);
    r->t = start;
    r->errtype = rc ? (c.errtype ? c.errtype : PROMQL_ERR_EXECUTION) : 0;
    r->samples = c.loaded;
    slot_release(e);
    if (e->m_active)
        heron_gauge_dec(e->m_active);
    if (e->m_samples)
        heron_counter_add(e->m_samples, (double)c.loaded);
done:
    if (rc) {
        const char *m = c_msg[0] ? c_msg : err ? err->msg : "query failed";
        r->error = promql_arena_strndup(&r->arena, m, strlen(m));
        if (!r->error)
            r->error = "query failed";
    }
    r->peak_bytes = r->arena.used;
    if (rc && e->m_failed)
        heron_counter_inc(e->m_failed);
    if (e->m_duration)
        heron_timer_observe_histogram(&timer, e->m_duration);
    return rc;
}

int promql_engine_instant(promql_engine *e, const char *query, int64_t t,
                          int64_t timeout_ms, promql_result *out,
                          heron_err *err)
{
    return run(e, query, t, t, 1, 0, timeout_ms, out, err);
}

int promql_engine_range(promql_engine *e, const char *query, int64_t start,
                        int64_t end, int64_t step, int64_t timeout_ms,
                        promql_result *out, heron_err *err)
{
    if (step <= 0 || end < start) {
        memset(out, 0, sizeof *out);
        promql_arena_init(&out->arena, 0);
        out->errtype = PROMQL_ERR_BAD_DATA;
        out->error = "invalid range query: step must be positive and end not before start";
        return err_set(err, HERON_EINVAL, "invalid range query: step %lld, "
                       "start %lld, end %lld", (long long)step,
                       (long long)start, (long long)end);
    }
    return run(e, query, start, end, step, 1, timeout_ms, out, err);
}
