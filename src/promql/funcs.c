/* funcs — function calls: argument evaluation, then the per-sample math
 * and calendar functions, clamp/round, time/timestamp, scalar/vector,
 * absent, sort; range-vector, label and histogram functions have their own
 * files. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promql/eval.h"

static double go_max(double a, double b)
{
    if (isnan(a) || isnan(b))
        return NAN;
    if (a == 0 && b == 0)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

static double go_min(double a, double b)
{
    if (isnan(a) || isnan(b))
        return NAN;
    if (a == 0 && b == 0)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}

static double sgn(double v)
{
    return v < 0 ? -1 : v > 0 ? 1 : v;
}

static double deg(double v) { return v * 180 / M_PI; }
static double rad(double v) { return v * M_PI / 180; }

typedef double (*math_fn)(double);

static math_fn math_for(promql_func_id id)
{
    switch (id) {
    case PROMQL_FN_ABS: return fabs;
    case PROMQL_FN_CEIL: return ceil;
    case PROMQL_FN_FLOOR: return floor;
    case PROMQL_FN_EXP: return exp;
    case PROMQL_FN_SQRT: return sqrt;
    case PROMQL_FN_LN: return log;
    case PROMQL_FN_LOG2: return log2;
    case PROMQL_FN_LOG10: return log10;
    case PROMQL_FN_SGN: return sgn;
    case PROMQL_FN_DEG: return deg;
    case PROMQL_FN_RAD: return rad;
    case PROMQL_FN_ACOS: return acos;
    case PROMQL_FN_ACOSH: return acosh;
    case PROMQL_FN_ASIN: return asin;
    case PROMQL_FN_ASINH: return asinh;
    case PROMQL_FN_ATAN: return atan;
    case PROMQL_FN_ATANH: return atanh;
    case PROMQL_FN_COS: return cos;
    case PROMQL_FN_COSH: return cosh;
    case PROMQL_FN_SIN: return sin;
    case PROMQL_FN_SINH: return sinh;
    case PROMQL_FN_TAN: return tan;
    case PROMQL_FN_TANH: return tanh;
    default: return NULL;
    }
}

/* Calendar fields of a Unix time in seconds, in UTC, computed exactly as
 * Go's time package does for time.Unix(int64(v), 0) — including its
 * wrapping arithmetic, so NaN and out-of-range values (which Go converts
 * to the minimum int64 on amd64) give Prometheus' answers. */
static int64_t go_int64(double v)
{
    if (isnan(v) || v >= 9223372036854775808.0 || v < -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)v;
}

static int go_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static double calendar(promql_func_id id, double secs)
{
    static const int days_before[] = {0, 31, 59, 90, 120, 151, 181, 212,
                                      243, 273, 304, 334, 365};
    const uint64_t day_s = 86400;
    /* seconds since Go's absolute zero year */
    uint64_t abs = (uint64_t)go_int64(secs) + UINT64_C(9223372028715321600);
    switch (id) {
    case PROMQL_FN_HOUR:
        return (double)((abs % day_s) / 3600);
    case PROMQL_FN_MINUTE:
        return (double)((abs % 3600) / 60);
    case PROMQL_FN_DAY_OF_WEEK:
        return (double)(((abs + day_s) % (7 * day_s)) / day_s);
    default:
        break;
    }
    uint64_t d = abs / day_s, n, y;
    n = d / 146097;
    y = 400 * n;
    d -= 146097 * n;
    n = d / 36524;
    n -= n >> 2;
    y += 100 * n;
    d -= 36524 * n;
    n = d / 1461;
    y += 4 * n;
    d -= 1461 * n;
    n = d / 365;
    n -= n >> 2;
    y += n;
    d -= 365 * n;
    int64_t year = (int64_t)y + INT64_C(-292277022399);
    int yday = (int)d, day = yday, month;
    if (id == PROMQL_FN_YEAR)
        return (double)year;
    if (id == PROMQL_FN_DAY_OF_YEAR)
        return yday + 1;
    if (go_leap(year) && day == 31 + 29 - 1) {
        month = 2;
        day = 29;
    } else {
        if (go_leap(year) && day > 31 + 29 - 1)
            day--;
        month = day / 31;
        int begin = days_before[month];
        if (day >= days_before[month + 1]) {
            begin = days_before[month + 1];
            month++;
        }
        month++;
        day = day - begin + 1;
    }
    switch (id) {
    case PROMQL_FN_DAY_OF_MONTH:
        return day;
    case PROMQL_FN_MONTH:
        return month;
    case PROMQL_FN_DAYS_IN_MONTH:
        return days_before[month] - days_before[month - 1] +
               (month == 2 && go_leap(year));
    default:
        return NAN;
    }
}

