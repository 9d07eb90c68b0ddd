/* wal — segment files, record framing, group-committed fsync, repair. */
#include "tsdb/wal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hclock.h"
#include "core/hlog.h"
#include "tsdb/crc32c.h"
#include "tsdb/enc.h"

struct wal {
    wal_opts o;
    char *dir;
    pthread_mutex_t mu;      /* fd, seg, size, written; never across fsync */
    pthread_mutex_t sync_mu; /* one fdatasync at a time */
    int fd;
    uint32_t seg;
    size_t size;
    uint64_t written; /* sequence of the last write */
    uint64_t synced;  /* guarded by sync_mu */
    int broken;
    wal_sync_observer obs;
    void *obs_arg;
    pthread_t syncer;
    int syncer_on;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    int stop;
};

int wal_frame(buf *b, uint8_t type, const void *payload, size_t len)
{
    if (len > UINT32_MAX)
        return HERON_ERANGE;
    uint8_t hdr[WAL_HDR];
    hdr[0] = type;
    put_u32(hdr + 1, (uint32_t)len);
    uint32_t crc = crc32c(0, &type, 1);
    put_u32(hdr + 5, crc32c(crc, payload, len));
    int rc = buf_append(b, hdr, sizeof hdr);
    return rc ? rc : buf_append(b, payload, len);
}

static void seg_name(const char *dir, uint32_t n, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%08u", dir, n);
}

static int parse_seg(const char *name, uint32_t *n)
{
    if (strlen(name) != 8 || strspn(name, "0123456789") != 8)
        return 0;
    *n = (uint32_t)strtoul(name, NULL, 10);
    return 1;
}

int wal_segments(const char *dir, uint32_t *first, uint32_t *last,
                 heron_err *err)
{
    *first = *last = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return err_set(err, HERON_EIO, "open %s: %s", dir, strerror(errno));
    }
    struct dirent *de;
    uint32_t n;
    while ((de = readdir(d)))
        if (parse_seg(de->d_name, &n)) {
            if (*first == 0 || n < *first)
                *first = n;
            if (n > *last)
                *last = n;
        }
    closedir(d);
    return 0;
}

static int read_file(const char *path, uint8_t **data, size_t *len,
                     heron_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, HERON_EIO, "open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        close(fd);
        return err_set(err, HERON_EIO, "stat %s: %s", path, strerror(errno));
    }
    uint8_t *p = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (p && got < (size_t)st.st_size) {
        ssize_t r = read(fd, p + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!p)
        return err_set(err, HERON_ENOMEM, "out of memory reading %s", path);
    *data = p;
    *len = got;
    return 0;
}

/* Truncates segment n at off and removes every later segment. */
static int repair(const char *dir, uint32_t n, size_t off, const char *why,
                  heron_err *err)
{
    char path[4096], offs[32];
    seg_name(dir, n, path, sizeof path);
    snprintf(offs, sizeof offs, "%zu", off);
    hlog(HLOG_WARN, "tsdb", "WAL damaged, truncating it", "segment", path,
         "offset", offs, "reason", why, NULL);
    if (truncate(path, (off_t)off))
        return err_set(err, HERON_EIO, "truncate %s: %s", path, strerror(errno));
    uint32_t first, last;
    int rc = wal_segments(dir, &first, &last, err);
    for (uint32_t k = n + 1; rc == 0 && k <= last && k > n; k++) {
        seg_name(dir, k, path, sizeof path);
        if (unlink(path) && errno != ENOENT)
            rc = err_set(err, HERON_EIO, "remove %s: %s", path, strerror(errno));
    }
    return rc;
}

