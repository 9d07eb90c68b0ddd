/* test_api_params — Prometheus' time, duration and form parameter rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/api.h"

static void test_times(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(api_parse_time("1700000000", &ms, NULL), 0);
    assert_int_equal(ms, 1700000000000LL);
    assert_int_equal(api_parse_time("1700000000.123", &ms, NULL), 0);
    assert_int_equal(ms, 1700000000123LL);
    assert_int_equal(api_parse_time("1.5", &ms, NULL), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(api_parse_time("-1.5", &ms, NULL), 0);
    assert_int_equal(ms, -1500);
    assert_int_equal(api_parse_time("1e3", &ms, NULL), 0);
    assert_int_equal(ms, 1000000);
    assert_int_equal(api_parse_time("0.0005", &ms, NULL), 0);
    assert_int_equal(ms, 1); /* rounded to the millisecond */
    assert_int_equal(api_parse_time("2023-11-14T22:13:20Z", &ms, NULL), 0);
    assert_int_equal(ms, 1700000000000LL);
    assert_int_equal(api_parse_time("2023-11-14T22:13:20.781Z", &ms, NULL), 0);
    assert_int_equal(ms, 1700000000781LL);
    assert_int_equal(api_parse_time("2023-11-14T23:13:20.5+01:00", &ms, NULL), 0);
    assert_int_equal(ms, 1700000000500LL);
    assert_int_equal(api_parse_time("-292273086-05-16T16:47:06Z", &ms, NULL), 0);
    assert_int_equal(ms, API_MIN_TIME);
    assert_int_equal(api_parse_time("292277025-08-18T07:12:54.999999999Z", &ms, NULL), 0);
    assert_int_equal(ms, API_MAX_TIME);

    heron_err err = {0};
    static const char *const bad[] = {"", "x", " 1", "1 ", "2023-11-14", "2023-11-14T22:13:20",
                                      "2023-13-14T22:13:20Z", "2023-11-14T22:13:20.Z",
                                      "1h", NULL};
    for (size_t i = 0; bad[i]; i++) {
        assert_int_equal(api_parse_time(bad[i], &ms, &err), HERON_EINVAL);
    }
    api_parse_time("x", &ms, &err);
    assert_string_equal(err.msg, "cannot parse \"x\" to a valid timestamp");
}

static void test_durations(void **state)
{
    (void)state;
    int64_t ms;
    assert_int_equal(api_parse_duration("15", &ms, NULL), 0);
    assert_int_equal(ms, 15000);
    assert_int_equal(api_parse_duration("0.5", &ms, NULL), 0);
    assert_int_equal(ms, 500);
    assert_int_equal(api_parse_duration("15s", &ms, NULL), 0);
    assert_int_equal(ms, 15000);
    assert_int_equal(api_parse_duration("1h30m", &ms, NULL), 0);
    assert_int_equal(ms, 5400000);
    assert_int_equal(api_parse_duration("-3", &ms, NULL), 0);
    assert_int_equal(ms, -3000);
    heron_err err = {0};
    assert_int_equal(api_parse_duration("abc", &ms, &err), HERON_EINVAL);
    assert_string_equal(err.msg, "cannot parse \"abc\" to a valid duration");
    assert_int_equal(api_parse_duration("", &ms, &err), HERON_EINVAL);
    assert_int_equal(api_parse_duration("1e300", &ms, &err), HERON_EINVAL);
    assert_string_equal(err.msg,
                        "cannot parse \"1e300\" to a valid duration. It overflows int64");
    assert_int_equal(api_parse_duration("5m1h", &ms, &err), HERON_EINVAL);
}

static void test_form(void **state)
{
    (void)state;
    api_params p;
    memset(&p, 0, sizeof p);
    const char *form = "query=sum%28rate%28x%5B5m%5D%29%29+%2B+1&match[]=a&match%5B%5D=b&"
                       "empty=&bare&&bad=%zz%4";
    assert_int_equal(api_params_parse_form(&p, form, strlen(form)), 0);
    assert_string_equal(api_param(&p, "query"), "sum(rate(x[5m])) + 1");
    const char *all[4];
    assert_int_equal(api_param_all(&p, "match[]", all, 4), 2);
    assert_string_equal(all[0], "a");
    assert_string_equal(all[1], "b");
    assert_string_equal(api_param(&p, "empty"), "");
    assert_string_equal(api_param(&p, "bare"), "");
    assert_string_equal(api_param(&p, "bad"), "%zz%4");
    assert_null(api_param(&p, "missing"));
    assert_int_equal(api_param_all(&p, "missing", all, 4), 0);
    api_params_free(&p);
}

/* Bounded random driver: any bytes are parsed or refused, never crash
 * (run under ASan/UBSan), and refusals carry a message. */
static void test_random_inputs(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789.eE+-:TZtz%&=[]smhdwy _xX\x01\xff";
    uint64_t x = 12345;
    char s[40];
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = x % (sizeof s - 1);
        for (size_t j = 0; j < n; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            s[j] = alphabet[x % (sizeof alphabet - 1)];
        }
        s[n] = 0;
        int64_t ms;
        heron_err err = {0};
        if (api_parse_time(s, &ms, &err))
            assert_true(err.msg[0] != 0);
        err.msg[0] = 0;
        if (api_parse_duration(s, &ms, &err))
            assert_true(err.msg[0] != 0);
        api_params p;
        memset(&p, 0, sizeof p);
        assert_int_equal(api_params_parse_form(&p, s, n), 0);
        api_params_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_form),
        cmocka_unit_test(test_random_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
