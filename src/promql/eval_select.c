/* eval_select — vector and matrix selectors: each selected series' samples
 * are read from the tsdb once for the whole query span, then an instant
 * selector picks per step the newest sample within the lookback window
 * (none when it is a staleness marker), and a matrix selector keeps every
 * non-stale sample for the functions to slide their windows over. */
#include <stdlib.h>
#include <string.h>

#include "promql/eval.h"

int promql_matcher_compile(const promql_matcher *m, tsdb_matcher **out,
                           heron_err *err)
{
    tsdb_match_type t = m->type == PROMQL_MATCH_NOT_EQUAL ? TSDB_MATCH_NEQ
                        : m->type == PROMQL_MATCH_REGEX   ? TSDB_MATCH_RE
                        : m->type == PROMQL_MATCH_NOT_REGEX ? TSDB_MATCH_NRE
                                                            : TSDB_MATCH_EQ;
    return tsdb_matcher_new(t, m->name, m->value, out, err);
}

/* Each step's evaluation time after @ and offset, from the query arena,
 * with their minimum and maximum; NULL when out of memory. */
static int64_t *step_times(ev_ctx *c, const promql_modifiers *mod,
                           int64_t *lo, int64_t *hi)
{
    size_t nst = c->nsteps;
    int64_t *t = ev_alloc(c, (nst ? nst : 1) * sizeof *t);
    if (!t)
        return NULL;
    *lo = INT64_MAX;
    *hi = INT64_MIN;
    for (size_t i = 0; i < nst; i++) {
        t[i] = ev_sub(ev_at_time(c, mod, i), mod->offset_ms);
        if (t[i] < *lo)
            *lo = t[i];
        if (t[i] > *hi)
            *hi = t[i];
    }
    return t;
}

/* Room for n more samples. */
static int scratch_reserve(ev_samples *b, size_t n)
{
    if (b->n + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n)
        cap *= 2;
    tsdb_sample *s = realloc(b->s, cap * sizeof *s);
    if (!s)
        return HERON_ENOMEM;
    b->s = s;
    b->cap = cap;
    return 0;
}

/* Appends n samples, without staleness markers for a range selector.
 * Markers are NaNs: the copy notes whether it met any NaN, and only then
 * (rarely) is the batch filtered in place. */
static void scratch_append(ev_samples *b, const int64_t *ts, const double *vs,
                           size_t n, int is_range)
{
    tsdb_sample *o = b->s + b->n;
    int any_nan = 0;
    for (size_t k = 0; k < n; k++) {
        o[k].t = ts[k];
        o[k].v = vs[k];
        any_nan |= vs[k] != vs[k];
    }
    size_t m = n;
    if (is_range && any_nan) {
        m = 0;
        for (size_t k = 0; k < n; k++)
            if (!tsdb_is_stale_nan(o[k].v))
                o[m++] = o[k];
    }
    b->n += m;
}

static int copy_labels(ev_ctx *c, const tsdb_label *src, size_t n,
                       tsdb_label **out)
{
    tsdb_label *ls = ev_alloc(c, (n ? n : 1) * sizeof *ls);
    if (!ls)
        return HERON_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        ls[i].name = promql_arena_strndup(c->arena, src[i].name,
                                          strlen(src[i].name));
        ls[i].value = promql_arena_strndup(c->arena, src[i].value,
                                           strlen(src[i].value));
        if (!ls[i].name || !ls[i].value)
            return ev_nomem(c);
    }
    *out = ls;
    return 0;
}

/* Fills the instant series s from samples: per step the newest sample in
 * [T - lookback, T], as value or (want_ts) as its timestamp in seconds. */
static void pick_instant(ev_ctx *c, const int64_t *tref, const tsdb_sample *sm,
                         size_t n, int want_ts, ev_series *s)
{
    size_t j = 0; /* first sample with t > T, steps are non-decreasing
                     except under @, where all are equal */
    for (size_t i = 0; i < c->nsteps; i++) {
        int64_t T = tref[i];
        if (i && T < tref[i - 1])
            j = 0;
        while (j < n && sm[j].t <= T)
            j++;
        if (j == 0)
            continue;
        const tsdb_sample *p = &sm[j - 1];
        if (p->t < ev_sub(T, c->lookback_ms) || tsdb_is_stale_nan(p->v))
            continue;
        s->ok[i] = 1;
        s->v[i] = want_ts ? (double)p->t / 1000.0 : p->v;
    }
}

