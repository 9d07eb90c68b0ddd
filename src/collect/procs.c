/*
 * procs.c — watched processes, grouped like process-exporter does
 * (namedprocess_namegroup_*{groupname}): one group per configured name
 * (every process whose comm is that name; names longer than the kernel's
 * 15-character comm also have to match argv[0]'s basename) and one per
 * configured pid (groupname is the pid in decimal). A group with no live
 * process reports num_procs 0 and nothing else.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/module.h"
#include "core/procstat.h"

#define PROCS_COMM_MAX 15

typedef struct procs_group {
    char *name;      /* groupname label */
    int pid;         /* > 0: a pid group */
    double nprocs, user, system, rss, vsize, fds, threads, oldest;
} procs_group;

typedef struct procs_state {
    procs_group *groups;
    size_t count;
    size_t name_groups; /* groups[0..name_groups) match by name */
} procs_state;


static void procs_free(void *state)
{
    procs_state *st = state;
    for (size_t i = 0; i < st->count; i++)
        free(st->groups[i].name);
    free(st->groups);
    free(st);
}

static int procs_init(const collect_config *cfg, collect_paths *paths,
                      void **state, heron_err *err)
{
    (void)paths, (void)err;
    procs_state *st = calloc(1, sizeof *st);
    size_t n = cfg->process_name_count + cfg->process_pid_count;
    if (!st || !(st->groups = calloc(n ? n : 1, sizeof *st->groups))) {
        free(st);
        return HERON_ENOMEM;
    }
    for (size_t i = 0; i < cfg->process_name_count; i++) {
        if (!(st->groups[st->count].name = strdup(cfg->process_names[i])))
            goto oom;
        st->count++;
    }
    st->name_groups = st->count;
    for (size_t i = 0; i < cfg->process_pid_count; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d", cfg->process_pids[i]);
        if (!(st->groups[st->count].name = strdup(name)))
            goto oom;
        st->groups[st->count++].pid = cfg->process_pids[i];
    }
    *state = st;
    return 0;
oom:
    procs_free(st);
    return HERON_ENOMEM;
}

static int procs_read_stat(collect_paths *p, int pid, buf *scratch,
                           procstat *out)
{
    int rc = collect_read(scratch, p->procfs, "%d/stat", pid);
    return rc ? rc : procstat_parse(scratch->data, out);
}

static double procs_count_fds(collect_paths *p, int pid)
{
    char path[4096];
    if (collect_path(path, sizeof path, p->procfs, "%d/fd", pid))
        return -1;
    return procstat_count_fds(path);
}

/* 1 when the process matches a name group: comm equals the name (cut to
 * the kernel's 15 characters), and for longer names argv[0]'s basename
 * equals the whole name. */
static int procs_name_match(collect_paths *p, int pid, const char *comm,
                            const char *name, buf *scratch)
{
    if (strncmp(comm, name, PROCS_COMM_MAX) != 0 ||
        (strlen(name) <= PROCS_COMM_MAX && strlen(comm) != strlen(name)))
        return 0;
    if (strlen(name) <= PROCS_COMM_MAX)
        return 1;
    if (collect_read(scratch, p->procfs, "%d/cmdline", pid) != 0)
        return 0;
    const char *base = strrchr(scratch->data, '/');
    return strcmp(base ? base + 1 : scratch->data, name) == 0;
}

static void procs_add(procs_group *g, const procstat *ps, double fds,
                      double btime)
{
    g->nprocs++;
    g->user += ps->user;
    g->system += ps->system;
    g->rss += ps->rss;
    g->vsize += ps->vsize;
    g->threads += ps->threads;
    if (fds >= 0)
        g->fds += fds;
    double start = btime + ps->start;
    if (g->oldest == 0 || start < g->oldest)
        g->oldest = start;
}

