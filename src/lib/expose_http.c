#include "lib/expose_http.h"

#include <string.h>

#include "lib/metric.h"

void expose_http(heron_registry *reg, const httpd_request *req,
                 httpd_response *resp)
{
    const char *method = httpd_method(req);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        httpd_reply_text(resp, 405, "method not allowed\n");
        httpd_add_header(resp, "Allow", "GET, HEAD");
        return;
    }
    heron_format fmt = heron_format_negotiate(httpd_header(req, "Accept"));
    if (registry_write(reg, fmt, &resp->body) != 0) {
        httpd_reply_text(resp, 500, "out of memory writing the exposition\n");
        return;
    }
    resp->content_type = heron_format_content_type(fmt);
    resp->gzip_ok = 1;
}
