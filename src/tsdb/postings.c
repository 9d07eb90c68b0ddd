/* postings — sorted id lists and string lists. */
#include "tsdb/postings.h"

#include <stdlib.h>
#include <string.h>

#include "heron.h"

/* ---- plist ---------------------------------------------------------------- */

void plist_free(plist *p)
{
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

int plist_reserve(plist *p, size_t more)
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
