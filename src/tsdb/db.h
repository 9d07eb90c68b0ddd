/*
 * db — the database object shared by the files that make up tsdb_db:
 * db.c (open/close, queriers, deletion, stats), appender.c, replay.c,
 * compact.c, retention.c and metrics.c.
 *
 * Locks: `reload` (rwlock) is held shared by every open querier and
 * exclusively, briefly, while the block list changes or the head is
 * truncated; `maint` serialises maintenance (compaction, retention,
 * tombstone clean-up) and is held across their I/O; `log_mu` orders WAL
 * series records before the samples that use them. Order: maint, reload,
 * log_mu, then head and WAL locks.
 */
#ifndef HERON_TSDB_DB_H
#define HERON_TSDB_DB_H

#include <pthread.h>
#include <stdatomic.h>

#include "tsdb/block.h"
#include "tsdb/head.h"
#include "tsdb/wal.h"

struct tsdb_metrics;

struct tsdb_db {
    char *dir;
    char *wal_dir;
    tsdb_options o;
    head *h;
    wal *w;
    int lock_fd;
    pthread_rwlock_t reload;
    pthread_mutex_t maint;
    pthread_mutex_t log_mu;
    block **blocks; /* sorted by mint; guarded by reload */
    size_t nblocks;
    atomic_ullong wal_corruptions, compactions, compaction_failures,
        retention_deletions, blocks_loaded;
    struct tsdb_metrics *m;
};

/* Replays DIR/wal (checkpoint, then segments) into the head. */
int db_replay(tsdb_db *db, heron_err *err);
/* Writes a checkpoint of WAL segments before `upto` keeping what the
 * head still needs (series alive, samples and tombstones from mint on),
 * then deletes those segments and older checkpoints. */
int db_checkpoint(tsdb_db *db, uint32_t upto, int64_t mint, heron_err *err);
/* Loads every block directory (sorted by mint); a damaged block is an
 * error naming its directory and file. */
int db_load_blocks(tsdb_db *db, heron_err *err);
/* Deletes blocks past the retention limits. Called with maint held. */
int db_apply_retention(tsdb_db *db, heron_err *err);
/* Replaces blocks old[0..nold) by nb (may be NULL) in the list under the
 * exclusive reload lock, then closes and removes the old ones. */
int db_swap_blocks(tsdb_db *db, block *const *old, size_t nold, block *nb,
                   heron_err *err);
/* Total bytes of loaded blocks. Called with reload or maint held. */
uint64_t db_block_bytes(tsdb_db *db);

int db_metrics_register(tsdb_db *db, heron_err *err);
void db_metrics_free(tsdb_db *db);
void db_metrics_observe_compaction(tsdb_db *db, double seconds);

#endif
