/* head — series tables, per-series chunk appends, truncation (head.h). */
#include "tsdb/head.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tsdb/labels.h"

#define SHARDS 4096
#define OOO_CAP 32
#define OPEN_CHUNK_MIN 48

typedef struct hshard {
    pthread_mutex_t mu;
    mseries **b;
    size_t nb, n;
} hshard;

static size_t bucket(uint64_t key, size_t nb)
{
    return (size_t)((key / SHARDS) ^ (key >> 40)) & (nb - 1);
}

static uint64_t series_key(const mseries *s, int by_id)
{
    return by_id ? s->id : s->hash;
}

static mseries **chain_next(mseries *s, int by_id)
{
    return by_id ? &s->inext : &s->hnext;
}

static int shard_insert(hshard *sh, mseries *s, int by_id)
{
    if (sh->n >= sh->nb) {
        size_t nb = sh->nb ? sh->nb * 2 : 4;
        mseries **b = calloc(nb, sizeof *b);
        if (!b)
            return HERON_ENOMEM;
        for (size_t i = 0; i < sh->nb; i++)
            for (mseries *e = sh->b[i], *nx; e; e = nx) {
                nx = *chain_next(e, by_id);
                size_t k = bucket(series_key(e, by_id), nb);
                *chain_next(e, by_id) = b[k];
                b[k] = e;
            }
        free(sh->b);
        sh->b = b;
        sh->nb = nb;
    }
    size_t k = bucket(series_key(s, by_id), sh->nb);
    *chain_next(s, by_id) = sh->b[k];
    sh->b[k] = s;
    sh->n++;
    return 0;
}

static void shard_remove(hshard *sh, mseries *s, int by_id)
{
    mseries **pp = &sh->b[bucket(series_key(s, by_id), sh->nb)];
    while (*pp && *pp != s)
        pp = chain_next(*pp, by_id);
    if (*pp) {
        *pp = *chain_next(s, by_id);
        sh->n--;
    }
}

static hshard *id_shard(head *h, uint64_t id)
{
    return &h->is[id % SHARDS];
}

static hshard *hash_shard(head *h, uint64_t hash)
{
    return &h->hs[hash % SHARDS];
}

int head_new(const head_opts *o, head **out, heron_err *err)
{
    head *h = calloc(1, sizeof *h);
    if (!h)
        return err_set(err, HERON_ENOMEM, "out of memory");
    h->o = *o;
    h->hs = calloc(SHARDS, sizeof *h->hs);
    h->is = calloc(SHARDS, sizeof *h->is);
    if (!h->hs || !h->is || intern_new(&h->in) ||
        mem_postings_new(h->in, &h->mp)) {
        head_free(h);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    for (int i = 0; i < SHARDS; i++) {
        pthread_mutex_init(&h->hs[i].mu, NULL);
        pthread_mutex_init(&h->is[i].mu, NULL);
    }
    int rc = cmap_open(o->chunks_dir, o->cmap_seg_bytes, &h->cm, err);
    if (rc) {
        head_free(h);
        return rc;
    }
    atomic_init(&h->next_id, 1);
    atomic_init(&h->mint, INT64_MAX);
    atomic_init(&h->maxt, INT64_MIN);
    atomic_init(&h->min_valid, INT64_MIN);
    *out = h;
    return 0;
}

static void series_free(head *h, mseries *s)
{
    for (uint32_t i = 0; i < s->nls; i++) {
        intern_put(h->in, s->ls[i].name);
        intern_put(h->in, s->ls[i].value);
    }
    free(s->ls);
    free(s->full);
    free(s->open);
    free(s->tombs);
    free(s->ooo);
    free(s);
}

void head_free(head *h)
{
    if (!h)
        return;
    if (h->is) {
        for (int i = 0; i < SHARDS; i++) {
            hshard *sh = &h->is[i];
            for (size_t b = 0; b < sh->nb; b++)
                for (mseries *s = sh->b[b], *nx; s; s = nx) {
                    nx = s->inext;
                    series_free(h, s);
                }
            free(sh->b);
            pthread_mutex_destroy(&sh->mu);
        }
        free(h->is);
    }
    if (h->hs) {
        for (int i = 0; i < SHARDS; i++) {
            free(h->hs[i].b);
            pthread_mutex_destroy(&h->hs[i].mu);
        }
        free(h->hs);
    }
    mem_postings_free(h->mp);
    cmap_close(h->cm);
    intern_free(h->in);
    free(h);
}

static mseries *series_new(head *h, const tsdb_label *ls, size_t n,
                           uint64_t hash)
{
    mseries *s = calloc(1, sizeof *s);
    if (!s || !(s->ls = calloc(n, sizeof *s->ls))) {
        free(s);
        return NULL;
    }
    s->hash = hash;
    s->maxt = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        s->ls[i].name = intern_get(h->in, ls[i].name);
        s->ls[i].value = s->ls[i].name ? intern_get(h->in, ls[i].value) : NULL;
        if (!s->ls[i].value) {
            if (s->ls[i].name)
                intern_put(h->in, s->ls[i].name);
            s->nls = (uint32_t)i;
            series_free(h, s);
            return NULL;
        }
    }
    s->nls = (uint32_t)n;
    return s;
}