/* The series' samples from mint on, a chunk's worth at a time. */
static int read_series(ev_ctx *c, tsdb_series_set *set, int64_t mint,
                       ev_samples *b, int is_range)
{
    tsdb_iterator *it = tsdb_series_set_iterator(set);
    int r = tsdb_iterator_seek(it, mint);
    b->n = 0;
    if (r == 1) { /* the iterator stands on the first sample */
        int64_t t;
        double v;
        tsdb_iterator_at(it, &t, &v);
        if (scratch_reserve(b, 1))
            return ev_nomem(c);
        scratch_append(b, &t, &v, 1, is_range);
        const int64_t *ts;
        const double *vs;
        while ((r = tsdb_iterator_next_batch(it, &ts, &vs)) > 0) {
            if (scratch_reserve(b, (size_t)r))
                return ev_nomem(c);
            scratch_append(b, ts, vs, (size_t)r, is_range);
        }
    }
    if (r < 0)
        return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EIO,
                       "error reading series: %s",
                       tsdb_series_set_err(set)->msg);
    return 0;
}

int ev_sel_open(ev_ctx *c, const promql_node *vs, int64_t range_ms, ev_sel *s)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->is_range = range_ms != 0;
    int64_t lo, hi;
    if (!(s->tref = step_times(c, &vs->u.vs.mod, &lo, &hi)))
        return HERON_ENOMEM;
    s->mint = ev_sub(lo, range_ms ? range_ms : c->lookback_ms);
    if (c->nsteps == 0)
        return 0;
    size_t nm = vs->u.vs.nmatchers;
    if (!(s->ms = calloc(nm ? nm : 1, sizeof *s->ms)))
        return ev_nomem(c);
    s->nm = nm;
    heron_err terr = {0};
    for (size_t i = 0; i < nm; i++)
        if (promql_matcher_compile(&vs->u.vs.matchers[i], &s->ms[i], &terr))
            return ev_fail(c, PROMQL_ERR_BAD_DATA, HERON_EINVAL, "%s", terr.msg);
    if (tsdb_querier_new(c->db, s->mint, hi, &s->q, &terr) ||
        tsdb_querier_select(s->q, (const tsdb_matcher *const *)s->ms, nm, &s->set, &terr))
        return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EIO, "%s", terr.msg);
    return 0;
}

int ev_sel_next(ev_sel *s, ev_samples *b, tsdb_label **ls, size_t *nls)
{
    ev_ctx *c = s->c;
    int rc;
    while (s->set) {
        int r = tsdb_series_set_next(s->set);
        if (r < 0)
            return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EIO, "%s",
                           tsdb_series_set_err(s->set)->msg);
        if (r == 0)
            break;
        if ((rc = read_series(c, s->set, s->mint, b, s->is_range)))
            return rc;
        c->loaded += b->n;
        if (b->n == 0)
            continue;
        const tsdb_label *src = tsdb_series_set_labels(s->set, nls);
        if ((rc = copy_labels(c, src, *nls, ls)))
            return rc;
        return 1;
    }
    return 0;
}

void ev_sel_close(ev_sel *s)
{
    tsdb_series_set_free(s->set);
    tsdb_querier_free(s->q);
    for (size_t i = 0; i < s->nm; i++)
        tsdb_matcher_free(s->ms[i]);
    free(s->ms);
}

/* Reads the selected series once; fills out, or hands each series of a
 * matrix selector to fn when fn is set. */
