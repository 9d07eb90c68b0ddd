#include "core/httpd.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "core/err.h"

struct httpd {
    struct MHD_Daemon *daemon;
    httpd_handler_fn fn;
    void *arg;
    size_t max_body;
    int port;
};

struct httpd_request {
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    buf body;
    int too_large;
    void (*after_sent)(void *arg);
    void *after_sent_arg;
};

const char *httpd_method(const httpd_request *req) { return req->method; }
const char *httpd_path(const httpd_request *req) { return req->path; }

const char *httpd_header(const httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *httpd_query(const httpd_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

typedef struct query_each {
    httpd_arg_fn fn;
    void *arg;
} query_each;

static enum MHD_Result query_each_cb(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    (void)kind;
    query_each *q = cls;
    q->fn(q->arg, key, value);
    return MHD_YES;
}

void httpd_query_each(const httpd_request *req, httpd_arg_fn fn, void *arg)
{
    query_each q = {fn, arg};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, query_each_cb, &q);
}

const char *httpd_body(const httpd_request *req, size_t *len)
{
    *len = req->body.len;
    return req->body.data ? req->body.data : "";
}

void httpd_add_header(httpd_response *resp, const char *name, const char *value)
{
    for (int i = 0; i < HTTPD_MAX_EXTRA_HEADERS; i++) {
        if (!resp->headers[i][0]) {
            resp->headers[i][0] = name;
            resp->headers[i][1] = value;
            return;
        }
    }
}

void httpd_reply_text(httpd_response *resp, int status, const char *text)
{
    resp->status = status;
    resp->content_type = "text/plain; charset=utf-8";
    buf_reset(&resp->body);
    buf_puts(&resp->body, text);
}

/* Does an Accept-Encoding header allow gzip? (q=0 refuses it.) */
static int accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    const char *p = strstr(ae, "gzip");
    if (!p)
        return 0;
    const char *q = strstr(p, "q=0");
    const char *comma = strchr(p, ',');
    return !(q && (!comma || q < comma) && strncmp(q, "q=0.", 4) != 0);
}

static int gzip_buffer(const char *in, size_t len, buf *out)
{
    z_stream z = {0};
    /* Level 1: scrapes are frequent and mostly repetitive text; higher
     * levels cost several times the CPU for a few percent of size. */
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return HERON_ENOMEM;
    uLong bound = deflateBound(&z, (uLong)len);
    int rc = buf_reserve(out, bound);
    if (rc == 0) {
        z.next_in = (Bytef *)in;
        z.avail_in = (uInt)len;
        z.next_out = (Bytef *)out->data;
        z.avail_out = (uInt)bound;
        rc = deflate(&z, Z_FINISH) == Z_STREAM_END ? 0 : HERON_EIO;
        if (rc == 0)
            out->len = z.total_out;
    }
    deflateEnd(&z);
    return rc;
}

static enum MHD_Result send_response(struct MHD_Connection *conn,
                                     const httpd_request *req,
                                     httpd_response *resp)
{
    buf zipped;
    buf_init(&zipped, 0);
    int gzipped = 0;
    if (resp->gzip_ok && resp->body.len > 0 &&
        accepts_gzip(httpd_header(req, MHD_HTTP_HEADER_ACCEPT_ENCODING)) &&
        gzip_buffer(resp->body.data, resp->body.len, &zipped) == 0)
        gzipped = 1;
    /* the answer's buffer goes to libmicrohttpd as it is (a query answer
     * can be tens of MB; a copy costs its time and page faults) */
    size_t len;
    char *data = buf_detach(gzipped ? &zipped : &resp->body, &len);
    buf_free(&zipped);
    struct MHD_Response *r =
        data ? MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            resp->content_type ? resp->content_type
                                               : "text/plain; charset=utf-8");
    if (gzipped)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    if (resp->gzip_ok)
        MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
    for (int i = 0; i < HTTPD_MAX_EXTRA_HEADERS && resp->headers[i][0]; i++)
        MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)version;
    httpd *h = cls;
    httpd_request *req = *con_cls;
    if (!req) {
        req = calloc(1, sizeof *req);
        if (!req)
            return MHD_NO;
        req->conn = conn;
        req->method = method;
        req->path = url;
        buf_init(&req->body, h->max_body);
        *con_cls = req;
        return MHD_YES;
    }
    if (*upload_size) {
        if (buf_append(&req->body, upload, *upload_size) != 0)
            req->too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    httpd_response resp = {.status = 200};
    buf_init(&resp.body, 0);
    if (req->too_large)
        httpd_reply_text(&resp, 413, "request body too large\n");
    else
        h->fn(req, &resp, h->arg);
    enum MHD_Result ret = send_response(conn, req, &resp);
    buf_free(&resp.body);
    req->after_sent = resp.after_sent;
    req->after_sent_arg = resp.after_sent_arg;
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)conn, (void)code;
    httpd_request *req = *con_cls;
    if (req) {
        if (req->after_sent)
            req->after_sent(req->after_sent_arg);
        buf_free(&req->body);
        free(req);
        *con_cls = NULL;
    }
}

/* Splits "host:port" / "[v6]:port" / ":port" and resolves the host. */
static int resolve(const char *address, struct addrinfo **res, heron_err *err)
{
    const char *colon = strrchr(address, ':');
    if (!colon || colon[1] == '\0')
        return err_set(err, HERON_EINVAL, "listen address \"%s\": want host:port", address);
    char host[256];
    size_t hlen = (size_t)(colon - address);
    const char *h = address;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= sizeof host)
        return err_set(err, HERON_EINVAL, "listen address \"%s\": host too long", address);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE};
    int rc = getaddrinfo(hlen ? host : NULL, colon + 1, &hints, res);
    if (rc != 0)
        return err_set(err, HERON_EINVAL, "listen address \"%s\": %s", address, gai_strerror(rc));
    return 0;
}

int httpd_start(const char *address, size_t max_body, unsigned pool_threads,
                httpd_handler_fn fn, void *arg, httpd **out, heron_err *err)
{
    struct addrinfo *ai;
    int rc = resolve(address, &ai, err);
    if (rc)
        return rc;
    httpd *h = calloc(1, sizeof *h);
    if (!h) {
        freeaddrinfo(ai);
        return err_set(err, HERON_ENOMEM, "out of memory");
    }
    h->fn = fn;
    h->arg = arg;
    h->max_body = max_body;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    flags |= pool_threads ? MHD_USE_EPOLL : MHD_USE_THREAD_PER_CONNECTION;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* MHD takes a pool size of 0 or 1 as "no pool" */
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)512,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_THREAD_POOL_SIZE, pool_threads > 1 ? pool_threads : 0u,
        MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->daemon) {
        free(h);
        return err_set(err, HERON_EIO, "cannot listen on %s (address in use or not permitted)", address);
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    *out = h;
    return 0;
}

int httpd_port(const httpd *h)
{
    return h->port;
}

void httpd_stop(httpd *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
