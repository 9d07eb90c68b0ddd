/*
 * test_buf.c — growable buffers: growth, the size cap, detach.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "heron.h"

static void grows_and_terminates(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_printf(&b, "%d,", i), 0);
    assert_int_equal(strlen(b.data), b.len);
    assert_memory_equal(b.data, "0,1,2,", 6);
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_printf(&b, "%s", big), 0); /* longer than printf's scratch */
    assert_int_equal(b.data[b.len - 1], 'a');
    buf_free(&b);
}

static void cap_refuses_and_keeps_content(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 8);
    assert_int_equal(buf_puts(&b, "12345678"), 0);
    assert_int_equal(buf_putc(&b, '9'), HERON_ERANGE);
    assert_string_equal(b.data, "12345678");
    buf_free(&b);
}

static void detach_empty_gives_empty_string(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 0);
    size_t len = 99;
    char *s = buf_detach(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
}

static void loads_files(void **state)
{
    (void)state;
    char path[] = "/tmp/heron_buf_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char big[100000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)('a' + i % 26);
    assert_int_equal(write(fd, big, sizeof big), (ssize_t)sizeof big);
    close(fd);
    size_t len = 0;
    char *text = buf_load_file(path, &len);
    assert_non_null(text);
    assert_int_equal(len, sizeof big);
    assert_memory_equal(text, big, sizeof big);
    assert_int_equal(text[len], '\0');
    free(text);
    buf capped;
    buf_init(&capped, 1000);
    assert_int_equal(buf_read_file(&capped, path), HERON_ERANGE);
    buf_free(&capped);
    unlink(path);
    assert_null(buf_load_file("/nonexistent/heron", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grows_and_terminates),
        cmocka_unit_test(cap_refuses_and_keeps_content),
        cmocka_unit_test(detach_empty_gives_empty_string),
        cmocka_unit_test(loads_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