int wal_replay_dir(const char *dir, uint32_t first, uint32_t last, int fix,
                   wal_record_fn fn, void *arg, uint64_t *corruptions,
                   heron_err *err)
{
    uint32_t lo, hi;
    int rc = wal_segments(dir, &lo, &hi, err);
    if (rc || hi == 0)
        return rc;
    if (first < lo)
        first = lo;
    if (last > hi)
        last = hi;
    char path[4096];
    for (uint32_t n = first; n <= last && n >= first; n++) {
        seg_name(dir, n, path, sizeof path);
        struct stat st;
        if (stat(path, &st) && errno == ENOENT)
            continue; /* a gap left by checkpointing */
        uint8_t *data = NULL;
        size_t len = 0;
        if ((rc = read_file(path, &data, &len, err)))
            return rc;
        size_t off = 0;
        const char *why = NULL;
        while (off < len) {
            if (len - off < WAL_HDR) {
                why = "torn record header";
                break;
            }
            uint8_t type = data[off];
            uint32_t plen = get_u32(data + off + 1);
            if (type < WAL_SERIES || type > WAL_TOMBSTONES) {
                why = "bad record type";
                break;
            }
            if (plen > len - off - WAL_HDR) {
                why = "torn record";
                break;
            }
            uint32_t crc = crc32c(crc32c(0, &type, 1), data + off + WAL_HDR, plen);
            if (crc != get_u32(data + off + 5)) {
                why = "checksum mismatch";
                break;
            }
            rc = fn(type, data + off + WAL_HDR, plen, arg);
            if (rc) {
                free(data);
                return rc;
            }
            off += WAL_HDR + plen;
        }
        free(data);
        if (why) {
            if (corruptions)
                (*corruptions)++;
            if (!fix)
                return err_set(err, HERON_EIO, "%s: %s at offset %zu", path,
                               why, off);
            return repair(dir, n, off, why, err);
        }
    }
    return 0;
}

static int seg_open(wal *w, uint32_t n, heron_err *err)
{
    char path[4096];
    seg_name(w->dir, n, path, sizeof path);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(err, HERON_EIO, "create %s: %s", path, strerror(errno));
    struct stat st;
    fstat(fd, &st);
    /* Make the new file's directory entry durable. */
    int dfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    w->fd = fd;
    w->seg = n;
    w->size = (size_t)st.st_size;
    return 0;
}

static void do_sync(wal *w, uint64_t upto)
{
    pthread_mutex_lock(&w->sync_mu);
    if (w->synced < upto) {
        pthread_mutex_lock(&w->mu);
        int fd = w->fd;
        uint64_t target = w->written;
        pthread_mutex_unlock(&w->mu);
        uint64_t t0 = hclock_mono_ns();
        fdatasync(fd);
        if (w->obs)
            w->obs((double)(hclock_mono_ns() - t0) / 1e9, w->obs_arg);
        w->synced = target;
    }
    pthread_mutex_unlock(&w->sync_mu);
}

static void *syncer_main(void *arg)
{
    wal *w = arg;
    pthread_mutex_lock(&w->stop_mu);
    while (!w->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + w->o.sync_interval_ms * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&w->stop_cv, &w->stop_mu, &ts);
        if (w->stop)
            break;
        pthread_mutex_unlock(&w->stop_mu);
        pthread_mutex_lock(&w->mu);
        uint64_t upto = w->written;
        pthread_mutex_unlock(&w->mu);
        do_sync(w, upto);
        pthread_mutex_lock(&w->stop_mu);
    }
    pthread_mutex_unlock(&w->stop_mu);
    return NULL;
}

