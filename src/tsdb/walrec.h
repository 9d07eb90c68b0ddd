/*
 * walrec — encoding and decoding of WAL record payloads (layouts in
 * wal.h). Decoders validate everything and return HERON_EIO on malformed
 * input. Pure functions; thread-safe.
 */
#ifndef HERON_TSDB_WALREC_H
#define HERON_TSDB_WALREC_H

#include "core/buf.h"
#include "tsdb/tsdb.h"

typedef struct walrec_sample {
    uint64_t id;
    int64_t t;
    uint64_t vbits;
} walrec_sample;

int walrec_put_series(buf *b, uint64_t id, const tsdb_label *ls, size_t n);
int walrec_put_sample(buf *b, uint64_t id, int64_t t, uint64_t vbits);
int walrec_put_tombstone(buf *b, uint64_t id, int64_t mint, int64_t maxt);

/* Series records: calls fn(id, labels, n, arg) for each entry; the labels
 * point into a scratch area valid during the call. */
typedef int (*walrec_series_fn)(uint64_t id, const tsdb_label *ls, size_t n,
                                void *arg);
int walrec_each_series(const uint8_t *p, size_t len, walrec_series_fn fn,
                       void *arg);
typedef int (*walrec_sample_fn)(const walrec_sample *s, void *arg);
int walrec_each_sample(const uint8_t *p, size_t len, walrec_sample_fn fn,
                       void *arg);
typedef int (*walrec_tomb_fn)(uint64_t id, int64_t mint, int64_t maxt,
                              void *arg);
int walrec_each_tombstone(const uint8_t *p, size_t len, walrec_tomb_fn fn,
                          void *arg);

#endif
