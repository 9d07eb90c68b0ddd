/*
 * bench_ingest — remote_write ingestion, heron beside Prometheus 2.42 and
 * VictoriaMetrics 1.79, in one session on one machine.
 *
 * One generator builds realistic data once, in memory: targets of 100
 * series (30 counters, 3 classic histograms of 10 buckets + _sum + _count,
 * 34 random-walk gauges: bytes, tenths, thousandths, integers), one sample
 * per series every 15 s over MINUTES (default 100,000 series x 30 min =
 * 12 M samples). It is encoded as Prometheus' remote_write sender encodes
 * live data: WriteRequests of BATCH samples (one per series, labels
 * repeated), snappy-compressed, spread over SHARDS sender threads by
 * target (each series always in the same shard, so in order).
 *
 * Each server runs alone (so the three never compete for the CPUs), on a
 * free loopback port with its own temporary directory, and gets exactly
 * the same request bodies on POST /api/v1/write. Figures, each measured
 * the same way on every server:
 *
 *  - samples/s: samples sent / wall time from the first request to the
 *    last answer;
 *  - CPU-s per million samples: the server's utime+stime (/proc/PID/stat)
 *    from just before the first request until its CPU use settles after
 *    the last (background merges count; VictoriaMetrics is asked to
 *    /internal/force_flush first);
 *  - resident bytes per active series: VmRSS (/proc/PID/status) once
 *    settled, / series; the same less the RSS the idle server had before
 *    the first request; RssAnon / series; for heron also its
 *    heron_tsdb_head_index_bytes / series (from its /metrics);
 *  - select+decode: `sum(count_over_time({job="ingest"}[W]))` at the last
 *    timestamp, which reads every sample once (its answer is checked
 *    against the samples sent); median wall time of 3 runs after a
 *    warm-up, and samples per server CPU-second over those runs;
 *  - lossless: one full-precision series (a histogram _sum) and one
 *    gauge of target 0, read back with query_range and compared bit for
 *    bit with what was sent;
 *  - disk bytes per sample after compaction: heron: the server is stopped,
 *    its directory opened in process and the head cut into blocks
 *    (tsdb_flush_head, tsdb_compact: what its maintenance would do once
 *    the head spans 3 h), block bytes; Prometheus: a block written from
 *    its head by POST /api/v1/admin/tsdb/snapshot; VictoriaMetrics: data/
 *    plus indexdb/ after /internal/force_flush and /internal/force_merge;
 *  - heron only: select+decode of every series in process over the
 *    blocks (tsdb batch iterator), samples per CPU-second.
 *
 * Prints `name value unit` lines, heron first, each peer beside it.
 * Usage: bench_ingest [--series N] [--minutes M] [--shards S] [--batch B]
 *                     [--only heron,prometheus,victoriametrics] [--keep]
 *                     [--time-limit SECONDS (default 600)]
 * Loopback only; the whole run is bounded by --time-limit: a server is
 * skipped when 85% of it is spent, and SIGALRM stops the running server by
 * its PID and exits 1. Servers are stopped by the PIDs this program
 * started, never by name. The default run takes about 3.5 minutes on 2
 * cores; 1,000,000 series x 5 minutes about 9.
 */
#include <curl/curl.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/hclock.h"
#include "peer.h"
#include "rw_client.h"
#include "testutil.h"
#include "tsdb/tsdb.h"
#include "victoria.h"

#define TARGET_SERIES 100
#define STEP_MS 15000
#define TWO_HOURS_MS (2 * 3600 * 1000LL)
#define NHIST 3
#define NBUCKETS 10
#define PROBES 2
#define HIST_COUNT "ingest_http_request_duration_seconds_count"

/* ---- the data ----------------------------------------------------------- */

typedef enum kind {
    K_COUNTER,      /* integer counter */
    K_COUNTER_100,  /* counter in hundredths (CPU seconds) */
    K_BUCKET,       /* cumulative bucket count of histogram `hist`, bucket `le` */
    K_SUM,          /* histogram _sum: full-precision float */
    K_COUNT,        /* histogram _count */
    K_GAUGE_BYTES,  /* random walk in 4 KiB pages */
    K_GAUGE_10,     /* random walk in tenths */
    K_GAUGE_1000,   /* random walk in thousandths within [0, 1] */
    K_GAUGE_INT     /* random walk of small integers */
} kind;

typedef struct series_def {
    kind k;
    int hist, le;
    char name[48];
    char l1[16], v1[16], l2[16], v2[16];
} series_def;

static series_def defs[TARGET_SERIES];
static const double bucket_le[NBUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1,
                                           0.25,  0.5,  1,     2.5,  INFINITY};
