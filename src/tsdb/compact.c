/*
 * compact — cutting the head into blocks, leveled compaction of blocks and
 * tombstone clean-up. All of it runs under db->maint; block files are
 * written without other locks, and only the swap of the block list (and the
 * head truncation) happens under the exclusive reload lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/hclock.h"
#include "core/hlog.h"
#include "tsdb/db.h"
#include "tsdb/querier.h"

static int64_t floor_to(int64_t t, int64_t r)
{
    int64_t q = t / r;
    if (t % r != 0 && t < 0)
        q--;
    return q * r;
}

/* Writes a block from srcs over [mint, maxt) and opens it (*out NULL when
 * there was nothing in range). */
static int write_from(tsdb_db *db, const qsource *srcs, size_t n, int64_t mint,
                      int64_t maxt, int level, block **out, heron_err *err)
{
    *out = NULL;
    tsdb_querier *q;
    tsdb_series_set *set = NULL;
    int rc = querier_open(srcs, n, mint, maxt - 1, NULL, NULL, &q, err);
    if (rc)
        return rc;
    uint64_t t0 = hclock_mono_ns();
    rc = querier_select_all(q, &set, err);
    char id[BLOCK_ID_LEN + 1];
    int empty = 0;
    if (rc == 0)
        rc = block_write(db->dir, set, mint, maxt, level, id, &empty, err);
    tsdb_series_set_free(set);
    tsdb_querier_free(q);
    if (rc == 0 && !empty) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", db->dir, id);
        rc = block_open(path, out, err);
        atomic_fetch_add(&db->compactions, 1);
        db_metrics_observe_compaction(db, (double)(hclock_mono_ns() - t0) / 1e9);
    }
    if (rc)
        atomic_fetch_add(&db->compaction_failures, 1);
    return rc;
}

