/*
 * config.c — prometheus.yml schema tables, defaults and validation (see
 * config.h). The decoding itself is cfgdec's; this file says what the
 * fields are and checks what Prometheus 2.42 checks, with its messages.
 */
#include "scrape/config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"
#include "scrape/cfgdec.h"

#define MS(s) ((int64_t)(s) * 1000)

/* ---- helpers ---- */

static int set_default(char **p, const char *v)
{
    if (*p == NULL && (*p = strdup(v)) == NULL)
        return HERON_ENOMEM;
    return 0;
}

/* Makes a relative path absolute against the config file's directory. */
static int resolve(cfgdec *d, char **p, heron_err *err)
{
    if (*p == NULL || **p == '\0' || **p == '/' || strcmp(cfgdec_dir(d), ".") == 0)
        return 0;
    buf b;
    buf_init(&b, 0);
    if (buf_printf(&b, "%s/%s", cfgdec_dir(d), *p) < 0) {
        buf_free(&b);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    free(*p);
    *p = buf_detach(&b, NULL);
    return 0;
}

/* ^[^*]*(\*[^/]*)?<suffix>$: at most one '*', and none before a '/'. */
static int glob_pattern_ok(const char *s)
{
    const char *star = strchr(s, '*');
    return star == NULL || (strchr(star + 1, '*') == NULL && strchr(star, '/') == NULL);
}

static int unsupported(cfgdec *d, yaml_node_t *node, void *m, heron_err *err)
{
    (void)m;
    return cfgdec_errf(d, node, err, HERON_EINVAL,
                       "this field is not supported by heron (service discovery: "
                       "static_configs and file_sd_configs; auth: basic_auth, "
                       "authorization, bearer_token, tls_config)");
}

/* ---- tls_config, basic_auth, authorization ---- */

static int tls_check(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err)
{
    scrape_tls_config *t = obj;
    if (t->min_version && strcmp(t->min_version, "TLS10") && strcmp(t->min_version, "TLS11") &&
        strcmp(t->min_version, "TLS12") && strcmp(t->min_version, "TLS13"))
        return cfgdec_errf(d, node, err, HERON_EINVAL, "unknown TLS version: %s",
                           t->min_version);
    if ((t->cert_file != NULL) != (t->key_file != NULL))
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           t->cert_file ? "exactly one of key or key_file must be configured when a client certificate is configured"
                                        : "exactly one of cert or cert_file must be configured when a client key is configured");
    int rc = resolve(d, &t->ca_file, err);
    if (rc == 0)
        rc = resolve(d, &t->cert_file, err);
    if (rc == 0)
        rc = resolve(d, &t->key_file, err);
    return rc;
}

static const cfg_field tls_fields[] = {
    {"ca_file", CFG_STRING, offsetof(scrape_tls_config, ca_file)},
    {"cert_file", CFG_STRING, offsetof(scrape_tls_config, cert_file)},
    {"key_file", CFG_STRING, offsetof(scrape_tls_config, key_file)},
    {"server_name", CFG_STRING, offsetof(scrape_tls_config, server_name)},
    {"insecure_skip_verify", CFG_BOOL, offsetof(scrape_tls_config, insecure_skip_verify)},
    {"min_version", CFG_STRING, offsetof(scrape_tls_config, min_version)},
};
static const cfg_type tls_type = {"tls_config", sizeof(scrape_tls_config), tls_fields,
                                  CFG_NFIELDS(tls_fields), NULL, tls_check, NULL};

static const cfg_field basic_auth_fields[] = {
    {"username", CFG_STRING, offsetof(scrape_basic_auth, username)},
    {"password", CFG_STRING, offsetof(scrape_basic_auth, password)},
    {"password_file", CFG_STRING, offsetof(scrape_basic_auth, password_file)},
};
static const cfg_type basic_auth_type = {"basic_auth", sizeof(scrape_basic_auth),
                                         basic_auth_fields, CFG_NFIELDS(basic_auth_fields),
                                         NULL, NULL, NULL};

static const cfg_field authorization_fields[] = {
    {"type", CFG_STRING, offsetof(scrape_authorization, type)},
    {"credentials", CFG_STRING, offsetof(scrape_authorization, credentials)},
    {"credentials_file", CFG_STRING, offsetof(scrape_authorization, credentials_file)},
};
static const cfg_type authorization_type = {"authorization", sizeof(scrape_authorization),
                                            authorization_fields,
                                            CFG_NFIELDS(authorization_fields), NULL, NULL, NULL};

/* The HTTP client fields, flattened into the struct that embeds a
 * scrape_http_config at member `http`. */