static const char *const bucket_text[NBUCKETS] = {"0.005", "0.01", "0.025", "0.05", "0.1",
                                                  "0.25",  "0.5",  "1",     "2.5",  "+Inf"};

static void def(int *n, kind k, const char *name, const char *l1, const char *v1,
                const char *l2, const char *v2)
{
    series_def *d = &defs[(*n)++];
    d->k = k;
    snprintf(d->name, sizeof d->name, "%s", name);
    snprintf(d->l1, sizeof d->l1, "%s", l1);
    snprintf(d->v1, sizeof d->v1, "%s", v1);
    snprintf(d->l2, sizeof d->l2, "%s", l2 ? l2 : "");
    snprintf(d->v2, sizeof d->v2, "%s", v2 ? v2 : "");
}

/* The 100 series of one target; probe series are defs[PROBE_*]. */
static int probe_def[PROBES];

static void defs_init(void)
{
    static const char *const codes[] = {"200", "304", "404", "500"};
    static const char *const modes[] = {"user", "system"};
    static const char *const areas[] = {"heap", "stack", "cache", "buffers",
                                        "mapped", "shmem", "slab", "free"};
    char a[16], b[16];
    int n = 0;
    for (int h = 0; h < 5; h++)
        for (int c = 0; c < 4; c++) {
            snprintf(a, sizeof a, "/api/v%d", h);
            def(&n, K_COUNTER, "ingest_http_requests_total", "handler", a, "code", codes[c]);
        }
    for (int cpu = 0; cpu < 5; cpu++)
        for (int m = 0; m < 2; m++) {
            snprintf(a, sizeof a, "%d", cpu);
            def(&n, K_COUNTER_100, "ingest_cpu_seconds_total", "cpu", a, "mode", modes[m]);
        }
    for (int h = 0; h < NHIST; h++) {
        snprintf(a, sizeof a, "/api/v%d", h);
        for (int l = 0; l < NBUCKETS; l++) {
            defs[n].hist = h, defs[n].le = l;
            def(&n, K_BUCKET, "ingest_http_request_duration_seconds_bucket", "handler", a, "le",
                bucket_text[l]);
        }
        if (h == 0)
            probe_def[0] = n;
        defs[n].hist = h;
        def(&n, K_SUM, "ingest_http_request_duration_seconds_sum", "handler", a, NULL, NULL);
        defs[n].hist = h;
        def(&n, K_COUNT, HIST_COUNT, "handler", a, NULL, NULL);
    }
    for (int i = 0; i < 8; i++)
        def(&n, K_GAUGE_BYTES, "ingest_memory_bytes", "area", areas[i], NULL, NULL);
    for (int i = 0; i < 8; i++) {
        snprintf(a, sizeof a, "%d", i);
        def(&n, K_GAUGE_10, "ingest_temperature_celsius", "sensor", a, NULL, NULL);
    }
    probe_def[1] = n;
    for (int i = 0; i < 10; i++) {
        snprintf(a, sizeof a, "%d", i);
        def(&n, K_GAUGE_1000, "ingest_gpu_utilization_ratio", "gpu", a, NULL, NULL);
    }
    for (int i = 0; i < 8; i++) {
        snprintf(a, sizeof a, "q%d", i);
        snprintf(b, sizeof b, "w%d", i % 3);
        def(&n, K_GAUGE_INT, "ingest_queue_length", "queue", a, "worker", b);
    }
}

/* One target's state: each series' current value (integers in their
 * unit), the histograms' bucket counts and sums, and its random stream. */
typedef struct target {
    uint64_t rng;
    double v[TARGET_SERIES];
    double sum[NHIST];
    char instance[24], cluster[16];
} target;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static double rnd_unit(uint64_t *s)
{
    return (double)(rnd(s) >> 11) / 9007199254740992.0;
}

static void target_init(target *t, int i)
{
    t->rng = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1);
    snprintf(t->instance, sizeof t->instance, "10.%d.%d.%d:9100", i >> 16 & 255, i >> 8 & 255,
             i & 255);
    snprintf(t->cluster, sizeof t->cluster, "c%d", i / 1000);
    for (int s = 0; s < TARGET_SERIES; s++) {
        uint64_t r = rnd(&t->rng);
        switch (defs[s].k) {
        case K_COUNTER: t->v[s] = (double)(r % 100000); break;
        case K_COUNTER_100: t->v[s] = (double)(r % 10000000); break;
        case K_GAUGE_BYTES: t->v[s] = (double)(r % 1000000 + 1000); break;
        case K_GAUGE_10: t->v[s] = (double)(300 + r % 400); break;
        case K_GAUGE_1000: t->v[s] = (double)(r % 1001); break;
        case K_GAUGE_INT: t->v[s] = (double)(r % 50); break;
        default: t->v[s] = 0; break;
        }
    }
    for (int h = 0; h < NHIST; h++)
        t->sum[h] = 0;
}

