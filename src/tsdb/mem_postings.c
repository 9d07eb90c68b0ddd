/* mem_postings — the head's label-pair → ids index (mem_postings.h). */
#include "tsdb/mem_postings.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "heron.h"
#include "tsdb/idlist.h"

/* A string-keyed chained hash table; keys are interned pointers. */
typedef struct sentry {
    struct sentry *next;
    const char *key;
    uint64_t hash;
    void *val;
} sentry;

typedef struct smap {
    sentry **b;
    size_t nb, n;
} smap;

typedef struct vlist { /* the values of one label name */
    smap values;       /* value → mpair* */
} vlist;

typedef struct mpair {
    const char *name, *value; /* the keys of its two table entries */
    idlist ids;
    uint32_t id;
} mpair;

/* Pair ids index a two-level table: DIR leaves of LEAF slots, each leaf
 * allocated when the first of its ids is. The directory is allocated
 * whole but only its touched pages become resident. */
#define LEAF_BITS 12
#define LEAF (1u << LEAF_BITS)
#define DIR (1u << (32 - LEAF_BITS))

struct mem_postings {
    pthread_rwlock_t lock;
    intern *in;
    smap names; /* name → vlist* */
    idlist all;
    mpair ***dir;
    uint32_t next_pair;  /* ids below were handed out at some point */
    uint32_t *free_ids;  /* room for next_pair of them, so a free never fails */
    uint32_t nfree;
};

static uint64_t str_hash(const char *s)
{
    return XXH3_64bits(s, strlen(s));
}

