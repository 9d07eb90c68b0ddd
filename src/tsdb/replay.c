/*
 * replay — rebuilding the head from the WAL at open, and WAL checkpoints.
 *
 * DIR/wal/checkpoint.N holds, in WAL format, what segments up to N still
 * contribute; replay reads it, then segments N+1 onwards. Series ids in
 * records are the head's ids; a series record whose labels already exist
 * under another id is mapped onto that series.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hlog.h"
#include "tsdb/db.h"
#include "tsdb/labels.h"
#include "tsdb/walrec.h"

/* ---- id map: WAL id → head series ----------------------------------------- */

typedef struct idmap {
    uint64_t *k;
    mseries **v;
    size_t cap, n;
} idmap;

static size_t idslot(const idmap *m, uint64_t k)
{
    size_t i = (size_t)(k * 0x9e3779b97f4a7c15ULL) & (m->cap - 1);
    while (m->k[i] && m->k[i] != k)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int idmap_put(idmap *m, uint64_t k, mseries *s)
{
    if ((m->n + 1) * 2 > m->cap) {
        idmap g = {0};
        g.cap = m->cap ? m->cap * 2 : 1024;
        g.k = calloc(g.cap, sizeof *g.k);
        g.v = calloc(g.cap, sizeof *g.v);
        if (!g.k || !g.v) {
            free(g.k);
            free(g.v);
            return HERON_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->k[i]) {
                size_t j = idslot(&g, m->k[i]);
                g.k[j] = m->k[i];
                g.v[j] = m->v[i];
                g.n++;
            }
        free(m->k);
        free(m->v);
        *m = g;
    }
    size_t i = idslot(m, k);
    if (!m->k[i])
        m->n++;
    m->k[i] = k;
    m->v[i] = s;
    return 0;
}

static mseries *idmap_get(const idmap *m, uint64_t k)
{
    if (!m->cap)
        return NULL;
    size_t i = idslot(m, k);
    return m->k[i] ? m->v[i] : NULL;
}

/* ---- replay ------------------------------------------------------------------ */

typedef struct replay_ctx {
    tsdb_db *db;
    idmap ids;
    uint64_t unknown; /* samples of series never declared */
    heron_err *err;
} replay_ctx;

static int on_series(uint64_t id, const tsdb_label *ls, size_t n, void *arg)
{
    replay_ctx *c = arg;
    if (labels_validate(ls, n, SIZE_MAX, SIZE_MAX, NULL))
        return HERON_EIO;
    /* An id already taken by other labels cannot be right: skip it. */
    mseries *s = head_get(c->db->h, id);
    if (s) {
        int same = head_series_equal(c->db->h, s, ls, n);
        head_unpin(s);
        if (!same)
            return HERON_EIO;
    }
    int created;
    /* Limits are not applied: what was accepted once stays. */
    uint64_t limit = c->db->h->o.max_series;
    c->db->h->o.max_series = 0;
    int rc = head_get_or_create(c->db->h, ls, n, id, &s, &created, c->err);
    c->db->h->o.max_series = limit;
    if (rc)
        return rc;
    atomic_store(&s->logged, 1);
    head_unpin(s);
    return idmap_put(&c->ids, id, s) ? HERON_ENOMEM : 0;
}

static int on_sample(const walrec_sample *w, void *arg)
{
    replay_ctx *c = arg;
    mseries *s = idmap_get(&c->ids, w->id);
    if (!s) {
        c->unknown++;
        return 0;
    }
    int rc = head_append(c->db->h, s, w->t, w->vbits, NULL);
    return rc == HERON_ESTATE || rc == 1 ? 0 : rc;
}

static int on_tomb(uint64_t id, int64_t mint, int64_t maxt, void *arg)
{
    replay_ctx *c = arg;
    mseries *s = idmap_get(&c->ids, id);
    return s ? head_add_tombstone(c->db->h, s->id, mint, maxt) : 0;
}

static int on_record(uint8_t type, const uint8_t *p, size_t len, void *arg)
{
    int rc;
    switch (type) {
    case WAL_SERIES: rc = walrec_each_series(p, len, on_series, arg); break;
    case WAL_SAMPLES: rc = walrec_each_sample(p, len, on_sample, arg); break;
    default: rc = walrec_each_tombstone(p, len, on_tomb, arg); break;
    }
    /* A record with a valid CRC but bad contents is skipped, not fatal. */
    if (rc == HERON_EIO) {
        hlog(HLOG_WARN, "tsdb", "skipping malformed WAL record", NULL);
        return 0;
    }
    return rc;
}

/* The highest N of DIR/wal/checkpoint.N, 0 when none (*found = 0). */
static int last_checkpoint(const char *waldir, uint32_t *n, int *found)
{
    *n = 0;
    *found = 0;
    DIR *d = opendir(waldir);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        unsigned v;
        char tail;
        if (sscanf(de->d_name, "checkpoint.%u%c", &v, &tail) == 1 &&
            (!*found || v > *n)) {
            *n = v;
            *found = 1;
        }
    }
    closedir(d);
    return 0;
}

