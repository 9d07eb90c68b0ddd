/*
 * bench_collect.c — CPU time per full collection and resident memory of
 * `heron agent`, beside prometheus-node-exporter on the same machine.
 *
 * Each server is started on a free loopback port and scraped 5 times to
 * warm up, then N times (argv[1], default 1000) in each of three ways:
 * over one kept-alive connection (as Prometheus scrapes), the same asking
 * for gzip (as Prometheus does by default), and with a new connection per
 * scrape. CPU is utime+stime from /proc/<pid>/stat (it includes threads
 * that have exited), RSS is VmRSS after all scrapes. node_exporter runs
 * with only the collectors heron also has (the fair comparison) and with
 * its defaults. Prints one `name value unit` line per figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#define NODE_EXPORTER "/usr/bin/prometheus-node-exporter"

enum { KEEPALIVE, GZIP, NEWCONN, MODES };
static const char *const mode_names[MODES] = {"keepalive", "gzip", "newconn"};

typedef struct result {
    double cpu[MODES]; /* seconds per scrape */
    double rss;
    size_t bytes;
} result;

static int scrape_n(pid_t pid, int port, int mode, int n, double *cpu, size_t *bytes)
{
    tu_conn c;
    tu_conn_init(&c, port);
    buf body;
    buf_init(&body, 0);
    int rc = 0;
    double c0 = tu_proc_cpu_seconds(pid);
    for (int i = 0; i < n && rc == 0; i++) {
        int status = mode == NEWCONN ? tu_http_get(port, "/metrics", &body)
                                     : tu_conn_get(&c, "/metrics", mode == GZIP ? "gzip" : NULL,
                                                   &body);
        rc = status == 200 ? 0 : -1;
    }
    *cpu = (tu_proc_cpu_seconds(pid) - c0) / n;
    if (bytes)
        *bytes = body.len;
    buf_free(&body);
    tu_conn_close(&c);
    return rc;
}

static int measure(char **argv, int port, int n, result *out)
{
    pid_t pid = tu_spawn(argv, NULL);
    if (pid <= 0 || tu_wait_http(port, "/metrics", 200) != 0) {
        tu_stop(pid);
        return -1;
    }
    double warm;
    int rc = scrape_n(pid, port, NEWCONN, 5, &warm, NULL);
    for (int m = 0; m < MODES && rc == 0; m++)
        rc = scrape_n(pid, port, m, n, &out->cpu[m], m == KEEPALIVE ? &out->bytes : NULL);
    out->rss = tu_proc_rss_bytes(pid);
    tu_stop(pid);
    return rc;
}

static void report(const char *who, const result *r)
{
    for (int m = 0; m < MODES; m++)
        printf("collect_%s_cpu_per_scrape_%s %.9f seconds\n", who, mode_names[m], r->cpu[m]);
    printf("collect_%s_rss %.0f bytes\n", who, r->rss);
    printf("collect_%s_response %zu bytes\n", who, r->bytes);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n <= 0)
        n = 1000;
    const char *bin = getenv("HERON_BINARY_DIR");
    char heron[4096], listen[64];
    snprintf(heron, sizeof heron, "%.4000s/heron", bin ? bin : HERON_BUILD_DIR);

    result h = {0}, ne = {0}, all = {0};
    int port = tu_free_port();
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
    char *h_argv[] = {heron, "agent", listen, "--log.level=error", NULL};
    if (measure(h_argv, port, n, &h) != 0) {
        fprintf(stderr, "bench_collect: cannot run %s\n", heron);
        return 1;
    }
    report("heron_agent", &h);
    if (access(NODE_EXPORTER, X_OK) != 0) {
        fprintf(stderr, "bench_collect: %s not installed, no comparison\n", NODE_EXPORTER);
        return 0;
    }
    port = tu_free_port();
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
    char *ne_argv[] = {NODE_EXPORTER, listen, "--collector.disable-defaults",
                       "--collector.cpu", "--collector.stat", "--collector.loadavg",
                       "--collector.meminfo", "--collector.filesystem",
                       "--collector.diskstats", "--collector.netdev", "--collector.uname",
                       "--collector.os", "--collector.time", "--collector.pressure",
                       "--log.level=error", NULL};
    if (measure(ne_argv, port, n, &ne) != 0)
        return 1;
    report("node_exporter_same_collectors", &ne);
    port = tu_free_port();
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
    char *all_argv[] = {NODE_EXPORTER, listen, "--log.level=error", NULL};
    if (measure(all_argv, port, n, &all) != 0)
        return 1;
    report("node_exporter_defaults", &all);
    for (int m = 0; m < MODES; m++)
        if (ne.cpu[m] > 0)
            printf("collect_cpu_ratio_heron_to_node_exporter_%s %.4f ratio\n", mode_names[m],
                   h.cpu[m] / ne.cpu[m]);
    if (ne.rss > 0)
        printf("collect_rss_ratio_heron_to_node_exporter %.4f ratio\n", h.rss / ne.rss);
    return 0;
}
