/*
 * api.c — /api/v1/targets, /api/v1/targets/metadata and
 * /api/v1/status/config in Prometheus' JSON envelope (see scrape.h). The
 * JSON is written with the few helpers below; what is reported is copied
 * from the manager under its lock first, so no lock is held while writing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/units.h"
#include "scrape/manager.h"

/* ---- a small JSON writer ---- */

static void json_str(buf *b, const char *s)
{
    buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            buf_puts(b, "\\\"");
            break;
        case '\\':
            buf_puts(b, "\\\\");
            break;
        case '\n':
            buf_puts(b, "\\n");
            break;
        case '\r':
            buf_puts(b, "\\r");
            break;
        case '\t':
            buf_puts(b, "\\t");
            break;
        default:
            if (*p < 0x20)
                buf_printf(b, "\\u%04x", *p);
            else
                buf_putc(b, (char)*p);
        }
    }
    buf_putc(b, '"');
}

static void json_labels(buf *b, const scrape_lset *ls)
{
    buf_putc(b, '{');
    for (size_t i = 0; i < ls->n; i++) {
        if (i)
            buf_putc(b, ',');
        json_str(b, ls->v[i].name);
        buf_putc(b, ':');
        json_str(b, ls->v[i].value);
    }
    buf_putc(b, '}');
}

/* RFC 3339 with nanoseconds, UTC, as Go prints a time.Time. */
static void json_time(buf *b, int64_t ms)
{
    if (ms == 0) {
        buf_puts(b, "\"0001-01-01T00:00:00Z\"");
        return;
    }
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    char t[64];
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
    buf_printf(b, "\"%s.%03dZ\"", t, (int)(ms % 1000));
}

static void reply_json(httpd_response *resp, int status, buf *body)
{
    resp->status = status;
    resp->content_type = "application/json";
    resp->gzip_ok = 1;
    buf_append(&resp->body, body->data ? body->data : "", body->len);
    buf_free(body);
}

static void reply_error(httpd_response *resp, int status, const char *type, const char *msg)
{
    buf b;
    buf_init(&b, 0);
    buf_printf(&b, "{\"status\":\"error\",\"errorType\":\"%s\",\"error\":", type);
    json_str(&b, msg);
    buf_putc(&b, '}');
    reply_json(resp, status, &b);
}

/* ---- /api/v1/targets ---- */

/* The scrape URL as seen from elsewhere: a loopback host (localhost,
 * 127.x, [::1]) is replaced by this machine's hostname, as Prometheus does
 * for globalUrl. */
static void global_url(buf *b, const char *url)
{
    const char *host = strstr(url, "://");
    if (host == NULL) {
        json_str(b, url);
        return;
    }
    host += 3;
    size_t hlen = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/?");
    int loop = (hlen == 9 && strncmp(host, "localhost", 9) == 0) ||
               (hlen == 5 && strncmp(host, "[::1]", 5) == 0) || strncmp(host, "127.", 4) == 0;
    char name[256];
    if (!loop || gethostname(name, sizeof name) != 0) {
        json_str(b, url);
        return;
    }
    name[sizeof name - 1] = '\0';
    buf tmp;
    buf_init(&tmp, 0);
    buf_printf(&tmp, "%.*s%s%s", (int)(host - url), url, name, host + hlen);
    json_str(b, tmp.data ? tmp.data : url);
    buf_free(&tmp);
}

static void write_active(buf *b, const scrape_target_info *t)
{
    char iv[32], to[32];
    units_format_duration(t->interval_ms, iv);
    units_format_duration(t->timeout_ms, to);
    buf_puts(b, "{\"discoveredLabels\":");
    json_labels(b, &t->discovered);
    buf_puts(b, ",\"labels\":");
    json_labels(b, &t->labels);
    buf_puts(b, ",\"scrapePool\":");
    json_str(b, t->job);
    buf_puts(b, ",\"scrapeUrl\":");
    json_str(b, t->url);
    buf_puts(b, ",\"globalUrl\":");
    global_url(b, t->url);
    buf_puts(b, ",\"lastError\":");
    json_str(b, t->st.last_error);
    buf_puts(b, ",\"lastScrape\":");
    json_time(b, t->st.last_scrape_ms);
    buf_printf(b, ",\"lastScrapeDuration\":%.9g,\"health\":\"%s\"", t->st.last_duration_s,
               t->st.health < 0 ? "unknown" : t->st.health ? "up" : "down");
    buf_printf(b, ",\"scrapeInterval\":\"%s\",\"scrapeTimeout\":\"%s\"}", iv, to);
}

