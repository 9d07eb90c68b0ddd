/*
 * pressure.c — /proc/pressure/{cpu,io,memory} (PSI, Linux 4.20+):
 * cumulative stall time as node_pressure_*_seconds_total. "some" is time
 * at least one task waited, "full" time all non-idle tasks were stalled.
 * A kernel without PSI has no /proc/pressure: the collector then reports
 * failure and nothing else.
 *
 *   some avg10=1.82 avg60=0.83 avg300=0.46 total=5216299     (microseconds)
 */
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

/* Finds "<kind> ... total=N" in a pressure file; 0 and *us on success. */
static int pressure_total(char *text, const char *kind, double *us)
{
    char *cur = text, *line;
    while ((line = collect_next_line(&cur))) {
        char *f[5];
        size_t nf = collect_fields(line, f, 5);
        if (nf < 2 || strcmp(f[0], kind) != 0)
            continue;
        for (size_t i = 1; i < nf; i++)
            if (strncmp(f[i], "total=", 6) == 0)
                return collect_parse_double(f[i] + 6, us);
    }
    return HERON_ENOENT;
}

static int pressure_collect(heron_sink *s, const collect_paths *p,
                            void *state, buf *scratch)
{
    (void)state;
    int rc = 0;
    for (size_t i = 0; i < sizeof pressure_table / sizeof *pressure_table; i++) {
        const pressure_series *ps = &pressure_table[i];
        double us;
        int r = collect_read(scratch, p->procfs, "pressure/%s", ps->resource);
        if (r == 0)
            r = pressure_total(scratch->data, ps->kind, &us);
        if (r) {
            rc = r;
            continue;
        }
        heron_sink_family(s, HERON_COUNTER, ps->name, ps->help, NULL, NULL);
        heron_sink_value(s, NULL, us / 1e6);
    }
    return rc;
}

const collect_module collect_pressure_module = {
    .name = "pressure", .bit = COLLECT_PRESSURE, .collect = pressure_collect};
