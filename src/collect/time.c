/*
 * time.c — the node's clock: node_time_seconds, the local time zone's
 * offset, and the kernel's clock sources from
 * <sysfs>/devices/system/clocksource/clocksource<N>/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "collect/module.h"
#include "core/hclock.h"

/* Counts the clock source devices once: they do not come and go. */
static int time_init(const collect_config *cfg, collect_paths *paths,
                     void **state, heron_err *err)
{
    (void)cfg, (void)err;
    int *devices = malloc(sizeof *devices);
    if (!devices)
        return HERON_ENOMEM;
    for (*devices = 0; *devices < 64; ++*devices) {
        char dir[4096];
        if (collect_path(dir, sizeof dir, paths->sysfs,
                         "devices/system/clocksource/clocksource%d", *devices) != 0 ||
            access(dir, X_OK) != 0)
            break;
    }
    *state = devices;
    return 0;
}

static void time_clocksources(heron_sink *s, collect_paths *p, int devices,
                              buf *scratch)
{
    static const char *const labels[] = {"clocksource", "device", NULL};
    static const char *const files[2] = {"available_clocksource",
                                         "current_clocksource"};
    static const char *const names[2] = {"node_time_clocksource_available_info",
                                         "node_time_clocksource_current_info"};
    static const char *const helps[2] = {
        "Clock sources the kernel can use, as labels.",
        "The clock source the kernel uses, as labels."};
    for (int k = 0; k < 2 && devices > 0; k++) {
        heron_sink_family(s, HERON_GAUGE, names[k], helps[k], NULL, labels);
        for (int dev = 0; dev < devices; dev++) {
            char rel[128], devname[16];
            snprintf(rel, sizeof rel, "devices/system/clocksource/clocksource%d/%s",
                     dev, files[k]);
            if (collect_read_kept(scratch, p, p->sysfs, rel) != 0)
                continue;
            snprintf(devname, sizeof devname, "%d", dev);
            char *f[32];
            size_t nf = collect_fields(scratch->data, f, 32);
            for (size_t i = 0; i < nf; i++)
                heron_sink_value(s, (const char *const[]){f[i], devname, NULL}, 1);
        }
    }
}

static int time_collect(heron_sink *s, collect_paths *p, void *state,
                        buf *scratch)
{
    int64_t ns = hclock_wall_ns();
    heron_sink_family(s, HERON_GAUGE, "node_time_seconds",
                      "The node's wall clock, in seconds since the epoch.",
                      NULL, NULL);
    heron_sink_value(s, NULL, (double)ns / 1e9);

    time_t now = (time_t)(ns / 1000000000);
    struct tm tm;
    if (localtime_r(&now, &tm)) {
        static const char *const labels[] = {"time_zone", NULL};
        heron_sink_family(s, HERON_GAUGE, "node_time_zone_offset_seconds",
                          "The local time zone's offset from UTC, in seconds.",
                          NULL, labels);
        heron_sink_value(s, (const char *const[]){tm.tm_zone ? tm.tm_zone : "", NULL},
                         (double)tm.tm_gmtoff);
    }
    time_clocksources(s, p, *(int *)state, scratch);
    return 0;
}

const collect_module collect_time_module = {
    .name = "time", .bit = COLLECT_TIME, .init = time_init,
    .collect = time_collect, .free = free};
