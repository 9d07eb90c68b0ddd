/*
 * querier — select across sources, merge series with equal labels, and
 * iterate their samples. A series whose chunks do not overlap in time is
 * read chunk by chunk with the batch decoder; overlapping chunks (out-of-
 * order data, overlapping blocks, head and a just-written block) are decoded
 * together, sorted and de-duplicated by timestamp.
 */
#include "tsdb/querier.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tsdb/chunk.h"

#define DEC_MAX 128 /* chunks hold at most CHUNK_MAX_SAMPLES */

struct tsdb_querier {
    qsource *srcs;
    size_t nsrc;
    int64_t mint, maxt;
    void (*release)(void *);
    void *arg;
};

struct tsdb_iterator {
    const qchunk *cs;
    size_t nc, ci;
    const tinterval *tombs;
    size_t nt, ti;
    int64_t mint, maxt;
    const int64_t *ts;
    const double *vs;
    int n, i;
    int fast;       /* next() needs no checks while i + 1 < fast (it_set_fast) */
    int err;
    int64_t *mts;   /* merged samples (overlapping chunks), malloc'd */
    double *mvs;
    qpage page;     /* the last page loaded from a block */
    heron_err errmsg;
    int64_t tbuf[DEC_MAX];
    double vbuf[DEC_MAX];
};

struct tsdb_series_set {
    const qsource *srcs; /* the querier's */
    qarena arena;        /* the selected series' labels */
    qseries *v;
    size_t n;
    size_t i, next;      /* the current series is v[i .. next), equal labels */
    qload load;          /* its chunks, from each source that has it */
    tsdb_iterator it;
    int64_t mint, maxt;
    heron_err err;
};

