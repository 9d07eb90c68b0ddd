/*
 * test_units.c — Prometheus durations and byte sizes, and flag parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/flags.h"
#include "core/units.h"

static void durations(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t ms;
    } ok[] = {
        {"0", 0}, {"0s", 0}, {"15s", 15000}, {"1h30m", 5400000}, {"100ms", 100},
        {"1y", 365LL * 86400000}, {"2w", 14LL * 86400000}, {"1d12h", 129600000},
        {"5m30s250ms", 330250},
    };
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        int64_t ms = -1;
        assert_int_equal(units_parse_duration(ok[i].s, &ms, NULL), 0);
        assert_true(ms == ok[i].ms);
    }
    static const char *const bad[] = {"", "1", "s", "1x", "1m1h", "1s1s", "-1s", "1.5h",
                                      "99999999999999999999y", "1h "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t ms;
        heron_err err = {0};
        assert_int_equal(units_parse_duration(bad[i], &ms, &err), HERON_EINVAL);
        assert_non_null(strstr(err.msg, bad[i]));
    }
    char out[32];
    units_format_duration(5400000, out);
    assert_string_equal(out, "1h30m");
    units_format_duration(0, out);
    assert_string_equal(out, "0s");
    units_format_duration(15LL * 86400000, out);
    assert_string_equal(out, "15d");
    units_format_duration(14LL * 86400000, out);
    assert_string_equal(out, "2w");
    units_format_duration(365LL * 86400000 + 3600000, out);
    assert_string_equal(out, "365d1h");
    units_format_duration(-90000, out);
    assert_string_equal(out, "-1m30s");
    units_format_duration(1500, out);
    assert_string_equal(out, "1s500ms");
}

static void byte_sizes(void **state)
{
    (void)state;
    int64_t b;
    assert_int_equal(units_parse_bytes("512MB", &b, NULL), 0);
    assert_true(b == 512LL << 20);
    assert_int_equal(units_parse_bytes("1TB", &b, NULL), 0);
    assert_true(b == 1LL << 40);
    assert_int_equal(units_parse_bytes("10B", &b, NULL), 0);
    assert_true(b == 10);
    heron_err err = {0};
    assert_int_equal(units_parse_bytes("10", &b, &err), HERON_EINVAL);
    assert_int_equal(units_parse_bytes("10mb", &b, &err), HERON_EINVAL);
    assert_int_equal(units_parse_bytes("9999999EB", &b, &err), HERON_EINVAL);
}

static void flags(void **state)
{
    (void)state;
    const char *addr = "127.0.0.1:9797";
    int64_t timeout = 0, size = 0, n = 0;
    int admin = 0, lifecycle = 1;
    const flag_spec specs[] = {
        {"web.listen-address", FLAG_STRING, &addr, ""},
        {"query.timeout", FLAG_DURATION, &timeout, ""},
        {"storage.tsdb.retention.size", FLAG_BYTES, &size, ""},
        {"query.max-samples", FLAG_INT, &n, ""},
        {"web.enable-admin-api", FLAG_BOOL, &admin, ""},
        {"web.enable-lifecycle", FLAG_BOOL, &lifecycle, ""},
        {0},
    };
    char *argv[] = {"--web.listen-address=:9090", "--query.timeout", "30s",
                    "--storage.tsdb.retention.size=1GB", "pos1",
                    "--query.max-samples=42", "--web.enable-admin-api",
                    "--no-web.enable-lifecycle", "--", "--not-a-flag"};
    char *pos[10];
    int npos;
    assert_int_equal(flags_parse(specs, 10, argv, pos, &npos, NULL), 0);
    assert_string_equal(addr, ":9090");
    assert_true(timeout == 30000 && size == 1LL << 30 && n == 42);
    assert_true(admin == 1 && lifecycle == 0);
    assert_int_equal(npos, 2);
    assert_string_equal(pos[0], "pos1");
    assert_string_equal(pos[1], "--not-a-flag");

    heron_err err = {0};
    char *unknown[] = {"--web.listen-adress=x"};
    assert_int_equal(flags_parse(specs, 1, unknown, pos, &npos, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "unknown flag: --web.listen-adress"));
    char *missing[] = {"--query.timeout"};
    assert_int_equal(flags_parse(specs, 1, missing, pos, &npos, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "--query.timeout needs a value"));
    char *bad_duration[] = {"--query.timeout=soon"};
    assert_int_equal(flags_parse(specs, 1, bad_duration, pos, &npos, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "flag --query.timeout: not a valid duration string: \"soon\""));
    char *bad_bool[] = {"--web.enable-admin-api=maybe"};
    assert_int_equal(flags_parse(specs, 1, bad_bool, pos, &npos, &err), HERON_EINVAL);
    char *short_flag[] = {"-x"};
    assert_int_equal(flags_parse(specs, 1, short_flag, pos, &npos, &err), HERON_EINVAL);
}

static void commands(void **state)
{
    (void)state;
    int help = 0;
    const char *addr = "";
    const flag_spec specs[] = {
        {"web.listen-address", FLAG_STRING, &addr, ""},
        {"help", FLAG_BOOL, &help, ""},
        {0},
    };
    const flag_command cmd = {"heron test", "heron test [flags] ARG", specs, 1, 1};
    char *pos[4];
    int npos;
    char *ok[] = {"--web.listen-address=:1", "x"};
    assert_int_equal(flags_command(&cmd, 2, ok, pos, &npos), -1);
    assert_string_equal(pos[0], "x");
    char *missing[] = {"--web.listen-address=:1"};
    assert_int_equal(flags_command(&cmd, 1, missing, pos, &npos), 2);
    char *extra[] = {"a", "b"};
    assert_int_equal(flags_command(&cmd, 2, extra, pos, &npos), 2);
    char *bad[] = {"--nope", "a"};
    assert_int_equal(flags_command(&cmd, 2, bad, pos, &npos), 2);
    char *want_help[] = {"--help"};
    assert_int_equal(flags_command(&cmd, 1, want_help, pos, &npos), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations),
        cmocka_unit_test(byte_sizes),
        cmocka_unit_test(flags),
        cmocka_unit_test(commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