static int is_calendar(promql_func_id id)
{
    return id == PROMQL_FN_DAY_OF_MONTH || id == PROMQL_FN_DAY_OF_WEEK ||
           id == PROMQL_FN_DAY_OF_YEAR || id == PROMQL_FN_DAYS_IN_MONTH ||
           id == PROMQL_FN_HOUR || id == PROMQL_FN_MINUTE ||
           id == PROMQL_FN_MONTH || id == PROMQL_FN_YEAR;
}

/* Applies a per-sample function to every series of args[0], dropping the
 * metric name. */
static int per_sample(ev_ctx *c, const promql_node *n, const ev_value *args,
                      int identity, ev_value *out)
{
    promql_func_id id = n->u.call.func->id;
    math_fn f = math_for(id);
    const ev_value *v = &args[0];
    ev_out o;
    if (ev_out_init(&o, c, v->n))
        return HERON_ENOMEM;
    for (size_t k = 0; k < v->n; k++) {
        const ev_series *s = &v->vs[k];
        size_t idx = SIZE_MAX;
        for (size_t i = 0; i < c->nsteps; i++) {
            if (!s->ok[i])
                continue;
            double x = s->v[i], r;
            if (identity) {
                r = x;
            } else if (f) {
                r = f(x);
            } else if (is_calendar(id)) {
                r = calendar(id, x);
            } else if (id == PROMQL_FN_ROUND) {
                double to = n->u.call.nargs > 1 ? args[1].sc[i] : 1;
                double inv = 1.0 / to;
                r = floor(x * inv + 0.5) / inv;
            } else if (id == PROMQL_FN_CLAMP) {
                double lo = args[1].sc[i], hi = args[2].sc[i];
                if (hi < lo)
                    continue;
                r = go_max(lo, go_min(hi, x));
            } else if (id == PROMQL_FN_CLAMP_MAX) {
                r = go_min(x, args[1].sc[i]);
            } else if (id == PROMQL_FN_CLAMP_MIN) {
                r = go_max(x, args[1].sc[i]);
            } else { /* timestamp of a computed vector: the step time */
                r = (double)c->ts[i] / 1000.0;
            }
            int rc;
            if (idx == SIZE_MAX) {
                tsdb_label *ls;
                size_t nls;
                if (ev_labels_drop_name(c, s->ls, s->nls, &ls, &nls) ||
                    ev_out_series(&o, ls, nls, &idx))
                    return HERON_ENOMEM;
            }
            if ((rc = ev_out_set(&o, idx, i, r)))
                return rc;
        }
    }
    ev_out_value(&o, out);
    return 0;
}

/* A vector of one label-less series valued f(step). */
static int single_series(ev_ctx *c, promql_func_id id, const double *sc,
                         ev_value *out)
{
    ev_out o;
    size_t idx;
    if (ev_out_init(&o, c, 1) || ev_out_series(&o, NULL, 0, &idx))
        return HERON_ENOMEM;
    for (size_t i = 0; i < c->nsteps; i++) {
        double t = (double)c->ts[i] / 1000.0;
        ev_out_set(&o, idx, i, id == PROMQL_FN_VECTOR ? sc[i] : calendar(id, t));
    }
    ev_out_value(&o, out);
    return 0;
}

