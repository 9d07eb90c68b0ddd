/* funcs_range — functions over range vectors (rate, increase, delta,
 * irate, idelta, deriv, predict_linear, holt_winters, changes, resets and
 * every *_over_time). One driver slides each series' window over the steps
 * and calls a per-window function; nothing is re-read per step. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "promql/eval.h"

typedef struct win {
    const tsdb_sample *s;
    size_t n;
    int64_t start, end; /* the window's bounds (ms) */
    int64_t ts;         /* the step's evaluation time */
    double p0, p1;      /* scalar arguments at this step */
    const uint32_t *resets; /* rate/increase: resets[i] counts counter
                               resets up to s[i] in the series, or NULL */
    int reset_free;         /* rate/increase: the series has no reset */
    struct div_memo *memo;  /* extrapolate's divisions, kept by the driver */
    ev_ctx *c;
} win;

/* The last quotients of extrapolate's divisions by integer inputs. A
 * regular series' windows repeat the same few millisecond differences
 * and sample counts, and a division's latency is the longest step of a
 * window; a repeated input reuses the quotient it gave (the same bits). */
typedef struct div_memo {
    int64_t ms[4];
    double s[4];
    int64_t avg_ms, avg_n;
    double avg;
} div_memo;

static inline double memo_seconds(div_memo *m, int k, int64_t ms)
{
    if (ms != m->ms[k]) {
        m->ms[k] = ms;
        m->s[k] = (double)ms / 1e3;
    }
    return m->s[k];
}

/* Returns 1 with *out set, 0 for no output, negative on error. */
typedef int (*win_fn)(const win *w, double *out);

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    int an = isnan(a), bn = isnan(b);
    if (an || bn)
        return bn - an; /* NaN sorts first, as Prometheus' heap does */
    return a < b ? -1 : a > b;
}

double ev_quantile(double q, double *v, size_t n)
{
    if (n == 0 || isnan(q))
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    qsort(v, n, sizeof *v, cmp_double);
    double rank = q * (double)(n - 1);
    double lo = floor(rank);
    if (lo < 0)
        lo = 0;
    double hi = lo + 1 > (double)(n - 1) ? (double)(n - 1) : lo + 1;
    double w = rank - floor(rank);
    return v[(size_t)lo] * (1 - w) + v[(size_t)hi] * w;
}

static void kahan_inc(double inc, double *sum, double *comp)
{
    double t = *sum + inc;
    if (fabs(*sum) >= fabs(inc))
        *comp += (*sum - t) + inc;
    else
        *comp += (inc - t) + *sum;
    *sum = t;
}

static void linear_regression(const tsdb_sample *s, size_t n, int64_t at,
                              double *slope, double *intercept)
{
    double sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
    int const_y = 1;
    for (size_t i = 0; i < n; i++) {
        if (const_y && i > 0 && s[i].v != s[0].v)
            const_y = 0;
        double x = (double)(s[i].t - at) / 1e3;
        kahan_inc(x, &sx, &cx);
        kahan_inc(s[i].v, &sy, &cy);
        kahan_inc(x * s[i].v, &sxy, &cxy);
        kahan_inc(x * x, &sx2, &cx2);
    }
    if (const_y) {
        *slope = isinf(s[0].v) ? NAN : 0;
        *intercept = isinf(s[0].v) ? NAN : s[0].v;
        return;
    }
    double dn = (double)n;
    sx += cx;
    sy += cy;
    sxy += cxy;
    sx2 += cx2;
    double cov = sxy - sx * sy / dn, var = sx2 - sx * sx / dn;
    *slope = cov / var;
    *intercept = sy / dn - *slope * sx / dn;
}

/* Forced inline: the driver's loop specialised per function (see
 * range_compute) must get the function's body, not a call. */
#define INLINED static inline __attribute__((always_inline))