static void raise_next_id(head *h, uint64_t id)
{
    unsigned long long cur = atomic_load(&h->next_id);
    while (cur <= id && !atomic_compare_exchange_weak(&h->next_id, &cur, id + 1))
        ;
}

int head_get_or_create(head *h, const tsdb_label *ls, size_t n,
                       uint64_t want_id, mseries **out, int *created,
                       heron_err *err)
{
    uint64_t hash = labels_hash(ls, n);
    hshard *hs = hash_shard(h, hash);
    *created = 0;
    pthread_mutex_lock(&hs->mu);
    if (hs->nb)
        for (mseries *s = hs->b[bucket(hash, hs->nb)]; s; s = s->hnext)
            if (s->hash == hash && labels_equal(s->ls, s->nls, ls, n)) {
                atomic_fetch_add(&s->pins, 1);
                pthread_mutex_unlock(&hs->mu);
                *out = s;
                return 0;
            }
    if (h->o.max_series && atomic_load(&h->nseries) >= h->o.max_series) {
        pthread_mutex_unlock(&hs->mu);
        char desc[160];
        labels_format(ls, n, desc, sizeof desc);
        return err_set(err, HERON_ERANGE,
                       "series limit of %llu reached, refusing new series %s",
                       (unsigned long long)h->o.max_series, desc);
    }
    mseries *s = series_new(h, ls, n, hash);
    if (!s) {
        pthread_mutex_unlock(&hs->mu);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    if (want_id) {
        s->id = want_id;
        raise_next_id(h, want_id);
    } else {
        s->id = atomic_fetch_add(&h->next_id, 1);
    }
    atomic_init(&s->pins, 1);
    hshard *is = id_shard(h, s->id);
    int rc = shard_insert(hs, s, 0);
    if (rc == 0) {
        pthread_mutex_lock(&is->mu);
        rc = shard_insert(is, s, 1);
        pthread_mutex_unlock(&is->mu);
        if (rc)
            shard_remove(hs, s, 0);
    }
    if (rc == 0 && (rc = mem_postings_add(h->mp, s->id, s->ls, s->nls))) {
        pthread_mutex_lock(&is->mu);
        shard_remove(is, s, 1);
        pthread_mutex_unlock(&is->mu);
        shard_remove(hs, s, 0);
    }
    pthread_mutex_unlock(&hs->mu);
    if (rc) {
        series_free(h, s);
        return err_set(err, rc, "out of memory");
    }
    atomic_fetch_add(&h->nseries, 1);
    *created = 1;
    *out = s;
    return 0;
}

mseries *head_get(head *h, uint64_t id)
{
    hshard *is = id_shard(h, id);
    mseries *found = NULL;
    pthread_mutex_lock(&is->mu);
    if (is->nb)
        for (mseries *s = is->b[bucket(id, is->nb)]; s; s = s->inext)
            if (s->id == id) {
                atomic_fetch_add(&s->pins, 1);
                found = s;
                break;
            }
    pthread_mutex_unlock(&is->mu);
    return found;
}

void head_unpin(mseries *s)
{
    atomic_fetch_sub(&s->pins, 1);
}

/* ---- appending ------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t min_valid(head *h)
{
    /* As in Prometheus: half a block behind the newest sample and never
     * into the blocks. With an out-of-order window, also anything within
     * the window behind the newest sample, blocks or not: such samples
     * become a block overlapping older ones, which compaction merges. */
    int64_t mv = atomic_load(&h->min_valid);
    int64_t hmax = atomic_load(&h->maxt);
    if (hmax != INT64_MIN && hmax - h->o.chunk_range / 2 > mv)
        mv = hmax - h->o.chunk_range / 2;
    if (h->o.ooo_window > 0) {
        int64_t ref = hmax != INT64_MIN ? hmax : atomic_load(&h->min_valid);
        if (ref == INT64_MIN || ref < INT64_MIN + h->o.ooo_window)
            return INT64_MIN;
        if (ref - h->o.ooo_window < mv)
            mv = ref - h->o.ooo_window;
    }
    return mv;
}

