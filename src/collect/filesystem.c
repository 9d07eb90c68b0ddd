/*
 * filesystem.c — size, free and available bytes and inodes of each mounted
 * filesystem (node_filesystem_*{device,fstype,mountpoint}), from the mount
 * table of <procfs>/1/mounts (else <procfs>/mounts), re-read when the kernel
 * says it changed, and statfs(2) of <rootfs>/<mountpoint>.
 *
 * statfs of a filesystem that may wait on a server or a device (nfs, cifs,
 * fuse, ... anything not in fs_local_types) never runs on the scraping
 * thread. Each scrape hands those mount points as one job to a pool of
 * worker threads and waits for the answers;
 * when no answer comes for fs_timeout_ms, the mounts in flight are marked
 * stuck and the job goes back to the pool with a fresh thread for the rest.
 * A stuck mount is reported with node_filesystem_device_error 1 and not
 * statted again until its old statfs returns. Jobs are shared by the
 * scraper and the workers by reference count, so a worker that returns
 * after the scrape has ended only drops its reference.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>

#include "collect/module.h"
#include "core/hclock.h"
#include "core/hlog.h"

int (*collect_fs_statfs)(const char *path, struct statfs *out) = statfs;

typedef struct fs_result {
    int done;
    int failed;
    struct statfs st;
} fs_result;

typedef struct fs_job {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int refs;
    int closed;          /* the scrape is over: take no new work */
    size_t n, next, done_count;
    char **paths;        /* owned */
    fs_result *res;
} fs_job;

typedef struct fs_stuck {
    char *mountpoint;
    fs_job *job;         /* one reference */
    size_t index;
} fs_stuck;

typedef struct fs_pool fs_pool;

typedef struct fs_state {
    regex_t mount_exclude, type_exclude;
    fs_pool *pool;
    pthread_mutex_t table_lock; /* guards table, table_valid */
    buf table;                  /* the mount table as last read */
    int table_valid;
    uint64_t timeout_ns;
    pthread_mutex_t lock; /* guards stuck */
    fs_stuck *stuck;
    size_t stuck_count, stuck_alloc;
} fs_state;

typedef struct fs_mount {
    char *device, *mountpoint, *fstype;
    int readonly;
    int stuck;           /* skipped: an earlier statfs has not returned */
    int local;           /* statted inline: the result is in st/failed */
    int failed;
    struct statfs st;
    size_t job_index;    /* otherwise: its slot in the job */
} fs_mount;

/* Filesystems whose statfs answers from memory without waiting on a
 * device or a server: they are statted on the scraping thread, which
 * saves two thread hand-offs per scrape. Everything else (nfs, cifs,
 * fuse, ceph, ... and any type not listed) goes to the workers. */
static const char *const fs_local_types[] = {
    "ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "ramfs", "vfat", "msdos",
    "exfat", "ntfs", "ntfs3", "f2fs", "jfs", "reiserfs", "hfsplus", "devtmpfs",
    "squashfs", "iso9660", "udf", "nilfs2", "erofs", NULL};

static int fs_is_local(const char *fstype)
{
    for (const char *const *t = fs_local_types; *t; t++)
        if (strcmp(*t, fstype) == 0)
            return 1;
    return 0;
}

static void fs_job_unref(fs_job *job)
{
    pthread_mutex_lock(&job->lock);
    int last = --job->refs == 0;
    pthread_mutex_unlock(&job->lock);
    if (!last)
        return;
    for (size_t i = 0; i < job->n; i++)
        free(job->paths[i]);
    free(job->paths);
    free(job->res);
    pthread_mutex_destroy(&job->lock);
    pthread_cond_destroy(&job->cond);
    free(job);
}

/* Runs statfs for the job's items until none is left or the scrape that
 * owns the job has given up on it. Several workers may share one job. */
static void fs_job_work(fs_job *job)
{
    pthread_mutex_lock(&job->lock);
    while (!job->closed && job->next < job->n) {
        size_t i = job->next++;
        pthread_mutex_unlock(&job->lock);
        struct statfs st;
        int failed = collect_fs_statfs(job->paths[i], &st) != 0;
        pthread_mutex_lock(&job->lock);
        job->res[i].st = st;
        job->res[i].failed = failed;
        job->res[i].done = 1;
        job->done_count++;
        pthread_cond_broadcast(&job->cond);
    }
    pthread_mutex_unlock(&job->lock);
}

