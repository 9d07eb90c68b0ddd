/*
 * cmd_server.c — `heron server`: parses Prometheus' flags, starts the HTTP
 * front and the scraper and waits for SIGINT/SIGTERM (stop) or SIGHUP
 * (reload the config; POST /-/reload does the same with
 * --web.enable-lifecycle).
 *
 * Signals are blocked before any thread starts and taken synchronously with
 * sigwait here, so no handler runs on an arbitrary thread.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "cmd/server_query.h"
#include "collect/collect.h"
#include "core/flags.h"
#include "core/hlog.h"
#include "core/units.h"
#include "heron.h"
#include "http/server.h"
#include "scrape/scrape.h"

typedef struct server_flags {
    const char *listen_address;
    const char *config_file;
    const char *tsdb_path;
    int64_t retention_time_ms;
    int64_t retention_size;
    int64_t query_timeout_ms;
    int64_t query_max_samples;
    int64_t lookback_delta_ms;
    int enable_admin_api;
    int enable_remote_write;
    int enable_lifecycle;
    const char *log_level;
    const char *log_format;
    int help;
} server_flags;

static void request_quit(void *arg)
{
    (void)arg;
    kill(getpid(), SIGTERM);
}

typedef struct reload_ctx {
    scrape_manager *scrape;
    const char *config_file;
    int enable_lifecycle;
} reload_ctx;

/* POST /-/reload: reloads the config now; 500 with the error when it is
 * refused (the running config stays). */
static void route_reload(const httpd_request *req, httpd_response *resp, void *arg)
{
    reload_ctx *c = arg;
    if (!c->enable_lifecycle) {
        httpd_reply_text(resp, 403, "Lifecycle API is not enabled.\n");
        return;
    }
    if (strcmp(httpd_method(req), "POST") != 0 && strcmp(httpd_method(req), "PUT") != 0) {
        httpd_reply_text(resp, 405, "method not allowed: use POST\n");
        return;
    }
    heron_err err = {0};
    if (scrape_manager_reload(c->scrape, c->config_file, &err) != 0) {
        resp->status = 500;
        buf_printf(&resp->body, "failed to reload config: %s\n", err.msg);
    }
}

static int register_build_info(heron_err *err)
{
    static const char *const labels[] = {"version", NULL};
    heron_family *f;
    int rc = heron_gauge_new(&(heron_opts){.name = "heron_build_info",
                                           .help = "A metric with a constant '1' value labeled by version.",
                                           .labels = labels},
                             &f, err);
    if (rc == 0)
        heron_gauge_set(heron_gauge_with(f, HERON_VERSION), 1);
    return rc;
}

/* Logs each flag's effective value once, as Prometheus does at start-up. */
static void log_flags(const server_flags *f)
{
    char retention[32], timeout[32], lookback[32], size[32], samples[32];
    units_format_duration(f->retention_time_ms, retention);
    units_format_duration(f->query_timeout_ms, timeout);
    units_format_duration(f->lookback_delta_ms, lookback);
    snprintf(size, sizeof size, "%lld", (long long)f->retention_size);
    snprintf(samples, sizeof samples, "%lld", (long long)f->query_max_samples);
    hlog(HLOG_INFO, "server", "starting heron", "version", HERON_VERSION,
         "config.file", f->config_file, "storage.tsdb.path", f->tsdb_path,
         "storage.tsdb.retention.time", retention,
         "storage.tsdb.retention.size", size, "query.timeout", timeout,
         "query.max-samples", samples, "query.lookback-delta", lookback, NULL);
}

