/* funcs_histogram — histogram_quantile over classic `le` buckets: series
 * are grouped by their labels without `le` once, and each step sorts and
 * interpolates the present buckets of each group. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "promql/eval.h"

typedef struct bucket {
    double upper, count;
} bucket;

static int bucket_cmp(const void *x, const void *y)
{
    const bucket *a = x, *b = y;
    return a->upper < b->upper ? -1 : a->upper > b->upper;
}

static double bucket_quantile(double q, bucket *b, size_t n)
{
    if (isnan(q))
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    qsort(b, n, sizeof *b, bucket_cmp);
    if (!(isinf(b[n - 1].upper) && b[n - 1].upper > 0))
        return NAN;
    size_t k = 0; /* merge buckets with equal bounds */
    for (size_t i = 0; i < n; i++) {
        if (k && b[k - 1].upper == b[i].upper)
            b[k - 1].count += b[i].count;
        else
            b[k++] = b[i];
    }
    n = k;
    double max = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (b[i].count > max)
            max = b[i].count;
        else if (b[i].count < max)
            b[i].count = max;
    }
    if (n < 2)
        return NAN;
    double obs = b[n - 1].count;
    if (obs == 0)
        return NAN;
    double rank = q * obs;
    size_t i = 0;
    while (i < n - 1 && !(b[i].count >= rank))
        i++;
    if (i == n - 1)
        return b[n - 2].upper;
    if (i == 0 && b[0].upper <= 0)
        return b[0].upper;
    double start = 0, end = b[i].upper, count = b[i].count;
    if (i > 0) {
        start = b[i - 1].upper;
        count -= b[i - 1].count;
        rank -= b[i - 1].count;
    }
    return start + (end - start) * (rank / count);
}

int ev_call_histogram_quantile(ev_ctx *c, const ev_value *args, ev_value *out)
{
    const ev_value *v = &args[1];
    size_t ns = v->n;
    size_t *group = ev_alloc(c, (ns + 1) * sizeof *group);
    double *upper = ev_alloc(c, (ns + 1) * sizeof *upper);
    bucket *bk = ev_alloc(c, (ns + 1) * sizeof *bk);
    ev_lmap m;
    ev_out o;
    if (!group || !upper || !bk || ev_lmap_init(&m, c, ns) ||
        ev_out_init(&o, c, ns))
        return HERON_ENOMEM;
    static const char *le_name[] = {"le"};
    static const promql_labels le = {le_name, 1};
    for (size_t k = 0; k < ns; k++) {
        const ev_series *s = &v->vs[k];
        const char *lv = ev_label_get(s->ls, s->nls, "le");
        char *end = NULL;
        group[k] = SIZE_MAX;
        if (!lv || !*lv)
            continue;
        upper[k] = strtod(lv, &end);
        if (*end)
            continue;
        tsdb_label *ls;
        size_t nls;
        if (ev_labels_filter(c, s->ls, s->nls, &le, 0, 0, &ls, &nls) ||
            ev_lmap_put(&m, ls, nls, &group[k], NULL))
            return ev_nomem(c);
    }
    size_t ng = m.n;
    size_t *oidx = ev_alloc(c, (ng + 1) * sizeof *oidx);
    size_t *first = ev_calloc(c, (ng + 2) * sizeof *first);
    size_t *members = ev_alloc(c, (ns + 1) * sizeof *members);
    size_t *fill = ev_calloc(c, (ng + 1) * sizeof *fill);
    if (!oidx || !first || !members || !fill)
        return HERON_ENOMEM;
    for (size_t k = 0; k < ns; k++)
        if (group[k] != SIZE_MAX)
            first[group[k] + 1]++;
    for (size_t g = 0; g < ng; g++) {
        first[g + 1] += first[g];
        oidx[g] = SIZE_MAX;
    }
    for (size_t k = 0; k < ns; k++)
        if (group[k] != SIZE_MAX)
            members[first[group[k]] + fill[group[k]]++] = k;
    for (size_t i = 0; i < c->nsteps; i++) {
        for (size_t g = 0; g < ng; g++) {
            size_t n = 0;
            for (size_t j = first[g]; j < first[g + 1]; j++) {
                const ev_series *s = &v->vs[members[j]];
                if (!s->ok[i])
                    continue;
                bk[n].upper = upper[members[j]];
                bk[n++].count = s->v[i];
            }
            if (!n)
                continue;
            if (oidx[g] == SIZE_MAX) {
                tsdb_label *ls;
                size_t nls;
                if (ev_labels_drop_name(c, m.ls[g], m.nls[g], &ls, &nls) ||
                    ev_out_series(&o, ls, nls, &oidx[g]))
                    return HERON_ENOMEM;
            }
            int rc = ev_out_set(&o, oidx[g], i,
                                bucket_quantile(args[0].sc[i], bk, n));
            if (rc)
                return rc;
        }
    }
    ev_out_value(&o, out);
    return 0;
}
