/*
 * test_loop.c — targets and scrape loops against a real tsdb (in a temp
 * dir), read back through tsdb's querier: target labels, relabeling and
 * URLs; what a scrape stores (target labels, exported_ renaming,
 * honor_labels, honor_timestamps, metric relabeling); the synthetic
 * series; all-or-nothing scrapes (broken exposition, sample_limit, label
 * limits); staleness markers when a series or the target goes away.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scrape/config.h"
#include "scrape/scrape_loop.h"
#include "scrape/target.h"

typedef struct fixture {
    char dir[64];
    tsdb_db *db;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/heron_scrape_loop_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    heron_err err = {0};
    if (tsdb_open(f->dir, NULL, &f->db, &err) < 0)
        fail_msg("%s", err.msg);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    tsdb_close(f->db);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Samples of the one series matching name and (optionally) one more
 * label=value; returns how many series matched. */
static int read_series(tsdb_db *db, const char *name, const char *lname, const char *lval,
                       tsdb_sample *out, size_t *nout, char *labels_out, size_t lcap)
{
    tsdb_querier *q;
    assert_int_equal(tsdb_querier_new(db, 0, INT64_MAX, &q, NULL), 0);
    tsdb_matcher *ms[2];
    size_t nm = 1;
    assert_int_equal(tsdb_matcher_new(TSDB_MATCH_EQ, "__name__", name, &ms[0], NULL), 0);
    if (lname)
        assert_int_equal(tsdb_matcher_new(TSDB_MATCH_EQ, lname, lval, &ms[nm++], NULL), 0);
    tsdb_series_set *ss;
    assert_int_equal(tsdb_querier_select(q, (const tsdb_matcher *const *)ms, nm, &ss, NULL), 0);
    int nseries = 0;
    *nout = 0;
    while (tsdb_series_set_next(ss) == 1) {
        nseries++;
        size_t nl;
        const tsdb_label *ls = tsdb_series_set_labels(ss, &nl);
        if (labels_out) {
            labels_out[0] = '\0';
            for (size_t i = 0; i < nl; i++) {
                size_t used = strlen(labels_out);
                snprintf(labels_out + used, lcap - used, "%s%s=%s", i ? "," : "", ls[i].name,
                         ls[i].value);
            }
        }
        tsdb_iterator *it = tsdb_series_set_iterator(ss);
        while (tsdb_iterator_next(it) == 1 && *nout < 64) {
            tsdb_iterator_at(it, &out[*nout].t, &out[*nout].v);
            (*nout)++;
        }
    }
    tsdb_series_set_free(ss);
    for (size_t i = 0; i < nm; i++)
        tsdb_matcher_free(ms[i]);
    tsdb_querier_free(q);
    return nseries;
}

static scrape_config *parse_config(const char *y)
{
    scrape_config *c;
    heron_err err = {0};
    if (scrape_config_parse("t.yml", y, strlen(y), &c, &err) < 0)
        fail_msg("%s", err.msg);
    return c;
}

static void targets(void **state)
{
    (void)state;
    scrape_config *c = parse_config(
        "scrape_configs:\n"
        "- job_name: train\n"
        "  scrape_interval: 10s\n"
        "  params: {module: [a, b], x: [y z]}\n"
        "  relabel_configs:\n"
        "  - {source_labels: [__meta_kubernetes_pod_annotation_scrape], regex: 'false', action: drop}\n"
        "  - {action: labelmap, regex: '__meta_kubernetes_pod_label_(.+)'}\n"
        "  - {source_labels: [rank], target_label: __param_rank}\n");
    const scrape_job *j = &c->jobs[0];
    scrape_lset g = {0};
    scrape_lset_set(&g, "__meta_kubernetes_pod_label_app", "llama");
    scrape_lset_set(&g, "rank", "3");
    scrape_target t;
    heron_err err = {0};
    assert_int_equal(scrape_target_build(j, "10.0.0.1", &g, &t, &err), 1);
    assert_string_equal(t.url, "http://10.0.0.1:80/metrics?module=a&module=b&rank=3&x=y+z");
    assert_string_equal(scrape_lset_get(&t.labels, "instance"), "10.0.0.1:80");
    assert_string_equal(scrape_lset_get(&t.labels, "job"), "train");
    assert_string_equal(scrape_lset_get(&t.labels, "app"), "llama");
    assert_null(scrape_lset_get(&t.labels, "__meta_kubernetes_pod_label_app"));
    assert_string_equal(scrape_lset_get(&t.discovered, "__scrape_interval__"), "10s");
    assert_string_equal(scrape_lset_get(&t.discovered, "__param_module"), "a");
    assert_true(t.interval_ms == 10000 && t.timeout_ms == 10000);
    uint64_t h = t.hash;
    scrape_target_free(&t);
    assert_int_equal(scrape_target_build(j, "10.0.0.1", &g, &t, &err), 1);
    assert_true(t.hash == h);
    scrape_target_free(&t);

    scrape_lset_set(&g, "__meta_kubernetes_pod_annotation_scrape", "false");
    assert_int_equal(scrape_target_build(j, "10.0.0.1:9090", &g, &t, &err), 0);
    assert_string_equal(scrape_lset_get(&t.discovered, "__address__"), "10.0.0.1:9090");
    assert_int_equal(t.labels.n, 0);
    scrape_target_free(&t);
    scrape_lset_free(&g);

    assert_int_equal(scrape_target_build(j, "http://host:80", NULL, &t, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "is not a valid hostname"));
    assert_int_equal(scrape_target_build(j, "[::1]", NULL, &t, &err), 1);
    assert_string_equal(t.address, "[::1]:80");
    scrape_target_free(&t);
    scrape_config_free(c);
}

