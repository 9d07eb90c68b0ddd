/* aggregate_stream — sum, avg, count, min, max, group, stddev and stdvar
 * by/without over a range function of a matrix selector, such as
 * `sum by (job) (rate(x[5m]))`, folded while the function's rows stream
 * from storage: the function's vector (one series of every step per input
 * series, labels hashed into an output map) is never built, and each input
 * series is mapped to its group once. Each step folds the values in input
 * order and output series are created in the same order as aggregate.c
 * does over a built vector, so both give the same answer, bit for bit. */
#include <stdint.h>
#include <string.h>

#include "promql/agg_acc.h"
#include "promql/eval.h"

typedef struct agg_stream {
    ev_ctx *c;
    const promql_node *n;
    ev_lmap groups;
    agg_acc **acc; /* per group: [nsteps] */
    size_t cap;
} agg_stream;

static int add_group(agg_stream *a, size_t g)
{
    ev_ctx *c = a->c;
    if (g == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        agg_acc **grown = ev_alloc(c, cap * sizeof *grown);
        if (!grown)
            return HERON_ENOMEM;
        if (a->cap)
            memcpy(grown, a->acc, a->cap * sizeof *grown);
        a->acc = grown;
        a->cap = cap;
    }
    a->acc[g] = ev_calloc(c, (c->nsteps ? c->nsteps : 1) * sizeof **a->acc);
    return a->acc[g] ? 0 : HERON_ENOMEM;
}

static int fold_row(void *arg, tsdb_label *ls, size_t nls, const double *v,
                    const uint8_t *ok)
{
    agg_stream *a = arg;
    ev_ctx *c = a->c;
    const promql_node *n = a->n;
    int without = n->u.agg.without, added;
    tsdb_label *gls;
    size_t gnls, g;
    if (ev_labels_filter(c, ls, nls, &n->u.agg.grouping, !without, without, &gls,
                         &gnls) ||
        ev_lmap_put(&a->groups, gls, gnls, &g, &added))
        return ev_nomem(c);
    if (added && add_group(a, g))
        return HERON_ENOMEM;
    agg_acc *acc = a->acc[g];
    promql_aggop op = n->u.agg.op;
    if (op == PROMQL_AGG_SUM) { /* the same fold, its switch resolved here */
        for (size_t i = 0; i < c->nsteps; i++)
            if (ok[i])
                agg_acc_add(PROMQL_AGG_SUM, &acc[i], v[i]);
        return 0;
    }
    for (size_t i = 0; i < c->nsteps; i++)
        if (ok[i])
            agg_acc_add(op, &acc[i], v[i]);
    return 0;
}

int ev_aggregate_stream(ev_ctx *c, const promql_node *n, ev_value *out)
{
    promql_aggop op = n->u.agg.op;
    if (!agg_acc_op(op) || n->u.agg.param || n->u.agg.expr->kind != PROMQL_CALL)
        return 0;
    agg_stream a;
    memset(&a, 0, sizeof a);
    a.c = c;
    a.n = n;
    if (ev_lmap_init(&a.groups, c, 16))
        return HERON_ENOMEM;
    int rc = ev_call_range_rows(c, n->u.agg.expr, fold_row, &a);
    if (rc <= 0)
        return rc;
    size_t ng = a.groups.n;
    ev_out o;
    size_t *oidx = ev_alloc(c, (ng ? ng : 1) * sizeof *oidx);
    if (!oidx || ev_out_init(&o, c, ng))
        return HERON_ENOMEM;
    for (size_t g = 0; g < ng; g++)
        oidx[g] = SIZE_MAX;
    for (size_t i = 0; i < c->nsteps; i++) {
        for (size_t g = 0; g < ng; g++) {
            double v;
            if (!agg_acc_result(op, &a.acc[g][i], &v))
                continue;
            if (oidx[g] == SIZE_MAX &&
                ev_out_series(&o, (tsdb_label *)a.groups.ls[g], a.groups.nls[g], &oidx[g]))
                return HERON_ENOMEM;
            if ((rc = ev_out_set(&o, oidx[g], i, v)))
                return rc;
        }
    }
    ev_out_value(&o, out);
    return 1;
}
