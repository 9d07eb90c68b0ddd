/*
 * test_config.c — prometheus.yml loading: decoded values and Prometheus'
 * defaults on the fixtures in tests/data/scrape, file_sd files in JSON and
 * YAML, the built-in default config, and errors for what heron refuses
 * that promtool would accept (unsupported service discovery).
 * (The good/bad fixture table against promtool is test_config_promtool.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scrape/config.h"

static char path_buf[1024];

static const char *data_path(const char *rel)
{
    const char *src = getenv("HERON_SOURCE_DIR");
    snprintf(path_buf, sizeof path_buf, "%s/tests/data/scrape/%s", src ? src : ".", rel);
    return path_buf;
}

static scrape_config *load(const char *rel)
{
    scrape_config *c = NULL;
    heron_err err = {0};
    if (scrape_config_load(data_path(rel), &c, &err) < 0)
        fail_msg("%s", err.msg);
    return c;
}

static void ml_training(void **state)
{
    (void)state;
    scrape_config *c = load("ml_training.yml");
    assert_true(c->global.scrape_interval_ms == 15000);
    assert_true(c->global.scrape_timeout_ms == 10000);
    assert_true(c->global.evaluation_interval_ms == 30000);
    assert_string_equal(scrape_lset_get(&c->global.external_labels, "cluster"), "gpu-west-1");
    assert_int_equal(c->njobs, 8);
    assert_int_equal(c->nrule_files, 1);
    assert_non_null(strstr(c->rule_files[0], "tests/data/scrape/rules/*.yml"));
    assert_true(c->rule_files[0][0] == '/');

    const scrape_job *node = scrape_config_job(c, "node");
    assert_non_null(node);
    assert_true(node->scrape_interval_ms == 30000 && node->scrape_timeout_ms == 10000);
    assert_int_equal(node->nstatic_configs, 2);
    assert_int_equal(node->static_configs[0].ntargets, 2);
    assert_string_equal(node->static_configs[0].targets[1], "gpu-node-02:9100");
    assert_string_equal(scrape_lset_get(&node->static_configs[0].labels, "pool"), "a100");
    assert_string_equal(node->metrics_path, "/metrics");
    assert_string_equal(node->scheme, "http");
    assert_true(node->honor_timestamps && !node->honor_labels);
    assert_int_equal(node->line, 31);

    const scrape_job *dcgm = scrape_config_job(c, "dcgm");
    assert_true(dcgm->scrape_interval_ms == 5000 && dcgm->scrape_timeout_ms == 4000);
    assert_true(dcgm->sample_limit == 50000);
    assert_int_equal(dcgm->nmetric_relabel_configs, 3);
    assert_int_equal(dcgm->metric_relabel_configs[2].action, SCRAPE_RELABEL_LABELDROP);

    const scrape_job *tr = scrape_config_job(c, "training");
    assert_int_equal(tr->nrelabel_configs, 9);
    assert_int_equal(tr->relabel_configs[7].action, SCRAPE_RELABEL_HASHMOD);
    assert_true(tr->relabel_configs[7].modulus == 4);
    assert_true(tr->label_limit == 30 && tr->label_value_length_limit == 1024);
    assert_int_equal(tr->nfile_sd_configs, 1);
    assert_true(tr->file_sd_configs[0].refresh_interval_ms == 60000);
    assert_int_equal(tr->file_sd_configs[0].nfiles, 2);
    assert_non_null(strstr(tr->file_sd_configs[0].files[0], "/tests/data/scrape/targets/training*.json"));

    const scrape_job *pg = scrape_config_job(c, "pushgateway");
    assert_true(pg->honor_labels && !pg->honor_timestamps);

    const scrape_job *bb = scrape_config_job(c, "blackbox-http");
    assert_string_equal(bb->metrics_path, "/probe");
    assert_int_equal(bb->params.n, 1);
    assert_string_equal(bb->params.v[0].name, "module");
    assert_string_equal(bb->params.v[0].value, "http_2xx");

    const scrape_job *ml = scrape_config_job(c, "mlflow");
    assert_string_equal(ml->scheme, "https");
    assert_string_equal(ml->http.basic_auth.username, "prometheus");
    assert_non_null(strstr(ml->http.basic_auth.password_file, "/tests/data/scrape/secrets/mlflow_password"));
    assert_string_equal(ml->http.tls_config.server_name, "mlflow.internal");

    const scrape_job *tri = scrape_config_job(c, "triton");
    assert_string_equal(tri->http.authorization.type, "Bearer");
    assert_non_null(strstr(tri->http.authorization.credentials_file, "secrets/token"));
    assert_null(tri->http.bearer_token_file);

    assert_int_equal(c->alerting.nalertmanagers, 1);
    assert_string_equal(c->alerting.alertmanagers[0].api_version, "v2");
    assert_int_equal(c->alerting.alertmanagers[0].static_configs[0].ntargets, 2);
    assert_int_equal(c->nremote_write, 1);
    assert_true(c->remote_write[0].queue_config.capacity == 10000);
    assert_true(c->remote_write[0].queue_config.min_shards == 1);
    assert_true(c->remote_write[0].metadata_config.send_interval_ms == 60000);
    assert_int_equal(c->nremote_read, 1);
    assert_true(c->remote_read[0].filter_external_labels);
    assert_non_null(strstr(c->text, "gpu-west-1"));
    scrape_config_free(c);
}

static void defaults(void **state)
{
    (void)state;
    scrape_config *c = load("minimal.yml");
    assert_true(c->global.scrape_interval_ms == 60000);
    assert_true(c->global.scrape_timeout_ms == 10000);
    assert_true(c->jobs[0].scrape_interval_ms == 60000);
    assert_true(c->jobs[0].scrape_timeout_ms == 10000);
    scrape_config_free(c);

    /* A job interval below the global timeout caps the timeout. */
    const char *y = "global: {scrape_timeout: 10s}\nscrape_configs: [{job_name: a, scrape_interval: 5s}]\n";
    heron_err err = {0};
    assert_int_equal(scrape_config_parse("x.yml", y, strlen(y), &c, &err), 0);
    assert_true(c->jobs[0].scrape_timeout_ms == 5000);
    scrape_config_free(c);

    assert_int_equal(scrape_config_parse("empty.yml", "", 0, &c, &err), 0);
    assert_int_equal(c->njobs, 0);
    assert_true(c->global.scrape_interval_ms == 60000);
    scrape_config_free(c);

    assert_int_equal(scrape_config_default("0.0.0.0:9090", &c, &err), 0);
    assert_int_equal(c->njobs, 1);
    assert_string_equal(c->jobs[0].job_name, "heron");
    assert_true(c->jobs[0].scrape_interval_ms == 15000);
    assert_string_equal(c->jobs[0].static_configs[0].targets[0], "127.0.0.1:9090");
    scrape_config_free(c);
    assert_int_equal(scrape_config_default("localhost:9797", &c, &err), 0);
    assert_string_equal(c->jobs[0].static_configs[0].targets[0], "localhost:9797");
    scrape_config_free(c);
}

