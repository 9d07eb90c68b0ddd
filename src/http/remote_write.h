/*
 * remote_write — decodes a Prometheus remote_write 1.0 request body:
 * snappy (block format) around a protobuf WriteRequest
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; ... }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; ... }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }
 *
 * The protobuf reader is written by hand: four small messages, every read
 * bounds-checked, unknown fields skipped by wire type (exemplars, native
 * histograms, metadata), and the result points into four allocations
 * instead of one per message as generated protobuf-c code would. Labels come out
 * sorted by name, NUL-terminated; a series whose names are invalid or
 * repeated is flagged (`invalid`), not dropped, so the caller decides.
 *
 * Errors: HERON_EINVAL with a message naming the problem and its byte
 * offset; nothing is allocated on error. Thread-safe (no shared state).
 */
#ifndef HERON_HTTP_REMOTE_WRITE_H
#define HERON_HTTP_REMOTE_WRITE_H

#include <stddef.h>

#include "heron.h"
#include "tsdb/tsdb.h"

/* The largest decompressed request accepted. */
#define RW_MAX_DECODED (256u << 20)

typedef struct rw_series {
    tsdb_label *labels;
    size_t nlabels;
    tsdb_sample *samples;
    size_t nsamples;
    int invalid; /* bad or duplicate label name, or no labels */
} rw_series;

typedef struct rw_request {
    rw_series *series;
    size_t nseries;
    size_t nsamples; /* over all series */
    /* Own the series' labels, samples and label strings: */
    tsdb_label *labels;
    tsdb_sample *samples;
    char *strings;
} rw_request;

/* Decodes a snappy-compressed WriteRequest. */
int rw_decode(const char *body, size_t len, rw_request *out, heron_err *err);
/* Decodes an uncompressed WriteRequest (used by rw_decode and tests). */
int rw_decode_proto(const unsigned char *p, size_t len, rw_request *out,
                    heron_err *err);
void rw_request_free(rw_request *r);

#endif
