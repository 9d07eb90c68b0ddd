/*
 * test_validation.c — every way to misuse the metrics API gets an error
 * code and a message naming the metric, never a crash.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heron.h"

#define LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

static heron_registry *reg;

static int setup(void **state)
{
    (void)state;
    return heron_registry_new(&reg, NULL);
}

static int teardown(void **state)
{
    (void)state;
    heron_registry_free(reg);
    return 0;
}

static void expect_counter_error(const char *name, const char *const *labels,
                                 int code, const char *needle)
{
    heron_family *f = NULL;
    heron_err err = {0};
    int rc = heron_counter_new(&(heron_opts){.registry = reg, .name = name,
                                             .help = "h", .labels = labels},
                               &f, &err);
    assert_int_equal(rc, code);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.msg, needle));
}

static void invalid_metric_names(void **state)
{
    (void)state;
    expect_counter_error("1abc", NULL, HERON_EINVAL, "invalid metric name \"1abc\"");
    expect_counter_error("a-b", NULL, HERON_EINVAL, "\"a-b\"");
    expect_counter_error("", NULL, HERON_EINVAL, "invalid metric name");
    heron_err err = {0};
    heron_family *f;
    assert_int_equal(heron_counter_new(NULL, &f, &err), HERON_EINVAL);
    assert_int_equal(heron_counter_new(&(heron_opts){.registry = reg, .name = "ok", .unit = "a b"}, &f, &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "invalid unit"));
}

static void invalid_and_reserved_labels(void **state)
{
    (void)state;
    expect_counter_error("m1", LABELS("9x"), HERON_EINVAL, "metric m1: invalid label name \"9x\"");
    expect_counter_error("m2", LABELS("__name__"), HERON_EINVAL, "reserved");
    expect_counter_error("m3", LABELS("a", "a"), HERON_EINVAL, "duplicate label name \"a\"");
    heron_family *f;
    heron_err err = {0};
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = reg, .name = "h1", .labels = LABELS("le")},
                                         NULL, &f, &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "\"le\" is reserved"));
    assert_int_equal(heron_summary_new(&(heron_opts){.registry = reg, .name = "s1", .labels = LABELS("quantile")},
                                       NULL, &f, &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "\"quantile\" is reserved"));
    /* "le" is an ordinary label on a gauge */
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = reg, .name = "g_le", .labels = LABELS("le")},
                                     &f, &err),
                     0);
}

static void duplicate_registration(void **state)
{
    (void)state;
    heron_family *f;
    heron_err err = {0};
    assert_int_equal(heron_counter_new(&(heron_opts){.registry = reg, .name = "jobs_total"}, &f, &err), 0);
    expect_counter_error("jobs", NULL, HERON_EEXIST, "metric jobs: duplicated time series name jobs");
    /* a gauge named like the counter's sample collides too */
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = reg, .name = "jobs_created"}, &f, &err),
                     HERON_EEXIST);
    assert_non_null(strstr(err.msg, "jobs_created"));
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = reg, .name = "lat"}, NULL, &f, &err), 0);
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = reg, .name = "lat_bucket"}, &f, &err),
                     HERON_EEXIST);
    /* after unregistering, the name is free again */
    heron_family *g;
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = reg, .name = "temp"}, &g, &err), 0);
    assert_int_equal(heron_family_unregister(g, &err), 0);
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = reg, .name = "temp"}, &g, &err), 0);
}

static void wrong_label_count_and_kind(void **state)
{
    (void)state;
    heron_family *f;
    heron_err err = {0};
    assert_int_equal(heron_counter_new(&(heron_opts){.registry = reg, .name = "calls",
                                                     .labels = LABELS("method", "code")},
                                       &f, &err),
                     0);
    heron_counter *c = NULL;
    assert_int_equal(heron_counter_labels(f, LABELS("GET"), &c, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "metric calls: got 1 label values, want 2"));
    assert_null(heron_counter_with(f, "GET", "200", "extra"));
    assert_non_null(strstr(heron_last_error(), "metric calls: got 3 label values"));
    assert_null(heron_counter_with(f));
    heron_gauge *g = NULL;
    assert_int_equal(heron_gauge_labels(f, LABELS("GET", "200"), &g, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "metric calls is a counter, not a gauge"));
    assert_int_equal(heron_counter_labels(f, LABELS("GET", "\xff\xfe"), &c, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "not valid UTF-8"));
    /* the same values give the same handle */
    assert_ptr_equal(heron_counter_with(f, "GET", "200"), heron_counter_with(f, "GET", "200"));
}

static void negative_counter_increment(void **state)
{
    (void)state;
    heron_family *f;
    assert_int_equal(heron_counter_new(&(heron_opts){.registry = reg, .name = "steps"}, &f, NULL), 0);
    heron_counter *c = heron_counter_with(f);
    assert_int_equal(heron_counter_add(c, -1), HERON_EINVAL);
    assert_non_null(strstr(heron_last_error(), "counter steps"));
    assert_int_equal(heron_counter_add(c, NAN), HERON_EINVAL);
    assert_int_equal(heron_counter_add(c, 2.5), 0);
    heron_counter_inc(c);
    assert_true(heron_counter_value(c) == 3.5);
    heron_err err = {0};
    assert_int_equal(heron_counter_add_exemplar(c, -2, LABELS("a", "b"), &err), HERON_EINVAL);
    assert_true(heron_counter_value(c) == 3.5);
}

