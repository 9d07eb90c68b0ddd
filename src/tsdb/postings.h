/*
 * postings — sorted lists of series ids, and lists of strings.
 *
 * A plist is a growable sorted array of ids owned by whoever holds it
 * (plist_free). The set operations write into a fresh list and leave their
 * inputs alone. Not thread-safe.
 *
 * String lists (tsdb_strings) get the same treatment: push, sort, unique.
 * The head's index is mem_postings.h.
 */
#ifndef HERON_TSDB_POSTINGS_H
#define HERON_TSDB_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "tsdb/tsdb.h"

typedef struct plist {
    uint64_t *v;
    size_t n, cap;
} plist;

void plist_free(plist *p);
/* Makes room for `more` ids past n. */
int plist_reserve(plist *p, size_t more);
int plist_push(plist *p, uint64_t id);
/* Inserts id keeping the list sorted (cheap when id is the largest). */
int plist_insert(plist *p, uint64_t id);
int plist_append(plist *p, const uint64_t *ids, size_t n);
/* Sorts and removes duplicates. */
void plist_sort_unique(plist *p);
int plist_intersect(const plist *a, const plist *b, plist *out);
int plist_union(const plist *a, const plist *b, plist *out);
int plist_subtract(const plist *a, const plist *b, plist *out);

/* Appends a copy of s to a string list. */
int strings_push(tsdb_strings *out, const char *s);
/* Sorts and removes duplicates. */
void strings_sort_unique(tsdb_strings *s);

#endif
