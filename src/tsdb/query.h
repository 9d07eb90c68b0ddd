/*
 * query — the internal shape of a read: sources, series snapshots and a
 * per-query arena.
 *
 * The head and every block are a qsource: an index (postings, label names
 * and values) plus per-series snapshots (labels, chunks overlapping a time
 * range, deleted intervals). Everything a snapshot points to stays valid
 * while the querier that made it is open: chunk bytes live in mapped files
 * or in the querier's arena, labels in the head's interned strings or a
 * block's mapped symbol table.
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

/* 16-byte aligned memory valid until qarena_free, or NULL. */
void *qarena_alloc(qarena *a, size_t n);
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

/* Fetches a chunk that a snapshot left unloaded; the bytes may live in
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

typedef struct qseries {
    const tsdb_label *ls;
    size_t nls;
    qchunk *chunks;
    size_t nchunks;
    const tinterval *tombs; /* sorted, non-overlapping */
    size_t ntombs;
} qseries;

typedef struct qsource_ops {
    /* Appends the sorted ids of name=value to out. */
    int (*postings)(void *src, const char *name, const char *value,
                    plist *out, heron_err *err);
    int (*all)(void *src, plist *out, heron_err *err);
    /* Appends label names / values of name (unsorted, maybe repeated). */
    int (*names)(void *src, tsdb_strings *out, heron_err *err);
    int (*values)(void *src, const char *name, tsdb_strings *out,
                  heron_err *err);
    /* Snapshot of series id: chunks overlapping [mint, maxt], loaded or
     * loadable (qchunk.load). HERON_ENOENT when the id is gone. */
    int (*series)(void *src, uint64_t id, int64_t mint, int64_t maxt,
                  qarena *a, qseries *out, heron_err *err);
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
