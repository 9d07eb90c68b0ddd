/*
 * querier — internals of tsdb_querier: a querier over explicit sources,
 * used by the database (head + blocks) and by compaction (blocks only).
 */
#ifndef HERON_TSDB_QUERIER_H
#define HERON_TSDB_QUERIER_H

#include "tsdb/query.h"

/* A querier over srcs[0..n) (copied) for [mint, maxt]. release(arg) is
 * called once by tsdb_querier_free (NULL: nothing to release). */
int querier_open(const qsource *srcs, size_t n, int64_t mint, int64_t maxt,
                 void (*release)(void *), void *arg, tsdb_querier **out,
                 heron_err *err);

/* Like tsdb_querier_select with no matcher: every series. */
int querier_select_all(tsdb_querier *q, tsdb_series_set **out,
                       heron_err *err);

#endif
