/*
 * test_api_golden — heron's HTTP API against a real Prometheus 2.42.
 *
 * Starts `heron server` and /usr/bin/prometheus on free loopback ports, each
 * with its own temporary storage and the remote_write receiver enabled,
 * pushes the same generated data (counters with resets, classic histograms,
 * gauges with NaN and a staleness marker) into both with the test sender,
 * then asks both the same instant, range, series, label and erroneous
 * queries over HTTP (GET and form POST). Answers must have the same status
 * code and the same JSON, with numbers equal within 1e-9 relative and
 * result vectors/matrices compared as sets of series.
 *
 * Exit status 0 when all match, 1 otherwise, 77 (skipped) without
 * /usr/bin/prometheus.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "peer.h"
#include "rw_client.h"

#define PROMETHEUS "/usr/bin/prometheus"

/* ---- data ----------------------------------------------------------------- */

#define STEP_MS 15000
#define NPOINTS 240 /* one hour */

static int64_t t0;

static void push_all(rw_batch *b, const peer *peers, int npeers, int *failed)
{
    for (int i = 0; i < npeers; i++) {
        char url[128];
        snprintf(url, sizeof url, "%s/api/v1/write", peers[i].base);
        /* each peer gets the same bytes: re-encode by copying the batch */
        rw_batch copy;
        rw_batch_init(&copy);
        buf_append(&copy.pb, b->pb.data ? b->pb.data : "", b->pb.len);
        int code = rw_batch_send(&copy, url);
        if (code != 204 && code != 200) {
            fprintf(stderr, "push to %s: HTTP %d\n", peers[i].name, code);
            (*failed)++;
        }
        rw_batch_free(&copy);
    }
    buf_reset(&b->pb);
}

static void generate(const peer *peers, int npeers, int *failed)
{
    static const char *const jobs[] = {"api", "web"};
    static const char *const methods[] = {"GET", "POST", "PUT"};
    static const char *const les[] = {"0.05", "0.1", "0.5", "1", "+Inf"};
    rw_batch b;
    rw_batch_init(&b);
    for (int chunk = 0; chunk < NPOINTS; chunk += 40) {
        int n = chunk + 40 <= NPOINTS ? 40 : NPOINTS - chunk;
        int64_t ts[40];
        double vs[40];
        for (int i = 0; i < n; i++)
            ts[i] = t0 + (int64_t)(chunk + i) * STEP_MS;
        for (int j = 0; j < 2; j++)
            for (int inst = 0; inst < 4; inst++)
                for (int m = 0; m < 3; m++) {
                    char instance[16];
                    snprintf(instance, sizeof instance, "%d", inst);
                    const char *ls[] = {"__name__", "http_requests_total", "job", jobs[j],
                                        "instance", instance, "method", methods[m], NULL};
                    for (int i = 0; i < n; i++) {
                        int k = chunk + i;
                        int reset = (k / (60 + 10 * inst)) ;
                        /* the per-instance factor keeps topk free of exact
                         * ties, whose pick in range queries depends on
                         * Prometheus' internal series order */
                        vs[i] = (double)((k % (60 + 10 * inst)) * (j + 1) * (m + 1) * 3 +
                                         reset) * (1 + inst / 64.0);
                    }
                    rw_batch_add(&b, ls, ts, vs, (size_t)n);
                    for (int l = 0; l < 5; l++) {
                        const char *hs[] = {"__name__", "request_duration_seconds_bucket",
                                            "job", jobs[j], "instance", instance,
                                            "method", methods[m], "le", les[l], NULL};
                        for (int i = 0; i < n; i++) {
                            double k = chunk + i;
                            vs[i] = floor(k * (l + 1) * (m + 1) * 0.7 + k * k * 0.01 * l);
                        }
                        rw_batch_add(&b, hs, ts, vs, (size_t)n);
                    }
                }
        for (int inst = 0; inst < 4; inst++) {
            char instance[16];
            snprintf(instance, sizeof instance, "%d", inst);
            const char *ls[] = {"__name__", "temperature_celsius", "instance", instance,
                                "zone", inst % 2 ? "north" : "south", NULL};
            int nn = 0;
            int64_t tt[40];
            for (int i = 0; i < n; i++) {
                int k = chunk + i;
                if (inst == 3 && k > 200)
                    continue; /* this series goes stale */
                tt[nn] = ts[i];
                vs[nn] = 20 + 5 * sin(k / 10.0 + inst) + inst;
                if (inst == 2 && k == 100)
                    vs[nn] = NAN;
                if (inst == 3 && k == 200) {
                    uint64_t bits = 0x7ff0000000000002ULL;
                    memcpy(&vs[nn], &bits, sizeof bits);
                }
                nn++;
            }
            if (nn)
                rw_batch_add(&b, ls, tt, vs, (size_t)nn);
        }
        push_all(&b, peers, npeers, failed);
    }
    rw_batch_free(&b);
}

