/*
 * lset — a small mutable label set: what relabeling edits and what a target
 * or a scraped series is described by before it becomes tsdb labels.
 *
 * The set owns copies of its names and values (malloc'd). It is kept sorted
 * by name, so lookups are binary searches and scrape_lset_view hands
 * tsdb_append its sorted array directly. Setting an empty value deletes the
 * label, as in Prometheus' label builder. Not thread-safe: one owner.
 */
#ifndef HERON_SCRAPE_LSET_H
#define HERON_SCRAPE_LSET_H

#include <stddef.h>

#include "heron.h"
#include "tsdb/tsdb.h"

typedef struct scrape_lset {
    tsdb_label *v; /* sorted by name; strings owned by the set */
    size_t n, cap;
} scrape_lset;

/* Empties the set and frees its memory; the set may be reused. */
void scrape_lset_free(scrape_lset *ls);
/* Value of name, or NULL when absent. */
const char *scrape_lset_get(const scrape_lset *ls, const char *name);
/* Sets name to value (copied); an empty value deletes. 0 or HERON_ENOMEM. */
int scrape_lset_set(scrape_lset *ls, const char *name, const char *value);
/* The same with lengths (strings need not be NUL-terminated). */
int scrape_lset_setn(scrape_lset *ls, const char *name, size_t nlen,
                     const char *value, size_t vlen);
void scrape_lset_del(scrape_lset *ls, const char *name);
/* Deep copy of src into *dst (which is freed first). */
int scrape_lset_copy(scrape_lset *dst, const scrape_lset *src);
int scrape_lset_equal(const scrape_lset *a, const scrape_lset *b);
/* `{a="b", c="d"}` with Go-style quoting, as Prometheus prints label sets.
 * Returns a malloc'd string (NULL on allocation failure). */
char *scrape_lset_string(const scrape_lset *ls);

#endif
