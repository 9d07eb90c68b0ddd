/*
 * test_golden.c — heron's exposition equals the Prometheus Python client's,
 * byte for byte, for the metrics of gen_goldens.py (which documents how the
 * golden files in tests/data/lib/ were produced).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "golden_metrics.h"
#include "heron.h"

/* The fixture's text; the caller frees it. */
static char *read_fixture(const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/lib/%s", getenv("HERON_SOURCE_DIR"), name);
    char *data = buf_load_file(path, NULL);
    assert_non_null(data);
    return data;
}

static void check_format(heron_format fmt, const char *golden)
{
    heron_registry *r;
    assert_int_equal(heron_registry_new(&r, NULL), 0);
    assert_int_equal(golden_build(r), 0);
    char *out;
    size_t len;
    assert_int_equal(heron_registry_expose(r, fmt, &out, &len, NULL), 0);
    char *want = read_fixture(golden);
    assert_string_equal(out, want);
    free(want);
    assert_int_equal(len, strlen(out));
    free(out);
    heron_registry_free(r);
}

static void text_matches_python_client(void **state)
{
    (void)state;
    check_format(HERON_FORMAT_TEXT, "golden.txt");
}

static void openmetrics_matches_python_client(void **state)
{
    (void)state;
    check_format(HERON_FORMAT_OPENMETRICS, "golden.om");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text_matches_python_client),
        cmocka_unit_test(openmetrics_matches_python_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
