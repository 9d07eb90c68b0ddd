/* qload — the reusable chunk and interval lists of one series (query.h). */
#include "tsdb/query.h"

#include <stdlib.h>

#include "core/err.h"

void *qgrow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = realloc(v, nc * size);
    if (p)
        *cap = nc;
    return p;
}

int qload_chunk(qload *l, const qchunk *c)
{
    qchunk *cs = qgrow(l->cs, l->nc, &l->ccap, sizeof *cs);
    if (!cs)
        return HERON_ENOMEM;
    l->cs = cs;
    l->cs[l->nc++] = *c;
    return 0;
}

int qload_tomb(qload *l, tinterval iv)
{
    tinterval *tombs = qgrow(l->tombs, l->nt, &l->tcap, sizeof *tombs);
    if (!tombs)
        return HERON_ENOMEM;
    l->tombs = tombs;
    l->tombs[l->nt++] = iv;
    return 0;
}

void qload_reset(qload *l)
{
    l->nc = l->nt = 0;
    qarena_reset(&l->scratch);
}

static int tomb_cmp(const void *a, const void *b)
{
    const tinterval *x = a, *y = b;
    return (x->mint > y->mint) - (x->mint < y->mint);
}

void qload_finish(qload *l)
{
    if (l->nt < 2)
        return;
    qsort(l->tombs, l->nt, sizeof *l->tombs, tomb_cmp);
    size_t w = 0;
    for (size_t k = 1; k < l->nt; k++) {
        if (l->tombs[k].mint <= l->tombs[w].maxt) {
            if (l->tombs[k].maxt > l->tombs[w].maxt)
                l->tombs[w].maxt = l->tombs[k].maxt;
        } else {
            l->tombs[++w] = l->tombs[k];
        }
    }
    l->nt = w + 1;
}

void qload_free(qload *l)
{
    free(l->cs);
    free(l->tombs);
    qarena_free(&l->scratch);
    *l = (qload){0};
}
