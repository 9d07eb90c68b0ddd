/* labels — sorting, ordering, hashing and validating label sets. */
#include "tsdb/labels.h"

#include <stdio.h>
#include <stdlib.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "core/err.h"

static int label_cmp_name(const void *a, const void *b)
{
    return strcmp(((const tsdb_label *)a)->name,
                  ((const tsdb_label *)b)->name);
}

void tsdb_labels_sort(tsdb_label *ls, size_t n)
{
    if (n > 1)
        qsort(ls, n, sizeof *ls, label_cmp_name);
}

int tsdb_labels_cmp(const tsdb_label *a, size_t na, const tsdb_label *b,
                    size_t nb)
{
    /* Interned (head) and symbol-table (block) strings are often the same
     * pointer: equal without looking at the bytes. */
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        int c = a[i].name == b[i].name ? 0 : strcmp(a[i].name, b[i].name);
        if (c)
            return c;
        c = a[i].value == b[i].value ? 0 : strcmp(a[i].value, b[i].value);
        if (c)
            return c;
    }
    return na < nb ? -1 : na > nb;
}

int labels_equal(const tsdb_label *a, size_t na, const tsdb_label *b,
                 size_t nb)
{
    return na == nb && tsdb_labels_cmp(a, na, b, nb) == 0;
}

uint64_t labels_hash(const tsdb_label *ls, size_t n)
{
    XXH3_state_t st;
    XXH3_64bits_reset(&st);
    static const char sep = '\xff';
    for (size_t i = 0; i < n; i++) {
        XXH3_64bits_update(&st, ls[i].name, strlen(ls[i].name));
        XXH3_64bits_update(&st, &sep, 1);
        XXH3_64bits_update(&st, ls[i].value, strlen(ls[i].value));
        XXH3_64bits_update(&st, &sep, 1);
    }
    return XXH3_64bits_digest(&st);
}

int labels_validate(const tsdb_label *ls, size_t n, size_t max_name,
                    size_t max_value, heron_err *err)
{
    if (n == 0)
        return err_set(err, HERON_EINVAL, "empty label set");
    for (size_t i = 0; i < n; i++) {
        const char *name = ls[i].name, *value = ls[i].value;
        if (!name || !value || !*name)
            return err_set(err, HERON_EINVAL, "label %zu has an empty name", i);
        size_t nl = strlen(name), vl = strlen(value);
        if (nl > max_name)
            return err_set(err, HERON_ERANGE,
                           "label name \"%.40s...\" is %zu bytes, limit %zu",
                           name, nl, max_name);
        if (vl > max_value)
            return err_set(err, HERON_ERANGE,
                           "value of label \"%.40s\" is %zu bytes, limit %zu",
                           name, vl, max_value);
        if (i > 0) {
            int c = strcmp(ls[i - 1].name, name);
            if (c == 0)
                return err_set(err, HERON_EINVAL, "duplicate label name \"%.80s\"",
                               name);
            if (c > 0)
                return err_set(err, HERON_EINVAL,
                               "labels not sorted: \"%.60s\" after \"%.60s\"",
                               name, ls[i - 1].name);
        }
    }
    return 0;
}

void labels_format(const tsdb_label *ls, size_t n, char *out, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return;
    out[0] = 0;
    int w = snprintf(out, cap, "{");
    len = (size_t)w;
    for (size_t i = 0; i < n && len < cap; i++) {
        w = snprintf(out + len, cap - len, "%s%s=\"%s\"", i ? ", " : "",
                     ls[i].name, ls[i].value);
        if (w < 0)
            break;
        len += (size_t)w;
    }
    if (len < cap)
        len += (size_t)snprintf(out + len, cap - len, "}");
    if (len >= cap && cap > 4)
        memcpy(out + cap - 4, "...", 4);
}
