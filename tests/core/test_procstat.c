/*
 * test_procstat.c — /proc/<pid>/stat parsing: odd command names, short and
 * garbled lines, and the fd count of this very process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/procstat.h"
#include "heron.h"

static void parses_odd_command_names(void **state)
{
    (void)state;
    /* fields 3..24 of a real stat line, with a comm holding ") (" */
    const char *line = "4242 (my (odd) daemon) S 1 4242 4242 0 -1 4194560 500 0 0 0 "
                       "250 150 0 0 20 0 7 0 12345 104857600 2560 18446744073709551615\n";
    procstat st;
    assert_int_equal(procstat_parse(line, &st), 0);
    assert_string_equal(st.comm, "my (odd) daemon");
    double hz = (double)sysconf(_SC_CLK_TCK);
    assert_true(st.user == 250 / hz && st.system == 150 / hz);
    assert_true(st.threads == 7);
    assert_true(st.start == 12345 / hz);
    assert_true(st.vsize == 104857600);
    assert_true(st.rss == 2560.0 * (double)sysconf(_SC_PAGESIZE));
}

static void refuses_garbage(void **state)
{
    (void)state;
    procstat st;
    assert_int_equal(procstat_parse("", &st), HERON_EINVAL);
    assert_int_equal(procstat_parse("12 (x) S 1 2 3", &st), HERON_EINVAL);
    assert_int_equal(procstat_parse("12 x) S", &st), HERON_EINVAL);
    assert_int_equal(procstat_parse("12 (x)", &st), HERON_EINVAL);
}

static void counts_own_fds(void **state)
{
    (void)state;
    assert_true(procstat_count_fds("/proc/self/fd") >= 3);
    assert_true(procstat_count_fds("/nonexistent/fd") == -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_odd_command_names),
        cmocka_unit_test(refuses_garbage),
        cmocka_unit_test(counts_own_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