/* delta, increase and rate: Prometheus' extrapolation to the window. */
INLINED int extrapolate(const win *w, double *out, int counter, int rate)
{
    if (w->n < 2)
        return 0;
    const tsdb_sample *f = &w->s[0], *l = &w->s[w->n - 1];
    double result = l->v - f->v;
    /* the correction loop only matters when the window holds a reset (or
     * starts below zero); the series' reset counts tell without a loop */
    if (counter && !w->reset_free &&
        (!w->resets || w->resets[w->n - 1] != w->resets[0] || f->v < 0)) {
        double last = 0;
        for (size_t i = 0; i < w->n; i++) {
            if (w->s[i].v < last)
                result += last;
            last = w->s[i].v;
        }
    }
    div_memo *m = w->memo;
    double to_start = memo_seconds(m, 0, f->t - w->start);
    double to_end = memo_seconds(m, 1, w->end - l->t);
    double sampled = memo_seconds(m, 2, l->t - f->t);
    if (l->t - f->t != m->avg_ms || (int64_t)w->n != m->avg_n) {
        m->avg_ms = l->t - f->t;
        m->avg_n = (int64_t)w->n;
        m->avg = sampled / (double)(w->n - 1);
    }
    double avg = m->avg;
    /* to_zero >= sampled when f->v >= result (division and product round
     * monotonically), so it cannot undercut to_start <= sampled: most
     * windows of a long-running counter skip a division here */
    if (counter && result > 0 && f->v >= 0 && !(f->v >= result && sampled >= to_start)) {
        double to_zero = sampled * (f->v / result);
        if (to_zero < to_start)
            to_start = to_zero;
    }
    double thr = avg * 1.1, interval = sampled;
    interval += to_start < thr ? to_start : avg / 2;
    interval += to_end < thr ? to_end : avg / 2;
    double factor = interval / sampled;
    if (rate)
        factor /= memo_seconds(m, 3, w->end - w->start);
    *out = result * factor;
    return 1;
}

INLINED int fn_rate(const win *w, double *o) { return extrapolate(w, o, 1, 1); }
INLINED int fn_increase(const win *w, double *o) { return extrapolate(w, o, 1, 0); }
static int fn_delta(const win *w, double *o) { return extrapolate(w, o, 0, 0); }

static int instant_delta(const win *w, double *out, int rate)
{
    if (w->n < 2)
        return 0;
    const tsdb_sample *l = &w->s[w->n - 1], *p = &w->s[w->n - 2];
    double r = rate && l->v < p->v ? l->v : l->v - p->v;
    if (rate) {
        if (l->t == p->t)
            return 0;
        r /= (double)(l->t - p->t) / 1e3;
    }
    *out = r;
    return 1;
}

static int fn_irate(const win *w, double *o) { return instant_delta(w, o, 1); }
static int fn_idelta(const win *w, double *o) { return instant_delta(w, o, 0); }

static int fn_deriv(const win *w, double *out)
{
    if (w->n < 2)
        return 0;
    double slope, icept;
    linear_regression(w->s, w->n, w->s[0].t, &slope, &icept);
    *out = slope;
    return 1;
}

static int fn_predict_linear(const win *w, double *out)
{
    if (w->n < 2)
        return 0;
    double slope, icept;
    linear_regression(w->s, w->n, w->ts, &slope, &icept);
    *out = icept + slope * w->p0;
    return 1;
}

static int fn_holt_winters(const win *w, double *out)
{
    double sf = w->p0, tf = w->p1;
    if (!(sf > 0 && sf < 1))
        return ev_fail(w->c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                       "invalid smoothing factor. Expected: 0 < sf < 1, got: %f",
                       sf);
    if (!(tf > 0 && tf < 1))
        return ev_fail(w->c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                       "invalid trend factor. Expected: 0 < tf < 1, got: %f", tf);
    if (w->n < 2)
        return 0;
    double s0 = 0, s1 = w->s[0].v, b = w->s[1].v - w->s[0].v;
    for (size_t i = 1; i < w->n; i++) {
        if (i > 1)
            b = tf * (s1 - s0) + (1 - tf) * b;
        double next = sf * w->s[i].v + (1 - sf) * (s1 + b);
        s0 = s1;
        s1 = next;
    }
    *out = s1;
    return 1;
}

static int fn_changes(const win *w, double *out)
{
    double n = 0;
    for (size_t i = 1; i < w->n; i++) {
        double a = w->s[i - 1].v, b = w->s[i].v;
        if (a != b && !(isnan(a) && isnan(b)))
            n++;
    }
    *out = n;
    return w->n > 0;
}

static int fn_resets(const win *w, double *out)
{
    double n = 0;
    for (size_t i = 1; i < w->n; i++)
        if (w->s[i].v < w->s[i - 1].v)
            n++;
    *out = n;
    return w->n > 0;
}

/* When the plain sum of a window stays finite it gives the mean with a
 * few ulps of Prometheus' incremental mean and one division instead of
 * two per sample; infinities, NaN and overflowing sums take Prometheus'
 * incremental formula, whose special cases the conformance tests pin. */
