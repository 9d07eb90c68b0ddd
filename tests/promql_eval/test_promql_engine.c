/*
 * test_promql_engine — the engine's contract beyond the conformance
 * scripts: result shapes, error types and Prometheus' messages, the sample
 * limit, the deadline, long error texts, range results sorted by
 * labels with staleness honoured across steps, and range functions whose
 * rows stream (two threads, aggregations folded on the way) agreeing with
 * the single-threaded, materialised path.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "promql/engine.h"
#include "tsdb/tsdb.h"

typedef struct fixture {
    char dir[256];
    tsdb_db *db;
    promql_engine *eng;
} fixture;

static int rmrf(const char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* Series a{i="0".."9"} and b{i="0".."9"} with a sample every 15 s for 10
 * minutes (values i*100 + step); a{i="9"} goes stale at 5 min. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/heron-engine-XXXXXX", tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir))
        return -1;
    tsdb_options o = {0};
    o.wal_sync = TSDB_WAL_SYNC_NEVER;
    heron_err err = {0};
    if (tsdb_open(f->dir, &o, &f->db, &err))
        return -1;
    tsdb_appender *a;
    if (tsdb_appender_new(f->db, &a, &err))
        return -1;
    for (int m = 0; m < 2; m++)
        for (int i = 0; i < 10; i++) {
            char iv[4];
            snprintf(iv, sizeof iv, "%d", i);
            tsdb_label ls[2] = {{"__name__", m ? "b" : "a"}, {"i", iv}};
            tsdb_ref ref = 0;
            for (int s = 0; s <= 40; s++) {
                double v = i * 100 + s;
                if (m == 0 && i == 9 && s == 20)
                    v = tsdb_stale_nan();
                if (m == 0 && i == 9 && s > 20)
                    break;
                tsdb_append(a, &ref, ls, 2, (int64_t)s * 15000, v, &err);
            }
        }
    /* c{g="0".."4", i="0".."199"}: counters with resets and fractions,
     * enough series for the two-thread row pipeline (eval_rows.c) */
    for (int i = 0; i < 200; i++) {
        char iv[8], gv[4];
        snprintf(iv, sizeof iv, "%d", i);
        snprintf(gv, sizeof gv, "%d", i % 5);
        tsdb_label ls[3] = {{"__name__", "c"}, {"g", gv}, {"i", iv}};
        tsdb_ref ref = 0;
        for (int s = 0; s <= 40; s++)
            tsdb_append(a, &ref, ls, 3, (int64_t)s * 15000,
                        fmod(s * (1.1 + i * 0.37), 23.0 + i % 11), &err);
    }
    if (tsdb_appender_commit(a, &err))
        return -1;
    tsdb_appender_free(a);
    if (promql_engine_new(f->db, NULL, &f->eng, &err))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    promql_engine_free(f->eng);
    tsdb_close(f->db);
    rmrf(f->dir);
    free(f);
    return 0;
}

static void test_shapes(void **state)
{
    fixture *f = *state;
    promql_result r;
    heron_err err = {0};
    assert_int_equal(promql_engine_instant(f->eng, "1 + 2", 60000, 0, &r, &err), 0);
    assert_int_equal(r.type, PROMQL_TYPE_SCALAR);
    assert_true(r.scalar == 3);
    assert_int_equal(r.t, 60000);
    promql_result_free(&r);

    assert_int_equal(promql_engine_instant(f->eng, "\"hi\"", 0, 0, &r, &err), 0);
    assert_int_equal(r.type, PROMQL_TYPE_STRING);
    assert_string_equal(r.string, "hi");
    promql_result_free(&r);

    assert_int_equal(promql_engine_instant(f->eng, "a{i=\"1\"}[1m]", 300000, 0, &r, &err), 0);
    assert_int_equal(r.type, PROMQL_TYPE_MATRIX);
    assert_int_equal(r.nseries, 1);
    assert_int_equal(r.series[0].npoints, 5); /* 240 s .. 300 s, both ends */
    assert_int_equal(r.series[0].points[0].t, 240000);
    promql_result_free(&r);

    assert_int_equal(promql_engine_instant(f->eng, "sum(a)", 150000, 0, &r, &err), 0);
    assert_int_equal(r.type, PROMQL_TYPE_VECTOR);
    assert_int_equal(r.nseries, 1);
    assert_int_equal(r.series[0].nlabels, 0);
    assert_true(r.series[0].points[0].v == 4500 + 10 * 10);
    assert_true(r.peak_bytes > 0);
    assert_true(r.samples > 0);
    promql_result_free(&r);
}

