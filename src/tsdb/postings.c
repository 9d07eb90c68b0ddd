/* postings — sorted id lists and the head's label-pair → ids index. */
#include "tsdb/postings.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "heron.h"

/* ---- plist ---------------------------------------------------------------- */

void plist_free(plist *p)
{
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

static int plist_reserve(plist *p, size_t more)
{
    if (p->n + more <= p->cap)
        return 0;
    size_t cap = p->cap ? p->cap : 4;
    while (cap < p->n + more)
        cap *= 2;
    uint64_t *v = realloc(p->v, cap * sizeof *v);
    if (!v)
        return HERON_ENOMEM;
    p->v = v;
    p->cap = cap;
    return 0;
}

int plist_push(plist *p, uint64_t id)
{
    if (plist_reserve(p, 1))
        return HERON_ENOMEM;
    p->v[p->n++] = id;
    return 0;
}

int plist_insert(plist *p, uint64_t id)
{
    if (plist_reserve(p, 1))
        return HERON_ENOMEM;
    size_t i = p->n;
    while (i > 0 && p->v[i - 1] > id)
        i--;
    if (i > 0 && p->v[i - 1] == id)
        return 0;
    memmove(p->v + i + 1, p->v + i, (p->n - i) * sizeof *p->v);
    p->v[i] = id;
    p->n++;
    return 0;
}

int plist_append(plist *p, const uint64_t *ids, size_t n)
{
    if (plist_reserve(p, n))
        return HERON_ENOMEM;
    if (n)
        memcpy(p->v + p->n, ids, n * sizeof *ids);
    p->n += n;
    return 0;
}

static int u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

void plist_sort_unique(plist *p)
{
    if (p->n < 2)
        return;
    size_t i;
    for (i = 1; i < p->n && p->v[i - 1] < p->v[i]; i++)
        ;
    if (i < p->n)
        qsort(p->v, p->n, sizeof *p->v, u64_cmp);
    size_t w = 1;
    for (i = 1; i < p->n; i++)
        if (p->v[i] != p->v[w - 1])
            p->v[w++] = p->v[i];
    p->n = w;
}

int plist_intersect(const plist *a, const plist *b, plist *out)
{
    out->n = 0;
    if (plist_reserve(out, a->n < b->n ? a->n : b->n))
        return HERON_ENOMEM;
    size_t i = 0, j = 0;
    while (i < a->n && j < b->n) {
        if (a->v[i] < b->v[j])
            i++;
        else if (a->v[i] > b->v[j])
            j++;
        else {
            out->v[out->n++] = a->v[i];
            i++;
            j++;
        }
    }
    return 0;
}

int plist_union(const plist *a, const plist *b, plist *out)
{
    out->n = 0;
    if (plist_reserve(out, a->n + b->n))
        return HERON_ENOMEM;
    size_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        uint64_t x;
        if (j >= b->n || (i < a->n && a->v[i] < b->v[j]))
            x = a->v[i++];
        else if (i >= a->n || b->v[j] < a->v[i])
            x = b->v[j++];
        else {
            x = a->v[i++];
            j++;
        }
        out->v[out->n++] = x;
    }
    return 0;
}

int plist_subtract(const plist *a, const plist *b, plist *out)
{
    out->n = 0;
    if (plist_reserve(out, a->n))
        return HERON_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < a->n; i++) {
        while (j < b->n && b->v[j] < a->v[i])
            j++;
        if (j >= b->n || b->v[j] != a->v[i])
            out->v[out->n++] = a->v[i];
    }
    return 0;
}

/* ---- strings -------------------------------------------------------------- */

