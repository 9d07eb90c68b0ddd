/* retention — deleting whole blocks by age and by total size. */
#include <stdlib.h>

#include "core/err.h"
#include "core/hlog.h"
#include "tsdb/db.h"
#include "tsdb/dirsize.h"

/* Retention deletes whole blocks: those ending before the newest block's
 * end minus retention_ms, then the oldest while the total is over
 * retention_bytes. As in Prometheus, the total also counts the WAL and
 * the head's chunk files, which retention cannot delete but which take
 * the same disk. */
int db_apply_retention(tsdb_db *db, heron_err *err)
{
    if (db->nblocks == 0)
        return 0;
    int64_t newest = INT64_MIN;
    for (size_t i = 0; i < db->nblocks; i++)
        if (block_get_meta(db->blocks[i])->maxt > newest)
            newest = block_get_meta(db->blocks[i])->maxt;
    block **del = calloc(db->nblocks, sizeof *del);
    if (!del)
        return err_set(err, HERON_ENOMEM, "out of memory");
    size_t n = 0;
    uint64_t total = db_block_bytes(db) + dir_bytes(db->wal_dir) + cmap_bytes(db->h->cm);
    for (size_t i = 0; i < db->nblocks; i++) {
        const block_meta *m = block_get_meta(db->blocks[i]);
        int old = m->maxt <= newest - db->o.retention_ms;
        int big = db->o.retention_bytes > 0 && total > (uint64_t)db->o.retention_bytes;
        if (old || big) {
            del[n++] = db->blocks[i];
            total -= block_bytes(db->blocks[i]);
        }
    }
    int rc = 0;
    if (n) {
        for (size_t i = 0; i < n; i++)
            hlog(HLOG_INFO, "tsdb", "retention deletes block", "block",
                 block_get_dir(del[i]), NULL);
        atomic_fetch_add(&db->retention_deletions, n);
        rc = db_swap_blocks(db, del, n, NULL, err);
    }
    free(del);
    return rc;
}