static int fn_avg(const win *w, double *out)
{
    if (!w->n)
        return 0;
    double sum = 0;
    for (size_t i = 0; i < w->n; i++)
        sum += w->s[i].v;
    if (isfinite(sum)) {
        *out = sum / (double)w->n;
        return 1;
    }
    double mean = 0, count = 0;
    for (size_t i = 0; i < w->n; i++) {
        double v = w->s[i].v;
        count++;
        if (isinf(mean)) {
            if (isinf(v) && (mean > 0) == (v > 0))
                continue;
            if (!isinf(v) && !isnan(v))
                continue;
        }
        mean += v / count - mean / count;
    }
    *out = mean;
    return 1;
}

static int fn_count(const win *w, double *out)
{
    *out = (double)w->n;
    return w->n > 0;
}

static int fn_sum(const win *w, double *out)
{
    double s = 0;
    for (size_t i = 0; i < w->n; i++)
        s += w->s[i].v;
    *out = s;
    return w->n > 0;
}

static int fn_max(const win *w, double *out)
{
    if (!w->n)
        return 0;
    double m = w->s[0].v;
    for (size_t i = 1; i < w->n; i++)
        if (w->s[i].v > m || isnan(m))
            m = w->s[i].v;
    *out = m;
    return 1;
}

static int fn_min(const win *w, double *out)
{
    if (!w->n)
        return 0;
    double m = w->s[0].v;
    for (size_t i = 1; i < w->n; i++)
        if (w->s[i].v < m || isnan(m))
            m = w->s[i].v;
    *out = m;
    return 1;
}

static int variance(const win *w, double *out)
{
    if (!w->n)
        return 0;
    double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
    for (size_t i = 0; i < w->n; i++) {
        double v = w->s[i].v;
        count++;
        double d = v - (mean + cmean);
        kahan_inc(d / count, &mean, &cmean);
        kahan_inc(d * (v - (mean + cmean)), &aux, &caux);
    }
    *out = (aux + caux) / count;
    return 1;
}

static int fn_stdvar(const win *w, double *out) { return variance(w, out); }

static int fn_stddev(const win *w, double *out)
{
    int r = variance(w, out);
    *out = sqrt(*out);
    return r;
}

static int fn_quantile(const win *w, double *out)
{
    if (!w->n)
        return 0;
    double *v = ev_alloc(w->c, w->n * sizeof *v);
    if (!v)
        return HERON_ENOMEM;
    for (size_t i = 0; i < w->n; i++)
        v[i] = w->s[i].v;
    *out = ev_quantile(w->p0, v, w->n);
    return 1;
}

static int fn_last(const win *w, double *out)
{
    if (!w->n)
        return 0;
    *out = w->s[w->n - 1].v;
    return 1;
}

static int fn_present(const win *w, double *out)
{
    *out = 1;
    return w->n > 0;
}

typedef struct range_def {
    promql_func_id id;
    win_fn fn;
    int matrix_arg; /* index of the range-vector argument */
} range_def;

static const range_def range_defs[] = {
    {PROMQL_FN_RATE, fn_rate, 0},
    {PROMQL_FN_INCREASE, fn_increase, 0},
    {PROMQL_FN_DELTA, fn_delta, 0},
    {PROMQL_FN_IRATE, fn_irate, 0},
    {PROMQL_FN_IDELTA, fn_idelta, 0},
    {PROMQL_FN_DERIV, fn_deriv, 0},
    {PROMQL_FN_PREDICT_LINEAR, fn_predict_linear, 0},
    {PROMQL_FN_HOLT_WINTERS, fn_holt_winters, 0},
    {PROMQL_FN_CHANGES, fn_changes, 0},
    {PROMQL_FN_RESETS, fn_resets, 0},
    {PROMQL_FN_AVG_OVER_TIME, fn_avg, 0},
    {PROMQL_FN_COUNT_OVER_TIME, fn_count, 0},
    {PROMQL_FN_SUM_OVER_TIME, fn_sum, 0},
    {PROMQL_FN_MAX_OVER_TIME, fn_max, 0},
    {PROMQL_FN_MIN_OVER_TIME, fn_min, 0},
    {PROMQL_FN_STDDEV_OVER_TIME, fn_stddev, 0},
    {PROMQL_FN_STDVAR_OVER_TIME, fn_stdvar, 0},
    {PROMQL_FN_QUANTILE_OVER_TIME, fn_quantile, 1},
    {PROMQL_FN_LAST_OVER_TIME, fn_last, 0},
    {PROMQL_FN_PRESENT_OVER_TIME, fn_present, 0},
};

