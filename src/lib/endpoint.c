/*
 * endpoint.c — the embeddable /metrics endpoint: a background HTTP listener
 * serving one registry, with content negotiation and gzip.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/httpd.h"
#include "heron.h"
#include "lib/expose_http.h"

struct heron_endpoint {
    httpd *server;
    heron_registry *registry;
};

static void endpoint_handle(const httpd_request *req, httpd_response *resp,
                            void *arg)
{
    heron_endpoint *ep = arg;
    const char *path = httpd_path(req);
    if (strcmp(path, "/metrics") != 0 && strcmp(path, "/") != 0) {
        httpd_reply_text(resp, 404, "not found: try /metrics\n");
        return;
    }
    expose_http(ep->registry, req, resp);
}

int heron_endpoint_start(heron_registry *reg, const char *address,
                         heron_endpoint **out, heron_err *err)
{
    heron_endpoint *ep = calloc(1, sizeof *ep);
    if (!ep)
        return err_set(err, HERON_ENOMEM, "out of memory");
    ep->registry = reg ? reg : heron_default_registry();
    int rc = httpd_start(address ? address : "127.0.0.1:8000", 64 * 1024, 2,
                         endpoint_handle, ep, &ep->server, err);
    if (rc) {
        free(ep);
        return rc;
    }
    *out = ep;
    return 0;
}

int heron_endpoint_port(const heron_endpoint *ep)
{
    return httpd_port(ep->server);
}

void heron_endpoint_stop(heron_endpoint *ep)
{
    if (!ep)
        return;
    httpd_stop(ep->server);
    free(ep);
}