int strings_push(tsdb_strings *out, const char *s)
{
    /* Capacity is 8, then doubles each time n reaches a power of two. */
    if (out->n == 0 || (out->n >= 8 && (out->n & (out->n - 1)) == 0)) {
        size_t cap = out->n ? out->n * 2 : 8;
        char **v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return HERON_ENOMEM;
        out->v = v;
    }
    char *c = strdup(s);
    if (!c)
        return HERON_ENOMEM;
    out->v[out->n++] = c;
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void strings_sort_unique(tsdb_strings *s)
{
    if (s->n < 2)
        return;
    qsort(s->v, s->n, sizeof *s->v, str_cmp);
    size_t w = 1;
    for (size_t i = 1; i < s->n; i++) {
        if (strcmp(s->v[i], s->v[w - 1]) != 0)
            s->v[w++] = s->v[i];
        else
            free(s->v[i]);
    }
    s->n = w;
}

void tsdb_strings_free(tsdb_strings *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

/* ---- mem_postings ---------------------------------------------------------- */

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
    smap values;       /* value → plist* */
} vlist;

struct mem_postings {
    pthread_rwlock_t lock;
    intern *in;
    smap names; /* name → vlist* */
    plist all;
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

int mem_postings_new(intern *in, mem_postings **out)
{
    mem_postings *mp = calloc(1, sizeof *mp);
    if (!mp)
        return HERON_ENOMEM;
    pthread_rwlock_init(&mp->lock, NULL);
    mp->in = in;
    *out = mp;
    return 0;
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
                    plist_free(ve->val);
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
    plist_free(&mp->all);
    pthread_rwlock_destroy(&mp->lock);
    free(mp);
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

int mem_postings_add(mem_postings *mp, uint64_t id, const tsdb_label *ls,
                     size_t n)
{
    int rc = 0;
    pthread_rwlock_wrlock(&mp->lock);
    for (size_t i = 0; i < n && rc == 0; i++) {
        sentry *ne = smap_get_or_add(&mp->names, mp->in, ls[i].name, sizeof(vlist));
        vlist *vl = ne ? ne->val : NULL;
        sentry *ve = vl ? smap_get_or_add(&vl->values, mp->in, ls[i].value, sizeof(plist)) : NULL;
        rc = ve ? plist_insert(ve->val, id) : HERON_ENOMEM;
    }
    if (rc == 0)
        rc = plist_insert(&mp->all, id);
    pthread_rwlock_unlock(&mp->lock);
    return rc;
}

static void subtract_in_place(plist *p, const plist *dead)
{
    size_t w = 0, j = 0;
    for (size_t i = 0; i < p->n; i++) {
        while (j < dead->n && dead->v[j] < p->v[i])
            j++;
        if (j >= dead->n || dead->v[j] != p->v[i])
            p->v[w++] = p->v[i];
    }
    p->n = w;
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
                    plist *p = ve->val;
                    subtract_in_place(p, dead);
                    if (p->n == 0) {
                        plist_free(p);
                        free(p);
                        smap_remove(&vl->values, mp->in, ve);
                    }
                }
            if (vl->values.n == 0) {
                free(vl->values.b);
                free(vl);
                smap_remove(&mp->names, mp->in, ne);
            }
        }
    subtract_in_place(&mp->all, dead);
    pthread_rwlock_unlock(&mp->lock);
    return 0;
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
        if (ve) {
            const plist *p = ve->val;
            rc = plist_append(out, p->v, p->n);
        }
    }
    pthread_rwlock_unlock(&mp->lock);
    return rc;
}

int mem_postings_all(mem_postings *mp, plist *out)
{
    pthread_rwlock_rdlock(&mp->lock);
    int rc = plist_append(out, mp->all.v, mp->all.n);
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
    size_t total = 0;
    pthread_rwlock_rdlock(&mp->lock);
    total += mp->all.cap * sizeof(uint64_t) + mp->names.nb * sizeof(sentry *);
    for (size_t i = 0; i < mp->names.nb; i++)
        for (sentry *ne = mp->names.b[i]; ne; ne = ne->next) {
            const vlist *vl = ne->val;
            total += sizeof *ne + sizeof *vl + vl->values.nb * sizeof(sentry *);
            for (size_t j = 0; j < vl->values.nb; j++)
                for (sentry *ve = vl->values.b[j]; ve; ve = ve->next)
                    total += sizeof *ve + sizeof(plist) +
                             ((const plist *)ve->val)->cap * sizeof(uint64_t);
        }
    pthread_rwlock_unlock(&mp->lock);
    return total;
}