static int reject(head *h, mseries *s, int64_t t, const char *why,
                  int64_t other, heron_err *err)
{
    if (!err)
        return HERON_ESTATE;
    char desc[160];
    labels_format(s->ls, s->nls, desc, sizeof desc);
    (void)h;
    return err_set(err, HERON_ESTATE, "%s: sample at %lld for series %s (%lld)",
                   why, (long long)t, desc, (long long)other);
}

/* Called with the series' id shard locked. */
static int check_locked(head *h, mseries *s, int64_t t, uint64_t vbits,
                        heron_err *err)
{
    int64_t mv = min_valid(h);
    if (t < mv)
        return reject(h, s, t, "out of bounds", mv, err);
    if (t > s->maxt || s->maxt == INT64_MIN)
        return 0;
    if (t == s->maxt) {
        if (s->enc.vbits == vbits)
            return 1;
        return reject(h, s, t, "duplicate sample with a different value",
                      s->maxt, err);
    }
    if (h->o.ooo_window > 0 && t >= s->maxt - h->o.ooo_window)
        return 0;
    return reject(h, s, t, "out of order", s->maxt, err);
}

int head_check(head *h, mseries *s, int64_t t, uint64_t vbits, heron_err *err)
{
    hshard *is = id_shard(h, s->id);
    pthread_mutex_lock(&is->mu);
    int rc = check_locked(h, s, t, vbits, err);
    pthread_mutex_unlock(&is->mu);
    return rc;
}

static int push_full(head *h, mseries *s, const uint8_t *b, size_t len,
                     uint64_t enc_flag, int64_t mint, int64_t maxt,
                     heron_err *err)
{
    if (s->nfull == s->cap_full) {
        uint32_t cap = s->cap_full ? s->cap_full * 2 : 2;
        hchunk *f = realloc(s->full, cap * sizeof *f);
        if (!f)
            return err_set(err, HERON_ENOMEM, "out of memory");
        s->full = f;
        s->cap_full = cap;
    }
    uint64_t ref;
    int rc = cmap_write(h->cm, b, len, maxt, &ref, err);
    if (rc)
        return rc;
    s->full[s->nfull++] = (hchunk){mint, maxt, ref | enc_flag};
    atomic_fetch_add(&h->nchunks, 1);
    return 0;
}

