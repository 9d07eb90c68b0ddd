/*
 * test_helpers.c — the timing and gauge helpers, and callback collectors
 * writing through a heron_sink.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/hclock.h"
#include "heron.h"

static char *expose(heron_registry *r, heron_format fmt)
{
    char *out;
    size_t len;
    assert_int_equal(heron_registry_expose(r, fmt, &out, &len, NULL), 0);
    return out;
}

static void timers_and_gauges(void **state)
{
    (void)state;
    heron_registry *r;
    assert_int_equal(heron_registry_new(&r, NULL), 0);
    heron_family *h, *g, *busy;
    static const double bounds[] = {0.001, 10};
    assert_int_equal(heron_histogram_new(&(heron_opts){.registry = r, .name = "work_seconds"},
                                         &(heron_buckets){bounds, 2}, &h, NULL), 0);
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = r, .name = "last_run"}, &g, NULL), 0);
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = r, .name = "busy"}, &busy, NULL), 0);
    heron_gauge *inprogress = heron_gauge_with(busy);

    int ran = 0;
    HERON_TIME_HISTOGRAM(heron_histogram_with(h)) {
        HERON_TRACK_INPROGRESS(inprogress) {
            assert_true(heron_gauge_value(inprogress) == 1);
            struct timespec nap = {0, 3000000};
            nanosleep(&nap, NULL);
            ran++;
        }
    }
    assert_int_equal(ran, 1);
    assert_true(heron_gauge_value(inprogress) == 0);
    char *out = expose(r, HERON_FORMAT_TEXT);
    /* slept 3 ms: past the 1 ms bucket, well inside 10 s */
    assert_non_null(strstr(out, "work_seconds_bucket{le=\"0.001\"} 0.0\n"));
    assert_non_null(strstr(out, "work_seconds_bucket{le=\"10.0\"} 1.0\n"));
    assert_non_null(strstr(out, "work_seconds_count 1.0\n"));
    free(out);

    heron_timer t = heron_timer_start();
    assert_true(heron_timer_elapsed(&t) >= 0);
    heron_timer_set_gauge(&t, heron_gauge_with(g));
    assert_true(heron_gauge_value(heron_gauge_with(g)) >= 0);

    hclock_freeze_wall(1700000000250000000LL);
    heron_gauge_set_to_current_time(heron_gauge_with(g));
    assert_true(heron_gauge_value(heron_gauge_with(g)) == 1700000000.25);
    hclock_freeze_wall(0);

    heron_gauge_dec(inprogress);
    heron_gauge_add(inprogress, 0.5);
    assert_true(heron_gauge_value(inprogress) == -0.5);
    heron_registry_free(r);
}

static void collect_fixture(heron_sink *s, void *arg)
{
    (void)arg;
    static const char *const names[] = {"zone", "gpu", NULL};
    heron_sink_family(s, HERON_GAUGE, "gpu_temperature", "GPU \"temp\"", "celsius", names);
    heron_sink_value(s, (const char *const[]){"eu", "0", NULL}, 61.5);
    heron_sink_value(s, (const char *const[]){"eu\n\"x\"", "1", NULL}, 70);
    heron_sink_value(s, (const char *const[]){"too few", NULL}, 1); /* dropped */
    heron_sink_value(s, (const char *const[]){"\xff\xfe", "2", NULL}, 1); /* not UTF-8: dropped */

    heron_sink_family(s, HERON_COUNTER, "jobs_done_total", "Jobs.", NULL, NULL);
    heron_sink_value(s, NULL, 12);

    static const double bounds[] = {0.5, 1};
    static const uint64_t cumulative[] = {2, 5};
    static const char *const job[] = {"job", NULL};
    heron_sink_family(s, HERON_HISTOGRAM, "step_seconds", "Steps.", NULL, job);
    heron_sink_histogram(s, (const char *const[]){"train", NULL}, bounds, cumulative, 2, 4.5, 6);

    heron_sink_family(s, HERON_GAUGE, "bad-name", "x", NULL, NULL); /* dropped */
    heron_sink_value(s, NULL, 1);
    heron_sink_family(s, HERON_HISTOGRAM, "bad_labels", "x", NULL,
                      (const char *const[]){"le", NULL}); /* dropped */
    heron_sink_family(s, HERON_UNTYPED, "raw_thing", "Untyped.", NULL, NULL);
    heron_sink_value(s, NULL, 3);
}

static void collector_output(void **state)
{
    (void)state;
    heron_registry *r;
    assert_int_equal(heron_registry_new(&r, NULL), 0);
    assert_int_equal(heron_collector_register(r, "fixture", collect_fixture, NULL, NULL), 0);
    char *text = expose(r, HERON_FORMAT_TEXT);
    assert_string_equal(text,
        "# HELP gpu_temperature_celsius GPU \"temp\"\n"
        "# TYPE gpu_temperature_celsius gauge\n"
        "gpu_temperature_celsius{gpu=\"0\",zone=\"eu\"} 61.5\n"
        "gpu_temperature_celsius{gpu=\"1\",zone=\"eu\\n\\\"x\\\"\"} 70.0\n"
        "# HELP jobs_done_total Jobs.\n"
        "# TYPE jobs_done_total counter\n"
        "jobs_done_total 12.0\n"
        "# HELP step_seconds Steps.\n"
        "# TYPE step_seconds histogram\n"
        "step_seconds_bucket{job=\"train\",le=\"0.5\"} 2.0\n"
        "step_seconds_bucket{job=\"train\",le=\"1.0\"} 5.0\n"
        "step_seconds_bucket{job=\"train\",le=\"+Inf\"} 6.0\n"
        "step_seconds_count{job=\"train\"} 6.0\n"
        "step_seconds_sum{job=\"train\"} 4.5\n"
        "# HELP raw_thing Untyped.\n"
        "# TYPE raw_thing untyped\n"
        "raw_thing 3.0\n");
    free(text);
    char *om = expose(r, HERON_FORMAT_OPENMETRICS);
    assert_non_null(strstr(om, "# HELP gpu_temperature_celsius GPU \\\"temp\\\"\n"));
    assert_non_null(strstr(om, "# UNIT gpu_temperature_celsius celsius\n"));
    assert_non_null(strstr(om, "# TYPE jobs_done counter\njobs_done_total 12.0\n"));
    assert_non_null(strstr(om, "# TYPE raw_thing unknown\n"));
    free(om);
    heron_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timers_and_gauges),
        cmocka_unit_test(collector_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
