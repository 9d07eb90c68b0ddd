/*
 * test_parse.c — the exposition parser: entries of well-formed input in both
 * formats, a table of broken expositions with the line each error names,
 * float parsing against strtod, and a bounded random-mutation fuzz driver
 * (deterministic seed) that must never crash, hang or read out of bounds
 * (run under ASan in the sanitizer build).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scrape/parse.h"

static int count_samples(scrape_format fmt, const char *s, heron_err *err)
{
    scrape_parser p = {0};
    scrape_parser_init(&p, fmt, s, strlen(s));
    int n = 0, e;
    while ((e = scrape_parser_next(&p, err)) > 0)
        n += e == SCRAPE_ENTRY_SAMPLE;
    scrape_parser_free(&p);
    return e < 0 ? e : n;
}

static void text_entries(void **state)
{
    (void)state;
    const char *s =
        "# HELP http_requests_total The total.\\nSecond \\\\ line\n"
        "# TYPE http_requests_total counter\n"
        "\n"
        "# a comment\n"
        "  http_requests_total{method=\"post\",code=\"200\",} 1027 1395066363000\n"
        "http_requests_total { method = \"a\\\"b\\\\c\\nd\" } -Inf\n"
        "metric_without_labels\t12.47e3   \n"
        "x:y NaN -5\n";
    scrape_parser p = {0};
    scrape_parser_init(&p, SCRAPE_FORMAT_TEXT, s, strlen(s));
    heron_err err = {0};
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_HELP);
    assert_int_equal(p.text_len, strlen("The total.\\nSecond \\\\ line"));
    char tmp[64];
    size_t n = scrape_unescape(p.text, p.text_len, tmp);
    assert_memory_equal(tmp, "The total.\nSecond \\ line", n);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_TYPE);
    assert_int_equal(p.type, SCRAPE_MTYPE_COUNTER);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_SAMPLE);
    assert_int_equal(p.nlabels, 2);
    assert_memory_equal(p.labels[1].name, "code", 4);
    assert_memory_equal(p.labels[1].value, "200", 3);
    assert_true(p.value == 1027 && p.has_ts && p.ts == 1395066363000);
    assert_int_equal(p.series_len,
                     strlen("http_requests_total{method=\"post\",code=\"200\",}"));
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_SAMPLE);
    assert_int_equal(p.nlabels, 1);
    assert_true(p.labels[0].escaped);
    n = scrape_unescape(p.labels[0].value, p.labels[0].value_len, tmp);
    assert_memory_equal(tmp, "a\"b\\c\nd", n);
    assert_true(isinf(p.value) && p.value < 0 && !p.has_ts);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_SAMPLE);
    assert_int_equal(p.nlabels, 0);
    assert_true(p.value == 12470);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_SAMPLE);
    assert_true(isnan(p.value) && p.ts == -5);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_END);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_END);
    scrape_parser_free(&p);
}

static void openmetrics_entries(void **state)
{
    (void)state;
    const char *s =
        "# TYPE foo_seconds counter\n"
        "# UNIT foo_seconds seconds\n"
        "# HELP foo_seconds Help with \\\"quotes\\\".\n"
        "foo_seconds_total{a=\"b\"} 17.0 1520879607.789 # {id=\"x\"} 1 1520879607.1\n"
        "foo_seconds_created{a=\"b\"} 1520430000.123\n"
        "# TYPE s stateset\n"
        "s{s=\"a\"} 1 # {} 2\n"
        "# EOF\n";
    scrape_parser p = {0};
    scrape_parser_init(&p, SCRAPE_FORMAT_OPENMETRICS, s, strlen(s));
    heron_err err = {0};
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_TYPE);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_UNIT);
    assert_memory_equal(p.text, "seconds", 7);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_HELP);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_SAMPLE);
    assert_int_equal(p.nlabels, 1);
    assert_true(p.value == 17.0 && p.has_ts && p.ts == 1520879607789);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_SAMPLE);
    assert_false(p.has_ts);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_TYPE);
    assert_int_equal(p.type, SCRAPE_MTYPE_STATESET);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_SAMPLE);
    assert_int_equal(p.nlabels, 1);
    assert_int_equal(scrape_parser_next(&p, &err), SCRAPE_ENTRY_END);
    scrape_parser_free(&p);
    /* "# EOF" without a final newline is fine too. */
    assert_int_equal(count_samples(SCRAPE_FORMAT_OPENMETRICS, "a 1\n# EOF", &err), 1);
    assert_int_equal(count_samples(SCRAPE_FORMAT_OPENMETRICS, "# EOF\n", &err), 0);
    assert_int_equal(count_samples(SCRAPE_FORMAT_TEXT, "", &err), 0);
}