/* absent_over_time: 1 at the steps where no series has a sample in its
 * window, labelled from the selector's equality matchers. */
static int absent_over_time(ev_ctx *c, const promql_node *n,
                            const ev_value *m, ev_value *out);

/* One range function applied series by series, over a materialised
 * matrix or straight from the storage (range_stream), or turned into rows
 * for an aggregation (ev_call_range_rows). */
typedef struct range_run {
    ev_ctx *c;
    const range_def *d;
    const ev_value *p0, *p1;
    int64_t range_ms;
    int keep_name, counter;
    uint32_t *resets; /* counter functions: reset counts per sample */
    size_t resets_cap;
    double *row_v; /* [nsteps]: one series' values */
    uint8_t *row_ok;
    ev_out o;
    ev_row_fn row_fn; /* rows: where they go */
    void *row_arg;
} range_run;

static const range_def *range_def_of(promql_func_id id)
{
    for (size_t i = 0; i < sizeof range_defs / sizeof *range_defs; i++)
        if (range_defs[i].id == id)
            return &range_defs[i];
    return NULL;
}

static int range_run_init(range_run *r, ev_ctx *c, const promql_node *n,
                          const range_def *d, const ev_value *args,
                          int64_t range_ms, size_t hint)
{
    memset(r, 0, sizeof *r);
    promql_func_id id = n->u.call.func->id;
    r->c = c;
    r->d = d;
    r->p0 = n->u.call.nargs > 1 ? &args[d->matrix_arg ? 0 : 1] : NULL;
    r->p1 = n->u.call.nargs > 2 ? &args[2] : NULL;
    r->range_ms = range_ms;
    r->keep_name = id == PROMQL_FN_LAST_OVER_TIME;
    r->counter = id == PROMQL_FN_RATE || id == PROMQL_FN_INCREASE;
    r->row_v = ev_alloc(c, (c->nsteps ? c->nsteps : 1) * sizeof *r->row_v);
    r->row_ok = ev_alloc(c, c->nsteps ? c->nsteps : 1);
    if (!r->row_v || !r->row_ok)
        return HERON_ENOMEM;
    return ev_out_init(&r->o, c, hint);
}

/* Applies the function to every step's window of the series s[0..n) into
 * v and ok (ok zeroed by the caller), with resets as scratch for n counts.
 * Returns whether any step has a value, or the function's error with
 * *stop set to the failing step (holt_winters checks its factors per step;
 * functions of one argument never fail). Touches no shared state other
 * than through the function's failure, so rows can be computed off the
 * query's thread (eval_rows.c). */
INLINED int range_compute_fn(const range_run *r, win_fn fn, const tsdb_sample *s,
                             size_t n, const int64_t *wend, uint32_t *resets,
                             double *v, uint8_t *ok, size_t *stop)
{
    ev_ctx *c = r->c;
    size_t nsteps = c->nsteps;
    /* counters: a series without a reset (the usual case) needs no
     * per-window check; otherwise a prefix count finds the windows with
     * one */
    int reset_free = 1;
    for (size_t j = 1; r->counter && j < n; j++)
        reset_free &= !(s[j].v < s[j - 1].v);
    if (!reset_free) {
        uint32_t k = 0;
        for (size_t j = 0; j < n; j++) {
            k += j && s[j].v < s[j - 1].v;
            resets[j] = k;
        }
    }
    const double *p0 = r->p0 ? r->p0->sc : NULL, *p1 = r->p1 ? r->p1->sc : NULL;
    int64_t range = r->range_ms;
    win w;
    memset(&w, 0, sizeof w);
    div_memo memo;
    memset(&memo, 0, sizeof memo); /* 0 ms is 0 s; no window has avg_n 0 */
    w.c = c;
    w.memo = &memo;
    w.reset_free = r->counter && reset_free;
    size_t lo = 0, hi = 0;
    int any = 0;
    for (size_t i = 0; i < nsteps; i++) {
        int64_t end = wend[i], start = ev_sub(end, range);
        if (i && end < wend[i - 1])
            lo = hi = 0;
        while (lo < n && s[lo].t < start)
            lo++;
        if (hi < lo)
            hi = lo;
        while (hi < n && s[hi].t <= end)
            hi++;
        w.start = start;
        w.end = end;
        w.s = s + lo;
        w.n = hi - lo;
        w.resets = reset_free ? NULL : resets + lo;
        w.ts = c->ts[i];
        if (p0)
            w.p0 = p0[i];
        if (p1)
            w.p1 = p1[i];
        int got = fn(&w, &v[i]);
        if (got < 0) {
            *stop = i;
            return got;
        }
        ok[i] = (uint8_t)got;
        any |= got;
    }
    *stop = nsteps;
    return any;
}

