/*
 * test_api_server — heron server's API as a user meets it, without a peer:
 * remote_write (applied entirely or not at all, malformed bodies refused),
 * the admin endpoints, status endpoints, routing of label values, methods,
 * and the `heron query` CLI against the running server.
 */
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "peer.h"
#include "rw_client.h"

static char tmpdir[256], heron[512], write_url[160];
static peer srv = {"heron", 0, 0, ""};
static int64_t now_ms;

static long get(const char *path, buf *out)
{
    char url[2048];
    snprintf(url, sizeof url, "%s%s", srv.base, path);
    return peer_http(url, NULL, out);
}

/* The number of series an instant query at now returns (-1: error). */
static int count_series(const char *q)
{
    char esc[1024], path[1200];
    peer_url_escape(q, esc, sizeof esc);
    snprintf(path, sizeof path, "/api/v1/query?query=%s&time=%.3f", esc,
             (double)now_ms / 1000);
    buf b;
    buf_init(&b, 0);
    long code = get(path, &b);
    json_t *root = json_loads(b.data, 0, NULL);
    int n = code == 200 ? (int)json_array_size(json_object_get(
                              json_object_get(root, "data"), "result"))
                        : -1;
    json_decref(root);
    buf_free(&b);
    return n;
}

static void push_series(rw_batch *b, const char *name, const char *inst, int n)
{
    const char *ls[] = {"__name__", name, "instance", inst, NULL};
    int64_t ts[16];
    double vs[16];
    for (int i = 0; i < n && i < 16; i++) {
        ts[i] = now_ms - (int64_t)(n - i) * 15000;
        vs[i] = i;
    }
    rw_batch_add(b, ls, ts, vs, (size_t)n);
}

static int setup(void **state)
{
    (void)state;
    const char *bin = getenv("HERON_BINARY_DIR");
    snprintf(heron, sizeof heron, "%s/heron", bin ? bin : ".");
    if (peer_tmpdir(tmpdir, sizeof tmpdir))
        return -1;
    char data[320], listen[64], log[320], cfg[320], cfgflag[340];
    snprintf(data, sizeof data, "--storage.tsdb.path=%s/data", tmpdir);
    /* no scrape jobs: the test knows every series the server holds */
    snprintf(cfg, sizeof cfg, "%s/heron.yml", tmpdir);
    snprintf(cfgflag, sizeof cfgflag, "--config.file=%s", cfg);
    FILE *f = fopen(cfg, "w");
    if (!f)
        return -1;
    fputs("global:\n  scrape_interval: 15s\n", f);
    fclose(f);
    snprintf(log, sizeof log, "%s/heron.log", tmpdir);
    srv.port = peer_free_port();
    snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", srv.port);
    char *argv[] = {heron, "server", cfgflag, listen, data, "--web.enable-remote-write-receiver",
                    "--web.enable-admin-api", "--log.level=warn", NULL};
    if (peer_start(&srv, argv, log))
        return -1;
    snprintf(write_url, sizeof write_url, "%s/api/v1/write", srv.base);
    now_ms = (int64_t)time(NULL) * 1000;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    peer_stop(&srv);
    peer_rmdir(tmpdir);
    return 0;
}

static void test_remote_write(void **state)
{
    (void)state;
    rw_batch b;
    rw_batch_init(&b);
    push_series(&b, "rw_ok", "a", 10);
    push_series(&b, "rw_ok", "b", 10);
    assert_int_equal(rw_batch_send(&b, write_url), 204);
    assert_int_equal(count_series("rw_ok"), 2);

    /* one good series and one sample older than its series' last one:
     * refused with 400 and nothing of the request applied */
    push_series(&b, "rw_all_or_nothing", "a", 5);
    const char *ls[] = {"__name__", "rw_ok", "instance", "a", NULL};
    int64_t t = now_ms - 3600 * 1000;
    double v = 1;
    rw_batch_add(&b, ls, &t, &v, 1);
    assert_int_equal(rw_batch_send(&b, write_url), 400);
    assert_int_equal(count_series("rw_all_or_nothing"), 0);
    assert_int_equal(count_series("count_over_time(rw_ok[1h]) == 10"), 2);

    /* malformed bodies */
    buf out;
    buf_init(&out, 0);
    assert_int_equal(peer_http(write_url, "not snappy", &out), 400);
    assert_non_null(strstr(out.data, "snappy"));
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/write", srv.base);
    assert_int_equal(peer_http_method(url, "GET", &out), 405);
    buf_free(&out);
    rw_batch_free(&b);
}

