/*
 * test_endpoint.c — the embeddable /metrics endpoint over real HTTP on
 * 127.0.0.1: content negotiation, gzip, 404 and 405.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "heron.h"

static heron_registry *reg;
static heron_endpoint *ep;

/* Sends one request and reads the whole response (Connection: close). */
static char *http(const char *method, const char *path, const char *headers,
                  size_t *len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)heron_endpoint_port(ep))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[1024];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n%s\r\n",
                     method, path, headers);
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t cap = 1 << 16, used = 0;
    char *resp = malloc(cap);
    for (ssize_t r; (r = read(fd, resp + used, cap - used - 1)) > 0;)
        used += (size_t)r;
    close(fd);
    resp[used] = '\0';
    *len = used;
    return resp;
}

static const char *body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    assert_non_null(p);
    return p + 4;
}

static int setup(void **state)
{
    (void)state;
    heron_family *f;
    if (heron_registry_new(&reg, NULL) ||
        heron_counter_new(&(heron_opts){.registry = reg, .name = "served", .help = "h"}, &f, NULL))
        return -1;
    heron_counter_add(heron_counter_with(f), 41);
    heron_err err = {0};
    return heron_endpoint_start(reg, "127.0.0.1:0", &ep, &err);
}

static int teardown(void **state)
{
    (void)state;
    heron_endpoint_stop(ep);
    heron_registry_free(reg);
    return 0;
}

static void serves_text_by_default(void **state)
{
    (void)state;
    size_t len;
    char *r = http("GET", "/metrics", "", &len);
    assert_non_null(strstr(r, "HTTP/1.1 200"));
    assert_non_null(strstr(r, "text/plain; version=0.0.4; charset=utf-8"));
    assert_non_null(strstr(body_of(r), "served_total 41.0\n"));
    assert_null(strstr(r, "# EOF"));
    free(r);
}

static void negotiates_openmetrics(void **state)
{
    (void)state;
    size_t len;
    char *r = http("GET", "/metrics",
                   "Accept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n", &len);
    assert_non_null(strstr(r, "application/openmetrics-text; version=1.0.0"));
    assert_non_null(strstr(body_of(r), "served_total 41.0\nserved_created "));
    assert_non_null(strstr(body_of(r), "# EOF\n"));
    free(r);
}

static void gzips_when_asked(void **state)
{
    (void)state;
    size_t len;
    char *r = http("GET", "/metrics", "Accept-Encoding: gzip\r\n", &len);
    assert_non_null(strstr(r, "Content-Encoding: gzip"));
    const char *body = body_of(r);
    size_t zlen = len - (size_t)(body - r);
    char plain[4096];
    z_stream z = {0};
    assert_int_equal(inflateInit2(&z, 16 + MAX_WBITS), Z_OK);
    z.next_in = (Bytef *)body;
    z.avail_in = (uInt)zlen;
    z.next_out = (Bytef *)plain;
    z.avail_out = sizeof plain - 1;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    plain[z.total_out] = '\0';
    inflateEnd(&z);
    assert_non_null(strstr(plain, "served_total 41.0\n"));
    free(r);
}

static void refuses_other_paths_and_methods(void **state)
{
    (void)state;
    size_t len;
    char *r = http("GET", "/nope", "", &len);
    assert_non_null(strstr(r, "HTTP/1.1 404"));
    free(r);
    r = http("POST", "/metrics", "Content-Length: 0\r\n", &len);
    assert_non_null(strstr(r, "HTTP/1.1 405"));
    assert_non_null(strstr(r, "Allow: GET, HEAD"));
    free(r);
}

static void bad_address_is_an_error(void **state)
{
    (void)state;
    heron_endpoint *other;
    heron_err err = {0};
    assert_int_equal(heron_endpoint_start(reg, "no-port-here", &other, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "no-port-here"));
    char taken[64];
    snprintf(taken, sizeof taken, "127.0.0.1:%d", heron_endpoint_port(ep));
    assert_int_equal(heron_endpoint_start(reg, taken, &other, &err), HERON_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serves_text_by_default),
        cmocka_unit_test(negotiates_openmetrics),
        cmocka_unit_test(gzips_when_asked),
        cmocka_unit_test(refuses_other_paths_and_methods),
        cmocka_unit_test(bad_address_is_an_error),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