static int block_cmp(const void *a, const void *b)
{
    const block_meta *x = block_get_meta(*(block *const *)a);
    const block_meta *y = block_get_meta(*(block *const *)b);
    if (x->mint != y->mint)
        return x->mint < y->mint ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Replaces blocks old[0..nold) by nb (may be NULL) in the list, then
 * removes the old directories. */
int db_swap_blocks(tsdb_db *db, block *const *old, size_t nold, block *nb,
                   heron_err *err)
{
    block **gone = malloc((nold + 1) * sizeof *gone);
    block **list = malloc((db->nblocks + 1) * sizeof *list);
    if (!gone || !list) {
        free(gone);
        free(list);
        block_close(nb);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    memcpy(gone, old, nold * sizeof *gone);
    pthread_rwlock_wrlock(&db->reload);
    size_t n = 0;
    for (size_t i = 0; i < db->nblocks; i++) {
        int drop = 0;
        for (size_t k = 0; k < nold; k++)
            drop |= db->blocks[i] == gone[k];
        if (!drop)
            list[n++] = db->blocks[i];
    }
    if (nb)
        list[n++] = nb;
    qsort(list, n, sizeof *list, block_cmp);
    free(db->blocks);
    db->blocks = list;
    db->nblocks = n;
    pthread_rwlock_unlock(&db->reload);
    for (size_t k = 0; k < nold; k++) {
        char *dir = strdup(block_get_dir(gone[k]));
        block_close(gone[k]);
        if (dir)
            block_retire_dir(dir);
        free(dir);
    }
    free(gone);
    return 0;
}

/* Writes the head's [mint, maxt) as a block, truncates the head there and
 * checkpoints the WAL. */
static int cut_head(tsdb_db *db, int64_t mint, int64_t maxt, heron_err *err)
{
    qsource hs = {&head_qsource_ops, db->h};
    block *nb;
    int rc = write_from(db, &hs, 1, mint, maxt, 1, &nb, err);
    if (rc)
        return rc;
    block **list = nb ? realloc(db->blocks, (db->nblocks + 1) * sizeof *list) : NULL;
    if (nb && !list) {
        block_close(nb);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    pthread_rwlock_wrlock(&db->reload);
    if (nb) {
        db->blocks = list;
        db->blocks[db->nblocks++] = nb;
        qsort(db->blocks, db->nblocks, sizeof *db->blocks, block_cmp);
    }
    rc = head_truncate(db->h, maxt);
    pthread_rwlock_unlock(&db->reload);
    if (rc)
        return err_set(err, rc, "truncating the head: %s", heron_strerror(rc));
    uint32_t seg;
    if ((rc = wal_cut(db->w, &seg, err)))
        return rc;
    return db_checkpoint(db, seg, maxt, err);
}

static int compact_head(tsdb_db *db, int all, heron_err *err)
{
    int64_t range = db->o.block_range_ms;
    /* Each round moves the head's lower bound past a window, and empty
     * windows are skipped, so this ends; the bound is only a backstop
     * (2^20 windows of data: centuries at 2h). */
    for (int round = 0; round < (1 << 20); round++) {
        int64_t mint = atomic_load(&db->h->mint), maxt = atomic_load(&db->h->maxt);
        if (mint == INT64_MAX || maxt == INT64_MIN || mint > maxt)
            return 0;
        if (!all && maxt - mint <= range / 2 * 3)
            return 0;
        int64_t start = floor_to(mint, range);
        int rc = cut_head(db, start, start + range, err);
        if (rc)
            return rc;
    }
    return 0;
}

/* Level ranges: block range × 3^k, up to a tenth of retention. */
static int plan(tsdb_db *db, size_t *first, size_t *count, int64_t *wmin,
                int64_t *wmax)
{
    /* Overlapping blocks are merged first (backfill, out-of-order). */
    for (size_t i = 0; i + 1 < db->nblocks; i++) {
        const block_meta *a = block_get_meta(db->blocks[i]);
        size_t j = i + 1;
        int64_t hi = a->maxt;
        while (j < db->nblocks && block_get_meta(db->blocks[j])->mint < hi) {
            if (block_get_meta(db->blocks[j])->maxt > hi)
                hi = block_get_meta(db->blocks[j])->maxt;
            j++;
        }
        if (j > i + 1) {
            *first = i;
            *count = j - i;
            *wmin = a->mint;
            *wmax = hi;
            return 1;
        }
    }
    if (db->nblocks < 2)
        return 0;
    int64_t newest = block_get_meta(db->blocks[db->nblocks - 1])->maxt;
    int64_t limit = db->o.retention_ms / 10;
    for (int64_t r = db->o.block_range_ms * 3; r <= limit && r > 0; r *= 3) {
        for (size_t i = 0; i < db->nblocks;) {
            int64_t start = floor_to(block_get_meta(db->blocks[i])->mint, r);
            size_t j = i;
            while (j < db->nblocks && block_get_meta(db->blocks[j])->maxt <= start + r &&
                   block_get_meta(db->blocks[j])->mint >= start)
                j++;
            /* A window is ready once data exists past its end. */
            if (j > i + 1 && newest >= start + r) {
                *first = i;
                *count = j - i;
                *wmin = block_get_meta(db->blocks[i])->mint;
                *wmax = block_get_meta(db->blocks[j - 1])->maxt;
                for (size_t k = i; k < j; k++)
                    if (block_get_meta(db->blocks[k])->maxt > *wmax)
                        *wmax = block_get_meta(db->blocks[k])->maxt;
                return 1;
            }
            i = j > i ? j : i + 1;
        }
    }
    return 0;
}

static int compact_blocks(tsdb_db *db, heron_err *err)
{
    for (int round = 0; round < 1000; round++) {
        size_t first, count;
        int64_t wmin, wmax;
        if (!plan(db, &first, &count, &wmin, &wmax))
            return 0;
        qsource *srcs = calloc(count, sizeof *srcs);
        block **old = calloc(count, sizeof *old);
        if (!srcs || !old) {
            free(srcs);
            free(old);
            return err_set(err, HERON_ENOMEM, "out of memory");
        }
        int level = 0;
        for (size_t k = 0; k < count; k++) {
            old[k] = db->blocks[first + k];
            srcs[k] = (qsource){&block_qsource_ops, old[k]};
            if (block_get_meta(old[k])->level > level)
                level = block_get_meta(old[k])->level;
        }
        block *nb;
        int rc = write_from(db, srcs, count, wmin, wmax, level + 1, &nb, err);
        if (rc == 0)
            rc = db_swap_blocks(db, old, count, nb, err);
        free(srcs);
        free(old);
        if (rc)
            return rc;
    }
    return 0;
}

int tsdb_compact(tsdb_db *db, heron_err *err)
{
    pthread_mutex_lock(&db->maint);
    int rc = compact_head(db, 0, err);
    if (rc == 0)
        rc = compact_blocks(db, err);
    if (rc == 0)
        rc = db_apply_retention(db, err);
    pthread_mutex_unlock(&db->maint);
    if (rc)
        hlog(HLOG_ERROR, "tsdb", "compaction failed", "err", err ? err->msg : "", NULL);
    return rc;
}

int tsdb_flush_head(tsdb_db *db, heron_err *err)
{
    pthread_mutex_lock(&db->maint);
    int rc = compact_head(db, 1, err);
    pthread_mutex_unlock(&db->maint);
    return rc;
}

int tsdb_clean_tombstones(tsdb_db *db, heron_err *err)
{
    pthread_mutex_lock(&db->maint);
    int rc = 0;
    for (size_t i = 0; i < db->nblocks && rc == 0; i++) {
        block *b = db->blocks[i];
        if (!block_has_tombstones(b))
            continue;
        const block_meta *m = block_get_meta(b);
        qsource src = {&block_qsource_ops, b};
        block *nb;
        rc = write_from(db, &src, 1, m->mint, m->maxt, m->level, &nb, err);
        if (rc == 0)
            rc = db_swap_blocks(db, &b, 1, nb, err);
        i = 0 - (size_t)1; /* the list changed: rescan (bounded: one fewer) */
        if (rc)
            break;
    }
    pthread_mutex_unlock(&db->maint);
    return rc;
}
