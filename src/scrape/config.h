/*
 * config — prometheus.yml, with Prometheus 2.42's schema, defaults and
 * validation.
 *
 * scrape_config_load reads a file into a scrape_config: global settings,
 * scrape jobs (with their relabel rules compiled), rule_files, alerting,
 * remote_write and remote_read (decoded and validated; used by later
 * subsystems). Every error names the file, the line and the field:
 *   prometheus.yml:12: field scrape_intervall not found in type scrape_config
 *   prometheus.yml:9: scrape timeout greater than scrape interval for scrape config with job name "gpu"
 * Relative paths (rule_files, file_sd files, *_file fields) are resolved
 * against the config file's directory when loaded.
 *
 * Service discovery: static_configs and file_sd_configs. Other *_sd_configs
 * are refused with a message saying so.
 *
 * Ownership: a loaded config is immutable and owned by the caller, freed
 * with scrape_config_free; it may be read from many threads at once.
 */
#ifndef HERON_SCRAPE_CONFIG_H
#define HERON_SCRAPE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "heron.h"
#include "scrape/lset.h"
#include "scrape/relabel.h"

typedef struct scrape_tls_config {
    char *ca_file, *cert_file, *key_file, *server_name, *min_version;
    int insecure_skip_verify;
} scrape_tls_config;

typedef struct scrape_basic_auth {
    char *username, *password, *password_file;
} scrape_basic_auth;

typedef struct scrape_authorization {
    char *type; /* "Bearer" when credentials are set and type is not */
    char *credentials, *credentials_file;
} scrape_authorization;

/* The HTTP client settings every Prometheus client section shares. */
typedef struct scrape_http_config {
    scrape_basic_auth basic_auth;
    scrape_authorization authorization;
    char *bearer_token, *bearer_token_file; /* folded into authorization */
    scrape_tls_config tls_config;
    char *proxy_url;
    int follow_redirects, enable_http2;
} scrape_http_config;

typedef struct scrape_static_config {
    char **targets;
    size_t ntargets;
    scrape_lset labels;
} scrape_static_config;

typedef struct scrape_file_sd_config {
    char **files; /* glob patterns, made absolute */
    size_t nfiles;
    int64_t refresh_interval_ms;
} scrape_file_sd_config;

typedef struct scrape_param {
    char *name, *value;
} scrape_param;

typedef struct scrape_params {
    scrape_param *v; /* name may repeat: ?module=a&module=b */
    size_t n;
} scrape_params;

typedef struct scrape_job {
    char *job_name;
    int64_t scrape_interval_ms, scrape_timeout_ms;
    char *metrics_path, *scheme;
    scrape_params params;
    int honor_labels, honor_timestamps;
    uint64_t sample_limit, label_limit, label_name_length_limit,
        label_value_length_limit, target_limit;
    int64_t body_size_limit;
    scrape_http_config http;
    scrape_static_config *static_configs;
    size_t nstatic_configs;
    scrape_file_sd_config *file_sd_configs;
    size_t nfile_sd_configs;
    scrape_relabel *relabel_configs;
    size_t nrelabel_configs;
    scrape_relabel *metric_relabel_configs;
    size_t nmetric_relabel_configs;
    size_t line; /* where the job starts in the file */
} scrape_job;

typedef struct scrape_global_config {
    int64_t scrape_interval_ms, scrape_timeout_ms, evaluation_interval_ms;
    scrape_lset external_labels;
    char *query_log_file;
} scrape_global_config;

typedef struct scrape_alertmanager_config {
    scrape_http_config http;
    char *scheme, *path_prefix, *api_version;
    int64_t timeout_ms;
    scrape_static_config *static_configs;
    size_t nstatic_configs;
    scrape_file_sd_config *file_sd_configs;
    size_t nfile_sd_configs;
    scrape_relabel *relabel_configs;
    size_t nrelabel_configs;
} scrape_alertmanager_config;

typedef struct scrape_alerting_config {
    scrape_relabel *alert_relabel_configs;
    size_t nalert_relabel_configs;
    scrape_alertmanager_config *alertmanagers;
    size_t nalertmanagers;
} scrape_alerting_config;

typedef struct scrape_queue_config {
    uint64_t capacity, max_shards, min_shards, max_samples_per_send;
    int64_t batch_send_deadline_ms, min_backoff_ms, max_backoff_ms;
    int retry_on_http_429;
} scrape_queue_config;

typedef struct scrape_metadata_config {
    int send;
    int64_t send_interval_ms;
    uint64_t max_samples_per_send;
} scrape_metadata_config;

typedef struct scrape_remote_write_config {
    char *url, *name;
    int64_t remote_timeout_ms;
    scrape_lset headers;
    scrape_relabel *write_relabel_configs;
    size_t nwrite_relabel_configs;
    int send_exemplars, send_native_histograms;
    scrape_http_config http;
    scrape_queue_config queue_config;
    scrape_metadata_config metadata_config;
} scrape_remote_write_config;

typedef struct scrape_remote_read_config {
    char *url, *name;
    int64_t remote_timeout_ms;
    scrape_lset headers, required_matchers;
    int read_recent, filter_external_labels;
    scrape_http_config http;
} scrape_remote_read_config;

typedef struct scrape_storage_config {
    struct scrape_storage_tsdb {
        int64_t out_of_order_time_window_ms;
    } tsdb;
    struct scrape_storage_exemplars {
        uint64_t max_exemplars;
    } exemplars;
} scrape_storage_config;

typedef struct scrape_tracing_config {
    char *endpoint, *client_type, *compression;
    double sampling_fraction;
    int insecure;
    int64_t timeout_ms;
    scrape_lset headers;
    scrape_tls_config tls_config;
} scrape_tracing_config;

typedef struct scrape_config {
    char *file; /* path as given; NULL for the built-in default */
    scrape_global_config global;
    char **rule_files; /* patterns, made absolute */
    size_t nrule_files;
    scrape_job *jobs;
    size_t njobs;
    scrape_alerting_config alerting;
    scrape_remote_write_config *remote_write;
    size_t nremote_write;
    scrape_remote_read_config *remote_read;
    size_t nremote_read;
    scrape_storage_config storage;
    scrape_tracing_config tracing;
    char *text; /* the YAML as read */
} scrape_config;

/* Loads and validates path. *out is the caller's (scrape_config_free). */
int scrape_config_load(const char *path, scrape_config **out, heron_err *err);
/* The same from memory; name stands for the file in errors and resolves
 * relative paths (its directory). */
int scrape_config_parse(const char *name, const char *text, size_t len,
                        scrape_config **out, heron_err *err);
/* heron's built-in config when no file is given: job "heron" scraping the
 * server's own /metrics at listen_address ("host:port") every 15s. */
int scrape_config_default(const char *listen_address, scrape_config **out,
                          heron_err *err);
void scrape_config_free(scrape_config *c);

/* The job named name, or NULL. */
const scrape_job *scrape_config_job(const scrape_config *c, const char *name);

/* Loads a file_sd file (JSON or YAML by extension: a list of
 * {targets: [...], labels: {...}} groups) into groups[0..*n), each owned
 * by the caller (scrape_static_configs_free). */
int scrape_file_sd_read(const char *path, scrape_static_config **groups,
                        size_t *n, heron_err *err);
void scrape_static_configs_free(scrape_static_config *g, size_t n);

#endif