void scrape_api_targets(const httpd_request *req, httpd_response *resp, void *arg)
{
    scrape_manager *m = arg;
    const char *state = httpd_query(req, "state");
    int want_active = 1, want_dropped = 1;
    if (state && *state) {
        if (strcasecmp(state, "active") == 0)
            want_dropped = 0;
        else if (strcasecmp(state, "dropped") == 0)
            want_active = 0;
        else if (strcasecmp(state, "any") != 0) {
            reply_error(resp, 400, "bad_data", "state must be active, dropped or any");
            return;
        }
    }
    scrape_target_info *ts;
    size_t n;
    heron_err err = {0};
    if (scrape_manager_snapshot(m, &ts, &n, &err) < 0) {
        reply_error(resp, 500, "internal", err.msg);
        return;
    }
    buf b;
    buf_init(&b, 0);
    buf_puts(&b, "{\"status\":\"success\",\"data\":{\"activeTargets\":[");
    int first = 1;
    for (size_t i = 0; want_active && i < n; i++) {
        if (!ts[i].active)
            continue;
        if (!first)
            buf_putc(&b, ',');
        first = 0;
        write_active(&b, &ts[i]);
    }
    buf_puts(&b, "],\"droppedTargets\":[");
    first = 1;
    for (size_t i = 0; want_dropped && i < n; i++) {
        if (ts[i].active)
            continue;
        if (!first)
            buf_putc(&b, ',');
        first = 0;
        buf_puts(&b, "{\"discoveredLabels\":");
        json_labels(&b, &ts[i].discovered);
        buf_putc(&b, '}');
    }
    buf_puts(&b, "]}}");
    scrape_target_infos_free(ts, n);
    reply_json(resp, 200, &b);
}

/* ---- /api/v1/targets/metadata ---- */

typedef struct meta_query {
    scrape_lset match; /* target labels that must be equal */
    const char *metric;
    long limit;
    long count;
    buf *b;
} meta_query;

/* Parses `{a="b", c="d"}` (equality matchers only) into ls. */
static int parse_match_target(const char *s, scrape_lset *ls)
{
    while (*s == ' ')
        s++;
    if (*s++ != '{')
        return -1;
    for (;;) {
        while (*s == ' ' || *s == ',')
            s++;
        if (*s == '}')
            return s[1] == '\0' ? 0 : -1;
        const char *name = s;
        while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
               (*s >= '0' && *s <= '9'))
            s++;
        size_t nlen = (size_t)(s - name);
        while (*s == ' ')
            s++;
        if (nlen == 0 || *s != '=' || s[1] != '"')
            return -1;
        s += 2;
        char val[1024];
        size_t vlen = 0;
        while (*s && *s != '"' && vlen + 1 < sizeof val) {
            if (*s == '\\' && s[1])
                s++;
            val[vlen++] = *s++;
        }
        if (*s != '"')
            return -1;
        s++;
        if (scrape_lset_setn(ls, name, nlen, val, vlen) < 0)
            return -1;
    }
}

static void meta_one(const scrape_lset *target, const char *name, const char *type,
                     const char *help, const char *unit, void *arg)
{
    meta_query *q = arg;
    if (q->limit >= 0 && q->count >= q->limit)
        return;
    if (q->metric && strcmp(q->metric, name) != 0)
        return;
    for (size_t i = 0; i < q->match.n; i++) {
        const char *v = scrape_lset_get(target, q->match.v[i].name);
        if (v == NULL || strcmp(v, q->match.v[i].value) != 0)
            return;
    }
    if (q->count++)
        buf_putc(q->b, ',');
    buf_puts(q->b, "{\"target\":");
    json_labels(q->b, target);
    buf_puts(q->b, ",\"metric\":");
    json_str(q->b, name);
    buf_puts(q->b, ",\"type\":");
    json_str(q->b, type);
    buf_puts(q->b, ",\"help\":");
    json_str(q->b, help);
    buf_puts(q->b, ",\"unit\":");
    json_str(q->b, unit);
    buf_putc(q->b, '}');
}

void scrape_api_targets_metadata(const httpd_request *req, httpd_response *resp, void *arg)
{
    scrape_manager *m = arg;
    buf b;
    buf_init(&b, 0);
    meta_query q = {.metric = httpd_query(req, "metric"), .limit = -1, .b = &b};
    const char *mt = httpd_query(req, "match_target");
    const char *lim = httpd_query(req, "limit");
    if (mt && *mt && parse_match_target(mt, &q.match) < 0) {
        scrape_lset_free(&q.match);
        reply_error(resp, 400, "bad_data",
                    "match_target: want a label set like {job=\"node\"} (equality only)");
        return;
    }
    if (lim && *lim) {
        char *end;
        q.limit = strtol(lim, &end, 10);
        if (*end || q.limit < 0) {
            scrape_lset_free(&q.match);
            reply_error(resp, 400, "bad_data", "limit must be a non-negative integer");
            return;
        }
    }
    if (q.metric && *q.metric == '\0')
        q.metric = NULL;
    /* Written into a private buffer under the manager's lock: memory only. */
    buf_puts(&b, "{\"status\":\"success\",\"data\":[");
    scrape_manager_each_metadata(m, meta_one, &q);
    buf_puts(&b, "]}");
    scrape_lset_free(&q.match);
    reply_json(resp, 200, &b);
}

/* ---- /api/v1/status/config ---- */

void scrape_api_status_config(const httpd_request *req, httpd_response *resp, void *arg)
{
    (void)req;
    char *text = scrape_manager_config_text(arg);
    buf b;
    buf_init(&b, 0);
    buf_puts(&b, "{\"status\":\"success\",\"data\":{\"yaml\":");
    json_str(&b, text ? text : "");
    buf_puts(&b, "}}");
    free(text);
    reply_json(resp, 200, &b);
}
