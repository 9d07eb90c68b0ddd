/*
 * server_query — what `heron server` runs for storage and queries: the
 * tsdb at --storage.tsdb.path, a maintenance thread calling tsdb_compact
 * every minute, the PromQL engine and the /api/v1 routes (including the
 * remote_write receiver). cmd_server starts it before the HTTP front and
 * stops it after. Not thread-safe itself; the routes it hands out are.
 */
#ifndef HERON_CMD_SERVER_QUERY_H
#define HERON_CMD_SERVER_QUERY_H

#include <stdint.h>

#include "core/flags.h"
#include "heron.h"
#include "http/server.h"

typedef struct server_query server_query;

typedef struct server_query_opts {
    const char *tsdb_path;
    int64_t retention_ms;
    int64_t retention_bytes;
    int64_t query_timeout_ms;
    int64_t query_max_samples;
    int64_t lookback_delta_ms;
    int enable_admin_api;
    int enable_remote_write;
    const flag_spec *flags;   /* shown by /api/v1/status/flags */
    heron_registry *registry; /* self-metrics */
} server_query_opts;

int server_query_start(const server_query_opts *o, server_query **out,
                       heron_err *err);
/* The API routes, ended by a NULL path; valid until server_query_stop. */
const http_route *server_query_routes(const server_query *q);
/* The open tsdb (for the scraper), valid until server_query_stop. */
struct tsdb_db *server_query_db(const server_query *q);
/* Stops maintenance, frees the engine and closes the tsdb. NULL: no-op. */
void server_query_stop(server_query *q);

#endif
