/*
 * lset.c — sorted, owning label sets (see lset.h).
 */
#include "scrape/lset.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"

void scrape_lset_free(scrape_lset *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        free((char *)ls->v[i].name);
        free((char *)ls->v[i].value);
    }
    free(ls->v);
    ls->v = NULL;
    ls->n = ls->cap = 0;
}

/* Index of name, or -(insertion point) - 1. */
static long find(const scrape_lset *ls, const char *name, size_t nlen)
{
    size_t lo = 0, hi = ls->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = ls->v[mid].name;
        int c = strncmp(m, name, nlen);
        if (c == 0 && m[nlen] != '\0')
            c = 1;
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -(long)lo - 1;
}

const char *scrape_lset_get(const scrape_lset *ls, const char *name)
{
    long i = find(ls, name, strlen(name));
    return i >= 0 ? ls->v[i].value : NULL;
}

static void del_at(scrape_lset *ls, size_t i)
{
    free((char *)ls->v[i].name);
    free((char *)ls->v[i].value);
    memmove(&ls->v[i], &ls->v[i + 1], (ls->n - i - 1) * sizeof *ls->v);
    ls->n--;
}

void scrape_lset_del(scrape_lset *ls, const char *name)
{
    long i = find(ls, name, strlen(name));
    if (i >= 0)
        del_at(ls, (size_t)i);
}

int scrape_lset_setn(scrape_lset *ls, const char *name, size_t nlen,
                     const char *value, size_t vlen)
{
    long i = find(ls, name, nlen);
    if (vlen == 0) {
        if (i >= 0)
            del_at(ls, (size_t)i);
        return 0;
    }
    char *v = strndup(value, vlen);
    if (v == NULL)
        return HERON_ENOMEM;
    if (i >= 0) {
        free((char *)ls->v[i].value);
        ls->v[i].value = v;
        return 0;
    }
    if (ls->n == ls->cap) {
        size_t cap = ls->cap ? ls->cap * 2 : 8;
        tsdb_label *nv = realloc(ls->v, cap * sizeof *nv);
        if (nv == NULL) {
            free(v);
            return HERON_ENOMEM;
        }
        ls->v = nv;
        ls->cap = cap;
    }
    char *n = strndup(name, nlen);
    if (n == NULL) {
        free(v);
        return HERON_ENOMEM;
    }
    size_t at = (size_t)(-i - 1);
    memmove(&ls->v[at + 1], &ls->v[at], (ls->n - at) * sizeof *ls->v);
    ls->v[at].name = n;
    ls->v[at].value = v;
    ls->n++;
    return 0;
}

int scrape_lset_set(scrape_lset *ls, const char *name, const char *value)
{
    return scrape_lset_setn(ls, name, strlen(name), value, strlen(value));
}

int scrape_lset_copy(scrape_lset *dst, const scrape_lset *src)
{
    scrape_lset_free(dst);
    for (size_t i = 0; i < src->n; i++)
        if (scrape_lset_set(dst, src->v[i].name, src->v[i].value) < 0) {
            scrape_lset_free(dst);
            return HERON_ENOMEM;
        }
    return 0;
}

int scrape_lset_equal(const scrape_lset *a, const scrape_lset *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].name, b->v[i].name) != 0 ||
            strcmp(a->v[i].value, b->v[i].value) != 0)
            return 0;
    return 1;
}

char *scrape_lset_string(const scrape_lset *ls)
{
    buf b;
    buf_init(&b, 0);
    int rc = buf_putc(&b, '{');
    for (size_t i = 0; i < ls->n && rc == 0; i++) {
        rc = buf_printf(&b, "%s%s=\"", i ? ", " : "", ls->v[i].name);
        for (const char *p = ls->v[i].value; *p && rc == 0; p++) {
            if (*p == '"' || *p == '\\')
                rc = buf_putc(&b, '\\');
            if (rc == 0)
                rc = *p == '\n' ? buf_puts(&b, "\\n") : buf_putc(&b, *p);
        }
        if (rc == 0)
            rc = buf_putc(&b, '"');
    }
    if (rc == 0)
        rc = buf_putc(&b, '}');
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, NULL);
}
