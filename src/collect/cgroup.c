/*
 * cgroup.c — CPU and memory of cgroup v2 groups, the "container metrics",
 * with cAdvisor's names (container_*{id}, id being the cgroup's path such
 * as "/system.slice/docker-1234.scope"). The hierarchy is
 * <sysfs>/fs/cgroup when it is cgroup2 itself, else <sysfs>/fs/cgroup/unified
 * (systemd's hybrid layout). The walk stops at CGROUP_MAX_DEPTH levels and
 * CGROUP_MAX_GROUPS groups so that a busy host stays cheap to scrape.
 * Files a group lacks (the root has no memory.current) leave its series out.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/module.h"

#define CGROUP_MAX_DEPTH 5
#define CGROUP_MAX_GROUPS 2048

enum {
    CG_USAGE, CG_USER, CG_SYSTEM, CG_PERIODS, CG_THROTTLED, CG_THROTTLED_TIME,
    CG_MEM_USAGE, CG_MEM_WORKING_SET, CG_MEM_RSS, CG_MEM_CACHE, CG_MEM_LIMIT,
    CG_SERIES
};

typedef struct cg_row {
    char *id;
    unsigned has; /* bit per CG_* */
    double v[CG_SERIES];
} cg_row;

typedef struct cg_walk {
    const char *base; /* the hierarchy's directory */
    cg_row *rows;
    size_t count, alloc;
    buf *scratch;
} cg_walk;

static const struct {
    heron_type type;
    const char *name, *help;
} cg_table[CG_SERIES] = {
    {HERON_COUNTER, "container_cpu_usage_seconds_total", "CPU time consumed, in seconds."},
    {HERON_COUNTER, "container_cpu_user_seconds_total", "User CPU time consumed, in seconds."},
    {HERON_COUNTER, "container_cpu_system_seconds_total", "System CPU time consumed, in seconds."},
    {HERON_COUNTER, "container_cpu_cfs_periods_total", "Elapsed CFS enforcement periods."},
    {HERON_COUNTER, "container_cpu_cfs_throttled_periods_total", "CFS periods in which the group was throttled."},
    {HERON_COUNTER, "container_cpu_cfs_throttled_seconds_total", "Time the group was throttled, in seconds."},
    {HERON_GAUGE, "container_memory_usage_bytes", "Memory charged to the group, in bytes."},
    {HERON_GAUGE, "container_memory_working_set_bytes", "Usage minus inactive file cache, in bytes."},
    {HERON_GAUGE, "container_memory_rss", "Anonymous memory, in bytes."},
    {HERON_GAUGE, "container_memory_cache", "Page cache memory, in bytes."},
    {HERON_GAUGE, "container_spec_memory_limit_bytes", "memory.max, in bytes (0: no limit)."},
};

static void cg_set(cg_row *r, int which, double v)
{
    r->v[which] = v;
    r->has |= 1u << which;
}

/* Reads "key value" lines of a flat-keyed file into r. */
static void cg_read_keyed(cg_walk *w, const char *rel, cg_row *r,
                          const char *const *keys, const int *which,
                          const double *scale, size_t n)
{
    if (collect_read(w->scratch, w->base, "%s", rel) != 0)
        return;
    char *cur = w->scratch->data, *line;
    while ((line = collect_next_line(&cur))) {
        char *f[2];
        double v;
        if (collect_fields(line, f, 2) != 2 || collect_parse_double(f[1], &v))
            continue;
        for (size_t i = 0; i < n; i++)
            if (strcmp(f[0], keys[i]) == 0)
                cg_set(r, which[i], v * scale[i]);
    }
}

static void cg_read_group(cg_walk *w, const char *rel, cg_row *r)
{
    char path[4096];
    static const char *const cpu_keys[] = {"usage_usec", "user_usec", "system_usec",
                                           "nr_periods", "nr_throttled",
                                           "throttled_usec"};
    static const int cpu_which[] = {CG_USAGE, CG_USER, CG_SYSTEM, CG_PERIODS,
                                    CG_THROTTLED, CG_THROTTLED_TIME};
    static const double cpu_scale[] = {1e-6, 1e-6, 1e-6, 1, 1, 1e-6};
    snprintf(path, sizeof path, "%scpu.stat", rel);
    cg_read_keyed(w, path, r, cpu_keys, cpu_which, cpu_scale, 6);

    static const char *const mem_keys[] = {"anon", "file", "inactive_file"};
    static const int mem_which[] = {CG_MEM_RSS, CG_MEM_CACHE, CG_MEM_WORKING_SET};
    static const double mem_scale[] = {1, 1, 1};
    snprintf(path, sizeof path, "%smemory.stat", rel);
    cg_read_keyed(w, path, r, mem_keys, mem_which, mem_scale, 3);
    /* working set = usage - inactive_file, as cAdvisor computes it */
    double inactive = r->v[CG_MEM_WORKING_SET];
    r->has &= ~(1u << CG_MEM_WORKING_SET);
    if (!*rel)
        return; /* the root group has no memory.current or memory.max */
    double usage;
    if (collect_read_double(&usage, w->base, "%smemory.current", rel) == 0) {
        cg_set(r, CG_MEM_USAGE, usage);
        cg_set(r, CG_MEM_WORKING_SET, usage > inactive ? usage - inactive : 0);
    }
    if (collect_read(w->scratch, w->base, "%smemory.max", rel) == 0) {
        char *f[1];
        double lim;
        if (collect_fields(w->scratch->data, f, 1) == 1)
            cg_set(r, CG_MEM_LIMIT,
                   strcmp(f[0], "max") == 0 ? 0
                   : collect_parse_double(f[0], &lim) == 0 ? lim : 0);
    }
}

