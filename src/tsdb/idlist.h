/*
 * idlist — a sorted list of series ids that takes 4 bytes an id.
 *
 * Head series ids count up from 1, so the ids of one list share their
 * upper 32 bits in practice always; the list keeps that half once and the
 * lower halves in a uint32_t array. Should an id with another upper half
 * arrive (after some 4 billion series), the list widens to 8 bytes an id
 * and stays correct. Growth is by half the capacity, as the head's
 * postings are a large part of its memory. Not thread-safe.
 */
#ifndef HERON_TSDB_IDLIST_H
#define HERON_TSDB_IDLIST_H

#include <stddef.h>
#include <stdint.h>

#include "tsdb/postings.h"

typedef struct idlist {
    void *v;       /* uint32_t[] (narrow) or uint64_t[] (wide) */
    uint32_t n, cap;
    uint32_t hi;   /* narrow: the upper half every id shares */
    uint8_t wide;
} idlist;

void idlist_free(idlist *l);
/* Inserts id in order (cheap when it is the largest); a duplicate is a
 * no-op. HERON_ENOMEM leaves the list as it was. */
int idlist_insert(idlist *l, uint64_t id);
/* Removes id if present. */
void idlist_remove(idlist *l, uint64_t id);
/* Removes every id of dead (sorted). */
void idlist_subtract(idlist *l, const plist *dead);
/* Appends the ids, in order, to out. */
int idlist_copy(const idlist *l, plist *out);
/* Bytes of its array. */
size_t idlist_bytes(const idlist *l);

#endif
