/*
 * netdev.c — /proc/net/dev: per-interface receive and transmit counters,
 * node_network_{receive,transmit}_<field>_total{device}.
 *
 *   Inter-|   Receive ...                                 (two header lines)
 *     eth0: 45689303 1019 0 0 0 0 0 0 50379 631 0 0 0 0 0 0
 *   eth1:123456789012 ...            (no blank after the colon when wide)
 */
#include <stdlib.h>
#include <string.h>

#include "collect/module.h"

#define NETDEV_COLUMNS 16

typedef struct netdev_row {
    char device[64];
    double v[NETDEV_COLUMNS];
} netdev_row;

static const char *const netdev_names[NETDEV_COLUMNS] = {
    "node_network_receive_bytes_total",
    "node_network_receive_packets_total",
    "node_network_receive_errs_total",
    "node_network_receive_drop_total",
    "node_network_receive_fifo_total",
    "node_network_receive_frame_total",
    "node_network_receive_compressed_total",
    "node_network_receive_multicast_total",
    "node_network_transmit_bytes_total",
    "node_network_transmit_packets_total",
    "node_network_transmit_errs_total",
    "node_network_transmit_drop_total",
    "node_network_transmit_fifo_total",
    "node_network_transmit_colls_total",
    "node_network_transmit_carrier_total",
    "node_network_transmit_compressed_total",
};

typedef struct netdev_state {
    regex_t exclude;
} netdev_state;

static int netdev_init(const collect_config *cfg, collect_paths *paths,
                       void **state, heron_err *err)
{
    (void)paths;
    netdev_state *st = malloc(sizeof *st);
    if (!st)
        return HERON_ENOMEM;
    int rc = collect_filter_compile(&st->exclude, cfg->netdev_device_exclude,
                                    COLLECT_DEFAULT_NETDEV_EXCLUDE,
                                    "collector.netdev.device-exclude", err);
    if (rc) {
        free(st);
        return rc;
    }
    *state = st;
    return 0;
}

static void netdev_free(void *state)
{
    netdev_state *st = state;
    regfree(&st->exclude);
    free(st);
}

/* Parses one interface line into row; 0 when it is one. */
static int netdev_parse_line(char *line, netdev_row *row)
{
    char *colon = strchr(line, ':');
    if (!colon)
        return HERON_EINVAL;
    *colon = '\0';
    char *name[2];
    if (collect_fields(line, name, 2) != 1 || strlen(name[0]) >= sizeof row->device)
        return HERON_EINVAL;
    strcpy(row->device, name[0]);
    char *f[NETDEV_COLUMNS];
    if (collect_fields(colon + 1, f, NETDEV_COLUMNS) != NETDEV_COLUMNS)
        return HERON_EINVAL;
    for (int i = 0; i < NETDEV_COLUMNS; i++)
        if (collect_parse_double(f[i], &row->v[i]))
            return HERON_EINVAL;
    return 0;
}

static int netdev_collect(heron_sink *s, collect_paths *p, void *state,
                          buf *scratch)
{
    netdev_state *st = state;
    int rc = collect_read_kept(scratch, p, p->procfs, "net/dev");
    if (rc)
        return rc;
    netdev_row *rows = NULL;
    size_t count = 0, alloc = 0;
    char *cur = scratch->data, *line;
    while ((line = collect_next_line(&cur))) {
        if (!strchr(line, ':'))
            continue; /* the header lines */
        if (count == alloc) {
            size_t n = alloc ? alloc * 2 : 8;
            netdev_row *r = realloc(rows, n * sizeof *r);
            if (!r) {
                free(rows);
                return HERON_ENOMEM;
            }
            rows = r;
            alloc = n;
        }
        if (netdev_parse_line(line, &rows[count]) != 0) {
            rc = HERON_EINVAL;
            continue;
        }
        if (!collect_filter_match(&st->exclude, rows[count].device))
            count++;
    }
    static const char *const labels[] = {"device", NULL};
    for (int c = 0; c < NETDEV_COLUMNS && count; c++) {
        heron_sink_family(s, HERON_COUNTER, netdev_names[c],
                          "Network device statistic from /proc/net/dev.",
                          NULL, labels);
        for (size_t i = 0; i < count; i++)
            heron_sink_value(s, (const char *const[]){rows[i].device, NULL},
                             rows[i].v[c]);
    }
    free(rows);
    return rc;
}

const collect_module collect_netdev_module = {
    .name = "netdev", .bit = COLLECT_NETDEV, .init = netdev_init,
    .collect = netdev_collect, .free = netdev_free};
