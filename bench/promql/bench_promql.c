/*
 * bench_promql — dashboard range queries on heron beside Prometheus 2.42
 * and VictoriaMetrics 1.79.
 *
 * Starts `heron server`, /usr/bin/prometheus (the same configuration, no
 * scrape jobs, so neither writes samples of its own) and
 * /usr/bin/victoria-metrics (response cache off) on free loopback ports,
 * each with its own directory, pushes the same 10,000 series x 2 h at 15 s
 * (counters, classic histogram buckets, gauges) into all three with
 * remote_write, asks VictoriaMetrics to /internal/force_flush, checks that
 * each server counts all 10,000 series, then times a fixed set of
 * Grafana-style range queries (2 h, step 30 s) with the same POST to each
 * /api/v1/query_range, each run RUNS times after a warm-up whose answer
 * must be non-empty, and prints the medians:
 *
 *   promql_<query>_median_seconds <heron> s prometheus <prometheus> s ratio <r>
 *     victoriametrics <vm> s ratio_victoriametrics <heron/vm>
 *
 * (one line) and each server's peak resident set size. Afterwards the
 * servers are stopped, heron's data directory is opened in process and
 * each query is run RUNS more times through the engine to report the peak
 * memory its arena took and its median evaluation time without HTTP and
 * JSON. Usage: bench_promql [RUNS] (default 7); HERON_BENCH_ONLY=name times
 * just that query; HERON_BENCH_KEEP=1 keeps the data directories;
 * HERON_BENCH_DATA=<kept heron directory> runs only the in-process part
 * (starts no server; for profiling the engine). The run is
 * bounded: after 600 s SIGALRM kills the servers it started (by PID) and
 * exits 1. Loopback only.
 */
#include <curl/curl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/hclock.h"
#include "peer.h"
#include "promql/engine.h"
#include "rw_client.h"
#include "tsdb/tsdb.h"
#include "victoria.h"

#define SERIES_JOBS 10
#define SERIES_INSTANCES 50
#define STEP_MS 15000
#define NPOINTS 480 /* 2 h */
#define CHUNK 40

static const struct {
    const char *name, *expr;
} queries[] = {
    {"sum_rate", "sum by (job) (rate(http_requests_total[5m]))"},
    {"histogram_quantile",
     "histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket[5m])))"},
    {"topk", "topk(5, sum by (instance) (rate(http_requests_total[5m])))"},
    {"avg_over_time", "avg_over_time(cpu_usage[5m])"},
    {"regex_selector",
     "sum by (instance) (rate(http_requests_total{job=~\"job-[1-3]\",code=~\"5..\"}[5m]))"},
    {"binary_op", "memory_bytes{kind=\"used\"} / on(job, instance) memory_bytes{kind=\"total\"}"},
};
#define NQ (sizeof queries / sizeof *queries)
#define NSERIES (SERIES_JOBS * SERIES_INSTANCES * 20)
#define LIMIT_S 600

enum { HERON, PROMETHEUS, VICTORIA, NPEERS };

static int64_t t0;
static volatile sig_atomic_t started[NPEERS]; /* PIDs, for the time limit */

static void on_fatal(int sig)
{
    for (int i = 0; i < NPEERS; i++)
        if (started[i] > 0)
            kill((pid_t)started[i], SIGKILL);
    static const char msg[] = "bench_promql: stopped (time limit or signal)\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
    _exit(sig == SIGALRM ? 1 : 128 + sig);
}

/* Sends the batch to every peer; returns the number of failed pushes. */
static int push(rw_batch *b, peer *peers, int n)
{
    int failed = 0;
    for (int i = 0; i < n; i++) {
        char url[128];
        snprintf(url, sizeof url, "%s/api/v1/write", peers[i].base);
        rw_batch copy;
        rw_batch_init(&copy);
        buf_append(&copy.pb, b->pb.data, b->pb.len);
        int code = rw_batch_send(&copy, url);
        if (code != 204 && code != 200) {
            fprintf(stderr, "push to %s: HTTP %d\n", peers[i].name, code);
            failed++;
        }
        rw_batch_free(&copy);
    }
    buf_reset(&b->pb);
    return failed;
}

