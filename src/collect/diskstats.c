/*
 * diskstats.c — /proc/diskstats: per-device I/O counters as node_exporter
 * names them (node_disk_*{device}), plus node_disk_info with the udev
 * properties found in <rootfs>/run/udev/data/b<major>:<minor>.
 *
 *   254 0 vda 32612 7627 2269082 20768 5861 6403 1141440 4194 0 11144 ...
 *
 * Older kernels print 11 statistics (no discard, no flush); partitions on
 * 2.6-era kernels print 4. A statistic a line lacks is left out for that
 * device.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collect/module.h"

#define DISK_STATS 17
#define DISK_SECTOR 512.0

typedef struct disk_row {
    char device[64];
    char major[12], minor[12];
    size_t nstats;
    double v[DISK_STATS];
} disk_row;

typedef struct disk_series {
    unsigned field; /* index into disk_row.v */
    heron_type type;
    double scale;
    const char *name, *help;
} disk_series;

static const disk_series disk_table[] = {
    {0, HERON_COUNTER, 1, "node_disk_reads_completed_total", "Reads completed."},
    {1, HERON_COUNTER, 1, "node_disk_reads_merged_total", "Adjacent reads merged."},
    {2, HERON_COUNTER, DISK_SECTOR, "node_disk_read_bytes_total", "Bytes read."},
    {3, HERON_COUNTER, 1e-3, "node_disk_read_time_seconds_total",
     "Time spent on reads, in seconds."},
    {4, HERON_COUNTER, 1, "node_disk_writes_completed_total", "Writes completed."},
    {5, HERON_COUNTER, 1, "node_disk_writes_merged_total", "Adjacent writes merged."},
    {6, HERON_COUNTER, DISK_SECTOR, "node_disk_written_bytes_total", "Bytes written."},
    {7, HERON_COUNTER, 1e-3, "node_disk_write_time_seconds_total",
     "Time spent on writes, in seconds."},
    {8, HERON_GAUGE, 1, "node_disk_io_now", "I/Os in progress."},
    {9, HERON_COUNTER, 1e-3, "node_disk_io_time_seconds_total",
     "Time the device was busy with I/O, in seconds."},
    {10, HERON_COUNTER, 1e-3, "node_disk_io_time_weighted_seconds_total",
     "I/O time weighted by the number of I/Os in flight, in seconds."},
    {11, HERON_COUNTER, 1, "node_disk_discards_completed_total", "Discards completed."},
    {12, HERON_COUNTER, 1, "node_disk_discards_merged_total", "Adjacent discards merged."},
    {13, HERON_COUNTER, 1, "node_disk_discarded_sectors_total", "Sectors discarded."},
    {14, HERON_COUNTER, 1e-3, "node_disk_discard_time_seconds_total",
     "Time spent on discards, in seconds."},
    {15, HERON_COUNTER, 1, "node_disk_flush_requests_total", "Flush requests completed."},
    {16, HERON_COUNTER, 1e-3, "node_disk_flush_requests_time_seconds_total",
     "Time spent on flushes, in seconds."},
};

typedef struct disk_state {
    regex_t exclude;
    int udev; /* <rootfs>/run/udev/data existed at start */
} disk_state;

static int disk_init(const collect_config *cfg, collect_paths *paths,
                     void **state, heron_err *err)
{
    disk_state *st = malloc(sizeof *st);
    if (!st)
        return HERON_ENOMEM;
    int rc = collect_filter_compile(&st->exclude, cfg->diskstats_device_exclude,
                                    COLLECT_DEFAULT_DISKSTATS_EXCLUDE,
                                    "collector.diskstats.device-exclude", err);
    if (rc) {
        free(st);
        return rc;
    }
    /* Without udev's database there is nothing to look up per device (and
     * no point in failing an open per device per scrape). */
    char dir[4096];
    st->udev = collect_path(dir, sizeof dir, paths->rootfs, "run/udev/data") == 0 &&
               access(dir, X_OK) == 0;
    *state = st;
    return 0;
}

static void disk_free(void *state)
{
    disk_state *st = state;
    regfree(&st->exclude);
    free(st);
}

