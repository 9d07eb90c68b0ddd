/* eval_labels — label sets, the label-set map and the vector builder the
 * evaluator uses for every node that makes new series. */
#include <stdlib.h>
#include <string.h>

#include "promql/eval.h"

const char *ev_label_get(const tsdb_label *ls, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ls[i].name, name) == 0)
            return ls[i].value;
    return NULL;
}

static int labels_listed(const promql_labels *names, const char *name)
{
    for (size_t i = 0; names && i < names->count; i++)
        if (strcmp(names->names[i], name) == 0)
            return 1;
    return 0;
}

int ev_labels_filter(ev_ctx *c, const tsdb_label *ls, size_t n,
                     const promql_labels *names, int keep, int drop_name,
                     tsdb_label **out, size_t *nout)
{
    tsdb_label *r = ev_alloc(c, (n ? n : 1) * sizeof *r);
    if (!r)
        return HERON_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (drop_name && strcmp(ls[i].name, "__name__") == 0)
            continue;
        if (labels_listed(names, ls[i].name) != keep)
            continue;
        r[k++] = ls[i];
    }
    *out = r;
    *nout = k;
    return 0;
}

int ev_labels_drop_name(ev_ctx *c, const tsdb_label *ls, size_t n,
                        tsdb_label **out, size_t *nout)
{
    return ev_labels_filter(c, ls, n, NULL, 0, 1, out, nout);
}

int ev_labels_set(ev_ctx *c, const tsdb_label *ls, size_t n,
                  const char *name, const char *value, tsdb_label **out,
                  size_t *nout)
{
    tsdb_label *r = ev_alloc(c, (n + 1) * sizeof *r);
    if (!r)
        return HERON_ENOMEM;
    size_t k = 0, i = 0;
    int placed = !value || !*value;
    for (; i < n; i++) {
        int cmp = strcmp(ls[i].name, name);
        if (cmp == 0)
            continue;
        if (cmp > 0 && !placed) {
            r[k].name = name;
            r[k++].value = value;
            placed = 1;
        }
        r[k++] = ls[i];
    }
    if (!placed) {
        r[k].name = name;
        r[k++].value = value;
    }
    *out = r;
    *nout = k;
    return 0;
}

uint64_t ev_labels_hash(const tsdb_label *ls, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        for (const unsigned char *p = (const unsigned char *)ls[i].name; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
        for (const unsigned char *p = (const unsigned char *)ls[i].value; *p; p++)
            h = (h ^ *p) * 1099511628211ULL;
        h = (h ^ 0xfe) * 1099511628211ULL;
    }
    return h ^ (h >> 29);
}

int ev_labels_equal(const tsdb_label *a, size_t na, const tsdb_label *b,
                    size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i].name, b[i].name) || strcmp(a[i].value, b[i].value))
            return 0;
    return 1;
}

void ev_labels_format(buf *b, const tsdb_label *ls, size_t n)
{
    buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_puts(b, ", ");
        buf_puts(b, ls[i].name);
        buf_puts(b, "=\"");
        for (const char *p = ls[i].value; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_putc(b, '\\');
            if (*p == '\n')
                buf_puts(b, "\\n");
            else
                buf_putc(b, *p);
        }
        buf_putc(b, '"');
    }
    buf_putc(b, '}');
}

/* ---- label-set map ------------------------------------------------------ */