int db_replay(tsdb_db *db, heron_err *err)
{
    replay_ctx c = {.db = db, .err = err};
    uint32_t cp;
    int found;
    last_checkpoint(db->wal_dir, &cp, &found);
    uint64_t corrupt = 0;
    int rc = 0;
    if (found) {
        char path[4096];
        snprintf(path, sizeof path, "%s/checkpoint.%08u", db->wal_dir, cp);
        /* A checkpoint is written whole before it is renamed into place,
         * so damage in it is an error, not a tail to cut. */
        rc = wal_replay_dir(path, 0, UINT32_MAX, 0, on_record, &c, &corrupt, err);
    }
    if (rc == 0)
        rc = wal_replay_dir(db->wal_dir, found ? cp + 1 : 0, UINT32_MAX, 1,
                            on_record, &c, &corrupt, err);
    atomic_fetch_add(&db->wal_corruptions, corrupt);
    /* Replayed samples below the blocks are refused on purpose: not news. */
    atomic_store(&db->h->ooo_rejected, 0);
    if (c.unknown) {
        char n[24];
        snprintf(n, sizeof n, "%llu", (unsigned long long)c.unknown);
        hlog(HLOG_WARN, "tsdb", "WAL samples of unknown series dropped", "count",
             n, NULL);
    }
    free(c.ids.k);
    free(c.ids.v);
    return rc;
}

/* ---- checkpoints ---------------------------------------------------------------- */

typedef struct cp_ctx {
    tsdb_db *db;
    int64_t mint;
    buf out, payload;
    int fd;
    heron_err *err;
} cp_ctx;

static int cp_series(uint64_t id, const tsdb_label *ls, size_t n, void *arg)
{
    cp_ctx *c = arg;
    mseries *s = head_get(c->db->h, id);
    if (!s)
        return 0;
    head_unpin(s);
    return walrec_put_series(&c->payload, id, ls, n) ? HERON_ENOMEM : 0;
}

static int cp_sample(const walrec_sample *w, void *arg)
{
    cp_ctx *c = arg;
    if (w->t < c->mint)
        return 0;
    mseries *s = head_get(c->db->h, w->id);
    if (!s)
        return 0;
    head_unpin(s);
    return walrec_put_sample(&c->payload, w->id, w->t, w->vbits) ? HERON_ENOMEM : 0;
}

static int cp_tomb(uint64_t id, int64_t mint, int64_t maxt, void *arg)
{
    cp_ctx *c = arg;
    if (maxt < c->mint)
        return 0;
    mseries *s = head_get(c->db->h, id);
    if (!s)
        return 0;
    head_unpin(s);
    return walrec_put_tombstone(&c->payload, id, mint, maxt) ? HERON_ENOMEM : 0;
}

