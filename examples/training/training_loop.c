/*
 * training_loop — a toy training job instrumented with libheron, exposing
 * the metrics the seed dashboards and alerts use on http://127.0.0.1:8000/metrics.
 *
 *   training_loop [--port N] [--steps N]
 *
 * Scrape it with any Prometheus (see README.md here) or with heron itself.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heron.h"

static void die(const char *what, const heron_err *err)
{
    fprintf(stderr, "training_loop: %s: %s\n", what, err->msg);
    exit(1);
}

int main(int argc, char **argv)
{
    int port = 8000;
    long steps = 0; /* 0: run until killed */
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--steps") == 0)
            steps = atol(argv[i + 1]);
    }

    heron_err err = {0};
    heron_family *loss, *accuracy, *tasks, *inference, *memory, *retention;
    static const double inference_buckets[] = {0.001, 0.01, 0.1, 1, 10};
    static const char *const device[] = {"device", NULL};
    static const char *const task_id[] = {"task_id", NULL};
    if (heron_gauge_new(&(heron_opts){.name = "training_loss", .help = "Current training loss."}, &loss, &err) ||
        heron_gauge_new(&(heron_opts){.name = "training_accuracy", .help = "Current training accuracy."}, &accuracy, &err) ||
        heron_counter_new(&(heron_opts){.name = "tasks_learned_total", .help = "Tasks learned so far."}, &tasks, &err) ||
        heron_histogram_new(&(heron_opts){.name = "inference_duration_seconds", .help = "Time spent on one inference."},
                            &(heron_buckets){inference_buckets, 5}, &inference, &err) ||
        heron_gauge_new(&(heron_opts){.name = "memory_usage_bytes", .help = "Memory in use, by device.", .labels = device},
                        &memory, &err) ||
        heron_gauge_new(&(heron_opts){.name = "knowledge_retention_score", .help = "How well each learned task is retained.",
                                      .labels = task_id},
                        &retention, &err))
        die("registering metrics", &err);
    if (heron_process_collector_register(NULL, 0, &err))
        die("process collector", &err);

    /* Two lines expose everything on /metrics. */
    char address[64];
    snprintf(address, sizeof address, "127.0.0.1:%d", port);
    heron_endpoint *ep;
    if (heron_endpoint_start(NULL, address, &ep, &err))
        die("starting the /metrics endpoint", &err);
    printf("serving metrics on http://127.0.0.1:%d/metrics\n", heron_endpoint_port(ep));
    fflush(stdout);

    /* Handles are looked up once and reused in the loop. */
    heron_gauge *loss_g = heron_gauge_with(loss), *acc_g = heron_gauge_with(accuracy);
    heron_histogram *infer_h = heron_histogram_with(inference);
    heron_gauge *gpu_mem = heron_gauge_with(memory, "cuda:0");
    heron_gauge *cpu_mem = heron_gauge_with(memory, "cpu");
    heron_counter *tasks_c = heron_counter_with(tasks);

    for (long step = 1; steps == 0 || step <= steps; step++) {
        HERON_TIME_HISTOGRAM(infer_h) {
            struct timespec nap = {0, 2000000}; /* the "model" */
            nanosleep(&nap, NULL);
        }
        heron_gauge_set(loss_g, 2.0 * exp(-(double)step / 500.0) + 0.05);
        heron_gauge_set(acc_g, 1.0 - exp(-(double)step / 400.0));
        heron_gauge_set(gpu_mem, 6e9 + 1e6 * (double)(step % 100));
        heron_gauge_set(cpu_mem, 1.5e9);
        if (step % 1000 == 0) {
            heron_counter_inc(tasks_c);
            char task[24];
            snprintf(task, sizeof task, "%ld", step / 1000);
            heron_gauge_set(heron_gauge_with(retention, task), 0.99);
        }
    }
    heron_endpoint_stop(ep);
    return 0;
}
