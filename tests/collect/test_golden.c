/*
 * test_golden.c — `heron agent` beside the real prometheus-node-exporter
 * on the same machine: for every node_* family heron exposes, node_exporter
 * must expose the same name, type and label names, the same series, and
 * values that agree within what their meaning allows (process_* families,
 * which describe each server itself, only by name, type and labels). node_exporter is
 * scraped before and after heron, so a counter must lie between its two
 * readings; constants must be equal; gauges that move (memory, load, free
 * space) may differ by a tolerance per family.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define NODE_EXPORTER "/usr/bin/prometheus-node-exporter"

/* How far a heron value may lie outside node_exporter's two readings. */
typedef struct tolerance {
    const char *prefix;
    double abs, rel;
} tolerance;

static const tolerance tolerances[] = {
    {"node_memory_", 256.0 * 1024 * 1024, 0.10},
    {"node_load", 2.0, 0},
    {"node_procs_", 16, 0},
    {"node_disk_io_now", 16, 0},
    {"node_filesystem_free_bytes", 1024.0 * 1024 * 1024, 0.01},
    {"node_filesystem_avail_bytes", 1024.0 * 1024 * 1024, 0.01},
    {"node_filesystem_files_free", 100000, 0.01},
    {"node_time_seconds", 30, 0},
    {"node_boot_time_seconds", 1, 0}, /* btime may step by a second */
    {"node_cpu_", 0.02, 0},           /* one clock tick of rounding */
    {"node_pressure_", 1e-6, 0},
};

static const tolerance *tolerance_for(const char *name)
{
    for (size_t i = 0; i < sizeof tolerances / sizeof *tolerances; i++)
        if (strncmp(name, tolerances[i].prefix, strlen(tolerances[i].prefix)) == 0)
            return &tolerances[i];
    return NULL;
}

static pid_t start(char *const argv[], int port)
{
    pid_t pid = tu_spawn(argv, NULL);
    if (pid > 0 && tu_wait_http(port, "/metrics", 200) != 0) {
        tu_stop(pid);
        return -1;
    }
    return pid;
}

static void scrape(int port, tu_expo *e)
{
    buf body;
    buf_init(&body, 0);
    assert_int_equal(tu_http_get(port, "/metrics", &body), 200);
    assert_int_equal(tu_parse(body.data, e), 0);
    buf_free(&body);
}

static int check_value(const char *name, const char *type, double h, double a,
                       double b)
{
    double lo = fmin(a, b), hi = fmax(a, b);
    const tolerance *t = tolerance_for(name);
    double slack = 1e-9 * fmax(1, fabs(hi));
    if (t)
        slack += t->abs + t->rel * fabs(hi);
    (void)type;
    return h >= lo - slack && h <= hi + slack;
}

static void test_same_families_as_node_exporter(void **state)
{
    (void)state;
    if (access(NODE_EXPORTER, X_OK) != 0) {
        print_message("skipped: %s is not installed\n", NODE_EXPORTER);
        skip();
    }
    const char *bin = getenv("HERON_BINARY_DIR");
    char heron[4096], ne_listen[64], h_listen[64];
    snprintf(heron, sizeof heron, "%.4000s/heron", bin ? bin : ".");
    int ne_port = tu_free_port(), h_port = tu_free_port();
    snprintf(ne_listen, sizeof ne_listen, "--web.listen-address=127.0.0.1:%d", ne_port);
    snprintf(h_listen, sizeof h_listen, "--web.listen-address=127.0.0.1:%d", h_port);
    char *ne_argv[] = {NODE_EXPORTER, ne_listen, "--collector.disable-defaults",
                       "--collector.cpu", "--collector.stat", "--collector.loadavg",
                       "--collector.meminfo", "--collector.filesystem",
                       "--collector.diskstats", "--collector.netdev", "--collector.uname",
                       "--collector.os", "--collector.time", "--collector.pressure",
                       "--log.level=error", NULL};
    char *h_argv[] = {heron, "agent", h_listen, "--log.level=error", NULL};
    pid_t ne = start(ne_argv, ne_port);
    assert_true(ne > 0);
    pid_t h = start(h_argv, h_port);
    if (h <= 0)
        tu_stop(ne);
    assert_true(h > 0);

    tu_expo a, he, b;
    scrape(ne_port, &a);
    scrape(h_port, &he);
    scrape(ne_port, &b);
    tu_stop(h);
    tu_stop(ne);

    size_t families = 0, compared = 0, failures = 0;
    for (size_t f = 0; f < he.nfams; f++) {
        const tu_family *hf = &he.fams[f];
        /* process_* describe each server itself: compare only their shape */
        int shape_only = strncmp(hf->name, "process_", 8) == 0;
        if (strncmp(hf->name, "node_", 5) != 0 && !shape_only)
            continue;
        families++;
        const tu_family *nf = tu_family_find(&a, hf->name);
        if (!nf) {
            print_error("%s: node_exporter has no such family\n", hf->name);
            failures++;
            continue;
        }
        if (strcmp(hf->type, nf->type) != 0 ||
            strcmp(hf->label_names ? hf->label_names : "",
                   nf->label_names ? nf->label_names : "") != 0) {
            print_error("%s: heron %s {%s}, node_exporter %s {%s}\n", hf->name, hf->type,
                        hf->label_names, nf->type, nf->label_names);
            failures++;
            continue;
        }
        /* which collectors ran differs by design; only the shape counts */
        if (shape_only || strncmp(hf->name, "node_scrape_collector_", 22) == 0)
            continue;
        for (size_t i = 0; i < he.nsamples; i++) {
            const tu_sample *hs = &he.samples[i];
            if (hs->family != f)
                continue;
            const tu_sample *sa = tu_sample_find(&a, hs->name, hs->labels);
            const tu_sample *sb = tu_sample_find(&b, hs->name, hs->labels);
            if (!sa || !sb) {
                print_error("%s{%s}: not in node_exporter's output\n", hs->name, hs->labels);
                failures++;
                continue;
            }
            compared++;
            if (!check_value(hs->name, hf->type, hs->value, sa->value, sb->value)) {
                print_error("%s{%s}: heron %.17g, node_exporter %.17g .. %.17g\n", hs->name,
                            hs->labels, hs->value, sa->value, sb->value);
                failures++;
            }
        }
        /* and node_exporter has no series of this family that heron lacks */
        for (size_t i = 0; i < a.nsamples; i++) {
            const tu_sample *s = &a.samples[i];
            if (strcmp(a.fams[s->family].name, hf->name) == 0 &&
                tu_sample_find(&b, s->name, s->labels) &&
                !tu_sample_find(&he, s->name, s->labels)) {
                print_error("%s{%s}: only node_exporter has it\n", s->name, s->labels);
                failures++;
            }
        }
    }
    print_message("compared %zu families, %zu series with node_exporter\n", families,
                  compared);
    tu_expo_free(&a);
    tu_expo_free(&he);
    tu_expo_free(&b);
    assert_true(families >= 40);
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_families_as_node_exporter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
