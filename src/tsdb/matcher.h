/*
 * matcher — internals of tsdb_matcher shared with index evaluation.
 * Thread-safe: a compiled matcher is read-only.
 */
#ifndef HERON_TSDB_MATCHER_H
#define HERON_TSDB_MATCHER_H

#include "tsdb/tsdb.h"

/* 1 when the matcher accepts "" (and so selects series lacking the label). */
int matcher_matches_empty(const tsdb_matcher *m);
/* For = and literal alternations: the exact values that match, sorted
 * (borrowed from m). 0 when the matcher is not of that shape. */
size_t matcher_literals(const tsdb_matcher *m, const char *const **lits);

#endif
