/* idtable — series by id in a three-level radix table (idtable.h). */
#include "tsdb/idtable.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "heron.h"

#define MID_BITS 16
#define TOP_BITS (44 - MID_BITS - IDTABLE_SLOT_BITS)

typedef struct leaf {
    atomic_uint live; /* entries set: slots of several locks update it */
    void *e[IDTABLE_SLOTS];
} leaf;

/* Both upper levels are arrays of these: a mid array's or a leaf's
 * address, installed once by compare-and-swap. */
typedef _Atomic(void *) node_ptr;

struct idtable {
    node_ptr top[1u << TOP_BITS]; /* → node_ptr[1 << MID_BITS] → leaf */
    atomic_ullong hi;      /* one past the highest leaf number ever set */
    uint64_t lo;           /* leaves below are all freed (idtable_shrink) */
    atomic_size_t leaves;  /* allocated */
};

int idtable_new(idtable **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : HERON_ENOMEM;
}

void idtable_free(idtable *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < (1u << TOP_BITS); i++) {
        node_ptr *m = atomic_load(&t->top[i]);
        if (!m)
            continue;
        for (size_t j = 0; j < (1u << MID_BITS); j++)
            free(atomic_load(&m[j]));
        free(m);
    }
    free(t);
}

/* The leaf holding ids of leaf number n (id >> IDTABLE_SLOT_BITS). */
static leaf *leaf_at(const idtable *t, uint64_t n)
{
    node_ptr *m = atomic_load_explicit(&t->top[n >> MID_BITS], memory_order_acquire);
    return m ? atomic_load_explicit(&m[n & ((1u << MID_BITS) - 1)], memory_order_acquire)
             : NULL;
}

void *idtable_get(const idtable *t, uint64_t id)
{
    if (id > IDTABLE_MAX_ID)
        return NULL;
    leaf *l = leaf_at(t, id >> IDTABLE_SLOT_BITS);
    return l ? l->e[id & (IDTABLE_SLOTS - 1)] : NULL;
}

/* *slot, or a zeroed block of `size` bytes installed there (by whichever
 * thread gets there first; *made tells whether this one did); NULL
 * without memory. */
static void *get_or_install(node_ptr *slot, size_t size, int *made)
{
    void *cur = atomic_load_explicit(slot, memory_order_acquire);
    *made = 0;
    if (cur)
        return cur;
    void *fresh = calloc(1, size);
    if (!fresh)
        return NULL;
    if (atomic_compare_exchange_strong_explicit(slot, &cur, fresh, memory_order_acq_rel,
                                                memory_order_acquire)) {
        *made = 1;
        return fresh;
    }
    free(fresh);
    return cur;
}

int idtable_set(idtable *t, uint64_t id, void *p)
{
    if (id > IDTABLE_MAX_ID)
        return HERON_ERANGE;
    uint64_t n = id >> IDTABLE_SLOT_BITS;
    int made;
    node_ptr *m = get_or_install(&t->top[n >> MID_BITS], sizeof(node_ptr) << MID_BITS, &made);
    leaf *l = m ? get_or_install(&m[n & ((1u << MID_BITS) - 1)], sizeof *l, &made) : NULL;
    if (!l)
        return HERON_ENOMEM;
    if (made)
        atomic_fetch_add(&t->leaves, 1);
    l->e[id & (IDTABLE_SLOTS - 1)] = p;
    atomic_fetch_add(&l->live, 1);
    unsigned long long hi = atomic_load(&t->hi);
    while (hi <= n && !atomic_compare_exchange_weak(&t->hi, &hi, n + 1))
        ;
    return 0;
}

void idtable_clear(idtable *t, uint64_t id)
{
    leaf *l = id > IDTABLE_MAX_ID ? NULL : leaf_at(t, id >> IDTABLE_SLOT_BITS);
    void **e = l ? &l->e[id & (IDTABLE_SLOTS - 1)] : NULL;
    if (e && *e) {
        *e = NULL;
        atomic_fetch_sub(&l->live, 1);
    }
}

void *idtable_scan(const idtable *t, unsigned slot, uint64_t *n)
{
    uint64_t hi = atomic_load(&t->hi);
    for (uint64_t i = *n > t->lo ? *n : t->lo; i < hi; i++) {
        leaf *l = leaf_at(t, i);
        if (l && l->e[slot]) {
            *n = i + 1;
            return l->e[slot];
        }
    }
    *n = hi;
    return NULL;
}

void idtable_shrink(idtable *t, uint64_t below)
{
    uint64_t end = below >> IDTABLE_SLOT_BITS, hi = atomic_load(&t->hi);
    if (end > hi)
        end = hi;
    for (uint64_t i = t->lo; i < end; i++) {
        node_ptr *m = atomic_load(&t->top[i >> MID_BITS]);
        leaf *l = m ? atomic_load(&m[i & ((1u << MID_BITS) - 1)]) : NULL;
        if (l && atomic_load(&l->live) == 0) {
            atomic_store(&m[i & ((1u << MID_BITS) - 1)], NULL);
            free(l);
            atomic_fetch_sub(&t->leaves, 1);
        }
    }
    while (t->lo < end && !leaf_at(t, t->lo))
        t->lo++;
}

size_t idtable_bytes(const idtable *t)
{
    return atomic_load(&t->leaves) * sizeof(leaf);
}