static sentry *smap_find(const smap *m, const char *key, uint64_t h)
{
    if (!m->nb)
        return NULL;
    for (sentry *e = m->b[h & (m->nb - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static sentry *smap_add(smap *m, intern *in, const char *key, uint64_t h)
{
    if (m->n >= m->nb) {
        size_t nb = m->nb ? m->nb * 2 : 8;
        sentry **b = calloc(nb, sizeof *b);
        if (!b)
            return NULL;
        for (size_t i = 0; i < m->nb; i++)
            for (sentry *e = m->b[i], *nx; e; e = nx) {
                nx = e->next;
                e->next = b[e->hash & (nb - 1)];
                b[e->hash & (nb - 1)] = e;
            }
        free(m->b);
        m->b = b;
        m->nb = nb;
    }
    sentry *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->key = intern_get(in, key);
    if (!e->key) {
        free(e);
        return NULL;
    }
    e->hash = h;
    e->next = m->b[h & (m->nb - 1)];
    m->b[h & (m->nb - 1)] = e;
    m->n++;
    return e;
}

static void smap_remove(smap *m, intern *in, sentry *target)
{
    sentry **pp = &m->b[target->hash & (m->nb - 1)];
    while (*pp != target)
        pp = &(*pp)->next;
    *pp = target->next;
    m->n--;
    intern_put(in, target->key);
    free(target);
}

/* The entry for key in m, added with a zeroed payload of `size` bytes
 * when missing; NULL when out of memory. */
static sentry *smap_get_or_add(smap *m, intern *in, const char *key, size_t size)
{
    uint64_t h = str_hash(key);
    sentry *e = smap_find(m, key, h);
    if (e)
        return e;
    void *val = calloc(1, size);
    if (!val || !(e = smap_add(m, in, key, h))) {
        free(val);
        return NULL;
    }
    e->val = val;
    return e;
}

int mem_postings_new(intern *in, mem_postings **out)
{
    mem_postings *mp = calloc(1, sizeof *mp);
    if (!mp || !(mp->dir = calloc(DIR, sizeof *mp->dir))) {
        free(mp);
        return HERON_ENOMEM;
    }
    pthread_rwlock_init(&mp->lock, NULL);
    mp->in = in;
    *out = mp;
    return 0;
}

static mpair **slot(const mem_postings *mp, uint32_t id)
{
    return &mp->dir[id >> LEAF_BITS][id & (LEAF - 1)];
}

/* Numbers a new pair: a freed id, or the next one (with its leaf and room
 * on the free list). */
static int pair_number(mem_postings *mp, mpair *p)
{
    if (mp->nfree) {
        p->id = mp->free_ids[--mp->nfree];
    } else {
        uint32_t id = mp->next_pair;
        if (id == UINT32_MAX)
            return HERON_ENOMEM;
        if (!mp->dir[id >> LEAF_BITS] &&
            !(mp->dir[id >> LEAF_BITS] = calloc(LEAF, sizeof(mpair *))))
            return HERON_ENOMEM;
        if ((id & (LEAF - 1)) == 0) {
            uint32_t *f = realloc(mp->free_ids, ((size_t)id + LEAF) * sizeof *f);
            if (!f)
                return HERON_ENOMEM;
            mp->free_ids = f;
        }
        p->id = id;
        mp->next_pair = id + 1;
    }
    *slot(mp, p->id) = p;
    return 0;
}

/* Drops a pair's entry from its name's values (and unnumbers it). */
static void pair_drop(mem_postings *mp, vlist *vl, sentry *ve)
{
    mpair *p = ve->val;
    if (p->name) { /* numbered */
        *slot(mp, p->id) = NULL;
        mp->free_ids[mp->nfree++] = p->id;
    }
    idlist_free(&p->ids);
    free(p);
    smap_remove(&vl->values, mp->in, ve);
}

/* Drops a name's entry once it has no values left. */
static void name_drop_if_empty(mem_postings *mp, sentry *ne)
{
    vlist *vl = ne->val;
    if (vl->values.n)
        return;
    free(vl->values.b);
    free(vl);
    smap_remove(&mp->names, mp->in, ne);
}

/* Takes id out of one pair's list; the pair goes with its last id. */
static void pair_remove_id(mem_postings *mp, uint32_t pair, uint64_t id)
{
    mpair *p = *slot(mp, pair);
    idlist_remove(&p->ids, id);
    if (p->ids.n)
        return;
    sentry *ne = smap_find(&mp->names, p->name, str_hash(p->name));
    vlist *vl = ne->val;
    pair_drop(mp, vl, smap_find(&vl->values, p->value, str_hash(p->value)));
    name_drop_if_empty(mp, ne);
}

/* Indexes id under one label; its pair id goes to *pair. On failure the
 * index is as it was. */
static int add_one(mem_postings *mp, uint64_t id, const tsdb_label *l,
                   uint32_t *pair)
{
    sentry *ne = smap_get_or_add(&mp->names, mp->in, l->name, sizeof(vlist));
    if (!ne)
        return HERON_ENOMEM;
    vlist *vl = ne->val;
    sentry *ve = smap_get_or_add(&vl->values, mp->in, l->value, sizeof(mpair));
    if (!ve) {
        name_drop_if_empty(mp, ne);
        return HERON_ENOMEM;
    }
    mpair *p = ve->val;
    int rc = 0;
    if (!p->name && (rc = pair_number(mp, p)) == 0) {
        p->name = ne->key;
        p->value = ve->key;
    }
    if (rc == 0)
        rc = idlist_insert(&p->ids, id);
    if (rc) {
        if (p->ids.n == 0) {
            pair_drop(mp, vl, ve);
            name_drop_if_empty(mp, ne);
        }
        return rc;
    }
    *pair = p->id;
    return 0;
}

int mem_postings_add(mem_postings *mp, uint64_t id, const tsdb_label *ls,
                     size_t n, uint32_t *pairs)
{
    int rc = 0;
    size_t i;
    pthread_rwlock_wrlock(&mp->lock);
    for (i = 0; i < n && rc == 0; i++)
        rc = add_one(mp, id, &ls[i], &pairs[i]);
    if (rc == 0)
        rc = idlist_insert(&mp->all, id);
    else
        i--; /* the failed label added nothing */
    if (rc)
        while (i-- > 0)
            pair_remove_id(mp, pairs[i], id);
    pthread_rwlock_unlock(&mp->lock);
    return rc;
}

void mem_postings_remove(mem_postings *mp, uint64_t id, const uint32_t *pairs,
                         size_t n)
{
    pthread_rwlock_wrlock(&mp->lock);
    for (size_t i = 0; i < n; i++)
        pair_remove_id(mp, pairs[i], id);
    idlist_remove(&mp->all, id);
    pthread_rwlock_unlock(&mp->lock);
}

int mem_postings_delete(mem_postings *mp, const plist *dead)
{
    if (dead->n == 0)
        return 0;
    pthread_rwlock_wrlock(&mp->lock);
    for (size_t i = 0; i < mp->names.nb; i++)
        for (sentry *ne = mp->names.b[i], *nnx; ne; ne = nnx) {
            nnx = ne->next;
            vlist *vl = ne->val;
            for (size_t j = 0; j < vl->values.nb; j++)
                for (sentry *ve = vl->values.b[j], *vnx; ve; ve = vnx) {
                    vnx = ve->next;
                    mpair *p = ve->val;
                    idlist_subtract(&p->ids, dead);
                    if (p->ids.n == 0)
                        pair_drop(mp, vl, ve);
                }
            name_drop_if_empty(mp, ne);
        }
    idlist_subtract(&mp->all, dead);
    pthread_rwlock_unlock(&mp->lock);
    return 0;
}

tsdb_label mem_postings_pair(const mem_postings *mp, uint32_t pair)
{
    const mpair *p = *slot(mp, pair);
    return (tsdb_label){p->name, p->value};
}

int mem_postings_get(mem_postings *mp, const char *name, const char *value,
                     plist *out)
{
    int rc = 0;
    pthread_rwlock_rdlock(&mp->lock);
    sentry *ne = smap_find(&mp->names, name, str_hash(name));
    if (ne) {
        sentry *ve = smap_find(&((vlist *)ne->val)->values, value,
                               str_hash(value));
        if (ve)
            rc = idlist_copy(&((const mpair *)ve->val)->ids, out);
    }
    pthread_rwlock_unlock(&mp->lock);
    return rc;
}

int mem_postings_all(mem_postings *mp, plist *out)
{
    pthread_rwlock_rdlock(&mp->lock);
    int rc = idlist_copy(&mp->all, out);
    pthread_rwlock_unlock(&mp->lock);
    return rc;
}

int mem_postings_names(mem_postings *mp, tsdb_strings *out)
{
    int rc = 0;
    pthread_rwlock_rdlock(&mp->lock);
    for (size_t i = 0; i < mp->names.nb && rc == 0; i++)
        for (sentry *e = mp->names.b[i]; e && rc == 0; e = e->next)
            rc = strings_push(out, e->key);
    pthread_rwlock_unlock(&mp->lock);
    return rc;
}

int mem_postings_values(mem_postings *mp, const char *name, tsdb_strings *out)
{
    int rc = 0;
    pthread_rwlock_rdlock(&mp->lock);
    sentry *ne = smap_find(&mp->names, name, str_hash(name));
    if (ne) {
        const smap *vm = &((vlist *)ne->val)->values;
        for (size_t i = 0; i < vm->nb && rc == 0; i++)
            for (sentry *e = vm->b[i]; e && rc == 0; e = e->next)
                rc = strings_push(out, e->key);
    }
    pthread_rwlock_unlock(&mp->lock);
    return rc;
}

size_t mem_postings_bytes(mem_postings *mp)
{
    pthread_rwlock_rdlock(&mp->lock);
    size_t leaves = ((size_t)mp->next_pair + LEAF - 1) / LEAF;
    size_t total = idlist_bytes(&mp->all) + mp->names.nb * sizeof(sentry *) +
                   leaves * LEAF * (sizeof(mpair *) + sizeof(uint32_t));
    for (size_t i = 0; i < mp->names.nb; i++)
        for (sentry *ne = mp->names.b[i]; ne; ne = ne->next) {
            const vlist *vl = ne->val;
            total += sizeof *ne + sizeof *vl + vl->values.nb * sizeof(sentry *);
            for (size_t j = 0; j < vl->values.nb; j++)
                for (sentry *ve = vl->values.b[j]; ve; ve = ve->next)
                    total += sizeof *ve + sizeof(mpair) +
                             idlist_bytes(&((const mpair *)ve->val)->ids);
        }
    pthread_rwlock_unlock(&mp->lock);
    return total;
}

void mem_postings_free(mem_postings *mp)
{
    if (!mp)
        return;
    for (size_t i = 0; i < mp->names.nb; i++)
        for (sentry *ne = mp->names.b[i], *nnx; ne; ne = nnx) {
            nnx = ne->next;
            vlist *vl = ne->val;
            for (size_t j = 0; j < vl->values.nb; j++)
                for (sentry *ve = vl->values.b[j], *vnx; ve; ve = vnx) {
                    vnx = ve->next;
                    idlist_free(&((mpair *)ve->val)->ids);
                    free(ve->val);
                    intern_put(mp->in, ve->key);
                    free(ve);
                }
            free(vl->values.b);
            free(vl);
            intern_put(mp->in, ne->key);
            free(ne);
        }
    free(mp->names.b);
    for (size_t i = 0; i < DIR && i * LEAF < mp->next_pair; i++)
        free(mp->dir[i]);
    free(mp->dir);
    free(mp->free_ids);
    idlist_free(&mp->all);
    pthread_rwlock_destroy(&mp->lock);
    free(mp);
}