static void procs_emit(heron_sink *s, const procs_group *g, size_t n)
{
    static const char *const l1[] = {"groupname", NULL};
    static const char *const lmode[] = {"groupname", "mode", NULL};
    static const char *const lmem[] = {"groupname", "memtype", NULL};
#define GN(i) ((const char *const[]){g[i].name, NULL})
    heron_sink_family(s, HERON_GAUGE, "namedprocess_namegroup_num_procs",
                      "Live processes in the group.", NULL, l1);
    for (size_t i = 0; i < n; i++)
        heron_sink_value(s, GN(i), g[i].nprocs);
    heron_sink_family(s, HERON_COUNTER, "namedprocess_namegroup_cpu_seconds_total",
                      "CPU time of the group's live processes, in seconds.",
                      NULL, lmode);
    for (size_t i = 0; i < n; i++) {
        if (!g[i].nprocs)
            continue;
        heron_sink_value(s, (const char *const[]){g[i].name, "user", NULL}, g[i].user);
        heron_sink_value(s, (const char *const[]){g[i].name, "system", NULL}, g[i].system);
    }
    heron_sink_family(s, HERON_GAUGE, "namedprocess_namegroup_memory_bytes",
                      "Memory of the group's processes, in bytes.", NULL, lmem);
    for (size_t i = 0; i < n; i++) {
        if (!g[i].nprocs)
            continue;
        heron_sink_value(s, (const char *const[]){g[i].name, "resident", NULL}, g[i].rss);
        heron_sink_value(s, (const char *const[]){g[i].name, "virtual", NULL}, g[i].vsize);
    }
    static const struct {
        const char *name, *help;
        size_t off;
    } gauges[] = {
        {"namedprocess_namegroup_open_filedesc", "Open file descriptors of the group.",
         offsetof(procs_group, fds)},
        {"namedprocess_namegroup_num_threads", "Threads of the group.",
         offsetof(procs_group, threads)},
        {"namedprocess_namegroup_oldest_start_time_seconds",
         "Start time of the group's oldest process, in seconds since the epoch.",
         offsetof(procs_group, oldest)},
    };
    for (size_t k = 0; k < sizeof gauges / sizeof *gauges; k++) {
        heron_sink_family(s, HERON_GAUGE, gauges[k].name, gauges[k].help, NULL, l1);
        for (size_t i = 0; i < n; i++)
            if (g[i].nprocs)
                heron_sink_value(s, GN(i),
                                 *(const double *)((const char *)&g[i] + gauges[k].off));
    }
#undef GN
}

static double procs_btime(collect_paths *p, buf *scratch)
{
    if (collect_read(scratch, p->procfs, "stat") != 0)
        return 0;
    const char *b = strstr(scratch->data, "\nbtime ");
    return b ? strtod(b + 7, NULL) : 0;
}

static int procs_collect(heron_sink *s, collect_paths *p, void *state,
                         buf *scratch)
{
    procs_state *st = state;
    if (st->count == 0)
        return 0;
    procs_group *g = calloc(st->count, sizeof *g);
    if (!g)
        return HERON_ENOMEM;
    for (size_t i = 0; i < st->count; i++) {
        g[i].name = st->groups[i].name;
        g[i].pid = st->groups[i].pid;
    }
    double btime = procs_btime(p, scratch);
    procstat ps;
    for (size_t i = st->name_groups; i < st->count; i++)
        if (procs_read_stat(p, g[i].pid, scratch, &ps) == 0)
            procs_add(&g[i], &ps, procs_count_fds(p, g[i].pid), btime);
    int rc = 0;
    if (st->name_groups) {
        DIR *d = opendir(p->procfs[0] ? p->procfs : "/");
        if (!d)
            rc = HERON_EIO;
        for (struct dirent *e; d && (e = readdir(d));) {
            char *end;
            long pid = strtol(e->d_name, &end, 10);
            if (*end || pid <= 0 || procs_read_stat(p, (int)pid, scratch, &ps))
                continue;
            for (size_t i = 0; i < st->name_groups; i++)
                if (procs_name_match(p, (int)pid, ps.comm, g[i].name, scratch))
                    procs_add(&g[i], &ps, procs_count_fds(p, (int)pid), btime);
        }
        if (d)
            closedir(d);
    }
    procs_emit(s, g, st->count);
    free(g);
    return rc;
}

const collect_module collect_procs_module = {
    .name = "processes", .bit = COLLECT_PROCESSES, .init = procs_init,
    .collect = procs_collect, .free = procs_free};