static void refused(void **state)
{
    (void)state;
    static const struct {
        const char *yaml, *msg;
    } tc[] = {
        {"scrape_configs:\n- job_name: k\n  kubernetes_sd_configs: [{role: pod}]\n",
         "x.yml:3: this field is not supported by heron"},
        {"scrape_configs:\n- job_name: k\n  oauth2: {client_id: x}\n", "x.yml:3: this field is not supported"},
        {"global: [1]\n", "x.yml:1: cannot unmarshal !!seq into global_config"},
        {"scrape_configs:\n- job_name: [a]\n", "x.yml:2: field job_name: cannot unmarshal !!seq into string"},
        {"- a\n", "x.yml:1: cannot unmarshal !!seq into config"},
        {"scrape_configs:\n- job_name: a\n  tls_config: {cert_file: c}\n",
         "exactly one of key or key_file must be configured"},
    };
    for (size_t i = 0; i < sizeof tc / sizeof *tc; i++) {
        scrape_config *c = NULL;
        heron_err err = {0};
        int rc = scrape_config_parse("x.yml", tc[i].yaml, strlen(tc[i].yaml), &c, &err);
        if (rc != HERON_EINVAL || c != NULL || strstr(err.msg, tc[i].msg) == NULL)
            fail_msg("case %zu: rc %d \"%s\", want \"%s\"", i, rc, err.msg, tc[i].msg);
    }
    scrape_config *c = NULL;
    heron_err err = {0};
    assert_int_equal(scrape_config_load("/nonexistent/p.yml", &c, &err), HERON_EIO);
    assert_non_null(strstr(err.msg, "/nonexistent/p.yml"));
}

static void file_sd(void **state)
{
    (void)state;
    scrape_static_config *g;
    size_t n;
    heron_err err = {0};
    assert_int_equal(scrape_file_sd_read(data_path("targets/training_llm.json"), &g, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(g[0].ntargets, 2);
    assert_string_equal(g[0].targets[1], "10.1.0.12");
    assert_string_equal(scrape_lset_get(&g[0].labels, "__meta_kubernetes_pod_label_app"), "llama-7b");
    scrape_static_configs_free(g, n);
    assert_int_equal(scrape_file_sd_read(data_path("targets/training_vision.yml"), &g, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(scrape_lset_get(&g[0].labels, "__meta_kubernetes_namespace"), "vision");
    scrape_static_configs_free(g, n);
    assert_int_equal(scrape_file_sd_read(data_path("ml_training.yml"), &g, &n, &err), HERON_EINVAL);
    assert_non_null(strstr(err.msg, "ml_training.yml:4: cannot unmarshal !!map into a list"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ml_training),
        cmocka_unit_test(defaults),
        cmocka_unit_test(refused),
        cmocka_unit_test(file_sd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
