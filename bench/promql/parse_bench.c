/*
 * parse_bench — nanoseconds per parse (lex, parse, type check, with a fresh
 * per-query arena) of typical dashboard queries, and per print of the
 * result. One line per figure: `name value unit`. Times are process CPU
 * time, so that other work on a shared machine does not inflate them.
 *
 *   parse_bench [iterations]     (default 20000 per query)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "promql/promql.h"

static const struct {
    const char *name;
    const char *query;
} queries[] = {
    {"selector", "up{job=\"node\"}"},
    {"rate_sum_by", "sum by (job, instance) (rate(http_requests_total{job=\"api\", code=~\"5..\"}[5m]))"},
    {"histogram_quantile",
     "histogram_quantile(0.99, sum by (le, handler) (rate(http_request_duration_seconds_bucket{job=\"api\"}[5m])))"},
    {"error_ratio",
     "sum without (instance) (rate(errors_total[5m])) / ignoring (code) group_left "
     "sum without (instance, code) (rate(requests_total[5m])) > bool 0.01"},
    {"gpu_util", "avg by (gpu, Hostname) (DCGM_FI_DEV_GPU_UTIL{Hostname=~\"node-.*\"}) * 100"},
    {"subquery", "max_over_time(deriv(node_memory_MemAvailable_bytes[10m])[1h:1m] offset 1d)"},
    {"topk_at", "topk(5, sum by (pod) (container_memory_working_set_bytes{namespace!=\"kube-system\"} @ end()))"},
    {"predict_linear", "predict_linear(node_filesystem_avail_bytes{fstype!~\"tmpfs|overlay\"}[6h], 4 * 3600) < 0"},
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    long iters = argc > 1 ? atol(argv[1]) : 20000;
    if (iters <= 0)
        iters = 1;
    size_t nq = sizeof queries / sizeof *queries;
    double total_parse = 0, total_print = 0;
    for (size_t i = 0; i < nq; i++) {
        const char *q = queries[i].query;
        size_t len = strlen(q);
        heron_err err;
        double t0 = now_ns();
        for (long k = 0; k < iters; k++) {
            promql_arena a;
            promql_arena_init(&a, 0);
            promql_node *n;
            if (promql_parse(q, len, &a, &n, &err) != 0) {
                fprintf(stderr, "%s: %s\n", queries[i].name, err.msg);
                return 1;
            }
            promql_arena_free(&a);
        }
        double parse_ns = (now_ns() - t0) / (double)iters;

        promql_arena a;
        promql_arena_init(&a, 0);
        promql_node *n;
        promql_parse(q, len, &a, &n, &err);
        buf b;
        buf_init(&b, 0);
        t0 = now_ns();
        for (long k = 0; k < iters; k++) {
            buf_reset(&b);
            promql_print(n, &b);
        }
        double print_ns = (now_ns() - t0) / (double)iters;
        buf_free(&b);
        promql_arena_free(&a);

        printf("promql_parse_%s %.0f ns\n", queries[i].name, parse_ns);
        printf("promql_print_%s %.0f ns\n", queries[i].name, print_ns);
        total_parse += parse_ns;
        total_print += print_ns;
    }
    printf("promql_parse_mean %.0f ns\n", total_parse / (double)nq);
    printf("promql_print_mean %.0f ns\n", total_print / (double)nq);
    return 0;
}