static int select_series(ev_ctx *c, const promql_node *vs, int64_t range_ms,
                         int want_ts, ev_value *out, ev_series_fn fn, void *arg)
{
    memset(out, 0, sizeof *out);
    out->type = range_ms ? PROMQL_TYPE_MATRIX : PROMQL_TYPE_VECTOR;
    out->range_ms = range_ms;
    ev_sel sel;
    ev_samples b = {0};
    int rc = ev_sel_open(c, vs, range_ms, &sel);
    const int64_t *tref = out->wend = sel.tref;
    size_t cap = 0;
    tsdb_label *ls;
    size_t nls;
    while (!rc && (rc = ev_sel_next(&sel, &b, &ls, &nls)) == 1) {
        rc = 0;
        if (fn) {
            ev_rseries rs = {ls, nls, b.s, b.n};
            if ((rc = ev_count_samples(c, b.n)) || (rc = fn(arg, &rs, tref)))
                break;
            ev_release_samples(c, b.n); /* the scratch is reused */
            continue;
        }
        if (out->n == cap) {
            cap = cap ? cap * 2 : 16;
            void *grown = ev_alloc(c, cap * (range_ms ? sizeof(ev_rseries)
                                                      : sizeof(ev_series)));
            if (!grown) {
                rc = HERON_ENOMEM;
                break;
            }
            if (range_ms && out->n)
                memcpy(grown, out->ms, out->n * sizeof(ev_rseries));
            else if (out->n)
                memcpy(grown, out->vs, out->n * sizeof(ev_series));
            if (range_ms)
                out->ms = grown;
            else
                out->vs = grown;
        }
        if (range_ms) {
            ev_rseries *rs = &out->ms[out->n];
            rs->ls = ls;
            rs->nls = nls;
            rs->n = b.n;
            rs->s = ev_alloc(c, b.n * sizeof *rs->s);
            if (!rs->s || (rc = ev_count_samples(c, b.n)))
                break;
            memcpy(rs->s, b.s, b.n * sizeof *rs->s);
        } else {
            ev_series *s = &out->vs[out->n];
            s->ls = ls;
            s->nls = nls;
            if ((rc = ev_series_alloc(c, s)) ||
                (rc = ev_count_samples(c, c->nsteps)))
                break;
            pick_instant(c, tref, b.s, b.n, want_ts, s);
        }
        out->n++;
    }
    free(b.s);
    ev_sel_close(&sel);
    return rc;
}

int ev_selector(ev_ctx *c, const promql_node *vs, int64_t range_ms,
                int want_ts, ev_value *out)
{
    return select_series(c, vs, range_ms, want_ts, out, NULL, NULL);
}

int ev_selector_each(ev_ctx *c, const promql_node *vs, int64_t range_ms,
                     ev_series_fn fn, void *arg)
{
    ev_value unused;
    return select_series(c, vs, range_ms, 0, &unused, fn, arg);
}

/* The first multiple of step at or after t, as Prometheus aligns
 * subquery steps (Go's truncating division). */
static int64_t align_up(int64_t t, int64_t step)
{
    int64_t a = step * (t / step);
    return a < t ? a + step : a;
}

int ev_subquery(ev_ctx *c, const promql_node *n, ev_value *out)
{
    const promql_modifiers *mod = &n->u.sq.mod;
    int64_t range = n->u.sq.range_ms;
    int64_t step = n->u.sq.step_ms ? n->u.sq.step_ms : c->subquery_step_ms;
    size_t nst = c->nsteps;
    int64_t lo, hi;
    int64_t *wend = step_times(c, mod, &lo, &hi);
    if (!wend)
        return HERON_ENOMEM;
    int64_t start = align_up(ev_sub(lo, range), step);
    uint64_t span = start > hi ? 0 : (uint64_t)hi - (uint64_t)start;
    size_t ninner = start > hi ? 0 : (size_t)(span / (uint64_t)step) + 1;
    int rc = ev_count_samples(c, ninner); /* also bounds the allocation */
    if (rc)
        return rc;
    int64_t *its = ev_alloc(c, (ninner ? ninner : 1) * sizeof *its);
    if (!its)
        return HERON_ENOMEM;
    for (size_t i = 0; i < ninner; i++)
        its[i] = start + (int64_t)i * step;

    const int64_t *saved_ts = c->ts;
    c->ts = its;
    c->nsteps = ninner;
    ev_value in;
    memset(&in, 0, sizeof in);
    if (ninner) /* no inner step: nothing to evaluate, an empty matrix */
        rc = ev_eval(c, n->u.sq.expr, &in);
    c->ts = saved_ts;
    c->nsteps = nst;
    if (rc)
        return rc;

    memset(out, 0, sizeof *out);
    out->type = PROMQL_TYPE_MATRIX;
    out->range_ms = range;
    out->wend = wend;
    out->ms = ev_alloc(c, (in.n ? in.n : 1) * sizeof *out->ms);
    if (!out->ms)
        return HERON_ENOMEM;
    for (size_t k = 0; k < in.n; k++) {
        const ev_series *s = &in.vs[k];
        size_t cnt = 0;
        for (size_t i = 0; i < ninner; i++)
            cnt += s->ok[i];
        if (!cnt)
            continue;
        ev_rseries *rs = &out->ms[out->n++];
        rs->ls = s->ls;
        rs->nls = s->nls;
        rs->n = 0;
        rs->s = ev_alloc(c, cnt * sizeof *rs->s);
        if (!rs->s)
            return HERON_ENOMEM;
        for (size_t i = 0; i < ninner; i++)
            if (s->ok[i]) {
                rs->s[rs->n].t = its[i];
                rs->s[rs->n++].v = s->v[i];
            }
    }
    return 0;
}