int cmd_server(int argc, char **argv)
{
    server_flags f = {
        .listen_address = "127.0.0.1:9797",
        .config_file = "",
        .tsdb_path = "data/",
        .retention_time_ms = 15LL * 24 * 3600 * 1000,
        .query_timeout_ms = 2 * 60 * 1000,
        .query_max_samples = 50000000,
        .lookback_delta_ms = 5 * 60 * 1000,
        .log_level = "info",
        .log_format = "logfmt",
    };
    const flag_spec specs[] = {
        {"web.listen-address", FLAG_STRING, &f.listen_address, "Address to listen on for UI, API and telemetry."},
        {"config.file", FLAG_STRING, &f.config_file, "Prometheus-compatible configuration file (empty: the embedded default)."},
        {"storage.tsdb.path", FLAG_STRING, &f.tsdb_path, "Base path for metrics storage."},
        {"storage.tsdb.retention.time", FLAG_DURATION, &f.retention_time_ms, "How long to retain samples in storage."},
        {"storage.tsdb.retention.size", FLAG_BYTES, &f.retention_size, "Maximum bytes of blocks, WAL and head chunk files; the oldest blocks go beyond it (0: no limit)."},
        {"query.timeout", FLAG_DURATION, &f.query_timeout_ms, "Maximum time a query may take before being aborted."},
        {"query.max-samples", FLAG_INT, &f.query_max_samples, "Maximum number of samples a single query can load into memory."},
        {"query.lookback-delta", FLAG_DURATION, &f.lookback_delta_ms, "How far back to look for samples of an instant vector selector."},
        {"web.enable-admin-api", FLAG_BOOL, &f.enable_admin_api, "Enable API endpoints for admin control actions."},
        {"web.enable-remote-write-receiver", FLAG_BOOL, &f.enable_remote_write, "Enable the remote_write receiver on /api/v1/write."},
        {"web.enable-lifecycle", FLAG_BOOL, &f.enable_lifecycle, "Enable shutdown and reload via HTTP request."},
        {"log.level", FLAG_STRING, &f.log_level, "Only log messages with the given severity or above: debug, info, warn, error."},
        {"log.format", FLAG_STRING, &f.log_format, "Output format of log messages: logfmt, json."},
        {"help", FLAG_BOOL, &f.help, "Show this help."},
        {0},
    };
    const flag_command cmd = {"heron server", "heron server [flags]", specs, 0, 0};
    char *positional[argc + 1];
    int npos;
    int status = flags_command(&cmd, argc, argv, positional, &npos);
    if (status >= 0)
        return status;
    heron_err err = {0};
    if (hlog_configure_from(f.log_level, f.log_format)) {
        fprintf(stderr, "heron server: bad --log.level or --log.format (\"%s\", \"%s\")\n",
                f.log_level, f.log_format);
        return 2;
    }

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    log_flags(&f);
    heron_registry *reg = heron_default_registry();
    collect_set *host = NULL; /* node_* host metrics on our own /metrics */
    if (register_build_info(&err) || heron_process_collector_register(reg, 0, &err) ||
        collect_register_all(reg, NULL, &host, &err)) {
        hlog(HLOG_ERROR, "server", "cannot register self-metrics", "err", err.msg, NULL);
        return 1;
    }
    server_query *query;
    server_query_opts qo = {
        .tsdb_path = f.tsdb_path,
        .retention_ms = f.retention_time_ms,
        .retention_bytes = f.retention_size,
        .query_timeout_ms = f.query_timeout_ms,
        .query_max_samples = f.query_max_samples,
        .lookback_delta_ms = f.lookback_delta_ms,
        .enable_admin_api = f.enable_admin_api,
        .enable_remote_write = f.enable_remote_write,
        .flags = specs,
        .registry = reg,
    };
    if (server_query_start(&qo, &query, &err) != 0) {
        hlog(HLOG_ERROR, "server", "cannot open storage", "err", err.msg, NULL);
        return 1;
    }
    scrape_manager *scrape;
    scrape_manager_opts so = {
        .db = server_query_db(query),
        .registry = reg,
        .listen_address = f.listen_address,
    };
    if (scrape_manager_new(&so, &scrape, &err) != 0) {
        hlog(HLOG_ERROR, "server", "cannot start the scraper", "err", err.msg, NULL);
        server_query_stop(query);
        return 1;
    }
    reload_ctx reload = {scrape, f.config_file, f.enable_lifecycle};
    const http_route *query_routes = server_query_routes(query);
    size_t nq = 0;
    while (query_routes && query_routes[nq].path)
        nq++;
    http_route routes[nq + 6];
    memcpy(routes, query_routes, nq * sizeof *routes);
    routes[nq] = (http_route){"/api/v1/targets", scrape_api_targets, scrape};
    routes[nq + 1] = (http_route){"/api/v1/targets/metadata", scrape_api_targets_metadata, scrape};
    routes[nq + 2] = (http_route){"/api/v1/metadata", scrape_api_metadata, scrape};
    routes[nq + 3] = (http_route){"/api/v1/status/config", scrape_api_status_config, scrape};
    routes[nq + 4] = (http_route){"/-/reload", route_reload, &reload};
    routes[nq + 5] = (http_route){0};
    http_server *http;
    http_server_opts opts = {
        .routes = routes,
        .listen_address = f.listen_address,
        .registry = reg,
        .enable_lifecycle = f.enable_lifecycle,
        .on_quit = request_quit,
    };
    if (http_server_start(&opts, &http, &err) != 0) {
        hlog(HLOG_ERROR, "server", "cannot start HTTP server", "err", err.msg, NULL);
        scrape_manager_free(scrape);
        server_query_stop(query);
        return 1;
    }
    if (scrape_manager_reload(scrape, f.config_file, &err) != 0) {
        http_server_stop(http);
        scrape_manager_free(scrape);
        server_query_stop(query);
        return 1;
    }
    char port[16];
    snprintf(port, sizeof port, "%d", http_server_port(http));
    hlog(HLOG_INFO, "server", "listening", "address", f.listen_address, "port", port, NULL);
    hlog(HLOG_INFO, "server", "server is ready to receive web requests", NULL);

    for (;;) {
        int sig;
        if (sigwait(&signals, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            scrape_manager_reload(scrape, f.config_file, NULL);
            continue;
        }
        hlog(HLOG_INFO, "server", "received signal, exiting gracefully",
             "signal", strsignal(sig), NULL);
        break;
    }
    http_server_stop(http);
    scrape_manager_free(scrape);
    server_query_stop(query);
    collect_free(host);
    hlog(HLOG_INFO, "server", "see you next time!", NULL);
    return 0;
}