#define HTTP_FIELDS(T)                                                                   \
    {"basic_auth", CFG_OBJECT, offsetof(T, http.basic_auth), 0, &basic_auth_type},       \
    {"authorization", CFG_OBJECT, offsetof(T, http.authorization), 0, &authorization_type}, \
    {"bearer_token", CFG_STRING, offsetof(T, http.bearer_token)},                        \
    {"bearer_token_file", CFG_STRING, offsetof(T, http.bearer_token_file)},              \
    {"tls_config", CFG_OBJECT, offsetof(T, http.tls_config), 0, &tls_type},              \
    {"proxy_url", CFG_STRING, offsetof(T, http.proxy_url)},                              \
    {"follow_redirects", CFG_BOOL, offsetof(T, http.follow_redirects)},                  \
    {"enable_http2", CFG_BOOL, offsetof(T, http.enable_http2)},                          \
    {"oauth2", CFG_CUSTOM, 0, 0, NULL, unsupported},                                     \
    {"sigv4", CFG_CUSTOM, 0, 0, NULL, unsupported}

static void http_init(scrape_http_config *h)
{
    h->follow_redirects = 1;
    h->enable_http2 = 1;
}

/* HTTPClientConfig.Validate of Prometheus' common library. */
static int http_check(cfgdec *d, yaml_node_t *node, scrape_http_config *h, heron_err *err)
{
    scrape_basic_auth *ba = &h->basic_auth;
    scrape_authorization *az = &h->authorization;
    int has_ba = ba->username || ba->password || ba->password_file;
    int has_az = az->type || az->credentials || az->credentials_file;
    int has_bearer = (h->bearer_token && *h->bearer_token) ||
                     (h->bearer_token_file && *h->bearer_token_file);
    if (h->bearer_token && *h->bearer_token && h->bearer_token_file && *h->bearer_token_file)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "at most one of bearer_token & bearer_token_file must be configured");
    if (has_ba && has_bearer)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured");
    if (has_ba && ba->password && *ba->password && ba->password_file && *ba->password_file)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "at most one of basic_auth password & password_file must be configured");
    if (has_az) {
        if (has_bearer)
            return cfgdec_errf(d, node, err, HERON_EINVAL,
                               "authorization is not compatible with bearer_token & bearer_token_file");
        if (az->credentials && *az->credentials && az->credentials_file && *az->credentials_file)
            return cfgdec_errf(d, node, err, HERON_EINVAL,
                               "at most one of authorization credentials & credentials_file must be configured");
        if (az->type == NULL || az->type[strspn(az->type, " \t")] == '\0') {
            free(az->type);
            az->type = strdup("Bearer");
        }
        if (strcasecmp(az->type, "basic") == 0)
            return cfgdec_errf(d, node, err, HERON_EINVAL,
                               "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
        if (has_ba)
            return cfgdec_errf(d, node, err, HERON_EINVAL,
                               "at most one of basic_auth, oauth2 & authorization must be configured");
    } else if (has_bearer) {
        az->type = strdup("Bearer");
        if (h->bearer_token && *h->bearer_token) {
            az->credentials = h->bearer_token;
            h->bearer_token = NULL;
        } else {
            az->credentials_file = h->bearer_token_file;
            h->bearer_token_file = NULL;
        }
    }
    if (az->type == NULL && has_az)
        return err_set(err, HERON_ENOMEM, "out of memory");
    int rc = resolve(d, &ba->password_file, err);
    if (rc == 0)
        rc = resolve(d, &az->credentials_file, err);
    return rc;
}

/* ---- relabel_config ---- */

static int relabel_init(void *obj)
{
    return scrape_relabel_init(obj);
}

static void relabel_fini(void *obj)
{
    scrape_relabel_free(obj);
}

static int relabel_action_decode(cfgdec *d, yaml_node_t *node, void *m, heron_err *err)
{
    const char *v;
    if (cfgdec_scalar(d, node, "action", &v, err) < 0)
        return HERON_EINVAL;
    scrape_relabel *r = (scrape_relabel *)((char *)m - offsetof(scrape_relabel, action));
    if (scrape_relabel_action_parse(v, &r->action) < 0)
        return cfgdec_errf(d, node, err, HERON_EINVAL, "unknown relabel action \"%s\"", v);
    return 0;
}

static int relabel_check(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err)
{
    heron_err sub = {0};
    if (scrape_relabel_compile(obj, &sub) < 0)
        return cfgdec_errf(d, node, err, sub.code, "%s", sub.msg);
    return 0;
}

