/* idlist — sorted ids at 4 bytes each, widened when needed (idlist.h). */
#include "tsdb/idlist.h"

#include <stdlib.h>
#include <string.h>

#include "heron.h"

static uint64_t get(const idlist *l, size_t i)
{
    if (l->wide)
        return ((const uint64_t *)l->v)[i];
    return (uint64_t)l->hi << 32 | ((const uint32_t *)l->v)[i];
}

static void put(idlist *l, size_t i, uint64_t id)
{
    if (l->wide)
        ((uint64_t *)l->v)[i] = id;
    else
        ((uint32_t *)l->v)[i] = (uint32_t)id;
}

static size_t elem(const idlist *l)
{
    return l->wide ? 8 : 4;
}

void idlist_free(idlist *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Rewrites the array with 8-byte ids, from the end so it works in place. */
static int widen(idlist *l)
{
    char *b = realloc(l->v, (size_t)(l->cap ? l->cap : 1) * 8);
    if (!b)
        return HERON_ENOMEM;
    for (size_t i = l->n; i-- > 0;) { /* memcpy: the two views alias */
        uint32_t lo;
        memcpy(&lo, b + i * 4, 4);
        uint64_t id = (uint64_t)l->hi << 32 | lo;
        memcpy(b + i * 8, &id, 8);
    }
    l->v = b;
    l->wide = 1;
    return 0;
}

static int reserve_one(idlist *l)
{
    if (l->n < l->cap)
        return 0;
    uint32_t cap = l->cap < 4 ? 4 : l->cap + l->cap / 2;
    void *v = realloc(l->v, (size_t)cap * elem(l));
    if (!v)
        return HERON_ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

int idlist_insert(idlist *l, uint64_t id)
{
    if (!l->wide && l->n == 0)
        l->hi = (uint32_t)(id >> 32);
    if (!l->wide && (uint32_t)(id >> 32) != l->hi && widen(l))
        return HERON_ENOMEM;
    if (reserve_one(l))
        return HERON_ENOMEM;
    size_t i = l->n;
    while (i > 0 && get(l, i - 1) > id)
        i--;
    if (i > 0 && get(l, i - 1) == id)
        return 0;
    size_t es = elem(l);
    char *b = l->v;
    memmove(b + (i + 1) * es, b + i * es, (l->n - i) * es);
    put(l, i, id);
    l->n++;
    return 0;
}

void idlist_remove(idlist *l, uint64_t id)
{
    size_t i = l->n;
    while (i > 0 && get(l, i - 1) > id)
        i--;
    if (i == 0 || get(l, i - 1) != id)
        return;
    size_t es = elem(l);
    char *b = l->v;
    memmove(b + (i - 1) * es, b + i * es, (l->n - i) * es);
    l->n--;
}

void idlist_subtract(idlist *l, const plist *dead)
{
    size_t w = 0, j = 0;
    for (size_t i = 0; i < l->n; i++) {
        uint64_t id = get(l, i);
        while (j < dead->n && dead->v[j] < id)
            j++;
        if (j >= dead->n || dead->v[j] != id)
            put(l, w++, id);
    }
    l->n = (uint32_t)w;
}

int idlist_copy(const idlist *l, plist *out)
{
    if (plist_reserve(out, l->n))
        return HERON_ENOMEM;
    for (size_t i = 0; i < l->n; i++)
        out->v[out->n + i] = get(l, i);
    out->n += l->n;
    return 0;
}

size_t idlist_bytes(const idlist *l)
{
    return (size_t)l->cap * elem(l);
}
