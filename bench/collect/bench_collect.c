/*
 * bench_collect.c — CPU time per full collection and resident memory of
 * `heron agent`, beside prometheus-node-exporter on the same machine.
 *
 * Each server is started on a free loopback port, scraped 5 times to warm
 * up, then N times (argv[1], default 1000); CPU is utime+stime from
 * /proc/<pid>/stat (it includes threads that have exited), RSS is VmRSS
 * after the run. node_exporter runs twice: with only the collectors heron
 * also has (the fair comparison) and with its defaults. Prints one
 * `name value unit` line per figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "testutil.h"

#define NODE_EXPORTER "/usr/bin/prometheus-node-exporter"

typedef struct result {
    double cpu_per_scrape, rss;
    size_t bytes;
} result;

static int measure(char **argv, int port, int n, result *out)
{
    pid_t pid = tu_spawn(argv, NULL);
    if (pid <= 0 || tu_wait_http(port, "/metrics", 200) != 0) {
        tu_stop(pid);
        return -1;
    }
    buf body;
    buf_init(&body, 0);
    int rc = 0;
    for (int i = 0; i < 5 && rc == 0; i++)
        rc = tu_http_get(port, "/metrics", &body) == 200 ? 0 : -1;
    double c0 = tu_proc_cpu_seconds(pid);
    for (int i = 0; i < n && rc == 0; i++)
        rc = tu_http_get(port, "/metrics", &body) == 200 ? 0 : -1;
    double c1 = tu_proc_cpu_seconds(pid);
    out->rss = tu_proc_rss_bytes(pid);
    out->cpu_per_scrape = (c1 - c0) / n;
    out->bytes = body.len;
    buf_free(&body);
    tu_stop(pid);
    return rc;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    if (n <= 0)
        n = 1000;
    const char *bin = getenv("HERON_BINARY_DIR");
    char heron[4096], listen[64];
    snprintf(heron, sizeof heron, "%.4000s/heron", bin ? bin : HERON_BUILD_DIR);

    result h, ne, ne_all;
    int port = tu_free_port();
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
    char *h_argv[] = {heron, "agent", listen, "--log.level=error", NULL};
    if (measure(h_argv, port, n, &h) != 0) {
        fprintf(stderr, "bench_collect: cannot run %s\n", heron);
        return 1;
    }
    printf("collect_heron_agent_cpu_per_scrape %.9f seconds\n", h.cpu_per_scrape);
    printf("collect_heron_agent_rss %.0f bytes\n", h.rss);
    printf("collect_heron_agent_response %zu bytes\n", h.bytes);
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
    port = tu_free_port();
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", port);
    char *all_argv[] = {NODE_EXPORTER, listen, "--log.level=error", NULL};
    if (measure(all_argv, port, n, &ne_all) != 0)
        return 1;
    printf("collect_node_exporter_same_collectors_cpu_per_scrape %.9f seconds\n",
           ne.cpu_per_scrape);
    printf("collect_node_exporter_same_collectors_rss %.0f bytes\n", ne.rss);
    printf("collect_node_exporter_same_collectors_response %zu bytes\n", ne.bytes);
    printf("collect_node_exporter_defaults_cpu_per_scrape %.9f seconds\n",
           ne_all.cpu_per_scrape);
    printf("collect_node_exporter_defaults_rss %.0f bytes\n", ne_all.rss);
    if (ne.cpu_per_scrape > 0 && ne.rss > 0) {
        printf("collect_cpu_ratio_heron_to_node_exporter %.4f ratio\n",
               h.cpu_per_scrape / ne.cpu_per_scrape);
        printf("collect_rss_ratio_heron_to_node_exporter %.4f ratio\n", h.rss / ne.rss);
    }
    return 0;
}
