/*
 * dp_training — a DP-SGD training loop that spends its privacy budget one
 * step at a time and stops when the monitor says the next step would
 * exceed it.
 *
 *   dp_training [--epsilon-budget E] [--noise S] [--batch B] [--port N]
 *
 * The model is a logistic regression on synthetic 2-D data; each step
 * Poisson-samples a batch (rate q = B / N), clips every per-example
 * gradient to L2 norm C, adds N(0, (σC)²) noise to the sum and updates.
 * Each step is one subsampled Gaussian mechanism (σ, q) for the
 * accountant. With --port the privacy_* metrics are served on
 * http://127.0.0.1:N/metrics while it trains; at the end they are printed.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heron.h"

#define EXAMPLES 10000
#define MAX_STEPS 200000L
#define CLIP 1.0
#define LEARNING_RATE 0.5

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static double uniform(void) /* (0, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(void)
{
    return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static void die(const char *what, const heron_err *err)
{
    fprintf(stderr, "dp_training: %s: %s\n", what, err->msg);
    exit(1);
}

typedef struct data {
    double x[EXAMPLES][2];
    int y[EXAMPLES];
} data;

static void make_data(data *d)
{
    for (int i = 0; i < EXAMPLES; i++) {
        d->y[i] = i % 2;
        double c = d->y[i] ? 1 : -1;
        d->x[i][0] = c + normal();
        d->x[i][1] = 0.5 * c + normal();
    }
}

static double accuracy(const data *d, const double w[3])
{
    int right = 0;
    for (int i = 0; i < EXAMPLES; i++) {
        double z = w[0] * d->x[i][0] + w[1] * d->x[i][1] + w[2];
        right += (z > 0) == d->y[i];
    }
    return (double)right / EXAMPLES;
}

/* One DP-SGD step: Poisson sample, clipped per-example gradients, noise. */
static void dp_sgd_step(const data *d, double w[3], double q, double sigma)
{
    double sum[3] = {0, 0, 0};
    for (int i = 0; i < EXAMPLES; i++) {
        if (uniform() >= q)
            continue;
        double z = w[0] * d->x[i][0] + w[1] * d->x[i][1] + w[2];
        double err = 1 / (1 + exp(-z)) - d->y[i];
        double g[3] = {err * d->x[i][0], err * d->x[i][1], err};
        double norm = sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
        double scale = norm > CLIP ? CLIP / norm : 1;
        for (int k = 0; k < 3; k++)
            sum[k] += g[k] * scale;
    }
    double expected_batch = q * EXAMPLES;
    for (int k = 0; k < 3; k++)
        w[k] -= LEARNING_RATE * (sum[k] + sigma * CLIP * normal()) /
                expected_batch;
}

static void print_privacy_metrics(heron_registry *reg)
{
    char *text;
    size_t len;
    heron_err err = {0};
    if (heron_registry_expose(reg, HERON_FORMAT_TEXT, &text, &len, &err))
        die("exposition", &err);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, "privacy_", 8) == 0)
            printf("  %s\n", line);
    free(text);
}

int main(int argc, char **argv)
{
    double budget = 2, sigma = 1.1;
    int batch = 100, port = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--epsilon-budget") == 0)
            budget = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--noise") == 0)
            sigma = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--batch") == 0)
            batch = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
    }
    double q = (double)batch / EXAMPLES;

    heron_err err = {0};
    heron_registry *reg = heron_default_registry();
    const char *const labels[] = {"layer", "session_id", NULL};
    heron_privacy_monitor_opts opts = {
        .model_id = "logreg",
        .labels = labels,
        .epsilon_budget = budget,
        .delta_budget = 1e-5,
        .delta = 1e-5,
        .conversion = HERON_PRIVACY_IMPROVED,
    };
    heron_privacy_monitor *mon;
    if (heron_privacy_monitor_new(&opts, &mon, &err))
        die("privacy monitor", &err);
    heron_endpoint *ep = NULL;
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%d", port);
    if (port >= 0 && heron_endpoint_start(reg, address, &ep, &err))
        die("endpoint", &err);

    data *d = malloc(sizeof *d);
    if (!d)
        return 1;
    make_data(d);
    double w[3] = {0, 0, 0};
    heron_privacy_mechanism step = {HERON_PRIVACY_SUBSAMPLED_GAUSSIAN, sigma,
                                    q, 1};
    const char *const values[] = {"dense", "run-1", NULL};
    heron_privacy_spend spend = {.operation = "dp_sgd_step",
                                 .label_values = values,
                                 .mechanism = &step,
                                 .clip_norm = CLIP};
    long steps = 0;
    int rc;
    while (steps < MAX_STEPS &&
           (rc = heron_privacy_monitor_try_spend(mon, &spend, &err)) == 0) {
        dp_sgd_step(d, w, q, sigma);
        steps++;
    }
    if (steps < MAX_STEPS && rc != HERON_ERANGE)
        die("try_spend", &err);

    heron_privacy_status st;
    heron_privacy_monitor_status(mon, &st);
    printf("stopped after %ld steps: %s\n", steps,
           steps < MAX_STEPS ? err.msg : "step limit");
    printf("spent epsilon %.4f (order %g) at delta %g of a budget of %g; "
           "accuracy %.3f\n",
           st.epsilon, st.order, st.delta, budget, accuracy(d, w));
    print_privacy_metrics(reg);
    heron_endpoint_stop(ep);
    heron_privacy_monitor_free(mon);
    free(d);
    return 0;
}
