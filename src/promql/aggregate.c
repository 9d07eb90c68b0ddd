/* aggregate — sum, avg, count, min, max, group, stddev, stdvar, topk,
 * bottomk, quantile and count_values, with by/without grouping. Groups are
 * computed once per series; each step then folds the present members. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/promnames.h"
#include "core/fmt.h"
#include "promql/agg_acc.h"
#include "promql/eval.h"

typedef struct agg_state {
    ev_ctx *c;
    const promql_node *n;
    const ev_value *in;
    const ev_value *param;
    size_t ngroups;
    size_t *group;   /* per input series */
    size_t *first;   /* per group: start of its members in `members` */
    size_t *members; /* input series indices, grouped, in input order */
    const tsdb_label **gls;
    size_t *gnls;
    ev_out out;
    size_t *oidx;    /* per group or per input series: output index */
} agg_state;

static int agg_groups(agg_state *a)
{
    ev_ctx *c = a->c;
    const promql_node *n = a->n;
    ev_lmap m;
    size_t ns = a->in->n;
    a->group = ev_alloc(c, (ns ? ns : 1) * sizeof *a->group);
    if (!a->group || ev_lmap_init(&m, c, ns))
        return HERON_ENOMEM;
    for (size_t k = 0; k < ns; k++) {
        const ev_series *s = &a->in->vs[k];
        tsdb_label *ls;
        size_t nls;
        int without = n->u.agg.without;
        if (ev_labels_filter(c, s->ls, s->nls, &n->u.agg.grouping, !without,
                             without, &ls, &nls) ||
            ev_lmap_put(&m, ls, nls, &a->group[k], NULL))
            return ev_nomem(c);
    }
    a->ngroups = m.n;
    a->gls = m.ls;
    a->gnls = m.nls;
    a->first = ev_calloc(c, (m.n + 1) * sizeof *a->first);
    a->members = ev_alloc(c, (ns ? ns : 1) * sizeof *a->members);
    size_t *fill = ev_calloc(c, (m.n + 1) * sizeof *fill);
    if (!a->first || !a->members || !fill)
        return HERON_ENOMEM;
    for (size_t k = 0; k < ns; k++)
        a->first[a->group[k] + 1]++;
    for (size_t g = 0; g < m.n; g++)
        a->first[g + 1] += a->first[g];
    for (size_t k = 0; k < ns; k++) {
        size_t g = a->group[k];
        a->members[a->first[g] + fill[g]++] = k;
    }
    return 0;
}

/* Folds group g at step i into *res; 0 when no member is present. */
static int agg_fold(const agg_state *a, size_t g, size_t i, double *res)
{
    promql_aggop op = a->n->u.agg.op;
    agg_acc acc = {0};
    for (size_t m = a->first[g]; m < a->first[g + 1]; m++) {
        const ev_series *s = &a->in->vs[a->members[m]];
        if (s->ok[i])
            agg_acc_add(op, &acc, s->v[i]);
    }
    return agg_acc_result(op, &acc, res);
}

static int agg_group_out(agg_state *a, size_t g, size_t i, double v)
{
    if (a->oidx[g] == SIZE_MAX &&
        ev_out_series(&a->out, (tsdb_label *)a->gls[g], a->gnls[g],
                      &a->oidx[g]))
        return HERON_ENOMEM;
    return ev_out_set(&a->out, a->oidx[g], i, v);
}

/* Values of the present members of g at step i, into vals/idx. */
static size_t agg_present(const agg_state *a, size_t g, size_t i,
                          double *vals, size_t *idx)
{
    size_t k = 0;
    for (size_t m = a->first[g]; m < a->first[g + 1]; m++) {
        const ev_series *s = &a->in->vs[a->members[m]];
        if (!s->ok[i])
            continue;
        if (vals)
            vals[k] = s->v[i];
        if (idx)
            idx[k] = a->members[m];
        k++;
    }
    return k;
}

/* topk/bottomk select exactly as Prometheus 2.42 does, so that ties pick
 * the same series: a binary heap with Go's container/heap moves (a min-heap
 * for topk, a max-heap for bottomk, NaN always "less"); a better value (or
 * any value over a NaN root) pops the root and is pushed; then a stable
 * sort of the heap, best first. */
typedef struct rank_item {
    double v;
    size_t k;
} rank_item;

static int heap_less(const rank_item *h, size_t i, size_t j, int top)
{
    if (isnan(h[i].v))
        return 1;
    return top ? h[i].v < h[j].v : h[i].v > h[j].v;
}

static void heap_swap(rank_item *h, size_t i, size_t j)
{
    rank_item t = h[i];
    h[i] = h[j];
    h[j] = t;
}

static void heap_up(rank_item *h, size_t j, int top)
{
    while (j > 0) {
        size_t i = (j - 1) / 2;
        if (!heap_less(h, j, i, top))
            break;
        heap_swap(h, i, j);
        j = i;
    }
}

static void heap_down(rank_item *h, size_t n, int top)
{
    size_t i = 0;
    for (;;) {
        size_t j = 2 * i + 1;
        if (j >= n)
            break;
        if (j + 1 < n && heap_less(h, j + 1, j, top))
            j++;
        if (!heap_less(h, j, i, top))
            break;
        heap_swap(h, i, j);
        i = j;
    }
}

