/*
 * fetch — one target's HTTP request, the way Prometheus 2.42 makes it:
 * Prometheus' Accept header (OpenMetrics 1.0 first, then text 0.0.4),
 * Accept-Encoding gzip, X-Prometheus-Scrape-Timeout-Seconds, the timeout,
 * basic_auth / authorization (secret files read at each request),
 * tls_config (server_name names TLS while the connection and Host stay the
 * target's address), proxy_url (and no proxy from the environment),
 * follow_redirects, enable_http2 and body_size_limit.
 *
 * A scrape_fetch is reused from one scrape of a target to the next (one
 * easy handle, one body buffer). It belongs to the thread that drives the
 * libcurl multi handle it was added to.
 */
#ifndef HERON_SCRAPE_FETCH_H
#define HERON_SCRAPE_FETCH_H

#include <curl/curl.h>
#include <stdint.h>

#include "core/buf.h"
#include "scrape/config.h"
#include "scrape/parse.h"

typedef struct scrape_fetch {
    /* set once by the owner */
    const scrape_job *job;
    const char *url, *address; /* borrowed; outlive the fetch */
    int64_t timeout_ms;
    /* state */
    CURL *easy;
    struct curl_slist *hdrs;
    char *tls_url;                 /* the URL naming tls_config.server_name */
    struct curl_slist *connect_to; /* server_name:port -> address */
    buf body;
    int too_big, in_flight;
    char curl_err[CURL_ERROR_SIZE];
    int64_t start_ms;  /* wall clock at the start */
    uint64_t start_ns; /* monotonic */
} scrape_fetch;

typedef struct scrape_fetch_result {
    const char *body; /* NULL when the scrape failed; valid until the next start */
    size_t len;
    scrape_format format;
    char error[512];  /* why it failed */
} scrape_fetch_result;

/* Adds the request to multi; CURLOPT_PRIVATE is set to priv. 0 or < 0. */
int scrape_fetch_start(scrape_fetch *f, CURLM *multi, void *priv);
/* After CURLMSG_DONE with res: takes the request out of multi and says
 * what came back. */
void scrape_fetch_done(scrape_fetch *f, CURLM *multi, CURLcode res,
                       scrape_fetch_result *r);
/* Takes a running request out of multi, if any. */
void scrape_fetch_cancel(scrape_fetch *f, CURLM *multi);
void scrape_fetch_free(scrape_fetch *f);

#endif
