/*
 * bench_privacy — the privacy accountant's costs, as `name value unit`
 * lines: a composed step (the same mechanism again), an ε query over the
 * 156 default orders, a monitor try_spend (check, compose, metrics), and
 * the one-off per-step RDP curve of a new subsampled Gaussian over the
 * default orders (easy and slow-tail parameters).
 */
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

static void die(const char *what, const heron_err *err)
{
    fprintf(stderr, "bench_privacy: %s: %s\n", what, err->msg);
    exit(1);
}

#define STEPS 10000000L
#define QUERIES 200000L
#define SPENDS 200000L

static void bench_accountant(void)
{
    heron_err err = {0};
    heron_privacy_accountant *a;
    if (heron_privacy_accountant_new(NULL, 0, &a, &err))
        die("accountant", &err);
    heron_privacy_mechanism m = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.1, 0.001,
                                 1};
    if (heron_privacy_accountant_compose(a, &m, &err)) /* computes the curve */
        die("compose", &err);
    double t = now();
    for (long i = 0; i < STEPS; i++)
        heron_privacy_accountant_compose(a, &m, NULL);
    printf("privacy_compose_step %.2f ns/op\n", (now() - t) / STEPS * 1e9);

    double eps = 0, order, sum = 0;
    t = now();
    for (long i = 0; i < QUERIES; i++) {
        /* a step between queries, so no query is served from a cache */
        heron_privacy_accountant_compose(a, &m, NULL);
        heron_privacy_accountant_epsilon(a, 1e-5, HERON_PRIVACY_IMPROVED, &eps,
                                         &order, NULL);
        sum += eps;
    }
    printf("privacy_epsilon_query %.0f ns/op\n", (now() - t) / QUERIES * 1e9);
    if (!(sum > 0))
        fprintf(stderr, "bench_privacy: no epsilon?\n");
    heron_privacy_accountant_free(a);
}

static void bench_monitor(void)
{
    heron_err err = {0};
    heron_registry *reg;
    heron_privacy_monitor *mon;
    if (heron_registry_new(&reg, &err))
        die("registry", &err);
    const char *const labels[] = {"layer", NULL};
    heron_privacy_monitor_opts o = {.registry = reg,
                                    .model_id = "bench",
                                    .labels = labels,
                                    .epsilon_budget = 1e9,
                                    .delta_budget = 1e-5,
                                    .delta = 1e-5};
    if (heron_privacy_monitor_new(&o, &mon, &err))
        die("monitor", &err);
    heron_privacy_mechanism m = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, 1.1, 0.001,
                                 1};
    const char *const values[] = {"all", NULL};
    heron_privacy_spend s = {.operation = "step", .label_values = values,
                             .mechanism = &m};
    double t = now();
    for (long i = 0; i < SPENDS; i++)
        if (heron_privacy_monitor_try_spend(mon, &s, &err))
            die("try_spend", &err);
    printf("privacy_monitor_try_spend %.0f ns/op\n",
           (now() - t) / SPENDS * 1e9);
    heron_privacy_monitor_free(mon);
    heron_registry_free(reg);
}

static void bench_curve(const char *name, double q, double sigma, int reps)
{
    double orders[HERON_RDP_ORDERS_MAX], curve[HERON_RDP_ORDERS_MAX];
    size_t n = heron_rdp_orders_default(orders);
    heron_privacy_mechanism m = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, sigma, q,
                                 1};
    heron_err err = {0};
    double t = now();
    for (int i = 0; i < reps; i++)
        if (heron_rdp_curve(&m, orders, n, curve, &err))
            die("curve", &err);
    printf("%s %.1f us/op\n", name, (now() - t) / reps * 1e6);
}

int main(void)
{
    bench_accountant();
    bench_monitor();
    bench_curve("privacy_rdp_curve_default_q0.01_sigma1.1", 0.01, 1.1, 200);
    bench_curve("privacy_rdp_curve_default_q0.5_sigma10", 0.5, 10, 50);
    return 0;
}