/* Encodes the out-of-order buffer into a full chunk. */
static int flush_ooo(head *h, mseries *s, heron_err *err)
{
    uint8_t buf[CHUNK_BUF_BYTES(OOO_CAP)];
    chunk_enc e;
    chunk_enc_init(&e, buf);
    for (uint16_t i = 0; i < s->nooo; i++)
        chunk_enc_append(&e, s->ooo[i].t, s->ooo[i].v);
    int rc = push_full(h, s, buf, chunk_enc_len(&e), 0, s->ooo[0].t,
                       s->ooo[s->nooo - 1].t, err);
    if (rc == 0)
        s->nooo = 0;
    return rc;
}

static int append_ooo(head *h, mseries *s, int64_t t, uint64_t vbits,
                      heron_err *err)
{
    if (!s->ooo && !(s->ooo = malloc(OOO_CAP * sizeof *s->ooo)))
        return err_set(err, HERON_ENOMEM, "out of memory");
    uint16_t i = s->nooo;
    while (i > 0 && s->ooo[i - 1].t > t)
        i--;
    if (i > 0 && s->ooo[i - 1].t == t)
        return 1; /* the query merge keeps one sample per timestamp */
    memmove(s->ooo + i + 1, s->ooo + i, (size_t)(s->nooo - i) * sizeof *s->ooo);
    s->ooo[i].t = t;
    memcpy(&s->ooo[i].v, &vbits, sizeof vbits);
    s->nooo++;
    atomic_fetch_add(&h->ooo_accepted, 1);
    return s->nooo == OOO_CAP ? flush_ooo(h, s, err) : 0;
}

/* Moves the open chunk into cmap, in the integer encoding when that is
 * smaller; its buffer is kept for the next one. */
static int cut_open(head *h, mseries *s, heron_err *err)
{
    size_t len = chunk_enc_len(&s->enc);
    int64_t ts[CHUNK_MAX_SAMPLES];
    double vs[CHUNK_MAX_SAMPLES];
    uint8_t ib[CHUNK_BUF_BYTES(CHUNK_MAX_SAMPLES)];
    int n = s->enc.n <= CHUNK_MAX_SAMPLES
                ? chunk_decode(s->open, len, ts, vs, CHUNK_MAX_SAMPLES) : 0;
    size_t il = n > 0 ? chunk_int_encode(ts, vs, (size_t)n, ib, sizeof ib) : 0;
    int rc = il && il < len
                 ? push_full(h, s, ib, il, HCHUNK_INT, s->open_mint, s->enc.t, err)
                 : push_full(h, s, s->open, len, 0, s->open_mint, s->enc.t, err);
    if (rc == 0)
        s->enc.n = 0;
    return rc;
}

static void update_range(head *h, int64_t t)
{
    long long cur = atomic_load(&h->maxt);
    while (t > cur && !atomic_compare_exchange_weak(&h->maxt, &cur, t))
        ;
    cur = atomic_load(&h->mint);
    while (t < cur && !atomic_compare_exchange_weak(&h->mint, &cur, t))
        ;
}

