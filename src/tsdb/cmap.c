/* cmap — append-only mapped segment files for full head chunks. */
#include "tsdb/cmap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"

#define MAX_SEGS 65536
#define DROP_WINDOW (4u << 20) /* give back written pages every 4 MiB */

typedef struct cseg {
    uint8_t *base;
    size_t size;
    size_t used;
    int64_t maxt;
} cseg;

struct cmap {
    pthread_mutex_t mu;
    char *dir;
    size_t seg_bytes;
    _Atomic(cseg *) segs[MAX_SEGS];
    uint32_t cur;   /* current segment id (0: none yet) */
    uint64_t bytes;
};

static void seg_path(const cmap *cm, uint32_t id, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%06u", cm->dir, id);
}

int cmap_open(const char *dir, size_t seg_bytes, cmap **out, heron_err *err)
{
    if (mkdir(dir, 0755) && errno != EEXIST)
        return err_set(err, HERON_EIO, "mkdir %s: %s", dir, strerror(errno));
    DIR *d = opendir(dir);
    if (!d)
        return err_set(err, HERON_EIO, "open %s: %s", dir, strerror(errno));
    struct dirent *de;
    char path[4096];
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    closedir(d);
    cmap *cm = calloc(1, sizeof *cm);
    if (!cm || !(cm->dir = strdup(dir))) {
        free(cm);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&cm->mu, NULL);
    cm->seg_bytes = seg_bytes ? seg_bytes : (64u << 20);
    *out = cm;
    return 0;
}

static void seg_drop(cmap *cm, uint32_t id)
{
    cseg *s = atomic_exchange(&cm->segs[id], NULL);
    if (!s)
        return;
    munmap(s->base, s->size);
    char path[4096];
    seg_path(cm, id, path, sizeof path);
    unlink(path);
    cm->bytes -= s->size;
    free(s);
}

void cmap_close(cmap *cm)
{
    if (!cm)
        return;
    for (uint32_t i = 1; i <= cm->cur && i < MAX_SEGS; i++)
        seg_drop(cm, i);
    rmdir(cm->dir);
    pthread_mutex_destroy(&cm->mu);
    free(cm->dir);
    free(cm);
}

/* Opens segment cur+1. Called with mu held (rare: once per segment). */
static int seg_new(cmap *cm, heron_err *err)
{
    uint32_t id = cm->cur + 1;
    if (id >= MAX_SEGS)
        return err_set(err, HERON_ERANGE, "%s: too many head chunk segments",
                       cm->dir);
    char path[4096];
    seg_path(cm, id, path, sizeof path);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return err_set(err, HERON_EIO, "create %s: %s", path, strerror(errno));
    if (ftruncate(fd, (off_t)cm->seg_bytes)) {
        int e = errno;
        close(fd);
        unlink(path);
        return err_set(err, HERON_EIO, "size %s: %s", path, strerror(e));
    }
    void *base = mmap(NULL, cm->seg_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
                      fd, 0);
    close(fd);
    cseg *s = calloc(1, sizeof *s);
    if (base == MAP_FAILED || !s) {
        if (base != MAP_FAILED)
            munmap(base, cm->seg_bytes);
        free(s);
        unlink(path);
        return err_set(err, HERON_EIO, "map %s", path);
    }
    s->base = base;
    s->size = cm->seg_bytes;
    s->maxt = INT64_MIN;
    if (cm->cur) {
        cseg *old = atomic_load(&cm->segs[cm->cur]);
        if (old)
            madvise(old->base, old->size, MADV_DONTNEED);
    }
    atomic_store(&cm->segs[id], s);
    cm->cur = id;
    cm->bytes += s->size;
    return 0;
}

int cmap_write(cmap *cm, const uint8_t *b, size_t len, int64_t maxt,
               uint64_t *ref, heron_err *err)
{
    if (len > 65535 || len + 2 > cm->seg_bytes)
        return err_set(err, HERON_EINVAL, "chunk of %zu bytes too large", len);
    pthread_mutex_lock(&cm->mu);
    cseg *s = cm->cur ? atomic_load(&cm->segs[cm->cur]) : NULL;
    if (!s || s->used + len + 2 > s->size) {
        int rc = seg_new(cm, err);
        if (rc) {
            pthread_mutex_unlock(&cm->mu);
            return rc;
        }
        s = atomic_load(&cm->segs[cm->cur]);
    }
    size_t off = s->used;
    s->used += len + 2;
    if (maxt > s->maxt)
        s->maxt = maxt;
    uint32_t id = cm->cur;
    pthread_mutex_unlock(&cm->mu);

    s->base[off] = (uint8_t)(len >> 8);
    s->base[off + 1] = (uint8_t)len;
    memcpy(s->base + off + 2, b, len);
    size_t end = off + len + 2;
    if (end / DROP_WINDOW != off / DROP_WINDOW && off / DROP_WINDOW > 0) {
        /* Safe even while others still write there: a shared mapping's
         * dirty pages stay in the page cache. */
        size_t w = (off / DROP_WINDOW - 1) * DROP_WINDOW;
        madvise(s->base + w, DROP_WINDOW, MADV_DONTNEED);
    }
    *ref = ((uint64_t)id << 32) | off;
    return 0;
}

const uint8_t *cmap_get(cmap *cm, uint64_t ref, size_t *len)
{
    uint64_t id = ref >> 32;
    size_t off = (size_t)(ref & 0xffffffffu);
    if (id == 0 || id >= MAX_SEGS)
        return NULL;
    cseg *s = atomic_load(&cm->segs[id]);
    if (!s || off + 2 > s->size)
        return NULL;
    size_t l = ((size_t)s->base[off] << 8) | s->base[off + 1];
    if (off + 2 + l > s->size)
        return NULL;
    *len = l;
    return s->base + off + 2;
}

void cmap_prefetch(cmap *cm, uint64_t ref)
{
    uint64_t id = ref >> 32;
    cseg *s = id && id < MAX_SEGS ? atomic_load(&cm->segs[id]) : NULL;
    if (s)
        __builtin_prefetch(s->base + (ref & 0xffffffffu));
}

void cmap_truncate(cmap *cm, int64_t mint)
{
    pthread_mutex_lock(&cm->mu);
    for (uint32_t i = 1; i < cm->cur; i++) {
        cseg *s = atomic_load(&cm->segs[i]);
        if (s && s->maxt < mint)
            seg_drop(cm, i);
    }
    pthread_mutex_unlock(&cm->mu);
}

uint64_t cmap_bytes(cmap *cm)
{
    pthread_mutex_lock(&cm->mu);
    uint64_t b = cm->bytes;
    pthread_mutex_unlock(&cm->mu);
    return b;
}