static void test_range_sorted_and_stale(void **state)
{
    fixture *f = *state;
    promql_result r;
    heron_err err = {0};
    /* descending values, so evaluation order differs from label order */
    assert_int_equal(promql_engine_range(f->eng, "-a", 0, 600000, 60000, 0, &r, &err), 0);
    assert_int_equal(r.type, PROMQL_TYPE_MATRIX);
    assert_int_equal(r.nseries, 10);
    for (size_t k = 1; k < r.nseries; k++)
        assert_true(tsdb_labels_cmp(r.series[k - 1].labels, r.series[k - 1].nlabels,
                                    r.series[k].labels, r.series[k].nlabels) < 0);
    /* a{i="9"} has its stale marker at 300 s: points at 0..240 s only */
    const promql_rseries *s9 = &r.series[9];
    assert_string_equal(s9->labels[0].value, "9");
    assert_int_equal(s9->npoints, 5);
    assert_int_equal(s9->points[4].t, 240000);
    assert_int_equal(r.series[0].npoints, 11);
    promql_result_free(&r);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    promql_result r;
    heron_err err = {0};
    assert_int_equal(promql_engine_instant(f->eng, "sum(", 0, 0, &r, &err), HERON_EINVAL);
    assert_int_equal(r.errtype, PROMQL_ERR_BAD_DATA);
    assert_string_equal(r.error, "1:5: parse error: unclosed left parenthesis");
    promql_result_free(&r);

    assert_true(promql_engine_range(f->eng, "a[1m]", 0, 60000, 1000, 0, &r, &err) != 0);
    assert_int_equal(r.errtype, PROMQL_ERR_BAD_DATA);
    assert_string_equal(r.error, "invalid expression type \"range vector\" for range query, "
                                 "must be Scalar or instant Vector");
    promql_result_free(&r);

    /* many-to-many: the message outgrows heron_err, the result keeps it all */
    const char *q = "a + on() label_replace(b, \"long\", \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\", \"\", \"\")";
    assert_true(promql_engine_instant(f->eng, q, 60000, 0, &r, &err) != 0);
    assert_int_equal(r.errtype, PROMQL_ERR_EXECUTION);
    assert_non_null(strstr(r.error, "found duplicate series for the match group {} on the "
                                    "right hand-side of the operation"));
    assert_non_null(strstr(r.error, "matching labels must be unique on one side"));
    assert_true(strlen(r.error) > sizeof err.msg);
    promql_result_free(&r);

    assert_true(promql_engine_instant(f->eng, "label_replace(a, \"x-y\", \"\", \"i\", \"\")",
                                      60000, 0, &r, &err) != 0);
    assert_string_equal(r.error, "invalid destination label name in label_replace(): x-y");
    promql_result_free(&r);

    assert_true(promql_engine_instant(f->eng, "label_replace(a, \"i\", \"x\", \"i\", \".*\")",
                                      60000, 0, &r, &err) != 0);
    assert_string_equal(r.error, "vector cannot contain metrics with the same labelset");
    promql_result_free(&r);
}