static int append_locked(head *h, mseries *s, int64_t t, uint64_t vbits,
                         heron_err *err)
{
    int rc = check_locked(h, s, t, vbits, err);
    if (rc)
        return rc;
    if (s->maxt != INT64_MIN && t < s->maxt) {
        rc = append_ooo(h, s, t, vbits, err);
        if (rc == 0)
            update_range(h, t);
        return rc;
    }
    if (s->open && s->enc.n > 0) {
        int64_t boundary = (floor_div(s->open_mint, h->o.chunk_range) + 1) *
                           h->o.chunk_range;
        if (s->enc.n >= CHUNK_MAX_SAMPLES ||
            chunk_enc_len(&s->enc) >= CHUNK_TARGET_BYTES || t >= boundary) {
            if ((rc = cut_open(h, s, err)))
                return rc;
        }
    }
    if (!s->open) {
        if (!(s->open = malloc(OPEN_CHUNK_MIN)))
            return err_set(err, HERON_ENOMEM, "out of memory");
        s->open_cap = OPEN_CHUNK_MIN;
        s->enc.n = 0;
    }
    if (s->enc.n == 0) {
        chunk_enc_init(&s->enc, s->open);
        s->open_mint = t;
    }
    size_t len = chunk_enc_len(&s->enc);
    if (s->open_cap - len < CHUNK_APPEND_ROOM) {
        size_t cap = s->open_cap + s->open_cap / 2 + 16;
        if (cap > 65535)
            cap = 65535;
        uint8_t *b = realloc(s->open, cap);
        if (!b)
            return err_set(err, HERON_ENOMEM, "out of memory");
        s->open = b;
        s->open_cap = (uint16_t)cap;
        chunk_enc_rebase(&s->enc, b);
    }
    double v;
    memcpy(&v, &vbits, sizeof v);
    chunk_enc_append(&s->enc, t, v);
    s->maxt = t;
    update_range(h, t);
    return 0;
}

int head_append(head *h, mseries *s, int64_t t, uint64_t vbits, heron_err *err)
{
    hshard *is = id_shard(h, s->id);
    pthread_mutex_lock(&is->mu);
    int rc = append_locked(h, s, t, vbits, err);
    pthread_mutex_unlock(&is->mu);
    if (rc == HERON_ESTATE)
        atomic_fetch_add(&h->ooo_rejected, 1);
    return rc;
}

int head_add_tombstone(head *h, uint64_t id, int64_t mint, int64_t maxt)
{
    mseries *s = head_get(h, id);
    if (!s)
        return 0;
    hshard *is = id_shard(h, id);
    int rc = 0;
    pthread_mutex_lock(&is->mu);
    tinterval *t = realloc(s->tombs, (s->ntombs + 1) * sizeof *t);
    if (!t) {
        rc = HERON_ENOMEM;
    } else {
        /* Insert sorted by mint, merging overlaps. */
        s->tombs = t;
        uint32_t i = s->ntombs;
        while (i > 0 && t[i - 1].mint > mint)
            i--;
        memmove(t + i + 1, t + i, (s->ntombs - i) * sizeof *t);
        t[i] = (tinterval){mint, maxt};
        s->ntombs++;
        uint32_t w = 0;
        for (uint32_t k = 1; k < s->ntombs; k++) {
            if (t[k].mint <= t[w].maxt || (t[w].maxt != INT64_MAX &&
                                            t[k].mint == t[w].maxt + 1)) {
                if (t[k].maxt > t[w].maxt)
                    t[w].maxt = t[k].maxt;
            } else {
                t[++w] = t[k];
            }
        }
        s->ntombs = w + 1;
    }
    pthread_mutex_unlock(&is->mu);
    head_unpin(s);
    return rc;
}

/* ---- truncation ------------------------------------------------------------ */

/* Drops old data of one series; 1 when it is left empty. */
static int truncate_series(head *h, mseries *s, int64_t mint)
{
    uint32_t w = 0;
    for (uint32_t i = 0; i < s->nfull; i++) {
        if (s->full[i].maxt >= mint)
            s->full[w++] = s->full[i];
        else
            atomic_fetch_sub(&h->nchunks, 1);
    }
    s->nfull = w;
    if (s->open && s->enc.n > 0 && s->enc.t < mint)
        s->enc.n = 0;
    if (s->open && s->enc.n == 0) {
        free(s->open);
        s->open = NULL;
        s->open_cap = 0;
    }
    w = 0;
    for (uint32_t i = 0; i < s->ntombs; i++)
        if (s->tombs[i].maxt >= mint)
            s->tombs[w++] = s->tombs[i];
    s->ntombs = w;
    uint16_t k = 0;
    for (uint16_t i = 0; i < s->nooo; i++)
        if (s->ooo[i].t >= mint)
            s->ooo[k++] = s->ooo[i];
    s->nooo = k;
    return s->nfull == 0 && !s->open && s->nooo == 0;
}

