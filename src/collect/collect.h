/*
 * collect — host, process and NVIDIA GPU collectors (heron agent, and the
 * host section of heron server's own /metrics).
 *
 * collect_register_all registers one libheron callback collector, "node",
 * that runs every enabled collector in turn on each scrape and then reports
 * node_scrape_collector_duration_seconds / node_scrape_collector_success per
 * collector, as node_exporter does. Families, types, labels and units follow
 * node_exporter 1.5 for the host (cpu, stat, loadavg, meminfo, filesystem,
 * diskstats, netdev, uname, os, time, pressure), cAdvisor for cgroup v2
 * containers (container_*), process-exporter for watched processes
 * (namedprocess_namegroup_*), and nvidia_gpu_* / gpu_* for NVML
 * (docs/collectors.md has the list and the DCGM mapping).
 *
 * Paths: every file is read below cfg->procfs, cfg->sysfs or cfg->rootfs
 * (node_exporter's --path.procfs/--path.sysfs/--path.rootfs), so tests run
 * the collectors on recorded trees. A missing or odd file drops the affected
 * samples (and marks the collector failed); it never crashes or aborts the
 * scrape.
 *
 * Blocking: statfs of network and FUSE filesystems (anything but a list of
 * local types that answer from memory) runs in worker threads; a mount that
 * does not answer within cfg->fs_timeout_ms is reported with
 * node_filesystem_device_error 1 and skipped until its stuck statfs
 * returns, so a hung NFS server never stalls a scrape.
 *
 * NVML: libnvidia-ml is opened with dlopen at registration (path: cfg->
 * nvml_library, else $HERON_NVML_LIBRARY, else "libnvidia-ml.so.1"). If it
 * is absent or has no GPU, one info log line says so and the collector
 * reports node_scrape_collector_success{collector="nvml"} 0; nothing else
 * changes.
 *
 * Ownership and threads: collect_register_all copies what it keeps from cfg
 * (cfg and its strings may be freed afterwards) and hands back a collect_set
 * that the caller frees with collect_free after the collector is no longer
 * used (collect_free unregisters it from its registry first). Scrapes may run
 * concurrently from several threads: collectors keep no per-scrape state
 * outside their call.
 */
#ifndef HERON_COLLECT_COLLECT_H
#define HERON_COLLECT_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "heron.h"

/* Which collectors run; COLLECT_DEFAULT is everything. */
enum {
    COLLECT_CPU = 1 << 0,        /* /proc/stat: cpu, boot time, ctxt, forks */
    COLLECT_LOADAVG = 1 << 1,
    COLLECT_MEMINFO = 1 << 2,
    COLLECT_FILESYSTEM = 1 << 3,
    COLLECT_DISKSTATS = 1 << 4,
    COLLECT_NETDEV = 1 << 5,
    COLLECT_UNAME = 1 << 6,      /* uname and os-release */
    COLLECT_TIME = 1 << 7,
    COLLECT_PRESSURE = 1 << 8,
    COLLECT_CGROUP = 1 << 9,
    COLLECT_PROCESSES = 1 << 10, /* the configured pids and names */
    COLLECT_NVML = 1 << 11,
    COLLECT_DEFAULT = (1 << 12) - 1
};

typedef struct collect_config {
    unsigned enabled;          /* COLLECT_* bits; 0 means COLLECT_DEFAULT */
    const char *procfs;        /* NULL: "/proc" */
    const char *sysfs;         /* NULL: "/sys" */
    const char *rootfs;        /* NULL: "/" */
    /* POSIX extended regexes; NULL means node_exporter's defaults. */
    const char *fs_mount_points_exclude;
    const char *fs_types_exclude;
    const char *netdev_device_exclude;
    const char *diskstats_device_exclude;
    int64_t fs_timeout_ms;     /* statfs timeout; 0: 5000 */
    const char *nvml_library;  /* NULL: $HERON_NVML_LIBRARY or the driver's */
    /* Processes to watch besides the registering one: exact comm names (or
     * argv[0] basenames) and pids. Each becomes one groupname. */
    const char *const *process_names;
    size_t process_name_count;
    const int *process_pids;
    size_t process_pid_count;
    int process_self;          /* also register libheron's process_* for us */
} collect_config;

typedef struct collect_set collect_set;

/* Registers the "node" collector (and, with process_self, libheron's
 * process collector) on reg. Errors: HERON_EINVAL for a regex that does not
 * compile (named in the message), HERON_EEXIST when reg already has a
 * "node" collector, HERON_ENOMEM. An unavailable NVML is not an error. */
int collect_register_all(heron_registry *reg, const collect_config *cfg,
                         collect_set **out, heron_err *err);

/* Unregisters the collectors registered by collect_register_all and frees
 * set. No scrape of the registry may be running. NULL is a no-op. */
void collect_free(collect_set *set);

/* 1 when NVML was loaded and initialised for this set. */
int collect_nvml_available(const collect_set *set);

#endif