static void test_limits(void **state)
{
    fixture *f = *state;
    promql_engine *small;
    promql_engine_opts o = {.max_samples = 100};
    heron_err err = {0};
    assert_int_equal(promql_engine_new(f->db, &o, &small, &err), 0);
    promql_result r;
    /* 20 series x 41 samples are read, but one series at a time is held */
    assert_int_equal(promql_engine_instant(small, "last_over_time({__name__=~\"a|b\"}[10m])",
                                           600000, 0, &r, &err), 0);
    assert_int_equal(r.nseries, 20);
    assert_true(r.samples > 100);
    promql_result_free(&r);
    /* a subquery holds its whole inner result */
    assert_true(promql_engine_instant(small, "count_over_time(a[10m:15s])", 600000, 0, &r,
                                      &err) != 0);
    assert_int_equal(r.errtype, PROMQL_ERR_EXECUTION);
    assert_string_equal(r.error, "query processing would load too many samples into memory "
                                 "in query execution");
    promql_result_free(&r);
    assert_int_equal(promql_engine_instant(small, "a{i=\"0\"}", 600000, 0, &r, &err), 0);
    promql_result_free(&r);
    promql_engine_free(small);

    /* a deadline that has passed before evaluation starts */
    promql_engine_opts t = {.timeout_ms = 1};
    promql_engine *slow;
    assert_int_equal(promql_engine_new(f->db, &t, &slow, &err), 0);
    int timed_out = 0;
    for (int i = 0; i < 50 && !timed_out; i++) { /* bounded */
        int rc = promql_engine_range(slow, "sum(rate(a[5m])) * count(b)", 0, 600000000, 10000, 0,
                                     &r, &err);
        if (rc && r.errtype == PROMQL_ERR_TIMEOUT) {
            timed_out = 1;
            assert_string_equal(r.error, "query timed out in expression evaluation");
        }
        promql_result_free(&r);
    }
    assert_true(timed_out);
    promql_engine_free(slow);
}

/* Odd but valid queries: extreme offsets and @ times, windows that
 * select nothing, subqueries without a single inner step. They must
 * answer (or fail cleanly), never crash or overflow (run under UBSan). */
static void test_odd_queries(void **state)
{
    fixture *f = *state;
    static const char *const qs[] = {
        "a @ 9223372036854775", "a @ -9223372036854775", "a offset 290y",
        "a offset -290y", "rate(a[290y])", "a[10s:1m]", "sum_over_time(a[10s:1m])",
        "rate(a[1ms])", "count_over_time(a[1ms] @ end() offset -1s)",
        "max_over_time((a @ start())[5m:7s])", "topk(-1, a)", "topk(1e30, a)",
        "quantile(NaN, a)", "histogram_quantile(0.5, a)", "round(a, 0)",
        "clamp(a, NaN, 1)", "day_of_month(a * 1e30)", "year(vector(-1e300))",
        "absent_over_time(nope[1m])", "count_values(\"v\", a / 0)",
        "label_join(a, \"j\", \",\", \"i\", \"i\", \"__name__\")",
        "sort_desc(a) + ignoring(i) group_left b", "a and on(i) b or b unless a",
        NULL};
    for (size_t i = 0; qs[i]; i++) {
        promql_result r;
        heron_err err = {0};
        promql_engine_instant(f->eng, qs[i], 300000, 0, &r, &err);
        promql_result_free(&r);
        promql_engine_range(f->eng, qs[i], -600000, 600000, 45000, 0, &r, &err);
        promql_result_free(&r);
    }
    promql_result r;
    heron_err err = {0};
    assert_int_equal(promql_engine_instant(f->eng, "a[10s:1m]", 30000, 0, &r, &err), 0);
    assert_int_equal(r.nseries, 0);
    promql_result_free(&r);
}

/* Two results are the same: series in the same order with the same labels
 * and the same points, bit for bit. */
static void assert_same_result(const promql_result *x, const promql_result *y)
{
    assert_int_equal(x->type, y->type);
    assert_int_equal(x->nseries, y->nseries);
    for (size_t k = 0; k < x->nseries; k++) {
        const promql_rseries *a = &x->series[k], *b = &y->series[k];
        assert_int_equal(tsdb_labels_cmp(a->labels, a->nlabels, b->labels, b->nlabels), 0);
        assert_int_equal(a->npoints, b->npoints);
        assert_memory_equal(a->points, b->points, a->npoints * sizeof *a->points);
    }
}

/* q with the range function's matrix and call written in one of three
 * ways: as given (aggregations fold the function's rows while the series
 * stream, aggregate_stream.c), with the call in parentheses (the
 * function's vector is built, its rows streamed through eval_rows.c), or
 * with the matrix in parentheses too (read whole, then one thread). */
