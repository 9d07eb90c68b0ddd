/* api_admin — the TSDB admin endpoints behind --web.enable-admin-api:
 * delete_series (tombstones for match[] in [start, end]) and
 * clean_tombstones. Both answer 204 as Prometheus does. */
#include <string.h>

#include "http/api.h"

#define API_MAX_DELETE_MATCH 64

static const char *const post_put[] = {"POST", "PUT", NULL};

static int admin_allowed(const api_server *a, const httpd_request *req,
                         httpd_response *resp)
{
    if (!api_method_ok(req, resp, post_put))
        return 0;
    if (!a->enable_admin) {
        api_reply_error(resp, API_ERR_UNAVAILABLE, "admin APIs disabled");
        return 0;
    }
    return 1;
}

static void reply_no_content(httpd_response *resp)
{
    buf_reset(&resp->body);
    resp->status = 204;
}

void api_delete_series(const httpd_request *req, httpd_response *resp, void *arg)
{
    api_server *a = arg;
    if (!admin_allowed(a, req, resp))
        return;
    api_params p;
    heron_err err = {0};
    if (api_params_open(req, resp, "error parsing form values", &p))
        return;
    const char *sel[API_MAX_DELETE_MATCH];
    size_t nsel = api_param_all(&p, "match[]", sel, API_MAX_DELETE_MATCH);
    const char *s = api_param(&p, "start"), *e = api_param(&p, "end");
    int64_t start = API_MIN_TIME, end = API_MAX_TIME;
    api_matchers m;
    if (nsel == 0) {
        api_reply_error(resp, API_ERR_BAD_DATA, "no match[] parameter provided");
    } else if (nsel > API_MAX_DELETE_MATCH) {
        api_reply_error(resp, API_ERR_BAD_DATA, "too many match[] parameters");
    } else if (s && *s && api_parse_time(s, &start, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA,
                        "invalid parameter \"start\": Invalid time value for "
                        "'start': %s", err.msg);
    } else if (e && *e && api_parse_time(e, &end, &err)) {
        api_reply_error(resp, API_ERR_BAD_DATA,
                        "invalid parameter \"end\": Invalid time value for "
                        "'end': %s", err.msg);
    } else if (api_matchers_parse(sel, nsel, &m, resp) == 0) {
        int rc = 0;
        for (size_t i = 0; !rc && i < m.nsets; i++)
            rc = tsdb_delete(a->db, (const tsdb_matcher *const *)m.sets[i],
                             m.lens[i], start, end, &err);
        if (rc)
            api_reply_error(resp, API_ERR_INTERNAL, "%s", err.msg);
        else
            reply_no_content(resp);
        api_matchers_free(&m);
    }
    api_params_free(&p);
}

void api_clean_tombstones(const httpd_request *req, httpd_response *resp,
                          void *arg)
{
    api_server *a = arg;
    if (!admin_allowed(a, req, resp))
        return;
    heron_err err = {0};
    if (tsdb_clean_tombstones(a->db, &err))
        api_reply_error(resp, API_ERR_INTERNAL, "%s", err.msg);
    else
        reply_no_content(resp);
}
