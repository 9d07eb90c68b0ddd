/*
 * agg_acc — one group's running sum/avg/count/min/max/group/stddev/stdvar
 * at one step; internal to src/promql.
 *
 * Values are folded in one at a time in input-series order, with
 * Prometheus 2.42's operations in its order, so the per-step aggregation
 * (aggregate.c) and the one fused with a streamed range function
 * (aggregate_stream.c) give the same bits.
 */
#ifndef HERON_PROMQL_AGG_ACC_H
#define HERON_PROMQL_AGG_ACC_H

#include <math.h>
#include <stddef.h>

#include "promql/promql.h"

typedef struct agg_acc {
    double value, mean;
    size_t count;
} agg_acc;

/* Whether op folds through agg_acc (the others need all members at once). */
static inline int agg_acc_op(promql_aggop op)
{
    return op == PROMQL_AGG_SUM || op == PROMQL_AGG_AVG || op == PROMQL_AGG_COUNT ||
           op == PROMQL_AGG_GROUP || op == PROMQL_AGG_MIN || op == PROMQL_AGG_MAX ||
           op == PROMQL_AGG_STDDEV || op == PROMQL_AGG_STDVAR;
}

static inline void agg_acc_add(promql_aggop op, agg_acc *a, double v)
{
    size_t count = ++a->count;
    if (count == 1) {
        a->value = op == PROMQL_AGG_STDDEV || op == PROMQL_AGG_STDVAR ? 0 : v;
        a->mean = v;
        return;
    }
    switch (op) {
    case PROMQL_AGG_SUM:
        a->value += v;
        break;
    case PROMQL_AGG_AVG:
        if (isinf(a->mean)) {
            if (isinf(v) && (a->mean > 0) == (v > 0))
                break;
            if (!isinf(v) && !isnan(v))
                break;
        }
        a->mean += v / (double)count - a->mean / (double)count;
        break;
    case PROMQL_AGG_MAX:
        if (a->value < v || isnan(a->value))
            a->value = v;
        break;
    case PROMQL_AGG_MIN:
        if (a->value > v || isnan(a->value))
            a->value = v;
        break;
    case PROMQL_AGG_STDDEV:
    case PROMQL_AGG_STDVAR: {
        double d = v - a->mean;
        a->mean += d / (double)count;
        a->value += d * (v - a->mean);
        break;
    }
    default:
        break;
    }
}

/* The aggregate; 0 when nothing was folded in. */
static inline int agg_acc_result(promql_aggop op, const agg_acc *a, double *out)
{
    if (!a->count)
        return 0;
    switch (op) {
    case PROMQL_AGG_AVG:
        *out = a->mean;
        break;
    case PROMQL_AGG_COUNT:
        *out = (double)a->count;
        break;
    case PROMQL_AGG_GROUP:
        *out = 1;
        break;
    case PROMQL_AGG_STDVAR:
        *out = a->value / (double)a->count;
        break;
    case PROMQL_AGG_STDDEV:
        *out = sqrt(a->value / (double)a->count);
        break;
    default:
        *out = a->value;
        break;
    }
    return 1;
}

#endif