static double walk(uint64_t *rng, double v, int span, double lo, double hi)
{
    v += (double)((int)(rnd(rng) % (uint64_t)(2 * span + 1)) - span);
    return v < lo ? lo : v > hi ? hi : v;
}

/* Advances every series of t by one scrape interval. */
static void target_step(target *t)
{
    int base[NHIST] = {0};
    for (int s = 0; s < TARGET_SERIES; s++) {
        const series_def *d = &defs[s];
        switch (d->k) {
        case K_COUNTER: t->v[s] += (double)(rnd(&t->rng) % (uint64_t)(s % 7 * 8 + 2)); break;
        case K_COUNTER_100: t->v[s] += (double)(rnd(&t->rng) % 1500); break;
        case K_GAUGE_BYTES: t->v[s] = walk(&t->rng, t->v[s], 64, 0, 1e9); break;
        case K_GAUGE_10: t->v[s] = walk(&t->rng, t->v[s], 3, 0, 1200); break;
        case K_GAUGE_1000: t->v[s] = walk(&t->rng, t->v[s], 40, 0, 1000); break;
        case K_GAUGE_INT: t->v[s] = walk(&t->rng, t->v[s], 2, 0, 1e6); break;
        case K_BUCKET:
            if (d->le == 0)
                base[d->hist] = s;
            break;
        default: break;
        }
    }
    for (int h = 0; h < NHIST; h++) { /* requests with exponential durations */
        int n = (int)(rnd(&t->rng) % 30);
        for (int r = 0; r < n; r++) {
            double dur = -log(1 - rnd_unit(&t->rng)) * 0.05 * (h + 1);
            t->sum[h] += dur;
            for (int l = 0; l < NBUCKETS; l++)
                if (dur <= bucket_le[l])
                    t->v[base[h] + l]++;
        }
        t->v[base[h] + NBUCKETS] = t->sum[h];
        t->v[base[h] + NBUCKETS + 1] += n;
    }
}

/* The value series s of t reports now (scaled from its unit). */
static double target_value(const target *t, int s)
{
    switch (defs[s].k) {
    case K_COUNTER_100: return t->v[s] / 100;
    case K_GAUGE_BYTES: return t->v[s] * 4096;
    case K_GAUGE_10: return t->v[s] / 10;
    case K_GAUGE_1000: return t->v[s] / 1000;
    default: return t->v[s];
    }
}

/* ---- encoded requests --------------------------------------------------- */

typedef struct body {
    char *data;
    size_t len;
} body;

typedef struct shard {
    body *v;
    size_t n, cap;
    rw_batch b;
    size_t pending;
    /* while sending */
    const char *url;
    int failed;
} shard;

static struct {
    long series, targets;
    int minutes, steps, nshards, batch, keep;
    int64_t t0;
    shard *shards;
    uint64_t samples, bytes;
    double probe[PROBES][480];
    char probe_instance[24];
} g;

static int shard_flush(shard *sh)
{
    if (!sh->pending)
        return 0;
    body bd;
    if (rw_batch_compress(&sh->b, &bd.data, &bd.len) != 0)
        return -1;
    if (sh->n == sh->cap) {
        sh->cap = sh->cap ? 2 * sh->cap : 256;
        body *nv = realloc(sh->v, sh->cap * sizeof *nv);
        if (!nv)
            return -1;
        sh->v = nv;
    }
    char *shrunk = realloc(bd.data, bd.len ? bd.len : 1);
    bd.data = shrunk ? shrunk : bd.data;
    sh->v[sh->n++] = bd;
    g.bytes += bd.len;
    buf_reset(&sh->b.pb);
    sh->pending = 0;
    return 0;
}

static int generate(void)
{
    target *ts = calloc((size_t)g.targets, sizeof *ts);
    g.shards = calloc((size_t)g.nshards, sizeof *g.shards);
    if (!ts || !g.shards)
        return -1;
    for (int k = 0; k < g.nshards; k++)
        rw_batch_init(&g.shards[k].b);
    for (long i = 0; i < g.targets; i++)
        target_init(&ts[i], (int)i);
    snprintf(g.probe_instance, sizeof g.probe_instance, "%s", ts[0].instance);
    int rc = 0;
    for (int step = 0; step < g.steps && !rc; step++) {
        int64_t t = g.t0 + (int64_t)step * STEP_MS;
        for (long i = 0; i < g.targets && !rc; i++) {
            target *tg = &ts[i];
            shard *sh = &g.shards[i % g.nshards];
            target_step(tg);
            for (int s = 0; s < TARGET_SERIES; s++) {
                const series_def *d = &defs[s];
                const char *ls[] = {"__name__", d->name,  "job", "ingest", "instance",
                                    tg->instance, "cluster", tg->cluster, d->l1, d->v1,
                                    d->l2[0] ? d->l2 : NULL, d->v2, NULL};
                double v = target_value(tg, s);
                rw_batch_add(&sh->b, ls, &t, &v, 1);
                for (int p = 0; p < PROBES && i == 0; p++)
                    if (s == probe_def[p])
                        g.probe[p][step] = v;
            }
            sh->pending += TARGET_SERIES;
            g.samples += TARGET_SERIES;
            if (sh->pending >= (size_t)g.batch)
                rc = shard_flush(sh);
        }
    }
    for (int k = 0; k < g.nshards && !rc; k++)
        rc = shard_flush(&g.shards[k]);
    for (int k = 0; k < g.nshards; k++)
        rw_batch_free(&g.shards[k].b);
    free(ts);
    return rc;
}

