/*
 * bench_scrape_load — scraping cost, heron beside Prometheus 2.42.
 *
 * An in-process load generator on one loopback port serves 200 targets
 * (/metrics/0 ... /metrics/199) of 2,000 series each, values changing on
 * every request. heron server and then Prometheus (same session, one at a
 * time so they do not compete for the CPUs) scrape all of them every 5 s
 * with the same config; after a warm-up, the scraper's CPU time (utime +
 * stime from /proc) over the measured window is divided by the samples
 * the generator served in it. Prints:
 *   scrape_load_<who>_cpu_per_million_samples <s> cpu-seconds
 *   scrape_load_<who>_rss <bytes> bytes          (at the end of the window)
 *   scrape_load_<who>_samples <n> samples        (served while measured)
 *   scrape_load_cpu_ratio_heron_prometheus <r> ratio   (target <= 0.333)
 * Usage: bench_scrape_load [measure_seconds (default 30)]; loopback only,
 * bounded in time (about 2 x (10 + measure) seconds).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/httpd.h"
#include "testutil.h"

#define TARGETS 200
#define SERIES 2000
#define WARMUP_S 10

static atomic_ulong served;

static void generate(const httpd_request *req, httpd_response *resp, void *arg)
{
    (void)arg;
    const char *path = httpd_path(req);
    int t;
    if (sscanf(path, "/metrics/%d", &t) != 1 || t < 0 || t >= TARGETS) {
        httpd_reply_text(resp, 404, "not found\n");
        return;
    }
    unsigned long n = atomic_fetch_add(&served, 1);
    buf *b = &resp->body;
    buf_reserve(b, SERIES * 110);
    buf_puts(b, "# HELP app_requests_total Requests handled.\n# TYPE app_requests_total counter\n");
    for (int s = 0; s < SERIES; s++) {
        if (s == SERIES / 2)
            buf_puts(b, "# HELP app_queue_depth Items queued.\n# TYPE app_queue_depth gauge\n");
        if (s < SERIES / 2)
            buf_printf(b, "app_requests_total{handler=\"/api/v%d\",method=\"GET\",code=\"%d\",shard=\"%d\"} %lu\n",
                       s / 10, 200 + s % 10, t, n * (unsigned long)(s + 1));
        else
            buf_printf(b, "app_queue_depth{queue=\"q%d\",worker=\"w%d\"} %lu.%d\n", s, s % 16,
                       (n + (unsigned long)s) % 1000, s % 10);
    }
    resp->content_type = "text/plain; version=0.0.4";
}

static void sleep_s(int s)
{
    struct timespec ts = {s, 0};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

typedef struct result {
    double cpu_per_m, rss;
    unsigned long samples;
} result;

static int run(const char *who, char *const argv[], int port, int measure, const char *log,
               result *r)
{
    pid_t pid = tu_spawn(argv, log);
    if (pid < 0 || tu_wait_http(port, "/-/ready", 400) != 0) {
        fprintf(stderr, "bench_scrape_load: %s did not start (see %s)\n", who, log);
        if (pid > 0)
            tu_stop(pid);
        return -1;
    }
    sleep_s(WARMUP_S);
    double cpu0 = tu_proc_cpu_seconds(pid);
    unsigned long req0 = atomic_load(&served);
    sleep_s(measure);
    double cpu1 = tu_proc_cpu_seconds(pid);
    unsigned long req1 = atomic_load(&served);
    r->rss = tu_proc_rss_bytes(pid);
    tu_stop(pid);
    r->samples = (req1 - req0) * SERIES;
    r->cpu_per_m = r->samples ? (cpu1 - cpu0) / ((double)r->samples / 1e6) : 0;
    printf("scrape_load_%s_cpu_per_million_samples %.4f cpu-seconds\n", who, r->cpu_per_m);
    printf("scrape_load_%s_rss %.0f bytes\n", who, r->rss);
    printf("scrape_load_%s_samples %lu samples\n", who, r->samples);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    int measure = argc > 1 ? atoi(argv[1]) : 30;
    if (measure < 5)
        measure = 5;
    char dir[] = "/tmp/heron_bench_scrape_XXXXXX";
    if (mkdtemp(dir) == NULL)
        return 1;
    httpd *gen;
    heron_err err = {0};
    if (httpd_start("127.0.0.1:0", 0, 0, generate, NULL, &gen, &err) != 0) {
        fprintf(stderr, "bench_scrape_load: %s\n", err.msg);
        return 1;
    }
    char cfg[256], log[256], data[256];
    snprintf(cfg, sizeof cfg, "%s/prometheus.yml", dir);
    FILE *f = fopen(cfg, "w");
    if (f == NULL)
        return 1;
    fprintf(f, "global:\n  scrape_interval: 5s\n  scrape_timeout: 4s\nscrape_configs:\n"
               "  - job_name: load\n    static_configs:\n");
    for (int t = 0; t < TARGETS; t++)
        fprintf(f, "      - {targets: ['127.0.0.1:%d'], labels: {target: 't%d'}}\n",
                httpd_port(gen), t);
    fprintf(f, "    relabel_configs:\n"
               "      - {source_labels: [target], regex: 't(.*)', target_label: __metrics_path__,"
               " replacement: '/metrics/$1'}\n");
    fclose(f);

    result h = {0}, p = {0};
    int port = tu_free_port();
    char addr[64], cfgflag[300], dataflag[300], addrflag[100];
    snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
    snprintf(cfgflag, sizeof cfgflag, "--config.file=%s", cfg);
    snprintf(addrflag, sizeof addrflag, "--web.listen-address=%s", addr);
    snprintf(data, sizeof data, "%s/heron", dir);
    snprintf(dataflag, sizeof dataflag, "--storage.tsdb.path=%s", data);
    snprintf(log, sizeof log, "%s/heron.log", dir);
    char heron[512];
    snprintf(heron, sizeof heron, "%s/heron", HERON_BUILD_DIR);
    char *hargv[] = {heron, "server", cfgflag, dataflag, addrflag, NULL};
    int rc = run("heron", hargv, port, measure, log, &h);

    port = tu_free_port();
    snprintf(addrflag, sizeof addrflag, "--web.listen-address=127.0.0.1:%d", port);
    snprintf(data, sizeof data, "%s/prometheus", dir);
    snprintf(dataflag, sizeof dataflag, "--storage.tsdb.path=%s", data);
    snprintf(log, sizeof log, "%s/prometheus.log", dir);
    char *pargv[] = {"/usr/bin/prometheus", cfgflag, dataflag, addrflag, NULL};
    if (rc == 0)
        rc = run("prometheus", pargv, port, measure, log, &p);
    if (rc == 0 && p.cpu_per_m > 0)
        printf("scrape_load_cpu_ratio_heron_prometheus %.3f ratio\n", h.cpu_per_m / p.cpu_per_m);
    httpd_stop(gen);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        rc = -1;
    return rc == 0 ? 0 : 1;
}