static void test_admin(void **state)
{
    (void)state;
    rw_batch b;
    rw_batch_init(&b);
    push_series(&b, "to_delete", "a", 4);
    push_series(&b, "to_delete", "b", 4);
    assert_int_equal(rw_batch_send(&b, write_url), 204);
    assert_int_equal(count_series("to_delete"), 2);
    buf out;
    buf_init(&out, 0);
    char url[512];
    snprintf(url, sizeof url, "%s/api/v1/admin/tsdb/delete_series", srv.base);
    assert_int_equal(peer_http(url, "match[]=to_delete{instance=\"a\"}", &out), 204);
    assert_int_equal(count_series("to_delete"), 1);
    assert_int_equal(peer_http(url, "start=1", &out), 400);
    assert_non_null(strstr(out.data, "no match[] parameter provided"));
    assert_int_equal(peer_http_method(url, "GET", &out), 405);
    snprintf(url, sizeof url, "%s/api/v1/admin/tsdb/clean_tombstones", srv.base);
    assert_int_equal(peer_http_method(url, "PUT", &out), 204);
    assert_int_equal(count_series("to_delete"), 1);
    buf_free(&out);
    rw_batch_free(&b);
}

static void test_status_and_routes(void **state)
{
    (void)state;
    buf out;
    buf_init(&out, 0);
    assert_int_equal(get("/api/v1/status/tsdb", &out), 200);
    json_t *root = json_loads(out.data, 0, NULL);
    json_t *head = json_object_get(json_object_get(root, "data"), "headStats");
    assert_true(json_integer_value(json_object_get(head, "numSeries")) >= 3);
    json_decref(root);
    assert_int_equal(get("/api/v1/status/buildinfo", &out), 200);
    assert_non_null(strstr(out.data, "\"version\""));
    assert_int_equal(get("/api/v1/status/runtimeinfo", &out), 200);
    assert_non_null(strstr(out.data, "\"storageRetention\":\"15d\""));
    assert_int_equal(get("/api/v1/status/flags", &out), 200);
    assert_non_null(strstr(out.data, "\"web.enable-admin-api\":\"true\""));
    assert_int_equal(get("/api/v1/label/instance/values", &out), 200);
    assert_non_null(strstr(out.data, "[\"a\",\"b\"]"));
    assert_int_equal(get("/api/v1/label/instance", &out), 404);
    assert_int_equal(get("/api/v1/label/in-stance/values", &out), 400);
    assert_int_equal(get("/api/v1/metadata", &out), 200);
    assert_int_equal(get("/api/v1/query_exemplars?query=up", &out), 200);
    assert_int_equal(get("/api/v1/nope", &out), 404);
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/query?query=1", srv.base);
    assert_int_equal(peer_http_method(url, "DELETE", &out), 405);
    buf_free(&out);
}

/* Runs `heron query ARGS` and returns its exit status with stdout in out. */
static int run_cli(const char *args, buf *out)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s query --server=%s %s 2>&1", heron, srv.base, args);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    buf_reset(out);
    char line[4096];
    while (fgets(line, sizeof line, p))
        buf_puts(out, line);
    buf_puts(out, "");
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_query_cli(void **state)
{
    (void)state;
    buf out;
    buf_init(&out, 0);
    assert_int_equal(run_cli("'1 + 1'", &out), 0);
    assert_non_null(strstr(out.data, "scalar: 2 @["));
    assert_int_equal(run_cli("'sort(rw_ok)'", &out), 0);
    assert_non_null(strstr(out.data, "rw_ok{instance=\"a\"} => 9 @["));
    assert_int_equal(run_cli("--start=-2m --step=1m 'rw_ok{instance=\"b\"}'", &out), 0);
    assert_non_null(strstr(out.data, "rw_ok{instance=\"b\"} =>\n"));
    assert_non_null(strstr(out.data, "\n9 @["));
    assert_int_equal(run_cli("--format=json 'vector(3)'", &out), 0);
    assert_non_null(strstr(out.data, "\"resultType\":\"vector\""));
    assert_int_equal(run_cli("'foo('", &out), 1);
    assert_non_null(strstr(out.data, "bad_data"));
    assert_int_equal(run_cli("", &out), 2);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_write),
        cmocka_unit_test(test_admin),
        cmocka_unit_test(test_status_and_routes),
        cmocka_unit_test(test_query_cli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
