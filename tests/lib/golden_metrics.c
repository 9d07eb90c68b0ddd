/* Mirrors tests/lib/gen_goldens.py line by line; keep the two in step. */
#include "golden_metrics.h"

#include <math.h>

#include "core/hclock.h"

#define LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

int golden_build(heron_registry *r)
{
    hclock_freeze_wall(1700000000500000000LL);
    heron_family *requests, *tasks, *transferred, *loss, *accuracy, *memory,
        *retention, *inference, *default_hist, *batch;
    int rc = 0;
    rc |= heron_counter_new(&(heron_opts){.registry = r, .name = "http_requests",
                                          .help = "Requests served, by \"method\" and code.\nSecond line \\ backslash.",
                                          .labels = LABELS("method", "code")},
                            &requests, NULL);
    heron_counter_add(heron_counter_with(requests, "GET", "200"), 3);
    heron_counter_add(heron_counter_with(requests, "POST", "500"), 0.25);
    heron_counter_inc(heron_counter_with(requests, "we\"ird\\va\nlue", "404"));

    rc |= heron_counter_new(&(heron_opts){.registry = r, .name = "tasks_learned_total",
                                          .help = "Tasks learned so far."},
                            &tasks, NULL);
    rc |= heron_counter_add_exemplar(heron_counter_with(tasks), 7,
                                     LABELS("trace_id", "abc123"), NULL);

    rc |= heron_counter_new(&(heron_opts){.registry = r, .name = "transferred",
                                          .help = "Bytes moved.", .unit = "bytes"},
                            &transferred, NULL);
    heron_counter_add(heron_counter_with(transferred), 1234567);

    rc |= heron_gauge_new(&(heron_opts){.registry = r, .name = "training_loss",
                                        .help = "Current training loss."},
                          &loss, NULL);
    heron_gauge_set(heron_gauge_with(loss), 0.0123);
    rc |= heron_gauge_new(&(heron_opts){.registry = r, .name = "training_accuracy",
                                        .help = "Accuracy."},
                          &accuracy, NULL);
    heron_gauge_set(heron_gauge_with(accuracy), 0.9375);
    rc |= heron_gauge_new(&(heron_opts){.registry = r, .name = "memory_usage_bytes",
                                        .help = "Memory in use.", .labels = LABELS("device")},
                          &memory, NULL);
    heron_gauge_set(heron_gauge_with(memory, "cuda:0"), 1e20);
    heron_gauge_set(heron_gauge_with(memory, "cuda:1"), 2147483648.0);
    heron_gauge_set(heron_gauge_with(memory, "cpu"), -1e-7);
    heron_gauge_set(heron_gauge_with(memory, "disk"), INFINITY);
    heron_gauge_set(heron_gauge_with(memory, "swap"), -INFINITY);
    heron_gauge_set(heron_gauge_with(memory, "nan"), NAN);
    rc |= heron_gauge_new(&(heron_opts){.registry = r, .name = "knowledge_retention_score",
                                        .help = "Retention per task.", .labels = LABELS("task_id")},
                          &retention, NULL);
    heron_gauge_set(heron_gauge_with(retention, "1"), 0.1);
    heron_gauge_set(heron_gauge_with(retention, "2"), 123456.789);
    heron_gauge_set(heron_gauge_with(retention, "3"), 1e-5);

    static const double bounds[] = {0.001, 0.01, 0.1, 1, 10};
    rc |= heron_histogram_new(&(heron_opts){.registry = r, .name = "inference_duration_seconds",
                                            .help = "Inference latency.", .labels = LABELS("model")},
                              &(heron_buckets){bounds, 5}, &inference, NULL);
    heron_histogram *resnet = heron_histogram_with(inference, "resnet");
    heron_histogram_observe(resnet, 0.005);
    rc |= heron_histogram_observe_exemplar(resnet, 0.5, LABELS("trace_id", "def456"), NULL);
    heron_histogram_observe(resnet, 42);

    rc |= heron_histogram_new(&(heron_opts){.registry = r, .name = "request_size",
                                            .help = "Default buckets.", .unit = "bytes"},
                              NULL, &default_hist, NULL);
    heron_histogram_observe(heron_histogram_with(default_hist), 0.3);

    rc |= heron_summary_new(&(heron_opts){.registry = r, .name = "batch_seconds",
                                          .help = "Batch time."},
                            NULL, &batch, NULL);
    heron_summary_observe(heron_summary_with(batch), 1.5);
    heron_summary_observe(heron_summary_with(batch), 2.25);
    return rc;
}
