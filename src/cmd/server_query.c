/* server_query — storage, maintenance, engine and API for `heron server`;
 * see server_query.h. */
#include "cmd/server_query.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/hlog.h"
#include "core/units.h"
#include "http/api.h"
#include "promql/engine.h"
#include "tsdb/tsdb.h"

#define MAINTENANCE_INTERVAL_S 60

struct server_query {
    tsdb_db *db;
    promql_engine *engine;
    api_server api;
    char retention[32];
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stopping;
};

static void *maintenance(void *arg)
{
    server_query *q = arg;
    pthread_mutex_lock(&q->mu);
    while (!q->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += MAINTENANCE_INTERVAL_S;
        int rc = 0;
        while (!q->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&q->cv, &q->mu, &until);
        if (q->stopping)
            break;
        pthread_mutex_unlock(&q->mu);
        heron_err err = {0};
        if (tsdb_compact(q->db, &err))
            hlog(HLOG_ERROR, "tsdb", "compaction failed", "err", err.msg, NULL);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int server_query_start(const server_query_opts *o, server_query **out,
                       heron_err *err)
{
    server_query *q = calloc(1, sizeof *q);
    if (!q)
        return err_set(err, HERON_ENOMEM, "out of memory");
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    tsdb_options to = {0};
    to.retention_ms = o->retention_ms;
    to.retention_bytes = o->retention_bytes;
    to.registry = o->registry;
    int rc = tsdb_open(o->tsdb_path, &to, &q->db, err);
    promql_engine_opts eo = {0};
    eo.lookback_ms = o->lookback_delta_ms;
    eo.timeout_ms = o->query_timeout_ms;
    eo.max_samples = o->query_max_samples > 0 ? (size_t)o->query_max_samples : 0;
    eo.registry = o->registry;
    if (!rc)
        rc = promql_engine_new(q->db, &eo, &q->engine, err);
    units_format_duration(o->retention_ms, q->retention);
    api_options ao = {
        .db = q->db,
        .engine = q->engine,
        .enable_admin = o->enable_admin_api,
        .enable_remote_write = o->enable_remote_write,
        .flags = o->flags,
        .retention = q->retention,
        .registry = o->registry,
    };
    if (!rc)
        rc = api_server_init(&q->api, &ao, err);
    if (!rc) {
        if (pthread_create(&q->thread, NULL, maintenance, q) != 0)
            rc = err_set(err, HERON_EIO, "cannot start the tsdb maintenance thread");
        else
            q->thread_started = 1;
    }
    if (rc) {
        server_query_stop(q);
        return rc;
    }
    *out = q;
    return 0;
}

const http_route *server_query_routes(const server_query *q)
{
    return api_server_routes(&q->api);
}

struct tsdb_db *server_query_db(const server_query *q)
{
    return q->db;
}

void server_query_stop(server_query *q)
{
    if (!q)
        return;
    if (q->thread_started) {
        pthread_mutex_lock(&q->mu);
        q->stopping = 1;
        pthread_cond_signal(&q->cv);
        pthread_mutex_unlock(&q->mu);
        pthread_join(q->thread, NULL);
    }
    promql_engine_free(q->engine);
    tsdb_close(q->db);
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
}