static int agg_topk(agg_state *a, size_t i, size_t *idx, rank_item *items)
{
    double p = a->param->sc[i];
    if (!(p >= 1))
        return 0;
    size_t k = p >= 9.2e18 ? SIZE_MAX : (size_t)(int64_t)p;
    int top = a->n->u.agg.op == PROMQL_AGG_TOPK;
    for (size_t g = 0; g < a->ngroups; g++) {
        size_t n = agg_present(a, g, i, NULL, idx), len = 0;
        for (size_t j = 0; j < n; j++) {
            double v = a->in->vs[idx[j]].v[i];
            if (len == k && !(top ? items[0].v < v : items[0].v > v) &&
                !isnan(items[0].v))
                continue;
            if (len == k && k == 1) {
                items[0].k = idx[j];
                items[0].v = v;
                continue;
            }
            if (len == k) { /* heap.Pop: last to the root, sift down */
                heap_swap(items, 0, len - 1);
                heap_down(items, --len, top);
            }
            items[len].k = idx[j];
            items[len].v = v;
            heap_up(items, len++, top);
        }
        for (size_t x = 1; x < len; x++) /* stable insertion sort, best first */
            for (size_t y = x; y > 0 && heap_less(items, y - 1, y, top); y--)
                heap_swap(items, y, y - 1);
        for (size_t j = 0; j < len; j++) {
            const ev_series *s = &a->in->vs[items[j].k];
            size_t *o = &a->oidx[items[j].k];
            int rc;
            if (*o == SIZE_MAX && ev_out_series(&a->out, s->ls, s->nls, o))
                return HERON_ENOMEM;
            if ((rc = ev_out_set(&a->out, *o, i, items[j].v)))
                return rc;
        }
    }
    return 0;
}

static int agg_count_values(agg_state *a, size_t i)
{
    const char *label = a->param->str;
    for (size_t g = 0; g < a->ngroups; g++) {
        for (size_t m = a->first[g]; m < a->first[g + 1]; m++) {
            const ev_series *s = &a->in->vs[a->members[m]];
            if (!s->ok[i])
                continue;
            char num[FMT_FIXED_MAX];
            fmt_double_fixed(num, s->v[i]);
            char *val = promql_arena_strndup(a->c->arena, num, strlen(num));
            tsdb_label *ls;
            size_t nls, o;
            if (!val ||
                ev_labels_set(a->c, a->gls[g], a->gnls[g], label, val, &ls,
                              &nls) ||
                ev_out_series(&a->out, ls, nls, &o))
                return ev_nomem(a->c);
            ev_series *os = &a->out.s[o];
            if (!os->ok[i]) {
                os->ok[i] = 1;
                os->v[i] = 0;
            }
            os->v[i] += 1;
        }
    }
    return 0;
}

int ev_aggregate(ev_ctx *c, const promql_node *n, ev_value *out)
{
    int rc = ev_aggregate_stream(c, n, out);
    if (rc)
        return rc < 0 ? rc : 0;
    agg_state a;
    memset(&a, 0, sizeof a);
    a.c = c;
    a.n = n;
    ev_value in, param;
    memset(&param, 0, sizeof param);
    if (n->u.agg.param && (rc = ev_eval(c, n->u.agg.param, &param)))
        return rc;
    if ((rc = ev_eval(c, n->u.agg.expr, &in)))
        return rc;
    a.in = &in;
    a.param = &param;
    promql_aggop op = n->u.agg.op;
    if (op == PROMQL_AGG_COUNT_VALUES && !prom_label_name_valid(param.str, strlen(param.str)))
        return ev_fail(c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                       "invalid label name \"%s\"", param.str);
    if ((rc = agg_groups(&a)) || (rc = ev_out_init(&a.out, c, a.ngroups)))
        return rc ? rc : HERON_ENOMEM;
    size_t nidx = (op == PROMQL_AGG_TOPK || op == PROMQL_AGG_BOTTOMK)
                      ? in.n : a.ngroups;
    a.oidx = ev_alloc(c, (nidx + 1) * sizeof *a.oidx);
    size_t *idx = ev_alloc(c, (in.n + 1) * sizeof *idx);
    double *vals = ev_alloc(c, (in.n + 1) * sizeof *vals);
    rank_item *items = ev_alloc(c, (in.n + 1) * sizeof *items);
    if (!a.oidx || !idx || !vals || !items)
        return HERON_ENOMEM;
    for (size_t k = 0; k < nidx; k++)
        a.oidx[k] = SIZE_MAX;
    for (size_t i = 0; i < c->nsteps; i++) {
        if ((rc = ev_check_time(c)))
            return rc;
        if (op == PROMQL_AGG_TOPK || op == PROMQL_AGG_BOTTOMK) {
            rc = agg_topk(&a, i, idx, items);
        } else if (op == PROMQL_AGG_COUNT_VALUES) {
            rc = agg_count_values(&a, i);
        } else {
            for (size_t g = 0; g < a.ngroups && !rc; g++) {
                double v;
                if (op == PROMQL_AGG_QUANTILE) {
                    size_t cnt = agg_present(&a, g, i, vals, NULL);
                    if (!cnt)
                        continue;
                    v = ev_quantile(param.sc[i], vals, cnt);
                } else if (!agg_fold(&a, g, i, &v)) {
                    continue;
                }
                rc = agg_group_out(&a, g, i, v);
            }
        }
        if (rc)
            return rc;
    }
    ev_out_value(&a.out, out);
    return 0;
}
