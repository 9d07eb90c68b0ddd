/*
 * rw_client — test support: a small remote_write sender. It encodes a
 * WriteRequest (protobuf), compresses it with snappy (block format) and
 * POSTs it with libcurl, as Prometheus' remote_write client does.
 * Not thread-safe; one rw_batch per thread.
 */
#ifndef HERON_TESTS_RW_CLIENT_H
#define HERON_TESTS_RW_CLIENT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

typedef struct rw_batch {
    buf pb; /* the encoded WriteRequest so far */
} rw_batch;

void rw_batch_init(rw_batch *b);
void rw_batch_free(rw_batch *b);
/* Adds one time series: labels as name, value, ... NULL (any order) and
 * n samples. */
void rw_batch_add(rw_batch *b, const char *const *labels, const int64_t *ts,
                  const double *vs, size_t n);
/* Snappy-compresses the batch into out (malloc'd; caller frees). */
int rw_batch_compress(const rw_batch *b, char **out, size_t *len);
/* POSTs the batch to url; returns the HTTP status (0 on transport error)
 * and resets the batch. */
int rw_batch_send(rw_batch *b, const char *url);
/* POSTs an already compressed body to url with the remote_write headers on
 * the handle c (kept alive between calls; NULL: a handle of its own for this
 * call). Returns the HTTP status, 0 on a transport error. */
int rw_post(CURL *c, const char *url, const char *body, size_t len);

#endif
