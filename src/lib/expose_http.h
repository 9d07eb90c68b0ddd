/*
 * expose_http.h — answering an HTTP request for /metrics: GET or HEAD only,
 * format from the Accept header, gzip left to httpd. Shared by libheron's
 * endpoint and the heron server. Thread-safe.
 */
#ifndef HERON_LIB_EXPOSE_HTTP_H
#define HERON_LIB_EXPOSE_HTTP_H

#include "core/httpd.h"
#include "heron.h"

void expose_http(heron_registry *reg, const httpd_request *req,
                 httpd_response *resp);

#endif
