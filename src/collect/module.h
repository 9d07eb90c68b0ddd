/*
 * module.h — the contract between the dispatcher (collect.c) and each
 * collector (cpu.c, meminfo.c, ...), plus the file helpers they share
 * (procfile.c).
 *
 * A collector is a const collect_module: a name (the `collector` label of
 * node_scrape_collector_*), its COLLECT_* bit, and callbacks. init runs once
 * at registration and may keep state; collect runs on every scrape, emits
 * whole families through the sink and returns 0, or a negative HERON_E*
 * when something it should have read was not there (the scrape goes on and
 * success is reported as 0). collect may run on several threads at once, so
 * state is read-only there unless the module locks it. scratch is a buffer
 * owned by the caller for this one call.
 */
#ifndef HERON_COLLECT_MODULE_H
#define HERON_COLLECT_MODULE_H

#include <stddef.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>

#include "collect/collect.h"
#include "core/buf.h"
#include "heron.h"

#define COLLECT_KEPT_MAX 32

/* A file kept open for collect_read_kept. */
typedef struct collect_kept {
    char *path;
    int fd;
} collect_kept;

/* Roots without a trailing slash ("" for "/"), resolved once, and the
 * files kept open across scrapes (guarded by kept_lock). */
typedef struct collect_paths {
    char *procfs;
    char *sysfs;
    char *rootfs;
    pthread_mutex_t kept_lock;
    collect_kept kept[COLLECT_KEPT_MAX];
    size_t nkept;
} collect_paths;

typedef struct collect_module {
    const char *name;
    unsigned bit;
    int (*init)(const collect_config *cfg, collect_paths *paths,
                void **state, heron_err *err);       /* may be NULL */
    int (*collect)(heron_sink *s, collect_paths *paths, void *state,
                   buf *scratch);
    void (*free)(void *state);                         /* may be NULL */
} collect_module;

extern const collect_module collect_cpu_module, collect_loadavg_module,
    collect_meminfo_module, collect_filesystem_module,
    collect_diskstats_module, collect_netdev_module, collect_uname_module,
    collect_os_module, collect_time_module, collect_pressure_module,
    collect_cgroup_module, collect_procs_module, collect_nvml_module;

/* ---- procfile.c: reading /proc and /sys ---- */

/* Largest file a collector reads (a /proc/stat of thousands of CPUs fits). */
#define COLLECT_FILE_MAX (16u << 20)

/* Writes root + "/" + formatted rest into out. Returns 0, or HERON_ERANGE
 * when it does not fit. */
int collect_path(char *out, size_t size, const char *root, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));

/* Replaces b's content with the whole file at root/rel (NUL-terminated).
 * 0, HERON_ENOENT (missing), HERON_EIO (unreadable) or HERON_ERANGE. */
int collect_read(buf *b, const char *root, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Like collect_read for files whose name never changes (/proc/stat, ...):
 * the file is opened on first use and kept open, later reads pread it from
 * offset 0, which makes procfs and sysfs produce it anew. Saves the path
 * walk of an open and a close per scrape. Thread-safe. */
int collect_read_kept(buf *b, collect_paths *p, const char *root,
                      const char *rel);
/* The kept-open descriptor of root/rel (opened on first use), or a
 * negative HERON_E* (HERON_ERANGE when the table is full). The descriptor
 * stays owned by p. */
int collect_kept_fd(collect_paths *p, const char *root, const char *rel);
/* Replaces b's content with what fd holds from offset 0 (pread). */
int collect_read_fd(buf *b, int fd);
/* Closes the kept files. */
void collect_kept_close(collect_paths *p);

/* Reads a file holding one number (sysfs style). 0 or an error as above,
 * HERON_EINVAL when the content is not a number. */
int collect_read_double(double *out, const char *root, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Returns the next line of *cursor (NUL-terminated in place, without the
 * newline) and advances *cursor; NULL at the end. */
char *collect_next_line(char **cursor);

/* Splits s in place on blanks into at most max fields; returns the count. */
size_t collect_fields(char *s, char **fields, size_t max);

/* Parses a whole field as a decimal number; 0 or HERON_EINVAL. */
int collect_parse_double(const char *s, double *out);

/* Undoes the octal escapes (\040 for a space, ...) of /proc/mounts fields,
 * in place. */
void collect_unescape_octal(char *s);

/* ---- filesystem.c ---- */

struct statfs;
/* The statfs the filesystem collector calls, replaceable by tests (to play
 * a hung mount). Set it before registering; default: statfs(2). */
extern int (*collect_fs_statfs)(const char *path, struct statfs *out);

/* ---- nvml.c ---- */

/* 1 when the nvml module's state has a loaded, initialised NVML. */
int collect_nvml_up(const void *state);

/* ---- filter.c: exclusion patterns ---- */

/* Compiles pattern (POSIX extended regex; NULL: fallback) into re. The
 * error message names the flag the pattern came from. */
int collect_filter_compile(regex_t *re, const char *pattern,
                           const char *fallback, const char *flag,
                           heron_err *err);
/* 1 when s matches re. */
int collect_filter_match(const regex_t *re, const char *s);

/* node_exporter's default exclusions, in POSIX ERE. */
#define COLLECT_DEFAULT_MOUNT_POINTS_EXCLUDE                                  \
    "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|"                        \
    "var/lib/containers/storage/.+)($|/)"
#define COLLECT_DEFAULT_FS_TYPES_EXCLUDE                                      \
    "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|"     \
    "fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|"       \
    "rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$"
#define COLLECT_DEFAULT_NETDEV_EXCLUDE "^lo$"
#define COLLECT_DEFAULT_DISKSTATS_EXCLUDE                                     \
    "^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme[0-9]+n[0-9]+p)[0-9]+$"

#endif