static scrape_loop *new_loop(fixture *f, const char *job, const char *instance, int honor_labels,
                             const scrape_config *c)
{
    scrape_lset tl = {0};
    scrape_lset_set(&tl, "job", job);
    scrape_lset_set(&tl, "instance", instance);
    scrape_lset_set(&tl, "zone", "z1");
    scrape_loop_opts o = {.db = f->db, .labels = &tl, .honor_labels = honor_labels,
                          .honor_timestamps = 1};
    if (c) {
        const scrape_job *j = &c->jobs[0];
        o.sample_limit = j->sample_limit;
        o.label_limit = j->label_limit;
        o.label_value_length_limit = j->label_value_length_limit;
        o.metric_relabel = j->metric_relabel_configs;
        o.nmetric_relabel = j->nmetric_relabel_configs;
    }
    scrape_loop *l;
    heron_err err = {0};
    assert_int_equal(scrape_loop_new(&o, &l, &err), 0);
    scrape_lset_free(&tl);
    return l;
}

static int ingest(scrape_loop *l, const char *body, int64_t ts, heron_err *err)
{
    return scrape_loop_ingest(l, body, body ? strlen(body) : 0, SCRAPE_FORMAT_TEXT, ts, 0.25,
                              body ? NULL : "connection refused", err);
}

static void stores_with_target_labels(void **state)
{
    fixture *f = *state;
    scrape_loop *l = new_loop(f, "gpu", "n1:9400", 0, NULL);
    heron_err err = {0};
    const char *body = "# TYPE temp gauge\n# HELP temp GPU \\\\ temperature.\n"
                       "temp{gpu=\"0\",job=\"exporter\",exported_job=\"x\"} 71\n"
                       "temp{gpu=\"1\",instance=\"dcgm\"} 65.5\n"
                       "plain 1 123\n";
    assert_int_equal(ingest(l, body, 1000, &err), 0);
    tsdb_sample s[64];
    size_t n;
    char labels[512];
    assert_int_equal(read_series(f->db, "temp", "gpu", "0", s, &n, labels, sizeof labels), 1);
    assert_string_equal(labels, "__name__=temp,exported_exported_job=exporter,exported_job=x,"
                                "gpu=0,instance=n1:9400,job=gpu,zone=z1");
    assert_true(n == 1 && s[0].t == 1000 && s[0].v == 71);
    assert_int_equal(read_series(f->db, "temp", "gpu", "1", s, &n, labels, sizeof labels), 1);
    assert_string_equal(labels, "__name__=temp,exported_instance=dcgm,gpu=1,instance=n1:9400,"
                                "job=gpu,zone=z1");
    /* honor_timestamps keeps the exposition's timestamp. */
    assert_int_equal(read_series(f->db, "plain", NULL, NULL, s, &n, NULL, 0), 1);
    assert_true(n == 1 && s[0].t == 123);
    static const struct {
        const char *name;
        double v;
    } rep[] = {{"up", 1}, {"scrape_duration_seconds", 0.25}, {"scrape_samples_scraped", 3},
               {"scrape_samples_post_metric_relabeling", 3}, {"scrape_series_added", 3}};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(read_series(f->db, rep[i].name, "job", "gpu", s, &n, labels, sizeof labels), 1);
        assert_true(n == 1 && s[0].t == 1000 && s[0].v == rep[i].v);
    }
    assert_string_equal(labels, "__name__=scrape_series_added,instance=n1:9400,job=gpu,zone=z1");
    /* Second scrape: nothing new. */
    assert_int_equal(ingest(l, body, 2000, &err), 0);
    read_series(f->db, "scrape_series_added", "job", "gpu", s, &n, NULL, 0);
    assert_true(n == 2 && s[1].v == 0);
    scrape_loop_status st;
    scrape_loop_get_status(l, &st);
    assert_true(st.health == 1 && st.last_scrape_ms == 2000 && st.samples_scraped == 3);
    scrape_loop_free(l);

    /* honor_labels keeps the exposition's values. */
    l = new_loop(f, "push", "pg:9091", 1, NULL);
    assert_int_equal(ingest(l, "batch_done{job=\"nightly\"} 1\nbatch_other 2\n", 1000, &err), 0);
    assert_int_equal(read_series(f->db, "batch_done", NULL, NULL, s, &n, labels, sizeof labels), 1);
    assert_string_equal(labels, "__name__=batch_done,instance=pg:9091,job=nightly,zone=z1");
    assert_int_equal(read_series(f->db, "batch_other", NULL, NULL, s, &n, labels, sizeof labels), 1);
    assert_string_equal(labels, "__name__=batch_other,instance=pg:9091,job=push,zone=z1");
    scrape_loop_free(l);
}

