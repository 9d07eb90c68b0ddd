/*
 * wal — the write-ahead log: numbered segment files in DIR/wal, each a
 * sequence of records framed as
 *
 *   type u8 | length u32 LE | CRC32C(type, payload) u32 LE | payload
 *
 * A record never spans segments. Record payloads (walrec.c):
 *   WAL_SERIES     { uvarint id, uvarint n, n × (str name, str value) } ...
 *   WAL_SAMPLES    { uvarint id, varint t, u64 LE value bits } ...
 *   WAL_TOMBSTONES { uvarint id, varint mint, varint maxt } ...
 *
 * Writers: wal_log appends framed bytes under the WAL mutex (one write(2),
 * page cache only) and, when asked, waits for an fdatasync that covers
 * them; concurrent committers share one fsync (group commit). The sync
 * mutex is held across the fdatasync, the write mutex never is.
 *
 * Readers: wal_replay walks segments in order. A torn or corrupt record
 * ends the log: the segment is truncated there, later segments are
 * removed, and a warning is logged; the caller counts the corruption.
 */
#ifndef HERON_TSDB_WAL_H
#define HERON_TSDB_WAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "tsdb/tsdb.h"

enum { WAL_SERIES = 1, WAL_SAMPLES = 2, WAL_TOMBSTONES = 3 };
#define WAL_HDR 9

typedef struct wal wal;

typedef struct wal_opts {
    const char *dir;
    size_t segment_bytes;
    tsdb_wal_sync sync;
    int64_t sync_interval_ms;
} wal_opts;

/* Appends a framed record for payload to b. */
int wal_frame(buf *b, uint8_t type, const void *payload, size_t len);

/* Called for each intact record. A non-zero return stops the walk. */
typedef int (*wal_record_fn)(uint8_t type, const uint8_t *p, size_t len,
                             void *arg);

/* Reads segment files first..last (inclusive; last UINT32_MAX: all) of
 * dir in order, repairing a damaged tail as described above (repair 0:
 * report damage as HERON_EIO instead). *corruptions counts repairs. */
int wal_replay_dir(const char *dir, uint32_t first, uint32_t last, int repair,
                   wal_record_fn fn, void *arg, uint64_t *corruptions,
                   heron_err *err);
/* Lowest and highest segment numbers in dir (0, 0 when none: segments
 * are numbered from 1). */
int wal_segments(const char *dir, uint32_t *first, uint32_t *last,
                 heron_err *err);

/* Opens for appending: a new segment after the last one. Starts the
 * interval-sync thread when configured. */
int wal_open(const wal_opts *o, wal **out, heron_err *err);
/* Syncs and closes. NULL is a no-op. */
void wal_close(wal *w);
/* Writes framed records (one write); *seq identifies the write for
 * wal_sync. */
int wal_log(wal *w, const void *data, size_t len, uint64_t *seq,
            heron_err *err);
/* Returns once write seq is on disk (sharing an fsync with others). */
void wal_sync(wal *w, uint64_t seq);
/* Starts a new segment and returns its number; everything before is
 * synced. */
int wal_cut(wal *w, uint32_t *seg, heron_err *err);
/* Seconds spent in the last fdatasync, and the total count, for metrics. */
typedef void (*wal_sync_observer)(double seconds, void *arg);
void wal_set_sync_observer(wal *w, wal_sync_observer fn, void *arg);

#endif