static void *shard_send(void *arg)
{
    shard *sh = arg;
    CURL *c = curl_easy_init();
    for (size_t i = 0; i < sh->n && c; i++) {
        int code = rw_post(c, sh->url, sh->v[i].data, sh->v[i].len);
        if (code != 200 && code != 204)
            sh->failed++;
    }
    if (c)
        curl_easy_cleanup(c);
    else
        sh->failed++;
    return NULL;
}

/* Sends every body to url from one thread per shard; returns the failed
 * requests. */
static int send_all(const char *url)
{
    pthread_t th[64];
    int failed = 0;
    for (int k = 0; k < g.nshards; k++) {
        g.shards[k].url = url;
        g.shards[k].failed = 0;
        if (pthread_create(&th[k], NULL, shard_send, &g.shards[k]) != 0)
            return -1;
    }
    for (int k = 0; k < g.nshards; k++) {
        pthread_join(th[k], NULL);
        failed += g.shards[k].failed;
    }
    return failed;
}

/* ---- the servers -------------------------------------------------------- */

enum { HERON, PROMETHEUS, VICTORIA, NSERVERS };
static const char *const server_names[NSERVERS] = {"heron", "prometheus", "victoriametrics"};

typedef struct result {
    int ok;
    double rate, cpu_per_m, rss_per_series, rss_delta_per_series, anon_per_series;
    double disk_per_sample;
    double query_rate, query_cpu_rate, inproc_rate;
    uint64_t disk_bytes;
    double lossless[PROBES]; /* fraction of values read back bit for bit */
} result;

static result res[NSERVERS];
static uint64_t start_ns;
static int limit_s;
static volatile sig_atomic_t running_pid;
static char tmp_root[256];

static void on_fatal(int sig)
{
    if (running_pid > 0)
        kill((pid_t)running_pid, SIGKILL);
    static const char msg[] = "bench_ingest: stopped (time limit or signal)\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
    _exit(sig == SIGALRM ? 1 : 128 + sig);
}

static uint64_t dir_bytes_total;
static int add_size(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)p, (void)f;
    if (flag == FTW_F)
        dir_bytes_total += (uint64_t)st->st_size;
    return 0;
}

/* Apparent size of every regular file under dir. */
static uint64_t dir_bytes(const char *dir)
{
    dir_bytes_total = 0;
    nftw(dir, add_size, 16, FTW_PHYS);
    return dir_bytes_total;
}