/* 10,000 series: 2,000 counters, 5,000 buckets, 2,000 + 1,000 gauges. */
static int generate(peer *peers, int n)
{
    static const char *const codes[] = {"200", "201", "404", "500"};
    static const char *const les[] = {"0.01", "0.025", "0.05", "0.1", "0.25",
                                      "0.5", "1", "2.5", "5", "+Inf"};
    rw_batch b;
    rw_batch_init(&b);
    int failed = 0;
    for (int c0 = 0; c0 < NPOINTS && !failed; c0 += CHUNK) {
        int64_t ts[CHUNK];
        double vs[CHUNK];
        for (int i = 0; i < CHUNK; i++)
            ts[i] = t0 + (int64_t)(c0 + i) * STEP_MS;
        for (int j = 0; j < SERIES_JOBS; j++) {
            char job[16];
            snprintf(job, sizeof job, "job-%d", j);
            for (int in = 0; in < SERIES_INSTANCES; in++) {
                char inst[16];
                snprintf(inst, sizeof inst, "i-%d", in);
                unsigned seed = (unsigned)(j * 1000 + in);
                for (int c = 0; c < 4; c++) {
                    const char *ls[] = {"__name__", "http_requests_total", "job", job,
                                        "instance", inst, "code", codes[c], NULL};
                    for (int i = 0; i < CHUNK; i++)
                        vs[i] = (double)((c0 + i) * (4 - c) * (seed % 7 + 1));
                    rw_batch_add(&b, ls, ts, vs, CHUNK);
                }
                for (int l = 0; l < 10; l++) {
                    const char *ls[] = {"__name__", "request_duration_seconds_bucket",
                                        "job", job, "instance", inst, "le", les[l], NULL};
                    for (int i = 0; i < CHUNK; i++)
                        vs[i] = floor((double)(c0 + i) * (l + 1) * (seed % 5 + 1) * 0.9);
                    rw_batch_add(&b, ls, ts, vs, CHUNK);
                }
                for (int cpu = 0; cpu < 4; cpu++) {
                    char cs[8];
                    snprintf(cs, sizeof cs, "%d", cpu);
                    const char *ls[] = {"__name__", "cpu_usage", "job", job, "instance", inst,
                                        "cpu", cs, NULL};
                    for (int i = 0; i < CHUNK; i++)
                        vs[i] = 50 + 40 * sin((c0 + i) / 20.0 + cpu + in);
                    rw_batch_add(&b, ls, ts, vs, CHUNK);
                }
                for (int k = 0; k < 2; k++) {
                    const char *ls[] = {"__name__", "memory_bytes", "job", job, "instance",
                                        inst, "kind", k ? "total" : "used", NULL};
                    for (int i = 0; i < CHUNK; i++)
                        vs[i] = k ? 16e9 : 4e9 + 1e9 * cos((c0 + i) / 30.0 + in);
                    rw_batch_add(&b, ls, ts, vs, CHUNK);
                }
            }
            failed += push(&b, peers, n); /* one job per request */
        }
    }
    rw_batch_free(&b);
    return failed;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median seconds of runs executions of query q on p; -1 on an error. */
static double time_query(const peer *p, const char *q, int runs)
{
    char esc[1024], form[1400], url[128];
    peer_url_escape(q, esc, sizeof esc);
    int64_t end = t0 + (NPOINTS - 1) * STEP_MS;
    snprintf(form, sizeof form, "query=%s&start=%.3f&end=%.3f&step=30", esc,
             (double)t0 / 1000, (double)end / 1000);
    snprintf(url, sizeof url, "%s/api/v1/query_range", p->base);
    buf b;
    buf_init(&b, 0);
    double *t = calloc((size_t)runs, sizeof *t);
    if (peer_http(url, form, &b) != 200 || !strstr(b.data, "\"values\":[[")) { /* warm-up */
        fprintf(stderr, "%s: %s: no answer: %.300s\n", p->name, q, b.data ? b.data : "");
        buf_free(&b);
        free(t);
        return -1;
    }
    for (int i = 0; i < runs; i++) {
        uint64_t s = hclock_mono_ns();
        peer_http(url, form, &b);
        t[i] = (double)(hclock_mono_ns() - s) / 1e9;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    double med = t[runs / 2];
    free(t);
    buf_free(&b);
    return med;
}

/* Whether p counts all NSERIES series at the last timestamp; retried for
 * up to 10 s (VictoriaMetrics registers new series in the background). */
static int count_ok(const peer *p)
{
    char esc[256], url[512];
    peer_url_escape("count({__name__=~\"http_requests_total|request_duration_seconds_bucket|"
                    "cpu_usage|memory_bytes\"})",
                    esc, sizeof esc);
    snprintf(url, sizeof url, "%s/api/v1/query?query=%s&time=%.3f", p->base, esc,
             (double)(t0 + (NPOINTS - 1) * STEP_MS) / 1000);
    buf b;
    buf_init(&b, 0);
    double n = -1;
    for (int i = 0; i < 20 && n != NSERIES; i++) {
        if (i)
            usleep(500000);
        const char *v = peer_http(url, NULL, &b) == 200 ? strstr(b.data, "\"value\":[") : NULL;
        v = v ? strchr(v, ',') : NULL;
        v = v ? strchr(v, '"') : NULL;
        n = v ? strtod(v + 1, NULL) : -1;
    }
    if (n != NSERIES)
        fprintf(stderr, "bench_promql: %s counts %.0f series of %d: %.300s\n", p->name, n,
                NSERIES, b.data ? b.data : "");
    buf_free(&b);
    return n == NSERIES;
}

static long peak_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* CPU time of the whole process (all its threads). */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts))
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs every query (or just HERON_BENCH_ONLY) in process over heron's data
 * in dir: a warm-up, then runs timed evaluations; prints the arena's peak
 * bytes and the median evaluation and CPU times (all threads), without
 * HTTP and JSON. The steps
 * start at the head's first sample, as the bench's queries do. */
