/*
 * idtable — the head's series by id: a three-level radix table.
 *
 * Head ids count up from 1, so a table indexed by id is dense: 8 bytes a
 * series, one lookup with no chain to walk and no hash. Leaves hold
 * IDTABLE_SLOTS entries; upper levels are allocated on first use (their
 * untouched pages never become resident), and leaves left empty below the
 * ids still being handed out are freed by idtable_shrink. Ids run up to
 * 2^44.
 *
 * Locking is the caller's, by slot: all entries with the same id modulo
 * IDTABLE_SLOTS share one lock (the head's id shard), which must be held
 * to read or write them. idtable_shrink needs every slot's lock.
 */
#ifndef HERON_TSDB_IDTABLE_H
#define HERON_TSDB_IDTABLE_H

#include <stddef.h>
#include <stdint.h>

#define IDTABLE_SLOT_BITS 12
#define IDTABLE_SLOTS (1u << IDTABLE_SLOT_BITS)
#define IDTABLE_MAX_ID ((UINT64_C(1) << 44) - 1)

typedef struct idtable idtable;

int idtable_new(idtable **out);
/* Frees the table (not what its entries point to). */
void idtable_free(idtable *t);
/* The entry of id, NULL if none. */
void *idtable_get(const idtable *t, uint64_t id);
/* Sets the entry of id (p non-NULL, none there yet). HERON_ENOMEM, or
 * HERON_ERANGE past IDTABLE_MAX_ID. */
int idtable_set(idtable *t, uint64_t id, void *p);
/* Clears the entry of id. */
void idtable_clear(idtable *t, uint64_t id);
/* The next entry of slot `slot` in leaf *leaf or after, in id order; *leaf
 * moves past it. NULL at the end. Start with *leaf = 0. */
void *idtable_scan(const idtable *t, unsigned slot, uint64_t *leaf);
/* Frees the empty leaves of ids below `below`. */
void idtable_shrink(idtable *t, uint64_t below);
/* Bytes of leaves (resident ones of the upper levels are not counted). */
size_t idtable_bytes(const idtable *t);

#endif