/* A "Name:  N kB" field of /proc/PID/status in bytes; -1 when absent. */
static double proc_status_bytes(pid_t pid, const char *field)
{
    char path[64], text[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    double v = -1;
    size_t n = strlen(field);
    while (f && fgets(text, sizeof text, f))
        if (strncmp(text, field, n) == 0 && text[n] == ':')
            v = strtod(text + n + 1, NULL) * 1024;
    if (f)
        fclose(f);
    return v;
}

/* A sample of heron's own /metrics, or -1. */
static double heron_metric(const peer *p, const char *name)
{
    char url[128];
    snprintf(url, sizeof url, "%s/metrics", p->base);
    buf b;
    buf_init(&b, 0);
    double v = -1;
    size_t n = strlen(name);
    if (peer_http(url, NULL, &b) == 200)
        for (const char *l = b.data; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
            if (strncmp(l, name, n) == 0 && l[n] == ' ')
                v = strtod(l + n + 1, NULL);
    buf_free(&b);
    return v;
}

/* Waits (at most max_s seconds) until pid used under 3% of a CPU over a
 * second. */
static void settle(pid_t pid, int max_s)
{
    double last = tu_proc_cpu_seconds(pid);
    for (int i = 0; i < max_s; i++) {
        sleep(1);
        double now = tu_proc_cpu_seconds(pid);
        if (now - last < 0.03)
            return;
        last = now;
    }
}

/* An instant query's scalar answer (first sample of a vector); NAN when
 * there is none. */
static double answer_value(const char *json)
{
    const char *p = json ? strstr(json, "\"value\":[") : NULL;
    p = p ? strchr(p, ',') : NULL;
    p = p ? strchr(p, '"') : NULL;
    return p ? strtod(p + 1, NULL) : NAN;
}

static void select_decode(const peer *p, int who)
{
    char q[400], esc[1200], url[1400];
    int64_t last = g.t0 + (int64_t)(g.steps - 1) * STEP_MS;
    /* count_over_time drops the name, and a histogram's _sum and _count
     * then share their labels: count the two apart and add them up */
    snprintf(q, sizeof q,
             "sum(count_over_time({job=\"ingest\",__name__!=\"%s\"}[%dm])) + "
             "sum(count_over_time(%s{job=\"ingest\"}[%dm]))",
             HIST_COUNT, g.minutes + 1, HIST_COUNT, g.minutes + 1);
    peer_url_escape(q, esc, sizeof esc);
    snprintf(url, sizeof url, "%s/api/v1/query?query=%s&time=%.3f%s", p->base, esc,
             (double)last / 1000, who == VICTORIA ? "&nocache=1" : "");
    buf b;
    buf_init(&b, 0);
    long code = peer_http(url, NULL, &b); /* warm-up, and the check */
    double n = answer_value(b.data);
    if (code != 200 || n != (double)g.samples) {
        fprintf(stderr, "bench_ingest: %s counted %.0f samples of %llu (HTTP %ld): %.300s\n",
                p->name, n, (unsigned long long)g.samples, code, b.data ? b.data : "");
        buf_free(&b);
        return;
    }
    double t[3], cpu0 = tu_proc_cpu_seconds(p->pid);
    for (int i = 0; i < 3; i++) {
        uint64_t s = hclock_mono_ns();
        peer_http(url, NULL, &b);
        t[i] = (double)(hclock_mono_ns() - s) / 1e9;
    }
    double cpu = tu_proc_cpu_seconds(p->pid) - cpu0;
    double med = t[0] + t[1] + t[2] - fmin(t[0], fmin(t[1], t[2])) - fmax(t[0], fmax(t[1], t[2]));
    res[who].query_rate = (double)g.samples / med;
    res[who].query_cpu_rate = cpu > 0 ? 3 * (double)g.samples / cpu : 0;
    buf_free(&b);
}

/* Reads the probe series back and counts the values identical, bit for
 * bit, to what was sent. */
static void lossless(const peer *p, int who)
{
    for (int k = 0; k < PROBES; k++) {
        const series_def *d = &defs[probe_def[k]];
        char q[256], esc[700], url[1024];
        snprintf(q, sizeof q, "%s{instance=\"%s\",%s=\"%s\"}", d->name, g.probe_instance, d->l1,
                 d->v1);
        peer_url_escape(q, esc, sizeof esc);
        int64_t last = g.t0 + (int64_t)(g.steps - 1) * STEP_MS;
        snprintf(url, sizeof url, "%s/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=15%s",
                 p->base, esc, (double)g.t0 / 1000, (double)last / 1000,
                 who == VICTORIA ? "&nocache=1" : "");
        buf b;
        buf_init(&b, 0);
        int same = 0;
        if (peer_http(url, NULL, &b) == 200) {
            const char *s = strstr(b.data, "\"values\":[");
            while (s && (s = strchr(s + 1, '[')) != NULL) {
                char *end;
                double ts = strtod(s + 1, &end);
                const char *v = strchr(end, '"');
                if (!v)
                    break;
                double x = strtod(v + 1, NULL);
                long i = lround((ts * 1000 - (double)g.t0) / STEP_MS);
                if (i >= 0 && i < g.steps && memcmp(&x, &g.probe[k][i], sizeof x) == 0)
                    same++;
            }
        }
        res[who].lossless[k] = (double)same / g.steps;
        buf_free(&b);
    }
}

/* Stopped heron's directory, opened in process: cut the head into blocks,
 * compact, size the blocks, and read every sample back from them. */
static void heron_offline(const char *dir)
{
    tsdb_db *db;
    heron_err err = {0};
    if (tsdb_open(dir, NULL, &db, &err) || tsdb_flush_head(db, &err) ||
        tsdb_compact(db, &err)) {
        fprintf(stderr, "bench_ingest: heron directory %s: %s\n", dir, err.msg);
        return;
    }
    tsdb_stats st;
    tsdb_get_stats(db, &st);
    res[HERON].disk_bytes = st.block_bytes;
    res[HERON].disk_per_sample = (double)st.block_bytes / (double)g.samples;
    tsdb_matcher *m;
    tsdb_querier *q;
    tsdb_series_set *set;
    if (tsdb_matcher_new(TSDB_MATCH_EQ, "job", "ingest", &m, &err) == 0) {
        struct timespec c0, c1;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
        uint64_t n = 0;
        const tsdb_matcher *ms[] = {m};
        if (tsdb_querier_new(db, g.t0, INT64_MAX, &q, &err) == 0) {
            if (tsdb_querier_select(q, ms, 1, &set, &err) == 0) {
                while (tsdb_series_set_next(set) == 1) {
                    tsdb_iterator *it = tsdb_series_set_iterator(set);
                    const int64_t *ts;
                    const double *vs;
                    int k;
                    while ((k = tsdb_iterator_next_batch(it, &ts, &vs)) > 0)
                        n += (uint64_t)k;
                }
                tsdb_series_set_free(set);
            }
            tsdb_querier_free(q);
        }
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
        double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
        if (n == g.samples && cpu > 0)
            res[HERON].inproc_rate = (double)n / cpu;
        else
            fprintf(stderr, "bench_ingest: heron blocks hold %llu samples of %llu\n",
                    (unsigned long long)n, (unsigned long long)g.samples);
        tsdb_matcher_free(m);
    }
    tsdb_close(db);
}

/* POST /api/v1/admin/tsdb/snapshot: Prometheus writes its head as a block. */
static void prometheus_snapshot(const peer *p, const char *dir)
{
    char url[128], path[512];
    snprintf(url, sizeof url, "%s/api/v1/admin/tsdb/snapshot", p->base);
    buf b;
    buf_init(&b, 0);
    const char *name = NULL;
    if (peer_http(url, "skip_head=false", &b) == 200 && (name = strstr(b.data, "\"name\":\"")))
        name += 8;
    char id[128] = "";
    for (size_t i = 0; name && name[i] && name[i] != '"' && i + 1 < sizeof id; i++)
        id[i] = name[i], id[i + 1] = 0;
    if (id[0]) {
        snprintf(path, sizeof path, "%s/snapshots/%s", dir, id);
        res[PROMETHEUS].disk_bytes = dir_bytes(path);
        res[PROMETHEUS].disk_per_sample = (double)res[PROMETHEUS].disk_bytes / (double)g.samples;
    } else {
        fprintf(stderr, "bench_ingest: prometheus snapshot: %.300s\n", b.data ? b.data : "");
    }
    buf_free(&b);
}

static void victoria_disk(const peer *p, const char *dir)
{
    char path[400];
    time_t t = (time_t)(g.t0 / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    victoria_get(p, "/internal/force_flush");
    snprintf(path, sizeof path, "/internal/force_merge?partition_prefix=%04d_%02d",
             tm.tm_year + 1900, tm.tm_mon + 1);
    victoria_get(p, path);
    settle(p->pid, 120); /* the merge runs in the background */
    uint64_t n = 0;
    snprintf(path, sizeof path, "%s/data", dir);
    n += dir_bytes(path);
    snprintf(path, sizeof path, "%s/indexdb", dir);
    n += dir_bytes(path);
    res[VICTORIA].disk_bytes = n;
    res[VICTORIA].disk_per_sample = (double)n / (double)g.samples;
}

static void run_server(int who, const char *heron_bin)
{
    char dir[300], log[300], cfg[300], f1[400], f2[400], f3[400];
    victoria_cmd vm;
    snprintf(dir, sizeof dir, "%s/%s", tmp_root, server_names[who]);
    snprintf(log, sizeof log, "%s/%s.log", tmp_root, server_names[who]);
    snprintf(cfg, sizeof cfg, "%s/prometheus.yml", tmp_root);
    peer p = {server_names[who], 0, peer_free_port(), ""};
    char *argv[16] = {0};
    int n = 0;
    switch (who) {
    case HERON:
        argv[n++] = (char *)heron_bin;
        argv[n++] = "server";
        /* fall through */
    case PROMETHEUS:
        if (who == PROMETHEUS)
            argv[n++] = "/usr/bin/prometheus";
        snprintf(f1, sizeof f1, "--config.file=%s", cfg);
        snprintf(f2, sizeof f2, "--storage.tsdb.path=%s", dir);
        snprintf(f3, sizeof f3, "--web.listen-address=127.0.0.1:%d", p.port);
        argv[n++] = f1, argv[n++] = f2, argv[n++] = f3;
        argv[n++] = "--web.enable-remote-write-receiver";
        argv[n++] = "--web.enable-admin-api";
        argv[n++] = "--query.max-samples=2000000000";
        argv[n++] = "--query.timeout=5m";
        argv[n++] = "--log.level=warn";
        break;
    default:
        victoria_cmd_init(&vm, dir, p.port, 2 * g.series + 1000);
        break;
    }
    char *const *cmd = who == VICTORIA ? vm.argv : argv;
    if (access(cmd[0], X_OK) != 0) {
        fprintf(stderr, "bench_ingest: %s is not installed; skipped\n", cmd[0]);
        return;
    }
    double elapsed = (double)(hclock_mono_ns() - start_ns) / 1e9;
    if (elapsed > 0.85 * limit_s) {
        fprintf(stderr, "bench_ingest: %s skipped: %.0f of %d s used\n", p.name, elapsed,
                limit_s);
        return;
    }
    fprintf(stderr, "bench_ingest: %s ...\n", p.name);
    if (peer_start(&p, cmd, log) != 0) {
        peer_stop(&p);
        return;
    }
    running_pid = p.pid;
    result *r = &res[who];
    sleep(2);
    double rss0 = proc_status_bytes(p.pid, "VmRSS");
    double cpu0 = tu_proc_cpu_seconds(p.pid);
    char url[128];
    snprintf(url, sizeof url, "%s/api/v1/write", p.base);
    uint64_t s = hclock_mono_ns();
    int failed = send_all(url);
    double wall = (double)(hclock_mono_ns() - s) / 1e9;
    if (who == VICTORIA)
        victoria_get(&p, "/internal/force_flush");
    settle(p.pid, 60);
    double cpu = tu_proc_cpu_seconds(p.pid) - cpu0;
    double rss = proc_status_bytes(p.pid, "VmRSS");
    double anon = proc_status_bytes(p.pid, "RssAnon");
    if (failed) {
        fprintf(stderr, "bench_ingest: %s refused %d requests (log: %s)\n", p.name, failed, log);
    } else {
        r->ok = 1;
        r->rate = (double)g.samples / wall;
        r->cpu_per_m = cpu / ((double)g.samples / 1e6);
        r->rss_per_series = rss / (double)g.series;
        r->rss_delta_per_series = (rss - rss0) / (double)g.series;
        r->anon_per_series = anon / (double)g.series;
        if (who == HERON) /* where the memory goes */
            printf("ingest_heron_head_index_bytes_per_series %.0f bytes (postings, label "
                   "strings)\n",
                   heron_metric(&p, "heron_tsdb_head_index_bytes") / (double)g.series);
        fprintf(stderr, "bench_ingest: %s took %.1f s, %.1f CPU-s, RSS %.0f MB (idle %.0f MB)\n",
                p.name, wall, cpu, rss / 1e6, rss0 / 1e6);
        select_decode(&p, who);
        lossless(&p, who);
        if (who == PROMETHEUS)
            prometheus_snapshot(&p, dir);
        if (who == VICTORIA)
            victoria_disk(&p, dir);
    }
    peer_stop(&p);
    running_pid = 0;
    if (who == HERON && r->ok)
        heron_offline(dir);
}

/* ---- report ------------------------------------------------------------- */

static void line(const char *name, const char *unit, const char *fmt, size_t off)
{
    int first = 1;
    for (int w = 0; w < NSERVERS; w++) {
        if (!res[w].ok)
            continue;
        double v = *(const double *)((const char *)&res[w] + off);
        if (first)
            printf("%s ", name);
        else
            printf(" %s ", server_names[w]);
        printf(fmt, v);
        printf(" %s", unit);
        if (first && w != HERON)
            printf(" (%s)", server_names[w]);
        first = 0;
    }
    if (!first)
        printf("\n");
}

static void ratio(const char *name, size_t off, int other)
{
    double h = *(const double *)((const char *)&res[HERON] + off);
    double p = *(const double *)((const char *)&res[other] + off);
    if (res[HERON].ok && res[other].ok && h > 0 && p > 0)
        printf("ingest_%s_ratio_heron_%s %.3f ratio\n", name, server_names[other], h / p);
}

static void report(void)
{
    printf("ingest_series %ld series\n", g.series);
    printf("ingest_samples %llu samples (%d min at 15 s)\n", (unsigned long long)g.samples,
           g.minutes);
    printf("ingest_request_bytes_per_sample %.2f bytes (snappy, %d samples per request, %d "
           "shards)\n",
           (double)g.bytes / (double)g.samples, g.batch, g.nshards);
#define OFF(f) offsetof(result, f)
    line("ingest_samples_per_second", "samples/s", "%.0f", OFF(rate));
    line("ingest_cpu_seconds_per_million_samples", "cpu-s", "%.3f", OFF(cpu_per_m));
    line("ingest_resident_bytes_per_series", "bytes", "%.0f", OFF(rss_per_series));
    line("ingest_resident_bytes_per_series_over_idle", "bytes", "%.0f",
         OFF(rss_delta_per_series));
    line("ingest_resident_anon_bytes_per_series", "bytes", "%.0f", OFF(anon_per_series));
    line("ingest_disk_bytes_per_sample", "bytes", "%.3f", OFF(disk_per_sample));
    line("ingest_select_decode_samples_per_second", "samples/s", "%.0f", OFF(query_rate));
    line("ingest_select_decode_samples_per_cpu_second", "samples/cpu-s", "%.0f",
         OFF(query_cpu_rate));
    if (res[HERON].inproc_rate > 0)
        printf("ingest_heron_inprocess_select_decode_samples_per_cpu_second %.0f samples/cpu-s\n",
               res[HERON].inproc_rate);
    line("ingest_lossless_full_precision_values", "ratio", "%.3f", OFF(lossless[0]));
    line("ingest_lossless_decimal_values", "ratio", "%.3f", OFF(lossless[1]));
    for (int p = PROMETHEUS; p < NSERVERS; p++) {
        ratio("cpu_per_sample", OFF(cpu_per_m), p);
        ratio("resident_per_series", OFF(rss_per_series), p);
        ratio("disk_per_sample", OFF(disk_per_sample), p);
        ratio("select_decode_rate", OFF(query_rate), p);
    }
#undef OFF
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr, "usage: bench_ingest [--series N] [--minutes M] [--shards S] [--batch B]\n"
                    "                    [--only heron,prometheus,victoriametrics] [--keep]\n"
                    "                    [--time-limit SECONDS]\n");
}

int main(int argc, char **argv)
{
    g.series = 100000, g.minutes = 30, g.nshards = 2, g.batch = 2000;
    const char *only = NULL;
    int limit = 600;
    start_ns = hclock_mono_ns();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--keep"))
            g.keep = 1;
        else if (v && !strcmp(a, "--series"))
            g.series = atol(v), i++;
        else if (v && !strcmp(a, "--minutes"))
            g.minutes = atoi(v), i++;
        else if (v && !strcmp(a, "--shards"))
            g.nshards = atoi(v), i++;
        else if (v && !strcmp(a, "--batch"))
            g.batch = atoi(v), i++;
        else if (v && !strcmp(a, "--only"))
            only = v, i++;
        else if (v && !strcmp(a, "--time-limit"))
            limit = atoi(v), i++;
        else {
            usage();
            return 2;
        }
    }
    if (g.series < TARGET_SERIES || g.minutes < 1 || g.minutes > 120 || g.nshards < 1 ||
        g.nshards > 64 || g.batch < 1 || limit < 1) {
        usage();
        return 2;
    }
    g.targets = g.series / TARGET_SERIES;
    g.series = g.targets * TARGET_SERIES;
    g.steps = g.minutes * 60000 / STEP_MS;
    /* all samples inside one 2 h block window, 2 to 6 hours ago */
    g.t0 = ((int64_t)time(NULL) * 1000 - 2 * TWO_HOURS_MS) / TWO_HOURS_MS * TWO_HOURS_MS;

    signal(SIGALRM, on_fatal);
    signal(SIGINT, on_fatal);
    signal(SIGTERM, on_fatal);
    alarm((unsigned)limit);
    limit_s = limit;
    defs_init();
    if (peer_tmpdir(tmp_root, sizeof tmp_root) != 0)
        return 1;
    char cfg[300];
    snprintf(cfg, sizeof cfg, "%s/prometheus.yml", tmp_root);
    FILE *f = fopen(cfg, "w");
    if (!f)
        return 1;
    fputs("global:\n  scrape_interval: 15s\n", f); /* no scrape jobs */
    fclose(f);
    curl_global_init(CURL_GLOBAL_ALL);
    uint64_t s = hclock_mono_ns();
    if (generate() != 0) {
        fprintf(stderr, "bench_ingest: out of memory generating the requests\n");
        return 1;
    }
    fprintf(stderr, "bench_ingest: %llu samples in %llu bytes of requests, built in %.1f s\n",
            (unsigned long long)g.samples, (unsigned long long)g.bytes,
            (double)(hclock_mono_ns() - s) / 1e9);
    char heron[512];
    snprintf(heron, sizeof heron, "%s/heron", HERON_BUILD_DIR);
    for (int w = 0; w < NSERVERS; w++)
        if (!only || strstr(only, server_names[w]))
            run_server(w, heron);
    report();
    if (g.keep)
        fprintf(stderr, "bench_ingest: kept %s\n", tmp_root);
    else
        peer_rmdir(tmp_root);
    for (int k = 0; k < g.nshards; k++) {
        for (size_t i = 0; i < g.shards[k].n; i++)
            free(g.shards[k].v[i].data);
        free(g.shards[k].v);
    }
    free(g.shards);
    curl_global_cleanup();
    return res[HERON].ok ? 0 : 1;
}