static int lmap_grow(ev_lmap *m, size_t want)
{
    size_t cap = m->cap ? m->cap : 16;
    while (cap < want * 2)
        cap *= 2;
    if (cap == m->cap)
        return 0;
    uint32_t *slot = ev_calloc(m->c, cap * sizeof *slot);
    uint64_t *hash = ev_alloc(m->c, cap / 2 * sizeof *hash);
    const tsdb_label **ls = ev_alloc(m->c, cap / 2 * sizeof *ls);
    size_t *nls = ev_alloc(m->c, cap / 2 * sizeof *nls);
    if (!slot || !hash || !ls || !nls)
        return HERON_ENOMEM;
    if (m->n) {
        memcpy(hash, m->hash, m->n * sizeof *hash);
        memcpy(ls, m->ls, m->n * sizeof *ls);
        memcpy(nls, m->nls, m->n * sizeof *nls);
    }
    for (size_t i = 0; i < m->n; i++) {
        size_t j = hash[i] & (cap - 1);
        while (slot[j])
            j = (j + 1) & (cap - 1);
        slot[j] = (uint32_t)(i + 1);
    }
    m->slot = slot;
    m->hash = hash;
    m->ls = ls;
    m->nls = nls;
    m->cap = cap;
    return 0;
}

int ev_lmap_init(ev_lmap *m, ev_ctx *c, size_t hint)
{
    memset(m, 0, sizeof *m);
    m->c = c;
    return lmap_grow(m, hint ? hint : 8);
}

int ev_lmap_put(ev_lmap *m, const tsdb_label *ls, size_t n, size_t *idx,
                int *added)
{
    uint64_t h = ev_labels_hash(ls, n);
    size_t j = h & (m->cap - 1);
    while (m->slot[j]) {
        size_t i = m->slot[j] - 1;
        if (m->hash[i] == h && ev_labels_equal(m->ls[i], m->nls[i], ls, n)) {
            *idx = i;
            if (added)
                *added = 0;
            return 0;
        }
        j = (j + 1) & (m->cap - 1);
    }
    if ((m->n + 1) * 2 > m->cap) {
        if (lmap_grow(m, m->n + 1))
            return HERON_ENOMEM;
        return ev_lmap_put(m, ls, n, idx, added);
    }
    size_t i = m->n++;
    m->hash[i] = h;
    m->ls[i] = ls;
    m->nls[i] = n;
    m->slot[j] = (uint32_t)(i + 1);
    *idx = i;
    if (added)
        *added = 1;
    return 0;
}

/* ---- vector builder ----------------------------------------------------- */

int ev_series_alloc(ev_ctx *c, ev_series *s)
{
    size_t n = c->nsteps ? c->nsteps : 1;
    s->v = ev_alloc(c, n * sizeof *s->v);
    s->ok = ev_calloc(c, n);
    return s->v && s->ok ? 0 : HERON_ENOMEM;
}

int ev_out_init(ev_out *o, ev_ctx *c, size_t hint)
{
    memset(o, 0, sizeof *o);
    o->c = c;
    return ev_lmap_init(&o->map, c, hint);
}

int ev_out_series(ev_out *o, tsdb_label *ls, size_t n, size_t *idx)
{
    int added;
    if (ev_lmap_put(&o->map, ls, n, idx, &added))
        return ev_nomem(o->c);
    if (!added)
        return 0;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        ev_series *s = ev_alloc(o->c, cap * sizeof *s);
        if (!s)
            return HERON_ENOMEM;
        if (o->n)
            memcpy(s, o->s, o->n * sizeof *s);
        o->s = s;
        o->cap = cap;
    }
    ev_series *s = &o->s[o->n++];
    s->ls = ls;
    s->nls = n;
    if (ev_series_alloc(o->c, s))
        return HERON_ENOMEM;
    return ev_count_samples(o->c, o->c->nsteps);
}

int ev_out_set(ev_out *o, size_t idx, size_t step, double v)
{
    ev_series *s = &o->s[idx];
    if (s->ok[step])
        return ev_fail(o->c, PROMQL_ERR_EXECUTION, HERON_EINVAL,
                       "vector cannot contain metrics with the same labelset");
    s->ok[step] = 1;
    s->v[step] = v;
    return 0;
}

void ev_out_value(ev_out *o, ev_value *out)
{
    memset(out, 0, sizeof *out);
    out->type = PROMQL_TYPE_VECTOR;
    out->vs = o->s;
    out->n = o->n;
}