/* ---- comparing answers ------------------------------------------------------ */

static int num_equal(double a, double b)
{
    if (isnan(a) && isnan(b))
        return 1;
    if (a == b)
        return 1;
    return fabs(a - b) <= 1e-9 * (fabs(a) + fabs(b));
}

static int parse_num(const char *s, double *v)
{
    char *end;
    if (strcmp(s, "+Inf") == 0) {
        *v = INFINITY;
        return 1;
    }
    if (strcmp(s, "-Inf") == 0) {
        *v = -INFINITY;
        return 1;
    }
    *v = strtod(s, &end);
    return *s && !*end;
}

static int json_same(json_t *a, json_t *b);

static int cmp_by_metric(const void *x, const void *y)
{
    json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
    char *sa = json_dumps(json_is_object(a) ? json_object_get(a, "metric") ? json_object_get(a, "metric") : a : a,
                          JSON_SORT_KEYS | JSON_COMPACT);
    char *sb = json_dumps(json_is_object(b) ? json_object_get(b, "metric") ? json_object_get(b, "metric") : b : b,
                          JSON_SORT_KEYS | JSON_COMPACT);
    int r = strcmp(sa ? sa : "", sb ? sb : "");
    free(sa);
    free(sb);
    return r;
}

/* Sorts an array of series (or label sets) in place. */
static void sort_array(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = malloc((n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(arr, i));
    qsort(v, n, sizeof *v, cmp_by_metric);
    json_array_clear(arr);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, v[i]);
    free(v);
}