/* Visits the group at rel ("" or "a/b/") and its children. */
static int cg_visit(cg_walk *w, const char *rel, int depth)
{
    if (w->count >= CGROUP_MAX_GROUPS)
        return 0;
    if (w->count == w->alloc) {
        size_t n = w->alloc ? w->alloc * 2 : 32;
        cg_row *r = realloc(w->rows, n * sizeof *r);
        if (!r)
            return HERON_ENOMEM;
        w->rows = r;
        w->alloc = n;
    }
    size_t len = strlen(rel);
    cg_row *row = &w->rows[w->count];
    memset(row, 0, sizeof *row);
    if (!(row->id = malloc(len + 2)))
        return HERON_ENOMEM;
    row->id[0] = '/';
    memcpy(row->id + 1, rel, len + 1);
    if (len)
        row->id[len] = '\0'; /* drop the trailing slash */
    w->count++;
    cg_read_group(w, rel, row);
    if (depth >= CGROUP_MAX_DEPTH)
        return 0;
    char dir[4096];
    if (collect_path(dir, sizeof dir, w->base, "%s", rel))
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.' || e->d_type != DT_DIR)
            continue;
        char child[4096];
        if ((size_t)snprintf(child, sizeof child, "%s%s/", rel, e->d_name) >= sizeof child)
            continue;
        rc = cg_visit(w, child, depth + 1);
    }
    closedir(d);
    return rc;
}

/* Finds the cgroup2 hierarchy once (it has cgroup.controllers at its
 * root); state is its directory, or NULL when there is none. */
static int cg_init(const collect_config *cfg, collect_paths *paths, void **state,
                   heron_err *err)
{
    (void)cfg, (void)err;
    static const char *const candidates[2] = {"fs/cgroup", "fs/cgroup/unified"};
    *state = NULL;
    for (int i = 0; i < 2; i++) {
        char base[4096];
        if (collect_path(base, sizeof base, paths->sysfs, "%s", candidates[i]) != 0)
            continue;
        size_t n = strlen(base);
        if (n + sizeof "/cgroup.controllers" > sizeof base)
            continue;
        memcpy(base + n, "/cgroup.controllers", sizeof "/cgroup.controllers");
        if (access(base, R_OK) != 0)
            continue;
        base[n] = '\0';
        return (*state = strdup(base)) ? 0 : HERON_ENOMEM;
    }
    return 0;
}

static int cg_collect(heron_sink *s, collect_paths *p, void *state, buf *scratch)
{
    (void)p;
    if (!state)
        return HERON_ENOENT; /* no cgroup v2 here */
    cg_walk w = {.base = state, .scratch = scratch};
    int rc = cg_visit(&w, "", 0);
    static const char *const labels[] = {"id", NULL};
    for (int k = 0; k < CG_SERIES; k++) {
        int any = 0;
        for (size_t i = 0; i < w.count && !any; i++)
            any = (w.rows[i].has >> k) & 1;
        if (!any)
            continue;
        heron_sink_family(s, cg_table[k].type, cg_table[k].name, cg_table[k].help,
                          NULL, labels);
        for (size_t i = 0; i < w.count; i++)
            if ((w.rows[i].has >> k) & 1)
                heron_sink_value(s, (const char *const[]){w.rows[i].id, NULL},
                                 w.rows[i].v[k]);
    }
    for (size_t i = 0; i < w.count; i++)
        free(w.rows[i].id);
    free(w.rows);
    return rc;
}

const collect_module collect_cgroup_module = {
    .name = "cgroup", .bit = COLLECT_CGROUP, .init = cg_init,
    .collect = cg_collect, .free = free};
