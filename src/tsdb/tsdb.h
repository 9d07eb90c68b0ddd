/*
 * tsdb — heron's time-series database.
 *
 * A database is a directory:
 *
 *   DIR/wal/00000001 ...        write-ahead log segments (CRC32C per record)
 *   DIR/wal/checkpoint.N/       the head's state as of WAL segment N
 *   DIR/chunks_head/000001 ...  full head chunks, memory-mapped scratch files
 *                               (wiped on open: the WAL rebuilds the head)
 *   DIR/<block id>/             immutable blocks: meta.json, index, chunks/, tombstones
 *
 * Samples are (int64 milliseconds, float64) pairs. Every float is stored bit
 * for bit, so Prometheus' stale marker (TSDB_STALE_NAN_BITS) stays distinct
 * from an ordinary NaN. Recent samples live in the in-memory head (one open
 * Gorilla-coded chunk per series, full chunks in mapped files); the head is
 * cut into blocks of block_range_ms, which leveled compaction merges, and
 * retention deletes whole blocks. docs/tsdb-format.md describes the files,
 * docs/tsdb.md the behaviour.
 *
 * Labels are arrays of name/value pairs sorted by name with unique names.
 * A series is identified by its label set and, inside one open database, by
 * a tsdb_ref that appenders can cache to skip the label lookup.
 *
 * Errors: functions that can fail return 0 or a negative HERON_E* code and
 * fill the optional heron_err with a message naming the series, file or value.
 *   HERON_EINVAL  bad labels / matcher / argument
 *   HERON_ESTATE  sample out of order, duplicate timestamp with another
 *                 value, or too old for the head (see tsdb_append); the
 *                 directory is open in another process (tsdb_open)
 *   HERON_ERANGE  a limit (max series, label length) was exceeded
 *   HERON_EIO     file-system error or damaged file (the message names it)
 *
 * Ownership: the caller owns everything it passes in; strings are copied.
 * Objects returned through **out are freed with their *_free function.
 *
 * Thread-safety: a tsdb_db may be used from any number of threads at once.
 * A tsdb_appender, tsdb_querier, tsdb_series_set and tsdb_iterator each
 * belong to one thread at a time; make one appender per thread for parallel
 * ingestion (series are spread over 4096 independently locked shards).
 * Maintenance (tsdb_compact, tsdb_flush_head, tsdb_clean_tombstones,
 * tsdb_delete) briefly waits for open queriers to be freed when it swaps
 * blocks or truncates the head, so a thread must not call it while it
 * holds a querier.
 */
#ifndef HERON_TSDB_H
#define HERON_TSDB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "heron.h"

/* ---- samples ------------------------------------------------------------ */

/* Prometheus' staleness marker: a NaN with this exact bit pattern. */
#define TSDB_STALE_NAN_BITS UINT64_C(0x7ff0000000000002)