int head_truncate(head *h, int64_t mint)
{
    long long mv = atomic_load(&h->min_valid);
    if (mint > mv)
        atomic_store(&h->min_valid, mint);
    plist dead = {0};
    int rc = 0;
    for (int i = 0; i < SHARDS && rc == 0; i++) {
        hshard *is = &h->is[i];
        pthread_mutex_lock(&is->mu);
        for (size_t b = 0; b < is->nb && rc == 0; b++)
            for (mseries *s = is->b[b]; s; s = s->inext)
                if (truncate_series(h, s, mint) &&
                    atomic_load(&s->pins) == 0 && (rc = plist_push(&dead, s->id)))
                    break;
        pthread_mutex_unlock(&is->mu);
    }
    plist_sort_unique(&dead);
    plist freed = {0};
    for (size_t i = 0; i < dead.n && rc == 0; i++) {
        mseries *s = head_get(h, dead.v[i]);
        if (!s)
            continue;
        hshard *hs = hash_shard(h, s->hash), *is = id_shard(h, s->id);
        pthread_mutex_lock(&hs->mu);
        pthread_mutex_lock(&is->mu);
        int gone = atomic_load(&s->pins) == 1 && s->nfull == 0 && !s->open &&
                   s->nooo == 0;
        if (gone) {
            shard_remove(hs, s, 0);
            shard_remove(is, s, 1);
        }
        pthread_mutex_unlock(&is->mu);
        pthread_mutex_unlock(&hs->mu);
        if (gone) {
            rc = plist_push(&freed, s->id);
            series_free(h, s);
            atomic_fetch_sub(&h->nseries, 1);
        } else {
            head_unpin(s);
        }
    }
    if (rc == 0)
        rc = mem_postings_delete(h->mp, &freed);
    plist_free(&dead);
    plist_free(&freed);
    cmap_truncate(h->cm, mint);
    /* Recompute the sample range from what is left. */
    int64_t lo = INT64_MAX, hi = INT64_MIN; /* maxt stays: it bounds appends */
    for (int i = 0; i < SHARDS; i++) {
        hshard *is = &h->is[i];
        pthread_mutex_lock(&is->mu);
        for (size_t b = 0; b < is->nb; b++)
            for (mseries *s = is->b[b]; s; s = s->inext) {
                for (uint32_t k = 0; k < s->nfull; k++) {
                    if (s->full[k].mint < lo)
                        lo = s->full[k].mint;
                    if (s->full[k].maxt > hi)
                        hi = s->full[k].maxt;
                }
                if (s->open && s->enc.n) {
                    if (s->open_mint < lo)
                        lo = s->open_mint;
                    if (s->enc.t > hi)
                        hi = s->enc.t;
                }
                if (s->nooo) {
                    if (s->ooo[0].t < lo)
                        lo = s->ooo[0].t;
                    if (s->ooo[s->nooo - 1].t > hi)
                        hi = s->ooo[s->nooo - 1].t;
                }
            }
        pthread_mutex_unlock(&is->mu);
    }
    (void)hi;
    /* Chunks that straddle mint keep older samples, already in a block. */
    if (lo < mint)
        lo = mint;
    atomic_store(&h->mint, lo);
    return rc;
}

/* ---- the head as a query source ---------------------------------------------- */

static int hq_postings(void *p, const char *name, const char *value,
                       plist *out, heron_err *err)
{
    head *h = p;
    if (mem_postings_get(h->mp, name, value, out))
        return err_set(err, HERON_ENOMEM, "out of memory");
    return 0;
}

static int hq_all(void *p, plist *out, heron_err *err)
{
    head *h = p;
    if (mem_postings_all(h->mp, out))
        return err_set(err, HERON_ENOMEM, "out of memory");
    return 0;
}

