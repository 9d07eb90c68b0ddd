/*
 * smap — an open-addressing hash map from byte strings to pointers, for
 * the per-target series and metadata caches. The caller hashes the key
 * (XXH3) and owns both keys and values: a slot only points at the key,
 * which must stay valid while it is in the map. Lookups allocate nothing;
 * inserts grow the table (doubling) when it is 70% full. Deletion shifts
 * entries back (no tombstones). Not thread-safe: one owner.
 */
#ifndef HERON_SCRAPE_SMAP_H
#define HERON_SCRAPE_SMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct smap_slot {
    uint64_t hash;
    const char *key; /* NULL: empty slot */
    size_t klen;
    void *val;
} smap_slot;

typedef struct smap {
    smap_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
} smap;

uint64_t smap_hash(const void *key, size_t klen);
void *smap_get(const smap *m, uint64_t hash, const char *key, size_t klen);
/* Adds key (not present yet). 0 or HERON_ENOMEM. */
int smap_put(smap *m, uint64_t hash, const char *key, size_t klen, void *val);
/* Removes key; returns its value or NULL. */
void *smap_del(smap *m, uint64_t hash, const char *key, size_t klen);
void smap_free(smap *m);

#endif
