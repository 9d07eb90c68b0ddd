/*
 * smap.c — linear-probing string map (see smap.h).
 */
#include "scrape/smap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "heron.h"

uint64_t smap_hash(const void *key, size_t klen)
{
    return XXH3_64bits(key, klen);
}

static size_t find(const smap *m, uint64_t hash, const char *key, size_t klen)
{
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        const smap_slot *s = &m->slots[i];
        if (s->key == NULL)
            return i;
        if (s->hash == hash && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return i;
    }
}

void *smap_get(const smap *m, uint64_t hash, const char *key, size_t klen)
{
    if (m->cap == 0)
        return NULL;
    const smap_slot *s = &m->slots[find(m, hash, key, klen)];
    return s->key ? s->val : NULL;
}

static int grow(smap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    smap_slot *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return HERON_ENOMEM;
    smap old = *m;
    m->slots = slots;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].key)
            m->slots[find(m, old.slots[i].hash, old.slots[i].key, old.slots[i].klen)] =
                old.slots[i];
    free(old.slots);
    return 0;
}

int smap_put(smap *m, uint64_t hash, const char *key, size_t klen, void *val)
{
    if ((m->n + 1) * 10 > m->cap * 7 && grow(m) < 0)
        return HERON_ENOMEM;
    smap_slot *s = &m->slots[find(m, hash, key, klen)];
    if (s->key == NULL)
        m->n++;
    *s = (smap_slot){hash, key, klen, val};
    return 0;
}

void *smap_del(smap *m, uint64_t hash, const char *key, size_t klen)
{
    if (m->cap == 0)
        return NULL;
    size_t mask = m->cap - 1, i = find(m, hash, key, klen);
    if (m->slots[i].key == NULL)
        return NULL;
    void *val = m->slots[i].val;
    /* Backward shift: move later members of the cluster into the hole
     * when their home slot does not lie between the hole and them. */
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (m->slots[j].key == NULL)
            break;
        size_t home = (size_t)m->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = NULL;
    m->n--;
    return val;
}

void smap_free(smap *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}