static int scalar_result(ev_ctx *c, promql_func_id id, const ev_value *args,
                         ev_value *out)
{
    memset(out, 0, sizeof *out);
    out->type = PROMQL_TYPE_SCALAR;
    out->sc = ev_alloc(c, (c->nsteps ? c->nsteps : 1) * sizeof(double));
    if (!out->sc)
        return HERON_ENOMEM;
    for (size_t i = 0; i < c->nsteps; i++) {
        if (id == PROMQL_FN_TIME) {
            out->sc[i] = (double)c->ts[i] / 1000.0;
        } else if (id == PROMQL_FN_PI) {
            out->sc[i] = M_PI;
        } else { /* scalar(): the only element's value, else NaN */
            size_t cnt = 0;
            double v = NAN;
            for (size_t k = 0; k < args[0].n && cnt < 2; k++)
                if (args[0].vs[k].ok[i]) {
                    cnt++;
                    v = args[0].vs[k].v[i];
                }
            out->sc[i] = cnt == 1 ? v : NAN;
        }
    }
    return 0;
}

int ev_absent_labels(ev_ctx *c, const promql_node *arg, tsdb_label **ls,
                     size_t *nls)
{
    *ls = NULL;
    *nls = 0;
    while (arg->kind == PROMQL_PAREN)
        arg = arg->u.paren.expr;
    if (arg->kind == PROMQL_MATRIX_SELECTOR)
        arg = arg->u.ms.vs;
    if (arg->kind != PROMQL_VECTOR_SELECTOR)
        return 0;
    size_t nm = arg->u.vs.nmatchers;
    tsdb_label *r = ev_alloc(c, (nm ? nm : 1) * sizeof *r);
    if (!r)
        return HERON_ENOMEM;
    size_t k = 0;
    /* a label set by one equality matcher; any other matcher on the same
     * name removes it, as Prometheus does */
    for (size_t i = 0; i < nm; i++) {
        const promql_matcher *m = &arg->u.vs.matchers[i];
        if (m->type != PROMQL_MATCH_EQUAL || strcmp(m->name, "__name__") == 0)
            continue;
        int other = 0;
        for (size_t j = 0; j < nm; j++)
            if (j != i && strcmp(arg->u.vs.matchers[j].name, m->name) == 0)
                other = 1;
        if (other)
            continue;
        r[k].name = m->name;
        r[k++].value = m->value;
    }
    tsdb_labels_sort(r, k);
    *ls = r;
    *nls = k;
    return 0;
}

static int absent(ev_ctx *c, const promql_node *n, const ev_value *v,
                  ev_value *out)
{
    tsdb_label *ls;
    size_t nls, idx = SIZE_MAX;
    ev_out o;
    if (ev_absent_labels(c, n->u.call.args[0], &ls, &nls) ||
        ev_out_init(&o, c, 1))
        return HERON_ENOMEM;
    for (size_t i = 0; i < c->nsteps; i++) {
        int any = 0;
        for (size_t k = 0; k < v->n && !any; k++)
            any = v->vs[k].ok[i];
        if (any)
            continue;
        if (idx == SIZE_MAX && ev_out_series(&o, ls, nls, &idx))
            return HERON_ENOMEM;
        ev_out_set(&o, idx, i, 1);
    }
    ev_out_value(&o, out);
    return 0;
}

static int sort_cmp(const void *x, const void *y, int asc)
{
    const ev_series *a = x, *b = y;
    int an = !a->ok[0] || isnan(a->v[0]), bn = !b->ok[0] || isnan(b->v[0]);
    if (an || bn)
        return an - bn;
    if (a->v[0] == b->v[0])
        return 0;
    return (a->v[0] < b->v[0]) == asc ? -1 : 1;
}

