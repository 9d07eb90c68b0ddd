/*
 * test_promnames.c — Prometheus' name rules and UTF-8 validation, shared by
 * libheron, the scraper, remote_write and PromQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "core/promnames.h"

#define OK(f, s) assert_true(f(s, strlen(s)))
#define BAD(f, s) assert_false(f(s, strlen(s)))

static void names(void **state)
{
    (void)state;
    OK(prom_metric_name_valid, "http_requests_total");
    OK(prom_metric_name_valid, "job:rate5m:sum");
    OK(prom_metric_name_valid, "_x9");
    BAD(prom_metric_name_valid, "");
    BAD(prom_metric_name_valid, "9x");
    BAD(prom_metric_name_valid, "a-b");
    BAD(prom_metric_name_valid, "a b");
    OK(prom_label_name_valid, "le");
    OK(prom_label_name_valid, "__name__");
    BAD(prom_label_name_valid, "a:b");
    BAD(prom_label_name_valid, "0a");
    BAD(prom_label_name_valid, "");
    /* slices: only the first n bytes count */
    assert_true(prom_label_name_valid("job=x", 3));
}

static void utf8(void **state)
{
    (void)state;
    OK(prom_utf8_valid, "");
    OK(prom_utf8_valid, "plain ascii long enough to take the fast path, twice over");
    OK(prom_utf8_valid, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80 and more ascii after it");
    BAD(prom_utf8_valid, "\xff");
    BAD(prom_utf8_valid, "ascii ascii ascii \xc0\xaf"); /* overlong '/' */
    BAD(prom_utf8_valid, "\xe0\x80\xaf");                 /* overlong, 3 bytes */
    BAD(prom_utf8_valid, "\xed\xa0\x80");                 /* surrogate */
    BAD(prom_utf8_valid, "\xf4\x90\x80\x80");             /* above U+10FFFF */
    BAD(prom_utf8_valid, "abc\xe2\x82");                  /* truncated */
    BAD(prom_utf8_valid, "\xc3(");                        /* bad continuation */
    /* a multi-byte rune cut by the slice end is refused */
    assert_false(prom_utf8_valid("\xc3\xa9", 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test(utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
