/*
 * test_jsonw.c — the JSON writer: nesting and commas, escaping, and the
 * number forms of Prometheus' HTTP API (Go's 'f' formatting for sample
 * values, seconds with millisecond decimals for timestamps).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/fmt.h"
#include "core/jsonw.h"

static void nesting_and_escaping(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    jsonw w;
    jsonw_init(&w, &b);
    jsonw_object_begin(&w);
    jsonw_kv_string(&w, "status", "success");
    jsonw_key(&w, "data");
    jsonw_array_begin(&w);
    jsonw_string(&w, "a\"b\\c\nd\x01");
    jsonw_int(&w, -42);
    jsonw_object_begin(&w);
    jsonw_object_end(&w);
    jsonw_array_begin(&w);
    jsonw_array_end(&w);
    jsonw_bool(&w, 1);
    jsonw_null(&w);
    jsonw_number(&w, 0.1);
    jsonw_number(&w, NAN);
    jsonw_array_end(&w);
    jsonw_object_end(&w);
    assert_string_equal(b.data, "{\"status\":\"success\",\"data\":[\"a\\\"b\\\\c\\nd\\u0001\",-42,{},[],true,null,0.1,null]}");
    buf_free(&b);
}

static void prometheus_numbers(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {1, "1"}, {0.5, "0.5"}, {-2.25, "-2.25"}, {1e21, "1000000000000000000000"},
        {1e-7, "0.0000001"}, {123456.789, "123456.789"}, {0, "0"}, {-0.0, "-0"},
        {0.1 + 0.2, "0.30000000000000004"}, {INFINITY, "+Inf"}, {-INFINITY, "-Inf"},
        {NAN, "NaN"}, {1700000000.123, "1700000000.123"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char s[FMT_FIXED_MAX];
        fmt_double_fixed(s, cases[i].v);
        assert_string_equal(s, cases[i].want);
    }
    char big[FMT_FIXED_MAX];
    assert_int_equal(fmt_double_fixed(big, 1.7976931348623157e308), 309);
    /* the smallest subnormal: "0." then 323 zeros then "5" */
    assert_int_equal(fmt_double_fixed(big, 5e-324), 2 + 323 + 1);
    assert_string_equal(big + 325, "5");

    buf b;
    buf_init(&b, 0);
    jsonw w;
    jsonw_init(&w, &b);
    jsonw_array_begin(&w);
    jsonw_prom_time(&w, 1700000000500);
    jsonw_prom_time(&w, 1700000000000);
    jsonw_prom_time(&w, 1700000000123);
    jsonw_prom_time(&w, -1500);
    jsonw_prom_time(&w, 10);
    jsonw_prom_value(&w, 2);
    jsonw_array_end(&w);
    assert_string_equal(b.data, "[1700000000.5,1700000000,1700000000.123,-1.5,0.01,\"2\"]");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nesting_and_escaping),
        cmocka_unit_test(prometheus_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
