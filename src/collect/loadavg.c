/*
 * loadavg.c — /proc/loadavg: node_load1, node_load5, node_load15.
 */
#include "collect/module.h"

static int loadavg_collect(heron_sink *s, collect_paths *p, void *state,
                           buf *scratch)
{
    (void)state;
    static const char *const names[3] = {"node_load1", "node_load5",
                                         "node_load15"};
    static const char *const helps[3] = {
        "Load average over the last minute.",
        "Load average over the last 5 minutes.",
        "Load average over the last 15 minutes."};
    int rc = collect_read_kept(scratch, p, p->procfs, "loadavg");
    if (rc)
        return rc;
    char *f[3];
    double v[3];
    if (collect_fields(scratch->data, f, 3) != 3)
        return HERON_EINVAL;
    for (int i = 0; i < 3; i++)
        if (collect_parse_double(f[i], &v[i]))
            return HERON_EINVAL;
    for (int i = 0; i < 3; i++) {
        heron_sink_family(s, HERON_GAUGE, names[i], helps[i], NULL, NULL);
        heron_sink_value(s, NULL, v[i]);
    }
    return 0;
}

const collect_module collect_loadavg_module = {
    .name = "loadavg", .bit = COLLECT_LOADAVG, .collect = loadavg_collect};