static int hq_names(void *p, tsdb_strings *out, heron_err *err)
{
    head *h = p;
    if (mem_postings_names(h->mp, out))
        return err_set(err, HERON_ENOMEM, "out of memory");
    return 0;
}

static int hq_values(void *p, const char *name, tsdb_strings *out,
                     heron_err *err)
{
    head *h = p;
    if (mem_postings_values(h->mp, name, out))
        return err_set(err, HERON_ENOMEM, "out of memory");
    return 0;
}

static int hq_series(void *p, uint64_t id, int64_t mint, int64_t maxt,
                     qarena *a, qseries *out, heron_err *err)
{
    head *h = p;
    mseries *s = head_get(h, id);
    if (!s)
        return HERON_ENOENT;
    hshard *is = id_shard(h, id);
    int rc = 0;
    pthread_mutex_lock(&is->mu);
    size_t max = s->nfull + 2;
    qchunk *cs = qarena_alloc(a, max * sizeof *cs);
    tinterval *tombs = s->ntombs ? qarena_alloc(a, s->ntombs * sizeof *tombs) : NULL;
    if (!cs || (s->ntombs && !tombs)) {
        rc = err_set(err, HERON_ENOMEM, "out of memory");
        goto out;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < s->nfull; i++) {
        const hchunk *c = &s->full[i];
        if (c->maxt < mint || c->mint > maxt)
            continue;
        size_t len;
        const uint8_t *b = cmap_get(h->cm, c->ref & ~HCHUNK_INT, &len);
        if (!b) {
            rc = err_set(err, HERON_EIO, "head chunk %llx of series %llu is gone",
                         (unsigned long long)c->ref, (unsigned long long)id);
            goto out;
        }
        cs[n++] = (qchunk){.mint = c->mint, .maxt = c->maxt, .b = b,
                           .len = (uint32_t)len,
                           .enc = c->ref & HCHUNK_INT ? CHUNK_ENC_INT : CHUNK_ENC_XOR};
    }
    if (s->open && s->enc.n && s->enc.t >= mint && s->open_mint <= maxt) {
        size_t len = chunk_enc_len(&s->enc);
        uint8_t *copy = qarena_alloc(a, len);
        if (!copy) {
            rc = err_set(err, HERON_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(copy, s->open, len);
        cs[n++] = (qchunk){.mint = s->open_mint, .maxt = s->enc.t, .b = copy,
                           .len = (uint32_t)len, .enc = CHUNK_ENC_XOR};
    }
    if (s->nooo && s->ooo[s->nooo - 1].t >= mint && s->ooo[0].t <= maxt) {
        uint8_t *b = qarena_alloc(a, CHUNK_BUF_BYTES((size_t)s->nooo));
        if (!b) {
            rc = err_set(err, HERON_ENOMEM, "out of memory");
            goto out;
        }
        chunk_enc e;
        chunk_enc_init(&e, b);
        for (uint16_t i = 0; i < s->nooo; i++)
            chunk_enc_append(&e, s->ooo[i].t, s->ooo[i].v);
        cs[n++] = (qchunk){.mint = s->ooo[0].t, .maxt = s->ooo[s->nooo - 1].t,
                           .b = b, .len = (uint32_t)chunk_enc_len(&e),
                           .enc = CHUNK_ENC_XOR};
    }
    if (s->ntombs)
        memcpy(tombs, s->tombs, s->ntombs * sizeof *tombs);
    out->ls = s->ls;
    out->nls = s->nls;
    out->chunks = cs;
    out->nchunks = n;
    out->tombs = tombs;
    out->ntombs = s->ntombs;
out:
    pthread_mutex_unlock(&is->mu);
    head_unpin(s);
    return rc;
}

const qsource_ops head_qsource_ops = {
    .postings = hq_postings,
    .all = hq_all,
    .names = hq_names,
    .values = hq_values,
    .series = hq_series,
};