static int json_same(json_t *a, json_t *b)
{
    if (json_is_number(a) && json_is_number(b))
        return num_equal(json_number_value(a), json_number_value(b));
    if (json_typeof(a) != json_typeof(b))
        return 0;
    if (json_is_string(a)) {
        double x, y;
        const char *sa = json_string_value(a), *sb = json_string_value(b);
        if (strcmp(sa, sb) == 0)
            return 1;
        return parse_num(sa, &x) && parse_num(sb, &y) && num_equal(x, y);
    }
    if (json_is_array(a)) {
        if (json_array_size(a) != json_array_size(b))
            return 0;
        for (size_t i = 0; i < json_array_size(a); i++)
            if (!json_same(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    if (json_is_object(a)) {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *k;
        json_t *v;
        json_object_foreach(a, k, v) {
            json_t *o = json_object_get(b, k);
            if (!o || !json_same(v, o))
                return 0;
        }
        return 1;
    }
    return json_equal(a, b);
}

/* Puts results that Prometheus does not order into a canonical order. */
static void normalise(json_t *root)
{
    json_t *data = json_object_get(root, "data");
    if (json_is_array(data)) {
        sort_array(data);
        return;
    }
    json_t *res = json_object_get(data, "result");
    const char *type = json_string_value(json_object_get(data, "resultType"));
    if (json_is_array(res) && type &&
        (strcmp(type, "vector") == 0 || strcmp(type, "matrix") == 0))
        sort_array(res);
}

static int compared, mismatched;

static void compare(const peer *h, const peer *p, const char *path, const char *form)
{
    char uh[4096], up[4096];
    snprintf(uh, sizeof uh, "%s%s", h->base, path);
    snprintf(up, sizeof up, "%s%s", p->base, path);
    buf bh, bp;
    buf_init(&bh, 0);
    buf_init(&bp, 0);
    long ch = peer_http(uh, form, &bh), cp = peer_http(up, form, &bp);
    json_t *jh = json_loads(bh.data, 0, NULL), *jp = json_loads(bp.data, 0, NULL);
    int same = ch == cp;
    if (same && jh && jp) {
        normalise(jh);
        normalise(jp);
        same = json_same(jh, jp);
    } else if (same) {
        same = !jh && !jp && strcmp(bh.data, bp.data) == 0;
    }
    compared++;
    if (!same) {
        mismatched++;
        printf("MISMATCH %s%s%s\n  heron      %ld %.600s\n  prometheus %ld %.600s\n", path,
               form ? " form: " : "", form ? form : "", ch, bh.data, cp, bp.data);
        const char *dump = getenv("HERON_GOLDEN_DUMP"); /* full bodies, for debugging */
        if (dump) {
            char fn[512];
            snprintf(fn, sizeof fn, "%s/%d.heron.json", dump, mismatched);
            FILE *f = fopen(fn, "w");
            if (f) {
                fprintf(f, "%s\n%s\n", path, bh.data);
                fclose(f);
            }
            snprintf(fn, sizeof fn, "%s/%d.prometheus.json", dump, mismatched);
            if ((f = fopen(fn, "w"))) {
                fprintf(f, "%s\n%s\n", path, bp.data);
                fclose(f);
            }
        }
    }
    json_decref(jh);
    json_decref(jp);
    buf_free(&bh);
    buf_free(&bp);
}

static const char *const queries[] = {
    "http_requests_total",
    "http_requests_total{job=\"api\",method=~\"P.*\"}",
    "sum by (job) (rate(http_requests_total[5m]))",
    "sum without (instance) (increase(http_requests_total[10m]))",
    "irate(http_requests_total{instance=\"1\"}[2m])",
    "delta(temperature_celsius[10m])",
    "idelta(temperature_celsius[3m])",
    "deriv(temperature_celsius[10m])",
    "predict_linear(temperature_celsius[10m], 600)",
    "holt_winters(temperature_celsius[10m], 0.5, 0.3)",
    "histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket[5m])))",
    "histogram_quantile(0.5, sum by (job, le) (rate(request_duration_seconds_bucket[5m])))",
    "topk(3, rate(http_requests_total[5m]))",
    "bottomk(2, temperature_celsius)",
    "quantile(0.9, temperature_celsius)",
    "count_values(\"value\", floor(temperature_celsius))",
    "stddev(temperature_celsius)", "stdvar by (zone) (temperature_celsius)",
    "avg_over_time(temperature_celsius[15m])", "max_over_time(temperature_celsius[15m])",
    "min_over_time(temperature_celsius[15m])", "sum_over_time(temperature_celsius[5m])",
    "count_over_time(temperature_celsius[5m])", "last_over_time(temperature_celsius[5m])",
    "quantile_over_time(0.3, temperature_celsius[15m])",
    "stddev_over_time(temperature_celsius[15m])",
    "present_over_time(temperature_celsius[5m])",
    "absent_over_time(temperature_celsius{instance=\"3\"}[5m])",
    "absent(nonexistent{job=\"x\"})",
    "changes(temperature_celsius[15m])", "resets(http_requests_total[30m])",
    "rate(http_requests_total[5m]) / on(job, instance, method) group_left "
    "sum by (job, instance, method) (rate(http_requests_total[10m]))",
    "sum by (job) (rate(http_requests_total[5m])) / ignoring(method) group_left "
    "sum by (job) (rate(http_requests_total[10m]))",
    "temperature_celsius > 22", "temperature_celsius > bool 22",
    "temperature_celsius{zone=\"north\"} or temperature_celsius{instance=\"0\"}",
    "temperature_celsius and on(zone) temperature_celsius{instance=\"1\"}",
    "temperature_celsius unless on(instance) temperature_celsius > 23",
    "label_replace(temperature_celsius, \"z\", \"$1-x\", \"zone\", \"(.*)th\")",
    "label_join(temperature_celsius, \"both\", \"/\", \"zone\", \"instance\")",
    "clamp(temperature_celsius, 20, 23)", "round(temperature_celsius, 0.5)",
    "abs(-temperature_celsius)", "sqrt(temperature_celsius)", "ln(temperature_celsius)",
    "sort_desc(sum by (job) (http_requests_total))", "scalar(sum(temperature_celsius))",
    "time()", "vector(1) + 2", "1 + 2 * 3", "\"a string\"",
    "timestamp(temperature_celsius)", "hour(temperature_celsius * 100000)",
    "max_over_time(rate(http_requests_total[5m])[15m:1m])",
    "avg_over_time(sum(temperature_celsius)[10m:])",
    "rate(http_requests_total[5m] offset 10m)",
    "temperature_celsius @ end()", "sum(temperature_celsius @ start())",
    "group by (zone) (temperature_celsius)", "count(http_requests_total)",
    "http_requests_total + on(job) group_left temperature_celsius",
    "{__name__=~\"temp.*\", zone=\"south\"}",
    "http_requests_total * on(job, instance) temperature_celsius",
    "sum(http_requests_total) by (nope) + on() group_left vector(1)",
    "rate(temperature_celsius[5m:])",
    "foo(", "sum(", "rate(http_requests_total)", "1 +", "http_requests_total[5m]",
};

static void run_queries(const peer *h, const peer *p)
{
    char q[2048], path[4096], form[4096];
    int64_t end = t0 + (NPOINTS - 1) * STEP_MS;
    int64_t at[] = {t0 + 30 * 60000 + 7000, end, end + 4 * 60000, t0 + 52 * 60000};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        peer_url_escape(queries[i], q, sizeof q);
        for (size_t k = 0; k < sizeof at / sizeof *at; k++) {
            snprintf(path, sizeof path, "/api/v1/query?query=%s&time=%.3f", q,
                     (double)at[k] / 1000);
            compare(h, p, path, NULL);
        }
        snprintf(path, sizeof path, "/api/v1/query_range?query=%s&start=%.3f&end=%.3f&step=60",
                 q, (double)t0 / 1000, (double)(end + 120000) / 1000);
        compare(h, p, path, NULL);
        snprintf(form, sizeof form, "query=%s&start=%.3f&end=%.3f&step=37s", q,
                 (double)(t0 + 600000) / 1000, (double)(t0 + 3000000) / 1000);
        compare(h, p, "/api/v1/query_range", form);
    }
}

static void run_others(const peer *h, const peer *p)
{
    char path[1024];
    static const char *const fixed[] = {
        "/api/v1/labels",
        "/api/v1/label/__name__/values",
        "/api/v1/label/instance/values",
        "/api/v1/label/nonexistent/values",
        "/api/v1/label/bad-name/values",
        "/api/v1/series?match[]=temperature_celsius",
        "/api/v1/series?match[]=temperature_celsius&match[]=http_requests_total%7Bmethod%3D%22GET%22%7D",
        "/api/v1/series?match[]=%7Bzone%3D~%22n.*%22%7D",
        "/api/v1/series",
        "/api/v1/series?match[]=%7Bzone%3D~%22.*%22%7D",
        "/api/v1/labels?match[]=temperature_celsius",
        "/api/v1/label/zone/values?match[]=temperature_celsius%7Binstance%3D%220%22%7D",
        "/api/v1/query_range?query=1&start=x&end=2&step=1",
        "/api/v1/query_range?query=1&start=1&end=x&step=1",
        "/api/v1/query_range?query=1&start=10&end=2&step=1",
        "/api/v1/query_range?query=1&start=1&end=2&step=0",
        "/api/v1/query_range?query=1&start=1&end=2&step=-1",
        "/api/v1/query_range?query=1&start=1&end=2&step=abc",
        "/api/v1/query_range?query=1&start=0&end=100000&step=1",
        "/api/v1/query_range?query=1&start=2020-01-01T00:00:00Z&end=2020-01-01T00:10:00.5Z&step=1m",
        "/api/v1/query?query=1&time=abc",
        "/api/v1/query?query=1&time=2020-01-01T00:00:00Z",
        "/api/v1/query?query=1&time=1577836800.123",
        "/api/v1/query?query=1&timeout=x",
        "/api/v1/query?time=1",
        "/api/v1/format_query?query=sum(rate(x%5B5m%5D))by(job)",
        "/api/v1/format_query?query=foo(",
        "/api/v1/query_exemplars?query=temperature_celsius",
        "/api/v1/query_exemplars?query=1%2B1",
        "/api/v1/query_exemplars",
        "/api/v1/query_exemplars?query=sum(",
        "/api/v1/query_exemplars?query=up&start=10&end=5",
    };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++)
        compare(h, p, fixed[i], NULL);
    snprintf(path, sizeof path, "/api/v1/series?start=%.3f&end=%.3f&match[]=temperature_celsius",
             (double)(t0 + 3500000) / 1000, (double)(t0 + 3600000) / 1000);
    compare(h, p, path, NULL);
    compare(h, p, "/api/v1/series", "match[]=temperature_celsius");
    compare(h, p, "/api/v1/query", "query=sum(temperature_celsius)&time=1577836800");
}

int main(void)
{
    if (access(PROMETHEUS, X_OK) != 0) {
        printf("SKIP: %s not installed\n", PROMETHEUS);
        return 77;
    }
    const char *bin = getenv("HERON_BINARY_DIR");
    char heron[512];
    snprintf(heron, sizeof heron, "%s/heron", bin ? bin : ".");
    char tmpdir[256];
    if (peer_tmpdir(tmpdir, sizeof tmpdir))
        return 1;
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);

    char cfg[512], hdata[512], pdata[512], hlog[512], plog[512], hlisten[64], plisten[64];
    snprintf(cfg, sizeof cfg, "%s/prometheus.yml", tmpdir);
    snprintf(hdata, sizeof hdata, "--storage.tsdb.path=%s/heron", tmpdir);
    snprintf(pdata, sizeof pdata, "--storage.tsdb.path=%s/prometheus", tmpdir);
    snprintf(hlog, sizeof hlog, "%s/heron.log", tmpdir);
    snprintf(plog, sizeof plog, "%s/prometheus.log", tmpdir);
    FILE *f = fopen(cfg, "w");
    fputs("global:\n  scrape_interval: 15s\n", f);
    fclose(f);
    char cfgflag[600];
    snprintf(cfgflag, sizeof cfgflag, "--config.file=%s", cfg);

    peer h = {"heron", 0, peer_free_port(), ""}, p = {"prometheus", 0, peer_free_port(), ""};
    snprintf(hlisten, sizeof hlisten, "--web.listen-address=127.0.0.1:%d", h.port);
    snprintf(plisten, sizeof plisten, "--web.listen-address=127.0.0.1:%d", p.port);
    char *hargv[] = {heron, "server", cfgflag, hlisten, hdata, "--web.enable-remote-write-receiver",
                     "--log.level=warn", NULL};
    char *pargv[] = {PROMETHEUS, cfgflag, plisten, pdata, "--web.enable-remote-write-receiver",
                     "--log.level=warn", NULL};
    int rc = 1;
    if (peer_start(&h, hargv, hlog) == 0 && peer_start(&p, pargv, plog) == 0) {
        t0 = ((int64_t)time(NULL) - 3600) / 60 * 60 * 1000;
        int failed = 0;
        peer both[2] = {h, p};
        generate(both, 2, &failed);
        if (!failed) {
            run_queries(&h, &p);
            run_others(&h, &p);
            printf("api golden: %d compared, %d mismatched\n", compared, mismatched);
            if (getenv("HERON_GOLDEN_PAUSE")) { /* debugging: keep both peers up */
                printf("heron %s prometheus %s\n", h.base, p.base);
                fflush(stdout);
                sleep((unsigned)atoi(getenv("HERON_GOLDEN_PAUSE")));
            }
            rc = mismatched ? 1 : 0;
        }
    }
    peer_stop(&h);
    peer_stop(&p);
    peer_rmdir(tmpdir);
    curl_global_cleanup();
    return rc;
}
