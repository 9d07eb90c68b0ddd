/* head — series tables, per-series chunk appends, truncation (head.h). */
#include "tsdb/head.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tsdb/labels.h"

#define SHARD_BITS 12
#define SHARDS (1 << SHARD_BITS)
#define OOO_CAP 32
/* The open chunk grows in steps of OPEN_CHUNK_STEP from OPEN_CHUNK_MIN:
 * sized to need rather than doubled, as it is the biggest part of a
 * series. Both are 8 mod 16, which malloc serves without slack. */
#define OPEN_CHUNK_MIN 56
#define OPEN_CHUNK_STEP 32

typedef struct hshard {
    pthread_mutex_t mu;
    mseries **b;
    size_t nb, n;
} hshard;

/* Bucket keys: the id or the label hash without the bits that chose the
 * shard. */
static size_t bucket(uint64_t key, size_t nb)
{
    return (size_t)(key ^ (key >> 28)) & (nb - 1);
}

static int shard_insert(hshard *sh, mseries *s)
{
    if (sh->n >= sh->nb) {
        size_t nb = sh->nb ? sh->nb * 2 : 4;
        mseries **b = calloc(nb, sizeof *b);
        if (!b)
            return HERON_ENOMEM;
        for (size_t i = 0; i < sh->nb; i++)
            for (mseries *e = sh->b[i], *nx; e; e = nx) {
                nx = e->hnext;
                size_t k = bucket(e->hbits, nb);
                e->hnext = b[k];
                b[k] = e;
            }
        free(sh->b);
        sh->b = b;
        sh->nb = nb;
    }
    size_t k = bucket(s->hbits, sh->nb);
    s->hnext = sh->b[k];
    sh->b[k] = s;
    sh->n++;
    return 0;
}

static void shard_remove(hshard *sh, mseries *s)
{
    mseries **pp = &sh->b[bucket(s->hbits, sh->nb)];
    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = s->hnext;
        sh->n--;
    }
}

/* The lock of a series' slot in the id table. */
static pthread_mutex_t *id_lock(head *h, uint64_t id)
{
    return &h->id_locks[id % IDTABLE_SLOTS];
}

static uint32_t hash_bits(uint64_t hash)
{
    return (uint32_t)(hash >> SHARD_BITS);
}

static const mcold no_cold;

/* The series' cold part for reading; empty when it has none. */
static const mcold *cold_of(const mseries *s)
{
    return s->cold ? s->cold : &no_cold;
}

/* The series' cold part for writing, allocated on first use; NULL without
 * memory. */
