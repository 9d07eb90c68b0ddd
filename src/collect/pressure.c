/*
 * pressure.c — /proc/pressure/{cpu,io,memory} (PSI, Linux 4.20+):
 * cumulative stall time as node_pressure_*_seconds_total. "some" is time
 * at least one task waited, "full" time all non-idle tasks were stalled.
 * A kernel without PSI has no /proc/pressure: the collector then reports
 * failure and nothing else.
 *
 *   some avg10=1.82 avg60=0.83 avg300=0.46 total=5216299     (microseconds)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/module.h"

typedef struct pressure_series {
    const char *resource, *kind, *name, *help;
} pressure_series;

/* node_exporter 1.5 reports cpu "some" only. */
static const pressure_series pressure_table[] = {
    {"cpu", "some", "node_pressure_cpu_waiting_seconds_total",
     "Time at least one task waited for a CPU, in seconds."},
    {"io", "some", "node_pressure_io_waiting_seconds_total",
     "Time at least one task waited for I/O, in seconds."},
    {"io", "full", "node_pressure_io_stalled_seconds_total",
     "Time all non-idle tasks were stalled on I/O, in seconds."},
    {"memory", "some", "node_pressure_memory_waiting_seconds_total",
     "Time at least one task waited for memory, in seconds."},
    {"memory", "full", "node_pressure_memory_stalled_seconds_total",
     "Time all non-idle tasks were stalled on memory, in seconds."},
};

/* Finds "<kind> ... total=N" in a pressure file without changing it (the
 * same text is searched for "some" and "full"); 0 and *us on success. */
static int pressure_total(const char *text, const char *kind, double *us)
{
    size_t klen = strlen(kind);
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        if (strncmp(line, kind, klen) == 0 && line[klen] == ' ') {
            const char *t = strstr(line, " total=");
            if (!t || (eol && t > eol))
                return HERON_EINVAL;
            char *end;
            double v = strtod(t + 7, &end);
            if (end == t + 7 || (*end && *end != '\n' && *end != ' '))
                return HERON_EINVAL;
            *us = v;
            return 0;
        }
        line = eol ? eol + 1 : NULL;
    }
    return HERON_ENOENT;
}

static int pressure_collect(heron_sink *s, collect_paths *p, void *state,
                            buf *scratch)
{
    (void)state;
    static const char *const resources[3] = {"cpu", "io", "memory"};
    double us[sizeof pressure_table / sizeof *pressure_table];
    int got[sizeof pressure_table / sizeof *pressure_table] = {0};
    int rc = 0;
    for (int r = 0; r < 3; r++) {
        char rel[32];
        snprintf(rel, sizeof rel, "pressure/%s", resources[r]);
        int e = collect_read_kept(scratch, p, p->procfs, rel);
        for (size_t i = 0; e == 0 && i < sizeof pressure_table / sizeof *pressure_table; i++)
            if (strcmp(pressure_table[i].resource, resources[r]) == 0)
                got[i] = pressure_total(scratch->data, pressure_table[i].kind, &us[i]) == 0;
        if (e)
            rc = e;
    }
    for (size_t i = 0; i < sizeof pressure_table / sizeof *pressure_table; i++) {
        if (!got[i]) {
            rc = rc ? rc : HERON_EINVAL;
            continue;
        }
        heron_sink_family(s, HERON_COUNTER, pressure_table[i].name,
                          pressure_table[i].help, NULL, NULL);
        heron_sink_value(s, NULL, us[i] / 1e6);
    }
    return rc;
}

const collect_module collect_pressure_module = {
    .name = "pressure", .bit = COLLECT_PRESSURE, .collect = pressure_collect};
