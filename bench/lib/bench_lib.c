/*
 * bench_lib — libheron's hot paths, printed as `name value unit` lines:
 * counter increment (1 thread, and 2 threads on one child), histogram
 * observe, labelled lookup, and exposition throughput for 100k series.
 * bench/lib/peer_python.py measures the Python client the same way.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "heron.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#define INCS 200000000L

typedef struct inc_job {
    heron_counter *c;
    long n;
    double seconds;
} inc_job;

static void *inc_loop(void *arg)
{
    inc_job *j = arg;
    double t = now();
    for (long i = 0; i < j->n; i++)
        heron_counter_inc(j->c);
    j->seconds = now() - t;
    return NULL;
}

static void bench_counter(heron_registry *r)
{
    heron_family *f;
    heron_counter_new(&(heron_opts){.registry = r, .name = "bench_incs"}, &f, NULL);
    heron_counter *c = heron_counter_with(f);
    inc_job one = {c, INCS, 0};
    inc_loop(&one);
    printf("counter_inc_1thread %.2f ns/op\n", one.seconds / INCS * 1e9);

    inc_job two[2] = {{c, INCS / 2, 0}, {c, INCS / 2, 0}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, inc_loop, &two[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    double worst = two[0].seconds > two[1].seconds ? two[0].seconds : two[1].seconds;
    printf("counter_inc_2threads_same_child %.2f ns/op\n", worst / (INCS / 2) * 1e9);
    if (heron_counter_value(c) != 2.0 * INCS)
        fprintf(stderr, "bench_lib: lost increments!\n");
}

static void bench_histogram(heron_registry *r)
{
    heron_family *f;
    heron_histogram_new(&(heron_opts){.registry = r, .name = "bench_observe"}, NULL, &f, NULL);
    heron_histogram *h = heron_histogram_with(f);
    const long n = 50000000;
    double v = 0.0005, t = now();
    for (long i = 0; i < n; i++) {
        heron_histogram_observe(h, v);
        v = v < 20 ? v * 1.37 : 0.0005; /* walks every bucket */
    }
    printf("histogram_observe %.2f ns/op\n", (now() - t) / n * 1e9);
}

static void bench_lookup(heron_registry *r)
{
    static const char *const labels[] = {"method", "path", "code", NULL};
    heron_family *f;
    heron_counter_new(&(heron_opts){.registry = r, .name = "bench_lookup", .labels = labels}, &f, NULL);
    heron_counter_inc(heron_counter_with(f, "GET", "/api/v1/query", "200"));
    const long n = 10000000;
    double t = now();
    for (long i = 0; i < n; i++)
        heron_counter_inc(heron_counter_with(f, "GET", "/api/v1/query", "200"));
    printf("labelled_lookup %.2f ns/op\n", (now() - t) / n * 1e9);
}

static void bench_exposition(void)
{
    heron_registry *r;
    heron_registry_new(&r, NULL);
    static const char *const labels[] = {"instance", "job", NULL};
    const int families = 100, per = 1000; /* 100k series */
    for (int i = 0; i < families; i++) {
        char name[32];
        snprintf(name, sizeof name, "bench_family_%d", i);
        heron_family *f;
        heron_counter_new(&(heron_opts){.registry = r, .name = name, .help = "A benchmark family.",
                                        .labels = labels},
                          &f, NULL);
        for (int j = 0; j < per; j++) {
            char inst[32];
            snprintf(inst, sizeof inst, "host-%d:9100", j);
            heron_counter_add(heron_counter_with(f, inst, "node"), (double)(i * j) + 0.5);
        }
    }
    for (int fmt = 0; fmt < 2; fmt++) {
        const int rounds = 10;
        size_t bytes = 0;
        double t = now();
        for (int k = 0; k < rounds; k++) {
            char *out;
            size_t len;
            heron_registry_expose(r, (heron_format)fmt, &out, &len, NULL);
            bytes = len;
            free(out);
        }
        double secs = (now() - t) / rounds;
        const char *name = fmt ? "openmetrics" : "text";
        printf("exposition_%s_100k_series %.0f series/s\n", name, families * per / secs);
        printf("exposition_%s_100k_series_bytes %zu bytes\n", name, bytes);
    }
    heron_registry_free(r);
}

int main(void)
{
    heron_registry *r;
    heron_registry_new(&r, NULL);
    bench_counter(r);
    bench_histogram(r);
    bench_lookup(r);
    heron_registry_free(r);
    bench_exposition();
    return 0;
}