static int sort_cmp_asc(const void *x, const void *y) { return sort_cmp(x, y, 1); }
static int sort_cmp_desc(const void *x, const void *y) { return sort_cmp(x, y, 0); }

/* sort/sort_desc order an instant result; a range result is sorted by
 * labels anyway. NaN goes last either way, as in Prometheus. */
static int sort_vector(ev_ctx *c, int asc, ev_value *v)
{
    if (c->nsteps != 1 || v->n < 2)
        return 0;
    ev_series *copy = ev_alloc(c, v->n * sizeof *copy);
    if (!copy)
        return HERON_ENOMEM;
    memcpy(copy, v->vs, v->n * sizeof *copy);
    qsort(copy, v->n, sizeof *copy, asc ? sort_cmp_asc : sort_cmp_desc);
    v->vs = copy;
    return 0;
}

int ev_call(ev_ctx *c, const promql_node *n, ev_value *out)
{
    promql_func_id id = n->u.call.func->id;
    size_t na = n->u.call.nargs;
    if (id == PROMQL_FN_TIMESTAMP) {
        const promql_node *a = n->u.call.args[0];
        while (a->kind == PROMQL_PAREN)
            a = a->u.paren.expr;
        if (a->kind == PROMQL_VECTOR_SELECTOR) {
            ev_value v;
            int rc = ev_selector(c, a, 0, 1, &v);
            if (rc)
                return rc;
            return per_sample(c, n, &v, 1, out);
        }
    }
    ev_value *args = ev_calloc(c, (na ? na : 1) * sizeof *args);
    if (!args)
        return HERON_ENOMEM;
    /* a range function over a matrix selector streams its series from
     * storage; the other arguments are evaluated first */
    int stream = 0;
    for (size_t i = 0; i < na; i++)
        if (n->u.call.args[i]->kind == PROMQL_MATRIX_SELECTOR &&
            id != PROMQL_FN_ABSENT_OVER_TIME)
            stream = 1;
    for (size_t i = 0; i < na; i++) {
        if (stream && n->u.call.args[i]->kind == PROMQL_MATRIX_SELECTOR)
            continue;
        int rc = ev_eval(c, n->u.call.args[i], &args[i]);
        if (rc)
            return rc;
    }
    int r = stream ? ev_call_range_stream(c, n, args, out) : ev_call_range(c, n, args, out);
    if (r)
        return r < 0 ? r : 0;
    if (math_for(id) || id == PROMQL_FN_ROUND || id == PROMQL_FN_CLAMP ||
        id == PROMQL_FN_CLAMP_MAX || id == PROMQL_FN_CLAMP_MIN ||
        id == PROMQL_FN_TIMESTAMP || (is_calendar(id) && na == 1))
        return per_sample(c, n, args, 0, out);
    if (is_calendar(id) || id == PROMQL_FN_VECTOR)
        return single_series(c, id, na ? args[0].sc : NULL, out);
    switch (id) {
    case PROMQL_FN_TIME:
    case PROMQL_FN_PI:
    case PROMQL_FN_SCALAR:
        return scalar_result(c, id, args, out);
    case PROMQL_FN_ABSENT:
        return absent(c, n, &args[0], out);
    case PROMQL_FN_SORT:
    case PROMQL_FN_SORT_DESC:
        *out = args[0];
        return sort_vector(c, id == PROMQL_FN_SORT, out);
    case PROMQL_FN_LABEL_REPLACE:
    case PROMQL_FN_LABEL_JOIN:
        return ev_call_label(c, n, args, out);
    case PROMQL_FN_HISTOGRAM_QUANTILE:
        return ev_call_histogram_quantile(c, args, out);
    default: /* histogram_count/sum/fraction: native histograms only */
        memset(out, 0, sizeof *out);
        out->type = PROMQL_TYPE_VECTOR;
        return 0;
    }
}
