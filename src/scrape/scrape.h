/*
 * scrape — heron's Prometheus-compatible scraper: the contract of the
 * module as `heron server` uses it.
 *
 * Pieces (one header each):
 *   parse.h        text 0.0.4 / OpenMetrics 1.0 pull parser
 *   relabel.h      relabel rules (every Prometheus action)
 *   lset.h         mutable label sets
 *   config.h       prometheus.yml (Prometheus 2.42 schema and errors), file_sd files
 *   cfgdec.h       the table-driven strict YAML decoder config.h uses
 *   sd_file.h      file_sd_configs: target groups from files
 *   target.h       discovered address -> target labels, URL, identity
 *   fetch.h        one HTTP scrape request (headers, auth, TLS, limits)
 *   scrape_loop.h  one target's results -> tsdb (cache, limits, staleness,
 *                  synthetic series)
 *   smap.h         the hash map behind the per-target caches
 *   manager.h      copies of the manager's state for api.c
 *   this file      the manager (targets, worker threads, reload) and the
 *                  HTTP API handlers
 *
 * The manager owns the current config and one loop per active target.
 * Worker threads (each a libcurl multi handle serving many targets) fetch
 * every target at its interval, starting at an offset spread by a hash of
 * the target as Prometheus does, and feed the body to its loop. Applying a
 * new config keeps the loops of targets whose identity (labels, URL and
 * the job's scrape settings) is unchanged, starts new ones and stops
 * vanished ones, which write stale markers. file_sd files are re-read when
 * they change (checked every second) or every refresh_interval.
 *
 * Thread-safety: every function here may be called from any thread; no
 * lock is held across I/O (the API copies what it reports under the
 * manager's lock). Errors: 0 or a negative HERON_E* code with err filled.
 */
#ifndef HERON_SCRAPE_SCRAPE_H
#define HERON_SCRAPE_SCRAPE_H

#include "core/httpd.h"
#include "heron.h"
#include "scrape/config.h"
#include "tsdb/tsdb.h"

typedef struct scrape_manager scrape_manager;

typedef struct scrape_manager_opts {
    tsdb_db *db;                /* where samples go (borrowed) */
    heron_registry *registry;   /* self-metrics; NULL: none */
    unsigned workers;           /* fetching threads; 0: 2 */
    const char *listen_address; /* for the default config: "host:port" */
} scrape_manager_opts;

int scrape_manager_new(const scrape_manager_opts *o, scrape_manager **out,
                       heron_err *err);
/* Applies c, which the manager takes over (also on failure). */
int scrape_manager_apply(scrape_manager *m, scrape_config *c, heron_err *err);
/* Loads path (NULL or "": the built-in default config scraping
 * listen_address) and applies it. A bad config is refused and the running
 * one stays. Either way the outcome is logged and recorded in
 * heron_config_last_reload_successful and
 * heron_config_last_reload_success_timestamp_seconds. */
int scrape_manager_reload(scrape_manager *m, const char *path, heron_err *err);
/* Stops every loop (writing stale markers) and frees the manager. */
void scrape_manager_free(scrape_manager *m);

/* Waits (bounded by timeout_ms) until every active target has been
 * scraped at least once since it started; 0 when they have, HERON_ESTATE
 * on timeout. For tests and benchmarks. */
int scrape_manager_wait_scraped(scrape_manager *m, int64_t timeout_ms);

/* HTTP handlers (http_route_fn shape; arg is the manager), answering in
 * Prometheus' JSON envelope {"status":"success","data":...}:
 *   GET /api/v1/targets[?state=active|dropped|any]
 *   GET /api/v1/targets/metadata[?match_target=...&metric=...&limit=N]
 *       (match_target: label=value pairs in braces, equality only)
 *   GET /api/v1/metadata[?metric=...&limit=N]
 *   GET /api/v1/status/config */
void scrape_api_targets(const httpd_request *req, httpd_response *resp, void *arg);
void scrape_api_targets_metadata(const httpd_request *req, httpd_response *resp,
                                 void *arg);
void scrape_api_metadata(const httpd_request *req, httpd_response *resp, void *arg);
void scrape_api_status_config(const httpd_request *req, httpd_response *resp,
                              void *arg);

#endif