static int cp_flush(cp_ctx *c)
{
    size_t done = 0;
    while (done < c->out.len) {
        ssize_t w = write(c->fd, c->out.data + done, c->out.len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return err_set(c->err, HERON_EIO, "write checkpoint: %s", strerror(errno));
        done += (size_t)w;
    }
    buf_reset(&c->out);
    return 0;
}

static int cp_record(uint8_t type, const uint8_t *p, size_t len, void *arg)
{
    cp_ctx *c = arg;
    buf_reset(&c->payload);
    int rc;
    switch (type) {
    case WAL_SERIES: rc = walrec_each_series(p, len, cp_series, c); break;
    case WAL_SAMPLES: rc = walrec_each_sample(p, len, cp_sample, c); break;
    default: rc = walrec_each_tombstone(p, len, cp_tomb, c); break;
    }
    if (rc == HERON_EIO)
        return 0;
    if (rc)
        return rc;
    if (c->payload.len && wal_frame(&c->out, type, c->payload.data, c->payload.len))
        return HERON_ENOMEM;
    return c->out.len > (1u << 20) ? cp_flush(c) : 0;
}

static void remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *de;
        char p[4096];
        while ((de = readdir(d))) {
            if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", path, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(path);
}

int db_checkpoint(tsdb_db *db, uint32_t upto, int64_t mint, heron_err *err)
{
    uint32_t prev;
    int found;
    last_checkpoint(db->wal_dir, &prev, &found);
    if (upto == 0 || (found && prev >= upto - 1))
        return 0;
    uint32_t last = upto - 1;
    char tmp[4096], final[4096], seg[4200];
    snprintf(tmp, sizeof tmp, "%s/checkpoint.%08u.tmp", db->wal_dir, last);
    snprintf(final, sizeof final, "%s/checkpoint.%08u", db->wal_dir, last);
    remove_tree(tmp);
    if (mkdir(tmp, 0755))
        return err_set(err, HERON_EIO, "mkdir %s: %s", tmp, strerror(errno));
    snprintf(seg, sizeof seg, "%s/00000001", tmp);
    cp_ctx c = {.db = db, .mint = mint, .err = err};
    buf_init(&c.out, 0);
    buf_init(&c.payload, 0);
    c.fd = open(seg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = c.fd < 0 ? err_set(err, HERON_EIO, "create %s: %s", seg, strerror(errno)) : 0;
    if (rc == 0 && found) {
        char old[4096];
        snprintf(old, sizeof old, "%s/checkpoint.%08u", db->wal_dir, prev);
        rc = wal_replay_dir(old, 0, UINT32_MAX, 0, cp_record, &c, NULL, err);
    }
    if (rc == 0)
        rc = wal_replay_dir(db->wal_dir, found ? prev + 1 : 0, last, 0,
                            cp_record, &c, NULL, err);
    if (rc == 0)
        rc = cp_flush(&c);
    if (rc == 0 && fsync(c.fd))
        rc = err_set(err, HERON_EIO, "fsync %s: %s", seg, strerror(errno));
    if (c.fd >= 0)
        close(c.fd);
    buf_free(&c.out);
    buf_free(&c.payload);
    if (rc == 0 && rename(tmp, final))
        rc = err_set(err, HERON_EIO, "rename %s: %s", tmp, strerror(errno));
    if (rc) {
        remove_tree(tmp);
        return rc;
    }
    /* The checkpoint is in place: drop what it replaces. */
    uint32_t first, hi;
    wal_segments(db->wal_dir, &first, &hi, NULL);
    for (uint32_t n = first; n && n <= last; n++) {
        snprintf(seg, sizeof seg, "%s/%08u", db->wal_dir, n);
        unlink(seg);
    }
    if (found) {
        snprintf(seg, sizeof seg, "%s/checkpoint.%08u", db->wal_dir, prev);
        remove_tree(seg);
    }
    return 0;
}