static void staleness(void **state)
{
    fixture *f = *state;
    scrape_loop *l = new_loop(f, "st", "a:1", 0, NULL);
    heron_err err = {0};
    assert_int_equal(ingest(l, "m{k=\"a\"} 1\nm{k=\"b\"} 2\nts_metric 5 500\n", 1000, &err), 0);
    assert_int_equal(ingest(l, "m{k=\"a\"} 1\n", 2000, &err), 0);
    tsdb_sample s[64];
    size_t n;
    read_series(f->db, "m", "k", "b", s, &n, NULL, 0);
    assert_int_equal(n, 2);
    assert_true(s[1].t == 2000 && tsdb_is_stale_nan(s[1].v));
    /* A series with its own timestamp is not marked stale. */
    read_series(f->db, "ts_metric", NULL, NULL, s, &n, NULL, 0);
    assert_int_equal(n, 1);
    /* b comes back. */
    assert_int_equal(ingest(l, "m{k=\"a\"} 1\nm{k=\"b\"} 3\n", 3000, &err), 0);
    read_series(f->db, "m", "k", "b", s, &n, NULL, 0);
    assert_true(n == 3 && s[2].v == 3);
    /* A failed scrape makes everything of the last one stale. */
    assert_int_equal(ingest(l, NULL, 4000, &err), HERON_EIO);
    assert_non_null(strstr(err.msg, "connection refused"));
    read_series(f->db, "m", "k", "a", s, &n, NULL, 0);
    assert_true(s[n - 1].t == 4000 && tsdb_is_stale_nan(s[n - 1].v));
    read_series(f->db, "up", "job", "st", s, &n, NULL, 0);
    assert_true(s[n - 1].t == 4000 && s[n - 1].v == 0);
    /* Reordered series take the hash path; long outages evict the cache
     * and the remembered order (ASan checks nothing dangles). */
    assert_int_equal(ingest(l, "m{k=\"b\"} 4\nm{k=\"a\"} 5\n", 4100, &err), 0);
    read_series(f->db, "m", "k", "b", s, &n, NULL, 0);
    assert_true(s[n - 1].t == 4100 && s[n - 1].v == 4);
    for (int i = 0; i < 12; i++)
        assert_int_equal(ingest(l, NULL, 4200 + i, &err), HERON_EIO);
    assert_int_equal(ingest(l, "m{k=\"b\"} 6\nm{k=\"a\"} 7\n", 4300, &err), 0);
    read_series(f->db, "m", "k", "a", s, &n, NULL, 0);
    assert_true(s[n - 1].t == 4300 && s[n - 1].v == 7);
    read_series(f->db, "scrape_series_added", "job", "st", s, &n, NULL, 0);
    assert_true(s[n - 1].v == 2); /* evicted, so new to the cache again */
    /* Back up, then the target goes away. */
    assert_int_equal(ingest(l, "m{k=\"a\"} 1\n", 5000, &err), 0);
    scrape_loop_stop(l, 5500);
    read_series(f->db, "m", "k", "a", s, &n, NULL, 0);
    assert_true(s[n - 1].t == 5500 && tsdb_is_stale_nan(s[n - 1].v));
    read_series(f->db, "up", "job", "st", s, &n, NULL, 0);
    assert_true(s[n - 1].t == 5500 && tsdb_is_stale_nan(s[n - 1].v));
    scrape_loop_free(l);
}