static int disk_parse_line(char *line, disk_row *row)
{
    char *f[3 + DISK_STATS];
    size_t nf = collect_fields(line, f, 3 + DISK_STATS);
    if (nf < 3 + 4 || strlen(f[2]) >= sizeof row->device ||
        strlen(f[0]) >= sizeof row->major || strlen(f[1]) >= sizeof row->minor)
        return HERON_EINVAL;
    strcpy(row->major, f[0]);
    strcpy(row->minor, f[1]);
    strcpy(row->device, f[2]);
    row->nstats = nf - 3;
    double four[4];
    for (size_t i = 0; i < row->nstats; i++)
        if (collect_parse_double(f[3 + i], &row->v[i]))
            return HERON_EINVAL;
    if (row->nstats == 4) {
        /* old partition line: reads, sectors read, writes, sectors written */
        memcpy(four, row->v, sizeof four);
        memset(row->v, 0, sizeof row->v);
        row->v[0] = four[0];
        row->v[2] = four[1];
        row->v[4] = four[2];
        row->v[6] = four[3];
        row->nstats = 7;
    }
    return 0;
}

/* The udev properties node_disk_info carries, in label order. */
static const char *const disk_udev_keys[5] = {
    "E:ID_MODEL=", "E:ID_PATH=", "E:ID_REVISION=", "E:ID_SERIAL_SHORT=",
    "E:ID_WWN="};

static void disk_emit_info(heron_sink *s, collect_paths *p, int udev,
                           const disk_row *rows, size_t count, buf *scratch)
{
    static const char *const labels[] = {"device", "major", "minor", "model",
                                         "path", "revision", "serial", "wwn",
                                         NULL};
    heron_sink_family(s, HERON_GAUGE, "node_disk_info",
                      "Block device identity, from /proc/diskstats and udev.",
                      NULL, labels);
    for (size_t i = 0; i < count; i++) {
        const char *v[5] = {"", "", "", "", ""};
        if (udev && collect_read(scratch, p->rootfs, "run/udev/data/b%s:%s",
                         rows[i].major, rows[i].minor) == 0) {
            char *cur = scratch->data, *line;
            while ((line = collect_next_line(&cur)))
                for (int k = 0; k < 5; k++)
                    if (strncmp(line, disk_udev_keys[k],
                                strlen(disk_udev_keys[k])) == 0)
                        v[k] = line + strlen(disk_udev_keys[k]);
        }
        heron_sink_value(s, (const char *const[]){rows[i].device, rows[i].major,
                                                  rows[i].minor, v[0], v[1],
                                                  v[2], v[3], v[4], NULL},
                         1);
    }
}

static int disk_collect(heron_sink *s, collect_paths *p, void *state,
                        buf *scratch)
{
    disk_state *st = state;
    int rc = collect_read_kept(scratch, p, p->procfs, "diskstats");
    if (rc)
        return rc;
    disk_row *rows = NULL;
    size_t count = 0, alloc = 0, maxstats = 0;
    char *cur = scratch->data, *line;
    while ((line = collect_next_line(&cur))) {
        if (count == alloc) {
            size_t n = alloc ? alloc * 2 : 8;
            disk_row *r = realloc(rows, n * sizeof *r);
            if (!r) {
                free(rows);
                return HERON_ENOMEM;
            }
            rows = r;
            alloc = n;
        }
        if (disk_parse_line(line, &rows[count]) != 0) {
            rc = HERON_EINVAL;
            continue;
        }
        if (collect_filter_match(&st->exclude, rows[count].device))
            continue;
        if (rows[count].nstats > maxstats)
            maxstats = rows[count].nstats;
        count++;
    }
    static const char *const labels[] = {"device", NULL};
    for (size_t t = 0; t < sizeof disk_table / sizeof *disk_table; t++) {
        const disk_series *ds = &disk_table[t];
        if (ds->field >= maxstats)
            continue;
        heron_sink_family(s, ds->type, ds->name, ds->help, NULL, labels);
        for (size_t i = 0; i < count; i++)
            if (ds->field < rows[i].nstats)
                heron_sink_value(s, (const char *const[]){rows[i].device, NULL},
                                 rows[i].v[ds->field] * ds->scale);
    }
    if (count)
        disk_emit_info(s, p, st->udev, rows, count, scratch);
    free(rows);
    return rc;
}

const collect_module collect_diskstats_module = {
    .name = "diskstats", .bit = COLLECT_DISKSTATS, .init = disk_init,
    .collect = disk_collect, .free = disk_free};