int querier_open(const qsource *srcs, size_t n, int64_t mint, int64_t maxt,
                 void (*release)(void *), void *arg, tsdb_querier **out,
                 heron_err *err)
{
    tsdb_querier *q = calloc(1, sizeof *q);
    if (!q || (n && !(q->srcs = malloc(n * sizeof *srcs)))) {
        free(q);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    if (n)
        memcpy(q->srcs, srcs, n * sizeof *srcs);
    q->nsrc = n;
    q->mint = mint;
    q->maxt = maxt;
    q->release = release;
    q->arg = arg;
    *out = q;
    return 0;
}

void tsdb_querier_free(tsdb_querier *q)
{
    if (!q)
        return;
    if (q->release)
        q->release(q->arg);
    free(q->srcs);
    free(q);
}

/* ---- iterator ----------------------------------------------------------- */

static void it_reset(tsdb_iterator *it, const qload *l, int64_t mint,
                     int64_t maxt)
{
    free(it->mts);
    free(it->mvs);
    it->mts = NULL;
    it->mvs = NULL;
    it->cs = l ? l->cs : NULL;
    it->nc = l ? l->nc : 0;
    it->ci = 0;
    it->tombs = l ? l->tombs : NULL;
    it->nt = l ? l->nt : 0;
    it->ti = 0;
    it->mint = mint;
    it->maxt = maxt;
    it->ts = it->tbuf;
    it->vs = it->vbuf;
    it->n = it->i = it->fast = 0;
    it->err = 0;
}

/* Marks how far next() may step through the buffer without looking:
 * samples up to maxt, and none at all when tombstones could hide some. */
static void it_set_fast(tsdb_iterator *it)
{
    int a = 0, b = it->nt ? 0 : it->n;
    if (b && it->ts[b - 1] > it->maxt) {
        while (a < b) {
            int m = (a + b) / 2;
            if (it->ts[m] <= it->maxt)
                a = m + 1;
            else
                b = m;
        }
    }
    it->fast = b;
}

/* Decodes chunk c into the iterator's buffers (loading it first when the
 * chunk list left it in its file). */
static int decode_chunk(tsdb_iterator *it, const qchunk *c)
{
    const uint8_t *b = c->b;
    uint32_t len = c->len;
    uint8_t enc = c->enc;
    if (!b) {
        int rc = c->load(c->src, c->ref, &it->page, &b, &len, &enc, &it->errmsg);
        if (rc)
            return rc;
    }
    int k = chunk_decode_enc(enc, b, len, it->tbuf, it->vbuf, DEC_MAX);
    if (k < 0 && !it->errmsg.code)
        err_set(&it->errmsg, k, "damaged chunk (%lld..%lld)", (long long)c->mint,
                (long long)c->maxt);
    return k;
}

static int cmp_sample(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[2] < y[2] ? -1 : x[2] > y[2]; /* stable: chunk order */
}

/* Decodes every chunk of an overlapping series into one sorted,
 * de-duplicated array. */
static int it_merge(tsdb_iterator *it)
{
    /* Every chunk holds at most DEC_MAX samples. */
    size_t total = it->nc * DEC_MAX;
    int64_t (*tmp)[3] = malloc((total + 1) * sizeof *tmp);
    it->mts = malloc((total + 1) * sizeof *it->mts);
    it->mvs = malloc((total + 1) * sizeof *it->mvs);
    if (!tmp || !it->mts || !it->mvs) {
        free(tmp);
        return HERON_ENOMEM;
    }
    size_t n = 0;
    for (size_t c = 0; c < it->nc; c++) {
        int k = decode_chunk(it, &it->cs[c]);
        if (k < 0) {
            free(tmp);
            return k;
        }
        for (int j = 0; j < k && n < total; j++, n++) {
            tmp[n][0] = it->tbuf[j];
            memcpy(&tmp[n][1], &it->vbuf[j], 8);
            tmp[n][2] = (int64_t)n;
        }
    }
    qsort(tmp, n, sizeof *tmp, cmp_sample);
    size_t w = 0;
    for (size_t j = 0; j < n; j++) {
        if (w && it->mts[w - 1] == tmp[j][0])
            continue;
        it->mts[w] = tmp[j][0];
        memcpy(&it->mvs[w], &tmp[j][1], sizeof *it->mvs);
        w++;
    }
    free(tmp);
    it->ts = it->mts;
    it->vs = it->mvs;
    it->n = (int)w;
    it->i = -1;
    while (it->i + 1 < it->n && it->ts[it->i + 1] < it->mint)
        it->i++; /* next()'s fast path must not see these */
    it->ci = it->nc;
    it_set_fast(it);
    return 0;
}

static int chunk_cmp(const void *a, const void *b)
{
    const qchunk *x = a, *y = b;
    if (x->mint != y->mint)
        return x->mint < y->mint ? -1 : 1;
    return (x->maxt > y->maxt) - (x->maxt < y->maxt);
}

/* Loads the next chunk that can hold samples >= from; 0 at the end. */
static int it_load(tsdb_iterator *it, int64_t from)
{
    while (it->ci < it->nc) {
        const qchunk *c = &it->cs[it->ci++];
        if (c->maxt < from || c->maxt < it->mint)
            continue;
        if (c->mint > it->maxt) {
            it->ci = it->nc;
            return 0;
        }
        int k = decode_chunk(it, c);
        if (k < 0)
            return k;
        it->ts = it->tbuf;
        it->vs = it->vbuf;
        it->n = k;
        /* First sample >= max(from, mint); usually the chunk's first. */
        int64_t lo = from > it->mint ? from : it->mint;
        int a = 0, b = k && it->ts[0] >= lo ? 0 : k;
        while (a < b) {
            int m = (a + b) / 2;
            if (it->ts[m] < lo)
                a = m + 1;
            else
                b = m;
        }
        it->i = a - 1;
        it_set_fast(it);
        if (a < k)
            return 1;
    }
    return 0;
}

static int deleted(tsdb_iterator *it, int64_t t)
{
    while (it->ti < it->nt && it->tombs[it->ti].maxt < t)
        it->ti++;
    return it->ti < it->nt && it->tombs[it->ti].mint <= t;
}

static int it_advance(tsdb_iterator *it, int64_t from)
{
    if (it->err)
        return it->err;
    for (;;) {
        while (++it->i < it->n) {
            int64_t t = it->ts[it->i];
            if (t < from || t < it->mint)
                continue;
            if (t > it->maxt) {
                it->n = it->i = it->fast = 0;
                it->ci = it->nc;
                return 0;
            }
            if (it->nt && deleted(it, t))
                continue;
            return 1;
        }
        int rc = it_load(it, from);
        if (rc < 0) {
            it->fast = 0;
            return it->err = rc;
        }
        if (rc == 0) {
            it->n = it->i = it->fast = 0;
            return 0;
        }
    }
}

int tsdb_iterator_next(tsdb_iterator *it)
{
    if (it->i + 1 < it->fast) {
        it->i++;
        return 1;
    }
    return it_advance(it, INT64_MIN);
}

int tsdb_iterator_seek(tsdb_iterator *it, int64_t t)
{
    if (it->i >= 0 && it->i < it->n && it->ts[it->i] >= t && it->n > 0)
        return 1;
    if (it->i >= 0 && it->i < it->n && it->ts[it->n - 1] < t)
        it->i = it->n; /* skip the rest of this chunk */
    else if (it->i >= 0 && it->i < it->n)
        it->i--; /* re-examine the current sample onwards */
    return it_advance(it, t);
}

void tsdb_iterator_at(const tsdb_iterator *it, int64_t *t, double *v)
{
    if (t)
        *t = it->ts[it->i];
    if (v)
        *v = it->vs[it->i];
}

int tsdb_iterator_next_batch(tsdb_iterator *it, const int64_t **ts,
                             const double **vs)
{
    int rc = it_advance(it, INT64_MIN);
    if (rc != 1)
        return rc;
    int end = it->i + 1 > it->fast ? it->i + 1 : it->fast;
    while (end < it->n && it->ts[end] <= it->maxt &&
           !(it->nt && deleted(it, it->ts[end])))
        end++;
    *ts = it->ts + it->i;
    *vs = it->vs + it->i;
    rc = end - it->i;
    it->i = end - 1;
    return rc;
}

/* ---- series sets ------------------------------------------------------------ */

static int qseries_cmp(const void *a, const void *b)
{
    const qseries *x = a, *y = b;
    return tsdb_labels_cmp(x->ls, x->nls, y->ls, y->nls);
}

static int set_push(tsdb_series_set *s, size_t *cap, const qseries *qs)
{
    qseries *v = qgrow(s->v, s->n, cap, sizeof *v);
    if (!v)
        return HERON_ENOMEM;
    s->v = v;
    s->v[s->n++] = *qs;
    return 0;
}

static int select_sources(tsdb_querier *q, const tsdb_matcher *const *ms,
                          size_t n, tsdb_series_set **out, heron_err *err)
{
    tsdb_series_set *s = calloc(1, sizeof *s);
    if (!s)
        return err_set(err, HERON_ENOMEM, "out of memory");
    s->srcs = q->srcs;
    s->mint = q->mint;
    s->maxt = q->maxt;
    size_t cap = 0;
    int rc = 0;
    plist ids = {0};
    for (size_t k = 0; k < q->nsrc && rc == 0; k++) {
        const qsource *src = &q->srcs[k];
        ids.n = 0;
        if ((rc = qsource_select(src, ms, n, &ids, err)))
            break;
        for (size_t i = 0; i < ids.n && rc == 0; i++) {
            qseries qs = {.src = k, .id = ids.v[i]};
            rc = src->ops->labels(src->p, qs.id, q->mint, q->maxt, &s->arena,
                                  &qs.ls, &qs.nls, &qs.hint, err);
            if (rc == HERON_ENOENT) {
                rc = 0;
                continue;
            }
            if (rc == 0 && set_push(s, &cap, &qs))
                rc = err_set(err, HERON_ENOMEM, "out of memory");
        }
    }
    plist_free(&ids);
    if (rc == 0) {
        /* A single block lists its series in label order already. */
        size_t k = 1;
        while (k < s->n && qseries_cmp(&s->v[k - 1], &s->v[k]) <= 0)
            k++;
        if (k < s->n)
            qsort(s->v, s->n, sizeof *s->v, qseries_cmp);
    }
    if (rc) {
        tsdb_series_set_free(s);
        return rc;
    }
    s->i = (size_t)-1;
    *out = s;
    return 0;
}

int tsdb_querier_select(tsdb_querier *q, const tsdb_matcher *const *ms,
                        size_t n, tsdb_series_set **out, heron_err *err)
{
    if (n == 0 || !ms)
        return err_set(err, HERON_EINVAL, "select needs at least one matcher");
    return select_sources(q, ms, n, out, err);
}

int querier_select_all(tsdb_querier *q, tsdb_series_set **out, heron_err *err)
{
    return select_sources(q, NULL, 0, out, err);
}

static void prefetch(const tsdb_series_set *s, size_t i, int stage)
{
    if (i < s->n) {
        const qsource *src = &s->srcs[s->v[i].src];
        if (src->ops->prefetch)
            src->ops->prefetch(src->p, &s->v[i], stage);
    }
}

/* Loads the chunks of v[i .. next) from their sources into s->load;
 * HERON_ENOENT when none is left in range. */
static int load_series(tsdb_series_set *s)
{
    prefetch(s, s->next + 2, 0);
    prefetch(s, s->next + 1, 1);
    prefetch(s, s->next, 2);
    qload_reset(&s->load);
    for (size_t k = s->i; k < s->next; k++) {
        const qseries *qs = &s->v[k];
        const qsource *src = &s->srcs[qs->src];
        int rc = src->ops->chunks(src->p, qs, s->mint, s->maxt, &s->load, &s->err);
        if (rc && rc != HERON_ENOENT)
            return rc;
    }
    if (s->load.nc == 0)
        return HERON_ENOENT;
    qload_finish(&s->load);
    return 0;
}

int tsdb_series_set_next(tsdb_series_set *s)
{
    it_reset(&s->it, NULL, s->mint, s->maxt);
    if (s->i == (size_t)-1)
        s->next = 0;
    while (s->next < s->n) {
        s->i = s->next++;
        /* Labels are unique within a source, so only series of other
         * sources can share them. */
        while (s->next < s->n && s->v[s->next].src != s->v[s->i].src &&
               qseries_cmp(&s->v[s->i], &s->v[s->next]) == 0)
            s->next++;
        int rc = load_series(s);
        if (rc == 0)
            return 1;
        if (rc != HERON_ENOENT) {
            s->i = s->next = s->n;
            return rc;
        }
    }
    s->i = s->n;
    return 0;
}

const tsdb_label *tsdb_series_set_labels(const tsdb_series_set *s, size_t *n)
{
    if (s->i >= s->n) {
        *n = 0;
        return NULL;
    }
    *n = s->v[s->i].nls;
    return s->v[s->i].ls;
}

tsdb_iterator *tsdb_series_set_iterator(tsdb_series_set *s)
{
    tsdb_iterator *it = &s->it;
    qload *l = s->i < s->n ? &s->load : NULL;
    it_reset(it, l, s->mint, s->maxt);
    if (!l)
        return it;
    /* Chunks usually come in time order (one source, or sources that do
     * not overlap); sort them only when they do not. */
    int overlap = 0;
    int64_t hi = INT64_MIN;
    for (size_t c = 0; c < l->nc; c++) {
        if (c && chunk_cmp(&l->cs[c - 1], &l->cs[c]) > 0) {
            qsort(l->cs, l->nc, sizeof(qchunk), chunk_cmp);
            c = 0;
            overlap = 0;
            hi = INT64_MIN;
        }
        if (c && l->cs[c].mint <= hi)
            overlap = 1;
        if (l->cs[c].maxt > hi)
            hi = l->cs[c].maxt;
    }
    if (overlap) {
        int rc = it_merge(it);
        if (rc) {
            it->err = rc;
            err_set(&s->err, rc, "reading series: %s", heron_strerror(rc));
        }
    }
    return it;
}

const heron_err *tsdb_series_set_err(const tsdb_series_set *s)
{
    return s->err.code ? &s->err : &s->it.errmsg;
}

void tsdb_series_set_free(tsdb_series_set *s)
{
    if (!s)
        return;
    it_reset(&s->it, NULL, 0, 0);
    free(s->it.page.data);
    qload_free(&s->load);
    qarena_free(&s->arena);
    free(s->v);
    free(s);
}

/* ---- label names and values ---------------------------------------------------- */

static int labels_of_selected(tsdb_querier *q, const tsdb_matcher *const *ms,
                              size_t n, const char *name, tsdb_strings *out,
                              heron_err *err)
{
    tsdb_series_set *s;
    int rc = select_sources(q, ms, n, &s, err);
    if (rc)
        return rc;
    while ((rc = tsdb_series_set_next(s)) == 1) {
        size_t nls;
        const tsdb_label *ls = tsdb_series_set_labels(s, &nls);
        for (size_t j = 0; j < nls && rc == 1; j++) {
            if (!name)
                rc = strings_push(out, ls[j].name) ? HERON_ENOMEM : 1;
            else if (strcmp(ls[j].name, name) == 0)
                rc = strings_push(out, ls[j].value) ? HERON_ENOMEM : 1;
        }
        if (rc != 1)
            break;
    }
    if (rc == HERON_ENOMEM)
        err_set(err, rc, "out of memory");
    else if (rc && err)
        *err = *tsdb_series_set_err(s);
    tsdb_series_set_free(s);
    return rc;
}

int tsdb_querier_label_names(tsdb_querier *q, const tsdb_matcher *const *ms,
                             size_t n, tsdb_strings *out, heron_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    if (n)
        rc = labels_of_selected(q, ms, n, NULL, out, err);
    for (size_t k = 0; k < q->nsrc && rc == 0 && n == 0; k++)
        rc = q->srcs[k].ops->names(q->srcs[k].p, out, err);
    if (rc) {
        tsdb_strings_free(out);
        return rc;
    }
    strings_sort_unique(out);
    return 0;
}

int tsdb_querier_label_values(tsdb_querier *q, const char *name,
                              const tsdb_matcher *const *ms, size_t n,
                              tsdb_strings *out, heron_err *err)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    if (n)
        rc = labels_of_selected(q, ms, n, name, out, err);
    for (size_t k = 0; k < q->nsrc && rc == 0 && n == 0; k++)
        rc = q->srcs[k].ops->values(q->srcs[k].p, name, out, err);
    if (rc) {
        tsdb_strings_free(out);
        return rc;
    }
    strings_sort_unique(out);
    return 0;
}
