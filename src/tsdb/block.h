/*
 * block — immutable on-disk blocks (format: docs/tsdb-format.md).
 *
 * A block directory holds meta.json, index, chunks/NNNNNN and optionally
 * tombstones. block_open maps the index and chunk files read-only and
 * checks every section's CRC32C, so a damaged file is reported at open with
 * its path; a damaged chunk found later fails the query that reads it
 * (chunk CRCs are checked on read). A block is read-only after open except
 * for its tombstone list, which block_delete swaps under the database's
 * reload lock held exclusively. Reads are thread-safe.
 */
#ifndef HERON_TSDB_BLOCK_H
#define HERON_TSDB_BLOCK_H

#include <pthread.h>

#include "tsdb/query.h"

#define BLOCK_ID_LEN 26

typedef struct block_meta {
    char id[BLOCK_ID_LEN + 1];
    int64_t mint, maxt; /* [mint, maxt) */
    uint64_t nseries, nsamples, nchunks;
    int level;
} block_meta;

typedef struct block block;

int block_open(const char *dir, block **out, heron_err *err);
void block_close(block *b);
const block_meta *block_get_meta(const block *b);
const char *block_get_dir(const block *b);
/* Bytes of all files of the block. */
uint64_t block_bytes(const block *b);
int block_has_tombstones(const block *b);
/* Adds deleted intervals to the series of the block selected by ms:
 * rewrites its tombstones file (atomically, by rename) with no lock held,
 * then swaps the in-memory list under `lock` held exclusively. Callers
 * serialise deletions (the database's maintenance mutex). */
int block_delete(block *b, const tsdb_matcher *const *ms, size_t n,
                 int64_t mint, int64_t maxt, pthread_rwlock_t *lock,
                 heron_err *err);

extern const qsource_ops block_qsource_ops;

/* Writes every series of set (restricted to [mint, maxt)) as a new block
 * in parent_dir and returns its id in id_out. Samples are re-encoded into
 * chunks of at most CHUNK_MAX_SAMPLES. Writes go to a temporary directory
 * that is synced and renamed into place. *empty is set when no sample was
 * in range (no block is written then). */
int block_write(const char *parent_dir, tsdb_series_set *set, int64_t mint,
                int64_t maxt, int level, char id_out[BLOCK_ID_LEN + 1],
                int *empty, heron_err *err);

/* Removes a block directory (or a half-written .tmp one) and its files. */
int block_remove_dir(const char *dir);
/* Deletes a live block crash-safely: renames it to DIR.tmp first. */
int block_retire_dir(const char *dir);

/* A new sortable block id (time + randomness, Crockford base32). */
void block_new_id(char out[BLOCK_ID_LEN + 1]);

#endif