int wal_open(const wal_opts *o, wal **out, heron_err *err)
{
    if (mkdir(o->dir, 0755) && errno != EEXIST)
        return err_set(err, HERON_EIO, "mkdir %s: %s", o->dir, strerror(errno));
    uint32_t first, last;
    int rc = wal_segments(o->dir, &first, &last, err);
    if (rc)
        return rc;
    wal *w = calloc(1, sizeof *w);
    if (!w || !(w->dir = strdup(o->dir))) {
        free(w);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    w->o = *o;
    w->o.dir = w->dir;
    if (!w->o.segment_bytes)
        w->o.segment_bytes = 128u << 20;
    if (w->o.sync_interval_ms <= 0)
        w->o.sync_interval_ms = 1000;
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->sync_mu, NULL);
    pthread_mutex_init(&w->stop_mu, NULL);
    pthread_cond_init(&w->stop_cv, NULL);
    w->fd = -1;
    if ((rc = seg_open(w, last + 1, err))) {
        wal_close(w);
        return rc;
    }
    if (w->o.sync == TSDB_WAL_SYNC_INTERVAL) {
        if (pthread_create(&w->syncer, NULL, syncer_main, w) == 0)
            w->syncer_on = 1;
    }
    *out = w;
    return 0;
}

void wal_close(wal *w)
{
    if (!w)
        return;
    if (w->syncer_on) {
        pthread_mutex_lock(&w->stop_mu);
        w->stop = 1;
        pthread_cond_signal(&w->stop_cv);
        pthread_mutex_unlock(&w->stop_mu);
        pthread_join(w->syncer, NULL);
    }
    if (w->fd >= 0) {
        if (w->o.sync != TSDB_WAL_SYNC_NEVER)
            fdatasync(w->fd);
        close(w->fd);
    }
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->sync_mu);
    pthread_mutex_destroy(&w->stop_mu);
    pthread_cond_destroy(&w->stop_cv);
    free(w->dir);
    free(w);
}

/* Switches to segment seg+1; called with sync_mu and mu held. */
static int cut_locked(wal *w, heron_err *err)
{
    if (w->o.sync != TSDB_WAL_SYNC_NEVER)
        fdatasync(w->fd);
    close(w->fd);
    w->fd = -1;
    w->synced = w->written;
    return seg_open(w, w->seg + 1, err);
}

int wal_cut(wal *w, uint32_t *seg, heron_err *err)
{
    pthread_mutex_lock(&w->sync_mu);
    pthread_mutex_lock(&w->mu);
    int rc = w->broken ? err_set(err, HERON_EIO, "WAL is broken") : cut_locked(w, err);
    if (rc)
        w->broken = 1;
    *seg = w->seg;
    pthread_mutex_unlock(&w->mu);
    pthread_mutex_unlock(&w->sync_mu);
    return rc;
}

int wal_log(wal *w, const void *data, size_t len, uint64_t *seq,
            heron_err *err)
{
    pthread_mutex_lock(&w->mu);
    if (w->size > 0 && w->size + len > w->o.segment_bytes && !w->broken) {
        pthread_mutex_unlock(&w->mu);
        pthread_mutex_lock(&w->sync_mu);
        pthread_mutex_lock(&w->mu);
        int rc = 0;
        if (w->size > 0 && w->size + len > w->o.segment_bytes)
            rc = cut_locked(w, err);
        if (rc)
            w->broken = 1;
        pthread_mutex_unlock(&w->sync_mu);
    }
    if (w->broken) {
        pthread_mutex_unlock(&w->mu);
        return err_set(err, HERON_EIO, "WAL in %s is broken after an earlier error",
                       w->dir);
    }
    const uint8_t *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t r = write(w->fd, p + done, len - done);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            int e = errno;
            /* Take the partial record back so the log stays readable. */
            if (ftruncate(w->fd, (off_t)w->size))
                w->broken = 1;
            pthread_mutex_unlock(&w->mu);
            return err_set(err, HERON_EIO, "write WAL segment %08u in %s: %s",
                           w->seg, w->dir, strerror(e));
        }
        done += (size_t)r;
    }
    w->size += len;
    *seq = ++w->written;
    pthread_mutex_unlock(&w->mu);
    return 0;
}

void wal_sync(wal *w, uint64_t seq)
{
    do_sync(w, seq);
}

void wal_set_sync_observer(wal *w, wal_sync_observer fn, void *arg)
{
    w->obs = fn;
    w->obs_arg = arg;
}
