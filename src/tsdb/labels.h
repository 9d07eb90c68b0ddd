/*
 * labels — helpers over sorted tsdb_label arrays (see tsdb.h): hashing,
 * validation and copying. Pure functions; thread-safe.
 */
#ifndef HERON_TSDB_LABELS_H
#define HERON_TSDB_LABELS_H

#include "tsdb/tsdb.h"

/* xxh3 of the pairs; equal label sets hash equal. */
uint64_t labels_hash(const tsdb_label *ls, size_t n);
int labels_equal(const tsdb_label *a, size_t na, const tsdb_label *b,
                 size_t nb);
/* Checks names (non-empty, [a-zA-Z_:][a-zA-Z0-9_:]* — UTF-8 names are
 * allowed too, as in Prometheus 3), sorting, uniqueness and lengths.
 * HERON_EINVAL / HERON_ERANGE with a message naming the label. */
int labels_validate(const tsdb_label *ls, size_t n, size_t max_name,
                    size_t max_value, heron_err *err);
/* Writes `{a="b", c="d"}` into out (size cap, truncated with "..."). */
void labels_format(const tsdb_label *ls, size_t n, char *out, size_t cap);

#endif