static void broken(void **state)
{
    (void)state;
    static const struct {
        scrape_format fmt;
        const char *in;
        const char *msg; /* expected in the error */
    } cases[] = {
        {SCRAPE_FORMAT_TEXT, "a 1", "line 1: expected '\\n'"},
        {SCRAPE_FORMAT_TEXT, "a 1\nb\n", "line 2: expected ' ' and a value"},
        {SCRAPE_FORMAT_TEXT, "a 1\n\nb x\n", "line 3: expected a sample value, got \"x\""},
        {SCRAPE_FORMAT_TEXT, "a{b=\"c} 1\n", "line 1: unterminated label value"},
        {SCRAPE_FORMAT_TEXT, "a{b=\"c\\\n\"} 1\n", "line 1: unterminated label value"},
        {SCRAPE_FORMAT_TEXT, "a{b=c} 1\n", "expected '\"' to open"},
        {SCRAPE_FORMAT_TEXT, "a{1b=\"c\"} 1\n", "expected a label name"},
        {SCRAPE_FORMAT_TEXT, "a{b=\"c\" d=\"e\"} 1\n", "expected ',' or '}'"},
        {SCRAPE_FORMAT_TEXT, "a{b=\"\xff\"} 1\n", "invalid UTF-8"},
        {SCRAPE_FORMAT_TEXT, "a{b=\"\xc3\"} 1\n", "invalid UTF-8"},
        {SCRAPE_FORMAT_TEXT, "a 1 1.5\n", "expected an integer timestamp, got \"1.5\""},
        {SCRAPE_FORMAT_TEXT, "a 1 99999999999999999999\n", "integer timestamp"},
        {SCRAPE_FORMAT_TEXT, "a 1 2 3\n", "expected end of line after the timestamp"},
        {SCRAPE_FORMAT_TEXT, "a 0x1p3\n", "expected a sample value"},
        {SCRAPE_FORMAT_TEXT, "a 1_000\n", "expected a sample value"},
        {SCRAPE_FORMAT_TEXT, "a 1e999\n", "expected a sample value"},
        {SCRAPE_FORMAT_TEXT, "a +NaN\n", "expected a sample value"},
        {SCRAPE_FORMAT_TEXT, "a nan(1)\n", "expected a sample value"},
        {SCRAPE_FORMAT_TEXT, "# TYPE a countr\n", "line 1: invalid metric type, got \"countr\""},
        {SCRAPE_FORMAT_TEXT, "# TYPE a unknown\n", "invalid metric type"},
        {SCRAPE_FORMAT_TEXT, "# TYPE a\n", "expected ' ' and a type"},
        {SCRAPE_FORMAT_TEXT, "# HELP 9a x\n", "expected a metric name"},
        {SCRAPE_FORMAT_TEXT, "{a=\"b\"} 1\n", "expected a metric name"},
        {SCRAPE_FORMAT_OPENMETRICS, "a 1\n", "expected \"# EOF\" at the end"},
        {SCRAPE_FORMAT_OPENMETRICS, "a 1\n# EOF\nb 1\n", "line 2: unexpected data after \"# EOF\""},
        {SCRAPE_FORMAT_OPENMETRICS, "a 1\n\n# EOF\n", "line 2: expected a metric name, got end of line"},
        {SCRAPE_FORMAT_OPENMETRICS, "# comment\n# EOF\n", "expected HELP, TYPE, UNIT or EOF"},
        {SCRAPE_FORMAT_OPENMETRICS, "a  1\n# EOF\n", "expected a sample value"},
        {SCRAPE_FORMAT_OPENMETRICS, "a{b=\"c\",} 1\n# EOF\n", "expected a label name after ','"},
        {SCRAPE_FORMAT_OPENMETRICS, "a{b = \"c\"} 1\n# EOF\n", "expected '='"},
        {SCRAPE_FORMAT_OPENMETRICS, "a 1 Inf\n# EOF\n", "expected a timestamp"},
        {SCRAPE_FORMAT_OPENMETRICS, "a 1 # {x=\"y\"}\n# EOF\n", "exemplar labels"},
        {SCRAPE_FORMAT_OPENMETRICS, "a 1 #{x=\"y\"} 1\n# EOF\n", "expected '# {'"},
        {SCRAPE_FORMAT_OPENMETRICS, "# TYPE a untyped\n# EOF\n", "invalid metric type"},
        {SCRAPE_FORMAT_OPENMETRICS, "# UNIT a_bytes seconds\n# EOF\n", "unit is not a suffix"},
        {SCRAPE_FORMAT_OPENMETRICS, "a\t1\n# EOF\n", "expected ' ' and a value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        heron_err err = {0};
        int rc = count_samples(cases[i].fmt, cases[i].in, &err);
        if (rc != HERON_EINVAL || strstr(err.msg, cases[i].msg) == NULL)
            fail_msg("case %zu (%s): rc %d, message \"%s\", want \"%s\"", i,
                     cases[i].in, rc, err.msg, cases[i].msg);
    }
}

static void floats(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        double v;
    } ok[] = {
        {"1", 1},          {"-1.5", -1.5}, {".5", .5},       {"5.", 5},
        {"1e3", 1e3},      {"1E-3", 1e-3}, {"+2", 2},        {"0.1", 0.1},
        {"-0", -0.0},      {"000123", 123}, {"1.7976931348623157e308", 1.7976931348623157e308},
        {"4.9e-324", 4.9e-324}, {"123456789012345678901234567890", 1.2345678901234568e29},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        double v;
        assert_int_equal(scrape_parse_float(ok[i].s, strlen(ok[i].s), &v), 0);
        assert_true(v == ok[i].v);
    }
    static const char *const words[] = {"Inf", "+inf", "-Infinity", "NaN", "nan", "INF"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        double v;
        assert_int_equal(scrape_parse_float(words[i], strlen(words[i]), &v), 0);
        assert_true(isinf(v) || isnan(v));
    }
    static const char *const bad[] = {"", "-", ".", "e5", "1e", "1e+", "1..2", "1.2.3",
                                      "0x10", "1f", "infinit", "-nan", " 1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        double v;
        if (scrape_parse_float(bad[i], strlen(bad[i]), &v) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    /* Random doubles printed with 6 to 17 digits read back as strtod does. */
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        memcpy(&d, &x, sizeof d);
        if (!isfinite(d))
            continue;
        char s[64];
        int n = snprintf(s, sizeof s, "%.*g", 6 + (int)(x % 12), d);
        double a, b = strtod(s, NULL);
        assert_int_equal(scrape_parse_float(s, (size_t)n, &a), 0);
        if (memcmp(&a, &b, sizeof a) != 0)
            fail_msg("%s: %.17g != strtod %.17g", s, a, b);
        n = snprintf(s, sizeof s, "%.*f", (int)(x % 7), (double)(x % 100000000) / 7.0);
        b = strtod(s, NULL);
        assert_int_equal(scrape_parse_float(s, (size_t)n, &a), 0);
        assert_true(a == b);
    }
}

/* Random mutations of good expositions: every outcome is fine except a
 * crash, an out-of-bounds read (ASan) or a loop that does not end. */
static void fuzz(void **state)
{
    (void)state;
    static const char *const seeds[] = {
        "# HELP a_total Help \\n text.\n# TYPE a_total counter\n"
        "a_total{x=\"1\",y=\"\\\"q\\\"\"} 1.5e3 1700000000000\n\nb 2\n# c\n",
        "# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\n"
        "h_sum 3.5\nh_count 2\n",
        "# TYPE a counter\n# UNIT a_seconds seconds\n# HELP a x\n"
        "a_total{b=\"c\"} 1 17.5 # {t=\"x\"} 1 2.5\na_created 1.5\n# EOF\n",
        "# TYPE s stateset\ns{s=\"a\"} 1\n# TYPE i info\ni_info{v=\"1\"} 1\n# EOF",
    };
    const char alphabet[] = "{}\"\\=, \t\n#_:aZ09.+-eEIN\xc3\xa9\xff";
    uint64_t x = 12345;
    for (int iter = 0; iter < 60000; iter++) {
        const char *seed = seeds[iter % 4];
        size_t n = strlen(seed);
        char *b = malloc(n + 16);
        memcpy(b, seed, n);
        int muts = 1 + iter % 4;
        for (int m = 0; m < muts; m++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = (size_t)(x % (n ? n : 1));
            switch ((x >> 32) % 4) {
            case 0: /* replace */
                b[pos] = alphabet[(x >> 40) % (sizeof alphabet - 1)];
                break;
            case 1: /* delete */
                if (n == 0)
                    break;
                memmove(b + pos, b + pos + 1, n - pos - 1);
                n--;
                break;
            case 2: /* insert */
                if (n < strlen(seed) + 15) {
                    memmove(b + pos + 1, b + pos, n - pos);
                    b[pos] = alphabet[(x >> 40) % (sizeof alphabet - 1)];
                    n++;
                }
                break;
            default: /* truncate */
                n = pos;
                break;
            }
        }
        /* An exact-size copy so ASan sees any read past the end. */
        char *exact = malloc(n ? n : 1);
        memcpy(exact, b, n);
        for (int f = 0; f < 2; f++) {
            scrape_parser p = {0};
            scrape_parser_init(&p, f ? SCRAPE_FORMAT_OPENMETRICS : SCRAPE_FORMAT_TEXT,
                               exact, n);
            heron_err err = {0};
            int e, steps = 0;
            while ((e = scrape_parser_next(&p, &err)) > 0)
                assert_true(++steps <= (int)n + 1);
            if (e < 0)
                assert_non_null(strstr(err.msg, "line "));
            scrape_parser_free(&p);
        }
        free(exact);
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_entries),
        cmocka_unit_test(openmetrics_entries),
        cmocka_unit_test(broken),
        cmocka_unit_test(floats),
        cmocka_unit_test(fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