static void all_or_nothing(void **state)
{
    fixture *f = *state;
    scrape_config *c = parse_config(
        "scrape_configs:\n- job_name: lim\n  sample_limit: 3\n  label_limit: 6\n"
        "  metric_relabel_configs:\n  - {source_labels: [__name__], regex: 'go_.*', action: drop}\n");
    scrape_loop *l = new_loop(f, "lim", "b:1", 0, c);
    heron_err err = {0};
    assert_int_equal(ingest(l, "go_x 1\ngo_y 1\ngood 1\nalso 2\n", 1000, &err), 0);
    tsdb_sample s[64];
    size_t n;
    assert_int_equal(read_series(f->db, "go_x", NULL, NULL, s, &n, NULL, 0), 0);
    read_series(f->db, "scrape_samples_post_metric_relabeling", "job", "lim", s, &n, NULL, 0);
    assert_true(n == 1 && s[0].v == 2);
    read_series(f->db, "scrape_samples_scraped", "job", "lim", s, &n, NULL, 0);
    assert_true(s[0].v == 4);

    /* Broken exposition: nothing of it is stored. */
    assert_int_equal(ingest(l, "good 2\nnew_series 1\nbroken{ 3\n", 2000, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "line 3"));
    assert_int_equal(read_series(f->db, "new_series", NULL, NULL, s, &n, NULL, 0) > 0 ? (int)n : 0, 0);
    read_series(f->db, "good", NULL, NULL, s, &n, NULL, 0);
    assert_true(n == 2 && s[1].t == 2000 && tsdb_is_stale_nan(s[1].v));
    scrape_loop_status st;
    scrape_loop_get_status(l, &st);
    assert_int_equal(st.health, 0);
    assert_non_null(strstr(st.last_error, "line 3"));

    /* sample_limit counts samples kept after metric relabeling. */
    assert_int_equal(ingest(l, "a 1\nb 1\nc 1\nd 1\n", 3000, &err), HERON_ERANGE);
    assert_string_equal(err.msg, "sample limit exceeded");
    assert_int_equal(read_series(f->db, "d", NULL, NULL, s, &n, NULL, 0) > 0 ? (int)n : 0, 0);
    assert_int_equal(ingest(l, "go_1 1\ngo_2 1\na 1\nb 1\nc 1\n", 4000, &err), 0);

    /* label_limit: job, instance, zone and __name__ are 4; two more fit. */
    assert_int_equal(ingest(l, "w{x=\"1\",y=\"2\",z=\"3\"} 1\n", 5000, &err), HERON_ERANGE);
    assert_non_null(strstr(err.msg, "label_limit exceeded (metric: w, number of labels: 7, limit: 6)"));
    scrape_loop_free(l);
    scrape_config_free(c);
}

static void metadata_cb(const char *name, const char *type, const char *help, const char *unit,
                        void *arg)
{
    char *out = arg;
    size_t used = strlen(out);
    snprintf(out + used, 512 - used, "%s|%s|%s|%s;", name, type, help, unit);
}

static void metadata(void **state)
{
    fixture *f = *state;
    scrape_loop *l = new_loop(f, "meta", "c:1", 0, NULL);
    heron_err err = {0};
    const char *om = "# TYPE lat_seconds histogram\n# UNIT lat_seconds seconds\n"
                     "# HELP lat_seconds Latency \\\"x\\\".\nlat_seconds_count 1\n"
                     "lat_seconds_sum 2\nlat_seconds_bucket{le=\"+Inf\"} 1\n# EOF\n";
    assert_int_equal(scrape_loop_ingest(l, om, strlen(om), SCRAPE_FORMAT_OPENMETRICS, 1000, 0.1,
                                        NULL, &err), 0);
    char out[512] = "";
    scrape_loop_each_metadata(l, metadata_cb, out);
    assert_string_equal(out, "lat_seconds|histogram|Latency \"x\".|seconds;");
    scrape_loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(targets),
        cmocka_unit_test_setup_teardown(stores_with_target_labels, setup, teardown),
        cmocka_unit_test_setup_teardown(staleness, setup, teardown),
        cmocka_unit_test_setup_teardown(all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(metadata, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
