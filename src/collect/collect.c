/*
 * collect.c — the "node" callback collector: runs each enabled module in
 * turn and reports node_scrape_collector_duration_seconds and
 * node_scrape_collector_success for each, the way node_exporter does.
 */
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"
#include "collect/module.h"
#include "core/err.h"
#include "core/hclock.h"

static const collect_module *const collect_modules[] = {
    &collect_cpu_module,      &collect_loadavg_module,  &collect_meminfo_module,
    &collect_filesystem_module, &collect_diskstats_module, &collect_netdev_module,
    &collect_uname_module,    &collect_os_module,       &collect_time_module,
    &collect_pressure_module, &collect_cgroup_module,   &collect_procs_module,
    &collect_nvml_module,
};
#define COLLECT_MODULES (sizeof collect_modules / sizeof *collect_modules)

struct collect_set {
    heron_registry *reg;
    int process_registered;
    collect_paths paths;
    size_t count;
    const collect_module *mods[COLLECT_MODULES];
    void *states[COLLECT_MODULES];
};

/* Resolves a root flag: NULL -> fallback; a trailing slash is dropped, so
 * "/" becomes "" and paths are built as root + "/" + rest. */
static char *collect_root(const char *root, const char *fallback)
{
    const char *r = root && *root ? root : fallback;
    size_t n = strlen(r);
    while (n > 0 && r[n - 1] == '/')
        n--;
    return strndup(r, n);
}

static void collect_run(heron_sink *s, void *arg)
{
    collect_set *set = arg;
    double seconds[COLLECT_MODULES];
    int ok[COLLECT_MODULES];
    buf scratch;
    buf_init(&scratch, COLLECT_FILE_MAX);
    for (size_t i = 0; i < set->count; i++) {
        uint64_t t0 = hclock_mono_ns();
        ok[i] = set->mods[i]->collect(s, &set->paths, set->states[i], &scratch) == 0;
        seconds[i] = (double)(hclock_mono_ns() - t0) / 1e9;
    }
    buf_free(&scratch);
    static const char *const labels[] = {"collector", NULL};
    heron_sink_family(s, HERON_GAUGE, "node_scrape_collector_duration_seconds",
                      "How long each collector took in this scrape, in seconds.",
                      NULL, labels);
    for (size_t i = 0; i < set->count; i++)
        heron_sink_value(s, (const char *const[]){set->mods[i]->name, NULL}, seconds[i]);
    heron_sink_family(s, HERON_GAUGE, "node_scrape_collector_success",
                      "1 when the collector read everything it looked for.", NULL,
                      labels);
    for (size_t i = 0; i < set->count; i++)
        heron_sink_value(s, (const char *const[]){set->mods[i]->name, NULL}, ok[i]);
}

static void collect_release(collect_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->mods[i]->free && set->states[i])
            set->mods[i]->free(set->states[i]);
    collect_kept_close(&set->paths);
    pthread_mutex_destroy(&set->paths.kept_lock);
    free(set->paths.procfs);
    free(set->paths.sysfs);
    free(set->paths.rootfs);
    free(set);
}

int collect_register_all(heron_registry *reg, const collect_config *cfg,
                         collect_set **out, heron_err *err)
{
    static const collect_config defaults = {0};
    if (!cfg)
        cfg = &defaults;
    collect_set *set = calloc(1, sizeof *set);
    if (!set)
        return err_set(err, HERON_ENOMEM, "collect: out of memory");
    set->reg = reg;
    pthread_mutex_init(&set->paths.kept_lock, NULL);
    set->paths.procfs = collect_root(cfg->procfs, "/proc");
    set->paths.sysfs = collect_root(cfg->sysfs, "/sys");
    set->paths.rootfs = collect_root(cfg->rootfs, "/");
    if (!set->paths.procfs || !set->paths.sysfs || !set->paths.rootfs) {
        collect_release(set);
        return err_set(err, HERON_ENOMEM, "collect: out of memory");
    }
    unsigned enabled = cfg->enabled ? cfg->enabled : COLLECT_DEFAULT;
    if (cfg->process_name_count + cfg->process_pid_count == 0)
        enabled &= ~(unsigned)COLLECT_PROCESSES;
    for (size_t i = 0; i < COLLECT_MODULES; i++) {
        const collect_module *m = collect_modules[i];
        if (!(enabled & m->bit))
            continue;
        void *state = NULL;
        int rc = m->init ? m->init(cfg, &set->paths, &state, err) : 0;
        if (rc) {
            collect_release(set);
            return err && err->code ? rc
                                    : err_set(err, rc, "collect: %s collector: %s",
                                              m->name, heron_strerror(rc));
        }
        set->mods[set->count] = m;
        set->states[set->count++] = state;
    }
    int rc = heron_collector_register(reg, "node", collect_run, set, err);
    if (rc) {
        collect_release(set);
        return rc;
    }
    if (cfg->process_self) {
        rc = heron_process_collector_register(reg, 0, err);
        if (rc) {
            heron_collector_unregister(reg, "node", NULL);
            collect_release(set);
            return rc;
        }
        set->process_registered = 1;
    }
    *out = set;
    return 0;
}

void collect_free(collect_set *set)
{
    if (!set)
        return;
    heron_collector_unregister(set->reg, "node", NULL);
    if (set->process_registered)
        heron_collector_unregister(set->reg, "process", NULL);
    collect_release(set);
}

int collect_nvml_available(const collect_set *set)
{
    for (size_t i = 0; set && i < set->count; i++)
        if (set->mods[i] == &collect_nvml_module)
            return collect_nvml_up(set->states[i]);
    return 0;
}
