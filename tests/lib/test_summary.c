/*
 * test_summary.c — summary quantiles: the estimate stays within the
 * sketch's error bound, the window forgets old observations, and an empty
 * window gives NaN. The sketch is driven with explicit times, so nothing
 * here waits on the clock.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heron.h"
#include "lib/sketch.h"

#define SEC 1000000000ULL

static void quantiles_within_bound(void **state)
{
    (void)state;
    sketch *s = sketch_new(5, 60 * SEC);
    assert_non_null(s);
    for (int i = 1; i <= 10000; i++)
        sketch_observe(s, i * 0.001, 10 * SEC); /* 0.001 .. 10 */
    const double q[] = {0, 0.5, 0.9, 0.99, 1};
    const double exact[] = {0.001, 5.0, 9.0, 9.9, 10.0};
    double got[5];
    assert_int_equal(sketch_quantiles(s, q, 5, 10 * SEC, got), 0);
    for (int i = 0; i < 5; i++)
        assert_true(fabs(got[i] - exact[i]) <= 0.016 * exact[i]);
    sketch_free(s);
}

static void negative_and_zero_values(void **state)
{
    (void)state;
    sketch *s = sketch_new(1, SEC);
    for (int i = -50; i <= 50; i++)
        sketch_observe(s, i, 0);
    sketch_observe(s, NAN, 0); /* ignored */
    const double q[] = {0, 0.5, 1};
    double got[3];
    assert_int_equal(sketch_quantiles(s, q, 3, 0, got), 0);
    assert_true(fabs(got[0] + 50) <= 0.8);
    assert_true(got[1] == 0);
    assert_true(fabs(got[2] - 50) <= 0.8);
    sketch_free(s);
}

static void window_forgets(void **state)
{
    (void)state;
    sketch *s = sketch_new(5, 2 * SEC); /* a 10 s window */
    sketch_observe(s, 100, 0);
    sketch_observe(s, 1, 9 * SEC);
    const double q[] = {1};
    double got;
    assert_int_equal(sketch_quantiles(s, q, 1, 9 * SEC, &got), 0);
    assert_true(fabs(got - 100) <= 1.6);
    assert_int_equal(sketch_quantiles(s, q, 1, 11 * SEC, &got), 0);
    assert_true(fabs(got - 1) <= 0.016); /* the 100 has aged out */
    assert_int_equal(sketch_quantiles(s, q, 1, 60 * SEC, &got), 0);
    assert_true(isnan(got));
    /* a slot reused for a later epoch starts from zero */
    sketch_observe(s, 7, 61 * SEC);
    assert_int_equal(sketch_quantiles(s, q, 1, 61 * SEC, &got), 0);
    assert_true(fabs(got - 7) <= 0.12);
    sketch_free(s);
}

static void summary_exposes_quantiles(void **state)
{
    (void)state;
    heron_registry *r;
    assert_int_equal(heron_registry_new(&r, NULL), 0);
    heron_family *f;
    static const double q[] = {0.5, 0.99};
    static const char *const labels[] = {"model", NULL};
    assert_int_equal(heron_summary_new(&(heron_opts){.registry = r, .name = "latency_seconds",
                                                     .help = "h", .labels = labels},
                                       &(heron_summary_opts){.quantiles = q, .quantile_count = 2},
                                       &f, NULL),
                     0);
    heron_summary *s = heron_summary_with(f, "bert");
    for (int i = 0; i < 100; i++)
        heron_summary_observe(s, 2.0);
    char *out;
    size_t len;
    assert_int_equal(heron_registry_expose(r, HERON_FORMAT_TEXT, &out, &len, NULL), 0);
    assert_non_null(strstr(out, "latency_seconds{model=\"bert\",quantile=\"0.5\"} 2.03125\n"));
    assert_non_null(strstr(out, "latency_seconds{model=\"bert\",quantile=\"0.99\"} 2.03125\n"));
    assert_non_null(strstr(out, "latency_seconds_count{model=\"bert\"} 100.0\n"));
    assert_non_null(strstr(out, "latency_seconds_sum{model=\"bert\"} 200.0\n"));
    free(out);
    heron_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quantiles_within_bound),
        cmocka_unit_test(negative_and_zero_values),
        cmocka_unit_test(window_forgets),
        cmocka_unit_test(summary_exposes_quantiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