static mcold *cold_get(mseries *s)
{
    if (!s->cold)
        s->cold = calloc(1, sizeof *s->cold);
    return s->cold;
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
    h->id_locks = calloc(IDTABLE_SLOTS, sizeof *h->id_locks);
    if (!h->hs || !h->id_locks || idtable_new(&h->ids) || intern_new(&h->in) ||
        mem_postings_new(h->in, &h->mp)) {
        head_free(h);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    for (int i = 0; i < SHARDS; i++)
        pthread_mutex_init(&h->hs[i].mu, NULL);
    for (unsigned i = 0; i < IDTABLE_SLOTS; i++)
        pthread_mutex_init(&h->id_locks[i], NULL);
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

static void series_free(mseries *s)
{
    if (s->cold) {
        free(s->cold->tombs);
        free(s->cold->ooo);
        free(s->cold);
    }
    free(s->full);
    free(s->enc.b);
    free(s);
}

void head_free(head *h)
{
    if (!h)
        return;
    if (h->ids) {
        for (unsigned i = 0; i < IDTABLE_SLOTS; i++) {
            uint64_t leaf = 0;
            mseries *s;
            while ((s = idtable_scan(h->ids, i, &leaf)))
                series_free(s);
        }
        idtable_free(h->ids);
    }
    if (h->id_locks) {
        for (unsigned i = 0; i < IDTABLE_SLOTS; i++)
            pthread_mutex_destroy(&h->id_locks[i]);
        free(h->id_locks);
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

/* A series of n labels, its pairs still to be filled in. */
static mseries *series_new(size_t n, uint64_t hash)
{
    mseries *s = calloc(1, sizeof *s + n * sizeof *s->pairs);
    if (!s)
        return NULL;
    s->hbits = hash_bits(hash);
    s->maxt = INT64_MIN;
    s->nls = (uint32_t)n;
    return s;
}

size_t head_series_labels(head *h, const mseries *s, tsdb_label *out,
                          size_t cap)
{
    if (s->nls <= cap)
        for (uint32_t i = 0; i < s->nls; i++)
            out[i] = mem_postings_pair(h->mp, s->pairs[i]);
    return s->nls;
}

int head_series_equal(head *h, const mseries *s, const tsdb_label *ls,
                      size_t n)
{
    if (n != s->nls)
        return 0;
    for (size_t i = 0; i < n; i++) {
        tsdb_label l = mem_postings_pair(h->mp, s->pairs[i]);
        if ((l.name != ls[i].name && strcmp(l.name, ls[i].name)) ||
            (l.value != ls[i].value && strcmp(l.value, ls[i].value)))
            return 0;
    }
    return 1;
}

/* The labels of s in buf (cap entries) or, when they do not fit, in an
 * array the caller frees; NULL without memory. */
static tsdb_label *labels_of(head *h, const mseries *s, tsdb_label *buf,
                             size_t cap)
{
    tsdb_label *ls = s->nls <= cap ? buf : malloc(s->nls * sizeof *ls);
    if (ls)
        head_series_labels(h, s, ls, s->nls);
    return ls;
}

static void raise_next_id(head *h, uint64_t id)
{
    unsigned long long cur = atomic_load(&h->next_id);
    while (cur <= id && !atomic_compare_exchange_weak(&h->next_id, &cur, id + 1))
        ;
}

/* The series of ls[0..n) in its hash shard (locked), pinned; NULL if none. */
static mseries *find_locked(head *h, hshard *hs, uint64_t hash,
                            const tsdb_label *ls, size_t n)
{
    uint32_t hb = hash_bits(hash);
    if (hs->nb)
        for (mseries *s = hs->b[bucket(hb, hs->nb)]; s; s = s->hnext)
            if (s->hbits == hb && head_series_equal(h, s, ls, n)) {
                atomic_fetch_add(&s->pins, 1);
                return s;
            }
    return NULL;
}

mseries *head_find(head *h, const tsdb_label *ls, size_t n)
{
    uint64_t hash = labels_hash(ls, n);
    hshard *hs = hash_shard(h, hash);
    pthread_mutex_lock(&hs->mu);
    mseries *s = find_locked(h, hs, hash, ls, n);
    pthread_mutex_unlock(&hs->mu);
    return s;
}

int head_get_or_create(head *h, const tsdb_label *ls, size_t n,
                       uint64_t want_id, mseries **out, int *created,
                       heron_err *err)
{
    uint64_t hash = labels_hash(ls, n);
    hshard *hs = hash_shard(h, hash);
    *created = 0;
    pthread_mutex_lock(&hs->mu);
    if ((*out = find_locked(h, hs, hash, ls, n))) {
        pthread_mutex_unlock(&hs->mu);
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
    mseries *s = series_new(n, hash);
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
    /* Indexed first, as the index numbers its labels; a query that meets
     * the id before the series is in the tables skips it. */
    pthread_mutex_t *il = id_lock(h, s->id);
    int rc = mem_postings_add(h->mp, s->id, ls, n, s->pairs);
    if (rc == 0) {
        if ((rc = shard_insert(hs, s)) == 0) {
            pthread_mutex_lock(il);
            rc = idtable_get(h->ids, s->id) ? HERON_EINVAL : idtable_set(h->ids, s->id, s);
            pthread_mutex_unlock(il);
            if (rc)
                shard_remove(hs, s);
        }
        if (rc)
            mem_postings_remove(h->mp, s->id, s->pairs, n);
    }
    pthread_mutex_unlock(&hs->mu);
    if (rc) {
        unsigned long long id = s->id;
        series_free(s);
        return rc == HERON_ENOMEM
                   ? err_set(err, rc, "out of memory")
                   : err_set(err, rc, "series id %llu is taken or out of range", id);
    }
    atomic_fetch_add(&h->nseries, 1);
    *created = 1;
    *out = s;
    return 0;
}

mseries *head_get(head *h, uint64_t id)
{
    pthread_mutex_t *il = id_lock(h, id);
    pthread_mutex_lock(il);
    mseries *s = idtable_get(h->ids, id);
    if (s)
        atomic_fetch_add(&s->pins, 1);
    pthread_mutex_unlock(il);
    return s;
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
    tsdb_label buf[16], *ls = labels_of(h, s, buf, 16);
    if (ls)
        labels_format(ls, s->nls, desc, sizeof desc);
    else
        snprintf(desc, sizeof desc, "#%llu", (unsigned long long)s->id);
    if (ls != buf)
        free(ls);
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
    pthread_mutex_t *il = id_lock(h, s->id);
    pthread_mutex_lock(il);
    int rc = check_locked(h, s, t, vbits, err);
    pthread_mutex_unlock(il);
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
    mcold *c = s->cold;
    uint8_t buf[CHUNK_BUF_BYTES(OOO_CAP)];
    chunk_enc e;
    chunk_enc_init(&e, buf);
    for (uint16_t i = 0; i < c->nooo; i++)
        chunk_enc_append(&e, c->ooo[i].t, c->ooo[i].v);
    int rc = push_full(h, s, buf, chunk_enc_len(&e), 0, c->ooo[0].t,
                       c->ooo[c->nooo - 1].t, err);
    if (rc == 0)
        c->nooo = 0;
    return rc;
}

static int append_ooo(head *h, mseries *s, int64_t t, uint64_t vbits,
                      heron_err *err)
{
    mcold *c = cold_get(s);
    if (!c || (!c->ooo && !(c->ooo = malloc(OOO_CAP * sizeof *c->ooo))))
        return err_set(err, HERON_ENOMEM, "out of memory");
    uint16_t i = c->nooo;
    while (i > 0 && c->ooo[i - 1].t > t)
        i--;
    if (i > 0 && c->ooo[i - 1].t == t)
        return 1; /* the query merge keeps one sample per timestamp */
    memmove(c->ooo + i + 1, c->ooo + i, (size_t)(c->nooo - i) * sizeof *c->ooo);
    c->ooo[i].t = t;
    memcpy(&c->ooo[i].v, &vbits, sizeof vbits);
    c->nooo++;
    atomic_fetch_add(&h->ooo_accepted, 1);
    return c->nooo == OOO_CAP ? flush_ooo(h, s, err) : 0;
}

/* Moves the open chunk into cmap, in the integer encoding when that is
 * smaller; its buffer shrinks back to OPEN_CHUNK_MIN for the next one, so
 * that a series holds about half a chunk's bytes on average. */
static int cut_open(head *h, mseries *s, heron_err *err)
{
    size_t len = chunk_enc_len(&s->enc);
    int64_t ts[CHUNK_MAX_SAMPLES];
    double vs[CHUNK_MAX_SAMPLES];
    uint8_t ib[CHUNK_BUF_BYTES(CHUNK_MAX_SAMPLES)];
    int n = s->enc.n <= CHUNK_MAX_SAMPLES
                ? chunk_decode(s->enc.b, len, ts, vs, CHUNK_MAX_SAMPLES) : 0;
    size_t il = n > 0 ? chunk_int_encode(ts, vs, (size_t)n, ib, sizeof ib) : 0;
    int rc = il && il < len
                 ? push_full(h, s, ib, il, HCHUNK_INT, s->open_mint, s->enc.t, err)
                 : push_full(h, s, s->enc.b, len, 0, s->open_mint, s->enc.t, err);
    if (rc)
        return rc;
    s->enc.n = 0;
    uint8_t *b = realloc(s->enc.b, OPEN_CHUNK_MIN);
    if (b) { /* a failed shrink keeps the bigger buffer */
        chunk_enc_rebase(&s->enc, b);
        s->open_cap = OPEN_CHUNK_MIN;
    }
    return 0;
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
    if (s->enc.b && s->enc.n > 0) {
        int64_t boundary = (floor_div(s->open_mint, h->o.chunk_range) + 1) *
                           h->o.chunk_range;
        if (s->enc.n >= CHUNK_MAX_SAMPLES ||
            chunk_enc_len(&s->enc) >= CHUNK_TARGET_BYTES || t >= boundary) {
            if ((rc = cut_open(h, s, err)))
                return rc;
        }
    }
    if (!s->enc.b) {
        if (!(s->enc.b = malloc(OPEN_CHUNK_MIN)))
            return err_set(err, HERON_ENOMEM, "out of memory");
        s->open_cap = OPEN_CHUNK_MIN;
        s->enc.n = 0;
    }
    if (s->enc.n == 0) {
        chunk_enc_init(&s->enc, s->enc.b);
        s->open_mint = t;
    }
    size_t len = chunk_enc_len(&s->enc);
    if (s->open_cap - len < CHUNK_APPEND_ROOM) {
        size_t cap = s->open_cap + OPEN_CHUNK_STEP;
        uint8_t *b = realloc(s->enc.b, cap);
        if (!b)
            return err_set(err, HERON_ENOMEM, "out of memory");
        chunk_enc_rebase(&s->enc, b);
        s->open_cap = (uint16_t)cap;
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
    pthread_mutex_t *il = id_lock(h, s->id);
    pthread_mutex_lock(il);
    int rc = append_locked(h, s, t, vbits, err);
    pthread_mutex_unlock(il);
    if (rc == HERON_ESTATE)
        atomic_fetch_add(&h->ooo_rejected, 1);
    return rc;
}

int head_add_tombstone(head *h, uint64_t id, int64_t mint, int64_t maxt)
{
    mseries *s = head_get(h, id);
    if (!s)
        return 0;
    pthread_mutex_t *il = id_lock(h, id);
    int rc = 0;
    pthread_mutex_lock(il);
    mcold *c = cold_get(s);
    tinterval *t = c ? realloc(c->tombs, (c->ntombs + 1) * sizeof *t) : NULL;
    if (!t) {
        rc = HERON_ENOMEM;
    } else {
        /* Insert sorted by mint, merging overlaps. */
        c->tombs = t;
        uint32_t i = c->ntombs;
        while (i > 0 && t[i - 1].mint > mint)
            i--;
        memmove(t + i + 1, t + i, (c->ntombs - i) * sizeof *t);
        t[i] = (tinterval){mint, maxt};
        c->ntombs++;
        uint32_t w = 0;
        for (uint32_t k = 1; k < c->ntombs; k++) {
            if (t[k].mint <= t[w].maxt || (t[w].maxt != INT64_MAX &&
                                            t[k].mint == t[w].maxt + 1)) {
                if (t[k].maxt > t[w].maxt)
                    t[w].maxt = t[k].maxt;
            } else {
                t[++w] = t[k];
            }
        }
        c->ntombs = w + 1;
    }
    pthread_mutex_unlock(il);
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
    if (s->enc.b && s->enc.n > 0 && s->enc.t < mint)
        s->enc.n = 0;
    if (s->enc.b && s->enc.n == 0) {
        free(s->enc.b);
        s->enc.b = NULL;
        s->open_cap = 0;
    }
    mcold *c = s->cold;
    if (c) {
        w = 0;
        for (uint32_t i = 0; i < c->ntombs; i++)
            if (c->tombs[i].maxt >= mint)
                c->tombs[w++] = c->tombs[i];
        c->ntombs = w;
        uint16_t k = 0;
        for (uint16_t i = 0; i < c->nooo; i++)
            if (c->ooo[i].t >= mint)
                c->ooo[k++] = c->ooo[i];
        c->nooo = k;
    }
    return s->nfull == 0 && !s->enc.b && cold_of(s)->nooo == 0;
}

/* The oldest sample time of a series, INT64_MAX when it has none. */
static int64_t series_mint(const mseries *s)
{
    int64_t lo = INT64_MAX;
    for (uint32_t k = 0; k < s->nfull; k++)
        if (s->full[k].mint < lo)
            lo = s->full[k].mint;
    if (s->enc.b && s->enc.n && s->open_mint < lo)
        lo = s->open_mint;
    const mcold *c = cold_of(s);
    if (c->nooo && c->ooo[0].t < lo)
        lo = c->ooo[0].t;
    return lo;
}

/* Frees the id table's empty leaves, with every id lock held so that no
 * lookup is inside one. */
static void shrink_ids(head *h)
{
    for (unsigned i = 0; i < IDTABLE_SLOTS; i++)
        pthread_mutex_lock(&h->id_locks[i]);
    idtable_shrink(h->ids, atomic_load(&h->next_id));
    for (unsigned i = 0; i < IDTABLE_SLOTS; i++)
        pthread_mutex_unlock(&h->id_locks[i]);
}

int head_truncate(head *h, int64_t mint)
{
    long long mv = atomic_load(&h->min_valid);
    if (mint > mv)
        atomic_store(&h->min_valid, mint);
    plist dead = {0};
    int rc = 0;
    mseries *s;
    for (unsigned i = 0; i < IDTABLE_SLOTS && rc == 0; i++) {
        pthread_mutex_lock(&h->id_locks[i]);
        uint64_t leaf = 0;
        while (rc == 0 && (s = idtable_scan(h->ids, i, &leaf)))
            if (truncate_series(h, s, mint) && atomic_load(&s->pins) == 0)
                rc = plist_push(&dead, s->id);
        pthread_mutex_unlock(&h->id_locks[i]);
    }
    plist_sort_unique(&dead);
    plist freed = {0};
    for (size_t i = 0; i < dead.n && rc == 0; i++) {
        if (!(s = head_get(h, dead.v[i])))
            continue;
        tsdb_label buf[16], *ls = labels_of(h, s, buf, 16);
        if (!ls) {
            head_unpin(s);
            rc = HERON_ENOMEM;
            break;
        }
        hshard *hs = hash_shard(h, labels_hash(ls, s->nls));
        if (ls != buf)
            free(ls);
        pthread_mutex_t *il = id_lock(h, s->id);
        pthread_mutex_lock(&hs->mu);
        pthread_mutex_lock(il);
        int gone = atomic_load(&s->pins) == 1 && s->nfull == 0 && !s->enc.b &&
                   cold_of(s)->nooo == 0;
        if (gone) {
            shard_remove(hs, s);
            idtable_clear(h->ids, s->id);
        }
        pthread_mutex_unlock(il);
        pthread_mutex_unlock(&hs->mu);
        if (gone) {
            rc = plist_push(&freed, s->id);
            series_free(s);
            atomic_fetch_sub(&h->nseries, 1);
        } else {
            head_unpin(s);
        }
    }
    if (rc == 0)
        rc = mem_postings_delete(h->mp, &freed);
    if (freed.n)
        shrink_ids(h);
    plist_free(&dead);
    plist_free(&freed);
    cmap_truncate(h->cm, mint);
    /* Recompute the sample range from what is left (maxt stays: it bounds
     * appends). */
    int64_t lo = INT64_MAX;
    for (unsigned i = 0; i < IDTABLE_SLOTS; i++) {
        pthread_mutex_lock(&h->id_locks[i]);
        uint64_t leaf = 0;
        while ((s = idtable_scan(h->ids, i, &leaf))) {
            int64_t m = series_mint(s);
            if (m < lo)
                lo = m;
        }
        pthread_mutex_unlock(&h->id_locks[i]);
    }
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

/* An open chunk as a query found it, read when the iterator gets there
 * (hq_open_load): copying every open chunk at select time filled the
 * query's arena with hundreds of bytes a series, fresh pages the kernel
 * had to fault in and zero for every query. The series stays alive while
 * the querier is open (truncation waits for the reload lock it holds). */
typedef struct open_ref {
    mseries *s;
    int64_t mint; /* the chunk's first sample time: which chunk it was */
} open_ref;

/* Copies the open chunk into the iterator's page, or, when it was cut
 * since the select, finds it among the full chunks. Either way it may
 * hold samples appended since, which the iterator bounds by time like
 * any others. */
static int hq_open_load(const void *src, uint64_t ref, qpage *page,
                        const uint8_t **b, uint32_t *len, uint8_t *enc,
                        heron_err *err)
{
    head *h = (head *)(uintptr_t)src;
    const open_ref *o = (const open_ref *)(uintptr_t)ref;
    mseries *s = o->s;
    pthread_mutex_t *il = id_lock(h, s->id);
    int rc = 0;
    pthread_mutex_lock(il);
    if (s->enc.b && s->enc.n && s->open_mint == o->mint) {
        size_t n = chunk_enc_len(&s->enc);
        if (page->cap < n) {
            uint8_t *d = realloc(page->data, n);
            if (!d) {
                rc = err_set(err, HERON_ENOMEM, "out of memory");
                goto out;
            }
            page->data = d;
            page->cap = n;
        }
        memcpy(page->data, s->enc.b, n);
        page->owner = h; /* no block's page any more */
        page->len = n;
        *b = page->data;
        *len = (uint32_t)n;
        *enc = CHUNK_ENC_XOR;
        goto out;
    }
    for (uint32_t i = s->nfull; i-- > 0;)
        if (s->full[i].mint == o->mint) {
            size_t n;
            *b = cmap_get(h->cm, s->full[i].ref & ~HCHUNK_INT, &n);
            *len = (uint32_t)n;
            *enc = s->full[i].ref & HCHUNK_INT ? CHUNK_ENC_INT : CHUNK_ENC_XOR;
            if (!*b)
                rc = err_set(err, HERON_EIO, "head chunk of series %llu is gone",
                             (unsigned long long)s->id);
            goto out;
        }
    rc = err_set(err, HERON_EIO, "open chunk at %lld of series %llu is gone",
                 (long long)o->mint, (unsigned long long)s->id);
out:
    pthread_mutex_unlock(il);
    return rc;
}

static int hq_labels(void *p, uint64_t id, int64_t mint, int64_t maxt,
                     qarena *a, const tsdb_label **out, size_t *nls,
                     const void **hint, heron_err *err)
{
    (void)maxt;
    head *h = p;
    pthread_mutex_t *il = id_lock(h, id);
    pthread_mutex_lock(il);
    mseries *s = idtable_get(h->ids, id);
    int rc = 0;
    /* The open chunk holds the newest samples (out-of-order ones are
     * older): a series whose newest is before mint has nothing to read. */
    if (!s || (s->enc.n && s->enc.t < mint)) {
        rc = HERON_ENOENT;
    } else {
        tsdb_label *ls = qarena_alloc(a, s->nls * sizeof *ls);
        if (!ls) {
            rc = err_set(err, HERON_ENOMEM, "out of memory");
        } else {
            head_series_labels(h, s, ls, s->nls);
            *out = ls;
            *nls = s->nls;
            *hint = s;
        }
    }
    pthread_mutex_unlock(il);
    return rc;
}

/* The series a select found (its hint), with its id lock held. It is still
 * there: truncation, the only thing that frees series, waits for the
 * querier's reload lock. */
static mseries *hq_lock(head *h, const qseries *qs)
{
    pthread_mutex_lock(id_lock(h, qs->id));
    return (mseries *)(uintptr_t)qs->hint;
}

static void hq_unlock(head *h, const qseries *qs)
{
    pthread_mutex_unlock(id_lock(h, qs->id));
}

static void hq_prefetch(void *p, const qseries *qs, int stage)
{
    head *h = p;
    const char *m = qs->hint;
    if (stage == 0) {
        /* The series (which may straddle three lines) and its id lock. */
        __builtin_prefetch(m);
        __builtin_prefetch(m + 64);
        __builtin_prefetch(m + sizeof(mseries) - 1);
        __builtin_prefetch(id_lock(h, qs->id));
        return;
    }
    mseries *s = hq_lock(h, qs);
    if (stage == 1) { /* its chunk list */
        for (size_t o = 0; o < s->nfull * sizeof *s->full; o += 64)
            __builtin_prefetch((const char *)s->full + o);
    } else { /* the first bytes of its chunks, which hq_chunks reads */
        for (uint32_t i = 0; i < s->nfull; i++)
            cmap_prefetch(h->cm, s->full[i].ref & ~HCHUNK_INT);
        /* The open chunk, which hq_open_load copies last of the series. */
        if (s->enc.b)
            for (size_t o = 0; o < chunk_enc_len(&s->enc); o += 64)
                __builtin_prefetch(s->enc.b + o);
    }
    hq_unlock(h, qs);
}

/* Appends the open chunk as a reference read at iteration (hq_open_load)
 * and the out-of-order samples as a chunk made in out's scratch. */
static int hq_recent_chunks(head *h, mseries *s, int64_t mint, int64_t maxt,
                            qload *out)
{
    if (s->enc.b && s->enc.n && s->enc.t >= mint && s->open_mint <= maxt) {
        open_ref *o = qarena_alloc(&out->scratch, sizeof *o);
        if (!o)
            return HERON_ENOMEM;
        *o = (open_ref){s, s->open_mint};
        qchunk c = {.mint = s->open_mint, .maxt = s->enc.t, .load = hq_open_load,
                    .src = h, .ref = (uintptr_t)o};
        if (qload_chunk(out, &c))
            return HERON_ENOMEM;
    }
    const mcold *cold = cold_of(s);
    if (cold->nooo && cold->ooo[cold->nooo - 1].t >= mint && cold->ooo[0].t <= maxt) {
        uint8_t *b = qarena_alloc(&out->scratch, CHUNK_BUF_BYTES((size_t)cold->nooo));
        if (!b)
            return HERON_ENOMEM;
        chunk_enc e;
        chunk_enc_init(&e, b);
        for (uint16_t i = 0; i < cold->nooo; i++)
            chunk_enc_append(&e, cold->ooo[i].t, cold->ooo[i].v);
        qchunk c = {.mint = cold->ooo[0].t, .maxt = cold->ooo[cold->nooo - 1].t,
                    .b = b, .len = (uint32_t)chunk_enc_len(&e), .enc = CHUNK_ENC_XOR};
        if (qload_chunk(out, &c))
            return HERON_ENOMEM;
    }
    for (uint32_t i = 0; i < cold->ntombs; i++)
        if (qload_tomb(out, cold->tombs[i]))
            return HERON_ENOMEM;
    return 0;
}

static int hq_chunks(void *p, const qseries *qs, int64_t mint, int64_t maxt,
                     qload *out, heron_err *err)
{
    head *h = p;
    mseries *s = hq_lock(h, qs);
    int rc = 0;
    for (uint32_t i = 0; i < s->nfull && rc == 0; i++) {
        const hchunk *c = &s->full[i];
        if (c->maxt < mint || c->mint > maxt)
            continue;
        size_t len;
        const uint8_t *b = cmap_get(h->cm, c->ref & ~HCHUNK_INT, &len);
        if (!b) {
            rc = err_set(err, HERON_EIO, "head chunk %llx of series %llu is gone",
                         (unsigned long long)c->ref, (unsigned long long)qs->id);
            break;
        }
        qchunk q = {.mint = c->mint, .maxt = c->maxt, .b = b, .len = (uint32_t)len,
                    .enc = c->ref & HCHUNK_INT ? CHUNK_ENC_INT : CHUNK_ENC_XOR};
        if (qload_chunk(out, &q))
            rc = err_set(err, HERON_ENOMEM, "out of memory");
    }
    if (rc == 0 && hq_recent_chunks(h, s, mint, maxt, out))
        rc = err_set(err, HERON_ENOMEM, "out of memory");
    hq_unlock(h, qs);
    return rc;
}

const qsource_ops head_qsource_ops = {
    .postings = hq_postings,
    .all = hq_all,
    .names = hq_names,
    .values = hq_values,
    .labels = hq_labels,
    .chunks = hq_chunks,
    .prefetch = hq_prefetch,
};