/* The worker threads: they outlive scrapes (creating a thread per scrape
 * cost more than the statfs calls) and wait here for jobs. The pool is
 * shared by reference count between the collector state and the threads,
 * so a thread stuck in statfs when the collector is freed frees it last. */
#define FS_QUEUE 16
#define FS_MAX_THREADS 32

typedef struct fs_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    fs_job *queue[FS_QUEUE]; /* each holds a job reference */
    size_t nqueue;
    int idle, threads, refs, quit;
} fs_pool;

static void fs_pool_unref_locked(fs_pool *pool)
{
    int last = --pool->refs == 0;
    pthread_mutex_unlock(&pool->lock);
    if (!last)
        return;
    for (size_t i = 0; i < pool->nqueue; i++)
        fs_job_unref(pool->queue[i]);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->cond);
    free(pool);
}

static void *fs_pool_thread(void *arg)
{
    fs_pool *pool = arg;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->nqueue && !pool->quit) {
            pool->idle++;
            pthread_cond_wait(&pool->cond, &pool->lock);
            pool->idle--;
        }
        if (!pool->nqueue)
            break;
        fs_job *job = pool->queue[--pool->nqueue];
        pthread_mutex_unlock(&pool->lock);
        fs_job_work(job);
        fs_job_unref(job);
        pthread_mutex_lock(&pool->lock);
    }
    pool->threads--;
    fs_pool_unref_locked(pool);
    return NULL;
}

static fs_pool *fs_pool_new(void)
{
    fs_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->cond, NULL);
    pool->refs = 1;
    return pool;
}

/* Drops the collector's reference: idle threads exit, stuck ones exit when
 * their statfs returns. */
static void fs_pool_release(fs_pool *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->quit = 1;
    pthread_cond_broadcast(&pool->cond);
    fs_pool_unref_locked(pool);
}

/* Queues job (taking a reference) for the workers. A thread is added when
 * no idle one is left for it, or always with `fresh` (the others may be
 * stuck). Call with job->lock held. */
static int fs_pool_submit(fs_pool *pool, fs_job *job, int fresh)
{
    pthread_mutex_lock(&pool->lock);
    if (pool->nqueue == FS_QUEUE) {
        pthread_mutex_unlock(&pool->lock);
        return HERON_ERANGE;
    }
    job->refs++;
    pool->queue[pool->nqueue++] = job;
    int rc = 0;
    if ((fresh || pool->idle < (int)pool->nqueue) && pool->threads < FS_MAX_THREADS) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        pthread_t t;
        if (pthread_create(&t, &attr, fs_pool_thread, pool) == 0) {
            pool->threads++;
            pool->refs++;
        } else if (pool->idle == 0) {
            rc = HERON_EIO;
        }
        pthread_attr_destroy(&attr);
    }
    pthread_cond_signal(&pool->cond);
    pthread_mutex_unlock(&pool->lock);
    return rc;
}

static fs_job *fs_job_new(size_t n)
{
    fs_job *job = calloc(1, sizeof *job);
    if (!job)
        return NULL;
    job->paths = calloc(n ? n : 1, sizeof *job->paths);
    job->res = calloc(n ? n : 1, sizeof *job->res);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&job->lock, NULL);
    pthread_cond_init(&job->cond, &ca);
    pthread_condattr_destroy(&ca);
    job->refs = 1;
    if (!job->paths || !job->res) {
        fs_job_unref(job);
        return NULL;
    }
    return job;
}

static void fs_mark_stuck(fs_state *st, fs_job *job, size_t index,
                          const char *mountpoint)
{
    pthread_mutex_lock(&st->lock);
    if (st->stuck_count == st->stuck_alloc) {
        size_t n = st->stuck_alloc ? st->stuck_alloc * 2 : 4;
        fs_stuck *s = realloc(st->stuck, n * sizeof *s);
        if (!s) {
            pthread_mutex_unlock(&st->lock);
            return;
        }
        st->stuck = s;
        st->stuck_alloc = n;
    }
    char *mp = strdup(mountpoint);
    if (mp) {
        pthread_mutex_lock(&job->lock);
        job->refs++;
        pthread_mutex_unlock(&job->lock);
        st->stuck[st->stuck_count++] = (fs_stuck){mp, job, index};
    }
    pthread_mutex_unlock(&st->lock);
    hlog(HLOG_WARN, "collect", "statfs timed out, mount marked as stuck",
         "mountpoint", mountpoint, NULL);
}

