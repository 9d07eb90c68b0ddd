/*
 * metrics — the database's self-metrics on the caller's heron_registry.
 * Gauges and counters are read from the database's atomics at scrape time
 * by a callback collector (nothing on the hot path); fsync and compaction
 * durations are histograms.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "tsdb/db.h"

struct tsdb_metrics {
    heron_registry *reg;
    char collector[64];
    heron_family *fsync_f, *compact_f;
    heron_histogram *fsync, *compact;
};

static void emit(heron_sink *s, heron_type type, const char *name,
                 const char *help, double v)
{
    heron_sink_family(s, type, name, help, NULL, NULL);
    heron_sink_value(s, NULL, v);
}

static void collect(heron_sink *s, void *arg)
{
    tsdb_db *db = arg;
    tsdb_stats st;
    tsdb_get_stats(db, &st);
    emit(s, HERON_GAUGE, "heron_tsdb_head_series", "Series in the head block.",
         (double)st.head_series);
    emit(s, HERON_GAUGE, "heron_tsdb_head_chunks", "Full chunks in the head.",
         (double)st.head_chunks);
    emit(s, HERON_GAUGE, "heron_tsdb_head_index_bytes",
         "Bytes of the head's postings index and interned label strings.",
         (double)st.head_index_bytes);
    emit(s, HERON_GAUGE, "heron_tsdb_head_chunks_storage_bytes",
         "Bytes of the mapped files holding full head chunks.",
         (double)st.head_chunk_file_bytes);
    emit(s, HERON_GAUGE, "heron_tsdb_wal_storage_size_bytes",
         "Bytes of the WAL's segments and checkpoints.", (double)st.wal_bytes);
    emit(s, HERON_COUNTER, "heron_tsdb_head_samples_appended_total",
         "Samples appended to the head.", (double)st.head_samples_appended);
    emit(s, HERON_COUNTER, "heron_tsdb_out_of_order_samples_total",
         "Samples rejected as out of order, duplicate or out of bounds.",
         (double)st.out_of_order_samples);
    emit(s, HERON_COUNTER, "heron_tsdb_wal_corruptions_total",
         "WAL corruptions repaired at start-up.", (double)st.wal_corruptions);
    emit(s, HERON_COUNTER, "heron_tsdb_compactions_total",
         "Blocks written by compaction and head cuts.",
         (double)atomic_load(&db->compactions));
    emit(s, HERON_COUNTER, "heron_tsdb_compactions_failed_total",
         "Compactions that failed.", (double)atomic_load(&db->compaction_failures));
    emit(s, HERON_GAUGE, "heron_tsdb_blocks_loaded", "Blocks currently loaded.",
         (double)st.blocks);
    emit(s, HERON_GAUGE, "heron_tsdb_storage_blocks_bytes",
         "Bytes of all blocks on disk.", (double)st.block_bytes);
    emit(s, HERON_COUNTER, "heron_tsdb_retention_deletions_total",
         "Blocks deleted by time or size retention.",
         (double)atomic_load(&db->retention_deletions));
    emit(s, HERON_GAUGE, "heron_tsdb_head_min_time",
         "Lowest timestamp in the head (ms).",
         st.head_series ? (double)st.head_mint : 0);
    emit(s, HERON_GAUGE, "heron_tsdb_head_max_time",
         "Highest timestamp in the head (ms).",
         st.head_series ? (double)st.head_maxt : 0);
}

static void on_fsync(double seconds, void *arg)
{
    heron_histogram_observe(arg, seconds);
}

int db_metrics_register(tsdb_db *db, heron_err *err)
{
    if (!db->o.registry)
        return 0;
    struct tsdb_metrics *m = calloc(1, sizeof *m);
    if (!m)
        return err_set(err, HERON_ENOMEM, "out of memory");
    m->reg = db->o.registry;
    snprintf(m->collector, sizeof m->collector, "tsdb_%p", (void *)db);
    static const double fs[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1};
    static const double cs[] = {0.1, 0.5, 1, 5, 10, 30, 60, 300, 900};
    heron_opts fo = {.registry = m->reg,
                     .name = "heron_tsdb_wal_fsync_duration_seconds",
                     .help = "Duration of WAL fsync."};
    heron_opts co = {.registry = m->reg,
                     .name = "heron_tsdb_compaction_duration_seconds",
                     .help = "Duration of compactions and head cuts."};
    heron_buckets fb = {fs, sizeof fs / sizeof *fs}, cb = {cs, sizeof cs / sizeof *cs};
    int rc = heron_histogram_new(&fo, &fb, &m->fsync_f, err);
    if (rc == 0)
        rc = heron_histogram_new(&co, &cb, &m->compact_f, err);
    if (rc == 0 && (!(m->fsync = heron_histogram_of(m->fsync_f, NULL)) ||
                    !(m->compact = heron_histogram_of(m->compact_f, NULL))))
        rc = err_set(err, HERON_ENOMEM, "tsdb metrics: %s", heron_last_error());
    if (rc == 0)
        rc = heron_collector_register(m->reg, m->collector, collect, db, err);
    db->m = m;
    if (rc)
        return rc;
    wal_set_sync_observer(db->w, on_fsync, m->fsync);
    return 0;
}

void db_metrics_free(tsdb_db *db)
{
    struct tsdb_metrics *m = db->m;
    if (!m)
        return;
    heron_collector_unregister(m->reg, m->collector, NULL);
    if (m->fsync_f)
        heron_family_unregister(m->fsync_f, NULL);
    if (m->compact_f)
        heron_family_unregister(m->compact_f, NULL);
    free(m);
    db->m = NULL;
}

void db_metrics_observe_compaction(tsdb_db *db, double seconds)
{
    if (db->m && db->m->compact)
        heron_histogram_observe(db->m->compact, seconds);
}
