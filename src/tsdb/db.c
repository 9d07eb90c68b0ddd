/* db — opening and closing a database, queriers, deletion and stats. */
#include "tsdb/db.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hlog.h"
#include "tsdb/dirsize.h"
#include "tsdb/querier.h"
#include "tsdb/walrec.h"

#define HOUR_MS (3600 * 1000LL)

static void defaults(tsdb_options *o)
{
    if (o->block_range_ms <= 0)
        o->block_range_ms = 2 * HOUR_MS;
    if (o->retention_ms <= 0)
        o->retention_ms = 15 * 24 * HOUR_MS;
    if (!o->max_label_name_len)
        o->max_label_name_len = 1024;
    if (!o->max_label_value_len)
        o->max_label_value_len = 16384;
    if (o->ooo_window_ms < 0)
        o->ooo_window_ms = 0;
}

static int block_mint_cmp(const void *a, const void *b)
{
    const block_meta *x = block_get_meta(*(block *const *)a);
    const block_meta *y = block_get_meta(*(block *const *)b);
    if (x->mint != y->mint)
        return x->mint < y->mint ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int is_block_dir(const char *name)
{
    if (strlen(name) != BLOCK_ID_LEN)
        return 0;
    for (const char *p = name; *p; p++)
        if (!strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ", *p))
            return 0;
    return 1;
}

int db_load_blocks(tsdb_db *db, heron_err *err)
{
    DIR *d = opendir(db->dir);
    if (!d)
        return err_set(err, HERON_EIO, "open %s: %s", db->dir, strerror(errno));
    struct dirent *de;
    char path[4096];
    int rc = 0;
    while (rc == 0 && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        snprintf(path, sizeof path, "%s/%s", db->dir, de->d_name);
        if (len == BLOCK_ID_LEN + 4 && strcmp(de->d_name + len - 4, ".tmp") == 0) {
            /* An interrupted block write: never renamed, so never used. */
            block_remove_dir(path);
            continue;
        }
        if (!is_block_dir(de->d_name))
            continue;
        block *b;
        if ((rc = block_open(path, &b, err)))
            break;
        block **nb = realloc(db->blocks, (db->nblocks + 1) * sizeof *nb);
        if (!nb) {
            block_close(b);
            rc = err_set(err, HERON_ENOMEM, "out of memory");
            break;
        }
        db->blocks = nb;
        db->blocks[db->nblocks++] = b;
        atomic_fetch_add(&db->blocks_loaded, 1);
    }
    closedir(d);
    if (rc == 0 && db->nblocks > 1)
        qsort(db->blocks, db->nblocks, sizeof *db->blocks, block_mint_cmp);
    return rc;
}

uint64_t db_block_bytes(tsdb_db *db)
{
    uint64_t total = 0;
    for (size_t i = 0; i < db->nblocks; i++)
        total += block_bytes(db->blocks[i]);
    return total;
}

static int join(char **out, const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    *out = malloc(n);
    if (!*out)
        return HERON_ENOMEM;
    snprintf(*out, n, "%s/%s", a, b);
    return 0;
}

int tsdb_open(const char *dir, const tsdb_options *opts, tsdb_db **out,
              heron_err *err)
{
    if (mkdir(dir, 0755) && errno != EEXIST)
        return err_set(err, HERON_EIO, "mkdir %s: %s", dir, strerror(errno));
    tsdb_db *db = calloc(1, sizeof *db);
    if (!db)
        return err_set(err, HERON_ENOMEM, "out of memory");
    if (opts)
        db->o = *opts;
    defaults(&db->o);
    db->lock_fd = -1;
    pthread_rwlock_init(&db->reload, NULL);
    pthread_mutex_init(&db->maint, NULL);
    pthread_mutex_init(&db->log_mu, NULL);
    char *chunks_dir = NULL, *lock_path = NULL;
    int rc = 0;
    if (!(db->dir = strdup(dir)) || join(&db->wal_dir, dir, "wal") ||
        join(&chunks_dir, dir, "chunks_head") || join(&lock_path, dir, "lock")) {
        rc = err_set(err, HERON_ENOMEM, "out of memory");
        goto fail;
    }
    db->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (db->lock_fd < 0 || flock(db->lock_fd, LOCK_EX | LOCK_NB)) {
        rc = err_set(err, HERON_ESTATE, "%s is in use by another process (lock %s)",
                     dir, lock_path);
        goto fail;
    }
    if ((rc = db_load_blocks(db, err)))
        goto fail;
    head_opts ho = {
        .chunks_dir = chunks_dir,
        .chunk_range = db->o.block_range_ms,
        .ooo_window = db->o.ooo_window_ms,
        .max_series = db->o.max_series,
        .max_name = db->o.max_label_name_len,
        .max_value = db->o.max_label_value_len,
    };
    if ((rc = head_new(&ho, &db->h, err)))
        goto fail;
    if (db->nblocks) {
        int64_t maxt = INT64_MIN;
        for (size_t i = 0; i < db->nblocks; i++)
            if (block_get_meta(db->blocks[i])->maxt > maxt)
                maxt = block_get_meta(db->blocks[i])->maxt;
        atomic_store(&db->h->min_valid, maxt);
    }
    if ((rc = db_replay(db, err)))
        goto fail;
    wal_opts wo = {
        .dir = db->wal_dir,
        .segment_bytes = db->o.wal_segment_bytes,
        .sync = db->o.wal_sync,
        .sync_interval_ms = db->o.wal_sync_interval_ms,
    };
    if ((rc = wal_open(&wo, &db->w, err)))
        goto fail;
    if ((rc = db_metrics_register(db, err)))
        goto fail;
    free(chunks_dir);
    free(lock_path);
    *out = db;
    return 0;
fail:
    free(chunks_dir);
    free(lock_path);
    tsdb_close(db);
    return rc;
}

void tsdb_close(tsdb_db *db)
{
    if (!db)
        return;
    db_metrics_free(db);
    wal_close(db->w);
    head_free(db->h);
    for (size_t i = 0; i < db->nblocks; i++)
        block_close(db->blocks[i]);
    free(db->blocks);
    if (db->lock_fd >= 0)
        close(db->lock_fd);
    pthread_rwlock_destroy(&db->reload);
    pthread_mutex_destroy(&db->maint);
    pthread_mutex_destroy(&db->log_mu);
    free(db->wal_dir);
    free(db->dir);
    free(db);
}

static void unlock_reload(void *arg)
{
    tsdb_db *db = arg;
    pthread_rwlock_unlock(&db->reload);
}

int tsdb_querier_new(tsdb_db *db, int64_t mint, int64_t maxt,
                     tsdb_querier **out, heron_err *err)
{
    pthread_rwlock_rdlock(&db->reload);
    qsource *srcs = calloc(db->nblocks + 1, sizeof *srcs);
    if (!srcs) {
        pthread_rwlock_unlock(&db->reload);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < db->nblocks; i++) {
        const block_meta *m = block_get_meta(db->blocks[i]);
        if (m->maxt > mint && m->mint <= maxt)
            srcs[n++] = (qsource){&block_qsource_ops, db->blocks[i]};
    }
    /* The head joins when its samples overlap the range, so label names
     * and values of an older range do not list head-only series. */
    if (atomic_load(&db->h->mint) <= maxt && atomic_load(&db->h->maxt) >= mint)
        srcs[n++] = (qsource){&head_qsource_ops, db->h};
    int rc = querier_open(srcs, n, mint, maxt, unlock_reload, db, out, err);
    free(srcs);
    if (rc)
        pthread_rwlock_unlock(&db->reload);
    return rc;
}

int tsdb_delete(tsdb_db *db, const tsdb_matcher *const *ms, size_t n,
                int64_t mint, int64_t maxt, heron_err *err)
{
    if (n == 0)
        return err_set(err, HERON_EINVAL, "delete needs at least one matcher");
    if (mint > maxt)
        return err_set(err, HERON_EINVAL, "delete range [%lld, %lld] is empty",
                       (long long)mint, (long long)maxt);
    /* maint keeps the block list still; the head's tombstones are under
     * its series locks, so no lock is held across the file writes. */
    pthread_mutex_lock(&db->maint);
    int rc = 0;
    for (size_t i = 0; i < db->nblocks && rc == 0; i++) {
        const block_meta *m = block_get_meta(db->blocks[i]);
        if (m->maxt > mint && m->mint <= maxt)
            rc = block_delete(db->blocks[i], ms, n, mint, maxt, &db->reload, err);
    }
    plist ids = {0};
    qsource hs = {&head_qsource_ops, db->h};
    if (rc == 0)
        rc = qsource_select(&hs, ms, n, &ids, err);
    if (rc == 0 && ids.n) {
        buf payload, rec;
        buf_init(&payload, 0);
        buf_init(&rec, 0);
        for (size_t i = 0; i < ids.n && rc == 0; i++)
            if (walrec_put_tombstone(&payload, ids.v[i], mint, maxt))
                rc = err_set(err, HERON_ENOMEM, "out of memory");
        uint64_t seq;
        if (rc == 0 && wal_frame(&rec, WAL_TOMBSTONES, payload.data, payload.len))
            rc = err_set(err, HERON_ENOMEM, "out of memory");
        if (rc == 0)
            rc = wal_log(db->w, rec.data, rec.len, &seq, err);
        if (rc == 0) {
            wal_sync(db->w, seq);
            for (size_t i = 0; i < ids.n && rc == 0; i++)
                if (head_add_tombstone(db->h, ids.v[i], mint, maxt))
                    rc = err_set(err, HERON_ENOMEM, "out of memory");
        }
        buf_free(&payload);
        buf_free(&rec);
    }
    plist_free(&ids);
    pthread_mutex_unlock(&db->maint);
    return rc;
}

void tsdb_get_stats(tsdb_db *db, tsdb_stats *out)
{
    memset(out, 0, sizeof *out);
    out->head_series = atomic_load(&db->h->nseries);
    out->head_chunks = atomic_load(&db->h->nchunks);
    out->head_samples_appended = atomic_load(&db->h->appended);
    out->head_index_bytes = mem_postings_bytes(db->h->mp) + intern_bytes(db->h->in);
    out->head_chunk_file_bytes = cmap_bytes(db->h->cm);
    out->wal_bytes = dir_bytes(db->wal_dir);
    out->out_of_order_samples = atomic_load(&db->h->ooo_rejected);
    out->head_mint = atomic_load(&db->h->mint);
    out->head_maxt = atomic_load(&db->h->maxt);
    out->wal_corruptions = atomic_load(&db->wal_corruptions);
    pthread_rwlock_rdlock(&db->reload);
    out->blocks = db->nblocks;
    out->block_bytes = db_block_bytes(db);
    pthread_rwlock_unlock(&db->reload);
}
