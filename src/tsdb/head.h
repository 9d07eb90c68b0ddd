/*
 * head — the in-memory part of the database: the series of the recent
 * past, each with one open chunk on the heap and its full chunks in cmap.
 *
 * A full chunk is re-encoded with the integer encoding when that is
 * smaller (chunk.h), once, as it leaves the open slot.
 *
 * A series is found by the xxh3 hash of its sorted labels (hash shards:
 * independently locked chained tables) or by its id (idtable.h, a radix
 * table whose slots are guarded by IDTABLE_SLOTS id locks), so appends to
 * different series rarely meet on a lock. A series' samples, chunks and
 * tombstones are guarded by its id lock. Label strings are interned, and a
 * series names its labels by the 4-byte pair ids of the head's index
 * (mem_postings.h). Lookups pin a series (pins > 0) so that truncation
 * cannot free it while an appender still holds it.
 *
 * Lock order: hash shard, then id lock, then mem_postings / cmap.
 * Thread-safety: every function is safe from any thread except
 * head_truncate and head_free, which the database calls with readers
 * excluded (its reload lock held exclusively).
 */
#ifndef HERON_TSDB_HEAD_H
#define HERON_TSDB_HEAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "tsdb/chunk.h"
#include "tsdb/cmap.h"
#include "tsdb/idtable.h"
#include "tsdb/intern.h"
#include "tsdb/mem_postings.h"
#include "tsdb/query.h"

typedef struct hchunk {
    int64_t mint, maxt;
    uint64_t ref; /* cmap ref; HCHUNK_INT set: integer encoding */
} hchunk;

#define HCHUNK_INT (UINT64_C(1) << 63)

/* What few series need: tombstones and out-of-order samples, allocated
 * on first use so that the common series does not carry the fields. */
typedef struct mcold {
    tinterval *tombs;
    tsdb_sample *ooo; /* out-of-order samples, sorted, < OOO_CAP */
    uint32_t ntombs;
    uint16_t nooo;
} mcold;

/* One allocation per series, its labels inline; fields ordered to leave
 * no padding (at 1M series every byte here is a megabyte), and what a
 * lookup reads first (chains, hash bits, id) in the first cache line. */
typedef struct mseries mseries;
struct mseries {
    mseries *hnext;     /* hash chain */
    uint32_t hbits;     /* label hash >> SHARD_BITS (the shard is known) */
    uint32_t nls;
    uint64_t id;
    /* Guarded by the id shard mutex: */
    hchunk *full;
    mcold *cold;        /* NULL: no tombstones, no out-of-order samples */
    int64_t open_mint;
    int64_t maxt;       /* newest in-order sample, INT64_MIN: none */
    chunk_enc enc;      /* the open chunk; enc.b NULL: none */
    uint32_t nfull, cap_full;
    uint16_t open_cap;
    /* Not guarded (fixed at creation, or atomic): */
    atomic_uchar logged; /* its series record is in the WAL */
    atomic_uint pins;
    uint32_t pairs[];   /* its labels: pair ids of the head's index */
};

typedef struct head_opts {
    const char *chunks_dir;
    int64_t chunk_range;   /* chunks never span a multiple of this */
    int64_t ooo_window;
    uint64_t max_series;
    size_t max_name, max_value;
    size_t cmap_seg_bytes; /* 0: default */
} head_opts;

typedef struct head head;
struct head {
    head_opts o;
    intern *in;
    mem_postings *mp;
    cmap *cm;
    struct hshard *hs; /* by hash */
    idtable *ids;      /* by id */
    pthread_mutex_t *id_locks; /* IDTABLE_SLOTS: the id table's slots */
    atomic_ullong next_id;
    atomic_ullong nseries, nchunks, appended, ooo_rejected, ooo_accepted;
    atomic_llong mint, maxt;   /* sample range, INT64_MAX/INT64_MIN empty */
    atomic_llong min_valid;    /* samples below are refused (block maxt) */
};

int head_new(const head_opts *o, head **out, heron_err *err);
void head_free(head *h);

/* Finds or creates the series of ls[0..n) (validated, sorted) and pins it.
 * want_id != 0 (WAL replay) creates it with that id. *created tells
 * whether it is new. HERON_ERANGE past max_series. */
int head_get_or_create(head *h, const tsdb_label *ls, size_t n,
                       uint64_t want_id, mseries **out, int *created,
                       heron_err *err);
/* The series of ls[0..n), pinned; NULL if none. ls needs non-NULL
 * strings but no validation: an invalid set matches no series. */
mseries *head_find(head *h, const tsdb_label *ls, size_t n);
/* The series with this id, pinned; NULL if none. */
mseries *head_get(head *h, uint64_t id);
void head_unpin(mseries *s);
/* Writes the labels of a pinned series to out when they fit (cap) and
 * returns how many there are. */
size_t head_series_labels(head *h, const mseries *s, tsdb_label *out,
                          size_t cap);
/* Does a pinned series have exactly the labels ls[0..n)? */
int head_series_equal(head *h, const mseries *s, const tsdb_label *ls,
                      size_t n);

/* Would the sample be accepted now? 0 yes, 1 an identical duplicate (to
 * be ignored), HERON_ESTATE no (message names series and times). */
int head_check(head *h, mseries *s, int64_t t, uint64_t vbits,
               heron_err *err);
/* Appends (re-checking under the series lock): 0 appended (the caller
 * adds its appends to `appended`, once per batch, to keep a shared cache
 * line off the per-sample path), 1 duplicate ignored, HERON_ESTATE
 * rejected and counted, other errors from cmap. */
int head_append(head *h, mseries *s, int64_t t, uint64_t vbits,
                heron_err *err);
/* Adds a deleted interval to series id (no-op when it is gone). */
int head_add_tombstone(head *h, uint64_t id, int64_t mint, int64_t maxt);

/* Drops chunks, tombstones and out-of-order samples ending before mint,
 * then frees unpinned series left empty, and raises min_valid to mint. */
int head_truncate(head *h, int64_t mint);

/* The head as a query source. */
extern const qsource_ops head_qsource_ops;

#endif