static const cfg_field relabel_fields[] = {
    {"source_labels", CFG_STRINGS, offsetof(scrape_relabel, source_labels),
     offsetof(scrape_relabel, nsource)},
    {"separator", CFG_STRING, offsetof(scrape_relabel, separator)},
    {"regex", CFG_STRING, offsetof(scrape_relabel, regex)},
    {"modulus", CFG_UINT, offsetof(scrape_relabel, modulus)},
    {"target_label", CFG_STRING, offsetof(scrape_relabel, target_label)},
    {"replacement", CFG_STRING, offsetof(scrape_relabel, replacement)},
    {"action", CFG_CUSTOM, offsetof(scrape_relabel, action), 0, NULL, relabel_action_decode},
};
static const cfg_type relabel_type = {"relabel_config", sizeof(scrape_relabel), relabel_fields,
                                      CFG_NFIELDS(relabel_fields), relabel_init, relabel_check,
                                      relabel_fini};

/* ---- static_configs, file_sd_configs ---- */

static const cfg_field static_fields[] = {
    {"targets", CFG_STRINGS, offsetof(scrape_static_config, targets),
     offsetof(scrape_static_config, ntargets)},
    {"labels", CFG_LABELS, offsetof(scrape_static_config, labels)},
};
static const cfg_type static_type = {"static_config", sizeof(scrape_static_config),
                                     static_fields, CFG_NFIELDS(static_fields), NULL,
                                     NULL, NULL};

static int file_sd_init(void *obj)
{
    ((scrape_file_sd_config *)obj)->refresh_interval_ms = MS(300);
    return 0;
}