static void bucket_layouts(void **state)
{
    (void)state;
    heron_family *f;
    heron_err err = {0};
    static const double unordered[] = {1, 0.5};
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = reg, .name = "b1"},
                                         &(heron_buckets){unordered, 2}, &f, &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "histogram b1: bucket bounds must be strictly increasing"));
    static const double dup[] = {1, 1};
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = reg, .name = "b2"},
                                         &(heron_buckets){dup, 2}, &f, &err),
                     HERON_EINVAL);
    static const double nan_bound[] = {NAN};
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = reg, .name = "b3"},
                                         &(heron_buckets){nan_bound, 1}, &f, &err),
                     HERON_EINVAL);
    static const double only_inf[] = {INFINITY};
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = reg, .name = "b4"},
                                         &(heron_buckets){only_inf, 1}, &f, &err),
                     HERON_EINVAL);
    static const double with_inf[] = {1, 2, INFINITY};
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = reg, .name = "b5"},
                                         &(heron_buckets){with_inf, 3}, &f, &err),
                     0);

    double out[4];
    assert_int_equal(heron_buckets_linear(1, 0.5, 4, out), 0);
    assert_true(out[0] == 1 && out[3] == 2.5);
    assert_int_equal(heron_buckets_linear(1, 0, 4, out), HERON_EINVAL);
    assert_int_equal(heron_buckets_exponential(1, 2, 4, out), 0);
    assert_true(out[3] == 8);
    assert_int_equal(heron_buckets_exponential(0, 2, 4, out), HERON_EINVAL);
    assert_int_equal(heron_buckets_exponential(1, 1, 4, out), HERON_EINVAL);
    assert_int_equal(heron_buckets_exponential(1, 2, 0, out), HERON_EINVAL);
}

static void summary_options(void **state)
{
    (void)state;
    heron_family *f;
    heron_err err = {0};
    static const double bad_q[] = {0.5, 1.5};
    assert_int_equal(heron_summary_new(&(heron_opts){.registry = reg, .name = "q1"},
                                       &(heron_summary_opts){.quantiles = bad_q, .quantile_count = 2},
                                       &f, &err),
                     HERON_EINVAL);
    assert_non_null(strstr(err.msg, "summary q1: quantile 1.5 is outside [0, 1]"));
    static const double q[] = {0.5};
    assert_int_equal(heron_summary_new(&(heron_opts){.registry = reg, .name = "q2"},
                                       &(heron_summary_opts){.quantiles = q, .quantile_count = 1,
                                                             .max_age_seconds = -1},
                                       &f, &err),
                     HERON_EINVAL);
}

static void exemplar_labels(void **state)
{
    (void)state;
    heron_family *f;
    heron_err err = {0};
    assert_int_equal(heron_counter_new(&(heron_opts){.registry = reg, .name = "ex"}, &f, NULL), 0);
    heron_counter *c = heron_counter_with(f);
    char long_value[200];
    memset(long_value, 'x', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    assert_int_equal(heron_counter_add_exemplar(c, 1, LABELS("trace_id", long_value), &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "128"));
    assert_int_equal(heron_counter_add_exemplar(c, 1, LABELS("bad-name", "v"), &err), HERON_EINVAL);
    assert_int_equal(heron_counter_add_exemplar(c, 1, (const char *const[]){"trace_id", NULL}, &err),
                     HERON_EINVAL);
    assert_true(heron_counter_value(c) == 0);
}

static void removing_series(void **state)
{
    (void)state;
    heron_family *f;
    heron_err err = {0};
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = reg, .name = "rm", .labels = LABELS("k")},
                                     &f, NULL),
                     0);
    heron_gauge_set(heron_gauge_with(f, "a"), 1);
    heron_gauge_set(heron_gauge_with(f, "b"), 2);
    assert_int_equal(heron_family_remove(f, LABELS("a"), &err), 0);
    assert_int_equal(heron_family_remove(f, LABELS("a"), &err), HERON_ENOENT);
    heron_registry *solo;
    assert_int_equal(heron_registry_new(&solo, NULL), 0);
    heron_family *g;
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = solo, .name = "rm", .labels = LABELS("k")},
                                     &g, NULL),
                     0);
    heron_gauge_set(heron_gauge_with(g, "b"), 2);
    char *out;
    size_t len;
    assert_int_equal(heron_registry_expose(solo, HERON_FORMAT_TEXT, &out, &len, NULL), 0);
    assert_non_null(strstr(out, "rm{k=\"b\"} 2.0\n"));
    assert_null(strstr(out, "k=\"a\""));
    free(out);
    heron_registry_free(solo);
}

static void collector_registration(void **state)
{
    (void)state;
    heron_err err = {0};
    assert_int_equal(heron_collector_register(reg, NULL, NULL, NULL, &err), HERON_EINVAL);
    assert_int_equal(heron_process_collector_register(reg, -5, &err), HERON_EINVAL);
    assert_int_equal(heron_process_collector_register(reg, 0, &err), 0);
    assert_int_equal(heron_process_collector_register(reg, 0, &err), HERON_EEXIST);
    assert_int_equal(heron_collector_unregister(reg, "process", &err), 0);
    assert_int_equal(heron_collector_unregister(reg, "process", &err), HERON_ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(invalid_metric_names, setup, teardown),
        cmocka_unit_test_setup_teardown(invalid_and_reserved_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_registration, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_label_count_and_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(negative_counter_increment, setup, teardown),
        cmocka_unit_test_setup_teardown(bucket_layouts, setup, teardown),
        cmocka_unit_test_setup_teardown(summary_options, setup, teardown),
        cmocka_unit_test_setup_teardown(exemplar_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(removing_series, setup, teardown),
        cmocka_unit_test_setup_teardown(collector_registration, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