/* Forgets stuck mounts whose statfs has returned; then 1 if mountpoint is
 * still stuck. */
static int fs_is_stuck(fs_state *st, const char *mountpoint)
{
    int stuck = 0;
    pthread_mutex_lock(&st->lock);
    for (size_t i = 0; i < st->stuck_count;) {
        fs_stuck *e = &st->stuck[i];
        pthread_mutex_lock(&e->job->lock);
        int done = e->job->res[e->index].done;
        pthread_mutex_unlock(&e->job->lock);
        if (done) {
            hlog(HLOG_INFO, "collect", "stuck mount answered again",
                 "mountpoint", e->mountpoint, NULL);
            free(e->mountpoint);
            fs_job_unref(e->job);
            st->stuck[i] = st->stuck[--st->stuck_count];
            continue;
        }
        if (strcmp(e->mountpoint, mountpoint) == 0)
            stuck = 1;
        i++;
    }
    pthread_mutex_unlock(&st->lock);
    return stuck;
}

/* Runs statfs for every job path, marking the ones that hang. */
static void fs_run_job(fs_state *st, fs_job *job, fs_mount *mounts,
                       size_t nmounts)
{
    pthread_mutex_lock(&job->lock);
    if (fs_pool_submit(st->pool, job, 0) != 0) {
        pthread_mutex_unlock(&job->lock);
        return;
    }
    size_t seen_done = 0;
    uint64_t deadline = hclock_mono_ns() + st->timeout_ns;
    char *newly_stuck[64];
    size_t newly_idx[64];
    while (job->done_count < job->n) {
        struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                              .tv_nsec = (long)(deadline % 1000000000u)};
        int rc = pthread_cond_timedwait(&job->cond, &job->lock, &ts);
        if (job->done_count != seen_done) {
            seen_done = job->done_count;
            deadline = hclock_mono_ns() + st->timeout_ns;
            continue;
        }
        if (rc != ETIMEDOUT)
            continue;
        /* No progress within the timeout: what is in flight is stuck. */
        size_t k = 0;
        for (size_t i = 0; i < job->next && k < 64; i++) {
            if (job->res[i].done || job->res[i].failed == -1)
                continue;
            job->res[i].failed = -1; /* stuck marker, until done */
            for (size_t m = 0; m < nmounts; m++)
                if (!mounts[m].stuck && !mounts[m].local && mounts[m].job_index == i) {
                    newly_stuck[k] = mounts[m].mountpoint;
                    newly_idx[k++] = i;
                }
        }
        int more = job->next < job->n;
        pthread_mutex_unlock(&job->lock);
        for (size_t i = 0; i < k; i++)
            fs_mark_stuck(st, job, newly_idx[i], newly_stuck[i]);
        pthread_mutex_lock(&job->lock);
        if (!more || fs_pool_submit(st->pool, job, 1) != 0)
            break;
        deadline = hclock_mono_ns() + st->timeout_ns;
    }
    job->closed = 1;
    for (size_t m = 0; m < nmounts; m++) {
        if (mounts[m].stuck || mounts[m].local)
            continue;
        fs_result *r = &job->res[mounts[m].job_index];
        if (!r->done)
            mounts[m].stuck = 1; /* reported as a device error below */
    }
    pthread_mutex_unlock(&job->lock);
}

static int fs_init(const collect_config *cfg, collect_paths *paths,
                   void **state, heron_err *err)
{
    (void)paths;
    fs_state *st = calloc(1, sizeof *st);
    if (!st)
        return HERON_ENOMEM;
    int rc = collect_filter_compile(&st->mount_exclude,
                                    cfg->fs_mount_points_exclude,
                                    COLLECT_DEFAULT_MOUNT_POINTS_EXCLUDE,
                                    "collector.filesystem.mount-points-exclude",
                                    err);
    if (rc) {
        free(st);
        return rc;
    }
    rc = collect_filter_compile(&st->type_exclude, cfg->fs_types_exclude,
                                COLLECT_DEFAULT_FS_TYPES_EXCLUDE,
                                "collector.filesystem.fs-types-exclude", err);
    if (rc) {
        regfree(&st->mount_exclude);
        free(st);
        return rc;
    }
    st->timeout_ns = (uint64_t)(cfg->fs_timeout_ms > 0 ? cfg->fs_timeout_ms : 5000) *
                     1000000u;
    if (!(st->pool = fs_pool_new())) {
        regfree(&st->mount_exclude);
        regfree(&st->type_exclude);
        free(st);
        return HERON_ENOMEM;
    }
    pthread_mutex_init(&st->lock, NULL);
    pthread_mutex_init(&st->table_lock, NULL);
    buf_init(&st->table, COLLECT_FILE_MAX);
    *state = st;
    return 0;
}