static int range_compute(const range_run *r, const tsdb_sample *s, size_t n,
                         const int64_t *wend, uint32_t *resets, double *v,
                         uint8_t *ok, size_t *stop)
{
    /* rate and increase get the loop with the function inlined (no call,
     * the window kept in registers) */
    if (r->d->fn == fn_rate)
        return range_compute_fn(r, fn_rate, s, n, wend, resets, v, ok, stop);
    if (r->d->fn == fn_increase)
        return range_compute_fn(r, fn_increase, s, n, wend, resets, v, ok, stop);
    return range_compute_fn(r, r->d->fn, s, n, wend, resets, v, ok, stop);
}

/* A series' values at steps [0, stop) into the output vector, under the
 * labels the function gives it. */
static int range_emit(range_run *r, tsdb_label *ls, size_t nls, const double *v,
                      const uint8_t *ok, size_t stop)
{
    ev_ctx *c = r->c;
    size_t idx = SIZE_MAX;
    int rc;
    for (size_t i = 0; i < stop; i++) {
        if (!ok[i])
            continue;
        if (idx == SIZE_MAX &&
            ((!r->keep_name && ev_labels_drop_name(c, ls, nls, &ls, &nls)) ||
             ev_out_series(&r->o, ls, nls, &idx)))
            return HERON_ENOMEM;
        if ((rc = ev_out_set(&r->o, idx, i, v[i])))
            return rc;
    }
    return 0;
}

/* range_emit as the sink of a row stream. */
static int range_emit_row(void *arg, tsdb_label *ls, size_t nls, const double *v,
                          const uint8_t *ok)
{
    range_run *r = arg;
    return range_emit(r, ls, nls, v, ok, r->c->nsteps);
}

/* One series of a stream or a matrix into the output vector. */
static int range_series(void *arg, const ev_rseries *rs, const int64_t *wend)
{
    range_run *r = arg;
    ev_ctx *c = r->c;
    int rc;
    if ((rc = ev_check_time(c)))
        return rc;
    if (r->counter && rs->n > r->resets_cap) {
        r->resets_cap = rs->n * 2;
        if (!(r->resets = ev_alloc(c, r->resets_cap * sizeof *r->resets)))
            return HERON_ENOMEM;
    }
    memset(r->row_ok, 0, c->nsteps);
    size_t stop;
    int got = range_compute(r, rs->s, rs->n, wend, r->resets, r->row_v, r->row_ok, &stop);
    /* the steps before a failure first: a duplicate series there is the
     * error Prometheus reports, as it evaluates step by step */
    if (got && (rc = range_emit(r, rs->ls, rs->nls, r->row_v, r->row_ok, stop)))
        return rc;
    return got < 0 ? got : 0;
}

/* ev_row_kernel over range_compute: the functions of ev_call_range_rows
 * take one argument and never fail. */
static int range_kernel(const void *arg, const tsdb_sample *s, size_t n,
                        const int64_t *wend, uint32_t *scratch, double *v,
                        uint8_t *ok)
{
    size_t stop;
    return range_compute(arg, s, n, wend, scratch, v, ok, &stop);
}

/* Hands a series' row to row_fn with the labels its output series would
 * have, counting the samples that series would hold. */
static int range_row(void *arg, tsdb_label *ls, size_t nls, const double *v,
                     const uint8_t *ok)
{
    range_run *r = arg;
    ev_ctx *c = r->c;
    int rc;
    if (!r->keep_name && ev_labels_drop_name(c, ls, nls, &ls, &nls))
        return HERON_ENOMEM;
    if ((rc = ev_count_samples(c, c->nsteps)))
        return rc;
    return r->row_fn(r->row_arg, ls, nls, v, ok);
}