static void engine_only(const char *dir, int runs)
{
    tsdb_db *db;
    promql_engine *e;
    heron_err err = {0};
    if (tsdb_open(dir, NULL, &db, &err) || promql_engine_new(db, NULL, &e, &err)) {
        fprintf(stderr, "reopen %s: %s\n", dir, err.msg);
        return;
    }
    tsdb_stats st;
    tsdb_get_stats(db, &st);
    int64_t start = st.head_mint, end = start + (NPOINTS - 1) * STEP_MS;
    const char *only = getenv("HERON_BENCH_ONLY");
    double *t = calloc((size_t)runs, sizeof *t), *cpu = calloc((size_t)runs, sizeof *cpu);
    for (size_t i = 0; i < NQ && t && cpu; i++) {
        if (only && strcmp(only, queries[i].name) != 0)
            continue;
        promql_result r;
        int rc = 0;
        for (int k = -1; k < runs && !rc; k++) {
            uint64_t s = hclock_mono_ns(), sc = cpu_ns();
            rc = promql_engine_range(e, queries[i].expr, start, end, 30000, 0, &r, &err);
            if (k >= 0) {
                t[k] = (double)(hclock_mono_ns() - s) / 1e9;
                cpu[k] = (double)(cpu_ns() - sc) / 1e9;
            }
            if (!rc && k == runs - 1) {
                qsort(t, (size_t)runs, sizeof *t, cmp_double);
                qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
                printf("promql_%s_peak_query_bytes %zu bytes samples %zu "
                       "engine_seconds %.4f cpu_seconds %.4f\n",
                       queries[i].name, r.peak_bytes, r.samples, t[runs / 2], cpu[runs / 2]);
            }
            promql_result_free(&r);
        }
        if (rc)
            fprintf(stderr, "%s: %s\n", queries[i].name, err.msg);
    }
    free(t);
    free(cpu);
    promql_engine_free(e);
    tsdb_close(db);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 7;
    if (runs < 1)
        runs = 1;
    const char *data = getenv("HERON_BENCH_DATA"); /* a kept heron directory */
    if (data) {
        engine_only(data, runs);
        return 0;
    }
    const char *need[] = {"/usr/bin/prometheus", VICTORIA_BINARY};
    for (size_t i = 0; i < 2; i++)
        if (access(need[i], X_OK) != 0) {
            fprintf(stderr, "bench_promql: %s is not installed\n", need[i]);
            return 1;
        }
    signal(SIGALRM, on_fatal);
    signal(SIGINT, on_fatal);
    signal(SIGTERM, on_fatal);
    alarm(LIMIT_S);
    const char *bin = getenv("HERON_BINARY_DIR");
    char heron[512], tmp[256];
    snprintf(heron, sizeof heron, "%s/heron", bin ? bin : ".");
    if (peer_tmpdir(tmp, sizeof tmp))
        return 1;
    curl_global_init(CURL_GLOBAL_ALL);
    char cfg[320], hdir[320], vdir[320], hdata[340], pdata[340], cfgflag[340];
    char logs[NPEERS][320], hl[64], pl[64];
    snprintf(cfg, sizeof cfg, "%s/prometheus.yml", tmp);
    snprintf(hdir, sizeof hdir, "%s/heron", tmp);
    snprintf(vdir, sizeof vdir, "%s/victoriametrics", tmp);
    snprintf(hdata, sizeof hdata, "--storage.tsdb.path=%s", hdir);
    snprintf(pdata, sizeof pdata, "--storage.tsdb.path=%s/prometheus", tmp);
    snprintf(cfgflag, sizeof cfgflag, "--config.file=%s", cfg);
    FILE *f = fopen(cfg, "w");
    if (f) {
        fputs("global:\n  scrape_interval: 15s\n", f);
        fclose(f);
    }
    peer peers[NPEERS] = {{"heron", 0, peer_free_port(), ""},
                          {"prometheus", 0, peer_free_port(), ""},
                          {"victoriametrics", 0, peer_free_port(), ""}};
    for (int i = 0; i < NPEERS; i++)
        snprintf(logs[i], sizeof logs[i], "%s/%s.log", tmp, peers[i].name);
    snprintf(hl, sizeof hl, "--web.listen-address=127.0.0.1:%d", peers[HERON].port);
    snprintf(pl, sizeof pl, "--web.listen-address=127.0.0.1:%d", peers[PROMETHEUS].port);
    char *hargv[] = {heron, "server", cfgflag, hl, hdata, "--web.enable-remote-write-receiver",
                     "--log.level=warn", NULL};
    char *pargv[] = {"/usr/bin/prometheus", cfgflag, pl, pdata,
                     "--web.enable-remote-write-receiver", "--log.level=warn", NULL};
    victoria_cmd vm;
    victoria_cmd_init(&vm, vdir, peers[VICTORIA].port, 4 * NSERIES);
    char *const *cmds[NPEERS] = {hargv, pargv, vm.argv};
    int rc = 1, up = 0;
    while (up < NPEERS && peer_start(&peers[up], cmds[up], logs[up]) == 0) {
        started[up] = peers[up].pid;
        up++;
    }
    if (up == NPEERS) {
        t0 = ((int64_t)time(NULL) - 2 * 3600) / 60 * 60 * 1000;
        uint64_t s = hclock_mono_ns();
        int ok = generate(peers, NPEERS) == 0 &&
                 victoria_get(&peers[VICTORIA], "/internal/force_flush") == 0;
        if (ok) {
            printf("promql_bench_series %d series\n", NSERIES);
            printf("promql_bench_push_seconds %.2f s (all three servers, one after another)\n",
                   (double)(hclock_mono_ns() - s) / 1e9);
        }
        for (int i = 0; i < NPEERS && ok; i++)
            ok = count_ok(&peers[i]);
        if (ok) {
            rc = 0;
            const char *only = getenv("HERON_BENCH_ONLY"); /* one query, for profiling */
            for (size_t i = 0; i < NQ; i++) {
                if (only && strcmp(only, queries[i].name) != 0)
                    continue;
                double t[NPEERS];
                for (int k = 0; k < NPEERS; k++)
                    t[k] = time_query(&peers[k], queries[i].expr, runs);
                if (t[HERON] < 0 || t[PROMETHEUS] < 0 || t[VICTORIA] < 0) {
                    rc = 1;
                    continue;
                }
                printf("promql_%s_median_seconds %.4f s prometheus %.4f s ratio %.2f "
                       "victoriametrics %.4f s ratio_victoriametrics %.2f\n",
                       queries[i].name, t[HERON], t[PROMETHEUS], t[HERON] / t[PROMETHEUS],
                       t[VICTORIA], t[HERON] / t[VICTORIA]);
            }
            printf("promql_server_peak_rss_bytes %ld bytes prometheus %ld bytes "
                   "victoriametrics %ld bytes\n",
                   peak_rss_kib(peers[HERON].pid) * 1024,
                   peak_rss_kib(peers[PROMETHEUS].pid) * 1024,
                   peak_rss_kib(peers[VICTORIA].pid) * 1024);
        }
    }
    for (int i = 0; i < NPEERS; i++) {
        peer_stop(&peers[i]); /* also one that failed to start */
        started[i] = 0;
    }
    if (rc == 0)
        engine_only(hdir, runs);
    if (getenv("HERON_BENCH_KEEP")) /* keep the data, e.g. for profiling */
        fprintf(stderr, "kept %s (HERON_BENCH_DATA=%s reruns the engine part)\n", tmp, hdir);
    else
        peer_rmdir(tmp);
    curl_global_cleanup();
    return rc;
}
