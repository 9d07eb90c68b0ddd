/*
 * Test-script reader: value notation, commands and expectations on small
 * inline scripts, then every file of the shared conformance suite. The
 * per-file counts of eval cases, eval_fail, eval_ordered, load and clear
 * are those of the suite's README table; every required expression must
 * parse (566 of 566), as must every optional one that uses only functions
 * that exist in Prometheus 2.42.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "promql/testscript.h"

static void parse_text(promql_arena *a, const char *text, promql_testscript *s)
{
    heron_err e;
    if (promql_testscript_parse(text, strlen(text), "inline", a, s, &e) != 0)
        fail_msg("%s", e.msg);
}

static int is_stale(double v)
{
    unsigned long long bits;
    memcpy(&bits, &v, sizeof bits);
    return bits == PROMQL_STALE_NAN_BITS;
}

static void test_values(void **state)
{
    (void)state;
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_testscript s;
    parse_text(&a, "# comment\nload 5m\n"
                   "  m{a=\"b c\", d='e'} 1+1x3 _ stale -1x2 _x2 Inf 0x2 1-0.5x2 {{schema:0 sum:1}}x1\n"
                   "  other 1e3 .5 -Inf NaN\n\nclear\n", &s);
    assert_int_equal(s.ncmds, 2);
    const promql_ts_cmd *load = &s.cmds[0];
    assert_int_equal(load->kind, PROMQL_TS_LOAD);
    assert_int_equal(load->line, 2);
    assert_int_equal(load->load_step_ms, 300000);
    assert_int_equal(load->nseries, 2);
    const promql_ts_series *m = &load->series[0];
    assert_int_equal(m->nlabels, 3);
    assert_string_equal(m->labels[0].name, "__name__");
    assert_string_equal(m->labels[0].value, "m");
    assert_string_equal(m->labels[1].value, "b c");
    assert_string_equal(m->labels[2].value, "e");
    static const double want[] = {1, 2, 3, 4, 0, -1, -1, -1, INFINITY, 0, 0, 0, 1, 0.5, 0};
    static const int slot[] = {0, 1, 2, 3, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16, 17};
    assert_int_equal(m->nsamples, 17);
    for (size_t i = 0; i < 15; i++) {
        assert_int_equal(m->samples[i].t_ms, (int64_t)slot[i] * 300000);
        if (i == 4) {
            assert_int_equal(m->samples[i].kind, PROMQL_TS_STALE);
            assert_true(is_stale(m->samples[i].value));
        } else {
            assert_int_equal(m->samples[i].kind, PROMQL_TS_FLOAT);
            assert_true(m->samples[i].value == want[i]);
        }
    }
    assert_int_equal(m->samples[15].kind, PROMQL_TS_HISTOGRAM);
    assert_string_equal(m->samples[16].histogram, "{{schema:0 sum:1}}x1");
    const promql_ts_series *o = &load->series[1];
    assert_int_equal(o->nsamples, 4);
    assert_true(o->samples[0].value == 1000 && o->samples[1].value == 0.5);
    assert_true(isinf(o->samples[2].value) && o->samples[2].value < 0);
    assert_true(isnan(o->samples[3].value) && !is_stale(o->samples[3].value));
    assert_int_equal(s.cmds[1].kind, PROMQL_TS_CLEAR);
    promql_arena_free(&a);
}

static void test_evals(void **state)
{
    (void)state;
    promql_arena a;
    promql_arena_init(&a, 0);
    promql_testscript s;
    parse_text(&a, "eval instant at 50m sum by (job) (x)\n"
                   "  {job=\"a\"} 1\n  x{job=\"b\"} -2.5\n\n"
                   "EVAL_ORDERED instant at 1h sort(x)\n\n"
                   "eval_fail instant at 0 x[\n\n"
                   "eval instant at 10s 1 + 1\n  2\n\n"
                   "eval instant at 1m vector(1)\n  {} 1\n\n"
                   "eval range from 0 to 2m step 1m x\n  x 1 _ 3\n", &s);
    assert_int_equal(s.ncmds, 6);
    const promql_ts_cmd *c = &s.cmds[0];
    assert_int_equal(c->kind, PROMQL_TS_EVAL);
    assert_int_equal(c->at_ms, 3000000);
    assert_string_equal(c->expr, "sum by (job) (x)");
    assert_non_null(c->ast);
    assert_int_equal(c->nseries, 2);
    assert_int_equal(c->series[0].nlabels, 1);
    assert_int_equal(c->series[1].nlabels, 2);
    assert_true(c->series[1].samples[0].value == -2.5);
    assert_int_equal(c->series[1].samples[0].t_ms, 3000000);
    assert_true(s.cmds[1].ordered);
    assert_int_equal(s.cmds[1].nseries, 0);
    assert_true(s.cmds[2].expect_fail);
    assert_null(s.cmds[2].ast);
    assert_string_equal(s.cmds[2].parse_error, "1:3: parse error: missing unit character in duration");
    assert_true(s.cmds[3].expect_scalar);
    assert_true(s.cmds[3].scalar == 2);
    assert_false(s.cmds[4].expect_scalar);
    assert_int_equal(s.cmds[4].series[0].nlabels, 0);
    c = &s.cmds[5];
    assert_true(c->range);
    assert_int_equal(c->end_ms, 120000);
    assert_int_equal(c->step_ms, 60000);
    assert_int_equal(c->series[0].nsamples, 2);
    assert_int_equal(c->series[0].samples[1].t_ms, 120000);
    promql_arena_free(&a);
}

static void test_file_errors(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"load 5m\n  x 1 2 zz\n", "inline:2: invalid value \"zz\""},
        {"load\n", "inline:1: load needs a step duration"},
        {"load 5q\n", "inline:1: not a valid duration string: \"5q\""},
        {"\nfrobnicate\n", "inline:2: unknown command \"frobnicate\""},
        {"eval instant at 1m 1\n  1\n  x 2\n", "inline:3: unexpected line after a scalar expectation"},
        {"load 1m\n  x{\"j\\", "inline:2: bad series description: 1:3: parse error: "
                                 "escape sequence not terminated"},
        {"load 1m\n  x{a=~\"b\"} 1\n", "inline:2: bad series description: 1:4: parse error: "
                                       "unexpected <op:=~> in label set, expected \"=\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        promql_arena a;
        promql_arena_init(&a, 0);
        promql_testscript s;
        heron_err e;
        assert_int_equal(promql_testscript_parse(cases[i][0], strlen(cases[i][0]), "inline", &a,
                                                 &s, &e), HERON_EINVAL);
        assert_string_equal(e.msg, cases[i][1]);
        promql_arena_free(&a);
    }
}


typedef struct file_counts {
    const char *name;
    int evals, fails, ordered, ranges, loads, clears;
} file_counts;

static const file_counts required[] = {
    {"aggregators.test", 83, 0, 11, 0, 10, 9},
    {"at_modifier.test", 33, 0, 0, 0, 2, 1},
    {"collision.test", 2, 1, 0, 0, 2, 2},
    {"functions.test", 207, 4, 2, 0, 30, 31},
    {"histograms.test", 38, 1, 0, 0, 7, 0},
    {"literals.test", 20, 0, 0, 0, 0, 0},
    {"operators.test", 94, 1, 0, 0, 10, 5},
    {"selectors.test", 31, 0, 0, 0, 7, 4},
    {"staleness.test", 14, 0, 0, 0, 2, 1},
    {"subquery.test", 25, 0, 0, 0, 4, 3},
    {"trig_functions.test", 19, 0, 0, 0, 1, 1},
    {"optional/eval_range/range_queries.test", 8, 0, 0, 8, 8, 8},
    {"optional/native_histograms/native_histograms.test", 189, 0, 0, 1, 26, 0},
};

static void test_conformance_files(void **state)
{
    (void)state;
    const char *src = getenv("HERON_SOURCE_DIR");
    int total = 0, parsed = 0;
    for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
        const file_counts *fc = &required[i];
        char path[4096];
        snprintf(path, sizeof path, "%s/../shared/conformance/promql/%s", src ? src : ".", fc->name);
        size_t len;
        char *text = buf_load_file(path, &len);
        if (!text)
            fail_msg("cannot read %s", path);
        promql_arena a;
        promql_arena_init(&a, 0);
        promql_testscript s;
        heron_err e;
        if (promql_testscript_parse(text, len, fc->name, &a, &s, &e) != 0)
            fail_msg("%s", e.msg);
        file_counts got = {fc->name, 0, 0, 0, 0, 0, 0};
        int ok = 0, unknown_fn = 0;
        for (size_t k = 0; k < s.ncmds; k++) {
            const promql_ts_cmd *c = &s.cmds[k];
            got.loads += c->kind == PROMQL_TS_LOAD;
            got.clears += c->kind == PROMQL_TS_CLEAR;
            if (c->kind != PROMQL_TS_EVAL)
                continue;
            got.evals++;
            got.fails += c->expect_fail;
            got.ordered += c->ordered;
            got.ranges += c->range;
            if (c->ast)
                ok++;
            else if (strstr(c->parse_error, "unknown function with name \"histogram_"))
                unknown_fn++; /* post-2.42 native histogram functions */
            else
                print_error("%s:%d: %s: %s\n", fc->name, c->line, c->expr, c->parse_error);
        }
        print_message("%-52s %3d evals, %3d parse\n", fc->name, got.evals, ok);
        assert_int_equal(got.evals, fc->evals);
        assert_int_equal(got.fails, fc->fails);
        assert_int_equal(got.ordered, fc->ordered);
        assert_int_equal(got.ranges, fc->ranges);
        assert_int_equal(got.loads, fc->loads);
        assert_int_equal(got.clears, fc->clears);
        assert_int_equal(ok + unknown_fn, got.evals);
        if (strncmp(fc->name, "optional/", 9) != 0) {
            total += got.evals;
            parsed += ok;
        }
        promql_arena_free(&a);
        free(text);
    }
    print_message("required: %d of %d expressions parse\n", parsed, total);
    assert_int_equal(total, 566);
    assert_int_equal(parsed, 566);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_evals),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_conformance_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
