/* api_write — POST /api/v1/write, the remote_write 1.0 receiver. The whole
 * body is decoded and checked before anything is appended; the samples go
 * through one appender that is committed only when every append succeeded
 * and rolled back otherwise, so a request is applied entirely or not at
 * all. Answers as Prometheus does: 204, 400 for a bad body or a sample out
 * of order, 500 for other storage errors. */
#include <stdio.h>
#include <string.h>

#include "core/hlog.h"
#include "http/api.h"
#include "http/remote_write.h"

static const char *const post_only[] = {"POST", NULL};

void api_write(const httpd_request *req, httpd_response *resp, void *arg)
{
    api_server *a = arg;
    if (!a->enable_remote_write) {
        httpd_reply_text(resp, 404, "remote write receiver needs to be enabled "
                                    "with --web.enable-remote-write-receiver\n");
        return;
    }
    if (!api_method_ok(req, resp, post_only))
        return;
    if (a->write_requests)
        heron_counter_inc(a->write_requests);
    size_t len;
    const char *body = httpd_body(req, &len);
    rw_request r;
    heron_err err = {0};
    if (rw_decode(body, len, &r, &err)) {
        if (a->write_failures)
            heron_counter_inc(a->write_failures);
        char msg[sizeof err.msg + 2];
        snprintf(msg, sizeof msg, "%s\n", err.msg);
        httpd_reply_text(resp, err.code == HERON_ENOMEM ? 500 : 400, msg);
        return;
    }
    tsdb_appender *app = NULL;
    int rc = tsdb_appender_new(a->db, &app, &err);
    size_t appended = 0, invalid = 0;
    for (size_t i = 0; !rc && i < r.nseries; i++) {
        const rw_series *s = &r.series[i];
        if (s->invalid) {
            invalid++;
            continue;
        }
        tsdb_ref ref = 0;
        for (size_t j = 0; !rc && j < s->nsamples; j++)
            rc = tsdb_append(app, &ref, s->labels, s->nlabels, s->samples[j].t,
                             s->samples[j].v, &err);
        appended += s->nsamples;
    }
    if (invalid)
        hlog(HLOG_WARN, "remote_write", "invalid metric names or labels: series skipped",
             NULL);
    if (!rc)
        rc = tsdb_appender_commit(app, &err);
    else if (app)
        tsdb_appender_rollback(app);
    tsdb_appender_free(app);
    rw_request_free(&r);
    if (rc) {
        if (a->write_failures)
            heron_counter_inc(a->write_failures);
        char msg[sizeof err.msg + 2];
        snprintf(msg, sizeof msg, "%s\n", err.msg);
        httpd_reply_text(resp, rc == HERON_ESTATE || rc == HERON_EINVAL ? 400 : 500, msg);
        return;
    }
    if (a->write_samples)
        heron_counter_add(a->write_samples, (double)appended);
    buf_reset(&resp->body);
    resp->status = 204;
}
