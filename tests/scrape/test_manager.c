/*
 * test_manager.c — the target manager without real peers: file_sd files
 * (JSON and YAML) are re-read when they change, relabeling drops targets
 * into the dropped list, applying a config keeps targets whose identity is
 * unchanged and scrapes run against a local libheron endpoint (so up,
 * timings and series reach the tsdb); the API handlers' JSON is checked
 * through the snapshot they are built from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "scrape/manager.h"

typedef struct fixture {
    char dir[64];
    tsdb_db *db;
    scrape_manager *m;
    heron_registry *reg;
    heron_endpoint *ep;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/heron_scrape_mgr_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char db[128];
    snprintf(db, sizeof db, "%s/db", f->dir);
    heron_err err = {0};
    assert_int_equal(tsdb_open(db, NULL, &f->db, &err), 0);
    scrape_manager_opts o = {.db = f->db, .workers = 2};
    assert_int_equal(scrape_manager_new(&o, &f->m, &err), 0);
    /* A target: a libheron endpoint with one gauge. */
    assert_int_equal(heron_registry_new(&f->reg, NULL), 0);
    heron_family *g;
    assert_int_equal(heron_gauge_new(&(heron_opts){.registry = f->reg, .name = "gpu_util",
                                                   .help = "Utilisation."},
                                     &g, NULL),
                     0);
    heron_gauge_set(heron_gauge_with(g), 0.75);
    assert_int_equal(heron_endpoint_start(f->reg, "127.0.0.1:0", &f->ep, NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    scrape_manager_free(f->m);
    heron_endpoint_stop(f->ep);
    heron_registry_free(f->reg);
    tsdb_close(f->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *fp = fopen(tmp, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    assert_int_equal(rename(tmp, path), 0);
}

static void apply(fixture *f, const char *yaml)
{
    char name[128];
    snprintf(name, sizeof name, "%s/prometheus.yml", f->dir);
    scrape_config *c;
    heron_err err = {0};
    if (scrape_config_parse(name, yaml, strlen(yaml), &c, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(scrape_manager_apply(f->m, c, &err), 0);
}

static void counts(fixture *f, size_t *active, size_t *dropped)
{
    scrape_target_info *t;
    size_t n;
    assert_int_equal(scrape_manager_snapshot(f->m, &t, &n, NULL), 0);
    *active = *dropped = 0;
    for (size_t i = 0; i < n; i++)
        (*(t[i].active ? active : dropped))++;
    scrape_target_infos_free(t, n);
}

static void file_sd_rereads(void **state)
{
    fixture *f = *state;
    char path[128];
    snprintf(path, sizeof path, "%s/targets.json", f->dir);
    write_file(path, "[{\"targets\": [\"10.9.0.1:9100\"], \"labels\": {\"rack\": \"r1\"}}]");
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "scrape_configs:\n- job_name: sd\n  scrape_interval: 1h\n"
             "  file_sd_configs: [{files: ['*.json', '*.yml'], refresh_interval: 1h}]\n"
             "  relabel_configs: [{source_labels: [rack], regex: drop.*, action: drop}]\n");
    apply(f, yaml);
    size_t a, d;
    counts(f, &a, &d);
    assert_true(a == 1 && d == 0);
    /* Changed files are seen within a few seconds (polled every second). */
    write_file(path, "[{\"targets\": [\"10.9.0.1:9100\", \"10.9.0.2:9100\"], \"labels\": {\"rack\": \"r1\"}},"
                     " {\"targets\": [\"10.9.0.3:9100\"], \"labels\": {\"rack\": \"drop-me\"}}]");
    char ypath[128];
    snprintf(ypath, sizeof ypath, "%s/more.yml", f->dir);
    write_file(ypath, "- targets: ['10.9.0.4:9100']\n");
    for (int i = 0; i < 100; i++) {
        counts(f, &a, &d);
        if (a == 3 && d == 1)
            break;
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    assert_true(a == 3 && d == 1);
    /* A broken file keeps the last good targets. */
    write_file(ypath, "- targets: [unclosed\n");
    sleep(2);
    counts(f, &a, &d);
    assert_true(a == 3 && d == 1);
}

static void scrapes_a_local_endpoint(void **state)
{
    fixture *f = *state;
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "scrape_configs:\n- job_name: ep\n  scrape_interval: 200ms\n"
             "  static_configs: [{targets: ['127.0.0.1:%d'], labels: {team: ml}}]\n",
             heron_endpoint_port(f->ep));
    apply(f, yaml);
    assert_int_equal(scrape_manager_wait_scraped(f->m, 10000), 0);
    scrape_target_info *t;
    size_t n;
    assert_int_equal(scrape_manager_snapshot(f->m, &t, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].st.health, 1);
    assert_string_equal(t[0].st.last_error, "");
    assert_string_equal(scrape_lset_get(&t[0].labels, "team"), "ml");
    assert_true(t[0].st.samples_scraped >= 1);
    int64_t first = t[0].st.last_scrape_ms;
    scrape_target_infos_free(t, n);
    /* Re-applying the same config keeps the loop: its status carries on. */
    apply(f, yaml);
    assert_int_equal(scrape_manager_snapshot(f->m, &t, &n, NULL), 0);
    assert_true(n == 1 && t[0].st.health == 1 && t[0].st.last_scrape_ms >= first);
    scrape_target_infos_free(t, n);
    /* A changed job setting starts a new loop (not scraped yet). */
    snprintf(yaml, sizeof yaml,
             "scrape_configs:\n- job_name: ep\n  scrape_interval: 1h\n  sample_limit: 5\n"
             "  static_configs: [{targets: ['127.0.0.1:%d'], labels: {team: ml}}]\n",
             heron_endpoint_port(f->ep));
    apply(f, yaml);
    assert_int_equal(scrape_manager_snapshot(f->m, &t, &n, NULL), 0);
    assert_true(n == 1 && t[0].st.health == -1);
    scrape_target_infos_free(t, n);
    /* The samples are in the tsdb. */
    tsdb_querier *q;
    assert_int_equal(tsdb_querier_new(f->db, 0, INT64_MAX, &q, NULL), 0);
    tsdb_matcher *ms;
    assert_int_equal(tsdb_matcher_new(TSDB_MATCH_EQ, "__name__", "gpu_util", &ms, NULL), 0);
    tsdb_series_set *ss;
    assert_int_equal(tsdb_querier_select(q, (const tsdb_matcher *const *)&ms, 1, &ss, NULL), 0);
    assert_int_equal(tsdb_series_set_next(ss), 1);
    tsdb_iterator *it = tsdb_series_set_iterator(ss);
    assert_int_equal(tsdb_iterator_next(it), 1);
    int64_t ts;
    double v;
    tsdb_iterator_at(it, &ts, &v);
    assert_true(v == 0.75);
    tsdb_series_set_free(ss);
    tsdb_matcher_free(ms);
    tsdb_querier_free(q);
}

static void target_limit(void **state)
{
    fixture *f = *state;
    char yaml[512];
    int port = heron_endpoint_port(f->ep);
    snprintf(yaml, sizeof yaml,
             "scrape_configs:\n- job_name: lim\n  scrape_interval: 200ms\n  target_limit: 1\n"
             "  static_configs: [{targets: ['127.0.0.1:%d', 'localhost:%d']}]\n",
             port, port);
    apply(f, yaml);
    assert_int_equal(scrape_manager_wait_scraped(f->m, 10000), 0);
    scrape_target_info *t;
    size_t n;
    assert_int_equal(scrape_manager_snapshot(f->m, &t, &n, NULL), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t[i].st.health, 0);
        assert_string_equal(t[i].st.last_error,
                            "target_limit exceeded (number of targets: 2, limit: 1)");
    }
    scrape_target_infos_free(t, n);
}

static void body_size_limit(void **state)
{
    fixture *f = *state;
    char yaml[512];
    snprintf(yaml, sizeof yaml,
             "scrape_configs:\n- job_name: big\n  scrape_interval: 200ms\n  body_size_limit: 10B\n"
             "  static_configs: [{targets: ['127.0.0.1:%d']}]\n",
             heron_endpoint_port(f->ep));
    apply(f, yaml);
    assert_int_equal(scrape_manager_wait_scraped(f->m, 10000), 0);
    scrape_target_info *t;
    size_t n;
    assert_int_equal(scrape_manager_snapshot(f->m, &t, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].st.health, 0);
    assert_string_equal(t[0].st.last_error, "body size limit exceeded (10 bytes)");
    scrape_target_infos_free(t, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(file_sd_rereads, setup, teardown),
        cmocka_unit_test_setup_teardown(scrapes_a_local_endpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(target_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(body_size_limit, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