static void fs_free(void *state)
{
    fs_state *st = state;
    for (size_t i = 0; i < st->stuck_count; i++) {
        free(st->stuck[i].mountpoint);
        fs_job_unref(st->stuck[i].job);
    }
    free(st->stuck);
    fs_pool_release(st->pool);
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->table_lock);
    buf_free(&st->table);
    regfree(&st->mount_exclude);
    regfree(&st->type_exclude);
    free(st);
}

/* Maps a mount point from the mount table to the label node_exporter
 * gives it: the rootfs prefix is dropped ("/host/home" -> "/home"). */
static char *fs_strip_rootfs(char *mp, const char *rootfs)
{
    size_t n = strlen(rootfs);
    if (n == 0 || strncmp(mp, rootfs, n) != 0 || (mp[n] != '/' && mp[n] != '\0'))
        return mp;
    if (mp[n] == '\0')
        return (char *)"/";
    return mp + n;
}

/* Parses the mount table in scratch into mounts[], applying exclusions and
 * dropping duplicates. The strings point into scratch. */
static size_t fs_parse_mounts(fs_state *st, collect_paths *p,
                              char *text, fs_mount **out)
{
    fs_mount *m = NULL;
    size_t n = 0, alloc = 0;
    char *cur = text, *line;
    while ((line = collect_next_line(&cur))) {
        char *f[4];
        if (collect_fields(line, f, 4) != 4)
            continue;
        for (int i = 0; i < 3; i++)
            collect_unescape_octal(f[i]);
        char *mp = fs_strip_rootfs(f[1], p->rootfs);
        if (collect_filter_match(&st->mount_exclude, mp) ||
            collect_filter_match(&st->type_exclude, f[2]))
            continue;
        int dup = 0;
        for (size_t i = 0; i < n && !dup; i++)
            dup = strcmp(m[i].mountpoint, mp) == 0 &&
                  strcmp(m[i].device, f[0]) == 0 && strcmp(m[i].fstype, f[2]) == 0;
        if (dup)
            continue;
        if (n == alloc) {
            size_t a = alloc ? alloc * 2 : 16;
            fs_mount *g = realloc(m, a * sizeof *g);
            if (!g)
                break;
            m = g;
            alloc = a;
        }
        int ro = 0;
        char *save;
        for (char *o = strtok_r(f[3], ",", &save); o; o = strtok_r(NULL, ",", &save))
            ro |= strcmp(o, "ro") == 0;
        m[n++] = (fs_mount){.device = f[0], .mountpoint = mp, .fstype = f[2],
                            .readonly = ro};
    }
    *out = m;
    return n;
}

typedef struct fs_series {
    const char *name, *help;
} fs_series;

static const fs_series fs_table[5] = {
    {"node_filesystem_size_bytes", "Filesystem size, in bytes."},
    {"node_filesystem_free_bytes", "Free space, in bytes, including space reserved for root."},
    {"node_filesystem_avail_bytes", "Space available to unprivileged users, in bytes."},
    {"node_filesystem_files", "Inodes in total."},
    {"node_filesystem_files_free", "Free inodes."},
};

static double fs_value(const struct statfs *sf, int which)
{
    double bs = (double)sf->f_bsize;
    switch (which) {
    case 0: return (double)sf->f_blocks * bs;
    case 1: return (double)sf->f_bfree * bs;
    case 2: return (double)sf->f_bavail * bs;
    case 3: return (double)sf->f_files;
    default: return (double)sf->f_ffree;
    }
}