static inline double tsdb_stale_nan(void)
{
    uint64_t b = TSDB_STALE_NAN_BITS;
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

static inline int tsdb_is_stale_nan(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b == TSDB_STALE_NAN_BITS;
}

typedef struct tsdb_sample {
    int64_t t; /* milliseconds since the epoch */
    double v;
} tsdb_sample;

/* ---- labels ------------------------------------------------------------- */

typedef struct tsdb_label {
    const char *name;
    const char *value;
} tsdb_label;

/* Series reference inside one open database; 0 means "none". */
typedef uint64_t tsdb_ref;

/* Sorts ls[0..n) by name in place. */
void tsdb_labels_sort(tsdb_label *ls, size_t n);
/* Orders two sorted label sets the way Prometheus orders series. */
int tsdb_labels_cmp(const tsdb_label *a, size_t na, const tsdb_label *b,
                    size_t nb);

/* ---- matchers ----------------------------------------------------------- */

typedef enum tsdb_match_type {
    TSDB_MATCH_EQ,  /* name="value"  */
    TSDB_MATCH_NEQ, /* name!="value" */
    TSDB_MATCH_RE,  /* name=~"regex" (fully anchored, PCRE2 JIT) */
    TSDB_MATCH_NRE  /* name!~"regex" */
} tsdb_match_type;

typedef struct tsdb_matcher tsdb_matcher;

/* Compiles a matcher; the regex is compiled once. As in Prometheus, a
 * matcher that matches "" also selects series that lack the label. Errors:
 * HERON_EINVAL for a bad regex (the message quotes it and the offset). */
int tsdb_matcher_new(tsdb_match_type type, const char *name,
                     const char *value, tsdb_matcher **out, heron_err *err);
void tsdb_matcher_free(tsdb_matcher *m);
/* 1 when value matches, 0 otherwise. Thread-safe. */
int tsdb_matcher_matches(const tsdb_matcher *m, const char *value);
const char *tsdb_matcher_name(const tsdb_matcher *m);
tsdb_match_type tsdb_matcher_type(const tsdb_matcher *m);
const char *tsdb_matcher_value(const tsdb_matcher *m);

/* ---- opening a database -------------------------------------------------- */

typedef enum tsdb_wal_sync {
    TSDB_WAL_SYNC_COMMIT,   /* fsync before tsdb_appender_commit returns */
    TSDB_WAL_SYNC_INTERVAL, /* fsync every wal_sync_interval_ms (default) */
    TSDB_WAL_SYNC_NEVER     /* leave it to the kernel */
} tsdb_wal_sync;

typedef struct tsdb_options {
    int64_t block_range_ms;     /* head block span; 0: 2h */
    int64_t retention_ms;       /* keep blocks this long; 0: 15d */
    int64_t retention_bytes;    /* bytes of blocks, WAL and head chunk files
                                   to keep (blocks go); 0: no limit */
    int64_t ooo_window_ms;      /* accept samples this far behind; 0: none */
    uint64_t max_series;        /* head series limit; 0: none */
    size_t max_label_name_len;  /* 0: 1024 */
    size_t max_label_value_len; /* 0: 16384 */
    tsdb_wal_sync wal_sync;
    int64_t wal_sync_interval_ms; /* 0: 1000 */
    size_t wal_segment_bytes;     /* 0: 128 MiB */
    heron_registry *registry;     /* self-metrics go here; NULL: none */
} tsdb_options;

typedef struct tsdb_db tsdb_db;

/* Opens (creating if needed) the database in dir: loads blocks, replays the
 * WAL checkpoint and segments into the head. A torn or corrupt WAL tail is
 * truncated with a logged warning. opts NULL: defaults. */
int tsdb_open(const char *dir, const tsdb_options *opts, tsdb_db **out,
              heron_err *err);
/* Flushes and closes; the head stays in the WAL. NULL is a no-op. No other
 * thread may use db or its objects any more. */
void tsdb_close(tsdb_db *db);

/* ---- appending ----------------------------------------------------------- */

typedef struct tsdb_appender tsdb_appender;

int tsdb_appender_new(tsdb_db *db, tsdb_appender **out, heron_err *err);
/* Adds one sample to the appender's batch. When *ref names a live series
 * the labels are not looked at (ls may be NULL); otherwise the series is
 * found or created from ls[0..n) (sorted by name, no empty values: pairs
 * with an empty value are dropped) and *ref receives its reference.
 * Rejections (the sample is dropped, the batch stays usable):
 *   HERON_ESTATE  older than the series' last sample, or the same
 *                 timestamp with a different value (an identical duplicate
 *                 is silently ignored), or older than the head allows;
 *                 counted in heron_tsdb_out_of_order_samples_total
 *   HERON_ERANGE  max_series reached or a label too long
 *   HERON_EINVAL  malformed labels (empty, unsorted, duplicate names) */
int tsdb_append(tsdb_appender *a, tsdb_ref *ref, const tsdb_label *ls,
                size_t n, int64_t t, double v, heron_err *err);
/* Writes the batch to the WAL (fsyncing it under TSDB_WAL_SYNC_COMMIT) and
 * makes it visible to queries. Either all samples of the batch are
 * committed or, on a WAL error, none. The appender is empty afterwards and
 * can be reused. */
int tsdb_appender_commit(tsdb_appender *a, heron_err *err);
/* Drops the batch; the appender is empty and reusable. */
void tsdb_appender_rollback(tsdb_appender *a);
/* Rolls back what is pending and frees the appender. NULL is a no-op. */
void tsdb_appender_free(tsdb_appender *a);

/* ---- querying ------------------------------------------------------------ */

typedef struct tsdb_querier tsdb_querier;
typedef struct tsdb_series_set tsdb_series_set;
typedef struct tsdb_iterator tsdb_iterator;

/* A consistent view of samples with mint <= t <= maxt over head and blocks.
 * Hold it briefly: compaction and retention wait for it to be freed. */
int tsdb_querier_new(tsdb_db *db, int64_t mint, int64_t maxt,
                     tsdb_querier **out, heron_err *err);
void tsdb_querier_free(tsdb_querier *q);

/* Series matching all of ms[0..n) (n >= 1), sorted by labels, each listed
 * once however many blocks hold it, and only if it has samples in the
 * querier's range. When every matcher matches "" the selection starts from
 * all series (PromQL refuses such selectors before they get here). The set
 * must be freed before its querier. */
int tsdb_querier_select(tsdb_querier *q, const tsdb_matcher *const *ms,
                        size_t n, tsdb_series_set **out, heron_err *err);
/* Advances to the next series: 1 when there is one, 0 at the end, negative
 * on error (a damaged chunk; see the set's error). */
int tsdb_series_set_next(tsdb_series_set *s);
/* The current series' labels, valid until the next call to _next. */
const tsdb_label *tsdb_series_set_labels(const tsdb_series_set *s, size_t *n);
/* The current series' samples: an iterator owned by the set, reset by each
 * call and valid until the next call to _next. */
tsdb_iterator *tsdb_series_set_iterator(tsdb_series_set *s);
/* The first error met while reading (code 0 when none). */
const heron_err *tsdb_series_set_err(const tsdb_series_set *s);
void tsdb_series_set_free(tsdb_series_set *s);

/* Iterators yield each timestamp once, in increasing order, limited to the
 * querier's range and with deleted intervals left out. next/seek return 1
 * when positioned on a sample, 0 when exhausted, HERON_EIO on a damaged
 * chunk. seek(t) moves to the first sample >= t and never moves back. */
int tsdb_iterator_next(tsdb_iterator *it);
int tsdb_iterator_seek(tsdb_iterator *it, int64_t t);
void tsdb_iterator_at(const tsdb_iterator *it, int64_t *t, double *v);
/* The batch form of next, for loops over many samples: returns n > 0 and
 * points *ts and *vs at the next n samples (at most one chunk's worth),
 * valid until the iterator moves again; 0 at the end; HERON_EIO on a
 * damaged chunk. Afterwards the iterator stands on the last of them. */
int tsdb_iterator_next_batch(tsdb_iterator *it, const int64_t **ts,
                             const double **vs);

/* A list of strings owned by the list; free it with tsdb_strings_free. */
typedef struct tsdb_strings {
    char **v;
    size_t n;
} tsdb_strings;
void tsdb_strings_free(tsdb_strings *s);

/* Sorted label names (values) of the series selected by ms[0..n) that have
 * samples in the querier's range. With n == 0 they come from the indexes of
 * the blocks and head overlapping the range, which is cheaper and may list
 * a few series whose samples lie just outside it. */
int tsdb_querier_label_names(tsdb_querier *q, const tsdb_matcher *const *ms,
                             size_t n, tsdb_strings *out, heron_err *err);
int tsdb_querier_label_values(tsdb_querier *q, const char *name,
                              const tsdb_matcher *const *ms, size_t n,
                              tsdb_strings *out, heron_err *err);

/* ---- deletion, compaction, retention -------------------------------------- */

/* Marks samples of the selected series in [mint, maxt] deleted (a
 * tombstone): they vanish from queries at once and from disk at the next
 * compaction or tsdb_clean_tombstones. */
int tsdb_delete(tsdb_db *db, const tsdb_matcher *const *ms, size_t n,
                int64_t mint, int64_t maxt, heron_err *err);
/* Rewrites blocks that carry tombstones without the deleted samples. */
int tsdb_clean_tombstones(tsdb_db *db, heron_err *err);

/* One round of maintenance, meant to run every minute or so from one
 * thread: cuts the head into blocks when it spans 1.5 block ranges,
 * truncates the head and WAL (with a checkpoint), compacts blocks level by
 * level (2h → 6h → 18h ... up to 10% of retention) and applies retention. */
int tsdb_compact(tsdb_db *db, heron_err *err);
/* Cuts the whole head into blocks now (used by backfill and tests). */
int tsdb_flush_head(tsdb_db *db, heron_err *err);

/* ---- inspection ----------------------------------------------------------- */

typedef struct tsdb_stats {
    uint64_t head_series;
    uint64_t head_chunks;
    uint64_t head_samples_appended;
    uint64_t head_index_bytes;       /* postings and interned label strings */
    uint64_t head_chunk_file_bytes;  /* mapped files of full head chunks */
    uint64_t wal_bytes;              /* segments and checkpoints */
    uint64_t out_of_order_samples;
    int64_t head_mint, head_maxt; /* INT64_MAX, INT64_MIN when empty */
    uint64_t blocks;
    uint64_t block_bytes;
    uint64_t wal_corruptions;
} tsdb_stats;

void tsdb_get_stats(tsdb_db *db, tsdb_stats *out);

/* ---- tools (heron tsdb ...) ------------------------------------------------- */

/* Prints the blocks of the database in dir and, for the block named
 * block_id (NULL: the newest), its series count and the label names, values
 * and pairs with the highest cardinality (limit lines each). Reads only:
 * takes no lock, replays no WAL. */
int tsdb_analyze(const char *dir, const char *block_id, size_t limit,
                 FILE *out, heron_err *err);

/* Backfills the OpenMetrics (or Prometheus text) file into blocks of
 * block_range_ms (0: 2h) in dir, like `promtool tsdb create-blocks-from
 * openmetrics`. Every sample needs a timestamp (seconds, as OpenMetrics
 * writes them). Samples may come in any order. Errors name the line.
 * *samples receives the count imported. */
int tsdb_import_openmetrics(const char *file, const char *dir,
                            int64_t block_range_ms, uint64_t *samples,
                            heron_err *err);

#endif