static int file_sd_check(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err)
{
    scrape_file_sd_config *f = obj;
    if (f->nfiles == 0)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "file service discovery config must contain at least one path name");
    for (size_t i = 0; i < f->nfiles; i++) {
        const char *p = f->files[i];
        const char *dot = strrchr(p, '.');
        if (!glob_pattern_ok(p) || dot == NULL ||
            (strcasecmp(dot, ".json") && strcasecmp(dot, ".yml") && strcasecmp(dot, ".yaml")))
            return cfgdec_errf(d, node, err, HERON_EINVAL,
                               "path name \"%s\" is not valid for file discovery", p);
        int rc = resolve(d, &f->files[i], err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static const cfg_field file_sd_fields[] = {
    {"files", CFG_STRINGS, offsetof(scrape_file_sd_config, files),
     offsetof(scrape_file_sd_config, nfiles)},
    {"refresh_interval", CFG_DURATION, offsetof(scrape_file_sd_config, refresh_interval_ms)},
};
static const cfg_type file_sd_type = {"file_sd_config", sizeof(scrape_file_sd_config),
                                      file_sd_fields, CFG_NFIELDS(file_sd_fields), file_sd_init,
                                      file_sd_check, NULL};

/* Service discovery mechanisms heron does not implement: named so that the
 * error says "not supported" rather than "not found". */
#define UNSUPPORTED_SD                                                                    \
    {"azure_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                            \
    {"consul_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                           \
    {"digitalocean_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                     \
    {"docker_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                           \
    {"dockerswarm_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                      \
    {"dns_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                              \
    {"ec2_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                              \
    {"eureka_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                           \
    {"gce_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                              \
    {"hetzner_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                          \
    {"http_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                             \
    {"ionos_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                            \
    {"kubernetes_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                       \
    {"kuma_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                             \
    {"lightsail_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                        \
    {"linode_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                           \
    {"marathon_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                         \
    {"nerve_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                            \
    {"nomad_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                            \
    {"openstack_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                        \
    {"ovhcloud_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                         \
    {"puppetdb_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                         \
    {"scaleway_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                         \
    {"serverset_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                        \
    {"triton_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported},                           \
    {"uyuni_sd_configs", CFG_CUSTOM, 0, 0, NULL, unsupported}

/* ---- scrape_config ---- */

static int params_decode(cfgdec *d, yaml_node_t *node, void *m, heron_err *err)
{
    scrape_params *p = m;
    if (node->type != YAML_MAPPING_NODE)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "field params: expected a map of lists of strings");
    for (yaml_node_pair_t *pr = node->data.mapping.pairs.start;
         pr < node->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = cfgdec_node(d, pr->key), *v = cfgdec_node(d, pr->value);
        const char *name;
        if (cfgdec_scalar(d, k, "params", &name, err) < 0)
            return HERON_EINVAL;
        if (v->type != YAML_SEQUENCE_NODE)
            return cfgdec_errf(d, v, err, HERON_EINVAL,
                               "field params: the value of \"%s\" must be a list of strings",
                               name);
        yaml_node_t *it;
        for (size_t i = 0; (it = cfgdec_seq_item(d, v, i)) != NULL; i++) {
            const char *val;
            if (cfgdec_scalar(d, it, "params", &val, err) < 0)
                return HERON_EINVAL;
            scrape_param *nv = realloc(p->v, (p->n + 1) * sizeof *nv);
            if (nv == NULL)
                return err_set(err, HERON_ENOMEM, "out of memory");
            p->v = nv;
            nv[p->n].name = strdup(name);
            nv[p->n].value = strdup(val);
            p->n++;
            if (!nv[p->n - 1].name || !nv[p->n - 1].value)
                return err_set(err, HERON_ENOMEM, "out of memory");
        }
    }
    return 0;
}

static void params_free(void *m)
{
    scrape_params *p = m;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].value);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

static int job_init(void *obj)
{
    scrape_job *j = obj;
    j->honor_timestamps = 1;
    http_init(&j->http);
    return 0;
}

static int job_check(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err)
{
    scrape_job *j = obj;
    j->line = node ? node->start_mark.line + 1 : 0;
    if (j->job_name == NULL || j->job_name[0] == '\0')
        return cfgdec_errf(d, node, err, HERON_EINVAL, "job_name is empty");
    if (set_default(&j->metrics_path, "/metrics") < 0 || set_default(&j->scheme, "http") < 0)
        return err_set(err, HERON_ENOMEM, "out of memory");
    return http_check(d, node, &j->http, err);
}

static const cfg_field job_fields[] = {
    {"job_name", CFG_STRING, offsetof(scrape_job, job_name)},
    {"scrape_interval", CFG_DURATION, offsetof(scrape_job, scrape_interval_ms)},
    {"scrape_timeout", CFG_DURATION, offsetof(scrape_job, scrape_timeout_ms)},
    {"metrics_path", CFG_STRING, offsetof(scrape_job, metrics_path)},
    {"scheme", CFG_STRING, offsetof(scrape_job, scheme)},
    {"params", CFG_CUSTOM, offsetof(scrape_job, params), 0, NULL, params_decode, params_free},
    {"honor_labels", CFG_BOOL, offsetof(scrape_job, honor_labels)},
    {"honor_timestamps", CFG_BOOL, offsetof(scrape_job, honor_timestamps)},
    {"sample_limit", CFG_UINT, offsetof(scrape_job, sample_limit)},
    {"label_limit", CFG_UINT, offsetof(scrape_job, label_limit)},
    {"label_name_length_limit", CFG_UINT, offsetof(scrape_job, label_name_length_limit)},
    {"label_value_length_limit", CFG_UINT, offsetof(scrape_job, label_value_length_limit)},
    {"target_limit", CFG_UINT, offsetof(scrape_job, target_limit)},
    {"body_size_limit", CFG_BYTES, offsetof(scrape_job, body_size_limit)},
    {"static_configs", CFG_LIST, offsetof(scrape_job, static_configs),
     offsetof(scrape_job, nstatic_configs), &static_type},
    {"file_sd_configs", CFG_LIST, offsetof(scrape_job, file_sd_configs),
     offsetof(scrape_job, nfile_sd_configs), &file_sd_type},
    {"relabel_configs", CFG_LIST, offsetof(scrape_job, relabel_configs),
     offsetof(scrape_job, nrelabel_configs), &relabel_type},
    {"metric_relabel_configs", CFG_LIST, offsetof(scrape_job, metric_relabel_configs),
     offsetof(scrape_job, nmetric_relabel_configs), &relabel_type},
    HTTP_FIELDS(scrape_job),
    UNSUPPORTED_SD,
};
static const cfg_type job_type = {"scrape_config", sizeof(scrape_job), job_fields,
                                  CFG_NFIELDS(job_fields), job_init, job_check, NULL};

/* ---- global ---- */

static const cfg_field global_fields[] = {
    {"scrape_interval", CFG_DURATION, offsetof(scrape_global_config, scrape_interval_ms)},
    {"scrape_timeout", CFG_DURATION, offsetof(scrape_global_config, scrape_timeout_ms)},
    {"evaluation_interval", CFG_DURATION,
     offsetof(scrape_global_config, evaluation_interval_ms)},
    {"external_labels", CFG_LABELS, offsetof(scrape_global_config, external_labels)},
    {"query_log_file", CFG_STRING, offsetof(scrape_global_config, query_log_file)},
};
static const cfg_type global_type = {"global_config", sizeof(scrape_global_config),
                                     global_fields, CFG_NFIELDS(global_fields), NULL, NULL,
                                     NULL};

/* ---- alerting ---- */

static int am_init(void *obj)
{
    scrape_alertmanager_config *a = obj;
    http_init(&a->http);
    a->timeout_ms = MS(10);
    return 0;
}

static int am_check(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err)
{
    scrape_alertmanager_config *a = obj;
    if (set_default(&a->scheme, "http") < 0 || set_default(&a->path_prefix, "/") < 0 ||
        set_default(&a->api_version, "v2") < 0)
        return err_set(err, HERON_ENOMEM, "out of memory");
    if (strcmp(a->api_version, "v1") != 0 && strcmp(a->api_version, "v2") != 0)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "expected Alertmanager api version to be one of [v1 v2] but got \"%s\"",
                           a->api_version);
    return http_check(d, node, &a->http, err);
}

static const cfg_field am_fields[] = {
    {"scheme", CFG_STRING, offsetof(scrape_alertmanager_config, scheme)},
    {"path_prefix", CFG_STRING, offsetof(scrape_alertmanager_config, path_prefix)},
    {"api_version", CFG_STRING, offsetof(scrape_alertmanager_config, api_version)},
    {"timeout", CFG_DURATION, offsetof(scrape_alertmanager_config, timeout_ms)},
    {"static_configs", CFG_LIST, offsetof(scrape_alertmanager_config, static_configs),
     offsetof(scrape_alertmanager_config, nstatic_configs), &static_type},
    {"file_sd_configs", CFG_LIST, offsetof(scrape_alertmanager_config, file_sd_configs),
     offsetof(scrape_alertmanager_config, nfile_sd_configs), &file_sd_type},
    {"relabel_configs", CFG_LIST, offsetof(scrape_alertmanager_config, relabel_configs),
     offsetof(scrape_alertmanager_config, nrelabel_configs), &relabel_type},
    HTTP_FIELDS(scrape_alertmanager_config),
    UNSUPPORTED_SD,
};
static const cfg_type am_type = {"alertmanager_config", sizeof(scrape_alertmanager_config),
                                 am_fields, CFG_NFIELDS(am_fields), am_init, am_check, NULL};

static const cfg_field alerting_fields[] = {
    {"alert_relabel_configs", CFG_LIST, offsetof(scrape_alerting_config, alert_relabel_configs),
     offsetof(scrape_alerting_config, nalert_relabel_configs), &relabel_type},
    {"alertmanagers", CFG_LIST, offsetof(scrape_alerting_config, alertmanagers),
     offsetof(scrape_alerting_config, nalertmanagers), &am_type},
};
static const cfg_type alerting_type = {"alerting_config", sizeof(scrape_alerting_config),
                                       alerting_fields, CFG_NFIELDS(alerting_fields), NULL,
                                       NULL, NULL};

/* ---- remote_write, remote_read ---- */

static int queue_init(void *obj)
{
    scrape_queue_config *q = obj;
    q->capacity = 2500;
    q->max_shards = 200;
    q->min_shards = 1;
    q->max_samples_per_send = 500;
    q->batch_send_deadline_ms = MS(5);
    q->min_backoff_ms = 30;
    q->max_backoff_ms = MS(5);
    return 0;
}

static const cfg_field queue_fields[] = {
    {"capacity", CFG_UINT, offsetof(scrape_queue_config, capacity)},
    {"max_shards", CFG_UINT, offsetof(scrape_queue_config, max_shards)},
    {"min_shards", CFG_UINT, offsetof(scrape_queue_config, min_shards)},
    {"max_samples_per_send", CFG_UINT, offsetof(scrape_queue_config, max_samples_per_send)},
    {"batch_send_deadline", CFG_DURATION, offsetof(scrape_queue_config, batch_send_deadline_ms)},
    {"min_backoff", CFG_DURATION, offsetof(scrape_queue_config, min_backoff_ms)},
    {"max_backoff", CFG_DURATION, offsetof(scrape_queue_config, max_backoff_ms)},
    {"retry_on_http_429", CFG_BOOL, offsetof(scrape_queue_config, retry_on_http_429)},
};
static const cfg_type queue_type = {"queue_config", sizeof(scrape_queue_config), queue_fields,
                                    CFG_NFIELDS(queue_fields), queue_init, NULL, NULL};

static int metadata_init(void *obj)
{
    scrape_metadata_config *m = obj;
    m->send = 1;
    m->send_interval_ms = MS(60);
    m->max_samples_per_send = 500;
    return 0;
}

static const cfg_field metadata_fields[] = {
    {"send", CFG_BOOL, offsetof(scrape_metadata_config, send)},
    {"send_interval", CFG_DURATION, offsetof(scrape_metadata_config, send_interval_ms)},
    {"max_samples_per_send", CFG_UINT, offsetof(scrape_metadata_config, max_samples_per_send)},
};
static const cfg_type metadata_type = {"metadata_config", sizeof(scrape_metadata_config),
                                       metadata_fields, CFG_NFIELDS(metadata_fields),
                                       metadata_init, NULL, NULL};

static int rw_init(void *obj)
{
    scrape_remote_write_config *w = obj;
    http_init(&w->http);
    w->remote_timeout_ms = MS(30);
    queue_init(&w->queue_config);
    metadata_init(&w->metadata_config);
    return 0;
}

static int url_check(cfgdec *d, yaml_node_t *node, const char *url, const char *what,
                     heron_err *err)
{
    if (url == NULL || *url == '\0')
        return cfgdec_errf(d, node, err, HERON_EINVAL, "url for %s is empty", what);
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "invalid %s url \"%s\": the scheme must be http or https", what, url);
    return 0;
}

static int rw_check(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err)
{
    scrape_remote_write_config *w = obj;
    int rc = url_check(d, node, w->url, "remote_write", err);
    return rc < 0 ? rc : http_check(d, node, &w->http, err);
}

static const cfg_field rw_fields[] = {
    {"url", CFG_STRING, offsetof(scrape_remote_write_config, url)},
    {"name", CFG_STRING, offsetof(scrape_remote_write_config, name)},
    {"remote_timeout", CFG_DURATION, offsetof(scrape_remote_write_config, remote_timeout_ms)},
    {"headers", CFG_MAP, offsetof(scrape_remote_write_config, headers)},
    {"write_relabel_configs", CFG_LIST, offsetof(scrape_remote_write_config, write_relabel_configs),
     offsetof(scrape_remote_write_config, nwrite_relabel_configs), &relabel_type},
    {"send_exemplars", CFG_BOOL, offsetof(scrape_remote_write_config, send_exemplars)},
    {"send_native_histograms", CFG_BOOL,
     offsetof(scrape_remote_write_config, send_native_histograms)},
    {"queue_config", CFG_OBJECT, offsetof(scrape_remote_write_config, queue_config), 0,
     &queue_type},
    {"metadata_config", CFG_OBJECT, offsetof(scrape_remote_write_config, metadata_config), 0,
     &metadata_type},
    {"azuread", CFG_CUSTOM, 0, 0, NULL, unsupported},
    HTTP_FIELDS(scrape_remote_write_config),
};
static const cfg_type rw_type = {"remote_write_config", sizeof(scrape_remote_write_config),
                                 rw_fields, CFG_NFIELDS(rw_fields), rw_init, rw_check, NULL};

static int rr_init(void *obj)
{
    scrape_remote_read_config *r = obj;
    http_init(&r->http);
    r->remote_timeout_ms = MS(60);
    r->filter_external_labels = 1;
    return 0;
}

static int rr_check(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err)
{
    scrape_remote_read_config *r = obj;
    int rc = url_check(d, node, r->url, "remote_read", err);
    return rc < 0 ? rc : http_check(d, node, &r->http, err);
}

static const cfg_field rr_fields[] = {
    {"url", CFG_STRING, offsetof(scrape_remote_read_config, url)},
    {"name", CFG_STRING, offsetof(scrape_remote_read_config, name)},
    {"remote_timeout", CFG_DURATION, offsetof(scrape_remote_read_config, remote_timeout_ms)},
    {"headers", CFG_MAP, offsetof(scrape_remote_read_config, headers)},
    {"required_matchers", CFG_LABELS, offsetof(scrape_remote_read_config, required_matchers)},
    {"read_recent", CFG_BOOL, offsetof(scrape_remote_read_config, read_recent)},
    {"filter_external_labels", CFG_BOOL,
     offsetof(scrape_remote_read_config, filter_external_labels)},
    HTTP_FIELDS(scrape_remote_read_config),
};
static const cfg_type rr_type = {"remote_read_config", sizeof(scrape_remote_read_config),
                                 rr_fields, CFG_NFIELDS(rr_fields), rr_init, rr_check, NULL};

/* ---- storage, tracing ---- */

static const cfg_field storage_tsdb_fields[] = {
    {"out_of_order_time_window", CFG_DURATION,
     offsetof(struct scrape_storage_tsdb, out_of_order_time_window_ms)},
};
static const cfg_type storage_tsdb_type = {"tsdb_config", sizeof(struct scrape_storage_tsdb),
                                           storage_tsdb_fields,
                                           CFG_NFIELDS(storage_tsdb_fields), NULL, NULL, NULL};
static const cfg_field storage_ex_fields[] = {
    {"max_exemplars", CFG_UINT, offsetof(struct scrape_storage_exemplars, max_exemplars)},
};
static const cfg_type storage_ex_type = {"exemplars_config",
                                         sizeof(struct scrape_storage_exemplars),
                                         storage_ex_fields, CFG_NFIELDS(storage_ex_fields),
                                         NULL, NULL, NULL};
static const cfg_field storage_fields[] = {
    {"tsdb", CFG_OBJECT, offsetof(scrape_storage_config, tsdb), 0, &storage_tsdb_type},
    {"exemplars", CFG_OBJECT, offsetof(scrape_storage_config, exemplars), 0, &storage_ex_type},
};
static const cfg_type storage_type = {"storage_config", sizeof(scrape_storage_config),
                                      storage_fields, CFG_NFIELDS(storage_fields), NULL, NULL,
                                      NULL};

static const cfg_field tracing_fields[] = {
    {"endpoint", CFG_STRING, offsetof(scrape_tracing_config, endpoint)},
    {"client_type", CFG_STRING, offsetof(scrape_tracing_config, client_type)},
    {"compression", CFG_STRING, offsetof(scrape_tracing_config, compression)},
    {"sampling_fraction", CFG_FLOAT, offsetof(scrape_tracing_config, sampling_fraction)},
    {"insecure", CFG_BOOL, offsetof(scrape_tracing_config, insecure)},
    {"timeout", CFG_DURATION, offsetof(scrape_tracing_config, timeout_ms)},
    {"headers", CFG_MAP, offsetof(scrape_tracing_config, headers)},
    {"tls_config", CFG_OBJECT, offsetof(scrape_tracing_config, tls_config), 0, &tls_type},
};
static const cfg_type tracing_type = {"tracing_config", sizeof(scrape_tracing_config),
                                      tracing_fields, CFG_NFIELDS(tracing_fields), NULL, NULL,
                                      NULL};

/* ---- the whole file ---- */

static int config_check(cfgdec *d, yaml_node_t *node, void *obj, heron_err *err)
{
    scrape_config *c = obj;
    scrape_global_config *g = &c->global;
    if (g->scrape_interval_ms == 0)
        g->scrape_interval_ms = MS(60);
    if (g->scrape_timeout_ms > g->scrape_interval_ms)
        return cfgdec_errf(d, node, err, HERON_EINVAL,
                           "global scrape timeout greater than scrape interval");
    if (g->scrape_timeout_ms == 0)
        g->scrape_timeout_ms = g->scrape_interval_ms < MS(10) ? g->scrape_interval_ms : MS(10);
    if (g->evaluation_interval_ms == 0)
        g->evaluation_interval_ms = MS(60);
    for (size_t i = 0; i < c->njobs; i++) {
        scrape_job *j = &c->jobs[i];
        if (j->scrape_interval_ms == 0)
            j->scrape_interval_ms = g->scrape_interval_ms;
        if (j->scrape_timeout_ms > j->scrape_interval_ms)
            return err_set(err, HERON_EINVAL,
                           "%s:%zu: scrape timeout greater than scrape interval for scrape "
                           "config with job name \"%s\"",
                           cfgdec_file(d), j->line, j->job_name);
        if (j->scrape_timeout_ms == 0)
            j->scrape_timeout_ms = g->scrape_timeout_ms > j->scrape_interval_ms
                                       ? j->scrape_interval_ms
                                       : g->scrape_timeout_ms;
        for (size_t k = 0; k < i; k++)
            if (strcmp(c->jobs[k].job_name, j->job_name) == 0)
                return err_set(err, HERON_EINVAL,
                               "%s:%zu: found multiple scrape configs with job name \"%s\"",
                               cfgdec_file(d), j->line, j->job_name);
    }
    for (size_t i = 0; i < c->nrule_files; i++) {
        if (!glob_pattern_ok(c->rule_files[i]))
            return cfgdec_errf(d, node, err, HERON_EINVAL, "invalid rule file path \"%s\"",
                               c->rule_files[i]);
        int rc = resolve(d, &c->rule_files[i], err);
        if (rc < 0)
            return rc;
    }
    for (size_t i = 0; i < c->nremote_write; i++)
        for (size_t k = 0; k < i; k++)
            if (c->remote_write[i].name && c->remote_write[k].name &&
                strcmp(c->remote_write[i].name, c->remote_write[k].name) == 0)
                return cfgdec_errf(d, node, err, HERON_EINVAL,
                                   "found multiple remote write configs with job name \"%s\"",
                                   c->remote_write[i].name);
    return 0;
}

static const cfg_field config_fields[] = {
    {"global", CFG_OBJECT, offsetof(scrape_config, global), 0, &global_type},
    {"scrape_configs", CFG_LIST, offsetof(scrape_config, jobs), offsetof(scrape_config, njobs),
     &job_type},
    {"rule_files", CFG_STRINGS, offsetof(scrape_config, rule_files),
     offsetof(scrape_config, nrule_files)},
    {"alerting", CFG_OBJECT, offsetof(scrape_config, alerting), 0, &alerting_type},
    {"remote_write", CFG_LIST, offsetof(scrape_config, remote_write),
     offsetof(scrape_config, nremote_write), &rw_type},
    {"remote_read", CFG_LIST, offsetof(scrape_config, remote_read),
     offsetof(scrape_config, nremote_read), &rr_type},
    {"storage", CFG_OBJECT, offsetof(scrape_config, storage), 0, &storage_type},
    {"tracing", CFG_OBJECT, offsetof(scrape_config, tracing), 0, &tracing_type},
};
static const cfg_type config_type = {"config", sizeof(scrape_config), config_fields,
                                     CFG_NFIELDS(config_fields), NULL, config_check, NULL};

int scrape_config_parse(const char *name, const char *text, size_t len, scrape_config **out,
                        heron_err *err)
{
    *out = NULL;
    scrape_config *c = calloc(1, sizeof *c);
    if (c == NULL)
        return err_set(err, HERON_ENOMEM, "out of memory");
    int rc = cfgdec_load_string(name, text, len, &config_type, c, err);
    if (rc < 0) {
        free(c);
        return rc;
    }
    c->file = strdup(name);
    c->text = strndup(text, len);
    if (c->file == NULL || c->text == NULL) {
        scrape_config_free(c);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    *out = c;
    return 0;
}

int scrape_config_load(const char *path, scrape_config **out, heron_err *err)
{
    char *data;
    size_t len;
    *out = NULL;
    int rc = cfgdec_read_file(path, &data, &len, err);
    if (rc < 0)
        return rc;
    rc = scrape_config_parse(path, data, len, out, err);
    free(data);
    return rc;
}

int scrape_config_default(const char *listen_address, scrape_config **out, heron_err *err)
{
    const char *colon = strrchr(listen_address, ':');
    if (colon == NULL)
        return err_set(err, HERON_EINVAL, "listen address \"%s\" has no port", listen_address);
    size_t hlen = (size_t)(colon - listen_address);
    const char *host = listen_address;
    if (hlen == 0 || (hlen == 7 && strncmp(host, "0.0.0.0", 7) == 0)) {
        host = "127.0.0.1";
        hlen = strlen(host);
    } else if (hlen == 4 && strncmp(host, "[::]", 4) == 0) {
        host = "[::1]";
        hlen = strlen(host);
    }
    buf b;
    buf_init(&b, 0);
    int rc = buf_printf(&b,
                        "global:\n  scrape_interval: 15s\n"
                        "scrape_configs:\n  - job_name: heron\n"
                        "    static_configs:\n      - targets: ['%.*s%s']\n",
                        (int)hlen, host, colon);
    if (rc == 0)
        rc = scrape_config_parse("<default config>", b.data, b.len, out, err);
    buf_free(&b);
    return rc;
}

void scrape_config_free(scrape_config *c)
{
    if (c == NULL)
        return;
    cfgdec_free(&config_type, c);
    free(c->file);
    free(c->text);
    free(c);
}

const scrape_job *scrape_config_job(const scrape_config *c, const char *name)
{
    for (size_t i = 0; i < c->njobs; i++)
        if (strcmp(c->jobs[i].job_name, name) == 0)
            return &c->jobs[i];
    return NULL;
}

/* ---- file_sd files ---- */

int scrape_file_sd_read(const char *path, scrape_static_config **groups, size_t *n,
                        heron_err *err)
{
    char *data;
    size_t len;
    *groups = NULL;
    *n = 0;
    int rc = cfgdec_read_file(path, &data, &len, err);
    if (rc < 0)
        return rc;
    void *arr;
    rc = cfgdec_load_list_string(path, data, len, &static_type, &arr, n, err);
    free(data);
    if (rc == 0)
        *groups = arr;
    return rc;
}

void scrape_static_configs_free(scrape_static_config *g, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cfgdec_free(&static_type, &g[i]);
    free(g);
}