/* The statfs answer for m, or NULL when there is none (error, stuck). */
static const struct statfs *fs_answer(const fs_mount *m, const fs_job *job)
{
    if (m->stuck)
        return NULL;
    if (m->local)
        return m->failed ? NULL : &m->st;
    const fs_result *r = &job->res[m->job_index];
    return r->failed ? NULL : &r->st;
}

static void fs_emit(heron_sink *s, const fs_mount *m, size_t n,
                    const fs_job *job)
{
    static const char *const labels[] = {"device", "fstype", "mountpoint", NULL};
#define FS_LABELS(x) ((const char *const[]){(x).device, (x).fstype, (x).mountpoint, NULL})
    heron_sink_family(s, HERON_GAUGE, "node_filesystem_device_error",
                      "1 when statfs of the mount failed or timed out.", NULL,
                      labels);
    for (size_t i = 0; i < n; i++)
        heron_sink_value(s, FS_LABELS(m[i]), fs_answer(&m[i], job) == NULL);
    heron_sink_family(s, HERON_GAUGE, "node_filesystem_readonly",
                      "1 when the filesystem is mounted read-only.", NULL, labels);
    for (size_t i = 0; i < n; i++)
        heron_sink_value(s, FS_LABELS(m[i]), m[i].readonly);
    for (int t = 0; t < 5; t++) {
        heron_sink_family(s, HERON_GAUGE, fs_table[t].name, fs_table[t].help,
                          NULL, labels);
        for (size_t i = 0; i < n; i++) {
            const struct statfs *sf = fs_answer(&m[i], job);
            if (sf)
                heron_sink_value(s, FS_LABELS(m[i]), fs_value(sf, t));
        }
    }
#undef FS_LABELS
}

/* Copies the mount table into scratch. The kernel generates it anew on
 * every read (the most expensive file the collectors read), so it is read
 * again only when poll(2) on the open file reports a change of the mount
 * namespace (POLLPRI), as it does for mounts, unmounts and remounts. */
static int fs_mount_table(fs_state *st, collect_paths *p, buf *scratch)
{
    int fd = collect_kept_fd(p, p->procfs, "1/mounts");
    if (fd < 0)
        fd = collect_kept_fd(p, p->procfs, "mounts");
    if (fd < 0)
        return fd;
    int rc = 0;
    pthread_mutex_lock(&st->table_lock);
    struct pollfd pfd = {.fd = fd, .events = POLLPRI};
    if (!st->table_valid ||
        (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLPRI | POLLERR))))
        rc = collect_read_fd(&st->table, fd);
    st->table_valid = rc == 0;
    if (rc == 0) {
        buf_reset(scratch);
        rc = buf_append(scratch, st->table.data, st->table.len);
    }
    pthread_mutex_unlock(&st->table_lock);
    return rc;
}

static int fs_collect(heron_sink *s, collect_paths *p, void *state,
                      buf *scratch)
{
    fs_state *st = state;
    int rc = fs_mount_table(st, p, scratch);
    if (rc)
        return rc;
    fs_mount *mounts;
    size_t n = fs_parse_mounts(st, p, scratch->data, &mounts);
    fs_job *job = fs_job_new(n);
    if (!job) {
        free(mounts);
        return HERON_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (fs_is_stuck(st, mounts[i].mountpoint)) {
            mounts[i].stuck = 1;
            continue;
        }
        char path[4096];
        if (collect_path(path, sizeof path, p->rootfs, "%s",
                         mounts[i].mountpoint + 1) != 0) {
            mounts[i].stuck = 1;
            rc = HERON_ERANGE;
            continue;
        }
        if ((mounts[i].local = fs_is_local(mounts[i].fstype))) {
            mounts[i].failed = collect_fs_statfs(path, &mounts[i].st) != 0;
            continue;
        }
        mounts[i].job_index = job->n;
        if (!(job->paths[job->n] = strdup(path))) {
            mounts[i].stuck = 1;
            rc = HERON_ENOMEM;
            continue;
        }
        job->n++;
    }
    if (job->n)
        fs_run_job(st, job, mounts, n);
    fs_emit(s, mounts, n, job);
    fs_job_unref(job);
    free(mounts);
    return rc;
}

const collect_module collect_filesystem_module = {
    .name = "filesystem", .bit = COLLECT_FILESYSTEM, .init = fs_init,
    .collect = fs_collect, .free = fs_free};