int ev_call_range(ev_ctx *c, const promql_node *n, const ev_value *args,
                  ev_value *out)
{
    promql_func_id id = n->u.call.func->id;
    if (id == PROMQL_FN_ABSENT_OVER_TIME)
        return absent_over_time(c, n, &args[0], out);
    const range_def *d = range_def_of(id);
    if (!d)
        return 0;
    const ev_value *m = &args[d->matrix_arg];
    range_run r;
    if (range_run_init(&r, c, n, d, args, m->range_ms, m->n))
        return HERON_ENOMEM;
    for (size_t k = 0; k < m->n; k++) {
        int rc = range_series(&r, &m->ms[k], m->wend);
        if (rc)
            return rc;
    }
    ev_out_value(&r.o, out);
    return 1;
}

int ev_call_range_stream(ev_ctx *c, const promql_node *n, const ev_value *args,
                         ev_value *out)
{
    const range_def *d = range_def_of(n->u.call.func->id);
    if (!d || n->u.call.args[d->matrix_arg]->kind != PROMQL_MATRIX_SELECTOR)
        return 0;
    const promql_node *ms = n->u.call.args[d->matrix_arg];
    range_run r;
    if (range_run_init(&r, c, n, d, args, ms->u.ms.range_ms, 64))
        return HERON_ENOMEM;
    /* functions of one argument never fail, so rows computed ahead on two
     * threads give the same answer and errors */
    int rc = n->u.call.nargs == 1
                 ? ev_selector_rows(c, ms->u.ms.vs, ms->u.ms.range_ms, range_kernel, &r,
                                    range_emit_row, &r)
                 : ev_selector_each(c, ms->u.ms.vs, ms->u.ms.range_ms, range_series, &r);
    if (rc)
        return rc;
    ev_out_value(&r.o, out);
    return 1;
}

/* Whether the selector matches one metric name, so that dropping the name
 * leaves the selected label sets distinct. */
static int selects_one_name(const promql_node *vs)
{
    for (size_t i = 0; i < vs->u.vs.nmatchers; i++) {
        const promql_matcher *m = &vs->u.vs.matchers[i];
        if (m->type == PROMQL_MATCH_EQUAL && strcmp(m->name, "__name__") == 0)
            return 1;
    }
    return 0;
}

int ev_call_range_rows(ev_ctx *c, const promql_node *n, ev_row_fn fn, void *arg)
{
    promql_func_id id = n->u.call.func->id;
    const range_def *d = range_def_of(id);
    if (!d || n->u.call.nargs != 1 || n->u.call.args[0]->kind != PROMQL_MATRIX_SELECTOR)
        return 0;
    const promql_node *ms = n->u.call.args[0];
    if (id != PROMQL_FN_LAST_OVER_TIME && !selects_one_name(ms->u.ms.vs))
        return 0;
    range_run r;
    if (range_run_init(&r, c, n, d, NULL, ms->u.ms.range_ms, 1))
        return HERON_ENOMEM;
    r.row_fn = fn;
    r.row_arg = arg;
    int rc = ev_selector_rows(c, ms->u.ms.vs, ms->u.ms.range_ms, range_kernel, &r,
                              range_row, &r);
    return rc ? rc : 1;
}

static int absent_over_time(ev_ctx *c, const promql_node *n,
                            const ev_value *m, ev_value *out)
{
    tsdb_label *ls;
    size_t nls, idx;
    ev_out o;
    if (ev_absent_labels(c, n->u.call.args[0], &ls, &nls) ||
        ev_out_init(&o, c, 1))
        return HERON_ENOMEM;
    size_t *lo = ev_calloc(c, (m->n + 1) * sizeof *lo);
    if (!lo)
        return HERON_ENOMEM;
    int made = 0;
    for (size_t i = 0; i < c->nsteps; i++) {
        int64_t end = m->wend[i], start = ev_sub(end, m->range_ms);
        int any = 0;
        for (size_t k = 0; k < m->n && !any; k++) {
            const ev_rseries *rs = &m->ms[k];
            if (i && end < m->wend[i - 1])
                lo[k] = 0;
            while (lo[k] < rs->n && rs->s[lo[k]].t < start)
                lo[k]++;
            any = lo[k] < rs->n && rs->s[lo[k]].t <= end;
        }
        if (any)
            continue;
        if (!made && ev_out_series(&o, ls, nls, &idx))
            return HERON_ENOMEM;
        made = 1;
        ev_out_set(&o, idx, i, 1);
    }
    ev_out_value(&o, out);
    return 1;
}
