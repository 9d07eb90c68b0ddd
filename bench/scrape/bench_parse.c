/*
 * bench_parse — exposition parser throughput.
 *
 * Builds a large exposition (about 64 MB by default) shaped like what heron
 * scrapes in practice — node_exporter-style families with 1-4 labels, GPU
 * gauges, histograms with le buckets, some escapes — in both formats, then
 * parses it several times and prints the best run:
 *   scrape_parse_<fmt>_throughput <MB/s> MB/s
 *   scrape_parse_<fmt>_samples <samples/s> samples/s
 * Usage: bench_parse [MB]   (prints nothing else; target >= 300 MB/s)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "scrape/parse.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void build(buf *b, size_t target, int om)
{
    static const char *const modes[] = {"idle", "user", "system", "iowait", "irq"};
    static const double les[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    for (unsigned fam = 0; b->len < target; fam++) {
        buf_printf(b, "# HELP node_cpu_seconds_%u Seconds the CPUs spent in each mode.\n", fam);
        buf_printf(b, "# TYPE node_cpu_seconds_%u counter\n", fam);
        for (int cpu = 0; cpu < 16; cpu++)
            for (int m = 0; m < 5; m++)
                buf_printf(b, "node_cpu_seconds_%u%s{cpu=\"%d\",mode=\"%s\"} %.2f\n", fam,
                           om ? "_total" : "", cpu, modes[m], 12345.67 + cpu * 7.1 + m);
        buf_printf(b, "# HELP gpu_util_%u GPU utilisation.\n# TYPE gpu_util_%u gauge\n", fam, fam);
        for (int g = 0; g < 8; g++)
            buf_printf(b, "gpu_util_%u{gpu=\"%d\",uuid=\"GPU-%08x-1234-5678\",model=\"NVIDIA H100 80GB HBM3\","
                       "job=\"train \\\"llm\\\"\"} %d\n", fam, g, g * 2654435761u, 50 + g);
        buf_printf(b, "# HELP http_request_duration_seconds_%u Latency.\n"
                      "# TYPE http_request_duration_seconds_%u histogram\n", fam, fam);
        for (int h = 0; h < 4; h++) {
            for (size_t l = 0; l < sizeof les / sizeof *les; l++)
                buf_printf(b, "http_request_duration_seconds_%u_bucket{handler=\"/api/v1/q%d\",le=\"%g\"} %zu\n",
                           fam, h, les[l], l * 100 + (size_t)h);
            buf_printf(b, "http_request_duration_seconds_%u_bucket{handler=\"/api/v1/q%d\",le=\"+Inf\"} 1200\n", fam, h);
            buf_printf(b, "http_request_duration_seconds_%u_sum{handler=\"/api/v1/q%d\"} 17.25\n", fam, h);
            buf_printf(b, "http_request_duration_seconds_%u_count{handler=\"/api/v1/q%d\"} 1200\n", fam, h);
        }
        buf_printf(b, "process_resident_memory_bytes_%u 1.23456789e+08\n", fam);
    }
    if (om)
        buf_puts(b, "# EOF\n");
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? (size_t)atoi(argv[1]) : 64;
    for (int om = 0; om < 2; om++) {
        buf b;
        buf_init(&b, 0);
        build(&b, mb << 20, om);
        scrape_parser p = {0};
        double best = 1e9;
        size_t samples = 0;
        for (int run = 0; run < 5; run++) {
            double t0 = now();
            scrape_parser_init(&p, om ? SCRAPE_FORMAT_OPENMETRICS : SCRAPE_FORMAT_TEXT,
                               b.data, b.len);
            heron_err err = {0};
            int e;
            size_t n = 0;
            double sum = 0;
            while ((e = scrape_parser_next(&p, &err)) > 0)
                if (e == SCRAPE_ENTRY_SAMPLE) {
                    n++;
                    sum += p.value;
                }
            double dt = now() - t0;
            if (e < 0 || sum == 0) {
                fprintf(stderr, "bench_parse: %s\n", err.msg);
                return 1;
            }
            samples = n;
            if (dt < best)
                best = dt;
        }
        const char *name = om ? "openmetrics" : "text";
        printf("scrape_parse_%s_throughput %.0f MB/s\n", name, (double)b.len / 1e6 / best);
        printf("scrape_parse_%s_samples %.0f samples/s\n", name, (double)samples / best);
        scrape_parser_free(&p);
        buf_free(&b);
    }
    return 0;
}
