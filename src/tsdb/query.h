/*
 * query — the internal shape of a read: sources, series and the buffers
 * a read fills.
 *
 * The head and every block are a qsource: an index (postings, label names
 * and values) plus, per series, its labels and its chunks overlapping a
 * time range, with deleted intervals. A select keeps only each series'
 * labels (in a per-query arena) and where to find it; the chunk list is
 * loaded when the set reaches the series, into buffers reused from series
 * to series, so a select of many series writes little memory. Everything
 * a load points to stays valid while the querier that made it is open:
 * chunk bytes live in mapped files, labels in the head's interned strings
 * or a block's mapped symbol table.
 */
#ifndef HERON_TSDB_QUERY_H
#define HERON_TSDB_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "tsdb/postings.h"
#include "tsdb/tsdb.h"

/* A bump allocator; everything is freed at once. Not thread-safe. */
typedef struct qarena {
    struct qarena_blk *blk;
} qarena;

/* 16-byte aligned memory valid until qarena_reset or qarena_free, or NULL. */
void *qarena_alloc(qarena *a, size_t n);
/* Frees what was allocated but keeps the newest block for reuse. */
void qarena_reset(qarena *a);
void qarena_free(qarena *a);

typedef struct tinterval {
    int64_t mint, maxt; /* inclusive */
} tinterval;

/* A decompressed page of a block's chunk file, owned by an iterator and
 * reused from chunk to chunk (key names the page it holds). */
typedef struct qpage {
    const void *owner;
    uint64_t key;
    uint8_t *data;
    size_t len, cap;
} qpage;

/* Fetches a chunk that a chunk list left unloaded; the bytes may live in
 * page and stay valid until the next load into it. */
typedef int (*qchunk_load_fn)(const void *src, uint64_t ref, qpage *page,
                              const uint8_t **b, uint32_t *len, uint8_t *enc,
                              heron_err *err);

typedef struct qchunk {
    int64_t mint, maxt;
    const uint8_t *b;    /* NULL: not loaded yet, see load */
    uint32_t len;
    uint8_t enc;         /* CHUNK_ENC_* */
    qchunk_load_fn load; /* with src and ref, when b is NULL */
    const void *src;
    uint64_t ref;
} qchunk;

/* A series as a select found it in one source (srcs[src] of its querier):
 * equal labels in several sources are several qseries, side by side once
 * sorted. */
typedef struct qseries {
    const tsdb_label *ls;
    size_t nls;
    size_t src;
    uint64_t id;
    const void *hint; /* what the source found the series by, or NULL */
} qseries;

/* The chunks and deleted intervals of one series, gathered from each source
 * that has it; reused from series to series. scratch holds bytes a source
 * makes while loading (the head's out-of-order chunk) and is reset with the
 * rest. */
typedef struct qload {
    qchunk *cs;
    size_t nc, ccap;
    tinterval *tombs; /* sorted, non-overlapping once qload_finish ran */
    size_t nt, tcap;
    qarena scratch;
} qload;

/* v (n elements of size bytes used of *cap) with room for one more:
 * v itself, or v moved to twice the room; NULL (v untouched) when out of
 * memory. */
void *qgrow(void *v, size_t n, size_t *cap, size_t size);
/* Appends one chunk / one deleted interval; HERON_ENOMEM on failure. */
int qload_chunk(qload *l, const qchunk *c);
int qload_tomb(qload *l, tinterval iv);
/* Empties l for the next series, keeping its memory. */
void qload_reset(qload *l);
/* Sorts and coalesces the deleted intervals gathered from several sources. */
void qload_finish(qload *l);
void qload_free(qload *l);

typedef struct qsource_ops {
    /* Appends the sorted ids of name=value to out. */
    int (*postings)(void *src, const char *name, const char *value,
                    plist *out, heron_err *err);
    int (*all)(void *src, plist *out, heron_err *err);
    /* Appends label names / values of name (unsorted, maybe repeated). */
    int (*names)(void *src, tsdb_strings *out, heron_err *err);
    int (*values)(void *src, const char *name, tsdb_strings *out,
                  heron_err *err);
    /* The labels of series id, in a (valid while the querier is open),
     * and a hint that chunks and prefetch may use to find it again;
     * HERON_ENOENT when the id is gone or, where the source knows it
     * cheaply, has no chunk overlapping [mint, maxt]. */
    int (*labels)(void *src, uint64_t id, int64_t mint, int64_t maxt,
                  qarena *a, const tsdb_label **ls, size_t *nls,
                  const void **hint, heron_err *err);
    /* Appends to out the chunks of series qs overlapping [mint, maxt],
     * loaded or loadable (qchunk.load), and its deleted intervals.
     * HERON_ENOENT when the series is gone. */
    int (*chunks)(void *src, const qseries *qs, int64_t mint, int64_t maxt,
                  qload *out, heron_err *err);
    /* Optional: starts fetching into the cache what chunks will read for
     * qs: three series ahead of it (stage 0), two (stage 1), then one
     * (stage 2), each stage what the one before brought in points to.
     * Selected series lie scattered over memory, and finding one, then its
     * chunk list, then its chunks is a chain of misses that the reads of
     * the series before can hide. */
    void (*prefetch)(void *src, const qseries *qs, int stage);
} qsource_ops;

typedef struct qsource {
    const qsource_ops *ops;
    void *p;
} qsource;

/* The sorted ids of the series in src selected by ms[0..n) (all series
 * when n == 0), with Prometheus' empty-value rule. */
int qsource_select(const qsource *src, const tsdb_matcher *const *ms,
                   size_t n, plist *out, heron_err *err);

#endif