static void variant(char *out, size_t n, const char *outer, const char *fn,
                    const char *matrix, int form)
{
    char m[128], call[160];
    snprintf(m, sizeof m, form == 2 ? "(%s)" : "%s", matrix);
    char fmt[64];
    snprintf(fmt, sizeof fmt, form ? "(%s)" : "%s", fn);
    snprintf(call, sizeof call, fmt, m);
    snprintf(out, n, outer, call, call);
}

/* Instant (whose order is the evaluation order, which topk's ties see)
 * and range results of every form agree exactly. */
static void assert_forms_agree(fixture *f, const char *outer, const char *fn,
                               const char *matrix, int64_t step, int runs)
{
    char q[3][256];
    for (int form = 0; form < 3; form++)
        variant(q[form], sizeof q[form], outer, fn, matrix, form);
    heron_err err = {0};
    for (int64_t t = 0; step == 20000 && t <= 600000; t += 150000) {
        promql_result y;
        assert_int_equal(promql_engine_instant(f->eng, q[2], t, 0, &y, &err), 0);
        for (int form = 0; form < 2; form++) {
            promql_result x;
            assert_int_equal(promql_engine_instant(f->eng, q[form], t, 0, &x, &err), 0);
            assert_same_result(&x, &y);
            promql_result_free(&x);
        }
        promql_result_free(&y);
    }
    promql_result y;
    assert_int_equal(promql_engine_range(f->eng, q[2], 0, 600000, step, 0, &y, &err), 0);
    assert_true(y.nseries > 0);
    for (int run = 0; run < runs; run++)
        for (int form = 0; form < 2; form++) {
            promql_result x;
            assert_int_equal(promql_engine_range(f->eng, q[form], 0, 600000, step, 0, &x, &err),
                             0);
            assert_same_result(&x, &y);
            promql_result_free(&x);
        }
    promql_result_free(&y);
}

static void test_streamed_rows(void **state)
{
    fixture *f = *state;
    static const char *const outer[] = {
        "sum(%s)", "sum by (i) (%s)", "avg without (i) (%s)", "count(%s)",
        "max by (i) (%s)", "min(%s)", "stddev(%s)", "stdvar by (i) (%s)", "group(%s)",
        "sum by (__name__) (%s)", "topk(3, sum by (i) (%s))", "avg(%s) / sum(%s)", "%s", NULL};
    static const char *const inner[][2] = {
        {"rate(%s)", "a[5m]"}, {"increase(%s)", "a[2m]"}, {"delta(%s)", "a[3m] offset 1m"},
        {"irate(%s)", "a[1m]"}, {"deriv(%s)", "a[5m]"}, {"avg_over_time(%s)", "a[5m]"},
        {"last_over_time(%s)", "a[1m]"},
        {"count_over_time(%s)", "{__name__=\"a\", i=~\"[2-9]\"}[30s]"}, {NULL, NULL}};
    for (size_t o = 0; outer[o]; o++)
        for (size_t i = 0; inner[i][0]; i++)
            assert_forms_agree(f, outer[o], inner[i][0], inner[i][1], 20000, 1);
    /* 200 series and 2001 steps: batches of 4 series, many more than the
     * ring holds, so both threads compute rows; repeated, as the
     * interleaving differs from run to run */
    static const char *const par[] = {"sum by (g) (%s)", "stddev(%s)", "avg without (i) (%s)",
                                      "%s", NULL};
    static const char *const pin[][2] = {{"rate(%s)", "c[1m]"}, {"max_over_time(%s)", "c[2m]"},
                                         {NULL, NULL}};
    for (size_t o = 0; par[o]; o++)
        for (size_t i = 0; pin[i][0]; i++)
            assert_forms_agree(f, par[o], pin[i][0], pin[i][1], 300, 5);
    /* two metric names: dropping them collides, and that error stays */
    promql_result r;
    heron_err err = {0};
    assert_true(promql_engine_instant(f->eng, "sum(rate({__name__=~\"a|b\"}[5m]))", 300000, 0,
                                      &r, &err) != 0);
    assert_string_equal(r.error, "vector cannot contain metrics with the same labelset");
    promql_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_range_sorted_and_stale),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_odd_queries),
        cmocka_unit_test(test_streamed_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
