/*
 * mem_postings — the head's index: each label pair to the sorted ids of the
 * series carrying it, plus the list of all ids.
 *
 * Every pair gets a number (a pair id, reused once the pair is gone), so a
 * head series names each of its labels in 4 bytes; mem_postings_pair turns
 * the number back into strings without a lock. A pair lives while some
 * series carries it, that is from the mem_postings_add that indexes its
 * first series until the mem_postings_delete that drops its last. Strings
 * are interned (the index holds its own references); id lists take 4 bytes
 * an id (idlist.h).
 *
 * Thread-safe: a rwlock; readers copy lists out, so no reader holds the
 * lock for long. mem_postings_pair takes no lock: it is safe for a pair id
 * of a series the caller knows to be alive.
 */
#ifndef HERON_TSDB_MEM_POSTINGS_H
#define HERON_TSDB_MEM_POSTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "tsdb/intern.h"
#include "tsdb/postings.h"
#include "tsdb/tsdb.h"

typedef struct mem_postings mem_postings;

int mem_postings_new(intern *in, mem_postings **out);
void mem_postings_free(mem_postings *mp);
/* Indexes series id under each of ls[0..n) and writes their pair ids to
 * pairs[0..n). On failure nothing is indexed. */
int mem_postings_add(mem_postings *mp, uint64_t id, const tsdb_label *ls,
                     size_t n, uint32_t *pairs);
/* Un-indexes one series (the pair ids mem_postings_add gave it). */
void mem_postings_remove(mem_postings *mp, uint64_t id, const uint32_t *pairs,
                         size_t n);
/* Removes the ids in dead (sorted) from every list; drops empty pairs. */
int mem_postings_delete(mem_postings *mp, const plist *dead);
/* The strings of a live pair (interned; valid while the pair lives). */
tsdb_label mem_postings_pair(const mem_postings *mp, uint32_t pair);
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

#endif
