/*
 * postings — sorted lists of series ids and the head's in-memory index.
 *
 * A plist is a growable sorted array of ids owned by whoever holds it
 * (plist_free). The set operations write into a fresh list and leave their
 * inputs alone. Not thread-safe.
 *
 * mem_postings maps each label pair of the head to the sorted ids of the
 * series carrying it, plus the list of all ids. Its strings are interned
 * (it holds its own references). Thread-safe: a rwlock, readers copy lists
 * out, so no reader holds the lock for long.
 */
#ifndef HERON_TSDB_POSTINGS_H
#define HERON_TSDB_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "tsdb/intern.h"
#include "tsdb/tsdb.h"

typedef struct plist {
    uint64_t *v;
    size_t n, cap;
} plist;

void plist_free(plist *p);
int plist_push(plist *p, uint64_t id);
/* Inserts id keeping the list sorted (cheap when id is the largest). */
int plist_insert(plist *p, uint64_t id);
int plist_append(plist *p, const uint64_t *ids, size_t n);
/* Sorts and removes duplicates. */
void plist_sort_unique(plist *p);
int plist_intersect(const plist *a, const plist *b, plist *out);
int plist_union(const plist *a, const plist *b, plist *out);
int plist_subtract(const plist *a, const plist *b, plist *out);

typedef struct mem_postings mem_postings;

int mem_postings_new(intern *in, mem_postings **out);
void mem_postings_free(mem_postings *mp);
/* Indexes series id under each of its labels. */
int mem_postings_add(mem_postings *mp, uint64_t id, const tsdb_label *ls,
                     size_t n);
/* Removes the ids in dead (sorted) from every list; drops empty lists. */
int mem_postings_delete(mem_postings *mp, const plist *dead);
/* Appends the ids of name=value (nothing when unknown) to out, in order. */
int mem_postings_get(mem_postings *mp, const char *name, const char *value,
                     plist *out);
int mem_postings_all(mem_postings *mp, plist *out);
/* Label names / values of name, unsorted copies appended to out. */
int mem_postings_names(mem_postings *mp, tsdb_strings *out);
int mem_postings_values(mem_postings *mp, const char *name,
                        tsdb_strings *out);
/* Bytes held by lists and tables. */
size_t mem_postings_bytes(mem_postings *mp);

/* Appends a copy of s to a string list. */
int strings_push(tsdb_strings *out, const char *s);
/* Sorts and removes duplicates. */
void strings_sort_unique(tsdb_strings *s);

#endif
