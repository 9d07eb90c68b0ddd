/*
 * fetch.c — one scrape's HTTP request with libcurl (see fetch.h).
 */
#include "scrape/fetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/hclock.h"

#define ACCEPT_HEADER                                                                   \
    "Accept: application/openmetrics-text;version=1.0.0,"                               \
    "application/openmetrics-text;version=0.0.1;q=0.75,"                                \
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    scrape_fetch *t = arg;
    size_t len = size * n;
    if (buf_append(&t->body, p, len) < 0) {
        t->too_big = 1;
        return 0;
    }
    return len;
}

/* A secret from a file, trimmed of surrounding whitespace, into out. */
static int read_secret(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
        out[--n] = '\0';
    return 0;
}

/* Builds (once) the URL naming server_name and the CONNECT_TO entry that
 * sends its connections to the target's address. */
static int tls_server_name(scrape_fetch *t, const char *server_name)
{
    if (t->tls_url)
        return 0;
    const char *colon = strrchr(t->address, ':');
    const char *rest = t->url + 8 + strlen(t->address); /* path and query */
    if (colon == NULL || strncmp(t->url + 8, t->address, strlen(t->address)) != 0)
        return -1;
    char *entry;
    if (asprintf(&t->tls_url, "https://%s%s%s", server_name, colon, rest) < 0) {
        t->tls_url = NULL;
        return -1;
    }
    if (asprintf(&entry, "%s%s:%.*s%s", server_name, colon, (int)(colon - t->address),
                 t->address, colon) < 0)
        entry = NULL;
    t->connect_to = entry ? curl_slist_append(NULL, entry) : NULL;
    free(entry);
    if (t->connect_to == NULL) {
        free(t->tls_url);
        t->tls_url = NULL;
        return -1;
    }
    return 0;
}

int scrape_fetch_start(scrape_fetch *t, CURLM *multi, void *priv)
{
    const scrape_http_config *h = &t->job->http;
    if (t->easy == NULL) {
        t->easy = curl_easy_init();
        if (t->easy == NULL)
            return -1;
    } else {
        curl_easy_reset(t->easy);
    }
    curl_slist_free_all(t->hdrs);
    t->hdrs = NULL;
    buf_reset(&t->body);
    t->body.cap = t->job->body_size_limit > 0 ? (size_t)t->job->body_size_limit : 0;
    t->too_big = 0;
    t->curl_err[0] = '\0';
    char hdr[4200];
    t->hdrs = curl_slist_append(t->hdrs, ACCEPT_HEADER);
    snprintf(hdr, sizeof hdr, "X-Prometheus-Scrape-Timeout-Seconds: %g",
             (double)t->timeout_ms / 1000);
    t->hdrs = curl_slist_append(t->hdrs, hdr);
    const scrape_authorization *az = &h->authorization;
    if (az->credentials || az->credentials_file) {
        char secret[4096] = "";
        if (az->credentials)
            snprintf(secret, sizeof secret, "%s", az->credentials);
        else if (read_secret(az->credentials_file, secret, sizeof secret) < 0)
            secret[0] = '\0';
        snprintf(hdr, sizeof hdr, "Authorization: %s %s", az->type ? az->type : "Bearer", secret);
        t->hdrs = curl_slist_append(t->hdrs, hdr);
    }
    const char *url = t->url;
    if (h->tls_config.server_name && strncmp(t->url, "https://", 8) == 0 &&
        tls_server_name(t, h->tls_config.server_name) == 0) {
        /* TLS names server_name (SNI and certificate check) while the
         * connection goes to the address and Host stays the address, as
         * Prometheus' tls_config.server_name does. */
        url = t->tls_url;
        snprintf(hdr, sizeof hdr, "Host: %s", t->address);
        t->hdrs = curl_slist_append(t->hdrs, hdr);
    }
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    if (t->connect_to)
        curl_easy_setopt(e, CURLOPT_CONNECT_TO, t->connect_to);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_PRIVATE, priv);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->curl_err);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "heron/" HERON_VERSION);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, (long)h->follow_redirects);
    if (!h->enable_http2)
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    /* Only the configured proxy: "" keeps libcurl off http_proxy & co, as
     * Prometheus 2.42 ignores them. */
    curl_easy_setopt(e, CURLOPT_PROXY, h->proxy_url ? h->proxy_url : "");
    if (h->basic_auth.username) {
        char pw[4096] = "";
        if (h->basic_auth.password)
            snprintf(pw, sizeof pw, "%s", h->basic_auth.password);
        else if (h->basic_auth.password_file)
            read_secret(h->basic_auth.password_file, pw, sizeof pw);
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERNAME, h->basic_auth.username);
        curl_easy_setopt(e, CURLOPT_PASSWORD, pw);
    }
    const scrape_tls_config *tls = &h->tls_config;
    if (tls->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, tls->ca_file);
    if (tls->cert_file)
        curl_easy_setopt(e, CURLOPT_SSLCERT, tls->cert_file);
    if (tls->key_file)
        curl_easy_setopt(e, CURLOPT_SSLKEY, tls->key_file);
    if (tls->insecure_skip_verify) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (tls->min_version) {
        long v = strcmp(tls->min_version, "TLS13") == 0   ? CURL_SSLVERSION_TLSv1_3
                 : strcmp(tls->min_version, "TLS12") == 0 ? CURL_SSLVERSION_TLSv1_2
                 : strcmp(tls->min_version, "TLS11") == 0 ? CURL_SSLVERSION_TLSv1_1
                                                          : CURL_SSLVERSION_TLSv1_0;
        curl_easy_setopt(e, CURLOPT_SSLVERSION, v);
    }
    t->start_ms = hclock_wall_ns() / 1000000;
    t->start_ns = hclock_mono_ns();
    if (curl_multi_add_handle(multi, e) != CURLM_OK)
        return -1;
    t->in_flight = 1;
    return 0;
}

void scrape_fetch_done(scrape_fetch *t, CURLM *multi, CURLcode res, scrape_fetch_result *r)
{
    curl_multi_remove_handle(multi, t->easy);
    t->in_flight = 0;
    r->error[0] = '\0';
    long code = 0;
    const char *ct = NULL;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct);
    if (res != CURLE_OK) {
        if (t->too_big)
            snprintf(r->error, sizeof r->error, "body size limit exceeded (%lld bytes)",
                     (long long)t->job->body_size_limit);
        else
            snprintf(r->error, sizeof r->error, "Get \"%s\": %s", t->url,
                     t->curl_err[0] ? t->curl_err : curl_easy_strerror(res));
    } else if (code != 200) {
        snprintf(r->error, sizeof r->error, "server returned HTTP status %ld", code);
    }
    r->body = r->error[0] ? NULL : (t->body.data ? t->body.data : "");
    r->len = t->body.len;
    r->format = scrape_format_from_content_type(ct);
}

void scrape_fetch_cancel(scrape_fetch *t, CURLM *multi)
{
    if (t->in_flight) {
        curl_multi_remove_handle(multi, t->easy);
        t->in_flight = 0;
    }
}

void scrape_fetch_free(scrape_fetch *t)
{
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->hdrs);
    curl_slist_free_all(t->connect_to);
    free(t->tls_url);
    buf_free(&t->body);
    memset(t, 0, sizeof *t);
}
